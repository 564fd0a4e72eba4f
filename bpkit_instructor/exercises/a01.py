"""Assignment 01: the chain rule and computational graphs.

Graded functions (student signatures):
    sigmoid_prime(z), tanh_prime(z), relu_prime(z)    derivatives of the activations, elementwise
    graph_grad(x1, x2) -> (dy_dx1, dy_dx2)            multivariate chain rule through a small graph
    neuron_grads(w, b, x, y) -> (dC_dw, dC_db)        chain rule through one sigmoid neuron
    central_difference(f, x, h)                        (f(x + h) − f(x − h)) / 2h
References are self-contained numpy, so grading never depends on student-editable code.
"""
import numpy as np

from bpkit.grading.registry import exercise, variant


def _s(z):
    return 1.0 / (1.0 + np.exp(-z))


def _sp(z):
    return _s(z) * (1.0 - _s(z))


def _z_cases(rng, scale=3.0):
    shape = (int(rng.integers(1, 5)), int(rng.integers(1, 6)))
    return {"z": scale * rng.normal(size=shape)}


# ---------------------------------------------------------------- activation derivatives
exercise(
    "01.sigmoid_prime",
    reference=lambda z: _sp(np.asarray(z, float)),
    visible=[{"z": np.array([-2.0, -0.5, 0.0, 0.5, 3.0])}],
    hidden=_z_cases,
    variants=[
        variant("σ′ evaluated at σ(z) instead of z",
                lambda z: _sp(_s(np.asarray(z, float))),
                "you applied σ′ to a = σ(z). Either write σ(z)(1 − σ(z)) with the input z, or "
                "a(1 − a) with a = σ(z); but not σ′(σ(z))."),
        variant("z(1 − z) instead of σ(z)(1 − σ(z))",
                lambda z: np.asarray(z, float) * (1 - np.asarray(z, float)),
                "the identity σ′ = a(1 − a) holds for a = σ(z), not for z itself: compute σ(z) first."),
        variant("sign flip", lambda z: -_sp(np.asarray(z, float)),
                "σ is increasing, so σ′(z) > 0 everywhere; check the sign of d/dz (1 + e^(−z))^(−1)."),
    ],
    protect=["bpkit.activations.sigmoid_prime"],
    what="σ′(z) = σ(z)(1 − σ(z)) elementwise on 1 visible and 5 random arrays",
)

exercise(
    "01.tanh_prime",
    reference=lambda z: 1.0 - np.tanh(np.asarray(z, float)) ** 2,
    visible=[{"z": np.array([-2.0, -0.5, 0.0, 0.5, 3.0])}],
    hidden=_z_cases,
    variants=[
        variant("1 − tanh(z) (missing square)", lambda z: 1.0 - np.tanh(np.asarray(z, float)),
                "tanh′(z) = 1 − tanh(z)², the tanh is squared."),
        variant("tanh′ evaluated at tanh(z)",
                lambda z: 1.0 - np.tanh(np.tanh(np.asarray(z, float))) ** 2,
                "you applied the derivative formula to tanh(z) instead of z: 1 − tanh(z)², "
                "or 1 − a² with a = tanh(z)."),
        variant("sign flip", lambda z: np.tanh(np.asarray(z, float)) ** 2 - 1.0,
                "tanh is increasing, its derivative is positive: 1 − tanh(z)², not tanh(z)² − 1."),
    ],
    protect=["bpkit.activations.tanh_prime"],
    what="tanh′(z) = 1 − tanh²(z) elementwise on 1 visible and 5 random arrays",
)

def _relu_cases(rng):
    z = _z_cases(rng)["z"].ravel()
    z = np.concatenate([z, [abs(z[0]) + 0.1, -abs(z[-1]) - 0.1]])   # both signs present
    return {"z": rng.permutation(z)}


exercise(
    "01.relu_prime",
    reference=lambda z: (np.asarray(z, float) > 0).astype(float),
    visible=[{"z": np.array([-2.0, -0.5, 0.25, 0.5, 3.0])}],
    hidden=_relu_cases,
    variants=[
        variant("returned ReLU instead of its derivative",
                lambda z: np.maximum(np.asarray(z, float), 0.0),
                "max(0, z) is ReLU itself; its derivative is 1 where z > 0 and 0 where z < 0."),
        variant("step on the wrong side", lambda z: (np.asarray(z, float) < 0).astype(float),
                "ReLU has slope 1 for positive z (where it equals z) and slope 0 for negative z."),
    ],
    protect=["bpkit.activations.relu_prime"],
    what="ReLU′(z) = 1[z > 0] on 1 visible and 5 random arrays (no z is exactly 0)",
)


# ---------------------------------------------------------------- multivariate chain rule
# y = σ(m1) · m2,  m1 = x1 x2,  m2 = x1 + x2²
def _graph_parts(x1, x2):
    x1, x2 = np.asarray(x1, float), np.asarray(x2, float)
    m1, m2 = x1 * x2, x1 + x2 ** 2
    return x1, x2, m1, m2


def _graph_ref(x1, x2):
    x1, x2, m1, m2 = _graph_parts(x1, x2)
    dy_dm1, dy_dm2 = _sp(m1) * m2, _s(m1)
    return dy_dm1 * x2 + dy_dm2 * 1.0, dy_dm1 * x1 + dy_dm2 * 2 * x2


def _graph_only_m1(x1, x2):
    x1, x2, m1, m2 = _graph_parts(x1, x2)
    return _sp(m1) * m2 * x2, _sp(m1) * m2 * x1


def _graph_only_m2(x1, x2):
    x1, x2, m1, m2 = _graph_parts(x1, x2)
    return _s(m1), _s(m1) * 2 * x2


def _graph_missing_sp(x1, x2):
    x1, x2, m1, m2 = _graph_parts(x1, x2)
    return m2 * x2 + _s(m1), m2 * x1 + _s(m1) * 2 * x2


def _graph_cases(rng):
    n = int(rng.integers(1, 6))
    return {"x1": rng.normal(size=n), "x2": rng.normal(size=n)}


exercise(
    "01.graph_grad",
    reference=_graph_ref,
    visible=[{"x1": np.array([1.0, -0.5]), "x2": np.array([0.5, 2.0])}],
    hidden=_graph_cases,
    variants=[
        variant("only the path through m₁", _graph_only_m1,
                "x₁ and x₂ reach y through m₁ AND through m₂: add ∂y/∂m₂ · ∂m₂/∂xᵢ."),
        variant("only the path through m₂", _graph_only_m2,
                "x₁ and x₂ reach y through m₁ AND through m₂: add ∂y/∂m₁ · ∂m₁/∂xᵢ."),
        variant("missing σ′ (∂y/∂m₁ taken as m₂)", _graph_missing_sp,
                "y = σ(m₁)·m₂, so ∂y/∂m₁ = σ′(m₁)·m₂: the σ′(m₁) factor is missing."),
    ],
    what="(∂y/∂x₁, ∂y/∂x₂) for y = σ(x₁x₂)·(x₁ + x₂²) on 1 visible and 5 random cases",
)


# ---------------------------------------------------------------- one sigmoid neuron
# z = w·x + b, a = σ(z), C = ½(a − y)²
def _neuron(w, b, x, y, sp=None, sign=1.0):
    w, x = np.asarray(w, float), np.asarray(x, float)
    z = float(w @ x + b)
    a = float(_s(z))
    dz = sign * (a - y) * (_sp(z) if sp is None else sp(z, a))
    return dz * x, dz


def _neuron_cases(rng):
    n = int(rng.integers(1, 6))
    return {"w": rng.normal(size=n), "b": float(rng.normal()), "x": rng.normal(size=n),
            "y": float(rng.random())}


exercise(
    "01.neuron_grads",
    reference=lambda w, b, x, y: _neuron(w, b, x, y),
    visible=[{"w": np.array([0.5, -1.0]), "b": 0.1, "x": np.array([1.0, 2.0]), "y": 1.0}],
    hidden=_neuron_cases,
    variants=[
        variant("missing σ′", lambda w, b, x, y: _neuron(w, b, x, y, sp=lambda z, a: 1.0),
                "a = σ(z) sits between z and C, so ∂C/∂z = (a − y)·σ′(z): the σ′(z) factor is missing."),
        variant("σ′ evaluated at a instead of z",
                lambda w, b, x, y: _neuron(w, b, x, y, sp=lambda z, a: _sp(a)),
                "you computed σ′(a) = σ′(σ(z)). The local derivative of a = σ(z) is σ′(z) = a(1 − a)."),
        variant("sign flip", lambda w, b, x, y: _neuron(w, b, x, y, sign=-1.0),
                "C = ½(a − y)² gives ∂C/∂a = a − y (not y − a)."),
    ],
    what="(∂C/∂w, ∂C/∂b) for C = ½(σ(w·x + b) − y)² on 1 visible and 5 random cases",
)


# ---------------------------------------------------------------- central differences
_FUNCS = [np.sin, np.cos, np.exp, np.tanh, np.arctan]


def _central(f, x, h):
    x = np.asarray(x, float)
    return (f(x + h) - f(x - h)) / (2 * h)


def _central_cases(rng):
    f = _FUNCS[int(rng.integers(len(_FUNCS)))]
    n = int(rng.integers(3, 7))
    return {"f": f, "x": rng.uniform(-2.0, 2.0, size=n), "h": float(rng.choice([1e-1, 3e-2, 1e-2]))}


exercise(
    "01.central_difference",
    reference=_central,
    visible=[{"f": np.sin, "x": np.array([0.3, 1.0, 2.0]), "h": 1e-2},
             {"f": np.exp, "x": np.array([-1.0, 0.5]), "h": 1e-1}],
    hidden=_central_cases,
    variants=[
        variant("forward difference instead of central",
                lambda f, x, h: (f(np.asarray(x, float) + h) - f(np.asarray(x, float))) / h,
                "(f(x + h) − f(x))/h is the forward difference, error O(h). The central difference "
                "evaluates f on both sides: (f(x + h) − f(x − h)) / 2h, error O(h²)."),
        variant("backward difference instead of central",
                lambda f, x, h: (f(np.asarray(x, float)) - f(np.asarray(x, float) - h)) / h,
                "(f(x) − f(x − h))/h is the backward difference; use (f(x + h) − f(x − h)) / 2h."),
        variant("divided by h instead of 2h",
                lambda f, x, h: (f(np.asarray(x, float) + h) - f(np.asarray(x, float) - h)) / h,
                "x + h and x − h are 2h apart: divide by 2h."),
    ],
    protect=["bpkit.gradcheck.numerical_gradient"],
    rtol=1e-6, atol=1e-9,
    what="(f(x + h) − f(x − h)) / 2h compared with the same h, on 2 visible and 5 random cases",
)
