"""Assignment 03 — backpropagation for a case the lecture did not solve.

Lecture 03 derives and codes Lemma 1 (Applied Mathematics lecture 5, eqs. (19)–(28)) for sigmoid layers and the quadratic
cost. This assignment transfers it: tanh hidden layers, a softmax output layer and the
cross-entropy cost, C = (1/B) Σ_i −Σ_j y_j^{i} log a_j^[L]{i}. The student derives the softmax
Jacobian, the output error δ^[L] (by the vector–Jacobian product of the lecture) and the tanh
recursion, then the whole minibatch backward pass.

The last graded function transfers lecture 03, section 8 (Cornell CS3780 lecture 22's linear
read-out): tanh layers, a minibatch, labels ±1 and the logistic loss.

Conventions (team notes): δ^[l] is per example (one column per example, no 1/B); the batch mean
appears once, in the parameter gradients (÷B).

Parameters are dicts keyed by the lecture's layer numbers: {"W2", "b2", ..., "WL", "bL"};
a forward cache is {"a1", "z2", "a2", ..., "zL", "aL"}; gradients are {"W2", "b2", ...}.
Layer 1 is the input; W^[l] is (n_l, n_{l-1}); b^[l] is (n_l, 1); examples are columns.
References are self-contained numpy: they never call code a student can edit.
"""
import numpy as np

from bpkit_instructor.spec import exercise, variant


def _softmax(z, axis=0):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _softmax_unstable(z):
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(z)
        return e / e.sum(axis=0, keepdims=True)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _sigmoid_prime(z):
    s = _sigmoid(z)
    return s * (1.0 - s)


def _tanh_prime(z):
    return 1.0 - np.tanh(z) ** 2


def _n_layers(params):
    return 1 + sum(1 for k in params if k.startswith("W"))


def _forward(params, X, *, bias=True, hidden=np.tanh, out="softmax"):
    L = _n_layers(params)
    cache = {"a1": X}
    for l in range(2, L + 1):
        z = params[f"W{l}"] @ cache[f"a{l-1}"] + (params[f"b{l}"] if bias else 0.0)    # (19)
        cache[f"z{l}"] = z
        if l < L:
            cache[f"a{l}"] = hidden(z)                                                  # (20)
        elif out == "softmax":
            cache[f"a{l}"] = _softmax(z)
        elif out == "softmax_rows":
            cache[f"a{l}"] = _softmax(z, axis=1)
        elif out == "unstable":
            cache[f"a{l}"] = _softmax_unstable(z)
        else:
            cache[f"a{l}"] = hidden(z)
    return cache


def _backward(params, X, Y, *, divide=True, delta_over_B=False, transpose=True,
              hidden_prime=_tanh_prime, bias_axis=1, quadratic_out=False, W_index_shift=0):
    """Minibatch gradients of the mean softmax cross-entropy, with switches for the catalogue."""
    L = _n_layers(params)
    B = X.shape[1]
    c = _forward(params, X)
    if quadratic_out:                                       # σ′-style factor carried over from (22)
        s = c[f"a{L}"]
        delta = s * (1 - s) * (s - Y)
    else:
        delta = c[f"a{L}"] - Y                              # δ^[L] per example
    if delta_over_B:
        delta = delta / B
    scale = 1.0 / B if divide else 1.0
    grads = {}
    for l in range(L, 1, -1):
        grads[f"W{l}"] = scale * delta @ c[f"a{l-1}"].T                               # (25), ÷B
        grads[f"b{l}"] = scale * delta.sum(axis=bias_axis, keepdims=True)             # (24), ÷B
        if l > 2:
            W = params[f"W{l + W_index_shift}"]
            delta = hidden_prime(c[f"z{l-1}"]) * ((W.T if transpose else W) @ delta)  # (23), tanh′
    return grads


# --- random cases ---------------------------------------------------------------------------

def _params(rng, sizes, out_scale=1.0):
    p = {}
    for l in range(2, len(sizes) + 1):
        s = out_scale if l == len(sizes) else 1.0
        p[f"W{l}"] = s * rng.normal(size=(sizes[l - 1], sizes[l - 2]))
        p[f"b{l}"] = s * rng.normal(size=(sizes[l - 1], 1))
    return p


def _sizes(rng, square=False):
    L = int(rng.integers(3, 6))                      # 3 to 5 layers (the input counts as layer 1)
    if square:                                       # all widths equal: W for Wᵀ and the
        return [int(rng.integers(2, 6))] * L         # off-by-one index give values to name
    while True:
        s = [int(v) for v in rng.integers(2, 7, size=L)]
        if any(s[i] != s[i + 1] for i in range(L - 1)):
            return s


def _one_hot(rng, k, B):
    return np.eye(k)[:, rng.integers(0, k, size=B)]


def _net_case(rng, sizes, B, out_scale=1.0):
    params = _params(rng, sizes, out_scale)
    X = rng.normal(size=(sizes[0], B))
    return params, X, _one_hot(rng, sizes[-1], B)


_DRAWS = {}


def _every_third(kind):
    """True on every third hidden case of `kind` (so every grading draws at least one large
    case: an unstable softmax can never slip through on luck)."""
    _DRAWS[kind] = _DRAWS.get(kind, -1) + 1
    return _DRAWS[kind] % 3 == 0


def _large(rng):
    """Output weights large enough that z^[L] reaches hundreds: exp(z) overflows unless the
    column maximum is subtracted first."""
    return float(rng.uniform(1000.0, 2000.0))


_P_NS, _X_NS, _Y_NS = _net_case(np.random.default_rng(4), [2, 4, 3, 3], 1)
_P_BA, _X_BA, _Y_BA = _net_case(np.random.default_rng(5), [2, 4, 3, 3], 5)
_P_BG, _X_BG, _Y_BG = _net_case(np.random.default_rng(6), [3, 4, 4], 4, out_scale=1500.0)


# --- 03.forward -----------------------------------------------------------------------------

def _hidden_forward(rng):
    big = _every_third("forward")
    params, X, _ = _net_case(rng, _sizes(rng), int(rng.integers(1, 6)),
                             out_scale=_large(rng) if big else 1.0)
    return {"params": params, "X": X}


exercise(
    "03.forward",
    reference=lambda params, X: _forward(params, X),
    visible=[{"params": _P_NS, "X": _X_NS}, {"params": _P_BA, "X": _X_BA},
             {"params": _P_BG, "X": _X_BG}],
    hidden=_hidden_forward,
    n_hidden=6,
    variants=[
        variant("forgot the bias", lambda params, X: _forward(params, X, bias=False),
                "the bias b^[l] seems to be missing from the weighted input z^[l] (eq. 19)."),
        variant("tanh at the output layer", lambda params, X: _forward(params, X, out="tanh"),
                "the hidden layers use tanh, but the output layer L applies softmax to z^[L], each"
                " column a probability vector (lecture 04, section 6)."),
        variant("sigmoid hidden layers", lambda params, X: _forward(params, X, hidden=_sigmoid),
                "this network's hidden layers use tanh, not the lecture's sigmoid."),
        variant("softmax over the wrong axis", lambda params, X: _forward(params, X, out="softmax_rows"),
                "classes are rows, examples are columns: softmax normalises each COLUMN (lecture "
                "03, section 7)."),
        variant("softmax without subtracting the maximum",
                lambda params, X: _forward(params, X, out="unstable"),
                "the exponential overflows for logits of a few hundred (infinity over infinity is "
                "nan): subtract each column's maximum before exponentiating, which leaves softmax "
                "unchanged (lecture 04, section 6)."),
    ],
    protect=["bpkit.network.mlp_forward", "bpkit.activations.softmax"],
    what="forward pass with tanh hidden layers and a softmax output, storing a^[1], z^[l], a^[l] "
         "(eqs. 19–20), on 3 visible and 6 random networks (some with logits in the thousands)",
)


# --- 03.softmax_jacobian --------------------------------------------------------------------

def _jacobian(z, part="full"):
    s = _softmax(z)[:, 0]
    if part == "full":
        return np.diag(s) - np.outer(s, s)
    if part == "diag":
        return np.diag(s * (1 - s))
    if part == "flip":
        return np.outer(s, s) - np.diag(s)
    if part == "no_diag":
        return -np.outer(s, s)
    if part == "logistic":
        return np.diag(_sigmoid_prime(z[:, 0]))
    raise ValueError(part)


def _jac_case(rng, k=None, big=None):
    k = k or int(rng.integers(2, 7))
    big = _every_third("jacobian") if big is None else big
    z = rng.normal(size=(k, 1)) * (1000.0 if big else 1.5)
    if big:                       # a logit beyond exp's range, so an unshifted softmax overflows
        z[int(np.argmax(z)), 0] = max(float(z.max()), 800.0)
    return {"z": z}


exercise(
    "03.softmax_jacobian",
    reference=lambda z: _jacobian(z),
    visible=[_jac_case(np.random.default_rng(21), 3, False), _jac_case(np.random.default_rng(22), 4, False)],
    hidden=_jac_case,
    n_hidden=6,
    variants=[
        variant("only the diagonal (softmax treated as elementwise)", lambda z: _jacobian(z, "diag"),
                "softmax is not elementwise: every output depends on every logit through the "
                "shared denominator, so the off-diagonal entries of the Jacobian are not zero "
                "(lecture 03, section 4)."),
        variant("sign flip", lambda z: _jacobian(z, "flip"),
                "raising a logit raises its own probability, so the diagonal entries are positive."
                " Check the sign of both terms of the quotient rule."),
        variant("missing the diagonal term", lambda z: _jacobian(z, "no_diag"),
                "the quotient rule gives two terms; the one from differentiating the numerator "
                "lives on the diagonal only, and it is missing."),
        variant("the logistic σ′ instead of the softmax Jacobian", lambda z: _jacobian(z, "logistic"),
                "σ′ is the derivative of the LOGISTIC function of one variable; softmax is a "
                "vector function of the whole column, with a full Jacobian (lecture 03, section "
                "4)."),
    ],
    protect=["bpkit.activations.softmax"],
    what="the Jacobian ∂softmax(z)/∂z of one column on 2 visible and 6 random logit vectors",
)


# --- 03.delta_L -----------------------------------------------------------------------------

def _delta_L_case(rng, k=None, B=None, big=None):
    k = k or int(rng.integers(2, 7))
    B = B or int(rng.integers(2, 7))          # B ≥ 2 so that a stray 1/B shows
    big = _every_third("delta_L") if big is None else big
    return {"Z": rng.normal(size=(k, B)) * (1000.0 if big else 2.0), "Y": _one_hot(rng, k, B)}


def _delta_L(Z, Y, *, softmax=_softmax, over_B=False, sign=1.0, elementwise=False):
    s = softmax(Z)
    d = s * (1 - s) * (s - Y) if elementwise else sign * (s - Y)
    return d / Y.shape[1] if over_B else d


exercise(
    "03.delta_L",
    reference=lambda Z, Y: _delta_L(Z, Y),
    visible=[_delta_L_case(np.random.default_rng(7), 3, 4, False),
             _delta_L_case(np.random.default_rng(8), 4, 3, True)],
    hidden=_delta_L_case,
    n_hidden=6,
    variants=[
        variant("1/B inside δ^[L]", lambda Z, Y: _delta_L(Z, Y, over_B=True),
                "δ^[L] is the error of each example, one column each, with no 1/B: the batch mean "
                "enters once, in the parameter gradients (lecture 03, section 7)."),
        variant("σ′-style factor (softmax treated as elementwise)",
                lambda Z, Y: _delta_L(Z, Y, elementwise=True),
                "multiply ∂C/∂a^[L] by the FULL softmax Jacobian (a vector–Jacobian product, "
                "lecture 03, section 4): because the targets of a column sum to one, the terms "
                "collapse and no σ′-like factor is left."),
        variant("sign flip", lambda Z, Y: _delta_L(Z, Y, sign=-1.0),
                "raising the logit of the right class lowers the cost, so that entry of δ^[L] is "
                "negative — prediction minus target."),
        variant("softmax over the wrong axis", lambda Z, Y: _delta_L(Z, Y, softmax=lambda Z: _softmax(Z, 1)),
                "classes are rows, examples are columns: softmax normalises each COLUMN (lecture "
                "03, section 7)."),
        variant("softmax without subtracting the maximum",
                lambda Z, Y: _delta_L(Z, Y, softmax=_softmax_unstable),
                "exp(z) overflows for logits of a few hundred: subtract each column's maximum first."),
    ],
    protect=["bpkit.losses.softmax_cross_entropy_grad", "bpkit.losses.SoftmaxCrossEntropy",
             "bpkit.activations.softmax"],
    what="δ^[L] = ∂C_i/∂z^[L] of softmax + cross-entropy, per example, on 2 visible and 6 random "
         "batches (some with logits in the thousands)",
)


# --- 03.delta_prev --------------------------------------------------------------------------

def _delta_prev_case(rng, n=None, n_next=None, B=None):
    if n is None:
        n = n_next = int(rng.integers(2, 7))   # square hidden cases: "W instead of Wᵀ" gives values to
                                               # name; visible case 2 is non-square (shapes checked)
    B = B or int(rng.integers(1, 5))
    return {"W_next": rng.normal(size=(n_next, n)), "delta_next": rng.normal(size=(n_next, B)),
            "z": rng.normal(size=(n, B))}


def _delta_prev(W_next, delta_next, z, prime=_tanh_prime, transpose=True):
    return prime(z) * ((W_next.T if transpose else W_next) @ delta_next)


exercise(
    "03.delta_prev",
    reference=lambda W_next, delta_next, z: _delta_prev(W_next, delta_next, z),
    visible=[_delta_prev_case(np.random.default_rng(9), 3, 3, 2),
             _delta_prev_case(np.random.default_rng(10), 4, 2, 3)],
    hidden=_delta_prev_case,
    n_hidden=5,
    variants=[
        variant("σ′ instead of tanh′", lambda W_next, delta_next, z: _delta_prev(W_next, delta_next, z, _sigmoid_prime),
                "the lecture's layers used σ; these use tanh, whose derivative is tanh′ (lecture "
                "01, section 4)."),
        variant("W instead of Wᵀ", lambda W_next, delta_next, z: _delta_prev(W_next, delta_next, z, transpose=False),
                "the error flows backwards through the TRANSPOSE of W^[l+1] (eq. 23): only the "
                "transpose maps a vector of the next layer's size to one of this layer's size."),
        variant("tanh′ from the weighted input instead of the activation",
                lambda W_next, delta_next, z: _delta_prev(W_next, delta_next, z, lambda z: 1 - z ** 2),
                "tanh′ is one minus the square of tanh(z), that is of the ACTIVATION a^[l], not of"
                " the weighted input z^[l] (lecture 01, section 4)."),
        variant("tanh′ as the square of a difference",
                lambda W_next, delta_next, z: _delta_prev(W_next, delta_next, z, lambda z: (1 - np.tanh(z)) ** 2),
                "tanh′ is one minus the square of tanh, not the square of one minus tanh (lecture "
                "01, section 4)."),
        variant("sech instead of its square",
                lambda W_next, delta_next, z: _delta_prev(W_next, delta_next, z, lambda z: 1 / np.cosh(z)),
                "tanh′ is the SQUARE of sech: the square is missing."),
        variant("missing tanh′ in the recursion", lambda W_next, delta_next, z: W_next.T @ delta_next,
                "the local slope tanh′(z^[l]) is missing from the recursion for δ^[l] (eq. 23)."),
    ],
    what="δ^[l] of a tanh layer from δ^[l+1] (eq. 23), on 2 visible and 5 random cases",
)


# --- 03.backward (a minibatch) --------------------------------------------------------------

def _backward_case(rng):
    B = int(rng.integers(2, 9))
    big = _every_third("backward")
    params, X, Y = _net_case(rng, _sizes(rng, square=True), B, out_scale=_large(rng) if big else 1.0)
    return {"params": params, "X": X, "Y": Y}


_P_SQ, _X_SQ, _Y_SQ = _net_case(np.random.default_rng(3), [2, 3, 3, 3], 4)

exercise(
    "03.backward",
    reference=lambda params, X, Y: _backward(params, X, Y),
    visible=[{"params": _P_SQ, "X": _X_SQ, "Y": _Y_SQ}, {"params": _P_BA, "X": _X_BA, "Y": _Y_BA}],
    hidden=_backward_case,
    n_hidden=5,
    variants=[
        variant("missing the division by B", lambda params, X, Y: _backward(params, X, Y, divide=False),
                "the cost is the MEAN over the B columns, so every parameter gradient is divided "
                "by B (lecture 03, section 7)."),
        variant("divided by B twice (in δ^[L] and in the gradients)",
                lambda params, X, Y: _backward(params, X, Y, delta_over_B=True),
                "δ^[L] is per example (no 1/B); divide by B once, in the parameter gradients — "
                "dividing in both places divides by the square of B (lecture 03, section 7)."),
        variant("W instead of Wᵀ in the backward pass",
                lambda params, X, Y: _backward(params, X, Y, transpose=False),
                "in the recursion (eq. 23) the error goes back through (W^[l+1])ᵀ, not W^[l+1]."),
        variant("σ′ instead of tanh′ in the hidden layers",
                lambda params, X, Y: _backward(params, X, Y, hidden_prime=_sigmoid_prime),
                "these hidden layers use tanh: the recursion needs tanh′(z^[l]), not σ′ (eq. 23)."),
        variant("bias gradient summed over the wrong axis",
                lambda params, X, Y: _backward(params, X, Y, bias_axis=0),
                "examples are the columns: ∂C/∂b^[l] averages δ^[l] over the columns and has the "
                "shape of b^[l], (n_l, 1) (eq. 24, lecture 03, section 7)."),
        variant("σ′-style factor in δ^[L]", lambda params, X, Y: _backward(params, X, Y, quadratic_out=True),
                "with softmax and cross-entropy δ^[L] is the prediction minus the target: no "
                "σ′-like factor (your 03.delta_L)."),
        variant("off-by-one layer index (W^[l] instead of W^[l+1])",
                lambda params, X, Y: _backward(params, X, Y, W_index_shift=-1),
                "δ^[l] uses the weights of the NEXT layer, W^[l+1] (eq. 23); W2 is W^[2], the "
                "weights INTO layer 2."),
    ],
    protect=["bpkit.network.mlp_backward", "bpkit.network.Network",
             "bpkit.losses.softmax_cross_entropy_grad", "bpkit.losses.SoftmaxCrossEntropy"],
    what="minibatch gradients of the mean softmax cross-entropy of a tanh network, columns as "
         "examples, on 2 visible and 5 random batches",
)


# --- 03.q_backprop: reasoning, a count and a choice ------------------------------------------
# Q1: ∂C/∂W^[3] = (1/B) δ^[3] (a^[2])ᵀ is 3×5; row 2 is zero (δ^[3]_2 = 0), columns 1 and 4 are
#     zero (a^[2]_1 = a^[2]_4 = 0): 5 + 3 + 3 − 2 (counted twice) = 9 zero entries.
# Q2 (1/B in δ^[L] and again in the gradients): ∂C/∂W^[2] is B times too small -> 2
_Q = (9, 2)
exercise(
    "03.q_backprop",
    reference=lambda: _Q,
    visible=[{}],
    hidden=lambda rng: {},
    n_hidden=1,
    value=True,
    variants=[
        variant("Q1: the two entries in a zero row AND a zero column counted twice", (11, 2),
                "row 2 and columns 1 and 4 cross in two entries; count each entry once."),
        variant("Q1: only the zero row of δ^[3] counted", (5, 2),
                "each entry of ∂C/∂W^[3] is a sum over the batch of products of a δ^[3] entry and "
                "an a^[2] entry (eq. 25): it vanishes when either factor vanishes for every "
                "example, so the dead units of layer 2 zero whole columns too."),
        variant("Q1: only the columns of the dead units counted", (6, 2),
                "each entry of ∂C/∂W^[3] is a sum over the batch of products of a δ^[3] entry and "
                "an a^[2] entry (eq. 25): a receiving neuron whose δ is 0 for every example zeroes"
                " its whole row too."),
        variant("Q2: too small by the square of B", (9, 3),
                "the right gradient carries 1/B once; yours carries it twice. The ratio of the two"
                " is B."),
        variant("Q2: a factor per layer", (9, 4),
                "the recursion (23) is linear in δ: a factor 1/B put into δ^[L] is carried unchanged to "
                "every layer, it is not multiplied again at each step."),
        variant("Q2: no effect", (9, 1),
                "dividing by B twice changes every gradient: compare with the per-example mean of "
                "lecture 03, section 7."),
    ],
    what="the form of your answer (a count and a choice); the values are graded when you submit",
)


# --- 03.readout_grads: Cornell CS3780 lecture 22's linear read-out, logistic loss ------------
# Lecture 03, section 8 backpropagates through the read-out ŷ = ωᵀ z^T + b (CS3780 writes α) for
# ONE example, sigmoid layers and the squared loss. Transfer: tanh layers, a minibatch (columns),
# labels y ∈ {−1, +1} and the logistic loss ℓ = log(1 + exp(−y ŷ)) of CS3780's classifiers,
# averaged over the batch. The student derives ℓ′ = −y σ(−y ŷ) (σ the logistic function).

def _readout_grads(Ws, bs, omega, b, X, y, *, dl=None, prime=None, last_prime=True, mean=True):
    zs, us = [X], [None]
    for W, bt in zip(Ws, bs):
        us.append(W @ zs[-1] + bt)
        zs.append(np.tanh(us[-1]))
    y = np.asarray(y, dtype=float).reshape(1, -1)
    y_hat = omega.T @ zs[-1] + b                                  # (1, B)
    d_loss = -y * _sigmoid(-y * y_hat) if dl is None else dl(y_hat, y)
    prime = prime or (lambda u, z: 1.0 - z ** 2)                  # tanh′ from the activation
    scale = 1.0 / X.shape[1] if mean else 1.0
    T = len(Ws)
    g = {"omega": scale * zs[T] @ d_loss.T, "b": scale * float(d_loss.sum())}
    d = omega * d_loss * (prime(us[T], zs[T]) if last_prime else 1.0)
    for t in range(T, 0, -1):
        g[f"W{t}"] = scale * d @ zs[t - 1].T
        g[f"b{t}"] = scale * d.sum(axis=1, keepdims=True)
        if t > 1:
            d = prime(us[t - 1], zs[t - 1]) * (Ws[t - 1].T @ d)
    return g


def _readout_case(rng, widths=None, B=None):
    widths = widths or [int(rng.integers(2, 6)) for _ in range(int(rng.integers(2, 5)))]
    B = B or int(rng.integers(1, 7))
    Ws = [rng.normal(size=(n, m)) / np.sqrt(m) for m, n in zip(widths[:-1], widths[1:])]
    bs = [rng.normal(size=(n, 1)) * 0.5 for n in widths[1:]]
    return {"Ws": Ws, "bs": bs, "omega": rng.normal(size=(widths[-1], 1)),
            "b": float(rng.normal()), "X": rng.normal(size=(widths[0], B)),
            "y": rng.choice([-1.0, 1.0], size=B)}


def _visible_readout():
    one = _readout_case(np.random.default_rng(31), [3, 4, 5], 4)
    one["y"] = np.array([1.0, -1.0, -1.0, 1.0])               # both labels, whatever the draw
    return [one, _readout_case(np.random.default_rng(32), [2, 3], 1)]


def _readout_variant(**kw):
    return lambda Ws, bs, omega, b, X, y: _readout_grads(Ws, bs, omega, b, X, y, **kw)


exercise(
    "03.readout_grads",
    reference=lambda Ws, bs, omega, b, X, y: _readout_grads(Ws, bs, omega, b, X, y),
    visible=_visible_readout(),
    hidden=_readout_case,
    n_hidden=6,
    variants=[
        variant("the {0, 1}-label cross-entropy's output error with labels ±1",
                _readout_variant(dl=lambda y_hat, y: _sigmoid(y_hat) - y),
                "these labels are minus one and plus one, and the loss is the log of one plus the "
                "exponential of minus the label times ŷ: differentiate THAT loss with respect to "
                "ŷ; the familiar output error of lecture 03 belongs to labels zero and one and a "
                "sigmoid output."),
        variant("ℓ′ with the wrong sign",
                _readout_variant(dl=lambda y_hat, y: y * _sigmoid(-y * y_hat)),
                "the logistic loss falls as the label times ŷ grows, so its derivative with respect "
                "to ŷ has the sign opposite to the label's: check the sign of your ℓ′."),
        variant("σ of the margin instead of σ of minus the margin",
                _readout_variant(dl=lambda y_hat, y: -y * _sigmoid(y * y_hat)),
                "the chain rule through the exponential of minus the margin brings the logistic "
                "function of MINUS the margin: a confidently right example must give a small ℓ′."),
        variant("σ′ instead of tanh′", _readout_variant(prime=lambda u, z: _sigmoid_prime(u)),
                "lecture 03, section 8 used sigmoid layers; these layers are tanh: use tanh′, "
                "written with the layer's activation (lecture 01, section 4)."),
        variant("no tanh′ at the last hidden layer", _readout_variant(last_prime=False),
                "the read-out is linear, but the last hidden layer is not: its error needs the "
                "local slope tanh′ of that layer, as every other hidden layer's does."),
        variant("summed over the batch, not averaged", _readout_variant(mean=False),
                "the loss is the MEAN over the examples of the batch: every gradient carries the "
                "factor one over B once (lecture 03, section 7)."),
    ],
    what="the mean logistic-loss gradients of a tanh network with a linear read-out (Cornell CS3780 "
         "lecture 22's form, labels ±1), on 2 visible and 6 random minibatches",
)
