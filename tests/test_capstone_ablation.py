"""Does each technique of the capstone (assignment 11) matter on its task? Ablations measured.

The reference (batch norm + residual blocks + momentum, scores.CAPSTONE_BUDGET: 40 blocks of width
24, η0 = 0.001, β = 0.9, 10 epochs) is trained with one technique removed at a time, on the same
data, initialisation and budget, and scored on the held-out set the key draws at grading
(bpkit_instructor.exercises.a11.held_out), on DRAWS (data set, initialisation, rotation).

Asserted on every draw:
* the reference clears the bar (scores.CAPSTONE_BAR);
* the plain network (the same widths, no batch norm, no skips: 81 dense layers) misses the bar at
  every step size of PLAIN_RATES, 1e-4 to 3e-2, smaller and larger than η0 — what the grade says of
  a plain network, whatever its rate (He et al. 2016: a deep plain stack does not train where its
  residual twin does);
* without the skips (a plain stack with batch norm) and without batch norm (residual blocks only,
  at the budget's rate) the network misses the bar and loses at least GAP to the reference;
* without momentum (β = 0 at the same η: about a tenth of the step, lecture 05) the network loses
  at least MOMENTUM_GAP on every draw.

Measured (these DRAWS, held-out accuracy): reference 0.978-1.000; plain, best of PLAIN_RATES per
draw, 0.50-0.64; without skips 0.46-0.58; without batch norm 0.50 (it diverges at η0, and at
η0/10); without momentum 0.83-0.92, 7.7 to 15.3 points below the reference.

Not asserted: the residual network without batch norm at η0/100 reaches 0.71-0.91 (printed: a small
enough step trains it, slowly); and without momentum the network clears the bar on some other
draws (measured once on 16 other random draws: 0.72-0.98, below the reference on 15 of 16, 0.3
points above it on one), so the bar alone does not fail a run without momentum. Earlier budgets
(6-15 blocks, 2- or 3-turn spirals, η0 from 0.003 to 0.3) let the plain network reach the bar at a
smaller rate and momentum lose nothing: depth and a small step make every technique count.
"""
import numpy as np
import pytest

from bpkit.grading import scores
from bpkit_instructor.exercises import a11

EPS, M = 1e-5, 0.1
DRAWS = [(2026, 0, 0.0), (7, 1, 1.1), (11, 2, 2.3), (13, 3, 3.7), (17, 4, 5.0), (19, 5, 0.6),
         (23, 6, 4.2), (29, 7, 2.9)]
PLAIN_RATES = (3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4)
GAP, MOMENTUM_GAP = 0.2, 0.03


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
    return np.array([held_out_accuracy(train(ds, seed, angle, bn, residual, beta, eta_factor), ds, angle, bn,
                                       residual) for ds, seed, angle in DRAWS])


def _row(name, accs):
    return f"{name:<28s}" + " ".join(f"{a:6.3f}" for a in accs)


def test_the_ablation_trainer_is_the_reference_when_nothing_is_removed():
    """With batch norm, skips and momentum, this trainer is the key's reference run (same
    initialisation and draws): the same held-out accuracy."""
    ds, seed, angle = DRAWS[0]
    ours = held_out_accuracy(train(ds, seed, angle), ds, angle, True, True)
    X, y = a11.held_out(ds, angle)
    ref = float(np.mean(scores.capstone_scores(a11._train(ds, seed, angle), X).argmax(0) == y))
    assert abs(ours - ref) < 0.01, (ours, ref)


@pytest.mark.ablation      # 8 draws x 12 trainings of an 81-layer network: make test-ablation
def test_each_technique_matters_and_the_plain_network_fails_at_every_step_size():
    bar, eta0 = scores.CAPSTONE_BAR, scores.CAPSTONE_BUDGET["eta0"]
    full = _measure()
    plain = {eta: _measure(bn=False, residual=False, eta_factor=eta / eta0) for eta in PLAIN_RATES}
    no_skips, no_bn, no_momentum = _measure(residual=False), _measure(bn=False), _measure(beta=0.0)
    no_bn_small = {f: _measure(bn=False, eta_factor=f) for f in (0.1, 0.01)}
    rows = [_row("reference", full)] + [_row(f"plain, η = {eta:g}", a) for eta, a in plain.items()]
    rows += [_row("without skips", no_skips), _row("without batch norm", no_bn),
             _row("without momentum (β = 0)", no_momentum)]
    rows += [_row(f"without batch norm, η0·{f:g}", a) for f, a in no_bn_small.items()]
    print(f"\nheld-out accuracy per draw {[d[:2] for d in DRAWS]}, bar {bar:.0%}:\n" + "\n".join(rows))
    best_plain = np.max(list(plain.values()), axis=0)
    assert np.all(full >= bar), full
    assert np.all(best_plain < bar), best_plain                 # the grade fails it at any rate
    for ablated in (no_skips, no_bn):
        assert np.all(ablated < bar) and np.all(full - ablated >= GAP), (full, ablated)
    assert np.all(full - no_momentum >= MOMENTUM_GAP), (full, no_momentum)
