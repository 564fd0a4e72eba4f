"""Key-free scorers: property checks for exercises whose answer is not one fixed array.

A scorer takes (case, output) and returns (ok, message). It never compares with a reference
implementation, so it belongs to the student part of bpkit: the student's Validate uses it on
visible cases, and the instructor's re-judge on hidden ones. (The answer key lives in
the instructor's package, which students never get.)
"""
import numpy as np


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def disk(n, rng):
    """The toy data set of exercise 04.train: uniform points in the unit square, category A
    (target [1, 0]) inside the circle of radius 0.4 around (0.5, 0.5), category B ([0, 1]) outside."""
    X = rng.random((2, n))
    inside = (X[0] - 0.5) ** 2 + (X[1] - 0.5) ** 2 < 0.16
    return X, np.vstack([inside, ~inside]).astype(float)



# --- 04.minibatches ----------------------------------------------------------------------

# The previous call's answer for each (n, batch_size, epochs), in this judge process: the cases
# of 04.minibatches come in triples (seed s, the same seed s again, seed s + 1), so a generator
# that ignores its seed is caught — same seed, other batches; or other seed, same batches.
# Hidden triples have random sizes and seeds, so one judge's answers never meet another's.
_PREVIOUS: dict = {}


def _epoch_sizes(batches, per_epoch, epochs):
    return [[len(b) for b in batches[e * per_epoch:(e + 1) * per_epoch]] for e in range(epochs)]


def minibatches(case, output):
    n, bs, epochs, seed = case["n"], case["batch_size"], case["epochs"], case["seed"]
    per_epoch = -(-n // bs)
    want = [bs] * (n // bs) + ([n % bs] if n % bs else [])
    if isinstance(output, np.ndarray) or not isinstance(output, (list, tuple)):
        return False, "return a list of index arrays (one per minibatch), not a single array."
    batches = [np.asarray(b, dtype=float).ravel() for b in output]
    sizes = [len(b) for b in batches]
    if sum(sizes) == epochs * n and sizes != want * epochs:
        # every point is there, cut differently: np.array_split, or batches of another size
        k = len(batches) // epochs if len(batches) % epochs == 0 else None
        first = sizes[:k] if k else sizes[:per_epoch]
        msg = (f"batch sizes {first} in epoch 1, expected {want} (batch_size = {bs}, "
               f"the last batch smaller when {bs} does not divide n).")
        if max(sizes) - min(sizes) <= 1 and max(sizes) != bs:
            msg += (" Equal-sized pieces like these come from np.array_split(perm, k), which spreads "
                    "the points evenly over k batches; cut with slices perm[i:i + batch_size] instead.")
        return False, msg
    if sizes == [bs] * (n // bs) * epochs and n % bs:
        return False, (f"{len(batches)} batches, expected {epochs} × ⌈{n}/{bs}⌉ = {epochs * per_epoch}: "
                       "the last, smaller batch of each epoch is missing (keep it: every point is used "
                       "once per epoch).")
    if len(batches) != epochs * per_epoch:
        return False, f"{len(batches)} batches, expected {epochs} epochs × ⌈{n}/{bs}⌉ = {epochs * per_epoch}."
    orders = []
    for e, got in enumerate(_epoch_sizes(batches, per_epoch, epochs)):
        if got != want:
            return False, f"epoch {e + 1}: batch sizes {got}, expected {want}."
        order = np.concatenate(batches[e * per_epoch:(e + 1) * per_epoch])
        if not np.array_equal(np.sort(order), np.arange(n)):
            return False, (f"epoch {e + 1} does not use each index 0..{n - 1} exactly once: "
                           "shuffle a permutation (sampling WITH replacement repeats some points and skips others).")
        if np.array_equal(order, np.arange(n)):
            return False, (f"epoch {e + 1} is in the original order 0, 1, 2, …: shuffle the data each epoch "
                           "(Cornell CS3780 lecture 22).")
        orders.append(order)
    for e in range(1, epochs):
        if np.array_equal(orders[e], orders[0]):
            return False, (f"epoch {e + 1} has the same order as epoch 1: draw a NEW permutation at the start "
                           "of every epoch (Cornell CS3780 lecture 22: \"Randomly shuffle the dataset\" inside the "
                           "epoch loop).")
    key, answer = (n, bs, epochs), np.concatenate(orders)
    previous = _PREVIOUS.pop(key, None)
    if len(_PREVIOUS) > 256:                         # a long-lived process: keep the memory small
        _PREVIOUS.clear()
    _PREVIOUS[key] = (seed, answer)
    if previous is not None:
        same_seed, same_batches = previous[0] == seed, np.array_equal(previous[1], answer)
        if same_seed and not same_batches:
            return False, ("called twice with the same seed, your function returned different batches: "
                           "take every random number from np.random.default_rng(seed) — not from np.random.* "
                           "or an unseeded default_rng() — so that a run can be repeated.")
        if not same_seed and same_batches:
            return False, ("two different seeds gave exactly the same batches: the shuffle must come from "
                           "np.random.default_rng(seed), with the seed argument you were given.")
    return True, f"{epochs} epochs of {per_epoch} batches, each epoch a fresh permutation of 0..{n - 1}."



# --- 04.train ----------------------------------------------------------------------------

# The bar has margin for a correct answer on every draw: the reference and the solution, trained
# on 190 fresh draws of disk(300), scored 91.2-99 % on 1000 held-out points (a correct solution
# once failed a 90 % bar in CI: an unlucky training set plus the held-out set's own noise, about
# 1 point); gradient ascent and a tiny step stay near 50 %.
THRESHOLD = 0.85
N_HELD_OUT = 1000


def _predict(params, X):
    L = 1 + sum(1 for k in params if str(k).startswith("W"))
    a = X
    for l in range(2, L + 1):
        a = _sigmoid(params[f"W{l}"] @ a + params[f"b{l}"])
    return a


def train_accuracy(case, output):
    if not isinstance(output, dict) or not any(str(k).startswith("W") for k in output):
        return False, 'return the parameters as a dict {"W2": ..., "b2": ..., "W3": ..., "b3": ...}.'
    L = 1 + sum(1 for k in output if str(k).startswith("W"))
    need = {f"{p}{l}" for l in range(2, L + 1) for p in "Wb"}
    if set(map(str, output)) != need:
        return False, f"parameter keys {sorted(map(str, output))}, expected {sorted(need)}."
    held = np.random.default_rng()                  # drawn now, never shipped
    Xh, Yh = disk(N_HELD_OUT, held)
    try:
        with np.errstate(all="ignore"):
            A = _predict(output, Xh)
    except Exception as err:  # noqa: BLE001 - shapes that do not chain are the answer's mistake
        return False, f"could not run the network on held-out points: {type(err).__name__}: {err}"
    if A.shape != Yh.shape:
        return False, f"the network outputs shape {A.shape} on held-out points, expected {Yh.shape}."
    acc = float(np.mean(A.argmax(axis=0) == Yh.argmax(axis=0)))
    if not acc >= THRESHOLD:
        return False, (f"accuracy {acc:.1%} on {N_HELD_OUT} held-out points; needs at least {THRESHOLD:.0%}. "
                       "Check the sign of the update, the learning rate and the number of epochs.")
    return True, f"accuracy {acc:.1%} on {N_HELD_OUT} held-out points (≥ {THRESHOLD:.0%})."




# --- 05.leaky_init -----------------------------------------------------------------------
# Graded by its distribution, not by one draw order: any correct way of drawing passes.
# Each statistic is compared with its standard error under the target distribution; a correct
# draw passes all of them unless one of them is more than Z_MAX standard errors off (probability
# below 1e-7 per statistic), while a wrong scale, family or mean misses by ten or more.

Z_MAX = 5.5


def _leaky_second_moment(alpha):
    """E[leaky(ζ)²] for ζ ~ N(0, 1), leaky(ζ) = max(ζ, αζ), by Gauss–Hermite quadrature (exact
    here: the nodes are symmetric, none at 0, so each half sums a polynomial exactly)."""
    x, w = np.polynomial.hermite_e.hermegauss(40)
    a = np.where(x > 0, x, alpha * x)
    return float(np.sum(w * a ** 2) / np.sum(w))


def leaky_init(case, output):
    n_out, n_in, alpha = case["n_out"], case["n_in"], case["alpha"]
    dist = case.get("dist", "normal")
    W = np.asarray(output, dtype=float)
    if W.shape != (n_out, n_in):
        extra = " (the transpose: W^[l] is (n_out, n_in), one row per unit of layer l)" \
            if W.shape == (n_in, n_out) else ""
        return False, f"W has shape {W.shape}, expected (n_out, n_in) = {(n_out, n_in)}{extra}."
    if not np.all(np.isfinite(W)):
        return False, "W contains NaN or inf."
    N = W.size
    if len(np.unique(W, axis=0)) < n_out:
        return False, ("some rows of W are identical: units that start equal stay equal "
                       "(the symmetry problem of lecture 05, section 4); draw every entry independently.")
    # the variance that keeps Var z^[l] from layer to layer: n_in · Var(w) · E[leaky(ζ)²] = 1
    target_var = 1.0 / (n_in * _leaky_second_moment(alpha))
    mean, var = float(W.mean()), float(W.var())
    kurt = float(np.mean((W - mean) ** 4) / var ** 2 - 3.0) if var > 0 else np.inf
    want_kurt = {"normal": 0.0, "uniform": -1.2}[dist]
    if abs(kurt - want_kurt) > Z_MAX * np.sqrt(24.0 / N):
        other = ("uniform" if abs(kurt + 1.2) < abs(kurt) else "normal" if abs(kurt) < 1.0
                 else "neither normal nor uniform")
        return False, (f"the entries do not look {dist}: their excess kurtosis is {kurt:.2f} "
                       f"(a {dist} distribution has {want_kurt:g}; yours looks {other}).")
    if abs(mean) > Z_MAX * np.sqrt(target_var / N):
        return False, f"the entries have mean {mean:.3g}: the weights must be drawn around 0."
    sd_rel = np.sqrt((2.0 if dist == "normal" else 0.8) / N)   # standard error of var / target
    gain = var / target_var
    if abs(gain - 1.0) > Z_MAX * sd_rel:
        way = "shrink" if gain < 1 else "grow"
        return False, (f"with this spread a leaky-relu layer multiplies Var z by {gain:.2f} instead of 1 "
                       f"(n_in · Var(w) · E[a²]/Var z), so the signal would {way} geometrically with depth. "
                       "Derive Var(w) from Var z^[l] = n_in Var(w) E[(a^[l−1])²].")
    return True, (f"{dist} entries, mean ≈ 0, and n_in · Var(w) · E[a²]/Var z = {gain:.3f} "
                  f"(1 within {Z_MAX * sd_rel:.2f}): the variance is kept from layer to layer.")



# --- 10.topological_order ------------------------------------------------------------------

def topological_order(case, output):
    """A valid order lists every node reachable from the root exactly once, each AFTER all its
    children (micrograd's order; backward() walks it in reverse)."""
    children, root = case["children"], int(case["root"])
    order = np.asarray(output, dtype=float).ravel()
    if order.size and not np.all(order == np.round(order)):
        return False, "return a list of node indices (integers)."
    order = [int(v) for v in order]
    reachable, stack = set(), [root]
    while stack:
        v = stack.pop()
        if v not in reachable:
            reachable.add(v)
            stack.extend(children[v])
    if len(order) != len(set(order)):
        dup = sorted({v for v in order if order.count(v) > 1})
        return False, (f"node(s) {dup[:5]} appear more than once: a node reachable by several paths "
                       "must be visited once (keep a set of visited nodes).")
    if set(order) != reachable:
        missing, extra = sorted(reachable - set(order)), sorted(set(order) - reachable)
        if missing:
            return False, f"{len(missing)} node(s) reachable from the root are missing (e.g. {missing[:3]})."
        return False, f"node(s) {extra[:3]} are not reachable from the root: start the search at the root."
    position = {v: i for i, v in enumerate(order)}
    for v in order:
        for c in children[v]:
            if position[c] > position[v]:
                return False, (f"node {v} comes before its child {c}: list a node only after all its "
                               "children (append it after the recursive calls).")
    return True, f"a valid topological order of the {len(order)} nodes reachable from the root."



# --- 11.accuracy (the capstone) ------------------------------------------------------------
# The data set: two interleaved spirals of two turns (bpkit.data.spirals), generated offline from
# a seed. The budget is a DEEP network at a small step: 40 residual blocks (81 dense layers
# counted as a plain stack), η0 = 0.001 with momentum β = 0.9, 10 epochs. The bar is set where the
# reference (residual blocks + batch norm + dropout, momentum, step decay) clears it with margin on
# every draw measured, and where each technique shows (tests/test_capstone_ablation.py, per draw):
# the plain stack of the same widths (no batch norm, no skips) misses it at every step size from
# 1e-4 to 3e-2 (He et al. 2016: a deep plain stack does not train where its residual twin does);
# without the skips or without batch norm the network stays near chance at the budget's rate;
# without momentum (β = 0, same η) it trains about ten times slower and loses several points.
CAPSTONE_BUDGET = {"n_train": 1200, "hidden": 24, "blocks": 40, "epochs": 10, "batch_size": 32,
                   "eta0": 0.001, "beta": 0.9, "drop": 0.5, "every": 5, "p": 0.1}
CAPSTONE_BAR = 0.90
CAPSTONE_N_TEST = 4000
_CAPSTONE_VALIDATION_SALT = 911  # visible: the validation set is no secret

# imported with this module, not inside capstone_data: the judge's child, where the student's
# train_capstone runs, may not read bpkit's source, so it cannot import a bpkit module late
from bpkit.data import spirals as _spirals  # noqa: E402


def capstone_data(n, rng, angle=0.0):
    """(X (2, n), y (n,)) of the capstone's data set: spirals with 2 turns, no noise, rotated by
    `angle` radians (hidden cases draw the angle, so a network trained once and pasted in as
    numbers does not pass them: each case's network must be trained on that case's data)."""
    X, y = _spirals(n, noise=0.0, turns=2.0, rng=rng)
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]]) @ X, y


def capstone_scores(params, X, eps=1e-5):
    """Eval-mode scores of the capstone architecture (running statistics, no dropout)."""
    K = sum(1 for k in params if str(k).startswith("V"))

    def bn(u, i):
        return (params[f"gamma{i}"] * (u - params[f"mean{i}"]) / np.sqrt(params[f"var{i}"] + eps)
                + params[f"beta{i}"])

    h = np.maximum(bn(params["W0"] @ X, 0), 0)
    for k in range(1, K + 1):
        h = h + params[f"V{k}"] @ np.maximum(bn(params[f"W{k}"] @ h, k), 0) + params[f"c{k}"]
    return params["Wout"] @ h + params["bout"]


def capstone_accuracy_on(output, X, y, where="validation") -> tuple[bool, str]:
    """(passed, message) of the returned parameters on the points X, labels y: at least
    CAPSTONE_BAR accuracy in eval mode."""
    if not isinstance(output, dict) or "W0" not in output:
        return False, 'return the trained parameters as a dict {"W0": ..., "gamma0": ..., ...}.'
    K = sum(1 for k in output if str(k).startswith("V"))
    need = {"W0", "gamma0", "beta0", "mean0", "var0", "Wout", "bout"} | {
        f"{p}{k}" for k in range(1, K + 1) for p in ("W", "gamma", "beta", "mean", "var", "V", "c")}
    if set(map(str, output)) != need:
        missing, extra = sorted(need - set(map(str, output))), sorted(set(map(str, output)) - need)
        return False, f"parameter keys: missing {missing[:6]}, unexpected {extra[:6]}."
    n = X.shape[1]
    try:
        with np.errstate(all="ignore"):
            S = capstone_scores(output, X)
    except Exception as err:  # noqa: BLE001 - shapes that do not chain are the answer's mistake
        return False, f"could not run the network on {where} points: {type(err).__name__}: {err}"
    if S.shape != (2, n):
        return False, f"the network outputs shape {S.shape} on {where} points, expected {(2, n)}."
    acc = float(np.mean(S.argmax(axis=0) == y))
    if not acc >= CAPSTONE_BAR:
        return False, (f"accuracy {acc:.1%} on {n} {where} points; needs at least "
                       f"{CAPSTONE_BAR:.0%}. Check the gradients (11.model_gradients), that the running "
                       "statistics are stored, and the budget.")
    return True, f"accuracy {acc:.1%} on {n} {where} points (≥ {CAPSTONE_BAR:.0%})."


def capstone_accuracy(case, output):
    """The visible check: accuracy on CAPSTONE_N_TEST validation points drawn from the case's
    data seed and angle (the same answer always gets the same verdict). Grading uses a held-out
    set that only the instructor's key can draw."""
    rng = np.random.default_rng([_CAPSTONE_VALIDATION_SALT, int(case["data_seed"])])
    X, y = capstone_data(CAPSTONE_N_TEST, rng, float(case.get("angle", 0.0)))
    return capstone_accuracy_on(output, X, y, "validation")


# --- 11.overfit_small: the "overfit a tiny subset first" habit (issue 23) ------------------------
# Before a long run, a network with far more parameters than examples must be able to memorise a
# handful of them; if it cannot, the data, the gradients or the update are wrong. The scorer needs
# no secret: the 20 examples are the first 20 of the case's own training set.
CAPSTONE_OVERFIT_N = 20
CAPSTONE_OVERFIT_COST = 0.01


def capstone_overfit(case, output):
    """Eval-mode accuracy 100 % and mean cross-entropy below CAPSTONE_OVERFIT_COST on the first
    CAPSTONE_OVERFIT_N examples of capstone_data(n_train, default_rng(data_seed), angle)."""
    X, y = capstone_data(CAPSTONE_BUDGET["n_train"], np.random.default_rng(int(case["data_seed"])),
                         float(case.get("angle", 0.0)))
    X, y = X[:, :CAPSTONE_OVERFIT_N], y[:CAPSTONE_OVERFIT_N]
    ok, msg = capstone_accuracy_on(output, X, y, "training")
    if not ok and "accuracy" not in msg:
        return ok, msg                               # the parameters do not form the network
    with np.errstate(all="ignore"):
        S = capstone_scores(output, X)
        S = S - S.max(axis=0, keepdims=True)
        log_p = S - np.log(np.exp(S).sum(axis=0, keepdims=True))
        cost = float(-np.mean(log_p[y, np.arange(len(y))]))
        acc = float(np.mean(S.argmax(axis=0) == y))
    if acc == 1.0 and cost < CAPSTONE_OVERFIT_COST:
        return True, (f"all {len(y)} training examples right, eval-mode cost {cost:.2g} "
                      f"(< {CAPSTONE_OVERFIT_COST:g}): the network can learn")
    return False, (f"eval-mode accuracy {acc:.0%} and cost {cost:.3g} on the {len(y)} examples it was "
                   f"trained on; memorising them should reach 100 % and a cost below "
                   f"{CAPSTONE_OVERFIT_COST:g}. Train on these examples only, as one batch, with dropout "
                   "off, long enough; and store the running statistics (eval mode uses them).")
