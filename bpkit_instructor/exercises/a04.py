"""Assignment 04 — training with stochastic gradient descent (seed 001 pseudocode, seed 002 minibatches).

Parameters and gradients are dicts keyed by the lecture's layer numbers: {"W2", "b2", ..., "WL", "bL"}.
Examples are columns; targets are one-hot columns. References are self-contained numpy.
"""
import numpy as np

from bpkit.grading import scores
from bpkit.grading.registry import exercise, variant
from bpkit.grading.scores import N_HELD_OUT, THRESHOLD, _sigmoid, disk



def _softmax(z, axis=0):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _params(rng, sizes):
    p = {}
    for l in range(2, len(sizes) + 1):
        p[f"W{l}"] = rng.normal(size=(sizes[l - 1], sizes[l - 2]))
        p[f"b{l}"] = rng.normal(size=(sizes[l - 1], 1))
    return p


def _random_sizes(rng):
    return [int(v) for v in rng.integers(2, 7, size=int(rng.integers(3, 6)))]


# --- 04.sgd_update --------------------------------------------------------------------------

def _update(params, grads, eta, sign=1.0, use_eta=True, biases=True):
    step = eta if use_eta else 1.0
    return {k: (v - sign * step * grads[k]) if (biases or k.startswith("W")) else v.copy()
            for k, v in params.items()}


def _sgd_case(rng):
    sizes = _random_sizes(rng)
    return {"params": _params(rng, sizes), "grads": _params(rng, sizes),
            "eta": float(rng.uniform(0.01, 0.5))}


exercise(
    "04.sgd_update",
    reference=lambda params, grads, eta: _update(params, grads, eta),
    visible=[dict(_sgd_case(np.random.default_rng(1)), eta=0.05)],
    hidden=_sgd_case,
    n_hidden=5,
    variants=[
        variant("sign flip (gradient ascent)", lambda params, grads, eta: _update(params, grads, eta, sign=-1.0),
                "descent goes AGAINST the gradient: p → p − η ∇C (eq. 15)."),
        variant("forgot η", lambda params, grads, eta: _update(params, grads, eta, use_eta=False),
                "the step is the gradient scaled by the learning rate η."),
        variant("biases not updated", lambda params, grads, eta: _update(params, grads, eta, biases=False),
                "update every parameter: b^[l] → b^[l] − η ∂C/∂b^[l] as well as the weights."),
    ],
    protect=["bpkit.optim.sgd_step"],
    what="p → p − η ∇C for every W^[l] and b^[l] (eq. 15) on 1 visible and 5 random networks",
)


# --- 04.minibatches -------------------------------------------------------------------------

def _minibatches(n, batch_size, epochs, seed, shuffle=True, reshuffle=True, drop_last=False,
                 replace=False):
    rng = np.random.default_rng(seed)
    out, perm = [], None
    for _ in range(epochs):
        if replace:
            order = rng.integers(0, n, size=n)
        elif not shuffle:
            order = np.arange(n)
        elif perm is None or reshuffle:
            order = perm = rng.permutation(n)
        else:
            order = perm
        stop = n - n % batch_size if drop_last else n
        out += [order[i:i + batch_size] for i in range(0, stop, batch_size)]
    return out


def _mb_case(rng):
    while True:
        n, bs = int(rng.integers(12, 41)), int(rng.integers(2, 9))
        if n % bs:
            return {"n": n, "batch_size": bs, "epochs": int(rng.integers(2, 5)),
                    "seed": int(rng.integers(0, 2**31))}


exercise(
    "04.minibatches",
    reference=_minibatches,
    score=scores.minibatches,
    visible=[{"n": 12, "batch_size": 5, "epochs": 3, "seed": 0}],
    hidden=_mb_case,
    n_hidden=5,
    variants=[
        variant("no shuffle", lambda **kw: _minibatches(**kw, shuffle=False),
                "shuffle the indices before cutting them into batches (seed 002)."),
        variant("same order every epoch", lambda **kw: _minibatches(**kw, reshuffle=False),
                "draw a new permutation at the start of EVERY epoch, not once before the loop."),
        variant("drops the last partial batch", lambda **kw: _minibatches(**kw, drop_last=True),
                "when B does not divide n, the last batch is smaller; keep it so every point is used each epoch."),
        variant("sampling with replacement", lambda **kw: _minibatches(**kw, replace=True),
                "an epoch is a permutation: each index exactly once (rng.permutation), not rng.integers."),
    ],
    protect=["bpkit.optim.minibatches"],
    what="shuffled minibatch indices, a fresh permutation every epoch, on 1 visible and 5 random (n, B, epochs)",
)


# --- 04.cost --------------------------------------------------------------------------------

def _cost_case(rng):
    k, N = int(rng.integers(2, 5)), int(rng.integers(2, 12))
    return {"A": rng.random((k, N)), "Y": rng.random((k, N))}


exercise(
    "04.cost",
    reference=lambda A, Y: float(np.sum((Y - A) ** 2) / (2 * Y.shape[1])),                  # (9)
    visible=[_cost_case(np.random.default_rng(2)),
             {"A": _sigmoid(np.random.default_rng(3).normal(size=(2, 10))),          # Higham's N = 10
              "Y": np.array([[1.0] * 5 + [0.0] * 5, [0.0] * 5 + [1.0] * 5])}],
    hidden=_cost_case,
    n_hidden=5,
    variants=[
        variant("MATLAB's Σ‖y − a‖²", lambda A, Y: float(np.sum((Y - A) ** 2)),
                "that is the MATLAB code's cost, 2N times larger; eq. (9) is (1/N) Σ ½‖y − a‖²."),
        variant("missing ½", lambda A, Y: float(np.sum((Y - A) ** 2) / Y.shape[1]),
                "eq. (9) has a factor ½ in front of each ‖y − a‖² (it cancels the 2 of the derivative)."),
        variant("sum instead of mean", lambda A, Y: float(np.sum((Y - A) ** 2) / 2),
                "eq. (9) averages over the N columns: divide by N."),
    ],
    what="C = (1/N) Σ ½‖y^{i} − a^[L](x^{i})‖² (eq. 9) on 2 visible and 5 random cases",
)


# --- 04.softmax_ce_delta --------------------------------------------------------------------

def _ce_case(rng):
    k, N = int(rng.integers(2, 6)), int(rng.integers(2, 7))
    Y = np.eye(k)[:, rng.integers(0, k, size=N)]
    return {"Z": rng.normal(size=(k, N)) * 2, "Y": Y}


exercise(
    "04.softmax_ce_delta",
    reference=lambda Z, Y: (_softmax(Z, 0) - Y) / Y.shape[1],
    visible=[_ce_case(np.random.default_rng(4))],
    hidden=_ce_case,
    n_hidden=5,
    variants=[
        variant("softmax over the wrong axis", lambda Z, Y: (_softmax(Z, 1) - Y) / Y.shape[1],
                "examples are columns, classes are rows: softmax normalises each COLUMN (axis=0)."),
        variant("missing ÷N", lambda Z, Y: _softmax(Z, 0) - Y,
                "the cost is the mean over the N columns, so δ^[L] carries a 1/N."),
        variant("sign flip", lambda Z, Y: (Y - _softmax(Z, 0)) / Y.shape[1],
                "∂C/∂z^[L] = (softmax(z^[L]) − y)/N: prediction minus target."),
        variant("quadratic-cost δ", lambda Z, Y: _sigmoid(Z) * (1 - _sigmoid(Z)) * (_sigmoid(Z) - Y) / Y.shape[1],
                "with softmax + cross-entropy the σ′ factor cancels: δ^[L] = (softmax(z) − y)/N, no σ′."),
    ],
    what="δ^[L] = (softmax(z^[L]) − y)/N for the mean softmax cross-entropy on 1 visible and 5 random cases",
)


# --- 04.train -------------------------------------------------------------------------------

def _train_ref(X, Y, sign=1.0, eta=3.0, epochs=400, hidden=16, batch_size=10, seed=0):
    rng = np.random.default_rng(seed)
    p = _params(rng, [X.shape[0], hidden, Y.shape[0]])
    N = X.shape[1]
    for _ in range(epochs):
        perm = rng.permutation(N)
        for i in range(0, N, batch_size):
            idx = perm[i:i + batch_size]
            x, y, B = X[:, idx], Y[:, idx], len(idx)
            a2 = _sigmoid(p["W2"] @ x + p["b2"])
            a3 = _sigmoid(p["W3"] @ a2 + p["b3"])
            d3 = a3 * (1 - a3) * (a3 - y)                         # (22)
            d2 = a2 * (1 - a2) * (p["W3"].T @ d3)                 # (23)
            p["W3"] -= sign * eta * d3 @ a2.T / B                 # (25)
            p["b3"] -= sign * eta * d3.sum(axis=1, keepdims=True) / B   # (24)
            p["W2"] -= sign * eta * d2 @ x.T / B
            p["b2"] -= sign * eta * d2.sum(axis=1, keepdims=True) / B
    return p


def _train_case(rng):
    X, Y = disk(300, rng)
    return {"X": X, "Y": Y}


exercise(
    "04.train",
    reference=_train_ref,
    score=scores.train_accuracy,
    visible=[_train_case(np.random.default_rng(2024))],
    hidden=_train_case,
    n_hidden=2,
    timeout=60.0,
    variants=[
        variant("gradient ascent", lambda X, Y: _train_ref(X, Y, sign=-1.0, epochs=20),
                "the update must go against the gradient: p → p − η ∇C."),
        variant("learning rate far too small", lambda X, Y: _train_ref(X, Y, eta=1e-3, epochs=20),
                "with a tiny η the cost hardly moves in the time available: try η of order 1 for this data."),
    ],
    protect=["bpkit.optim.train_minibatch", "bpkit.optim.train_sgd_single"],
    what=f"a trained network reaching {THRESHOLD:.0%} accuracy on {N_HELD_OUT} held-out points drawn at grading time",
)
