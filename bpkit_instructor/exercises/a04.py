"""Assignment 04 — training with stochastic gradient descent (seed 001 pseudocode, seed 002 minibatches).

Parameters and gradients are dicts keyed by the lecture's layer numbers: {"W2", "b2", ..., "WL", "bL"}.
Examples are columns; targets are one-hot columns. References are self-contained numpy.
δ^[L] is per example; the batch mean (÷B) appears once, in the parameter gradients and the cost.

Lecture 04 shows the stable softmax (subtract the column maximum) and the 1-D quadratic
C(w) = ½λw², whose gradient descent is stable for η < 2/λ; the assignment transfers them to the
cross-entropy cost in the log domain (logsumexp) and to a quadratic with a full matrix H.
"""
import numpy as np

from bpkit.grading import scores
from bpkit_instructor.spec import exercise, variant
from bpkit.grading.scores import N_HELD_OUT, THRESHOLD, _sigmoid, disk



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


def _read_only(tree):
    """Hidden cases hand out read-only arrays: an update done in place on the caller's parameters
    (params[k] -= ...) raises "output array is read-only" at the student's own line."""
    for v in tree.values():
        v.setflags(write=False)
    return tree


def _sgd_case(rng, read_only=True):
    sizes = _random_sizes(rng)
    case = {"params": _params(rng, sizes), "grads": _params(rng, sizes),
            "eta": float(rng.uniform(0.01, 0.5))}
    if read_only:
        _read_only(case["params"])
        _read_only(case["grads"])
    return case


exercise(
    "04.sgd_update",
    reference=lambda params, grads, eta: _update(params, grads, eta),
    visible=[dict(_sgd_case(np.random.default_rng(1), read_only=False), eta=0.05)],
    hidden=_sgd_case,
    n_hidden=5,
    variants=[
        variant("sign flip (gradient ascent)", lambda params, grads, eta: _update(params, grads, eta, sign=-1.0),
                "descent goes AGAINST the gradient: subtract the scaled gradient (eq. 15)."),
        variant("forgot η", lambda params, grads, eta: _update(params, grads, eta, use_eta=False),
                "the step is the gradient scaled by the learning rate η."),
        variant("biases not updated", lambda params, grads, eta: _update(params, grads, eta, biases=False),
                "update every parameter: the biases b^[l] take a step too, as well as the weights "
                "(eq. 15)."),
        variant("returned the step instead of the updated parameters",
                lambda params, grads, eta: {k: -eta * grads[k] for k in params},
                "you returned the step itself; return the parameters AFTER the step, for every key"
                " (eq. 15)."),
        variant("returned the scaled gradient instead of the updated parameters",
                lambda params, grads, eta: {k: eta * grads[k] for k in params},
                "the scaled gradient is the step (to subtract); return the updated parameters, for"
                " every key (eq. 15)."),
    ],
    protect=["bpkit.optim.sgd_step", "bpkit.optim.SGD"],
    what="p → p − η ∇C for every W^[l] and b^[l] (eq. 15), returned as a new dict, on 1 visible "
         "network and 5 random ones whose arrays are read-only",
)


# --- 04.minibatches -------------------------------------------------------------------------

def _minibatches(n, batch_size, epochs, seed, shuffle=True, reshuffle=True, drop_last=False,
                 replace=False, split=False, use_seed=True):
    rng = np.random.default_rng(seed if use_seed else 20261130)  # its own seed, whatever it is given
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
        if split:
            out += list(np.array_split(order, max(n // batch_size, 1)))
            continue
        stop = n - n % batch_size if drop_last else n
        out += [order[i:i + batch_size] for i in range(0, stop, batch_size)]
    return out


_MB_CYCLE = []


def _mb_case(rng):
    """Cases come in triples (seed s, seed s again, seed s + 1): see scores.minibatches."""
    if not _MB_CYCLE:
        while True:
            n, bs = int(rng.integers(12, 41)), int(rng.integers(2, 9))
            if n % bs and n // bs >= 2:
                break
        base = {"n": n, "batch_size": bs, "epochs": int(rng.integers(2, 5)),
                "seed": int(rng.integers(1, 2**62))}
        _MB_CYCLE.extend([base, dict(base), dict(base, seed=base["seed"] + 1)])
    return _MB_CYCLE.pop(0)


exercise(
    "04.minibatches",
    reference=_minibatches,
    score=scores.minibatches,
    visible=[{"n": 12, "batch_size": 5, "epochs": 3, "seed": 0},
             {"n": 12, "batch_size": 5, "epochs": 3, "seed": 0},
             {"n": 12, "batch_size": 5, "epochs": 3, "seed": 1}],
    hidden=_mb_case,
    n_hidden=6,
    variants=[
        variant("no shuffle", lambda **kw: _minibatches(**kw, shuffle=False),
                "shuffle the indices before cutting them into batches (seed 002)."),
        variant("same order every epoch", lambda **kw: _minibatches(**kw, reshuffle=False),
                "draw a new permutation at the start of EVERY epoch, not once before the loop."),
        variant("drops the last partial batch", lambda **kw: _minibatches(**kw, drop_last=True),
                "when B does not divide n, the last batch is smaller; keep it so every point is used each epoch."),
        variant("sampling with replacement", lambda **kw: _minibatches(**kw, replace=True),
                "an epoch is a permutation: each index exactly once, not indices drawn at random "
                "with repeats (lecture 04, section 4)."),
        variant("split evenly into a number of pieces instead of cut into batches", lambda **kw: _minibatches(**kw, split=True),
                "splitting into a fixed number of pieces spreads the points evenly; here every "
                "batch has exactly batch_size points, only the last one fewer: cut the permutation"
                " into consecutive runs of that size."),
        variant("ignores the seed", lambda **kw: _minibatches(**kw, use_seed=False),
                "take all the randomness from a generator made from `seed`: the same seed must "
                "give the same batches."),
    ],
    protect=["bpkit.optim.minibatches"],
    what="shuffled minibatch indices, a fresh permutation every epoch, reproducible from the seed, "
         "on 3 visible and 6 random (n, B, epochs, seed)",
)


# --- 04.ce_cost -----------------------------------------------------------------------------

def _ce(Z, Y, how="stable", axis=0):
    B = Y.shape[1]
    if how == "naive":
        with np.errstate(all="ignore"):
            E = np.exp(Z)
            return float(-np.sum(Y * np.log(E / E.sum(axis=0, keepdims=True))) / B)
    m = Z.max(axis=axis, keepdims=True)
    lse = m + np.log(np.exp(Z - m).sum(axis=axis, keepdims=True))          # log Σ_j e^{z_j}
    C = -np.sum(Y * (Z - lse))                                             # −Σ y log softmax(z)
    if how == "sum":
        return float(C)
    if how == "all":
        return float(C / Y.size)
    if how == "sign":
        return float(-C / B)
    return float(C / B)


def _ce_case(rng, k=None, B=None, big=None):
    k = k or int(rng.integers(2, 6))
    B = B or int(rng.integers(2, 8))
    big = rng.random() < 0.5 if big is None else big
    return {"Z": rng.normal(size=(k, B)) * (1000.0 if big else 2.0), "Y": np.eye(k)[:, rng.integers(0, k, size=B)]}


exercise(
    "04.ce_cost",
    reference=lambda Z, Y: _ce(Z, Y),
    visible=[_ce_case(np.random.default_rng(4), 3, 5, False), _ce_case(np.random.default_rng(5), 4, 3, True)],
    hidden=_ce_case,
    n_hidden=6,
    variants=[
        variant("log of softmax computed directly (overflow, or the log of zero)", lambda Z, Y: _ce(Z, Y, "naive"),
                "for logits of a few hundred the exponential overflows, and even a stabilised "
                "softmax underflows to 0, whose log is minus infinity: compute the log of softmax "
                "through logsumexp with the column maximum taken out (lecture 04, section 6)."),
        variant("sum instead of mean", lambda Z, Y: _ce(Z, Y, "sum"),
                "C is the MEAN over the B columns (examples): divide the sum by B."),
        variant("mean over all entries", lambda Z, Y: _ce(Z, Y, "all"),
                "divide by the number of examples B (columns), not by the number of entries of the"
                " matrix."),
        variant("missing minus sign", lambda Z, Y: _ce(Z, Y, "sign"),
                "the cross-entropy is positive: the log of a probability is never positive, so the"
                " cost carries a minus sign (lecture 04, section 6)."),
        variant("logsumexp over the wrong axis", lambda Z, Y: _ce(Z, Y, axis=1),
                "classes are rows, examples are columns: logsumexp runs down each COLUMN."),
    ],
    protect=["bpkit.losses.softmax_cross_entropy", "bpkit.losses.SoftmaxCrossEntropy"],
    what="the mean softmax cross-entropy, stable for logits in the thousands, on 2 visible and 6 random batches",
)


# --- 04.max_stable_eta ----------------------------------------------------------------------

def _eta(H, how="max"):
    lam = np.linalg.eigvalsh((H + H.T) / 2)
    if how == "max":
        return 2.0 / lam.max()
    if how == "monotone":
        return 1.0 / lam.max()
    if how == "min":
        return 2.0 / lam.min()
    if how == "diag":
        return 2.0 / np.max(np.diag(H))
    if how == "trace":
        return 2.0 / np.trace(H)
    raise ValueError(how)


def _spd_case(rng, n=None):
    n = n or int(rng.integers(2, 6))
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))              # random eigen-directions
    lam = rng.uniform(0.2, 10.0, size=n) * float(rng.choice([0.1, 1.0, 10.0]))
    return {"H": (Q * lam) @ Q.T}


exercise(
    "04.max_stable_eta",
    reference=lambda H: _eta(H),
    visible=[_spd_case(np.random.default_rng(30), 2), _spd_case(np.random.default_rng(31), 3)],
    hidden=_spd_case,
    n_hidden=6,
    variants=[
        variant("one over the largest eigenvalue (no overshoot allowed)", lambda H: _eta(H, "monotone"),
                "for a step between one and two over λ, the coordinate along that eigen-direction "
                "changes sign every step but still shrinks: the bound is where the factor per step"
                " reaches minus one (lecture 04, section 5)."),
        variant("the bound of the flattest direction", lambda H: _eta(H, "min"),
                "GD must be stable along EVERY eigen-direction of H; the steepest one (largest λ) "
                "is the first to diverge as η grows."),
        variant("largest diagonal entry instead of the largest eigenvalue", lambda H: _eta(H, "diag"),
                "the off-diagonal entries of H couple the weights: in the eigenvector coordinates "
                "of H each direction is a one-dimensional problem whose curvature is an EIGENVALUE"
                " (lecture 04, section 5)."),
        variant("the bound from the trace of H", lambda H: _eta(H, "trace"),
                "the trace is the sum of all eigenvalues, larger than the largest one: that bound "
                "is safe but not the largest stable η."),
    ],
    what="the largest stable learning rate of gradient descent on C(w) = ½ wᵀHw, on 2 visible and "
         "6 random symmetric positive definite H",
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
                "the update must go against the gradient (eq. 15)."),
        variant("learning rate far too small", lambda X, Y: _train_ref(X, Y, eta=1e-3, epochs=20),
                "with a tiny η the cost hardly moves in the time available: try η of order 1 for this data."),
    ],
    protect=["bpkit.optim.train_minibatch", "bpkit.optim.train_sgd_single"],
    what=f"a trained network reaching {THRESHOLD:.0%} accuracy on {N_HELD_OUT} held-out points drawn at grading time",
)


# --- 04.q_learning_rate: reasoning, read off the student's own plot ---------------------------
# Full-batch gradient descent on disk(300, default_rng(10)), 2-16-2 sigmoid net, init N(0, 1)
# from default_rng(1), 500 steps, η ∈ {0.1, 1, 10, 100} (deterministic: measured with seeds 1-3
# alike). Q1: the lowest cost after 500 steps is η = 10 -> 3. Q2: η = 100 jumps to C ≈ 0.5 and
# stays (saturated outputs, σ′ ≈ 0; the cost of a sigmoid network is bounded) -> 2.
_Q = (3, 2)
exercise(
    "04.q_learning_rate",
    reference=lambda: _Q,
    visible=[{}],
    hidden=lambda rng: {},
    n_hidden=1,
    value=True,
    choices=(1, 2, 3, 4),
    variants=[
        variant("Q1: the largest η is best", (4, 2),
                "Q1: read the four curves at step 500 — which one is lowest there? (Your Q2 is the"
                " value of the curve with the largest η, 100.)"),
        variant("Q1: a small η is safest, so best", (1, 2),
                "Q1: read the curves at step 500, not at the start: how far has the curve of the "
                "smallest η, 0.1, moved from its starting plateau?"),
        variant("Q2: divergence to inf", (3, 1),
                "Q2: the outputs of a sigmoid network lie between 0 and 1, so this cost is bounded"
                " and can never blow up: the curve for η 100 jumps to about 0.5 and stays flat — "
                "the output units saturate and σ′ is almost zero."),
        variant("Q2: slow oscillating convergence", (3, 3),
                "Q2: the curve for η 100 is flat at about 0.5 for all 500 steps, it does not come "
                "down: saturated sigmoids (σ′ almost zero) give almost no gradient."),
    ],
    what="the form of your two choices (each 1–4); the choices themselves are graded when you submit",
)
