"""Assignment 01: the chain rule and computational graphs.

The lecture derives σ′, tanh′, ReLU′, one graph with two paths and one sigmoid neuron with the
quadratic cost; the assignment transfers each idea to a case the lecture did not solve.

Graded answers (student names):
    softplus_prime(z)                     derivative of softplus ln(1 + e^z), elementwise
    elu_prime(z, alpha)                   derivative of ELU, elementwise
    graph_grad(x1, x2) -> (dy_dx1, dy_dx2) a graph with a path through an intermediate node
    xent_neuron_grads(w, b, X, y)         one sigmoid neuron, cross-entropy cost, a batch
    richardson(f, x, h)                   central differences at h and h/2 combined, error O(h⁴)
    q_gradcheck = (choice 1, choice 2)    two multiple-choice questions on gradient checks
References are self-contained numpy, so grading never depends on student-editable code.
"""
import numpy as np

from bpkit_instructor.spec import exercise, variant


def _s(z):
    return np.exp(-np.logaddexp(0.0, -np.asarray(z, float)))   # σ(z), no overflow for any z


def _sp(z):
    return _s(z) * (1.0 - _s(z))


def _mixed_signs(rng, scale=3.0):
    """An array of random shape with both signs present and no exact zero."""
    shape = (int(rng.integers(1, 4)), int(rng.integers(2, 6)))
    z = scale * rng.normal(size=shape)
    z.flat[0], z.flat[-1] = abs(z.flat[0]) + 0.1, -abs(z.flat[-1]) - 0.1
    return rng.permutation(z.ravel()).reshape(shape)


# ---------------------------------------------------------------- softplus (not in the lecture)
def _softplus_cases(rng):
    return {"z": _mixed_signs(rng, scale=4.0)}


exercise(
    "01.softplus_prime",
    reference=lambda z: _s(np.asarray(z, float)),
    visible=[{"z": np.array([-3.0, -0.5, 0.0, 0.5, 3.0])}],
    hidden=_softplus_cases,
    variants=[
        variant("returned softplus itself", lambda z: np.log1p(np.exp(np.asarray(z, float))),
                "that is softplus itself; its derivative is what the chain rule gives for a "
                "logarithm of an inner function (lecture 01, section 2)."),
        variant("missing the inner derivative (of the exponential)", lambda z: 1.0 / (1.0 + np.exp(np.asarray(z, float))),
                "the chain rule for a logarithm of an inner function multiplies by the inner "
                "function's derivative; you kept the outer part and dropped the inner factor "
                "(lecture 01, section 2)."),
        variant("σ′(z) instead of σ(z) (differentiated once too often)",
                lambda z: _sp(np.asarray(z, float)),
                "softplus's derivative simplifies to the logistic σ(z) itself; you differentiated "
                "once more, which gives the second derivative of softplus (lecture 01, section 4)."),
    ],
    what="softplus′(z) elementwise on 1 visible and 5 random arrays",
)


# ---------------------------------------------------------------- ELU (not in the lecture)
def _elu_cases(rng):
    alpha = float(rng.uniform(0.2, 0.8) if rng.random() < 0.5 else rng.uniform(1.3, 2.5))
    return {"z": _mixed_signs(rng), "alpha": alpha}   # α ≠ 1, so a missing α shows


def _elu(z, alpha):
    z = np.asarray(z, float)
    return np.where(z > 0, z, alpha * (np.exp(np.minimum(z, 0.0)) - 1.0))


exercise(
    "01.elu_prime",
    reference=lambda z, alpha: np.where(np.asarray(z, float) > 0, 1.0,
                                        alpha * np.exp(np.minimum(np.asarray(z, float), 0.0))),
    visible=[{"z": np.array([-2.0, -0.5, 0.25, 1.5]), "alpha": 0.5}],
    hidden=_elu_cases,
    variants=[
        variant("returned ELU itself", _elu,
                "that is ELU(z) itself; differentiate each branch separately (lecture 01, section "
                "4)."),
        variant("α missing on the negative side",
                lambda z, alpha: np.where(np.asarray(z, float) > 0, 1.0,
                                          np.exp(np.minimum(np.asarray(z, float), 0.0))),
                "the constant α multiplies the negative branch, so it multiplies that branch's "
                "derivative too."),
        variant("the negative branch's constant kept in its derivative",
                lambda z, alpha: np.where(np.asarray(z, float) > 0, 1.0, _elu(z, alpha)),
                "a constant term differentiates to zero: only the exponential part of the negative"
                " branch has a slope."),
        variant("ReLU′ (slope 0 for negative z)",
                lambda z, alpha: (np.asarray(z, float) > 0).astype(float),
                "unlike ReLU, ELU is not flat for negative z: its slope there is positive (lecture"
                " 01, section 4)."),
    ],
    what="ELU′(z) elementwise (z ≠ 0) on 1 visible and 5 random arrays and α values",
)


# ---------------------------------------------------------------- a graph with three paths
# m1 = x1 x2,  m2 = tanh(x1 + m1),  y = σ(m1) · m2
def _graph(x1, x2, m1_to_m2=True, x1_to_m2=True, tanh_p=None, sp=None):
    x1, x2 = np.asarray(x1, float), np.asarray(x2, float)
    m1 = x1 * x2
    m2 = np.tanh(x1 + m1)
    t = 1.0 - m2 ** 2 if tanh_p is None else tanh_p(m2)             # ∂m2/∂(x1 + m1)
    s_prime = _sp(m1) if sp is None else sp(m1)
    dy_dm2 = _s(m1)
    dy_dm1 = s_prime * m2 + (dy_dm2 * t if m1_to_m2 else 0.0)        # direct + through m2
    return (dy_dm1 * x2 + (dy_dm2 * t if x1_to_m2 else 0.0),         # x1 → m1 and x1 → m2
            dy_dm1 * x1)


def _graph_cases(rng):
    n = int(rng.integers(2, 6))
    return {"x1": rng.normal(size=n), "x2": rng.normal(size=n)}


exercise(
    "01.graph_grad",
    reference=_graph,
    visible=[{"x1": np.array([1.0, -0.5]), "x2": np.array([0.5, 2.0])}],
    hidden=_graph_cases,
    variants=[
        variant("the edge from m₁ to m₂ left out", lambda x1, x2: _graph(x1, x2, m1_to_m2=False),
                "m₁ reaches y twice: directly, and through m₂. The total derivative of y with "
                "respect to m₁ adds both paths (lecture 01, section 3)."),
        variant("the direct edge from x₁ to m₂ left out", lambda x1, x2: _graph(x1, x2, x1_to_m2=False),
                "x₁ enters m₂ directly as well as through m₁: add the path from x₁ through m₂ to y"
                " (lecture 01, sections 3 and 5)."),
        variant("tanh′ with its square missing",
                lambda x1, x2: _graph(x1, x2, tanh_p=lambda m2: 1.0 - m2),
                "tanh′ is one minus the SQUARE of tanh; with m₂ the tanh node's output, square m₂ "
                "(lecture 01, section 4)."),
        variant("missing σ′ on the direct path from m₁",
                lambda x1, x2: _graph(x1, x2, sp=lambda m1: 1.0),
                "on the direct path, m₁ first goes through σ: the local derivative σ′(m₁) is "
                "missing from that path's product (lecture 01, section 5)."),
    ],
    what="(∂y/∂x₁, ∂y/∂x₂) for y = σ(m₁)·tanh(x₁ + m₁), m₁ = x₁x₂, on 1 visible and 5 random cases",
)


# ---------------------------------------------------------------- one neuron, cross-entropy
# z = wᵀX + b (one z per column), a = σ(z), C = −(1/B) Σ [y ln a + (1 − y) ln(1 − a)]
def _xent(w, b, X, y, factor=None, sign=1.0, mean=True):
    w, X, y = np.asarray(w, float), np.asarray(X, float), np.asarray(y, float)
    z = w @ X + b
    a = _s(z)
    dz = sign * (a - y) * (1.0 if factor is None else factor(z, a))
    if mean:
        dz = dz / X.shape[1]
    return X @ dz, float(np.sum(dz))


def _xent_cases(rng):
    n, B = int(rng.integers(1, 5)), int(rng.integers(2, 7))
    return {"w": rng.normal(size=n), "b": float(rng.normal()), "X": rng.normal(size=(n, B)),
            "y": rng.integers(0, 2, size=B).astype(float)}


exercise(
    "01.xent_neuron_grads",
    reference=_xent,
    visible=[{"w": np.array([0.5, -1.0]), "b": 0.1, "X": np.array([[1.0, 0.0, -1.0], [2.0, 0.5, 1.0]]),
              "y": np.array([1.0, 0.0, 1.0])}],
    hidden=_xent_cases,
    variants=[
        variant("the quadratic cost's gradient (an extra σ′(z))",
                lambda w, b, X, y: _xent(w, b, X, y, factor=lambda z, a: a * (1 - a)),
                "with the cross-entropy, the σ′ of the chain rule cancels against the denominator "
                "of ∂C/∂a, so ∂C/∂z is just the error of the prediction; the extra σ′ belongs to "
                "the quadratic cost (lecture 04, section 6)."),
        variant("∂C/∂a used as ∂C/∂z (the σ′ factor left out)",
                lambda w, b, X, y: _xent(w, b, X, y, factor=lambda z, a: 1.0 / (a * (1 - a))),
                "what you returned is ∂C/∂a; the chain rule still multiplies by the local "
                "derivative of the neuron, σ′(z) (lecture 01, section 2)."),
        variant("forgot to divide by B (summed over the batch)",
                lambda w, b, X, y: _xent(w, b, X, y, mean=False),
                "C is the mean over the B examples (columns), so its gradient is the mean of the "
                "per-example gradients: divide by B."),
        variant("sign flip (target minus prediction)", lambda w, b, X, y: _xent(w, b, X, y, sign=-1.0),
                "∂C/∂z is the prediction minus the target: the gradient points towards larger "
                "cost, and the update subtracts it."),
    ],
    what="(∂C/∂w, ∂C/∂b) of the mean cross-entropy of one sigmoid neuron on 1 visible and 5 random batches",
)


# ---------------------------------------------------------------- Richardson extrapolation
_FUNCS = [np.sin, np.cos, np.exp, np.tanh, np.arctan]


def _D(f, x, h):
    x = np.asarray(x, float)
    return (f(x + h) - f(x - h)) / (2 * h)


def _richardson_cases(rng):
    f = _FUNCS[int(rng.integers(len(_FUNCS)))]
    return {"f": f, "x": rng.uniform(-2.0, 2.0, size=int(rng.integers(3, 7))),
            "h": float(rng.choice([0.05, 0.1, 0.2]))}


exercise(
    "01.richardson",
    reference=lambda f, x, h: (4 * _D(f, x, h / 2) - _D(f, x, h)) / 3,
    visible=[{"f": np.sin, "x": np.array([0.3, 1.0, 2.0]), "h": 0.1},
             {"f": np.exp, "x": np.array([-1.0, 0.5]), "h": 0.2}],
    hidden=_richardson_cases,
    variants=[
        variant("plain central difference D(h)", _D,
                "D(h) alone still has the error that grows with the square of h; combine D(h) with"
                " the difference at half the step so that this error cancels (lecture 01, section "
                "6)."),
        variant("central difference at half the step only", lambda f, x, h: _D(f, x, h / 2),
                "halving the step quarters the leading error but does not remove it: combine it "
                "with D(h) so that the leading error cancels."),
        variant("weights for a first-order error",
                lambda f, x, h: 2 * _D(f, x, h / 2) - _D(f, x, h),
                "those weights cancel an error proportional to h. The central difference's error "
                "starts at the square of h, and halving h divides it by 4, not 2 (lecture 01, "
                "section 6)."),
        variant("weights swapped (the larger weight on the larger step)",
                lambda f, x, h: (4 * _D(f, x, h) - _D(f, x, h / 2)) / 3,
                "the larger weight belongs to the smaller step, whose leading error is a quarter "
                "of D(h)'s."),
    ],
    rtol=1e-7, atol=1e-10,
    what="Richardson's extrapolation of the central difference D(h), on 2 visible and 5 random cases",
)


# ---------------------------------------------------------------- reasoning: a choice and a number
# Q1 (h = 1e-12 on eˣ: round-off) -> 2
# Q2: central difference of ReLU at z = 3e-7 with h = 1e-6: (relu(1.3e-6) − relu(−0.7e-6))/2e-6 = 0.65
_Q = (2, 0.65)
exercise(
    "01.q_gradcheck",
    reference=lambda: _Q,
    visible=[{}],
    hidden=lambda rng: {},
    n_hidden=1,
    value=True,
    variants=[
        variant("Q1: a bug in the derivative", (1, 0.65),
                "Q1: the derivative of the exponential is right; at a step as tiny as 1e-12 the "
                "round-off term of lecture 01, section 6 alone explains an error this size. Retry "
                "with a sensible h before suspecting a bug."),
        variant("Q1: truncation error", (3, 0.65),
                "Q1: the truncation term shrinks with the square of h and is negligible at a step "
                "of 1e-12; it is the other term of lecture 01, section 6 that grows as h shrinks."),
        variant("Q1: a kink", (4, 0.65),
                "Q1: the exponential is smooth everywhere; look at the two error terms of lecture "
                "01, section 6."),
        variant("Q2: the one-sided average ½", (2, 0.5),
                "Q2: ½ is what the central difference gives when z sits exactly ON the kink; here "
                "z is 3e-7 away from it, so the two evaluation points are not symmetric about the "
                "kink. Evaluate ReLU at both points."),
        variant("Q2: the analytic slope", (2, 1.0),
                "Q2: 1 is what the backward pass uses; the question asks what the central difference "
                "computes when one of its two points z ± h falls on the other side of the kink."),
        variant("Q2: the slope left of the kink", (2, 0.0),
                "Q2: only the lower of the two evaluation points lies left of the kink; the upper "
                "one lies right of it. Evaluate ReLU at both."),
    ],
    what="the form of your answer (a choice and a number); the values are graded when you submit",
)
