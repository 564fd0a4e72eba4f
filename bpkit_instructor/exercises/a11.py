"""Assignment 11 — the capstone: a deep residual network with batch norm and dropout, trained with
momentum and step decay (the answer key).

The architecture (examples are columns; H hidden units; K residual blocks; 2 classes):

    h = relu(BN_0(W0 X))                                   stem (no bias: BN's shift b is the bias)
    r = V_k relu(BN_k(W_k h)) + c_k,   h = h + r           block k = 1..K
    z_out = Wout (h ∘ mask / (1 − q)) + bout               inverted dropout, drop probability q (train mode only)
    C = −(1/B) Σ Y ∘ log softmax(z_out)                    softmax cross-entropy, the batch mean

BN(u) = γ ∘ (u − μ)/√(σ_B² + ε) + b: batch mean μ and variance σ_B² in train mode (biased, ε = 1e-5
inside the root), running averages running ← β running + (1 − β) batch with β = 0.9 (the code's
BN momentum 0.1 = 1 − β); eval mode uses the running averages and no dropout. Parameters are a
dict: W0, gamma0, beta0, mean0, var0; W{k}, gamma{k}, beta{k}, mean{k}, var{k}, V{k}, c{k}; Wout,
bout (beta* is the shift b, in Ioffe & Szegedy's name; mean*/var* are the running statistics, not
trained). The code calls the drop probability q `p`, as bpkit's Dropout does.

Momentum and step decay (lecture 05): η_e = η0 · drop^⌊e / every⌋ (epochs from 0);
v ← β v − η g, p ← p + v for the parameters p. One epoch draws, from np.random.default_rng(seed):
first the permutation of the N examples, then one dropout mask per minibatch
(rng.random((H, b)) >= q), in order. The accuracy bar, the budget (40 blocks, η0 = 0.001) and the
data set live in the student part (bpkit.grading.scores); tests/test_capstone_ablation.py measures
that each technique matters on that budget.
"""
import numpy as np

from bpkit.grading import scores
from bpkit_instructor.spec import exercise, variant

_EPS, _M = 1e-5, 0.1


def _trainable(params):
    return [k for k in params if not (k.startswith("mean") or k.startswith("var"))]


def _n_blocks(params):
    return sum(1 for k in params if k.startswith("V"))


# ============================================================ train-mode forward and backward
def _bn_train(u, gamma, beta, no_stats=False):
    mu, var = u.mean(axis=1, keepdims=True), u.var(axis=1, keepdims=True)
    std = np.sqrt(var + _EPS)
    xhat = (u - mu) / std
    return gamma * xhat + beta, (xhat, std), mu, var


def _bn_back(dout, gamma, cache, bugs):
    xhat, std = cache
    dxhat = dout * gamma
    if "bn-constant-stats" in bugs:
        du = dxhat / std
    else:
        du = (dxhat - dxhat.mean(axis=1, keepdims=True)
              - xhat * (dxhat * xhat).mean(axis=1, keepdims=True)) / std
    return du, (dout * xhat).sum(axis=1, keepdims=True), dout.sum(axis=1, keepdims=True)


def _gradients(params, X, Y, mask, p, bugs=()):
    """(loss, grads, running) of one train-mode forward and backward pass."""
    K, B = _n_blocks(params), X.shape[1]
    running, caches = {}, []

    def stats(i, mu, var):
        m = 1 - _M if "momentum-old" in bugs else _M
        v = var * B / (B - 1) if "running-unbiased" in bugs else var
        running[f"mean{i}"] = (1 - m) * params[f"mean{i}"] + m * mu
        running[f"var{i}"] = (1 - m) * params[f"var{i}"] + m * v

    u0 = params["W0"] @ X
    z0, bn0, mu, var = _bn_train(u0, params["gamma0"], params["beta0"])
    stats(0, mu, var)
    h = np.maximum(z0, 0)
    for k in range(1, K + 1):
        u = params[f"W{k}"] @ h
        z, bnc, mu, var = _bn_train(u, params[f"gamma{k}"], params[f"beta{k}"])
        stats(k, mu, var)
        a = np.maximum(z, 0)
        caches.append((h, z, bnc, a))
        h = h + params[f"V{k}"] @ a + params[f"c{k}"]
    keep = mask / (1 - p)
    hd = h * keep
    s = params["Wout"] @ hd + params["bout"]
    s = s - s.max(axis=0, keepdims=True)
    P = np.exp(s) / np.exp(s).sum(axis=0, keepdims=True)
    loss = float(-np.sum(Y * np.log(P)) / B)

    g = {}
    ds = (P - Y) if "ce-no-mean" in bugs else (P - Y) / B
    g["Wout"], g["bout"] = ds @ hd.T, ds.sum(axis=1, keepdims=True)
    dh = params["Wout"].T @ ds
    dh = dh * (mask if "dropout-no-scale" in bugs else keep)
    for k in range(K, 0, -1):
        hin, z, bnc, a = caches[k - 1]
        g[f"V{k}"], g[f"c{k}"] = dh @ a.T, dh.sum(axis=1, keepdims=True)
        dz = (params[f"V{k}"].T @ dh) * (z > 0)
        du, g[f"gamma{k}"], g[f"beta{k}"] = _bn_back(dz, params[f"gamma{k}"], bnc, bugs)
        g[f"W{k}"] = du @ hin.T
        dh_inner = params[f"W{k}"].T @ du
        dh = dh_inner if "no-skip" in bugs else dh + dh_inner
    dz0 = dh * (z0 > 0)
    du0, g["gamma0"], g["beta0"] = _bn_back(dz0, params["gamma0"], bn0, bugs)
    g["W0"] = du0 @ X.T
    return loss, g, running


def _init(rng, K, H, d=2, C=2):
    """He initialisation; γ = 1, b = 0 (key beta), running mean 0 and variance 1; V_k scaled by 1/2."""
    p = {"W0": rng.normal(size=(H, d)) * np.sqrt(2 / d), "gamma0": np.ones((H, 1)),
         "beta0": np.zeros((H, 1)), "mean0": np.zeros((H, 1)), "var0": np.ones((H, 1))}
    for k in range(1, K + 1):
        p.update({f"W{k}": rng.normal(size=(H, H)) * np.sqrt(2 / H), f"gamma{k}": np.ones((H, 1)),
                  f"beta{k}": np.zeros((H, 1)), f"mean{k}": np.zeros((H, 1)), f"var{k}": np.ones((H, 1)),
                  f"V{k}": rng.normal(size=(H, H)) * np.sqrt(2 / H) * 0.5, f"c{k}": np.zeros((H, 1))})
    p["Wout"] = rng.normal(size=(C, H)) * np.sqrt(1 / H)
    p["bout"] = np.zeros((C, 1))
    return p


def _random_params(rng, K, H):
    p = _init(rng, K, H)
    for k in p:                                      # move away from the initial values
        p[k] = p[k] + 0.3 * rng.normal(size=p[k].shape)
        if k.startswith("var"):
            p[k] = np.abs(p[k]) + 0.5
    return p


def _grad_case(rng):
    K, H, B = int(rng.integers(1, 3)), int(rng.integers(3, 6)), int(rng.integers(4, 9))
    X = rng.normal(size=(2, B))
    y = rng.integers(0, 2, size=B)
    return {"params": _random_params(rng, K, H), "X": X, "Y": np.eye(2)[:, y],
            "mask": (rng.random((H, B)) >= 0.25).astype(float), "p": 0.25}


_VIS_GRAD = [_grad_case(np.random.default_rng(111)), _grad_case(np.random.default_rng(112))]

exercise(
    "11.model_gradients",
    outputs=('loss', 'grads', 'running'),
    reference=_gradients,
    visible=_VIS_GRAD,
    hidden=_grad_case,
    n_hidden=5,
    variants=[
        variant("cross-entropy gradient without 1/B",
                lambda params, X, Y, mask, p: _gradients(params, X, Y, mask, p, bugs=("ce-no-mean",)),
                "the cost is the batch MEAN, so the gradient at the scores carries the 1/B; the "
                "layers below sum over columns (lecture 09, section 2)."),
        variant("skip connection missing in the backward pass",
                lambda params, X, Y, mask, p: _gradients(params, X, Y, mask, p, bugs=("no-skip",)),
                "each block adds its input to its output: the gradient reaching the block's input "
                "is the upstream gradient (the skip) PLUS the gradient through the block (lecture "
                "07, section 3)."),
        variant("batch norm: μ and the variance treated as constants",
                lambda params, X, Y, mask, p: _gradients(params, X, Y, mask, p, bugs=("bn-constant-stats",)),
                "the batch statistics depend on u: the paths through the mean and the variance are"
                " missing (lecture 06, section 3, the three paths into x̂)."),
        variant("dropout backward without the rescaling",
                lambda params, X, Y, mask, p: _gradients(params, X, Y, mask, p, bugs=("dropout-no-scale",)),
                "inverted dropout multiplies by the mask and the rescaling forward, so the "
                "backward pass multiplies by the same (lecture 08, section 4)."),
        variant("running variance with Bessel's correction",
                lambda params, X, Y, mask, p: _gradients(params, X, Y, mask, p, bugs=("running-unbiased",)),
                "the running variance averages the same biased variance the layer normalised with "
                "(a mean over B; lecture 06, section 2)."),
        variant("momentum on the old running value",
                lambda params, X, Y, mask, p: _gradients(params, X, Y, mask, p, bugs=("momentum-old",)),
                "this model's momentum of 0.1 weighs the NEW batch statistic, not the old running "
                "value (lecture 06, section 5's table)."),
    ],
    protect=["bpkit.layers.BatchNorm", "bpkit.layers.Residual", "bpkit.layers.Dropout"],
    what="(loss, gradients of every trained parameter, updated running statistics) of the capstone network",
)


# ============================================================ eval mode
def _predict(params, X, bugs=()):
    K = _n_blocks(params)

    def bn(u, i):
        if "eval-batch-stats" in bugs:
            return _bn_train(u, params[f"gamma{i}"], params[f"beta{i}"])[0]
        var = params[f"var{i}"]
        scale = (var + _EPS) if "var-as-std" in bugs else np.sqrt(var + _EPS)
        return params[f"gamma{i}"] * (u - params[f"mean{i}"]) / scale + params[f"beta{i}"]

    h = np.maximum(bn(params["W0"] @ X, 0), 0)
    for k in range(1, K + 1):
        r = params[f"V{k}"] @ np.maximum(bn(params[f"W{k}"] @ h, k), 0) + params[f"c{k}"]
        h = r if "no-skip" in bugs else h + r
    return params["Wout"] @ h + params["bout"]


def _predict_case(rng):
    c = _grad_case(rng)
    return {"params": c["params"], "X": rng.normal(size=(2, int(rng.integers(1, 9))))}


exercise(
    "11.predict",
    reference=_predict,
    visible=[_predict_case(np.random.default_rng(113)),
             dict(_predict_case(np.random.default_rng(114)), X=np.array([[0.5, -1.0, 0.2], [0.1, 0.3, -0.7]]))],
    hidden=_predict_case,
    n_hidden=5,
    variants=[
        variant("batch statistics in eval mode",
                lambda params, X: _predict(params, X, bugs=("eval-batch-stats",)),
                "in eval mode batch norm uses the running mean and variance: a prediction must not depend "
                "on the other examples of the batch (and must work for a batch of one)."),
        variant("running variance used as a standard deviation",
                lambda params, X: _predict(params, X, bugs=("var-as-std",)),
                "divide by the square root of the running variance plus ε, not by the variance "
                "itself (lecture 06, section 2)."),
        variant("skip connection missing",
                lambda params, X: _predict(params, X, bugs=("no-skip",)),
                "each block adds its input to its output, in eval mode too."),
    ],
    protect=["bpkit.layers.BatchNorm", "bpkit.layers.Residual"],
    what="eval-mode scores (running statistics, no dropout) of the capstone network",
)


# ============================================================ one epoch: momentum, step decay, seeds
def _epoch(params, velocity, X, Y, epoch, seed, eta0, beta, drop, every, batch_size, p, bugs=()):
    params = {k: np.array(v, dtype=float, copy=True) for k, v in params.items()}
    velocity = {k: np.array(v, dtype=float, copy=True) for k, v in velocity.items()}
    rng = np.random.default_rng(seed)
    N, H = X.shape[1], params["W0"].shape[0]
    e = epoch + 1 if "decay-off-by-one" in bugs else epoch
    eta = eta0 if "no-decay" in bugs else eta0 * drop ** (e // every)
    order = rng.permutation(N)
    for start in range(0, N, batch_size):
        idx = order[start:start + batch_size]
        mask = (rng.random((H, len(idx))) >= p).astype(float)
        _, g, running = _gradients(params, X[:, idx], Y[:, idx], mask, p)
        for k in _trainable(params):
            if "pytorch-momentum" in bugs:
                velocity[k] = beta * velocity[k] + g[k]
                params[k] = params[k] - eta * velocity[k]
            else:
                velocity[k] = beta * velocity[k] - eta * g[k]
                params[k] = params[k] + velocity[k]
        if "running-frozen" not in bugs:
            params.update(running)
    return params, velocity


def _epoch_case(rng):
    K, H, N = int(rng.integers(1, 3)), int(rng.integers(3, 6)), int(rng.integers(20, 41))
    params = _random_params(rng, K, H)
    X, y = scores.capstone_data(N, rng)
    every = int(rng.integers(2, 6))
    return {"params": params,
            "velocity": {k: 0.1 * rng.normal(size=params[k].shape) for k in _trainable(params)},
            "X": X, "Y": np.eye(2)[:, y], "epoch": int(every * rng.integers(1, 4) - 1),
            "seed": int(rng.integers(0, 2**31)), "eta0": round(float(rng.uniform(0.02, 0.2)), 3),
            "beta": 0.9, "drop": 0.5, "every": every, "batch_size": int(rng.integers(6, 17)), "p": 0.2}


exercise(
    "11.train_epoch",
    outputs=('params', 'velocity'),
    reference=_epoch,
    visible=[_epoch_case(np.random.default_rng(115))],
    hidden=_epoch_case,
    n_hidden=3,
    variants=[
        variant("step decay one epoch early",
                lambda **k: _epoch(**k, bugs=("decay-off-by-one",)),
                "with epochs counted from 0, the rate first drops at epoch `every`: the epoch "
                "before it still uses the undecayed rate (lecture 05, section 7.2)."),
        variant("learning rate never decayed",
                lambda **k: _epoch(**k, bugs=("no-decay",)),
                "apply the step decay: the rate drops by the factor `drop` every `every` epochs "
                "(lecture 05, section 7.2)."),
        variant("PyTorch's momentum convention",
                lambda **k: _epoch(**k, bugs=("pytorch-momentum",)),
                "this course's velocity already contains the learning rate, and the parameters "
                "move by the velocity itself (lecture 05, section 7.1)."),
        variant("running statistics not stored",
                lambda **k: _epoch(**k, bugs=("running-frozen",)),
                "after each minibatch, store the updated running means and variances in the parameters: "
                "eval mode needs them."),
    ],
    protect=["bpkit.optim.Momentum", "bpkit.optim.step_decay", "bpkit.layers.BatchNorm"],
    timeout=20.0,
    what="(parameters, velocity) after one epoch of minibatch momentum with step decay, seeded",
)


# ============================================================ the whole run, graded on accuracy
def _train(data_seed, seed, angle=0.0, *, bn=True, residual=True, bugs=(), budget=None):
    """The reference run (and, with bn=residual=False, the plain network on the same budget)."""
    b = dict(scores.CAPSTONE_BUDGET, **(budget or {}))
    X, y = scores.capstone_data(b["n_train"], np.random.default_rng(data_seed), angle)
    Y = np.eye(2)[:, y]
    rng = np.random.default_rng(seed)
    params = _init(rng, b["blocks"], b["hidden"])
    if not (bn and residual):
        return _train_plain(params, X, Y, rng, b)
    velocity = {k: np.zeros_like(params[k]) for k in _trainable(params)}
    epochs = 1 if "one-epoch" in bugs else b["epochs"]
    for epoch in range(epochs):
        params, velocity = _epoch(params, velocity, X, Y, epoch, int(rng.integers(2**31)),
                                  b["eta0"], b["beta"], b["drop"], b["every"], b["batch_size"], b["p"],
                                  bugs=bugs)
    return params


def _train_plain(params, X, Y, rng, b):
    """Same widths, same init, same budget and optimiser; no batch norm, no skips:
    h = relu(W0 X + b0); h = relu(V_k relu(W_k h + b_k) + c_k); dropout; softmax."""
    K = b["blocks"]
    P = {"W0": params["W0"], "b0": np.zeros_like(params["beta0"]), "Wout": params["Wout"],
         "bout": params["bout"]}
    for k in range(1, K + 1):
        P.update({f"W{k}": params[f"W{k}"], f"b{k}": np.zeros_like(params[f"beta{k}"]),
                  f"V{k}": params[f"V{k}"] * 2.0, f"c{k}": params[f"c{k}"]})   # full He scale
    vel = {k: np.zeros_like(v) for k, v in P.items()}
    N, H = X.shape[1], P["W0"].shape[0]
    for epoch in range(b["epochs"]):
        erng = np.random.default_rng(int(rng.integers(2**31)))
        eta = b["eta0"] * b["drop"] ** (epoch // b["every"])
        order = erng.permutation(N)
        for start in range(0, N, b["batch_size"]):
            idx = order[start:start + b["batch_size"]]
            mask = (erng.random((H, len(idx))) >= b["p"]).astype(float)
            g = _plain_grads(P, X[:, idx], Y[:, idx], mask, b["p"])
            for k in P:
                vel[k] = b["beta"] * vel[k] - eta * g[k]
                P[k] = P[k] + vel[k]
    return P


def _plain_forward(P, X, mask=None, p=0.0):
    K = sum(1 for k in P if k.startswith("V"))
    h = np.maximum(P["W0"] @ X + P["b0"], 0)
    cache = [(X, h)]
    for k in range(1, K + 1):
        a = np.maximum(P[f"W{k}"] @ h + P[f"b{k}"], 0)
        h_new = np.maximum(P[f"V{k}"] @ a + P[f"c{k}"], 0)
        cache.append((h, a, h_new))
        h = h_new
    hd = h if mask is None else h * mask / (1 - p)
    return P["Wout"] @ hd + P["bout"], hd, cache


def _plain_grads(P, X, Y, mask, p):
    s, hd, cache = _plain_forward(P, X, mask, p)
    B, K = X.shape[1], len(cache) - 1
    s = s - s.max(axis=0, keepdims=True)
    prob = np.exp(s) / np.exp(s).sum(axis=0, keepdims=True)
    ds = (prob - Y) / B
    g = {"Wout": ds @ hd.T, "bout": ds.sum(axis=1, keepdims=True)}
    dh = (P["Wout"].T @ ds) * mask / (1 - p)
    for k in range(K, 0, -1):
        h, a, h_new = cache[k]
        dr = dh * (h_new > 0)
        g[f"V{k}"], g[f"c{k}"] = dr @ a.T, dr.sum(axis=1, keepdims=True)
        da = (P[f"V{k}"].T @ dr) * (a > 0)
        g[f"W{k}"], g[f"b{k}"] = da @ h.T, da.sum(axis=1, keepdims=True)
        dh = P[f"W{k}"].T @ da
    dz0 = dh * (cache[0][1] > 0)
    g["W0"], g["b0"] = dz0 @ X.T, dz0.sum(axis=1, keepdims=True)
    return g


def plain_accuracy(P, X, y):
    """Accuracy of the plain network (for the test that it misses the bar on the same budget)."""
    return float(np.mean(_plain_forward(P, X)[0].argmax(axis=0) == y))


_HELD_OUT_SALT = 52_419_887  # the key's only: the student part cannot draw the held-out set


def held_out(data_seed, angle=0.0):
    """The capstone's held-out set for a data seed: drawn here, at grading time, never shipped."""
    rng = np.random.default_rng([_HELD_OUT_SALT, int(data_seed)])
    return scores.capstone_data(scores.CAPSTONE_N_TEST, rng, float(angle))


def held_out_accuracy(case, output):
    """Hidden cases: the accuracy bar on the held-out set (the same answer, the same grade)."""
    X, y = held_out(case["data_seed"], case.get("angle", 0.0))
    return scores.capstone_accuracy_on(output, X, y, "held-out")


def _acc_case(rng):
    return {"data_seed": int(rng.integers(0, 2**31)), "seed": int(rng.integers(0, 2**31)),
            "angle": round(float(rng.uniform(0, 2 * np.pi)), 3)}


exercise(
    "11.accuracy",
    # no reference: the released data would ship a trained network (score= grades on its own)
    reference=None,
    score=scores.capstone_accuracy,
    hidden_score=held_out_accuracy,
    visible=[{"data_seed": 2026, "seed": 0, "angle": 0.0}],
    hidden=_acc_case,
    n_hidden=2,
    variants=[
        variant("running statistics never stored",
                lambda data_seed, seed, angle: _train(data_seed, seed, angle, bugs=("running-frozen",)),
                "eval mode normalises with the running mean and variance; if they stay at 0 and 1 the "
                "trained network sees inputs on the wrong scale. Store them after every minibatch."),
        variant("trained for a single epoch",
                lambda data_seed, seed, angle: _train(data_seed, seed, angle, bugs=("one-epoch",)),
                f"use the whole budget: {scores.CAPSTONE_BUDGET['epochs']} epochs with step decay."),
    ],
    protect=["bpkit.optim.train_minibatch", "bpkit.network.Network", "bpkit.optim.Momentum"],
    timeout=90.0,
    what=f"a trained capstone network reaching {scores.CAPSTONE_BAR:.0%} accuracy on "
         f"{scores.CAPSTONE_N_TEST} held-out points",
)


# ============================================================ overfit 20 examples first (issue 23)
def _overfit(data_seed, seed, angle=0.0, *, steps=200, eta=None, beta=0.9, store=True):
    """The reference habit: the first 20 training examples as ONE batch, dropout off (q = 0, a mask
    of ones), momentum at the budget's η0, the running statistics stored; initialised as the whole
    run. (At 40 blocks, η = 0.1 diverges; η0 = 0.001 memorises in 200 steps, cost ≈ 0.002.)"""
    b = scores.CAPSTONE_BUDGET
    eta = b["eta0"] if eta is None else eta
    X, y = scores.capstone_data(b["n_train"], np.random.default_rng(data_seed), angle)
    n = scores.CAPSTONE_OVERFIT_N
    X, Y = X[:, :n], np.eye(2)[:, y[:n]]
    params = _init(np.random.default_rng(seed), b["blocks"], b["hidden"])
    velocity = {k: np.zeros_like(params[k]) for k in _trainable(params)}
    mask = np.ones((params["W0"].shape[0], n))
    for _ in range(steps):
        _, grads, running = _gradients(params, X, Y, mask, 0.0)
        for k in velocity:
            velocity[k] = beta * velocity[k] - eta * grads[k]
            params[k] = params[k] + velocity[k]
        if store:
            params.update(running)
    return params


exercise(
    "11.overfit_small",
    # no reference: scored on the 20 examples themselves (bpkit.grading.scores.capstone_overfit)
    reference=None,
    score=scores.capstone_overfit,
    visible=[{"data_seed": 2026, "seed": 0, "angle": 0.0}],
    hidden=_acc_case,
    n_hidden=2,
    variants=[
        variant("running statistics never stored",
                lambda data_seed, seed, angle: _overfit(data_seed, seed, angle, store=False),
                "the training cost is tiny, but eval mode normalises with the running mean and variance: "
                "store them after every step, or the memorised examples are misclassified in eval mode."),
        variant("learning rate far too small",
                lambda data_seed, seed, angle: _overfit(data_seed, seed, angle, eta=1e-5),
                "with so small a step the cost is still far from zero after the steps you gave it: a "
                "network this large memorises twenty examples in a couple of hundred steps at the budget's rate."),
    ],
    protect=["bpkit.optim.train_minibatch", "bpkit.network.Network", "bpkit.optim.Momentum"],
    timeout=60.0,
    what=f"a network that memorises the first {scores.CAPSTONE_OVERFIT_N} training examples (eval-mode "
         f"accuracy 100 %, cost below {scores.CAPSTONE_OVERFIT_COST:g})",
)
