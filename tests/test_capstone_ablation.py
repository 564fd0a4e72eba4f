"""Does each technique of the capstone (assignment 11) matter on its task? Ablations measured.

The reference (batch norm + residual blocks + momentum, scores.CAPSTONE_BUDGET) is trained with
one technique removed at a time, on the same data, initialisation, budget and learning rate, and
scored on the held-out set the key draws (bpkit_instructor.exercises.a11.held_out).

What this shows, measured on two draws: without batch norm the network loses more than 5 points
of held-out accuracy at the budget's learning rate (measured: 100 % -> 72 % and 89 %). What it does
NOT show — known limits of the current task (issue 23), printed, not asserted: without the skips
(the blocks' second matrix at the full He scale, as a plain stack is initialised) the network still
reaches 98-100 %; without momentum, 100 %; and the plain network (neither) reaches the bar at a 10x
smaller learning rate (95-100 %). A task in which each technique matters needs another budget or a
harder data set. Budgets tried (this file's trainer, held-out accuracy): 10-15 blocks, 3-12 epochs,
η0 from 0.01 to 0.3. Momentum never helped at the same η0 (batch norm makes the cost scale-invariant
in the weights). The best found, 10 blocks, 12 epochs, η0 = 0.03, step decay every 6: over 8 random
draws the reference reaches 0.885-1.0, without batch norm 0.50-0.87, without skips 0.68-0.93, the
plain network at η0/3 0.52-0.78 and at η0/10 0.62-0.89 — the reference's worst draw overlaps the
plain network's best, so no bar separates them on every hidden draw.
"""
import numpy as np
import pytest

from bpkit.grading import scores
from bpkit_instructor.exercises import a11

EPS, M = 1e-5, 0.1
DRAWS = [(2026, 0, 0.0), (7, 1, 1.1)]
pytestmark = pytest.mark.slow


def _init(rng, K, H, bn, residual, d=2):
    P = {"W0": rng.normal(size=(H, d)) * np.sqrt(2 / d)}

    def norm(i):
        if bn:
            P.update({f"gamma{i}": np.ones((H, 1)), f"beta{i}": np.zeros((H, 1)),
                      f"mean{i}": np.zeros((H, 1)), f"var{i}": np.ones((H, 1))})
        else:
            P[f"b{i}"] = np.zeros((H, 1))
    norm(0)
    for k in range(1, K + 1):
        P[f"W{k}"] = rng.normal(size=(H, H)) * np.sqrt(2 / H)
        norm(k)
        P[f"V{k}"] = rng.normal(size=(H, H)) * np.sqrt(2 / H) * (0.5 if residual else 1.0)
        P[f"c{k}"] = np.zeros((H, 1))
    P["Wout"] = rng.normal(size=(2, H)) * np.sqrt(1 / H)
    P["bout"] = np.zeros((2, 1))
    return P


def _forward(P, X, K, bn, residual, running=None, mask=None, p=0.0):
    def normalise(i, u):
        if not bn:
            return u + P[f"b{i}"], None
        if running is not None:                        # train mode: batch statistics
            mu, var = u.mean(1, keepdims=True), u.var(1, keepdims=True)
            running[f"mean{i}"] = (1 - M) * P[f"mean{i}"] + M * mu
            running[f"var{i}"] = (1 - M) * P[f"var{i}"] + M * var
        else:
            mu, var = P[f"mean{i}"], P[f"var{i}"]
        std = np.sqrt(var + EPS)
        xhat = (u - mu) / std
        return P[f"gamma{i}"] * xhat + P[f"beta{i}"], (xhat, std)

    z0, c0 = normalise(0, P["W0"] @ X)
    h, caches = np.maximum(z0, 0), []
    for k in range(1, K + 1):
        z, c = normalise(k, P[f"W{k}"] @ h)
        a = np.maximum(z, 0)
        r = P[f"V{k}"] @ a + P[f"c{k}"]
        h_new = h + r if residual else np.maximum(r, 0)
        caches.append((h, z, c, a, h_new))
        h = h_new
    hd = h if mask is None else h * mask / (1 - p)
    return P["Wout"] @ hd + P["bout"], (z0, c0, caches, hd)


def _gradients(P, X, Y, K, bn, residual, mask, p):
    running = {}
    s, (z0, c0, caches, hd) = _forward(P, X, K, bn, residual, running, mask, p)
    s = s - s.max(0, keepdims=True)
    prob = np.exp(s) / np.exp(s).sum(0, keepdims=True)
    ds = (prob - Y) / X.shape[1]
    g = {"Wout": ds @ hd.T, "bout": ds.sum(1, keepdims=True)}
    dh = (P["Wout"].T @ ds) * mask / (1 - p)

    def through_norm(i, dz, cache):
        if not bn:
            g[f"b{i}"] = dz.sum(1, keepdims=True)
            return dz
        xhat, std = cache
        dxhat = dz * P[f"gamma{i}"]
        g[f"gamma{i}"], g[f"beta{i}"] = (dz * xhat).sum(1, keepdims=True), dz.sum(1, keepdims=True)
        return (dxhat - dxhat.mean(1, keepdims=True) - xhat * (dxhat * xhat).mean(1, keepdims=True)) / std

    for k in range(K, 0, -1):
        h, z, c, a, h_new = caches[k - 1]
        dr = dh if residual else dh * (h_new > 0)
        g[f"V{k}"], g[f"c{k}"] = dr @ a.T, dr.sum(1, keepdims=True)
        du = through_norm(k, (P[f"V{k}"].T @ dr) * (z > 0), c)
        g[f"W{k}"] = du @ h.T
        dh = (dh if residual else 0.0) + P[f"W{k}"].T @ du
    g["W0"] = through_norm(0, dh * (z0 > 0), c0) @ X.T
    return g, running


def train(data_seed, seed, angle, bn=True, residual=True, beta=None, eta_factor=1.0):
    b = scores.CAPSTONE_BUDGET
    beta = b["beta"] if beta is None else beta
    X, y = scores.capstone_data(b["n_train"], np.random.default_rng(data_seed), angle)
    Y = np.eye(2)[:, y]
    rng = np.random.default_rng(seed)
    K, H = b["blocks"], b["hidden"]
    P = _init(rng, K, H, bn, residual)
    velocity = {k: np.zeros_like(v) for k, v in P.items() if not k.startswith(("mean", "var"))}
    for epoch in range(b["epochs"]):
        erng = np.random.default_rng(int(rng.integers(2**31)))
        eta = eta_factor * b["eta0"] * b["drop"] ** (epoch // b["every"])
        order = erng.permutation(X.shape[1])
        for start in range(0, X.shape[1], b["batch_size"]):
            idx = order[start:start + b["batch_size"]]
            mask = (erng.random((H, len(idx))) >= b["p"]).astype(float)
            with np.errstate(all="ignore"):
                g, running = _gradients(P, X[:, idx], Y[:, idx], K, bn, residual, mask, b["p"])
            for k in velocity:
                velocity[k] = beta * velocity[k] - eta * g[k]
                P[k] = P[k] + velocity[k]
            P.update(running)
    return P


def held_out_accuracy(P, data_seed, angle, bn, residual):
    X, y = a11.held_out(data_seed, angle)
    with np.errstate(all="ignore"):
        s, _ = _forward(P, X, scores.CAPSTONE_BUDGET["blocks"], bn, residual)
    return float(np.mean(s.argmax(0) == y))


def _measure(bn=True, residual=True, beta=None, eta_factor=1.0):
    return [held_out_accuracy(train(ds, seed, angle, bn, residual, beta, eta_factor), ds, angle, bn, residual)
            for ds, seed, angle in DRAWS]


def test_the_ablation_trainer_is_the_reference_when_nothing_is_removed():
    """With batch norm, skips and momentum, this trainer is the key's reference run (same
    initialisation and draws): the same held-out accuracy."""
    ds, seed, angle = DRAWS[0]
    ours = held_out_accuracy(train(ds, seed, angle), ds, angle, True, True)
    X, y = a11.held_out(ds, angle)
    ref = float(np.mean(scores.capstone_scores(a11._train(ds, seed, angle), X).argmax(0) == y))
    assert abs(ours - ref) < 0.01, (ours, ref)


def test_batch_norm_helps_at_the_budget_and_the_other_ablations_are_reported():
    full = _measure()
    no_bn, no_skips = _measure(bn=False), _measure(residual=False)
    no_momentum = _measure(beta=0.0)
    plain_small_step = _measure(bn=False, residual=False, eta_factor=0.1)
    print(f"\nheld-out accuracy on {DRAWS}: full {full}; without batch norm {no_bn}; without skips "
          f"{no_skips}; without momentum {no_momentum}; plain at a 10x smaller rate {plain_small_step}; "
          f"bar {scores.CAPSTONE_BAR:.0%}")
    assert min(full) >= scores.CAPSTONE_BAR
    assert np.mean(full) - np.mean(no_bn) > 0.05, (full, no_bn)
