"""Assignment 04 — training with stochastic gradient descent (Applied Mathematics lecture 5's pseudocode,
Cornell CS3780 lecture 22's minibatches).

Parameters and gradients are dicts keyed by the lecture's layer numbers: {"W2", "b2", ..., "WL", "bL"}.
Examples are columns; targets are one-hot columns. References are self-contained numpy.
δ^[L] is per example; the batch mean (÷B) appears once, in the parameter gradients and the cost.

Lecture 04 shows the stable softmax (subtract the column maximum) and the 1-D quadratic
C(w) = ½cw², whose gradient descent is stable for η < 2/c; the assignment transfers them to the
cross-entropy cost in the log domain (logsumexp) and to a quadratic with a full matrix H (eigenvalues
λ_i, bound 2/λ_max). It also runs Higham & Higham's loop on their ten points with the cross-entropy.
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
                "shuffle the indices before cutting them into batches (Cornell CS3780 lecture 22)."),
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
# from default_rng(1), 500 steps, η ∈ {0.1, 1, 10, 100} (deterministic). Measured costs after 500
# steps: 0.250, 0.242, 0.088, 0.490. Q1: the lowest is η = 10 -> 3. Q2: the cost of η = 100 after
# 500 steps, read off the plot: 0.49 (the outputs saturate and the cost sticks; a sigmoid network's
# cost is bounded). rtol 0.06 accepts 0.46-0.52 for Q2 and still tells the choices of Q1 apart.
_Q = (3, 0.49)
exercise(
    "04.q_learning_rate",
    reference=lambda: _Q,
    visible=[{}],
    hidden=lambda rng: {},
    n_hidden=1,
    value=True,
    rtol=0.06, atol=0.0,
    variants=[
        variant("Q1: the largest η is best", (4, 0.49),
                "Q1: read the four curves at step 500 — which one is lowest there? (Your Q2 is the"
                " value of the curve with the largest η, 100.)"),
        variant("Q1: a small η is safest, so best", (1, 0.49),
                "Q1: read the curves at step 500, not at the start: how far has the curve of the "
                "smallest η, 0.1, moved from its starting plateau?"),
        variant("Q2: the starting plateau", (3, 0.25),
                "Q2: that is where the small learning rates sit; find the curve labelled with η "
                "100 and read its last value."),
        variant("Q2: the value of the curve for η 10", (3, 0.09),
                "Q2: that is the curve for η 10; the question asks about the one for η 100."),
        variant("Q2: the first step's cost", (3, 0.29),
                "Q2: that is the curve for η 100 at its first step; read it after 500 steps."),
    ],
    what="the form of your answer (a choice and a number); the values are graded when you submit",
)


# --- 04.higham_sgd: the paper's loop on the ten points, cross-entropy output error ------------
_X_H = [[0.1, 0.3, 0.1, 0.6, 0.4, 0.6, 0.5, 0.9, 0.4, 0.7],     # plain lists: a pasted variant
        [0.1, 0.4, 0.5, 0.9, 0.2, 0.3, 0.6, 0.2, 0.4, 0.6]]     # (bpkit simulate) carries them as text
_Y_H = [[1.0] * 5 + [0.0] * 5, [0.0] * 5 + [1.0] * 5]


def _higham(params, ks, eta, quadratic=False, eager=False, batch=False, one_based=False):
    p = {k: np.array(v, dtype=float) for k, v in params.items()}
    L = 1 + len(p) // 2
    ks = [int(k) for k in np.asarray(ks).ravel()]
    steps = [ks] if batch else [[k] for k in ks]
    for group in steps:
        idx = [(k - 1) if one_based else k for k in group]
        a = {1: np.asarray(_X_H)[:, idx]}
        for l in range(2, L + 1):
            a[l] = _sigmoid(p[f"W{l}"] @ a[l - 1] + p[f"b{l}"])
        d = a[L] - np.asarray(_Y_H)[:, idx]
        if quadratic:
            d = a[L] * (1 - a[L]) * d
        B = len(idx)
        grads = {}
        for l in range(L, 1, -1):
            grads[l] = (d @ a[l - 1].T / B, d.sum(axis=1, keepdims=True) / B)
            if eager:                                   # W^[l] changed before δ^[l−1] uses it
                p[f"W{l}"] = p[f"W{l}"] - eta * grads[l][0]
                p[f"b{l}"] = p[f"b{l}"] - eta * grads[l][1]
            if l > 2:
                d = a[l - 1] * (1 - a[l - 1]) * (p[f"W{l}"].T @ d)
        if not eager:
            for l in range(2, L + 1):
                p[f"W{l}"] = p[f"W{l}"] - eta * grads[l][0]
                p[f"b{l}"] = p[f"b{l}"] - eta * grads[l][1]
    return p


def _higham_case(rng):
    return {"params": _read_only(_params(rng, [2, 2, 3, 2])),
            "ks": rng.integers(1, 10, size=int(rng.integers(3, 9))),     # index 0 never drawn: 1-based
            "eta": float(rng.uniform(0.3, 2.0))}                         # reads show on every case


exercise(
    "04.higham_sgd",
    reference=_higham,
    visible=[{"params": {k: 0.5 * v for k, v in _params(np.random.default_rng(5000), [2, 2, 3, 2]).items()},
              "ks": np.array([0, 9, 4, 6]), "eta": 0.5},
             {"params": _params(np.random.default_rng(7), [2, 2, 3, 2]), "ks": np.array([3, 3, 8]), "eta": 1.5}],
    hidden=_higham_case,
    variants=[
        variant("the quadratic cost's output error (σ′ kept in δ^[L])",
                lambda params, ks, eta: _higham(params, ks, eta, quadratic=True),
                "that is the output error of the quadratic cost (22). Lecture 04, section 6 derives "
                "what the cross-entropy's δ^[L] becomes: something cancels."),
        variant("W^[l] updated before δ^[l−1] was computed through it",
                lambda params, ks, eta: _higham(params, ks, eta, eager=True),
                "within one step, every δ^[l] must be computed with the weights of that step; you "
                "changed W^[l] before the recursion (23) used it. See the order of the paper's "
                "pseudocode in lecture 04, section 3."),
        variant("one averaged step over all of ks instead of one step per point",
                lambda params, ks, eta: _higham(params, ks, eta, batch=True),
                "the paper's loop takes one step (15) per chosen point, in order, each from the "
                "weights the previous step left (lecture 04, section 3); you averaged the points into "
                "a single minibatch step."),
        variant("points counted from 1 (the previous index used)",
                lambda params, ks, eta: _higham(params, ks, eta, one_based=True),
                "the contract counts the points from 0 (column k of X_higham); the paper numbers "
                "them from 1, Python from 0."),
    ],
    what="the parameters after the paper's SGD loop with the cross-entropy on the ten points, on 2 "
         "visible and 5 random starts, index sequences and learning rates",
)
