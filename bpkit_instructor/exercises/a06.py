"""Assignment 06 — batch normalization: PyTorch's forward convention, the backward pass derived from
the computational graph, layer norm (a normalisation the lecture did not solve), what BN changes
about the scale of the weights, and training with and without BN.

Conventions (SPEC): examples are columns, BN statistics over axis=1, biased batch variance σ_B² (code:
var), ε inside the root, s = √(σ_B² + ε), running = β·running + (1 − β)·batch with decay rate
β = 1 − momentum (momentum 0.1 by default); the learnt shift is b (code: beta), in the place of the layer's bias.
References are self-contained numpy (they never call student-editable code).
"""
import numpy as np

from bpkit_instructor.spec import exercise, variant


# ---------------------------------------------------------------- forward, PyTorch's layout and running variance
# x: (B, n), rows are examples; γ, b (beta), running statistics: (n,). Normalise with the biased variance,
# update running_var with the UNBIASED one (÷ (B − 1)), as torch.nn.BatchNorm1d does in train mode.
def _fwd_rows(x, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5, *,
              ddof_norm=0, ddof_run=1, eps_out=False, swap_m=False):
    mu = x.mean(axis=0, keepdims=True)
    var = x.var(axis=0, keepdims=True, ddof=ddof_norm)
    xhat = (x - mu) / (np.sqrt(var) + eps if eps_out else np.sqrt(var + eps))
    out = gamma * xhat + beta
    m = 1 - momentum if swap_m else momentum
    mu_b = x.mean(axis=0)
    var_b = x.var(axis=0, ddof=ddof_run)
    return out, (1 - m) * running_mean + m * mu_b, (1 - m) * running_var + m * var_b


def _cases_rows(rng):
    n, B = int(rng.integers(2, 6)), int(rng.integers(3, 9))
    return {"x": rng.normal(rng.normal(0, 2), rng.uniform(0.5, 3), size=(B, n)),
            "gamma": rng.normal(1, 0.5, size=n), "beta": rng.normal(0, 1, size=n),
            "running_mean": rng.normal(size=n), "running_var": rng.uniform(0.5, 2, size=n),
            "momentum": float(rng.uniform(0.05, 0.4)), "eps": float(rng.uniform(0.01, 0.3))}


_r = np.random.default_rng(6)
_VIS_ROWS = [
    {"x": np.array([[1.0, 0.0], [2.0, -1.0], [3.0, 1.0], [6.0, 0.0]]),
     "gamma": np.array([1.0, 2.0]), "beta": np.array([0.0, 0.5]),
     "running_mean": np.zeros(2), "running_var": np.ones(2), "momentum": 0.1, "eps": 1e-5},
    _cases_rows(_r),
]

exercise(
    "06.torch_bn_forward",
    outputs=('out', 'running_mean', 'running_var'),
    reference=lambda x, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5:
        _fwd_rows(x, gamma, beta, running_mean, running_var, momentum, eps),
    visible=_VIS_ROWS,
    hidden=_cases_rows,
    n_hidden=5,
    variants=[
        variant("this course's biased running variance",
                lambda **k: _fwd_rows(**k, ddof_run=0),
                "normalising is right; PyTorch's running variance stores the UNBIASED batch "
                "variance (Bessel's correction), where this course stores the biased one (lecture "
                "06, section 5)."),
        variant("Bessel's correction in the normalisation too",
                lambda **k: _fwd_rows(**k, ddof_norm=1),
                "PyTorch normalises with the BIASED variance; only the running estimate uses "
                "Bessel's correction (lecture 06, section 5)."),
        variant("momentum on the old value (CS231n's 0.9 convention)",
                lambda **k: _fwd_rows(**k, swap_m=True),
                "PyTorch's momentum weighs the NEW batch statistic, not the old running value "
                "(lecture 06, section 5's table)."),
        variant("ε outside the square root",
                lambda **k: _fwd_rows(**k, eps_out=True),
                "ε goes inside the square root, added to the variance, not to the standard "
                "deviation (lecture 06, section 1)."),
        variant("running statistics not updated",
                lambda x, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5:
                    (_fwd_rows(x, gamma, beta, running_mean, running_var, momentum, eps)[0],
                     running_mean.copy(), running_var.copy()),
                "in train mode BN also moves its running averages towards the batch statistics "
                "(they are what eval mode uses; lecture 06, section 2)."),
    ],
    protect=["bpkit.layers.BatchNorm"],
    what="(out, running_mean, running_var) of torch.nn.BatchNorm1d in train mode, rows as examples",
)


# ---------------------------------------------------------------- BN backward, node by node through the graph
# u → μ → (u − μ) → σ_B² → s = √(σ_B² + ε) → x̂ = (u − μ)/s → out = γ x̂ + b. The lecture derives the output
# node and the mean path; the variance node and the full ∂C/∂u are the student's derivation.
def _bwd_steps(dout, u, gamma, eps=1e-5, *, mean_path=True, var_path=True, ddof=0,
               dgamma_xhat=True, half=True):
    """Backward through the graph, one node at a time (statistics over the batch, axis=1)."""
    B = u.shape[1]
    Bv = B - ddof
    mu = u.mean(axis=1, keepdims=True)
    var = ((u - mu) ** 2).sum(axis=1, keepdims=True) / Bv        # σ_B²
    s = np.sqrt(var + eps)
    xhat = (u - mu) / s
    dbeta = dout.sum(axis=1, keepdims=True)
    dgamma = (dout * xhat).sum(axis=1, keepdims=True) if dgamma_xhat else dbeta.copy()
    dxhat = dout * gamma
    dvar = (dxhat * (u - mu)).sum(axis=1, keepdims=True) * (-0.5 if half else -1.0) * s ** -3
    if not var_path:
        dvar = np.zeros_like(dvar)
    dmu = -dxhat.sum(axis=1, keepdims=True) / s + dvar * (-2.0 / Bv) * (u - mu).sum(axis=1, keepdims=True)
    if not mean_path:
        dmu = np.zeros_like(dmu)
    du = dxhat / s + dvar * 2.0 * (u - mu) / Bv + dmu / B
    return {"dbeta": dbeta, "dgamma": dgamma, "dxhat": dxhat, "dvar": dvar, "dmu": dmu, "du": du}


def _bwd(dout, u, gamma, eps=1e-5, **kw):
    d = _bwd_steps(dout, u, gamma, eps, **kw)
    return d["du"], d["dgamma"], d["dbeta"]


def _cases_bwd(rng):
    n, B = int(rng.integers(2, 6)), int(rng.integers(3, 9))
    return {"dout": rng.normal(size=(n, B)),                      # random upstream: never all ones
            "u": rng.normal(rng.normal(0, 2), rng.uniform(0.5, 3), size=(n, B)),
            "gamma": rng.normal(1, 0.5, size=(n, 1)), "eps": float(rng.uniform(1e-3, 0.1))}


_VIS_BWD = [
    {"dout": np.array([[1.0, -1.0, 0.5, 2.0], [0.0, 1.0, -2.0, 1.0]]),
     "u": np.array([[1.0, 2.0, 3.0, 6.0], [0.0, -1.0, 1.0, 0.0]]),
     "gamma": np.array([[1.0], [2.0]]), "eps": 1e-5},
    {"dout": _r.normal(size=(3, 5)), "u": _r.normal(1, 2, size=(3, 5)),
     "gamma": _r.normal(1, 0.3, size=(3, 1)), "eps": 1e-3},
]


exercise(
    "06.bn_backward_graph",
    reference=_bwd_steps,
    visible=_VIS_BWD,
    hidden=_cases_bwd,
    n_hidden=5,
    variants=[
        variant("no variance path (the batch variance treated as a constant)",
                lambda **k: _bwd_steps(**k, var_path=False),
                "u also reaches x̂ through the batch variance node, and every column of u feeds it: "
                "that path is missing (lecture 06, section 3, the three paths into x̂)."),
        variant("no mean path (μ treated as a constant)",
                lambda **k: _bwd_steps(**k, mean_path=False),
                "u reaches the loss also through the mean μ, which every column feeds: that path "
                "is missing (lecture 06, section 3, the three paths into x̂)."),
        variant("μ and the batch variance both treated as constants",
                lambda **k: _bwd_steps(**k, mean_path=False, var_path=False),
                "you kept only the direct path from u to x̂; μ and the batch variance depend on u too (lecture 06, "
                "section 3, the three paths into x̂)."),
        variant("the inverse square root's derivative without the ½",
                lambda **k: _bwd_steps(**k, half=False),
                "the power rule brings down the exponent of the inverse square root, and that "
                "exponent is minus one half: the ½ is missing."),
        variant("Bessel's correction",
                lambda **k: _bwd_steps(**k, ddof=1),
                "the forward pass uses the biased variance (a mean over B), so its derivative "
                "carries the same 1/B (lecture 06, section 1)."),
        variant("∂C/∂γ without x̂",
                lambda **k: _bwd_steps(**k, dgamma_xhat=False),
                "γ multiplies x̂ in the forward pass, so ∂C/∂γ sums the upstream gradient times x̂"
                " over the columns; ∂C/∂b sums the upstream gradient alone."),
    ],
    protect=["bpkit.layers.BatchNorm"],
    what="dict of ∂C/∂b, ∂C/∂γ, ∂C/∂x̂, ∂C/∂σ_B² (dvar), ∂C/∂μ, ∂C/∂u node by node",
)


# ---------------------------------------------------------------- layer norm backward (closed form)
# Layer norm normalises each EXAMPLE over its units: μ, the variance and s of shape (1, B) (axis=0);
# γ, b stay per unit, (n, 1). Since γ varies along the normalised axis it cannot leave the means:
#   ∂C/∂u = (1/s) (g − mean_units(g) − x̂ ∘ mean_units(g ∘ x̂)),  g = γ ∘ dout.
def _ln_bwd(dout, u, gamma, eps=1e-5, *, axis=0, gamma_out=False, mean_path=True, var_path=True,
            ddof=0):
    n = u.shape[axis] - ddof
    mu = u.mean(axis=axis, keepdims=True)
    var = ((u - mu) ** 2).sum(axis=axis, keepdims=True) / n
    s = np.sqrt(var + eps)
    xhat = (u - mu) / s
    g = dout if gamma_out else gamma * dout
    du = g
    if mean_path:
        du = du - g.mean(axis=axis, keepdims=True)
    if var_path:
        du = du - xhat * (g * xhat).sum(axis=axis, keepdims=True) / n
    du = du / s
    if gamma_out:
        du = gamma * du
    return du, (dout * xhat).sum(axis=1, keepdims=True), dout.sum(axis=1, keepdims=True)


def _cases_ln(rng):
    n, B = int(rng.integers(3, 7)), int(rng.integers(2, 7))
    return {"dout": rng.normal(size=(n, B)),
            "u": rng.normal(0, 1, size=(n, B)) * rng.uniform(0.5, 3, size=(1, B)) + rng.normal(0, 2, size=(1, B)),
            "gamma": rng.normal(1, 0.5, size=(n, 1)), "eps": float(rng.uniform(1e-3, 0.1))}


exercise(
    "06.layernorm_backward",
    outputs=('du', 'dgamma', 'dbeta'),
    reference=lambda dout, u, gamma, eps=1e-5: _ln_bwd(dout, u, gamma, eps),
    visible=[{"dout": np.array([[1.0, -1.0], [0.5, 2.0], [0.0, 1.0], [-2.0, 1.0]]),
              "u": np.array([[1.0, 0.0], [2.0, -1.0], [3.0, 1.0], [6.0, 0.0]]),
              "gamma": np.array([[1.0], [2.0], [0.5], [-1.0]]), "eps": 1e-5},
             _cases_ln(np.random.default_rng(16))],
    hidden=_cases_ln,
    n_hidden=5,
    variants=[
        variant("γ taken out of the means (batch norm's closed form)",
                lambda dout, u, gamma, eps=1e-5: _ln_bwd(dout, u, gamma, eps, gamma_out=True),
                "in batch norm γ is constant along the normalised axis and factors out; in layer "
                "norm the means run over the units and γ differs from unit to unit: keep γ times "
                "the upstream gradient inside both means."),
        variant("batch norm's statistics (over the batch)",
                lambda dout, u, gamma, eps=1e-5: _ln_bwd(dout, u, gamma, eps, axis=1),
                "layer norm normalises each example (column) over its n units: μ, the variance and the means "
                "of the backward pass run over the units, axis 0."),
        variant("no variance path",
                lambda dout, u, gamma, eps=1e-5: _ln_bwd(dout, u, gamma, eps, var_path=False),
                "each column's variance depends on every unit of that column: the term of the "
                "variance path is missing (lecture 06, section 3, applied along the units)."),
        variant("no mean path",
                lambda dout, u, gamma, eps=1e-5: _ln_bwd(dout, u, gamma, eps, mean_path=False),
                "each column's mean depends on every unit of that column: the term of the mean "
                "path is missing (lecture 06, section 3, applied along the units)."),
        variant("Bessel's correction",
                lambda dout, u, gamma, eps=1e-5: _ln_bwd(dout, u, gamma, eps, ddof=1),
                "layer norm uses the biased variance over the n units, like batch norm over the B "
                "examples."),
    ],
    # layer norm is batch norm of uᵀ with ∂C/∂x̂ = γ ∘ dout: calling the library's layer is not the answer
    protect=["bpkit.layers.BatchNorm"],
    what="(∂C/∂u, ∂C/∂γ, ∂C/∂b) of layer norm (statistics per example, over the units)",
)


# ---------------------------------------------------------------- what BN changes: the scale of W (reasoning)
# BN(c u) = BN(u) for c > 0 (ε → 0): the output does not change; ∂C/∂(cW) = (1/c) ∂C/∂W; the relative
# step η‖∂C/∂W‖/‖W‖ therefore scales by 1/c².
def _cases_scale(rng):
    return {"c": round(float(10.0 ** rng.uniform(-1, 1)), 4)}


exercise(
    "06.bn_scale_effects",
    reference=lambda c: (1.0, 1.0 / c, 1.0 / c ** 2),
    visible=[{"c": 2.0}, {"c": 0.5}],
    hidden=_cases_scale,
    n_hidden=5,
    variants=[
        variant("BN makes everything scale-free (1, 1, 1)",
                lambda c: (1.0, 1.0, 1.0),
                "the output does not change, but the gradient does: the cost is the same at every "
                "scale c of W, so differentiate both sides with respect to W — the chain rule "
                "brings a factor c."),
        variant("gradient grows with the weights",
                lambda c: (1.0, c, c ** 2),
                "the cost is the same at every scale c of W: by the chain rule the gradient at the"
                " scaled weights is c times SMALLER, not larger."),
        variant("relative step scales like the gradient",
                lambda c: (1.0, 1.0 / c, 1.0 / c),
                "the relative step divides the step by the norm of W, which is c times larger too:"
                " two factors of one over c."),
        variant("output scales with W",
                lambda c: (c, 1.0 / c, 1.0 / c ** 2),
                "BN divides by the batch standard deviation, which scales with c: the output of BN"
                " does not change."),
    ],
    what="(output factor, gradient factor, relative-step factor) when W before BN is scaled by c",
)


# ---------------------------------------------------------------- does BN train faster? (deterministic GD)
def _train(X, Y, Ws, eta, n_steps, bn, eps, *, train_bn_params=True, record_after=False, var_path=True):
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
                du, dgs[i], dbs[i] = _bwd(dz, u, gammas[i], eps, var_path=var_path)
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
    variant("BN backward without the variance path",
            lambda **k: _compare(**k, var_path=False),
            "the plain curve is right; the BN curve drifts: ∂C/∂u must include the path through the "
            "batch variance (your batchnorm_backward_graph's du does)."),
    variant("γ and b never updated",
            lambda **k: _compare(**k, train_bn_params=False),
            "γ and b are parameters too: after backward, take a gradient step on them as on the "
            "weights."),
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
