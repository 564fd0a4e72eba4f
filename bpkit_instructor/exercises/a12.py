"""Assignment 12 — adaptive step sizes: RMSProp and Adam, transferred (the answer key: instructor
only, never released).

Lecture 12 derives RMSProp (R1)-(R2) and Adam (A1)-(A2) on a two-weight valley, the bias of a
zero-started running average (E[m_t] = (1 − β1^t) E[g]) and where ε goes. The assignment asks for
what it did not show:

* 12.centered_rmsprop_step — RMSProp divided by a running standard deviation instead of a running
  RMS (Graves 2013, torch.optim.RMSprop(centered=True)): the running mean of g is subtracted;
* 12.adamw_step — Adam with DECOUPLED weight decay (Loshchilov & Hutter, torch.optim.AdamW) on a
  parameter dict, weights decayed, biases not; the state goes in and comes out;
* 12.debiased_average — the bias correction applied to another running average: smoothing a
  noisy learning curve (TensorBoard's smoothing);
* 12.adamw_epoch — one epoch of minibatch AdamW on real data (UCI optical digits, bpkit.data.digits):
  the state (m, v, t) carried across minibatches.

Parameters, gradients and moments are dicts keyed "W2", "b2", ..., examples are columns.
References are self-contained numpy. Hints name the mistake and the lecture's section, never the
formula.
"""
import numpy as np

from bpkit.data import digits as _digits
from bpkit_instructor.spec import exercise, variant


def _shapes(rng):
    sizes = [int(v) for v in rng.integers(2, 6, size=int(rng.integers(3, 5)))]
    return {k: shape for l in range(2, len(sizes) + 1)
            for k, shape in ((f"W{l}", (sizes[l - 1], sizes[l - 2])), (f"b{l}", (sizes[l - 1], 1)))}


def _params_and_grads(rng, scales):
    """A parameter dict of random shapes and its gradients, each array's of a scale drawn from
    `scales`, W2's small (so that ε's placement shows in every case): shapes, scale, params, grads."""
    shapes = _shapes(rng)
    params = {k: rng.normal(size=sh) for k, sh in shapes.items()}
    scale = {k: float(rng.choice(scales)) for k in shapes}
    scale["W2"] = 0.01
    grads = {k: rng.normal(size=sh) * scale[k] for k, sh in shapes.items()}
    return shapes, scale, params, grads


def _read_only(case):
    """Hidden cases hand out read-only arrays (every dict of the case): an update done in place
    raises at the student's line."""
    for tree in case.values():
        if isinstance(tree, dict):
            for v in tree.values():
                v.setflags(write=False)
    return case


# ================================================================ 12.centered_rmsprop_step
def _centered(params, grads, s, gbar, eta, rho, eps, bug=None):
    new_p, new_s, new_g = {}, {}, {}
    for k in params:
        g = grads[k]
        s1 = rho * s[k] + (1 - rho) * g * g                        # running mean of g²
        g1 = rho * gbar[k] + (1 - rho) * g                         # running mean of g
        if bug == "weights-swapped":
            s1 = (1 - rho) * s[k] + rho * g * g
            g1 = (1 - rho) * gbar[k] + rho * g
        var = s1 - g1 * g1                                         # running variance of g
        if bug == "old-averages":
            var = s[k] - gbar[k] * gbar[k]
        if bug == "not-centered":
            denom = np.sqrt(s1) + eps
        elif bug == "eps-inside":
            denom = np.sqrt(var + eps)
        else:
            denom = np.sqrt(var) + eps
        num = g1 if bug == "mean-gradient-step" else g
        new_p[k] = params[k] - eta * num / denom
        new_s[k], new_g[k] = s1, g1
    if bug == "old-state":
        return new_p, {k: v.copy() for k, v in s.items()}, {k: v.copy() for k, v in gbar.items()}
    return new_p, new_s, new_g


def _centered_case(rng, read_only=True, first=False):
    shapes, _, params, grads = _params_and_grads(rng, [0.01, 1.0, 100.0])
    if first:
        gbar = {k: np.zeros(sh) for k, sh in shapes.items()}
        s = {k: np.zeros(sh) for k, sh in shapes.items()}
    else:
        gbar = {k: rng.normal(size=sh) * np.abs(grads[k]).mean() for k, sh in shapes.items()}
        s = {k: gbar[k] ** 2 + rng.uniform(0.1, 2.0, size=sh) * np.abs(grads[k]).mean() ** 2
             for k, sh in shapes.items()}                      # s ≥ ḡ²: a variance that can be
    case = {"params": params, "grads": grads, "s": s, "gbar": gbar,
            "eta": float(rng.uniform(1e-3, 0.1)), "rho": float(rng.uniform(0.8, 0.99)),
            "eps": float(rng.choice([1e-8, 1e-6, 1e-4]))}
    return _read_only(case) if read_only else case


exercise(
    "12.centered_rmsprop_step",
    outputs=('new_params', 'new_s', 'new_gbar'),
    reference=lambda params, grads, s, gbar, eta, rho, eps: _centered(params, grads, s, gbar, eta, rho, eps),
    visible=[dict(_centered_case(np.random.default_rng(1201), read_only=False), eps=1e-4),
             _centered_case(np.random.default_rng(1202), read_only=False, first=True)],
    hidden=lambda rng: _centered_case(rng, first=bool(rng.random() < 0.25)),
    n_hidden=6,
    variants=[
        variant("not centred (plain RMSProp)",
                lambda **kw: _centered(**kw, bug="not-centered"),
                "this is lecture 12's RMSProp (section 2): its denominator is a root-mean-square, which "
                "includes the square of the gradient's running mean. The centred variant divides by a "
                "running standard deviation: take the mean's share out first."),
        variant("ε inside the square root",
                lambda **kw: _centered(**kw, bug="eps-inside"),
                "ε is added outside the root here, as in lecture 12's RMSProp and Adam (section 4's table): "
                "inside it acts like a much larger ε."),
        variant("standard deviation from the averages before this step",
                lambda **kw: _centered(**kw, bug="old-averages"),
                "update both running averages with this step's gradient first, then divide by the standard "
                "deviation they give (lecture 12, section 2: the denominator includes the current gradient)."),
        variant("stepped with the running mean instead of the gradient",
                lambda **kw: _centered(**kw, bug="mean-gradient-step"),
                "the running mean of the gradient only centres the denominator; the numerator is this "
                "step's gradient, as in lecture 12's RMSProp (section 2). (Stepping with an average is momentum.)"),
        variant("decay weights swapped (ρ on the new value)",
                lambda **kw: _centered(**kw, bug="weights-swapped"),
                "in a running average the decay rate ρ weighs the OLD average and its complement "
                "the new value (lecture 12, section 2): ρ close to one means a long memory."),
        variant("returned the old running averages",
                lambda **kw: _centered(**kw, bug="old-state"),
                "return the UPDATED running averages: the next step must start from them."),
    ],
    protect=["bpkit.optim.RMSProp"],
    what="one step of centred RMSProp (running mean and mean square of g, the step divided by the "
         "running standard deviation plus ε) on every array of a parameter dict, on 2 visible and 6 "
         "random dicts whose arrays are read-only",
)


# ================================================================ 12.adamw_step
def _adamw(params, grads, m, v, t, eta, beta1, beta2, eps, weight_decay, bug=None):
    new_p, new_m, new_v = {}, {}, {}
    for k in params:
        p, g = params[k], grads[k]
        decays = k.startswith("W") or bug == "decay-biases"
        if bug == "coupled" and decays:
            g = g + weight_decay * p                                # L2 through the moments
        m1 = beta1 * m[k] + (1 - beta1) * g
        v1 = beta2 * v[k] + (1 - beta2) * g * g
        mm, vv = (m[k], v[k]) if bug == "old-moments" else (m1, v1)
        tt = t + 1 if bug == "t-plus-one" else t
        if bug != "no-correction":
            mm, vv = mm / (1 - beta1 ** tt), vv / (1 - beta2 ** tt)
        denom = np.sqrt(vv + eps) if bug == "eps-inside" else np.sqrt(vv) + eps
        step = eta * mm / denom
        if decays and bug != "coupled":
            shrink = weight_decay if bug == "decay-no-eta" else eta * weight_decay
            p = p - shrink * p                                      # decoupled: outside the moments
        new_p[k] = p - step
        new_m[k], new_v[k] = m1, v1
    return new_p, new_m, new_v


def _adamw_case(rng, read_only=True, t=None):
    shapes, scale, params, grads = _params_and_grads(rng, [0.01, 1.0, 30.0])
    m = {k: rng.normal(size=sh) * scale[k] * 0.5 for k, sh in shapes.items()}
    v = {k: rng.uniform(0.2, 2.0, size=sh) * scale[k] ** 2 for k, sh in shapes.items()}
    case = {"params": params, "grads": grads, "m": m, "v": v,
            "t": int(t if t is not None else rng.integers(2, 40)),
            "eta": float(rng.uniform(1e-3, 0.05)), "beta1": float(rng.uniform(0.8, 0.95)),
            "beta2": float(rng.uniform(0.95, 0.9995)), "eps": float(rng.choice([1e-8, 1e-6, 1e-4])),
            "weight_decay": float(rng.uniform(0.5, 5.0))}
    return _read_only(case) if read_only else case


exercise(
    "12.adamw_step",
    outputs=('new_params', 'new_m', 'new_v'),
    reference=lambda **kw: _adamw(**kw),
    visible=[dict(_adamw_case(np.random.default_rng(1211), read_only=False, t=3), eps=1e-4),
             _adamw_case(np.random.default_rng(1212), read_only=False, t=17)],
    hidden=_adamw_case,
    n_hidden=6,
    variants=[
        variant("coupled weight decay (L2 through the moments)",
                lambda **kw: _adamw(**kw, bug="coupled"),
                "this is lecture 08's L2 penalty pushed through Adam: the decay term was added to the gradient, "
                "so it is averaged into the moments and divided by the root of v̂ (lecture 12, section 4). "
                "Decoupled weight decay never enters the moments: it shrinks the weights directly."),
        variant("no bias correction",
                lambda **kw: _adamw(**kw, bug="no-correction"),
                "m and v start at 0 and are biased towards 0 for small t: divide the bias out before the "
                "step (lecture 12, section 3, (A2))."),
        variant("ε inside the square root",
                lambda **kw: _adamw(**kw, bug="eps-inside"),
                "ε goes outside the root, after the bias correction (lecture 12, section 4's table): inside it "
                "acts like a much larger ε."),
        variant("bias correction with the step count off by one",
                lambda **kw: _adamw(**kw, bug="t-plus-one"),
                "t is the number of the step being taken, and the corrections use that same t "
                "(lecture 12, section 3): the first step is step one."),
        variant("stepped with the moments of the previous step",
                lambda **kw: _adamw(**kw, bug="old-moments"),
                "update m and v with this step's gradient first, then step with the corrected NEW moments "
                "(lecture 12, section 3, (A1) then (A2))."),
        variant("weight decay applied to the biases too",
                lambda **kw: _adamw(**kw, bug="decay-biases"),
                "as in lecture 08, only the weight matrices W are decayed; the biases are not."),
        variant("weight decay not scaled by the learning rate",
                lambda **kw: _adamw(**kw, bug="decay-no-eta"),
                "the decoupled decay is a step too: its size is the learning rate times the decay strength, "
                "as in lecture 08's weight decay with plain SGD."),
    ],
    protect=["bpkit.optim.Adam"],
    what="one AdamW step (Adam with decoupled weight decay on the weights) on a parameter dict, "
         "returning the parameters and both moments, on 2 visible and 6 random dicts whose arrays "
         "are read-only",
)


# ================================================================ 12.debiased_average
def _debiased(x, beta, bug=None):
    x = np.asarray(x, dtype=float)
    out, s = np.empty_like(x), 0.0
    for i, xi in enumerate(x):
        t = i + 1
        s = (1 - beta) * s + beta * xi if bug == "swapped" else beta * s + (1 - beta) * xi
        if bug == "none" or bug == "swapped":
            out[i] = s
        elif bug == "t-minus-one":
            out[i] = s / (1 - beta ** (t + 1))
        elif bug == "started-at-x":
            out[i] = np.nan                                         # filled below
        else:
            out[i] = s / (1 - beta ** t)
    if bug == "started-at-x":                                       # s_0 = x_1 and then corrected
        s = x[0]
        for i, xi in enumerate(x):
            s = beta * s + (1 - beta) * xi
            out[i] = s / (1 - beta ** (i + 1))
    if bug == "cumulative":
        out = np.cumsum(x) / np.arange(1, len(x) + 1)
    return out


def _curve_case(rng, n=None):
    n = int(n or rng.integers(8, 60))
    t = np.arange(n)
    x = 2.0 * np.exp(-t / rng.uniform(5, 30)) + 0.3 + 0.2 * rng.normal(size=n)
    return {"x": x, "beta": float(rng.uniform(0.6, 0.98))}


exercise(
    "12.debiased_average",
    reference=lambda x, beta: _debiased(x, beta),
    visible=[dict(_curve_case(np.random.default_rng(1221), 12), beta=0.9),
             _curve_case(np.random.default_rng(1222), 30)],
    hidden=_curve_case,
    n_hidden=6,
    variants=[
        variant("no bias correction",
                lambda x, beta: _debiased(x, beta, "none"),
                "a running average started at 0 is biased towards 0 for the first steps — the curve starts "
                "far below the data. Divide the bias out (lecture 12, section 3's derivation)."),
        variant("decay weights swapped (β on the new value)",
                lambda x, beta: _debiased(x, beta, "swapped"),
                "β weighs the OLD average and its complement the new value (lecture 12, (A1)): β "
                "close to one means a smooth curve."),
        variant("correction with the step count off by one",
                lambda x, beta: _debiased(x, beta, "t-minus-one"),
                "the t-th smoothed value has averaged t values: the correction uses t, counted from 1 "
                "(lecture 12, section 3)."),
        variant("average started at the first value and corrected anyway",
                lambda x, beta: _debiased(x, beta, "started-at-x"),
                "the correction is for an average started at 0 (lecture 12, section 3): start at 0 and "
                "correct, or start at the first value and do not correct — here, start at 0."),
        variant("plain mean of all values so far",
                lambda x, beta: _debiased(x, beta, "cumulative"),
                "a running mean weighs every value equally; an exponential average forgets old values at "
                "the rate β (lecture 12, section 2)."),
    ],
    what="the bias-corrected exponential moving average of a noisy learning curve, on 2 visible and 6 "
         "random curves",
)


# ================================================================ 12.adamw_epoch (UCI digits)
def _softmax_grads(params, X, Y):
    """The setup cell's digits_gradients: tanh hidden layer, softmax cross-entropy (batch mean)."""
    B = X.shape[1]
    z2 = params["W2"] @ X + params["b2"]
    a2 = np.tanh(z2)
    z3 = params["W3"] @ a2 + params["b3"]
    e = np.exp(z3 - z3.max(axis=0, keepdims=True))
    P = e / e.sum(axis=0, keepdims=True)
    d3 = P - Y                                                      # δ^[3], per example
    d2 = (1 - a2 ** 2) * (params["W3"].T @ d3)                      # δ^[2]
    return {"W3": d3 @ a2.T / B, "b3": d3.sum(axis=1, keepdims=True) / B,
            "W2": d2 @ X.T / B, "b2": d2.sum(axis=1, keepdims=True) / B}


def _epoch(params, X, Y, batches, eta, weight_decay, bug=None):
    b1, b2, eps = 0.9, 0.999, 1e-8
    p = {k: v.copy() for k, v in params.items()}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(w) for k, w in p.items()}
    t = 0
    for idx in batches:
        idx = np.asarray(idx, dtype=int)
        g = _softmax_grads(p, X[:, idx], Y[:, idx])
        if bug == "reset-state":
            m = {k: np.zeros_like(w) for k, w in p.items()}
            v = {k: np.zeros_like(w) for k, w in p.items()}
            t = 0
        if bug != "t-frozen" or t == 0:
            t += 1
        p, m, v = _adamw(p, g, m, v, t, eta, b1, b2, eps, weight_decay)
    return p


_DIGITS = {}


def _digits_scaled():
    if "Xy" not in _DIGITS:
        X, y = _digits()
        _DIGITS["Xy"] = (X / 16.0, y)
    return _DIGITS["Xy"]


def _epoch_case(rng, n=None, hidden=None, batch=None):
    X, y = _digits_scaled()
    n = int(n or rng.integers(60, 121))
    hidden = int(hidden or rng.integers(8, 17))
    batch = int(batch or rng.integers(8, 21))
    idx = rng.choice(X.shape[1], size=n, replace=False)            # real digits, drawn per case
    Y = np.zeros((10, n))
    Y[y[idx], np.arange(n)] = 1.0
    params = {"W2": rng.normal(size=(hidden, 64)) / 8.0, "b2": np.zeros((hidden, 1)),
              "W3": rng.normal(size=(10, hidden)) / np.sqrt(hidden), "b3": np.zeros((10, 1))}
    perm = rng.permutation(n)
    return {"params": params, "X": X[:, idx], "Y": Y,
            "batches": [perm[i:i + batch] for i in range(0, n, batch)],
            "eta": float(rng.uniform(0.005, 0.03)), "weight_decay": float(rng.uniform(0.5, 3.0))}


exercise(
    "12.adamw_epoch",
    reference=lambda **kw: _epoch(**kw),
    visible=[_epoch_case(np.random.default_rng(1231), n=60, hidden=8, batch=16)],
    hidden=_epoch_case,
    n_hidden=3,
    variants=[
        variant("optimiser state reset at every minibatch",
                lambda **kw: _epoch(**kw, bug="reset-state"),
                "the moments and the step count belong to the whole run: start them once, before the "
                "first minibatch, and carry them from step to step (lecture 12, section 3)."),
        variant("step count never advanced",
                lambda **kw: _epoch(**kw, bug="t-frozen"),
                "t counts the updates: the k-th minibatch of the epoch is step k, and the bias corrections "
                "use it (lecture 12, section 3)."),
    ],
    protect=["bpkit.optim.Adam", "bpkit.optim.train_minibatch"],
    timeout=20.0,
    what="the parameters after one epoch of minibatch AdamW on handwritten digits (UCI optical digits), "
         "on 1 visible and 3 random subsets of the data set",
)
