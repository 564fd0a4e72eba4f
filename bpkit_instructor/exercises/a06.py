"""Assignment 06 — batch normalization: forward (train, eval), backward (graph, closed form), training.

Conventions (SPEC): examples are columns, statistics over axis=1, biased variance, ε inside the
root, running = (1 − m)·running + m·batch with m = momentum (0.1 by default).
References are self-contained numpy (they never call student-editable code).
"""
import numpy as np

from bpkit.grading.registry import exercise, variant


# ---------------------------------------------------------------- forward, train mode
def _fwd_train(u, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5, *,
               ddof_norm=0, ddof_run=0, axis=1, eps_out=False, swap_m=False):
    mu = u.mean(axis=axis, keepdims=True)
    var = u.var(axis=axis, keepdims=True, ddof=ddof_norm)
    xhat = (u - mu) / (np.sqrt(var) + eps if eps_out else np.sqrt(var + eps))
    out = gamma * xhat + beta
    var_run = u.var(axis=axis, keepdims=True, ddof=ddof_run)
    m = 1 - momentum if swap_m else momentum
    return out, (1 - m) * running_mean + m * mu, (1 - m) * running_var + m * var_run


def _cases_fwd(rng):
    n, B = int(rng.integers(1, 6)), int(rng.integers(2, 9))
    return {"u": rng.normal(rng.normal(0, 2), rng.uniform(0.5, 3), size=(n, B)),
            "gamma": rng.normal(1, 0.5, size=(n, 1)), "beta": rng.normal(0, 1, size=(n, 1)),
            "running_mean": rng.normal(size=(n, 1)), "running_var": rng.uniform(0.5, 2, size=(n, 1)),
            "momentum": float(rng.uniform(0.05, 0.4)), "eps": float(rng.uniform(0.01, 0.3))}


_r = np.random.default_rng(6)
_VIS_FWD = [
    {"u": np.array([[1.0, 2.0, 3.0, 6.0], [0.0, -1.0, 1.0, 0.0]]),
     "gamma": np.array([[1.0], [2.0]]), "beta": np.array([[0.0], [0.5]]),
     "running_mean": np.zeros((2, 1)), "running_var": np.ones((2, 1)), "momentum": 0.1, "eps": 1e-5},
    {"u": _r.normal(1, 2, size=(3, 5)), "gamma": _r.normal(1, 0.3, size=(3, 1)),
     "beta": _r.normal(size=(3, 1)), "running_mean": _r.normal(size=(3, 1)),
     "running_var": _r.uniform(0.5, 2, size=(3, 1)), "momentum": 0.2, "eps": 0.1},
]

exercise(
    "06.bn_forward_train",
    reference=lambda u, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5:
        _fwd_train(u, gamma, beta, running_mean, running_var, momentum, eps),
    visible=_VIS_FWD,
    hidden=_cases_fwd,
    n_hidden=5,
    variants=[
        variant("Bessel's correction (B − 1) in the variance",
                lambda **k: _fwd_train(**k, ddof_norm=1, ddof_run=1),
                "σ² is the BIASED variance over the minibatch: divide by B, not B − 1 (np.var's default "
                "ddof=0). Karpathy's makemore uses B − 1; this course, CS231n and PyTorch's "
                "normalisation use B."),
        variant("PyTorch's unbiased running variance",
                lambda **k: _fwd_train(**k, ddof_run=1),
                "normalising is right; the running variance must store the same biased σ² (PyTorch "
                "stores the unbiased one, this course does not)."),
        variant("momentum on the old value (CS231n's 0.9 convention)",
                lambda **k: _fwd_train(**k, swap_m=True),
                "running = (1 − m)·running + m·batch: the momentum m weighs the NEW batch statistic "
                "(CS231n writes 0.9·running + 0.1·batch, i.e. the same with m = 0.1)."),
        variant("ε outside the square root",
                lambda **k: _fwd_train(**k, eps_out=True),
                "ε goes inside the root: (u − μ)/√(σ² + ε), not (u − μ)/(√σ² + ε)."),
        variant("statistics over the wrong axis",
                lambda **k: _fwd_train(**k, axis=0),
                "examples are the COLUMNS: μ and σ² are per unit, averaged over the batch, axis=1 "
                "with keepdims=True."),
    ],
    protect=["bpkit.layers.BatchNorm"],
    what="(out, new running_mean, new running_var) in train mode",
)


# ---------------------------------------------------------------- forward, eval mode
def _fwd_eval(u, gamma, beta, running_mean, running_var, eps=1e-5):
    return gamma * (u - running_mean) / np.sqrt(running_var + eps) + beta


def _eval_batch_stats(u, gamma, beta, running_mean, running_var, eps=1e-5):
    return _fwd_train(u, gamma, beta, running_mean, running_var, 0.1, eps)[0]


def _eval_var_as_std(u, gamma, beta, running_mean, running_var, eps=1e-5):
    return gamma * (u - running_mean) / (running_var + eps) + beta


def _eval_no_affine(u, gamma, beta, running_mean, running_var, eps=1e-5):
    return (u - running_mean) / np.sqrt(running_var + eps)


def _cases_eval(rng):
    c = _cases_fwd(rng)
    c.pop("momentum")
    return c


exercise(
    "06.bn_forward_eval",
    reference=_fwd_eval,
    visible=[{k: v for k, v in c.items() if k != "momentum"} for c in _VIS_FWD],
    hidden=_cases_eval,
    n_hidden=5,
    variants=[
        variant("batch statistics in eval mode", _eval_batch_stats,
                "in eval mode the output of one example must not depend on the others: use the running "
                "mean and variance, not the batch's."),
        variant("running variance used as a standard deviation", _eval_var_as_std,
                "running_var is a variance: divide by √(running_var + ε)."),
        variant("γ and β left out", _eval_no_affine,
                "after normalising, scale and shift: γ x̂ + β (eval mode keeps the learned γ, β)."),
    ],
    protect=["bpkit.layers.BatchNorm"],
    what="γ (u − running_mean)/√(running_var + ε) + β",
)


# ---------------------------------------------------------------- backward
def _bwd_steps(dout, u, gamma, eps=1e-5, *, mean_path=True, var_path=True, ddof=0,
               dgamma_xhat=True):
    """Backward through the graph u → μ → σ² → x̂ → out, one node at a time."""
    B = u.shape[1]
    Bv = B - ddof
    mu = u.mean(axis=1, keepdims=True)
    var = ((u - mu) ** 2).sum(axis=1, keepdims=True) / Bv
    std = np.sqrt(var + eps)
    xhat = (u - mu) / std
    dbeta = dout.sum(axis=1, keepdims=True)
    dgamma = (dout * xhat).sum(axis=1, keepdims=True) if dgamma_xhat else dbeta.copy()
    dxhat = dout * gamma
    dvar = (dxhat * (u - mu)).sum(axis=1, keepdims=True) * -0.5 * std ** -3
    if not var_path:
        dvar = np.zeros_like(dvar)
    dmu = -dxhat.sum(axis=1, keepdims=True) / std + dvar * (-2.0 / Bv) * (u - mu).sum(axis=1, keepdims=True)
    if not mean_path:
        dmu = np.zeros_like(dmu)
    du = dxhat / std + dvar * 2.0 * (u - mu) / Bv + dmu / B
    return {"dbeta": dbeta, "dgamma": dgamma, "dxhat": dxhat, "dvar": dvar, "dmu": dmu, "du": du}


def _bwd(dout, u, gamma, eps=1e-5, **kw):
    d = _bwd_steps(dout, u, gamma, eps, **kw)
    return d["du"], d["dgamma"], d["dbeta"]


def _cases_bwd(rng):
    n, B = int(rng.integers(1, 6)), int(rng.integers(2, 9))
    return {"dout": rng.normal(size=(n, B)),                      # random upstream: never all ones
            "u": rng.normal(rng.normal(0, 2), rng.uniform(0.5, 3), size=(n, B)),
            "gamma": rng.normal(1, 0.5, size=(n, 1)), "eps": float(rng.uniform(1e-5, 0.1))}


_VIS_BWD = [
    {"dout": np.array([[1.0, -1.0, 0.5, 2.0], [0.0, 1.0, -2.0, 1.0]]),
     "u": np.array([[1.0, 2.0, 3.0, 6.0], [0.0, -1.0, 1.0, 0.0]]),
     "gamma": np.array([[1.0], [2.0]]), "eps": 1e-5},
    {"dout": _r.normal(size=(3, 5)), "u": _r.normal(1, 2, size=(3, 5)),
     "gamma": _r.normal(1, 0.3, size=(3, 1)), "eps": 1e-3},
]


exercise(
    "06.bn_backward_steps",
    reference=_bwd_steps,
    visible=_VIS_BWD,
    hidden=_cases_bwd,
    n_hidden=5,
    variants=[
        variant("no mean path (μ treated as a constant)",
                lambda **k: _bwd_steps(**k, mean_path=False),
                "u reaches the loss also through μ: add ∂C/∂μ / B to every column; in the closed form "
                "this is the − mean(∂C/∂x̂) term."),
        variant("no variance path (σ² treated as a constant)",
                lambda **k: _bwd_steps(**k, var_path=False),
                "u also reaches the loss through σ²: ∂C/∂σ² = Σ ∂C/∂x̂ ∘ (u − μ) · (−½)(σ² + ε)^(−3/2); "
                "in the closed form this is the − x̂ ∘ mean(∂C/∂x̂ ∘ x̂) term."),
        variant("μ and σ² both treated as constants",
                lambda **k: _bwd_steps(**k, mean_path=False, var_path=False),
                "γ ∂C/∂out / √(σ² + ε) is only the direct path; μ and σ² depend on u too."),
        variant("Bessel's correction (B − 1)",
                lambda **k: _bwd_steps(**k, ddof=1),
                "the forward pass uses the biased variance (÷ B), so its derivative has 2(u − μ)/B."),
        variant("∂C/∂γ without x̂",
                lambda **k: _bwd_steps(**k, dgamma_xhat=False),
                "out = γ x̂ + β, so ∂C/∂γ = Σ_columns ∂C/∂out ∘ x̂ (and ∂C/∂β = Σ_columns ∂C/∂out)."),
    ],
    protect=["bpkit.layers.BatchNorm"],
    what="dict of ∂C/∂β, ∂C/∂γ, ∂C/∂x̂, ∂C/∂σ², ∂C/∂μ, ∂C/∂u node by node",
)

exercise(
    "06.bn_backward",
    reference=_bwd,
    visible=_VIS_BWD,
    hidden=_cases_bwd,
    n_hidden=5,
    variants=[
        variant("no mean path (μ treated as a constant)",
                lambda **k: _bwd(**k, mean_path=False),
                "u reaches the loss also through μ: add ∂C/∂μ / B to every column; in the closed form "
                "this is the − mean(∂C/∂x̂) term."),
        variant("no variance path (σ² treated as a constant)",
                lambda **k: _bwd(**k, var_path=False),
                "u also reaches the loss through σ²: ∂C/∂σ² = Σ ∂C/∂x̂ ∘ (u − μ) · (−½)(σ² + ε)^(−3/2); "
                "in the closed form this is the − x̂ ∘ mean(∂C/∂x̂ ∘ x̂) term."),
        variant("μ and σ² both treated as constants",
                lambda **k: _bwd(**k, mean_path=False, var_path=False),
                "γ ∂C/∂out / √(σ² + ε) is only the direct path; μ and σ² depend on u too."),
        variant("Bessel's correction (B − 1)",
                lambda **k: _bwd(**k, ddof=1),
                "the forward pass uses the biased variance (÷ B), so its derivative has 2(u − μ)/B."),
        variant("∂C/∂γ without x̂",
                lambda **k: _bwd(**k, dgamma_xhat=False),
                "out = γ x̂ + β, so ∂C/∂γ = Σ_columns ∂C/∂out ∘ x̂ (and ∂C/∂β = Σ_columns ∂C/∂out)."),
    ],
    protect=["bpkit.layers.BatchNorm"],
    what="(∂C/∂u, ∂C/∂γ, ∂C/∂β) in closed form",
)


# ---------------------------------------------------------------- does BN train faster? (deterministic GD)
def _train(X, Y, Ws, eta, n_steps, bn, eps, *, train_bn_params=True, record_after=False):
    Ws = [np.array(W, dtype=float, copy=True) for W in Ws]
    gammas = [np.ones((W.shape[0], 1)) for W in Ws[:-1]]
    betas = [np.zeros((W.shape[0], 1)) for W in Ws[:-1]]
    N = X.shape[1]
    losses = []

    def forward():
        a, caches = X, []
        for W, g, b in zip(Ws[:-1], gammas, betas):
            u = W @ a                                            # (19), no bias
            if bn:
                mu, var = u.mean(axis=1, keepdims=True), u.var(axis=1, keepdims=True)
                z = g * (u - mu) / np.sqrt(var + eps) + b
            else:
                z = u
            caches.append((a, u, z))
            a = np.maximum(z, 0)                                 # (20), relu
        out = Ws[-1] @ a                                         # linear output layer
        return a, out, caches

    for _ in range(n_steps):
        a, out, caches = forward()
        if not record_after:
            losses.append(0.5 * np.sum((out - Y) ** 2) / N)      # (9)
        dout = (out - Y) / N
        dWs = [None] * len(Ws)
        dWs[-1] = dout @ a.T                                     # (25)
        da = Ws[-1].T @ dout
        dgs, dbs = [None] * len(gammas), [None] * len(betas)
        for i in range(len(Ws) - 2, -1, -1):
            a_prev, u, z = caches[i]
            dz = (z > 0) * da                                    # (23)
            if bn:
                du, dgs[i], dbs[i] = _bwd(dz, u, gammas[i], eps)
            else:
                du = dz
            dWs[i] = du @ a_prev.T                               # (25)
            da = Ws[i].T @ du
        for W, dW in zip(Ws, dWs):
            W -= eta * dW
        if bn and train_bn_params:
            for g, dg, b, db in zip(gammas, dgs, betas, dbs):
                g -= eta * dg
                b -= eta * db
        if record_after:
            losses.append(0.5 * np.sum((forward()[1] - Y) ** 2) / N)
    return np.array(losses)


def _compare(X, Y, Ws, eta, n_steps, eps=1e-5, **kw):
    return _train(X, Y, Ws, eta, n_steps, False, eps, **kw), _train(X, Y, Ws, eta, n_steps, True, eps, **kw)


def _cases_train(rng, depth=None, n_steps=None):
    d, N, width = 3, 64, int(rng.integers(12, 21))
    depth = depth or int(rng.integers(4, 7))                     # number of weight layers
    X = rng.uniform(-1, 1, size=(d, N))
    Y = np.sin(np.pi * X[:1]) * np.cos(np.pi * X[1:2]) + 0.1 * X[2:3]
    sizes = [d] + [width] * (depth - 1) + [1]
    scale = rng.uniform(0.5, 1.0)                                # below He's √2: a fading signal
    Ws = [rng.normal(size=(m, n)) * scale / np.sqrt(n) for n, m in zip(sizes[:-1], sizes[1:])]
    return {"X": X, "Y": Y, "Ws": Ws, "eta": round(float(rng.uniform(0.05, 0.15)), 3),
            "n_steps": n_steps or int(rng.integers(25, 41)), "eps": 1e-5}


_TRAIN_VARIANTS = [
    variant("loss recorded after the update",
            lambda **k: _compare(**k, record_after=True),
            "record the loss of the current parameters BEFORE the update: losses[0] is the loss at "
            "the initial weights."),
    variant("γ and β never updated",
            lambda **k: _compare(**k, train_bn_params=False),
            "γ and β are parameters too: after backward, γ ← γ − η ∂C/∂γ and β ← β − η ∂C/∂β."),
]

exercise(
    "06.train_compare",
    reference=_compare,
    visible=[_cases_train(np.random.default_rng(7), depth=5, n_steps=30)],
    hidden=_cases_train,
    n_hidden=2,
    variants=_TRAIN_VARIANTS,
    rtol=1e-6,
    protect=["bpkit.layers.BatchNorm"],
    what="loss curves of full-batch GD on the same deep relu net without and with BN, compared step by step",
)
