"""Assignment 03 — vectorized backpropagation (seed 001, Lemma 1, eqs. (19)–(25)).

Parameters are dicts keyed by the lecture's layer numbers: {"W2", "b2", ..., "WL", "bL"};
a forward cache is {"a1", "z2", "a2", ..., "zL", "aL"}; gradients are {"W2", "b2", ...}.
Layer 1 is the input; W^[l] is (n_l, n_{l-1}); b^[l] is (n_l, 1); examples are columns.
References are self-contained numpy: they never call code a student can edit.
"""
import numpy as np

from bpkit.grading.registry import exercise, variant


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _sigmoid_prime(z):
    s = _sigmoid(z)
    return s * (1.0 - s)


def _n_layers(params):
    return 1 + sum(1 for k in params if k.startswith("W"))


def _forward(params, x, *, bias=True, sigma_out=True, z_from_previous_z=False):
    L = _n_layers(params)
    cache = {"a1": x}
    for l in range(2, L + 1):
        z = params[f"W{l}"] @ cache[f"a{l-1}"] + (params[f"b{l}"] if bias else 0.0)   # (19)
        cache[f"z{l}"] = z
        cache[f"a{l}"] = _sigmoid(z) if (sigma_out or l < L) else z                     # (20)
    return cache


def _backward(params, cache, y, *, transpose=True, hidden_sigma_prime=True, at_a=False,
              outer_order="da", W_index_shift=0, sign=1.0, batch=False, bias_axis=1,
              divide=True):
    """Lemma 1, with switches that produce the catalogued wrong variants."""
    L = _n_layers(params)
    B = y.shape[1]
    scale = 1.0 / B if (batch and divide) else 1.0
    sp = (lambda l: _sigmoid_prime(cache[f"a{l}"])) if at_a else (lambda l: _sigmoid_prime(cache[f"z{l}"]))
    grads = {}
    delta = sp(L) * (cache[f"a{L}"] - y) * sign                                    # (22)
    for l in range(L, 1, -1):
        a_prev = cache[f"a{l-1}"]
        grads[f"W{l}"] = scale * (delta @ a_prev.T if outer_order == "da" else a_prev @ delta.T)   # (25)
        if batch:
            grads[f"b{l}"] = scale * delta.sum(axis=bias_axis, keepdims=True)        # (24)
        else:
            grads[f"b{l}"] = delta.copy()                                          # (24)
        if l > 2:
            W = params[f"W{l + W_index_shift}"] if W_index_shift else params[f"W{l}"]
            back = (W.T if transpose else W) @ delta
            delta = (sp(l - 1) if hidden_sigma_prime else 1.0) * back             # (23)
    return grads


# --- random cases ---------------------------------------------------------------------------

def _params(rng, sizes):
    p = {}
    for l in range(2, len(sizes) + 1):
        p[f"W{l}"] = rng.normal(size=(sizes[l - 1], sizes[l - 2]))
        p[f"b{l}"] = rng.normal(size=(sizes[l - 1], 1))
    return p


def _sizes(rng, square=False):
    L = int(rng.integers(3, 6))                      # 3 to 5 layers (input counts as layer 1)
    if square:
        n = int(rng.integers(2, 6))
        return [n] * L
    while True:
        s = [int(v) for v in rng.integers(2, 7, size=L)]
        if any(s[i] != s[i + 1] for i in range(L - 1)):
            return s


def _net_case(rng, sizes, B):
    params = _params(rng, sizes)
    x = rng.normal(size=(sizes[0], B))
    y = rng.random((sizes[-1], B))
    return params, x, y


_SQ = np.random.default_rng(3)      # fixed visible cases (same every time the module loads)
_P_SQ, _X_SQ, _Y_SQ = _net_case(_SQ, [3, 3, 3, 3], 1)
_NS = np.random.default_rng(4)
_P_NS, _X_NS, _Y_NS = _net_case(_NS, [2, 4, 3, 2], 1)
_BA = np.random.default_rng(5)
_P_BA, _X_BA, _Y_BA = _net_case(_BA, [2, 4, 3, 2], 5)
_P_BS, _X_BS, _Y_BS = _net_case(np.random.default_rng(6), [3, 3, 3], 4)


# --- 03.forward -----------------------------------------------------------------------------

def _hidden_forward(rng):
    params, x, _ = _net_case(rng, _sizes(rng, square=rng.random() < 0.3), int(rng.integers(1, 5)))
    return {"params": params, "x": x}


exercise(
    "03.forward",
    reference=lambda params, x: _forward(params, x),
    visible=[{"params": _P_NS, "x": _X_NS}, {"params": _P_BA, "x": _X_BA}],
    hidden=_hidden_forward,
    n_hidden=5,
    variants=[
        variant("forgot the bias", lambda params, x: _forward(params, x, bias=False),
                "z^[l] = W^[l] a^[l−1] + b^[l] (eq. 19): the bias b^[l] seems to be missing."),
        variant("no σ at the output layer", lambda params, x: _forward(params, x, sigma_out=False),
                "every layer, the output layer L included, applies σ: a^[L] = σ(z^[L]) (eq. 20)."),
    ],
    protect=["bpkit.network.mlp_forward"],
    what="forward pass storing a^[1], z^[l], a^[l] (eqs. 19–20) on 2 visible and 5 random networks",
)


# --- 03.delta_L -----------------------------------------------------------------------------

def _delta_L_case(rng, n=None, B=None):
    n = n or int(rng.integers(2, 7))
    B = B or int(rng.integers(1, 5))
    z = rng.normal(size=(n, B))
    return {"z": z, "a": _sigmoid(z), "y": rng.random((n, B))}


exercise(
    "03.delta_L",
    reference=lambda z, a, y: _sigmoid_prime(z) * (a - y),                      # (22)
    visible=[_delta_L_case(np.random.default_rng(7), 3, 1), _delta_L_case(np.random.default_rng(8), 2, 4)],
    hidden=_delta_L_case,
    n_hidden=5,
    variants=[
        variant("missing σ′", lambda z, a, y: a - y,
                "δ^[L] = σ′(z^[L]) ∘ (a^[L] − y): the factor σ′(z^[L]) seems to be missing (eq. 22)."),
        variant("σ′ at a instead of z", lambda z, a, y: _sigmoid_prime(a) * (a - y),
                "you evaluated σ′ at a^[L]; it is σ′(z^[L]) — or equivalently a^[L] ∘ (1 − a^[L]) (eq. 22)."),
        variant("sign flip", lambda z, a, y: _sigmoid_prime(z) * (y - a),
                "sign: C = ½‖y − a^[L]‖² gives ∂C/∂a^[L] = a^[L] − y, not y − a^[L]."),
    ],
    what="δ^[L] = σ′(z^[L]) ∘ (a^[L] − y) (eq. 22) on 2 visible and 5 random cases",
)


# --- 03.delta_prev --------------------------------------------------------------------------

def _delta_prev_case(rng, n=None, n_next=None, B=None):
    if n is None:
        n = n_next = int(rng.integers(2, 7))   # square hidden cases: "W instead of Wᵀ" gives values to
                                               # name; visible case 2 is non-square (shapes checked)
    B = B or int(rng.integers(1, 5))
    return {"W_next": rng.normal(size=(n_next, n)), "delta_next": rng.normal(size=(n_next, B)),
            "z": rng.normal(size=(n, B))}


exercise(
    "03.delta_prev",
    reference=lambda W_next, delta_next, z: _sigmoid_prime(z) * (W_next.T @ delta_next),   # (23)
    visible=[_delta_prev_case(np.random.default_rng(9), 3, 3, 1),
             _delta_prev_case(np.random.default_rng(10), 4, 2, 3)],
    hidden=_delta_prev_case,
    n_hidden=5,
    variants=[
        variant("W instead of Wᵀ", lambda W_next, delta_next, z: _sigmoid_prime(z) * (W_next @ delta_next),
                "the error flows backwards through the transpose: (W^[l+1])ᵀ δ^[l+1] (eq. 23). "
                "W^[l+1] is (n_{l+1}, n_l), so only Wᵀ maps an n_{l+1}-vector to an n_l-vector."),
        variant("missing σ′ in the recursion", lambda W_next, delta_next, z: W_next.T @ delta_next,
                "δ^[l] = σ′(z^[l]) ∘ (W^[l+1])ᵀ δ^[l+1]: the factor σ′(z^[l]) seems to be missing (eq. 23)."),
        variant("σ′ at a instead of z in the recursion",
                lambda W_next, delta_next, z: _sigmoid_prime(_sigmoid(z)) * (W_next.T @ delta_next),
                "you applied σ′ to σ(z^[l]) = a^[l]; the derivative is evaluated at z^[l] (eq. 23)."),
    ],
    what="δ^[l] = σ′(z^[l]) ∘ (W^[l+1])ᵀ δ^[l+1] (eq. 23) on 2 visible and 5 random cases",
)


# --- 03.layer_grads -------------------------------------------------------------------------

def _layer_grads_case(rng, n=None, n_prev=None):
    if n is None:
        n, n_prev = (int(v) for v in rng.integers(2, 7, size=2))
    return {"delta": rng.normal(size=(n, 1)), "a_prev": rng.random((n_prev, 1))}


exercise(
    "03.layer_grads",
    reference=lambda delta, a_prev: (delta @ a_prev.T, delta.copy()),                      # (25), (24)
    visible=[_layer_grads_case(np.random.default_rng(11), 3, 3),
             _layer_grads_case(np.random.default_rng(12), 2, 4)],
    hidden=_layer_grads_case,
    n_hidden=5,
    variants=[
        variant("outer product in the wrong order (a δᵀ)", lambda delta, a_prev: (a_prev @ delta.T, delta.copy()),
                "∂C/∂W^[l] = δ^[l] (a^[l−1])ᵀ has the shape of W^[l], (n_l, n_{l−1}); "
                "a^[l−1] (δ^[l])ᵀ is its transpose (eq. 25)."),
        variant("sign flip (returned −∇C)", lambda delta, a_prev: (-(delta @ a_prev.T), -delta),
                "return the gradient ∂C/∂W and ∂C/∂b themselves; the minus sign belongs to the SGD update."),
    ],
    what="∂C/∂W^[l] = δ^[l](a^[l−1])ᵀ and ∂C/∂b^[l] = δ^[l] (eqs. 24–25) on 2 visible and 5 random cases",
)


# --- 03.backward (one example) --------------------------------------------------------------

def _backward_case(rng, params=None, x=None, y=None):
    if params is None:
        # square hidden networks, so that "W instead of Wᵀ" and the off-by-one index give values to
        # name; visible case 2 is non-square (shapes checked)
        params, x, y = _net_case(rng, _sizes(rng, square=True), 1)
    return {"params": params, "cache": _forward(params, x), "y": y}


exercise(
    "03.backward",
    reference=lambda params, cache, y: _backward(params, cache, y),
    visible=[_backward_case(None, _P_SQ, _X_SQ, _Y_SQ), _backward_case(None, _P_NS, _X_NS, _Y_NS)],
    hidden=_backward_case,
    n_hidden=5,
    variants=[
        variant("W instead of Wᵀ in the backward pass",
                lambda params, cache, y: _backward(params, cache, y, transpose=False),
                "in the recursion (eq. 23) the error goes back through (W^[l+1])ᵀ, not W^[l+1]."),
        variant("off-by-one layer index (W^[l] instead of W^[l+1])",
                lambda params, cache, y: _backward(params, cache, y, W_index_shift=-1),
                "δ^[l] uses the weights of the NEXT layer: (W^[l+1])ᵀ δ^[l+1] (eq. 23); "
                "check your layer indices (W2 is W^[2], the weights INTO layer 2)."),
        variant("missing σ′ in the hidden layers",
                lambda params, cache, y: _backward(params, cache, y, hidden_sigma_prime=False),
                "every hidden δ^[l] needs its own σ′(z^[l]) factor (eq. 23), not only δ^[L]."),
        variant("a δᵀ instead of δ aᵀ in the backward pass",
                lambda params, cache, y: _backward(params, cache, y, outer_order="ad"),
                "∂C/∂W^[l] = δ^[l] (a^[l−1])ᵀ, shape (n_l, n_{l−1}) like W^[l] (eq. 25)."),
        variant("σ′ at a instead of z in the backward pass",
                lambda params, cache, y: _backward(params, cache, y, at_a=True),
                "σ′ is evaluated at z^[l] (or written a^[l] ∘ (1 − a^[l])), not σ′(a^[l])."),
    ],
    protect=["bpkit.network.mlp_backward"],
    what="the whole backward pass (eqs. 22–25) for one example on 2 visible and 5 random MLPs",
)


# --- 03.backward_batch ----------------------------------------------------------------------

def _batch_ref(params, X, Y, **kw):
    return _backward(params, _forward(params, X), Y, batch=True, **kw)


def _backward_batch_case(rng):
    B = int(rng.integers(2, 9))
    sizes = _sizes(rng, square=True)
    sizes[0] = int(rng.integers(2, 7))      # input width free; layers 2..L square so W-for-Wᵀ gives values
    params, X, Y = _net_case(rng, sizes, B)
    return {"params": params, "X": X, "Y": Y}


exercise(
    "03.backward_batch",
    reference=lambda params, X, Y: _batch_ref(params, X, Y),
    visible=[{"params": _P_BS, "X": _X_BS, "Y": _Y_BS}, {"params": _P_BA, "X": _X_BA, "Y": _Y_BA}],
    hidden=_backward_batch_case,
    n_hidden=5,
    variants=[
        variant("missing ÷B", lambda params, X, Y: _batch_ref(params, X, Y, divide=False),
                "the minibatch cost is the MEAN over the B columns, so every gradient is divided by B (seed 002)."),
        variant("bias gradient summed over the wrong axis",
                lambda params, X, Y: _batch_ref(params, X, Y, bias_axis=0),
                "examples are the columns: ∂C/∂b^[l] = (1/B) Σ over columns of δ^[l], i.e. "
                "delta.sum(axis=1, keepdims=True) / B, shape (n_l, 1)."),
        variant("sign flip in the minibatch gradient", lambda params, X, Y: _batch_ref(params, X, Y, sign=-1.0),
                "sign: ∂C/∂a^[L] = a^[L] − Y; return the gradient, the SGD update adds the minus."),
        variant("W instead of Wᵀ in the minibatch backward pass",
                lambda params, X, Y: _batch_ref(params, X, Y, transpose=False),
                "the error goes back through (W^[l+1])ᵀ (eq. 23)."),
    ],
    protect=["bpkit.network.mlp_backward"],
    what="minibatch gradients of C = (1/B) Σ ½‖y − a^[L]‖², columns as examples, on 2 visible and 5 random batches",
)
