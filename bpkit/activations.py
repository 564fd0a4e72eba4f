"""Activation functions σ and their derivatives σ′ (Applied Mathematics lecture 5, eq. (20): a^[l] = σ(z^[l])).

Every function is elementwise on an array z of any shape (a batch is (n_l, B), examples are
columns) and keeps z's float dtype (integers become float64). `softmax` and `log_softmax` work
over axis 0 (one column per example).

Stable and accurate for every finite or infinite z, with no overflow warnings:
  σ(z) = 1/(1 + e^{−z}); for z ≪ 0, e^{−z} overflows to inf and 1/(1 + inf) = 0 is the right
  limit (the overflow warning is silenced for that one step, when it can happen). Unlike
  0.5·tanh(z/2) + 0.5 it keeps full *relative* accuracy for z ≪ 0, where σ(z) ≈ e^{z} is tiny
  (tanh's form rounds it to 0). Tiny arrays use exp(−log(1 + e^{−z})) (fewer numpy calls).
  σ′(z) = e^{−|z|}/(1 + e^{−|z|})² and tanh′(z) = 4e^{−2|z|}/(1 + e^{−2|z|})²: no 1 − s
  cancellation, so the derivatives stay accurate in the tails too.
Each function allocates one output array and works in place on it.
"""
import numpy as np

__all__ = ["sigmoid", "sigmoid_prime", "tanh", "tanh_prime", "relu", "relu_prime",
           "leaky_relu", "leaky_relu_prime", "identity", "identity_prime", "softmax",
           "log_softmax", "ACTIVATIONS"]

_errstate = np.errstate
_max = np.fmax.reduce                         # fmax: a NaN does not hide a huge entry
_SMALL = 64                                  # arrays up to this size: the low-overhead formula
_EXP_MAX = {}                                # dtype -> largest x with e^x finite (log of max float)


def _exp_max(dtype):
    m = _EXP_MAX.get(dtype)
    if m is None:
        m = _EXP_MAX[dtype] = float(np.log(np.finfo(dtype).max))
    return m


def _float(z):
    z = np.asarray(z)
    if z.dtype.kind == "f":
        return z
    if z.dtype.kind in "iub":
        return z.astype(np.float64)
    raise TypeError(f"activation: expected a float array, got dtype {z.dtype}")


def _sigmoid(z):
    """σ(z) for a float array z with ndim ≥ 1 (no checks; the Activation layer's hot path),
    same dtype. Up to _SMALL entries: exp(−log(1 + e^{−z})) (4 ufunc calls, ~2 µs); beyond:
    1/(1 + e^{−z}) in place (one array; ~25x less time per entry, one more call to rule out
    the overflow). Both are accurate to a few ulps (tested) and give exact 0 and 1 at ∓inf."""
    if z.size <= _SMALL:
        return np.exp(-np.logaddexp(0.0, -z))
    a = np.negative(z)
    if _max(a, None) > _exp_max(a.dtype):
        with _errstate(over="ignore"):        # e^{−z} = inf for z ≪ 0: 1/(1 + inf) = 0, exact
            np.exp(a, out=a)
    else:                                     # the common case: no errstate (it costs ~2 µs)
        np.exp(a, out=a)
    a += 1
    np.reciprocal(a, out=a)
    return a


def sigmoid(z):
    """σ(z) = 1 / (1 + e^{−z}) (20); accurate to a few ulps, no overflow for any z."""
    z = _float(z)
    if z.ndim == 0:                           # a Python float or 0-d array: −z would be a scalar
        return _sigmoid(z.reshape(1)).reshape(())
    return _sigmoid(z)


def sigmoid_prime(z):
    """σ′(z) = σ(z)(1 − σ(z)), computed as e^{−|z|}/(1 + e^{−|z|})² (accurate in both tails)."""
    z = _float(z)
    e = np.abs(z, out=np.empty_like(z))
    np.negative(e, out=e)
    np.exp(e, out=e)                           # e^{−|z|} ≤ 1: never overflows
    d = e + 1
    d *= d
    e /= d
    return e


def tanh(z):
    """tanh(z)."""
    return np.tanh(_float(z))


def tanh_prime(z):
    """tanh′(z) = 1 − tanh(z)², computed as 4e^{−2|z|}/(1 + e^{−2|z|})² (accurate in the tails)."""
    z = _float(z)
    e = np.abs(z, out=np.empty_like(z))
    e *= -2
    np.exp(e, out=e)
    d = e + 1
    d *= d
    e *= 4
    e /= d
    return e


def relu(z):
    """max(z, 0)."""
    z = _float(z)
    return np.maximum(z, 0.0, dtype=z.dtype)


def relu_prime(z):
    """1 where z > 0, else 0 (we take the derivative at 0 to be 0, like PyTorch)."""
    z = _float(z)
    return (z > 0).astype(z.dtype)


def leaky_relu(z, slope=0.01):
    """z for z > 0, slope·z otherwise."""
    z = _float(z)
    return np.where(z > 0, z, z * z.dtype.type(slope))


def leaky_relu_prime(z, slope=0.01):
    """1 for z > 0, slope otherwise."""
    z = _float(z)
    return np.where(z > 0, z.dtype.type(1), z.dtype.type(slope))


def identity(z):
    """z (a linear output layer)."""
    return _float(z)


def identity_prime(z):
    """1 everywhere."""
    return np.ones_like(_float(z))


def softmax(z):
    """softmax over axis 0 (each column is an example); stable: subtracts the column max."""
    z = _float(z)
    e = z - z.max(axis=0, keepdims=True)       # ≤ 0: e^{...} ≤ 1 never overflows
    np.exp(e, out=e)
    e /= e.sum(axis=0, keepdims=True)
    return e


def log_softmax(z):
    """log softmax(z) over axis 0: z − m − log Σ e^{z − m} with m the column max (no overflow,
    and no log(0) = −inf for a probability that underflows)."""
    z = _float(z)
    zc = z - z.max(axis=0, keepdims=True)
    zc -= np.log(np.exp(zc).sum(axis=0, keepdims=True))
    return zc


ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_prime),
    "tanh": (tanh, tanh_prime),
    "relu": (relu, relu_prime),
    "leaky_relu": (leaky_relu, leaky_relu_prime),
    "identity": (identity, identity_prime),
}
