"""Key-free scorers: property checks for exercises whose answer is not one fixed array.

A scorer takes (case, output) and returns (ok, message). It never compares with a reference
implementation, so it belongs to the student part of bpkit: the student's Validate uses it on
visible cases, and the instructor's re-judge on hidden ones. (The answer key lives in
bpkit_instructor/, which students never get.)
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

def minibatches(case, output):
    n, bs, epochs = case["n"], case["batch_size"], case["epochs"]
    per_epoch = -(-n // bs)
    if isinstance(output, np.ndarray) or not isinstance(output, (list, tuple)):
        return False, "return a list of index arrays (one per minibatch), not a single array."
    batches = [np.asarray(b, dtype=float).ravel() for b in output]
    if len(batches) == epochs * (n // bs):
        return False, (f"{len(batches)} batches, expected {epochs} × ⌈{n}/{bs}⌉ = {epochs * per_epoch}: "
                       "the last, smaller batch of each epoch is missing (keep it: every point is used once per epoch).")
    if len(batches) != epochs * per_epoch:
        return False, f"{len(batches)} batches, expected {epochs} epochs × ⌈{n}/{bs}⌉ = {epochs * per_epoch}."
    orders = []
    for e in range(epochs):
        chunk = batches[e * per_epoch:(e + 1) * per_epoch]
        sizes = [len(b) for b in chunk]
        want = [bs] * (n // bs) + ([n % bs] if n % bs else [])
        if sizes != want:
            return False, f"epoch {e + 1}: batch sizes {sizes}, expected {want}."
        order = np.concatenate(chunk)
        if not np.array_equal(np.sort(order), np.arange(n)):
            return False, (f"epoch {e + 1} does not use each index 0..{n - 1} exactly once: "
                           "shuffle a permutation (sampling WITH replacement repeats some points and skips others).")
        if np.array_equal(order, np.arange(n)):
            return False, f"epoch {e + 1} is in the original order 0, 1, 2, …: shuffle the data each epoch (seed 002)."
        orders.append(order)
    for e in range(1, epochs):
        if np.array_equal(orders[e], orders[0]):
            return False, (f"epoch {e + 1} has the same order as epoch 1: draw a NEW permutation at the start "
                           "of every epoch (seed 002: \"Randomly shuffle the dataset\" inside the epoch loop).")
    return True, f"{epochs} epochs of {per_epoch} batches, each epoch a fresh permutation of 0..{n - 1}."



# --- 04.train ----------------------------------------------------------------------------

THRESHOLD = 0.90
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
    except Exception as err:                       # shapes that do not chain
        return False, f"could not run the network on held-out points: {type(err).__name__}: {err}"
    if A.shape != Yh.shape:
        return False, f"the network outputs shape {A.shape} on held-out points, expected {Yh.shape}."
    acc = float(np.mean(A.argmax(axis=0) == Yh.argmax(axis=0)))
    if not acc >= THRESHOLD:
        return False, (f"accuracy {acc:.1%} on {N_HELD_OUT} held-out points; needs at least {THRESHOLD:.0%}. "
                       "Check the sign of the update, the learning rate and the number of epochs.")
    return True, f"accuracy {acc:.1%} on {N_HELD_OUT} held-out points (≥ {THRESHOLD:.0%})."


