"""Assignment 09 — a layer API the students build, and their own gradient check (the answer key).

The API (CS231n style, examples are columns): a layer is a plain dict,

    {"kind": "dense", "W": (m, n), "b": (m, 1)}          {"kind": "relu"}   {"kind": "tanh"}
    {"kind": "batchnorm", "gamma": (n, 1), "beta": (n, 1), "eps": float}     (train mode)
    {"kind": "rmsnorm", "gamma": (n, 1), "eps": float}                      (RMS norm, below)
    {"kind": "dropout", "p": float, "mask": (n, B) of 0/1}                 (train mode, inverted)
    {"kind": "residual", "layers": [layer, ...]}                           out = x + F(x)

forward → (out, cache); backward(dout, cache) → (dx, grads), grads a dict with the layer's
parameter names ({} for none; {"layers": [...]} for a residual block). dout = ∂C/∂out already
carries the batch mean (C is the batch mean), so layers SUM over columns and never divide by B.

RMS norm (Zhang & Sennrich 2019) is the layer nobody solved (lecture 06 did batch norm, assignment
06 layer norm): each example rescaled by the root mean square of its units (axis 0), ε inside the
root, no re-centring, no shift b: out = γ ∘ x / rms, rms = √(mean_units(x²) + ε); γ per unit (n, 1).
Its cache is (x̂, γ, rms), rms of shape (1, B).

The gradient check compares claimed gradients (from a correct or a subtly wrong backward pass,
evaluated at the case's point) with central differences of C = Σ dout ∘ out, using the course's
one relative error ‖a − b‖ / max(‖a‖ + ‖b‖, 1e-12); a group passes when it is below 1e-7.
Cases keep every group's relative error (h = 1e-6) below 1e-8 or above 1e-4, so a sound checker
(central differences with h near the course's 1e-6) agrees with the reference.
"""
import copy

import numpy as np

from bpkit_instructor.spec import exercise, variant

_FINE = 1e-7          # the course's threshold: below it, a gradient agrees (team notes, lecture 01)


# ============================================================ RMS norm (the new layer)
def _rms_forward(x, gamma, eps=1e-5, *, axis=0, center=False, eps_out=False):
    if center:                                   # that would be layer norm (without the shift b)
        x = x - x.mean(axis=axis, keepdims=True)
    ms = (x ** 2).mean(axis=axis, keepdims=True)
    rms = np.sqrt(ms) + eps if eps_out else np.sqrt(ms + eps)
    xhat = x / rms
    return gamma * xhat, (xhat, gamma, rms)


def _rms_case(rng):
    n, B = int(rng.integers(2, 7)), int(rng.integers(1, 7))
    x = rng.normal(rng.normal(0, 1), rng.uniform(0.5, 3), size=(n, B))
    return {"x": x, "gamma": rng.normal(1, 0.5, size=(n, 1)), "eps": float(rng.uniform(1e-3, 0.2))}


_r = np.random.default_rng(9)
_VIS_RMS = [
    {"x": np.array([[1.0, 0.0, 2.0], [2.0, -1.0, 2.0], [6.0, 1.0, 2.0]]),
     "gamma": np.array([[1.0], [2.0], [0.5]]), "eps": 1e-5},
    {"x": _r.normal(1, 2, size=(4, 5)), "gamma": _r.normal(1, 0.3, size=(4, 1)), "eps": 0.1},
]

exercise(
    "09.rmsnorm_forward",
    outputs=('out', 'cache'),
    reference=_rms_forward,
    visible=_VIS_RMS,
    hidden=_rms_case,
    n_hidden=5,
    variants=[
        variant("statistics over the batch (batch norm's axis)",
                lambda **k: _rms_forward(**k, axis=1),
                "RMS norm rescales each EXAMPLE by the root mean square of its units: the mean "
                "runs over the units, axis 0 (one number per column), not over the batch."),
        variant("mean subtracted (that is layer norm)",
                lambda **k: _rms_forward(**k, center=True),
                "RMS norm does not re-centre: it only divides by the root mean square, with no "
                "mean subtracted."),
        variant("ε outside the square root",
                lambda **k: _rms_forward(**k, eps_out=True),
                "ε goes inside the root, added to the mean square, and the cache holds that root."),
    ],
    what="(out, (x̂, γ, rms)) of RMS norm, statistics over the units of each example",
)


# ------------------------------------------------------------------ RMS norm, backward
def _rms_backward(dout, cache, *, axis=0, rms_path=True, mean_path=False, param_axis=1,
                  param_scale=False):
    xhat, gamma, rms = cache
    dxhat = dout * gamma
    dx = dxhat
    if mean_path:                                 # layer norm's extra term: not in RMS norm
        dx = dx - dxhat.mean(axis=axis, keepdims=True)
    if rms_path:
        dx = dx - xhat * (dxhat * xhat).mean(axis=axis, keepdims=True)
    dx = dx / rms
    dgamma = (dout * xhat).sum(axis=param_axis, keepdims=True)
    if param_scale:
        dgamma = dgamma / dout.shape[1]
    return dx, {"gamma": dgamma}


def _rms_bwd_case(rng):
    c = _rms_case(rng)
    if c["x"].shape[1] == 1:                     # a batch of 1 hides the parameter-sum mistakes
        c = _rms_case(rng)
    _, cache = _rms_forward(**c)
    return {"dout": rng.normal(size=c["x"].shape), "cache": cache}


def _vis_bwd(c, seed):
    return {"dout": np.random.default_rng(seed).normal(size=c["x"].shape), "cache": _rms_forward(**c)[1]}


exercise(
    "09.rmsnorm_backward",
    outputs=('dx', 'grads'),
    reference=_rms_backward,
    visible=[_vis_bwd(c, i) for i, c in enumerate(_VIS_RMS)],
    hidden=_rms_bwd_case,
    n_hidden=5,
    variants=[
        variant("rms treated as a constant",
                lambda dout, cache: _rms_backward(dout, cache, rms_path=False),
                "x reaches the loss also through the root mean square, which every unit of the "
                "column feeds: that path is missing (lecture 06, section 3's way of following "
                "every path)."),
        variant("layer norm's mean term added",
                lambda dout, cache: _rms_backward(dout, cache, mean_path=True),
                "RMS norm has no mean in its forward pass, so its backward pass has no mean term: "
                "derive from ITS graph (mean square, root, division), not from batch or layer "
                "norm's."),
        variant("means over the batch in the backward pass",
                lambda dout, cache: _rms_backward(dout, cache, axis=1),
                "the means of the backward pass run over the same axis as the forward statistics: "
                "axis 0, the units of each example."),
        variant("∂C/∂γ summed over the units",
                lambda dout, cache: _rms_backward(dout, cache, param_axis=0),
                "γ is per unit, (n, 1), shared by all examples: sum over the batch (axis 1)."),
        variant("∂C/∂γ divided by B",
                lambda dout, cache: _rms_backward(dout, cache, param_scale=True),
                "in the layer API the upstream gradient already carries the batch mean from the "
                "loss (lecture 09, section 2): a layer sums over the columns; dividing again "
                "applies 1/B twice."),
    ],
    what="(∂C/∂x, {gamma: ∂C/∂γ}) of RMS norm from its cache",
)


# ============================================================ the network of layer dicts
def _layer_forward(layer, x, bugs=()):
    kind = layer["kind"]
    if kind == "dense":
        return layer["W"] @ x + layer["b"], x
    if kind == "relu":
        return np.maximum(x, 0.0), x
    if kind == "tanh":
        t = np.tanh(x)
        return t, t
    if kind == "batchnorm":
        mu, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
        std = np.sqrt(var + layer.get("eps", 1e-5))
        xhat = (x - mu) / std
        return layer["gamma"] * xhat + layer["beta"], (xhat, std)
    if kind == "rmsnorm":
        rms = np.sqrt((x ** 2).mean(axis=0, keepdims=True) + layer.get("eps", 1e-5))
        return layer["gamma"] * x / rms, (x / rms, rms)
    if kind == "dropout":
        return x * layer["mask"] / (1.0 - layer["p"]), None
    if kind == "residual":
        out, caches = _net_forward(layer["layers"], x, bugs)
        return (out if "no-skip-anywhere" in bugs else x + out), caches
    if kind == "blackbox":
        return _blackbox_forward(layer, x)
    raise ValueError(f"unknown layer kind {kind!r}")


def _net_forward(layers, x, bugs=()):
    caches = []
    for layer in layers:
        x, c = _layer_forward(layer, x, bugs)
        caches.append(c)
    return x, caches


def _layer_backward(layer, dout, cache, bugs=()):
    kind = layer["kind"]
    if kind == "dense":
        x = cache
        db = dout.sum(axis=1, keepdims=True)
        if "dense-db-mean" in bugs:
            db = db / dout.shape[1]
        dW = dout @ x.T
        if "dense-dW-mean" in bugs:
            dW = dW / dout.shape[1]
        return layer["W"].T @ dout, {"W": dW, "b": db}
    if kind == "relu":
        return dout * (cache > 0), {}
    if kind == "tanh":
        t = cache
        return dout * ((1.0 - t) if "tanh-no-square" in bugs else (1.0 - t ** 2)), {}
    if kind == "batchnorm":
        xhat, std = cache
        dxhat = dout * layer["gamma"]
        dx = dxhat
        if "batchnorm-no-mean" not in bugs:
            dx = dx - dxhat.mean(axis=1, keepdims=True)
        if "batchnorm-no-var" not in bugs:
            dx = dx - xhat * (dxhat * xhat).mean(axis=1, keepdims=True)
        return dx / std, {"gamma": (dout * xhat).sum(axis=1, keepdims=True),
                          "beta": dout.sum(axis=1, keepdims=True)}
    if kind == "rmsnorm":
        xhat, rms = cache
        dxhat = dout * layer["gamma"]
        dx = dxhat
        if "rms-constant" not in bugs:
            dx = dx - xhat * (dxhat * xhat).mean(axis=0, keepdims=True)
        if "rms-mean-term" in bugs:
            dx = dx - dxhat.mean(axis=0, keepdims=True)
        return dx / rms, {"gamma": (dout * xhat).sum(axis=1, keepdims=True)}
    if kind == "dropout":
        scale = 1.0 if "dropout-no-scale" in bugs else 1.0 / (1.0 - layer["p"])
        return dout * layer["mask"] * scale, {}
    if kind == "residual":
        dx, grads = _net_backward(layer["layers"], dout, cache, bugs)
        skip = "no-skip" in bugs or "no-skip-anywhere" in bugs
        return (dx if skip else dout + dx), {"layers": grads}
    if kind == "blackbox":                       # out = x + a ∘ sin x
        x = cache
        da = (dout * (np.cos(x) if "blackbox-cos" in bugs else np.sin(x))).sum(axis=1, keepdims=True)
        return dout * (1.0 + layer["a"] * np.cos(x)), {"a": da}
    raise ValueError(f"unknown layer kind {kind!r}")


def _net_backward(layers, dout, caches, bugs=(), buggy_index=None):
    grads = [None] * len(layers)
    for i in range(len(layers) - 1, -1, -1):
        b = bugs if buggy_index in (None, i) else ()
        dout, grads[i] = _layer_backward(layers[i], dout, caches[i], b)
    if "grads-backward-order" in bugs:
        grads = grads[::-1]
    return dout, grads


def _net_grads(layers, X, dout, bugs=()):
    out, caches = _net_forward(layers, X, bugs)
    dX, grads = _net_backward(layers, dout, caches, bugs)
    return out, dX, grads


# -------------------------------------------------------------- random networks (plain data)
def _random_layer(rng, kind, n, B, depth=0):
    if kind == "dense":
        m = int(rng.integers(2, 6))
        return {"kind": "dense", "W": rng.normal(size=(m, n)) / np.sqrt(n),
                "b": rng.normal(size=(m, 1))}, m
    if kind == "batchnorm":
        return {"kind": kind, "gamma": rng.normal(1, 0.4, size=(n, 1)),
                "beta": rng.normal(size=(n, 1)), "eps": float(rng.uniform(1e-3, 0.1))}, n
    if kind == "rmsnorm":
        return {"kind": kind, "gamma": rng.normal(1, 0.4, size=(n, 1)),
                "eps": float(rng.uniform(1e-3, 0.1))}, n
    if kind == "blackbox":
        return {"kind": "blackbox", "a": rng.normal(size=(n, 1))}, n
    if kind == "dropout":
        mask = (rng.random((n, B)) > 0.3).astype(float)
        return {"kind": "dropout", "p": float(rng.choice([0.2, 0.25, 0.4, 0.5])), "mask": mask}, n
    if kind == "residual":
        inner_kinds = [["dense", "tanh", "dense"], ["rmsnorm", "dense", "relu", "dense"],
                       ["dense", "tanh", "batchnorm", "dense"]][int(rng.integers(0, 3))]
        layers, m = [], n
        for j, k in enumerate(inner_kinds):
            if k == "dense":
                last = j == len(inner_kinds) - 1
                width = n if last else int(rng.integers(2, 6))
                layer = {"kind": "dense", "W": rng.normal(size=(width, m)) / np.sqrt(m),
                         "b": rng.normal(size=(width, 1))}
                m = width
            else:
                layer, m = _random_layer(rng, k, m, B, depth + 1)
            layers.append(layer)
        return {"kind": "residual", "layers": layers}, n
    return {"kind": kind}, n


def _random_net(rng, kinds, d=None, B=None):
    d = d or int(rng.integers(2, 5))
    B = B or int(rng.integers(3, 7))
    layers, n = [], d
    for k in kinds:
        layer, n = _random_layer(rng, k, n, B)
        layers.append(layer)
    X = rng.normal(size=(d, B))
    out, _ = _net_forward(layers, X)
    return {"layers": layers, "X": X, "dout": rng.normal(size=out.shape) / B}


def _plain_kinds(rng):
    """Every kind once (so every catalogued mistake shows), in a random order, between dense layers."""
    kinds = ["dense"]
    for k in rng.permutation(["relu", "tanh", "batchnorm", "rmsnorm", "dropout"]):
        kinds += [str(k), "dense"]
    return kinds


def _net_case(rng):
    return _random_net(rng, _plain_kinds(rng))


def _res_case(rng):
    kinds = ["dense"]
    for _ in range(int(rng.integers(1, 4))):
        kinds += ["residual", str(rng.choice(["tanh", "relu", "dropout"]))]
    return _random_net(rng, kinds + ["dense"])


_VIS_NET = [
    _random_net(np.random.default_rng(91), ["dense", "relu", "dense", "batchnorm", "tanh", "dense"], 3, 4),
    _random_net(np.random.default_rng(92), ["dense", "rmsnorm", "dropout", "dense", "tanh", "dense"], 2, 5),
]
_VIS_RES = [
    _random_net(np.random.default_rng(93), ["dense", "residual", "tanh", "dense"], 3, 4),
    _random_net(np.random.default_rng(94), ["dense", "residual", "tanh", "residual", "dense"], 2, 5),
]

_NET_VARIANTS = [
    variant("gradients listed in backward order",
            lambda layers, X, dout: _net_grads(layers, X, dout, bugs=("grads-backward-order",)),
            "the backward loop visits the layers last to first; grads[i] must belong to layers[i] "
            "(fill a list by index, or reverse the list you appended to)."),
    variant("bias gradient divided by B (1/B applied twice)",
            lambda layers, X, dout: _net_grads(layers, X, dout, bugs=("dense-db-mean",)),
            "the upstream gradient already carries the batch mean from the loss; a dense layer "
            "SUMS over the columns, for ∂C/∂b as for ∂C/∂W (lecture 09, section 2)."),
    variant("tanh′ with its square missing",
            lambda layers, X, dout: _net_grads(layers, X, dout, bugs=("tanh-no-square",)),
            "tanh′ is one minus the SQUARE of tanh: square the cached output."),
    variant("dropout backward without the rescaling",
            lambda layers, X, dout: _net_grads(layers, X, dout, bugs=("dropout-no-scale",)),
            "inverted dropout multiplies by the mask and the rescaling in the forward pass, so the"
            " backward pass multiplies the upstream gradient by the same factor (lecture 08, "
            "section 4)."),
    variant("batch norm: μ and the variance treated as constants",
            lambda layers, X, dout: _net_grads(layers, X, dout, bugs=("batchnorm-no-mean", "batchnorm-no-var")),
            "the batch statistics depend on x: the paths through the mean and the variance are "
            "missing (lecture 06, section 3, the three paths into x̂)."),
]

exercise(
    "09.network",
    outputs=('out', 'dX', 'grads'),
    reference=_net_grads,
    visible=_VIS_NET,
    hidden=_net_case,
    n_hidden=6,
    variants=_NET_VARIANTS,
    protect=["bpkit.layers.BatchNorm", "bpkit.layers.Dense"],
    what="(out, ∂C/∂X, per-layer gradients) of networks of dense, relu, tanh, batch norm, RMS norm and dropout",
)

exercise(
    "09.network_residual",
    outputs=('out', 'dX', 'grads'),
    reference=_net_grads,
    visible=_VIS_RES,
    hidden=_res_case,
    n_hidden=6,
    variants=[
        variant("skip connection missing in the backward pass",
                lambda layers, X, dout: _net_grads(layers, X, dout, bugs=("no-skip",)),
                "the block's output is its input plus the inner layers' output, so the skip passes"
                " the upstream gradient back unchanged, ADDED to what the inner layers return "
                "(lecture 07, section 3)."),
        variant("no skip connection at all (a plain block)",
                lambda layers, X, dout: _net_grads(layers, X, dout, bugs=("no-skip-anywhere",)),
                "a residual block adds its input to the inner layers' output: add the input in the"
                " forward pass, and the upstream gradient to theirs in the backward pass."),
        variant("gradients listed in backward order",
                lambda layers, X, dout: _net_grads(layers, X, dout, bugs=("grads-backward-order",)),
                "grads[i] must belong to layers[i], inside a block too."),
    ],
    protect=["bpkit.layers.Residual"],
    what="(out, ∂C/∂X, per-layer gradients) of networks with residual blocks (nested lists of layers)",
)


# ============================================================ the gradient check
def _rel(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12))


def _num_grad(f, x, h=1e-6, one_sided=False, restore=True):
    g = np.zeros_like(x)
    flat, gf = x.reshape(-1), g.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        fp = f()
        if one_sided:
            flat[i] = old
            fm, step = f(), h
        else:
            flat[i] = old - h
            fm, step = f(), 2 * h
        if restore:
            flat[i] = old
        gf[i] = (fp - fm) / step
    return g


def _param_groups(layers, grads):
    """[(the layer dict holding the parameter, name, claimed gradient, path in the verdict)]."""
    out = []
    for i, (layer, g) in enumerate(zip(layers, grads)):
        if layer["kind"] == "residual":
            out += [(lay, n, gr, (i, "layers") + path)
                    for lay, n, gr, path in _param_groups(layer["layers"], g["layers"])]
        else:
            out += [(layer, n, g[n], (i, n)) for n in sorted(g)]
    return out


def _verdict_shape(grads):
    return [({"layers": _verdict_shape(g["layers"])} if "layers" in g else {n: None for n in g})
            for g in grads]


def _set(tree, path, value):
    for p in path[:-1]:
        tree = tree[p]
    tree[path[-1]] = value


def _errors(layers, X, dout, dX, grads, h=1e-6, *, one_sided=False, restore=True, upstream="dout"):
    layers = copy.deepcopy(layers)
    X = np.array(X, dtype=np.float64, copy=True)
    G = np.ones_like(dout) if upstream == "ones" else dout

    def f():
        return float(np.sum(G * _net_forward(layers, X)[0]))

    err_X = _rel(dX, _num_grad(f, X, h, one_sided, restore))
    errs = _verdict_shape(grads)
    for layer, name, claimed, path in _param_groups(layers, grads):
        _set(errs, path, _rel(claimed, _num_grad(f, layer[name], h, one_sided, restore)))
    return err_X, errs


def _map(tree, fn):
    if isinstance(tree, dict):
        return {k: _map(v, fn) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_map(v, fn) for v in tree]
    return fn(tree)


def _grad_check(layers, X, dout, dX, grads, h=1e-6, *, one_sided=False, restore=True,
                upstream="dout", params=True, fine=_FINE):
    err_X, errs = _errors(layers, X, dout, dX, grads, h, one_sided=one_sided, restore=restore,
                          upstream=upstream)
    return err_X < fine, _map(errs, (lambda e: e < fine) if params else (lambda e: True))


_BUGS_BY_KIND = {"dense": ["dense-db-mean", "dense-dW-mean"], "tanh": ["tanh-no-square"],
                 "batchnorm": ["batchnorm-no-mean", "batchnorm-no-var"],
                 "rmsnorm": ["rms-constant", "rms-mean-term"],
                 "dropout": ["dropout-no-scale"], "residual": ["no-skip"], "blackbox": ["blackbox-cos"]}


def _draw_kinds(rng, blocks):
    """A dense layer, then `blocks` random blocks, each followed by a dense layer. (A batch norm
    comes after a tanh: right after a dense layer it would make that layer's ∂C/∂b exactly 0.)"""
    kinds = ["dense"]
    for _ in range(blocks):
        k = str(rng.choice(["tanh", "bn", "rmsnorm", "dropout", "residual"]))
        kinds += (["tanh", "batchnorm"] if k == "bn" else [k]) + ["dense"]
    return kinds


def _gc_case(rng, wrong=None, ones=False, kinds=None):
    """A network, an upstream gradient and the gradients a correct (or a subtly wrong) backward
    pass claims; redrawn until every group is clearly right (< 1e-8) or clearly wrong (> 1e-4)."""
    wrong = bool(rng.random() < 0.6) if wrong is None else wrong
    while True:
        drawn = _draw_kinds(rng, int(rng.integers(1, 4)))
        case = _random_net(rng, kinds or drawn)
        if ones:                                  # a visible case that tells "ones" from "always fails"
            case["dout"] = np.ones_like(case["dout"])
        for layer in case["layers"]:             # relu kinks make differences unreliable: tanh only
            if layer["kind"] == "residual":
                for inner in layer["layers"]:
                    if inner["kind"] == "relu":
                        inner["kind"] = "tanh"
        layers, X, dout = case["layers"], case["X"], case["dout"]
        _, caches = _net_forward(layers, X)
        bugs, at = (), None
        if wrong:
            at = int(rng.integers(0, len(layers)))
            choices = _BUGS_BY_KIND.get(layers[at]["kind"], [])
            if not choices:
                continue
            bugs = (str(rng.choice(choices)),)
        dX, grads = _net_backward(layers, dout, caches, bugs, buggy_index=at)
        true_dX, true_grads = _net_backward(layers, dout, caches)
        norms = [np.linalg.norm(true_dX)] + [np.linalg.norm(g) for _, _, g, _ in
                                             _param_groups(layers, true_grads)]
        if min(norms) < 1e-4:                     # a (near-)zero true gradient: relative error is noise
            continue
        err_X, errs = _errors(layers, X, dout, dX, grads)
        all_errs = [err_X] + [e for _, _, _, p in _param_groups(layers, grads) for e in [_get(errs, p)]]
        if all(e < 1e-8 or e > 1e-4 for e in all_errs) and (not wrong or max(all_errs) > 1e-4):
            return {"layers": layers, "X": X, "dout": dout, "dX": dX, "grads": grads}


def _get(tree, path):
    for p in path:
        tree = tree[p]
    return tree


def _slightly_off(case, rng, tries=5, groups_to_change=None):
    """`case` with ONE claimed gradient that was right (∂C/∂X or a parameter group) now off by
    a relative error between 1e-6 and 1e-5: above the course's threshold, far above the
    differences' own error (about 1e-10), below what a loose threshold (1e-5, 1e-4) flags.
    None if no such change keeps every other group as it was."""
    err_X, errs = _errors(case["layers"], case["X"], case["dout"], case["dX"], case["grads"])
    groups = [(None, err_X)] + [(p, _get(errs, p)) for _, _, _, p in
                                _param_groups(case["layers"], case["grads"])]
    right = [p for p, e in groups if e < 1e-8 and (groups_to_change is None or p in groups_to_change)]
    for _ in range(tries if right else 0):
        path = right[int(rng.integers(0, len(right)))]
        new = copy.deepcopy({k: case[k] for k in ("dX", "grads")})
        factor = 1 + 2 * 10 ** rng.uniform(-6, -5)      # _rel(c, (1 + d) c) = d / (2 + d)
        if path is None:
            new["dX"] = new["dX"] * factor
        else:
            _set(new["grads"], path, _get(new["grads"], path) * factor)
        e_X, e = _errors(case["layers"], case["X"], case["dout"], new["dX"], new["grads"])
        after = dict([(None, e_X)] + [(p, _get(e, p)) for p, _ in groups[1:]])
        if 5e-7 < after[path] < 2e-5 and all((after[p] < 1e-8) == (old < 1e-8)
                                              for p, old in groups if p != path):
            return dict(case, **new)
    return None


def _slightly_off_case(rng, kinds=None, groups_to_change=None, wrong=False):
    """A case (correct, or with one clearly wrong group) in which one gradient that was right
    is now off by a few parts in a million."""
    while (case := _slightly_off(_gc_case(rng, wrong=wrong, kinds=kinds), rng,
                                 groups_to_change=groups_to_change)) is None:
        pass
    return case


# ------------------------------------------- a layer no student has a backward pass for
# A gradient check is a black-box test: it must need nothing but the forward pass. Most hidden
# cases of 09.grad_check hold a "blackbox" layer, out = x + a ∘ sin x with a parameter a (n, 1),
# that the course never names. In the judge's child, `_blackbox_within` extends the student's own
# network_forward / layer_forward (looked up in their answer's globals, the names the contract
# gives) to that layer, so central differences through network_forward work as they should, while
# a "check" that compares against the student's own backward pass cannot handle the layer.
# (No module globals at call time: the judge's child clears this module before the answer runs,
# so what _blackbox_within needs is bound as default arguments.)
def _blackbox_forward(layer, x, _sin=np.sin):
    return x + layer["a"] * _sin(x), x


def _has_blackbox(layers):
    return any(isinstance(layer, dict) and layer.get("kind") == "blackbox" for layer in layers)


def _blackbox_within(answer, case, _forward=_blackbox_forward, _has_blackbox=_has_blackbox):
    import contextlib  # here: the judge's child empties this module before the answer runs

    g = getattr(answer, "__globals__", None)
    layers = case.get("layers") if isinstance(case, dict) else None
    if g is None or not isinstance(layers, list) or not _has_blackbox(layers):
        return contextlib.nullcontext()
    saved = {k: g[k] for k in ("network_forward", "layer_forward") if callable(g.get(k))}
    patched = {}
    if "layer_forward" in saved:
        own_layer = saved["layer_forward"]

        def layer_forward(layer, x, *args, **kwargs):
            if isinstance(layer, dict) and layer.get("kind") == "blackbox":
                return _forward(layer, x)
            return own_layer(layer, x, *args, **kwargs)
        patched["layer_forward"] = layer_forward
    if "network_forward" in saved:
        own_net = saved["network_forward"]

        def network_forward(layers, x, *args, **kwargs):
            if not _has_blackbox(layers):
                return own_net(layers, x, *args, **kwargs)
            caches = []
            for layer in layers:
                if layer.get("kind") == "blackbox":
                    x, c = _forward(layer, x)
                else:
                    x, c = own_net([layer], x, *args, **kwargs)
                caches.append(c)
            return x, caches
        patched["network_forward"] = network_forward

    @contextlib.contextmanager
    def extended():
        g.update(patched)
        try:
            yield
        finally:
            g.update(saved)
    return extended()


def _gc_hidden(rng):
    """A hidden case: three in four hold a blackbox layer (at the top level, after a dense one);
    in half of them one gradient that was right is off by a few parts in a million (so a loose
    threshold fails a set of 8 but for odds of 1 in 256)."""
    if rng.random() < 0.75:
        kinds = _draw_kinds(rng, int(rng.integers(0, 3)))
        dense = [i for i, k in enumerate(kinds) if k == "dense"]
        at = dense[int(rng.integers(0, len(dense)))] + 1
        kinds[at:at] = ["blackbox", "dense"]
        case = _gc_case(rng, kinds=kinds)
    else:
        case = _gc_case(rng)
    return (rng.random() < 0.5 and _slightly_off(case, rng)) or case


_gr = np.random.default_rng(95)


def _wrong_dX_case(rng, kinds):
    """A wrong case whose bug reaches ∂C/∂X (it tells "parameters not checked" from "always passes")."""
    while True:
        case = _gc_case(rng, wrong=True, kinds=kinds)
        if not _grad_check(**case)[0]:
            return case


_VIS_GC = [_gc_case(_gr, wrong=False, ones=True, kinds=["dense", "tanh", "dense", "rmsnorm", "dense"]),
           _wrong_dX_case(_gr, ["dense", "tanh", "batchnorm", "dense", "tanh", "dense"]),
           _gc_case(_gr, wrong=False, kinds=["dense", "residual", "dense"]),
           _gc_case(_gr, wrong=True, kinds=["dense", "dropout", "dense", "rmsnorm", "dense"]),
           # a blackbox layer in a VISIBLE case too (issue 23): a "check" that compares with the
           # student's own backward pass fails before submission. The locked cell before the test
           # (blackbox_layer_known) extends the student's network_forward for it, as the judge's
           # _blackbox_within does for every case where the key is; the claim here is correct.
           _gc_case(np.random.default_rng(96), wrong=False, kinds=["dense", "blackbox", "dense", "tanh", "dense"]),
           # ∂C/∂X off by a few parts in a million (the threshold is the contract's) and a
           # parameter group clearly wrong: so a loose threshold is told apart, on this case
           # alone, from "parameters not checked" and from "a check that always passes"
           _slightly_off_case(np.random.default_rng(97), kinds=["dense", "tanh", "dense"],
                              groups_to_change=[None], wrong=True)]

exercise(
    "09.grad_check",
    outputs=('ok_dX', 'oks'),
    reference=lambda layers, X, dout, dX, grads: _grad_check(layers, X, dout, dX, grads),
    visible=_VIS_GC,
    hidden=_gc_hidden,
    n_hidden=8,
    within=_blackbox_within,
    variants=[
        variant("upstream gradient of ones instead of dout",
                lambda layers, X, dout, dX, grads: _grad_check(layers, X, dout, dX, grads, upstream="ones"),
                "the claimed gradients are those of the cost weighted by the GIVEN dout; "
                "differentiate that cost, not the plain sum of the outputs (an all-ones upstream "
                "also hides bugs, e.g. in batch norm; lecture 06, section 4)."),
        variant("parameters not checked (only ∂C/∂X)",
                lambda layers, X, dout, dX, grads: _grad_check(layers, X, dout, dX, grads, params=False),
                "check every parameter group too (W, b, and batch norm's γ and shift in every layer): a wrong "
                "∂C/∂W leaves ∂C/∂X untouched."),
        variant("a check that always passes",
                lambda layers, X, dout, dX, grads: (True, _map(_verdict_shape(grads), lambda e: True)),
                "a gradient check must be able to fail: compute the central differences of the "
                "dout-weighted cost and compare them with the claimed gradients (lecture 09, "
                "section 4)."),
        variant("a check that always fails",
                lambda layers, X, dout, dX, grads: (False, _map(_verdict_shape(grads), lambda e: False)),
                "a correct backward pass must pass: the course's relative error of a correct gradient is "
                "around 1e-10 with central differences in float64, far below the 1e-7 threshold."),
        variant("a threshold looser than the contract's 1e-7",
                lambda layers, X, dout, dX, grads: _grad_check(layers, X, dout, dX, grads, fine=1e-5),
                "a gradient wrong by a few parts in a million must fail: compare the relative "
                "error with the contract's threshold, 1e-7 (central differences of a correct "
                "gradient give about 1e-10; lecture 01, section 6)."),
        variant("one-sided differences",
                lambda layers, X, dout, dX, grads: _grad_check(layers, X, dout, dX, grads, one_sided=True),
                "a one-sided difference has an error of order h, about 1e-6 relative: enough to "
                "flag correct gradients. Use central differences, whose error is of the order of "
                "the square of h (lecture 01, section 6)."),
        variant("perturbed entry not restored",
                lambda layers, X, dout, dX, grads: _grad_check(layers, X, dout, dX, grads, restore=False),
                "after evaluating C at the two perturbed points, put the entry back to its old "
                "value before moving on; otherwise every later difference is taken at a different "
                "point."),
    ],
    protect=["bpkit.gradcheck.numerical_gradient", "bpkit.gradcheck.check_layer",
             "bpkit.gradcheck.check_network"],
    timeout=30.0,
    what="pass/fail verdicts (relative error < 1e-7) for ∂C/∂X and every parameter group, on "
         "correct and on subtly wrong gradients",
)
