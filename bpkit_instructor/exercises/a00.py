"""Exercises used by the grading system's own tests (not part of the course)."""
import numpy as np

from bpkit_instructor.spec import exercise, variant


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def _sigmoid_prime(z):
    s = _sig(z)
    return s * (1 - s)


def _cases(rng):
    n, B = rng.integers(2, 6), rng.integers(2, 5)
    z = rng.normal(size=(n, B))
    return {"z": z, "a": _sig(z), "y": rng.random((n, B))}


exercise(
    "00.delta_L",
    reference=lambda z, a, y: _sigmoid_prime(z) * (a - y),  # (22)
    visible=[{"z": np.array([[0.5, -1.0], [2.0, 0.0]]),
              "a": _sig(np.array([[0.5, -1.0], [2.0, 0.0]])),
              "y": np.array([[1.0, 0.0], [0.0, 1.0]])}],
    hidden=_cases,
    variants=[
        variant("missing σ′", lambda z, a, y: a - y,
                "looks like the factor σ′(z^[L]) is missing from δ^[L] (eq. 22)."),
        variant("σ′ at a instead of z", lambda z, a, y: _sigmoid_prime(a) * (a - y),
                "σ′ must be evaluated at the weighted input z^[L], not at the activation a^[L] "
                "(eq. 22)."),
        variant("sign flip", lambda z, a, y: _sigmoid_prime(z) * (y - a),
                "the derivative of the quadratic cost with respect to a^[L] points from the target"
                " to the output; yours points the other way (eq. 22)."),
    ],
    protect=["bpkit_instructor.exercises.a00.reference_delta_L"],
    what="δ^[L] = σ′(z^[L]) ∘ (a^[L] − y)",
    timeout=3.0,
)


def reference_delta_L(z, a, y):
    """A 'bpkit reference' that answers must not call (used by the tamper tests)."""
    return _sigmoid_prime(z) * (a - y)


exercise(
    "00.square",
    reference=lambda x: x ** 2,
    visible=[{"x": np.array([1.0, -2.0, 3.0])}],
    hidden=lambda rng: {"x": rng.normal(size=rng.integers(2, 9))},
    variants=[variant("doubled instead of squared", lambda x: 2 * x, "squaring multiplies x by itself; doubling adds"
                                                                     " it to itself."),
              variant("absolute value", lambda x: np.abs(x), "squaring multiplies x by itself; the absolute value "
                                                             "only drops the sign.")],
    what="x² elementwise",
    timeout=3.0,
)


exercise(
    "00.quick",
    reference=lambda x: x + 1.0,
    visible=[{"x": np.arange(3.0)}],
    hidden=lambda rng: {"x": rng.normal(size=4)},
    variants=[variant("off by one", lambda x: x, "add one"),
              variant("doubled", lambda x: 2 * x + 1.0, "add, don't double")],
    timeout=2.0,
    what="x + 1 (a short timeout, for the grader's own tests)",
)


exercise(
    "00.sigmoid_prime",
    reference=lambda z: _sigmoid_prime(z),
    visible=[{"z": np.array([-1.0, 0.0, 2.0])}],
    hidden=lambda rng: {"z": rng.normal(size=5)},
    variants=[variant("σ′ at σ(z)", lambda z: _sigmoid_prime(_sig(z)), "evaluate σ′ at z"),
              variant("sign flip", lambda z: -_sigmoid_prime(z), "σ′ is positive everywhere: σ is increasing.")],
    protect=["bpkit.activations.sigmoid_prime", "bpkit.layers.Activation"],
    timeout=3.0,
    what="σ′(z) (protects bpkit's own sigmoid_prime and Activation layer)",
)
