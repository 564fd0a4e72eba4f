"""Assignment 02: naive per-weight derivatives, and why they are expensive.

Networks: sigmoid at every layer, quadratic cost C = (1/N) Σ_i ½‖y^{i} − a^[L](x^{i})‖² (9),
examples are columns. Python lists start at 0, the lecture's layers at 2: Ws[i] = W^[i+2], so
W^[l] is Ws[l - 2].

Graded functions (student signatures):
    n_params(sizes) -> int                       Σ_{l=2}^{L} n_l (n_{l-1} + 1)
    chain_grad(w, b, x, y) -> (L-1,)             ∂C/∂w^[l] of a width-1 chain, one path per weight
    naive_dW(Ws, bs, X, Y, l, h) -> like W^[l]   central differences, one weight at a time
    relative_error(a, b) -> float                ‖a − b‖ / max(‖a‖ + ‖b‖, 1e-12), as bpkit.gradcheck
    naive_multiply_adds(sizes) -> int            2 · n_params · Σ n_l n_{l-1}
References are self-contained numpy, so grading never depends on student-editable code.
"""
import numpy as np

from bpkit.grading.registry import exercise, variant


def _s(z):
    return 1.0 / (1.0 + np.exp(-z))


def _sp(z):
    return _s(z) * (1.0 - _s(z))


def _cost(Ws, bs, X, Y):
    a = np.asarray(X, float)
    for W, b in zip(Ws, bs):
        a = _s(W @ a + b)                                   # (19), (20)
    return float(0.5 * np.sum((np.asarray(Y, float) - a) ** 2) / a.shape[1])   # (9)


# ---------------------------------------------------------------- counting parameters
def _n_params(sizes):
    return sum(n * (m + 1) for m, n in zip(sizes[:-1], sizes[1:]))


def _edges(sizes):
    return sum(n * m for m, n in zip(sizes[:-1], sizes[1:]))


def _sizes_cases(rng):
    return {"sizes": [int(k) for k in rng.integers(1, 11, size=int(rng.integers(2, 6)))]}


exercise(
    "02.n_params",
    reference=_n_params,
    visible=[{"sizes": [3, 3, 3]}, {"sizes": [2, 3, 2]}],
    hidden=_sizes_cases,
    variants=[
        variant("forgot the biases", _edges,
                "every neuron of layers 2..L has a bias b_j^[l] as well as its n_{l−1} weights."),
        variant("a bias for the input layer too", lambda sizes: _n_params(sizes) + sizes[0],
                "layer 1 is the input a^[1] = x: it has no weights and no biases."),
    ],
    what="Σ_l n_l (n_{l−1} + 1) on 2 visible and 5 random layer-size lists",
)

exercise(
    "02.naive_multiply_adds",
    reference=lambda sizes: 2 * _n_params(sizes) * _edges(sizes),
    visible=[{"sizes": [3, 3, 3]}, {"sizes": [2, 3, 2]}],
    hidden=_sizes_cases,
    variants=[
        variant("one forward pass per parameter",
                lambda sizes: _n_params(sizes) * _edges(sizes),
                "a central difference needs TWO forward passes per parameter: C(w + h) and C(w − h)."),
        variant("biases left out of the parameter count",
                lambda sizes: 2 * _edges(sizes) * _edges(sizes),
                "the biases are parameters too: each needs its own pair of forward passes."),
        variant("per-pass cost counted as parameters",
                lambda sizes: 2 * _n_params(sizes) * _n_params(sizes),
                "a forward pass costs one multiply-add per edge, Σ n_l n_{l−1}; the bias additions "
                "are not multiply-adds."),
    ],
    what="2 · (#parameters) · Σ n_l n_{l−1} on 2 visible and 5 random layer-size lists",
)


# ---------------------------------------------------------------- a chain of width 1
def _chain(w, b, x, y, sp=None, sign=1.0, shift=0):
    """∂C/∂w^[l] = (a^[L] − y) Π_{k>l} σ′(z^[k]) w^[k] · σ′(z^[l]) a^[l−1] for C = ½(a^[L] − y)²."""
    w, b = np.asarray(w, float), np.asarray(b, float)
    a, zs = [float(x)], []
    for wl, bl in zip(w, b):
        zs.append(wl * a[-1] + bl)
        a.append(float(_s(zs[-1])))
    sp = sp or (lambda z, a: _sp(z))
    out = np.empty(len(w))
    for i in range(len(w)):
        prod = sign * (a[-1] - y)
        for k in range(len(w) - 1, i, -1):                  # the single path from w^[i+2] to C
            prod *= sp(zs[k], a[k + 1]) * w[k]
        out[i] = prod * sp(zs[i], a[i + 1]) * a[i + shift]  # a[i] is a^[l−1] for w[i] = w^[l]
    return out


def _chain_cases(rng):
    k = int(rng.integers(2, 6))
    return {"w": rng.normal(size=k) * 1.5, "b": rng.normal(size=k), "x": float(rng.normal()),
            "y": float(rng.random())}


exercise(
    "02.chain_grad",
    reference=_chain,
    visible=[{"w": np.array([1.0, -2.0, 0.5]), "b": np.array([0.0, 0.5, -0.5]), "x": 1.5, "y": 1.0}],
    hidden=_chain_cases,
    variants=[
        variant("missing σ′", lambda w, b, x, y: _chain(w, b, x, y, sp=lambda z, a: 1.0),
                "every neuron a = σ(z) on the path contributes a factor σ′(z^[k]); they are missing."),
        variant("σ′ evaluated at a instead of z",
                lambda w, b, x, y: _chain(w, b, x, y, sp=lambda z, a: _sp(a)),
                "you computed σ′(a^[k]) = σ′(σ(z^[k])); the local derivative is σ′(z^[k]) = a^[k](1 − a^[k])."),
        variant("sign flip", lambda w, b, x, y: _chain(w, b, x, y, sign=-1.0),
                "C = ½(a^[L] − y)² gives ∂C/∂a^[L] = a^[L] − y (not y − a^[L])."),
        variant("off-by-one layer index (a^[l] instead of a^[l−1])",
                lambda w, b, x, y: _chain(w, b, x, y, shift=1),
                "∂z^[l]/∂w^[l] is the input of the weight, a^[l−1] (eq. 27), not the neuron's own output a^[l]."),
    ],
    what="∂C/∂w^[l] for every weight of a width-1 sigmoid chain on 1 visible and 5 random chains",
)


# ---------------------------------------------------------------- naive finite differences
def _naive_dW(Ws, bs, X, Y, l, h, one_sided=False, index=None):
    Ws = [np.array(W, dtype=float) for W in Ws]
    bs = [np.array(b, dtype=float) for b in bs]
    W = Ws[l - 2 if index is None else index % len(Ws)]     # W^[l] is Ws[l - 2]
    G = np.zeros_like(W)
    for j in range(W.shape[0]):
        for k in range(W.shape[1]):
            old = W[j, k]
            W[j, k] = old + h
            cp = _cost(Ws, bs, X, Y)
            W[j, k] = old if one_sided else old - h
            cm = _cost(Ws, bs, X, Y)
            W[j, k] = old
            G[j, k] = (cp - cm) / (h if one_sided else 2 * h)
    return G


def _naive_cases(rng):
    # at least 3 weight matrices: with 2, Ws[l - 1] and Ws[l - 3] wrap to the same matrix and the
    # two off-by-one variants could not be told apart
    n, depth, N = int(rng.integers(2, 4)), int(rng.integers(3, 5)), int(rng.integers(1, 4))
    Ws = [rng.normal(size=(n, n)) for _ in range(depth)]     # square layers: a wrong index
    bs = [rng.normal(size=(n, 1)) for _ in range(depth)]     # gives a wrong answer, not a crash
    return {"Ws": Ws, "bs": bs, "X": rng.normal(size=(n, N)), "Y": rng.random((n, N)),
            "l": int(rng.integers(2, depth + 2)), "h": float(rng.choice([1e-2, 3e-3]))}


_V_Ws = [np.array([[0.5, -1.0], [1.5, 0.2]]), np.array([[-0.7, 1.1], [0.3, 0.9]]),
         np.array([[0.8, -0.4], [0.6, 1.2]])]
_V_bs = [np.array([[0.1], [-0.2]]), np.array([[0.0], [0.3]]), np.array([[-0.1], [0.2]])]
_V_X, _V_Y = np.array([[1.0, -0.5, 0.2], [0.3, 0.8, -1.0]]), np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])

exercise(
    "02.naive_dW",
    reference=_naive_dW,
    visible=[{"Ws": _V_Ws, "bs": _V_bs, "X": _V_X, "Y": _V_Y, "l": 2, "h": 1e-2},
             {"Ws": _V_Ws, "bs": _V_bs, "X": _V_X, "Y": _V_Y, "l": 3, "h": 1e-2}],
    hidden=_naive_cases,
    variants=[
        variant("forward difference instead of central",
                lambda Ws, bs, X, Y, l, h: _naive_dW(Ws, bs, X, Y, l, h, one_sided=True),
                "(C(w + h) − C(w))/h is one-sided (error O(h)); use (C(w + h) − C(w − h)) / 2h."),
        variant("off-by-one layer index (perturbed W^[l+1])",
                lambda Ws, bs, X, Y, l, h: _naive_dW(Ws, bs, X, Y, l, h, index=l - 1),
                "the list starts at layer 2: W^[l] is Ws[l - 2], not Ws[l - 1]."),
        variant("off-by-one layer index (perturbed W^[l−1])",
                lambda Ws, bs, X, Y, l, h: _naive_dW(Ws, bs, X, Y, l, h, index=l - 3),
                "the list starts at layer 2: W^[l] is Ws[l - 2], not Ws[l - 3]."),
    ],
    protect=["bpkit.gradcheck.numerical_gradient"],
    rtol=1e-6, atol=1e-9,
    what="∂C/∂W^[l] by central differences (same h as the reference) on 2 visible and 5 random networks",
)


# ---------------------------------------------------------------- comparing gradients
# the course's relative error, as in bpkit.gradcheck: norms over the whole array
def _rel(a, b, which="both", norm=np.linalg.norm):
    a, b = np.asarray(a, float).ravel(), np.asarray(b, float).ravel()
    den = {"both": norm(a) + norm(b), "b": norm(b), "none": 1.0}[which]
    return float(norm(a - b) / max(den, 1e-12))


def _l1(v):
    return np.sum(np.abs(v))


def _rel_cases(rng):
    shape = (int(rng.integers(2, 5)), int(rng.integers(1, 4)))
    a = rng.normal(size=shape) * 10.0 ** rng.uniform(-3, 1)
    eps = 10.0 ** rng.uniform(-6, -1)
    return {"a": a, "b": a + eps * np.abs(a).max() * rng.normal(size=shape)}


exercise(
    "02.relative_error",
    reference=_rel,
    visible=[{"a": np.array([1.0, -2.0, 0.5]), "b": np.array([1.1, -2.0, 0.25])}],
    hidden=_rel_cases,
    variants=[
        variant("relative to one argument only", lambda a, b: _rel(a, b, which="b"),
                "divide by ‖a‖ + ‖b‖ (both sides), so that the error is symmetric in a and b."),
        variant("absolute error (no denominator)", lambda a, b: _rel(a, b, which="none"),
                "‖a − b‖ alone depends on the scale of the gradient; divide by ‖a‖ + ‖b‖."),
        variant("sum of absolute values instead of the Euclidean norm",
                lambda a, b: _rel(a, b, norm=_l1),
                "‖v‖ is the Euclidean norm √(Σ v_i²) (np.linalg.norm), not Σ |v_i|."),
    ],
    protect=["bpkit.gradcheck.relative_error"],
    rtol=1e-7, atol=1e-15,
    what="‖a − b‖ / max(‖a‖ + ‖b‖, 1e-12) on 1 visible and 5 random pairs",
)
