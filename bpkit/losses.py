"""Costs C and their gradients ∂C/∂(network output). Examples are columns; costs average over them.

quadratic:  C = (1/N) Σ_i ½‖y^{i} − a^[L](x^{i})‖²  (9);  ∂C/∂a^[L] = (a^[L] − y)/N.
softmax cross-entropy on logits z (k, N): C = (1/N) Σ_i [logsumexp(z^{i}) − z^{i}_{y_i}];
∂C/∂z = (softmax(z) − Y)/N — fused, so logits of ±1000 are fine.

Every cost checks both arguments: shapes (named in the error) and values — the output (or the
logits) and the targets must be finite, so a diverged network gives a clear error instead of a
NaN cost.
"""
import math

import numpy as np

from .activations import log_softmax, softmax
from .layers import _all_finite

__all__ = ["quadratic_cost", "quadratic_cost_grad", "softmax_cross_entropy",
           "softmax_cross_entropy_grad", "QuadraticCost", "SoftmaxCrossEntropy", "LOSSES"]


def _float2d(a, who, what):
    a = np.asarray(a)
    if a.dtype.kind in "iub":
        a = a.astype(np.float64)
    elif a.dtype.kind != "f":
        raise TypeError(f"{who}: expected a float array for {what}, got dtype {a.dtype}")
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise ValueError(f"{who}: expected {what} of shape (n, N) (examples are columns), got shape {a.shape}")
    return a


def _check_pair(a, y, who):
    """a, y as float (n, N) arrays of one shape, or raise naming who (values: _check_values)."""
    a_shape, y_shape = np.shape(a), np.shape(y)
    a = _float2d(a, who, "the output")
    y = _float2d(y, who, "the targets")
    if a.shape != y.shape:
        raise ValueError(f"{who}: expected targets with the output's shape {a_shape}, got shape {y_shape}")
    return a, y


def _check_values(a, y, who):
    """Raise if the output a or the targets y hold NaN/inf (called when the cost is not finite:
    NaN and inf always reach it, so finite inputs cost no extra pass)."""
    if not _all_finite(a):
        raise ValueError(f"{who}: the output of shape {a.shape} contains NaN or inf "
                         f"(if it comes from a network: did training diverge? try a smaller learning rate)")
    if not _all_finite(y):
        raise ValueError(f"{who}: targets of shape {y.shape} contain NaN or inf")


def _quadratic(a, y, who):
    a, y = _check_pair(a, y, who)
    d = a - y
    C = float(0.5 * np.vdot(d, d) / a.shape[1])
    if not math.isfinite(C):
        _check_values(a, y, who)              # else: finite inputs whose squares overflowed
    return C, d, a


def quadratic_cost(a, y):
    """C = (1/N) Σ ½‖y − a‖² over the N columns  (9). a, y: (n_L, N) (a 1-D vector is one column)."""
    return _quadratic(a, y, "quadratic_cost")[0]


def quadratic_cost_grad(a, y):
    """∂C/∂a = (a − y)/N, shape (n_L, N)."""
    a, y = _check_pair(a, y, "quadratic_cost_grad")
    _check_values(a, y, "quadratic_cost_grad")
    return (a - y) / a.dtype.type(a.shape[1])


def _labels(z, y, who):
    """Return (z as float 2-D, integer labels (N,)) from one-hot (k, N) or labels (N,)."""
    z = _float2d(z, who, "the logits")
    k, n = z.shape
    y = np.asarray(y)
    if y.ndim == 1 and y.dtype.kind in "iu":
        if y.shape[0] != n:
            raise ValueError(f"{who}: expected {n} integer labels for logits of shape {z.shape}, got shape {y.shape}")
        if n and (y.min() < 0 or y.max() >= k):
            raise ValueError(f"{who}: labels must lie in 0..{k - 1}, got range {y.min()}..{y.max()}")
        labels = y
    else:
        given = f"a {y.dtype} array of shape {y.shape}"
        hint = " (labels must be integers: pass y.astype(int))" if y.shape == (n,) else ""
        y = _float2d(y, who, "the one-hot targets")
        if y.shape != z.shape:
            raise ValueError(f"{who}: expected one-hot targets of shape {z.shape} or integer labels "
                             f"of shape ({n},), got {given}{hint}")
        labels = None
        if not _all_finite(y):
            raise ValueError(f"{who}: targets of shape {y.shape} contain NaN or inf")
    if not _all_finite(z):
        raise ValueError(f"{who}: logits of shape {z.shape} contain NaN or inf "
                         f"(if they come from a network: did training diverge? try a smaller learning rate)")
    return z, labels, y


def softmax_cross_entropy(z, y):
    """Mean cross-entropy of softmax(z) against y; z (k, N) logits, y one-hot (k, N) or labels (N,)."""
    z, labels, y = _labels(z, y, "softmax_cross_entropy")
    logp = log_softmax(z)                                        # z − log Σ e^z, stable
    if labels is not None:
        return float(-logp[labels, np.arange(z.shape[1])].sum() / z.shape[1])
    return float(-(y * logp).sum() / z.shape[1])


def softmax_cross_entropy_grad(z, y):
    """∂C/∂z = (softmax(z) − Y)/N, shape (k, N)."""
    z, labels, y = _labels(z, y, "softmax_cross_entropy_grad")
    g = softmax(z)
    if labels is not None:
        g[labels, np.arange(z.shape[1])] -= 1
    else:
        g -= y
    g /= z.dtype.type(z.shape[1])
    return g


class QuadraticCost:
    """C = (1/N) Σ ½‖y − a‖²  (9). forward(a, y) -> (C, cache); backward(cache) -> ∂C/∂a."""
    name = "quadratic"

    def forward(self, a, y):
        C, d, a = _quadratic(a, y, "QuadraticCost")
        return C, (d, a.shape[1])

    def backward(self, cache):
        d, n = cache
        return d / d.dtype.type(n)


class SoftmaxCrossEntropy:
    """Softmax + cross-entropy fused. forward(z, y) -> (C, cache); backward(cache) -> ∂C/∂z."""
    name = "softmax_ce"

    def forward(self, z, y):
        z, labels, y = _labels(z, y, "SoftmaxCrossEntropy")
        n = z.shape[1]
        m = z.max(axis=0, keepdims=True)
        e = np.exp(z - m)
        s = e.sum(axis=0, keepdims=True)
        lse = m + np.log(s)
        if labels is not None:
            loss = (lse[0] - z[labels, np.arange(n)]).sum() / n
        else:
            loss = -(y * (z - lse)).sum() / n
        e /= s  # softmax(z)
        return float(loss), (e, labels, y, n)

    def backward(self, cache):
        p, labels, y, n = cache
        g = p.copy()
        if labels is not None:
            g[labels, np.arange(n)] -= 1
        else:
            g -= y
        g /= g.dtype.type(n)
        return g


LOSSES = {"quadratic": QuadraticCost, "softmax_ce": SoftmaxCrossEntropy,
          "cross_entropy": SoftmaxCrossEntropy}
