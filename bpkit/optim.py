"""Optimisers, learning-rate schedules and training loops.

Parameters and gradients are passed as the lists Network.parameters() / .gradients() give
([(name, array)]) or as plain lists of arrays; updates happen in place.

Conventions:
  sgd_step:  p ← p − η g                                  (15)
  Momentum:  v ← β v − η g;  p ← p + v   (form="classic", CS231n; v starts at 0), or
             v ← β v + g;    p ← p − η v (form="pytorch", torch.optim.SGD's momentum).
             With a constant η the two give the same steps; after η changes they differ:
             classic keeps the old η inside v, PyTorch's form rescales all of v by the new η.
  weight decay λ: g ← g + λ W for the arrays `decay` selects, i.e. the gradient of the L2
             penalty (λ/2) Σ ‖W‖²_F. decay="weights" (default) | "all" | a callable
             (name, array) -> bool (name is None for a plain array) | one bool per array.
             "weights": a (name, array) pair decays if its last name part is "W" ('dense1.W',
             'residual3.proj.W'; not biases, not batch norm's gamma/beta); a plain array
             decays unless it is a vector (1-D or one column (n, 1), the shape of every bias).
             A Dense(1, n) weight is a column too: pass names or decay= for such a network.
  RMSProp:   s ← ρ s + (1 − ρ) g²;  p ← p − η g / (√s + ε)          (lecture 12; ε OUTSIDE the root,
             as torch.optim.RMSprop; Keras/TensorFlow put it inside: √(s + ε))
  Adam:      m ← β1 m + (1 − β1) g;  v ← β2 v + (1 − β2) g²;  t ← t + 1;
             m̂ = m / (1 − β1^t);  v̂ = v / (1 − β2^t);  p ← p − η m̂ / (√v̂ + ε)   (Kingma & Ba,
             Algorithm 1; lecture 12). m, v start at 0 and t at 0, so the first step uses t = 1.
             weight_decay λ here is COUPLED, as in SGD and Momentum: g ← g + λp before the moments.
  schedules: functions epoch -> η, epochs counted from 0.

A parameter array replaced by net.astype() is read-only (bpkit.layers): stepping it raises an
error that says so, instead of silently updating a detached copy.
"""
import math
from operator import mul

import numpy as np

from .layers import Activation, Dense
from .losses import QuadraticCost

__all__ = ["sgd_step", "SGD", "Momentum", "RMSProp", "Adam", "decay_mask", "step_decay", "exponential_decay",
           "l2_penalty",
           "l2_grad", "minibatches", "train_sgd_single", "train_minibatch", "EarlyStopping"]


def _arrays(items):
    return [p[1] if isinstance(p, tuple) else p for p in items]


def _default_decays(name, p):
    if name is not None:
        return name.rsplit(".", 1)[-1] == "W"
    p = np.asarray(p)
    return not (p.ndim <= 1 or (p.ndim == 2 and p.shape[1] == 1))


def decay_mask(params, decay="weights"):
    """[bool] per array of params: which arrays weight decay applies to (module doc)."""
    items = list(params)
    if isinstance(decay, str):
        if decay == "weights":
            f = _default_decays
        elif decay == "all":
            return [True] * len(items)
        else:
            raise ValueError(f"decay must be 'weights', 'all', a callable (name, array) -> bool "
                             f"or one bool per array, got {decay!r}")
        return [f(*(it if isinstance(it, tuple) else (None, it))) for it in items]
    if callable(decay):
        return [bool(decay(*(it if isinstance(it, tuple) else (None, it)))) for it in items]
    mask = [bool(d) for d in decay]
    if len(mask) != len(items):
        raise ValueError(f"decay: got {len(mask)} flags for {len(items)} parameter arrays")
    return mask


def _stale(who, item, err):
    name = item[0] if isinstance(item, tuple) else "a parameter array"
    return ValueError(f"{who}: cannot update {name!r} in place ({err}). An array replaced by "
                      f"net.astype() is read-only: take net.parameters()/gradients() again "
                      f"(the lists they return are refreshed by astype)")


def sgd_step(params, grads, eta):
    """p ← p − η ∂C/∂p for every pair, in place  (15)."""
    for p, g in zip(params, grads):
        if type(p) is tuple:                  # (name, array) pairs from Network.parameters()
            p, g = p[1], g[1]
        try:
            p -= eta * g
        except ValueError as err:
            if p.flags.writeable:
                raise
            raise _stale("sgd_step", p, err) from None


def l2_penalty(params, lam, decay="weights"):
    """(λ/2) Σ ‖W‖²_F over the arrays `decay` selects (default the weights: biases and
    batch-norm parameters are not penalised)."""
    params = list(params)
    return float(0.5 * lam * sum(np.vdot(p, p) for p, d in zip(_arrays(params), decay_mask(params, decay))
                                 if d))


def l2_grad(W, lam):
    """∂/∂W of (λ/2)‖W‖²_F = λ W."""
    return lam * W


class SGD:
    """Plain (minibatch) SGD: p ← p − η (g + λp), λ only on the arrays `decay` selects
    (default the weights; see the module doc)."""

    def __init__(self, eta=0.1, weight_decay=0.0, decay="weights"):
        self.eta, self.weight_decay, self.decay = eta, weight_decay, decay

    def step(self, params, grads):
        lam, eta = self.weight_decay, self.eta
        decays = decay_mask(params, self.decay) if lam else [False] * len(params)
        for item, g, d in zip(params, _arrays(grads), decays):
            p = item[1] if isinstance(item, tuple) else item
            if d:
                g = g + lam * p
            try:
                p -= eta * g
            except ValueError as err:
                if p.flags.writeable:
                    raise
                raise _stale("SGD.step", item, err) from None


class Momentum:
    """SGD with momentum; v starts at zero, λ only on the arrays `decay` selects.

    form="classic" (default, CS231n):  v ← β v − η (g + λp);  p ← p + v
    form="pytorch" (torch.optim.SGD):  v ← β v + (g + λp);    p ← p − η v
    The same steps while η is constant; after a learning-rate change (a schedule) they differ.
    """

    FORMS = ("classic", "pytorch")

    def __init__(self, eta=0.1, beta=0.9, weight_decay=0.0, decay="weights", form="classic"):
        if form not in self.FORMS:
            raise ValueError(f"Momentum: form must be one of {self.FORMS}, got {form!r}")
        self.eta, self.beta, self.weight_decay = eta, beta, weight_decay
        self.decay, self.form = decay, form
        self.velocity = None

    def step(self, params, grads):
        ps = _arrays(params)
        if self.velocity is None or len(self.velocity) != len(ps):
            self.velocity = [np.zeros_like(p) for p in ps]
        lam, eta, beta = self.weight_decay, self.eta, self.beta
        decays = decay_mask(params, self.decay) if lam else [False] * len(ps)
        classic = self.form == "classic"
        for i, (item, p, g, d) in enumerate(zip(params, ps, _arrays(grads), decays)):
            v = self.velocity[i]
            if v.dtype != p.dtype or v.shape != p.shape:     # the network was cast (astype)
                v = self.velocity[i] = v.astype(p.dtype).reshape(p.shape)
            if d:
                g = g + lam * p
            v *= beta
            try:
                if classic:
                    v -= eta * g
                    p += v
                else:
                    v += g
                    p -= eta * v
            except ValueError as err:
                if p.flags.writeable:
                    raise
                raise _stale("Momentum.step", item, err) from None


class _Moments:
    """Per-array state (moment estimates) of an adaptive optimiser, created at zero on the
    first step and recast when the network is (astype)."""

    def _state(self, attr, ps):
        st = getattr(self, attr)
        if st is None or len(st) != len(ps):
            st = [np.zeros_like(p) for p in ps]
            setattr(self, attr, st)
        for i, p in enumerate(ps):
            if st[i].dtype != p.dtype or st[i].shape != p.shape:
                st[i] = st[i].astype(p.dtype).reshape(p.shape)
        return st


class RMSProp(_Moments):
    """RMSProp (Hinton, lecture 6e; lecture 12): a running mean of g², per entry.

    s ← ρ s + (1 − ρ) g²;  p ← p − η g / (√s + ε). s starts at 0; λ (coupled, g ← g + λp)
    only on the arrays `decay` selects.
    """

    def __init__(self, eta=1e-3, rho=0.9, eps=1e-8, weight_decay=0.0, decay="weights"):
        self.eta, self.rho, self.eps = eta, rho, eps
        self.weight_decay, self.decay = weight_decay, decay
        self.square = None

    def step(self, params, grads):
        ps = _arrays(params)
        sq = self._state("square", ps)
        lam, eta, rho, eps = self.weight_decay, self.eta, self.rho, self.eps
        decays = decay_mask(params, self.decay) if lam else [False] * len(ps)
        for item, p, g, s, d in zip(params, ps, _arrays(grads), sq, decays):
            if d:
                g = g + lam * p
            s *= rho
            s += (1.0 - rho) * g * g
            try:
                p -= eta * g / (np.sqrt(s) + eps)
            except ValueError as err:
                if p.flags.writeable:
                    raise
                raise _stale("RMSProp.step", item, err) from None


class Adam(_Moments):
    """Adam (Kingma & Ba 2015, Algorithm 1; lecture 12), bias-corrected, ε outside the root.

    m ← β1 m + (1 − β1) g;  v ← β2 v + (1 − β2) g²;  t ← t + 1
    p ← p − η m̂ / (√v̂ + ε),  m̂ = m / (1 − β1^t),  v̂ = v / (1 − β2^t).
    m, v start at 0 and t at 0; λ (coupled, g ← g + λp) only on the arrays `decay` selects.
    """

    def __init__(self, eta=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                 decay="weights"):
        self.eta, self.beta1, self.beta2, self.eps = eta, beta1, beta2, eps
        self.weight_decay, self.decay = weight_decay, decay
        self.m = self.v = None
        self.t = 0

    def step(self, params, grads):
        ps = _arrays(params)
        ms, vs = self._state("m", ps), self._state("v", ps)
        self.t += 1
        lam, eta, b1, b2, eps = self.weight_decay, self.eta, self.beta1, self.beta2, self.eps
        c1, c2 = 1.0 - b1 ** self.t, 1.0 - b2 ** self.t          # bias corrections
        decays = decay_mask(params, self.decay) if lam else [False] * len(ps)
        for item, p, g, m, v, d in zip(params, ps, _arrays(grads), ms, vs, decays):
            if d:
                g = g + lam * p
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            v += (1.0 - b2) * g * g
            try:
                p -= eta * (m / c1) / (np.sqrt(v / c2) + eps)
            except ValueError as err:
                if p.flags.writeable:
                    raise
                raise _stale("Adam.step", item, err) from None


def step_decay(eta0, drop=0.5, every=10):
    """η(epoch) = η0 · drop^⌊epoch / every⌋."""
    return lambda epoch: eta0 * drop ** (epoch // every)


def exponential_decay(eta0, k):
    """η(epoch) = η0 · e^{−k·epoch}."""
    return lambda epoch: eta0 * math.exp(-k * epoch)


def minibatches(n, batch_size, rng=None):
    """One epoch (Cornell CS3780 lecture 22): shuffle 0..n−1, then yield consecutive index arrays of batch_size
    (the last one may be shorter). Every index appears exactly once per call."""
    if batch_size < 1:
        raise ValueError(f"minibatches: batch_size must be >= 1, got {batch_size}")
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    perm = rng.permutation(n)
    for i in range(0, n, batch_size):
        yield perm[i:i + batch_size]


class EarlyStopping:
    """Stop when the validation cost has not improved for `patience` epochs; keeps the best state.

    es.update(val_cost, net) -> True when training should stop. es.best_state holds the best
    parameters (restore with net.load_state(es.best_state)); es.best_epoch, es.best_cost.
    """

    def __init__(self, patience=5, min_delta=0.0):
        self.patience, self.min_delta = patience, min_delta
        self.best_cost, self.best_epoch, self.best_state = math.inf, -1, None
        self.epoch, self.bad = -1, 0

    def update(self, val_cost, net):
        self.epoch += 1
        if val_cost < self.best_cost - self.min_delta:
            self.best_cost, self.best_epoch, self.bad = val_cost, self.epoch, 0
            self.best_state = net.state()
        else:
            self.bad += 1
        return self.bad >= self.patience


def _columns(A, idx):
    A = np.asarray(A)
    return A[idx] if A.ndim == 1 else A[:, idx]


def _n_examples(X):
    return np.asarray(X).shape[1]


def train_minibatch(net, X, Y, epochs, batch_size, optimizer, rng=None, X_val=None, Y_val=None,
                    early_stopping=None, schedule=None):
    """Shuffled minibatch epochs (Cornell CS3780 lecture 22). Returns a history dict of per-epoch lists:
    "loss" (mean training loss over the epoch's batches), "val_loss" (if validation data),
    "eta". With early_stopping (an EarlyStopping or an int patience) and validation data,
    training stops early and the network is left holding the best weights."""
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    if isinstance(early_stopping, int) and not isinstance(early_stopping, bool):
        early_stopping = EarlyStopping(early_stopping)
    if early_stopping is not None and X_val is None:
        raise ValueError("train_minibatch: early stopping needs X_val and Y_val")
    params, grads = net.parameters(), net.gradients()
    n = _n_examples(X)
    hist = {"loss": [], "val_loss": [], "eta": []}
    for epoch in range(epochs):
        if schedule is not None:
            optimizer.eta = schedule(epoch)
        hist["eta"].append(optimizer.eta)
        total, count = 0.0, 0
        for idx in minibatches(n, batch_size, rng):
            C = net.loss_and_grads(_columns(X, idx), _columns(Y, idx))
            optimizer.step(params, grads)
            total += C * len(idx)
            count += len(idx)
        hist["loss"].append(total / count)
        if X_val is not None:
            v = net.loss(X_val, Y_val, train=False)
            hist["val_loss"].append(v)
            if early_stopping is not None and early_stopping.update(v, net):
                break
    if early_stopping is not None and early_stopping.best_state is not None:
        net.load_state(early_stopping.best_state)
        hist["best_epoch"] = early_stopping.best_epoch
    return hist


# ------------------------------------------ Applied Mathematics lecture 5's pseudocode: SGD, one point
def _is_sigmoid_mlp(net):
    if not isinstance(net.loss_fn, QuadraticCost):
        return False
    L = net.layers
    if len(L) % 2:
        return False
    return all(isinstance(d, Dense) and d.bias and type(d) is Dense and type(a) is Activation
               and a.activation == "sigmoid" for d, a in zip(L[::2], L[1::2]))


def train_sgd_single(net, X, Y, eta, n_iter, rng=None, record_every=None, fast=None):
    """Applied Mathematics lecture 5's pseudocode: n_iter times, pick k uniformly from {1..N}
    (with replacement), do a forward pass on x^{k} and update every W^[l], b^[l] from δ^[l]
    (22)–(25) with step η  (15).

    The indices are drawn up front: ks = rng.integers(0, N, n_iter). record_every=m records the
    full-data cost C (9) every m steps. Returns the history as a list of (iteration, cost).

    fast=None uses a plain-Python-float loop when the network is the lecture's sigmoid MLP
    with the quadratic cost (numpy's ~0.4 µs per call dominates on 2-3-element vectors, and
    plain floats are ~2x faster); it follows the same formulas and gives the same weights up to
    rounding (tested). fast=False always goes through Network.loss_and_grads.
    """
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    X = np.asarray(X)
    N = X.shape[1]
    ks = rng.integers(0, N, size=n_iter)
    if fast is None:
        fast = _is_sigmoid_mlp(net) and net.dtype == np.float64
    hist = []
    step = 0
    chunk = record_every or n_iter
    while step < n_iter:
        todo = ks[step:step + chunk]
        if fast:
            _sgd_sigmoid_mlp_floats(net, X, np.asarray(Y, dtype=float), eta, todo)
        else:
            params, grads = net.parameters(), net.gradients()
            for k in todo.tolist():
                net.loss_and_grads(X[:, k:k + 1], _columns(Y, slice(k, k + 1)))
                sgd_step(params, grads, eta)
        step += len(todo)
        if record_every:
            hist.append((step, net.loss(X, Y, train=False)))
    return hist


def _sgd_sigmoid_mlp_floats(net, X, Y, eta, ks):
    """Applied Mathematics lecture 5's SGD loop on Python floats, for sigmoid MLPs with the quadratic cost.
    Wl[l] is W^[l+2] as a list of rows; acts[l] is a^[l+1]."""
    exp = math.exp
    Ws = [L.params["W"] for L in net.layers[::2]]
    bs = [L.params["b"] for L in net.layers[::2]]
    Wl = [W.tolist() for W in Ws]
    bl = [b[:, 0].tolist() for b in bs]
    xs = [X[:, k].tolist() for k in range(X.shape[1])]
    ys = [Y[:, k].tolist() for k in range(Y.shape[1])]
    L = len(Wl)
    acts = [None] * (L + 1)
    for k in ks.tolist():
        a = xs[k]
        acts[0] = a                                                # a^[1] = x^{k}
        for l in range(L):
            out = []
            for row, bi in zip(Wl[l], bl[l]):
                z = sum(map(mul, row, a)) + bi                     # z = W a + b  (19)
                if z >= 0.0:                                       # a = σ(z)  (20), no overflow
                    out.append(1.0 / (1.0 + exp(-z)))
                else:
                    e = exp(z)
                    out.append(e / (1.0 + e))
            acts[l + 1] = a = out
        d = [eta * (ai - yi) * ai * (1.0 - ai) for ai, yi in zip(a, ys[k])]   # η δ^[L]  (22)
        for l in range(L - 1, -1, -1):
            ap, W, b = acts[l], Wl[l], bl[l]
            if l:                                                  # η δ^[l]  (23), old W
                nd = [api * (1.0 - api) * sum(map(mul, col, d)) for api, col in zip(ap, zip(*W))]
            for j, dj in enumerate(d):
                W[j] = [w - dj * api for w, api in zip(W[j], ap)]  # W ← W − η δ a^T  (25)
                b[j] -= dj                                         # b ← b − η δ  (24)
            if l:
                d = nd
    for W, b, w, bb in zip(Ws, bs, Wl, bl):
        W[...] = w
        b[:, 0] = bb
