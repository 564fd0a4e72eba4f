"""Assignment 02: naive per-weight derivatives, what they cost, and why scaling matters.

The lecture counts a plain MLP, differentiates a quadratic-cost sigmoid network path by path and
weight by weight, and scales features to [0, 1]; the assignment transfers each idea: another
architecture to count, another method to cost, another activation, another cost, another scaling.
Python lists start at 0, the lecture's layers at 2: Ws[i] = W^[i+2], so W^[l] is Ws[l - 2].

Graded answers (student names):
    n_params_dense(sizes) -> int            parameters of a densely connected MLP
    forward_diff_cost(sizes, N) -> int      multiply-adds of one forward-difference gradient
    chain_grads(w, b, x, y) -> (dw, db)     width-1 tanh chain, one path per parameter
    per_example_grads(Ws, bs, X, Y, h)      every per-example ∂C_n/∂W^[l], ∂C_n/∂b^[l] of the cross-entropy
    standardize(X) -> Xs                     per-feature z-scores, examples are columns
    kappa = (κ raw, κ standardized)         condition numbers of the least-squares Hessian
References are self-contained numpy, so grading never depends on student-editable code.
"""
import numpy as np

from bpkit_instructor.spec import exercise, variant


def _s(z):
    return 1.0 / (1.0 + np.exp(-z))


# ---------------------------------------------------------------- counting, another architecture
def _dense_count(sizes, own=False, bias=True, input_bias=False):
    """layer l sees a^[1], ..., a^[l−1] concatenated: n_l (Σ_{m<l} n_m + 1) parameters."""
    total = sizes[0] if input_bias else 0
    for l in range(1, len(sizes)):
        fan_in = sum(sizes[:l + 1] if own else sizes[:l])
        total += sizes[l] * (fan_in + (1 if bias else 0))
    return total


def _mlp_count(sizes):
    return sum(n * (m + 1) for m, n in zip(sizes[:-1], sizes[1:]))


def _edges(sizes):
    return sum(n * m for m, n in zip(sizes[:-1], sizes[1:]))


def _sizes_cases(rng):
    # three layers at least: with two, a dense stack is a plain MLP
    return {"sizes": [int(k) for k in rng.integers(1, 11, size=int(rng.integers(3, 7)))]}


exercise(
    "02.n_params_dense",
    reference=_dense_count,
    visible=[{"sizes": [3, 4, 2]}, {"sizes": [2, 3, 3, 1]}],
    hidden=_sizes_cases,
    variants=[
        variant("counted a plain MLP (only the previous layer feeds a layer)", _mlp_count,
                "in the dense stack, layer l receives the activations of ALL the layers before it,"
                " concatenated: its fan-in is the sum of their widths, not the previous layer's "
                "width alone."),
        variant("forgot the biases", lambda sizes: _dense_count(sizes, bias=False),
                "every neuron of layers 2..L has a bias b_j^[l] as well as its incoming weights."),
        variant("a layer fed its own output too", lambda sizes: _dense_count(sizes, own=True),
                "layer l receives the layers BEFORE it; its own activation a^[l] is what it "
                "computes, not one of its inputs."),
        variant("a bias for the input layer too", lambda sizes: _dense_count(sizes, input_bias=True),
                "layer 1 is the input x itself: it has no weights and no biases."),
    ],
    what="parameters of a densely connected MLP on 2 visible and 5 random layer-size lists",
)


# ---------------------------------------------------------------- cost of forward differences
def _fd_cost(sizes, N, passes=lambda P: P + 1, per_pass=_edges, per_example=True):
    return passes(_mlp_count(sizes)) * per_pass(sizes) * (N if per_example else 1)


exercise(
    "02.forward_diff_cost",
    reference=_fd_cost,
    visible=[{"sizes": [3, 3, 3], "N": 4}, {"sizes": [2, 3, 1], "N": 10}],
    hidden=lambda rng: {**_sizes_cases(rng), "N": int(rng.integers(2, 50))},
    variants=[
        variant("two passes per parameter (the central difference's count)",
                lambda sizes, N: _fd_cost(sizes, N, passes=lambda P: 2 * P),
                "a forward difference shares the unperturbed cost between all parameters: one pass"
                " for it, then one per parameter (lecture 02, section 3)."),
        variant("the pass for C(w) itself left out",
                lambda sizes, N: _fd_cost(sizes, N, passes=lambda P: P),
                "every parameter needs the cost at its perturbed value, and the difference also "
                "needs the unperturbed cost: one more pass."),
        variant("one example instead of N", lambda sizes, N: _fd_cost(sizes, N, per_example=False),
                "the cost is a mean over N examples: each forward pass runs all N of them."),
        variant("per-pass cost counted as parameters",
                lambda sizes, N: _fd_cost(sizes, N, per_pass=_mlp_count),
                "a forward pass costs one multiply-add per edge and example, summed over the "
                "layers; bias additions are not multiply-adds (lecture 02, section 6)."),
    ],
    what="multiply-adds of one forward-difference gradient on 2 visible and 5 random networks",
)


# ---------------------------------------------------------------- a width-1 tanh chain
def _chain(w, b, x, y, act_p=None, sign=1.0, shift=0, db_times_input=False):
    """C = ½(a^[L] − y)², a^[l] = tanh(w^[l] a^[l−1] + b^[l]); one path per parameter."""
    w, b = np.asarray(w, float), np.asarray(b, float)
    a, zs = [float(x)], []
    for wl, bl in zip(w, b):
        zs.append(wl * a[-1] + bl)
        a.append(float(np.tanh(zs[-1])))
    act_p = act_p or (lambda z, a: 1.0 - a ** 2)
    dw, db = np.empty(len(w)), np.empty(len(w))
    for i in range(len(w)):
        prod = sign * (a[-1] - y)
        for k in range(len(w) - 1, i, -1):                  # the single path from layer i+2 to C
            prod *= act_p(zs[k], a[k + 1]) * w[k]
        dz = prod * act_p(zs[i], a[i + 1])
        dw[i] = dz * a[i + shift]                           # a[i] is a^[l−1] for w[i] = w^[l]
        db[i] = dz * (a[i + shift] if db_times_input else 1.0)
    return dw, db


def _chain_cases(rng):
    k = int(rng.integers(2, 6))
    return {"w": rng.normal(size=k) * 1.2, "b": rng.normal(size=k) * 0.5, "x": float(rng.normal()),
            "y": float(rng.uniform(-0.9, 0.9))}


exercise(
    "02.chain_grads",
    reference=_chain,
    visible=[{"w": np.array([1.0, -2.0, 0.5]), "b": np.array([0.0, 0.5, -0.5]), "x": 1.5, "y": 0.5}],
    hidden=_chain_cases,
    variants=[
        variant("missing tanh′", lambda w, b, x, y: _chain(w, b, x, y, act_p=lambda z, a: 1.0),
                "every tanh neuron on the path contributes its local derivative tanh′(z^[k]); they"
                " are missing (lecture 02, section 4)."),
        variant("σ′ instead of tanh′ (the lecture's sigmoid)",
                lambda w, b, x, y: _chain(w, b, x, y, act_p=lambda z, a: _s(z) * (1 - _s(z))),
                "this chain uses tanh: the local derivative is tanh′, which can be written with "
                "the neuron's own output a (lecture 01, section 4), not σ′."),
        variant("tanh′ with the square missing",
                lambda w, b, x, y: _chain(w, b, x, y, act_p=lambda z, a: 1.0 - a),
                "tanh′ is one minus the SQUARE of tanh, so in terms of the neuron's output it uses"
                " the square of a (lecture 01, section 4)."),
        variant("off-by-one layer index (a^[l] instead of a^[l−1])",
                lambda w, b, x, y: _chain(w, b, x, y, shift=1),
                "∂z^[l]/∂w^[l] is the input of the weight, a^[l−1] (eq. 27), not the neuron's own output a^[l]."),
        variant("sign flip", lambda w, b, x, y: _chain(w, b, x, y, sign=-1.0),
                "the derivative of the quadratic cost with respect to the output is the output "
                "minus the target, not the target minus the output."),
        variant("∂C/∂b^[l] multiplied by a^[l−1] too",
                lambda w, b, x, y: _chain(w, b, x, y, db_times_input=True),
                "the bias enters the weighted input with coefficient one, so the bias's derivative"
                " is the weight's without the factor a^[l−1] (eq. 24 against eq. 25)."),
    ],
    what="(∂C/∂w^[l], ∂C/∂b^[l]) for every layer of a width-1 tanh chain on 1 visible and 5 random chains",
)


# ---------------------------------------------------------------- naive differences, another cost
def _forward(Ws, bs, X):
    a = np.asarray(X, float)
    for W, b in zip(Ws, bs):
        a = _s(W @ a + b)                                   # (19), (20)
    return a


def _xent_cost(Ws, bs, X, Y):
    """C = −(1/N) Σ_i Σ_j [y ln a + (1 − y) ln(1 − a)], a = a^[L](x^{i}): the setup cell's xent_cost."""
    a, Y = _forward(Ws, bs, X), np.asarray(Y, float)
    return float(-np.sum(Y * np.log(a) + (1 - Y) * np.log(1 - a)) / a.shape[1])


def _quad_cost(Ws, bs, X, Y):
    a = _forward(Ws, bs, X)
    return float(0.5 * np.sum((np.asarray(Y, float) - a) ** 2) / a.shape[1])   # (9)


def _per_example_costs(Ws, bs, X, Y, cost="xent"):
    """(C_1, ..., C_N): the cost of each example alone (no 1/N)."""
    a, Y = _forward(Ws, bs, X), np.asarray(Y, float)
    if cost == "quad":
        return 0.5 * np.sum((Y - a) ** 2, axis=0)
    return -np.sum(Y * np.log(a) + (1 - Y) * np.log(1 - a), axis=0)


def _per_example(Ws, bs, X, Y, h, cost="xent", one_sided=False, restore=True, denom=2.0,
                 batch=False, scale=1.0):
    """Per-example central differences: grads[i][n] = ∂C_n/∂(parameter array i)."""
    Ws = [np.array(W, dtype=float) for W in Ws]
    bs = [np.array(b, dtype=float) for b in bs]
    N = np.asarray(X).shape[1]
    grads = []
    for P in Ws + bs:
        G = np.zeros((N,) + P.shape)
        for idx in np.ndindex(P.shape):
            old = P[idx]
            P[idx] = old + h
            cp = _per_example_costs(Ws, bs, X, Y, cost)
            P[idx] = old if one_sided else old - h
            cm = _per_example_costs(Ws, bs, X, Y, cost)
            if restore:
                P[idx] = old
            d = (cp - cm) / (h if one_sided else denom * h) * scale
            G[(slice(None),) + idx] = d.mean() if batch else d
        grads.append(G)
    return grads[:len(Ws)], grads[len(Ws):]


def _per_example_cases(rng):
    sizes = [int(k) for k in rng.integers(1, 4, size=int(rng.integers(3, 5)))]
    N = int(rng.integers(2, 5))                         # N >= 2: a batch gradient copied N times shows
    return {"Ws": [rng.normal(size=(n, m)) for m, n in zip(sizes[:-1], sizes[1:])],
            "bs": [rng.normal(size=(n, 1)) for n in sizes[1:]],
            "X": rng.normal(size=(sizes[0], N)), "Y": rng.integers(0, 2, size=(sizes[-1], N)).astype(float),
            "h": float(rng.choice([1e-2, 3e-3]))}


_V_Ws = [np.array([[0.5, -1.0], [1.5, 0.2], [-0.3, 0.8]]), np.array([[-0.7, 1.1, 0.4]])]
_V_bs = [np.array([[0.1], [-0.2], [0.3]]), np.array([[0.05]])]
_V_X, _V_Y = np.array([[1.0, -0.5, 0.2], [0.3, 0.8, -1.0]]), np.array([[1.0, 0.0, 1.0]])

exercise(
    "02.per_example_grads",
    reference=_per_example,
    visible=[{"Ws": _V_Ws, "bs": _V_bs, "X": _V_X, "Y": _V_Y, "h": 1e-2}],
    hidden=_per_example_cases,
    variants=[
        variant("the batch gradient copied for every example",
                lambda Ws, bs, X, Y, h: _per_example(Ws, bs, X, Y, h, batch=True),
                "every example got the same numbers: the gradient of the batch's mean cost. Each entry "
                "[n] belongs to the cost C_n of example n alone (section 4; lecture 02, section 1 "
                "defines the cost as a mean of such per-example costs)."),
        variant("the batch's 1/N kept (per-example gradients divided by N)",
                lambda Ws, bs, X, Y, h: _per_example(Ws, bs, X, Y, h, scale=1.0 / np.asarray(X).shape[1]),
                "C_n is the cost of one example, with no mean over the batch: the 1/N belongs to the "
                "batch cost C only (their MEAN over n is the batch gradient)."),
        variant("the quadratic cost (9) instead of the cross-entropy",
                lambda Ws, bs, X, Y, h: _per_example(Ws, bs, X, Y, h, cost="quad"),
                "this assignment's per-example cost is the cross-entropy of section 4, not the "
                "lecture's quadratic cost (9)."),
        variant("forward difference instead of central",
                lambda Ws, bs, X, Y, h: _per_example(Ws, bs, X, Y, h, one_sided=True),
                "a one-sided difference has an O(h) error; the contract asks for the central difference "
                "of lecture 01, section 6."),
        variant("a perturbed parameter not restored",
                lambda Ws, bs, X, Y, h: _per_example(Ws, bs, X, Y, h, restore=False),
                "after the second perturbed pass, put the old value back: otherwise every later "
                "derivative is taken at a network whose earlier parameters have moved (lecture 02, "
                "section 3: one parameter at a time, all others fixed)."),
        variant("divided by h instead of twice h",
                lambda Ws, bs, X, Y, h: _per_example(Ws, bs, X, Y, h, denom=1.0),
                "the two perturbed points of a central difference are twice h apart (lecture 01, "
                "section 6)."),
    ],
    protect=["bpkit.gradcheck.numerical_gradient"],
    rtol=1e-6, atol=1e-9,
    what="every per-example ∂C_n/∂W^[l] and ∂C_n/∂b^[l] of the cross-entropy by central differences "
         "(same h) on 1 visible and 5 random networks and batches",
)


# ---------------------------------------------------------------- feature scaling
def _standardize(X, axis=1, scale="std", ddof=0):
    """(X − mean) / std per feature (row): the statistics are taken over the examples, axis=1."""
    X = np.asarray(X, float)
    mean = X.mean(axis=axis, keepdims=True)
    std = X.std(axis=axis, keepdims=True, ddof=ddof)
    with np.errstate(divide="ignore", invalid="ignore"):      # a constant feature has std 0
        return (X - mean) / {"std": std, "var": std ** 2, "none": 1.0}[scale]


def _std_cases(rng):
    n, N = int(rng.integers(2, 5)), int(rng.integers(5, 12))
    scales = 10.0 ** rng.uniform(-2, 3, size=(n, 1))
    return {"X": rng.normal(size=(n, 1)) * scales * 3 + scales * rng.normal(size=(n, N))}


exercise(
    "02.standardize",
    reference=_standardize,
    visible=[{"X": np.array([[120.0, 80.0, 200.0, 150.0], [3.0, 2.0, 5.0, 4.0]])}],
    hidden=_std_cases,
    variants=[
        variant("statistics over each example's features instead of per feature",
                lambda X: _standardize(X, axis=0),
                "a feature is a ROW (examples are the columns): take each row's mean and standard "
                "deviation over the examples."),
        variant("one mean and std for the whole matrix", lambda X: _standardize(X, axis=None),
                "each feature gets its own mean and standard deviation; one number for the whole "
                "matrix keeps the features on their different scales."),
        variant("only centred (not divided by the std)", lambda X: _standardize(X, scale="none"),
                "centring removes the offset, but the features keep their scales: divide by each "
                "feature's standard deviation too."),
        variant("divided by the variance", lambda X: _standardize(X, scale="var"),
                "divide by the standard deviation (the root of the variance), so that every "
                "feature has standard deviation one."),
        variant("Bessel's correction", lambda X: _standardize(X, ddof=1),
                "the contract asks for the population standard deviation (divide by N, numpy's "
                "default), as batch norm does later in the course."),
    ],
    what="per-feature z-scores on 1 visible and 5 random data sets",
)


# ---------------------------------------------------------------- reasoning: a numeric answer
def _houses():
    """The setup cell's data: N = 40 houses, features area (m²) and rooms, examples as columns."""
    rng = np.random.default_rng(2)
    area = rng.uniform(40.0, 220.0, size=40)
    rooms = np.round(area / 35.0 + rng.normal(0.0, 0.8, size=40)).clip(1, 8)
    return np.vstack([area, rooms])


def _kappa(H):
    ev = np.linalg.eigvalsh(H)                              # λ_min, ..., λ_max
    return float(ev[-1] / ev[0])


def _min_max(X):
    return (X - X.min(axis=1, keepdims=True)) / (X.max(axis=1, keepdims=True) - X.min(axis=1, keepdims=True))


def _kappas(scaled=lambda X: _standardize(X), gram=lambda X: X @ X.T / X.shape[1], root=False):
    X = _houses()
    k = (_kappa(gram(X)), _kappa(gram(scaled(X))))
    return tuple(np.sqrt(k)) if root else k


exercise(
    "02.kappa",
    reference=lambda: _kappas(),
    visible=[{}],
    hidden=lambda rng: {},
    n_hidden=1,
    value=True,
    variants=[
        variant("singular values of X instead of eigenvalues of H", _kappas(root=True),
                "the eigenvalues of H are the SQUARES of the singular values of the scaled data "
                "matrix, so the condition number of H is the square of the singular values' ratio "
                "(lecture 02, section 8)."),
        variant("only centred", _kappas(scaled=lambda X: _standardize(X, scale="none")),
                "centring alone leaves the area in tens of square metres and the rooms in units: "
                "divide each feature by its standard deviation too."),
        variant("min-max scaling instead of standardization", _kappas(scaled=_min_max),
                "the question asks for z-scores (mean 0, std 1 per feature); scaling to [0, 1] is "
                "the lecture's method, and it leaves the features uncentred."),
    ],
    rtol=1e-6, atol=1e-9,
    what="the form of your two condition numbers; their values are graded when you submit",
)
