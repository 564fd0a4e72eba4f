"""Activations and losses: values, derivatives vs autograd and central differences, stability,
accuracy in ulps against a 60-digit decimal reference."""
import decimal
import warnings

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from bpkit import activations as A
from bpkit import losses as Lo
from bpkit.gradcheck import numerical_gradient, relative_error

SEEDS = [0, 1, 2]

# independent autograd versions of each forward
AG = {
    "sigmoid": lambda z: 1.0 / (1.0 + anp.exp(-z)),
    "tanh": lambda z: anp.tanh(z),
    "relu": lambda z: anp.maximum(z, 0.0),
    "leaky_relu": lambda z: anp.where(z > 0, z, 0.01 * z),
    "identity": lambda z: z,
}


def _z(seed, shape=None):
    rng = np.random.default_rng(seed)
    shape = shape or (int(rng.integers(1, 6)), int(rng.integers(1, 7)))
    z = rng.normal(scale=2.0, size=shape)
    z[np.abs(z) < 1e-3] = 0.5      # keep away from relu's kink for the finite differences
    return z


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", sorted(A.ACTIVATIONS))
def test_activation_value_and_derivative(name, seed):
    f, fp = A.ACTIVATIONS[name]
    z = _z(seed)
    np.testing.assert_allclose(f(z), AG[name](z), rtol=1e-13, atol=1e-15)
    ag = autograd.elementwise_grad(AG[name])(z)
    assert relative_error(fp(z), ag) < 1e-9
    num = numerical_gradient(lambda x: float(np.sum(f(x))), z.copy())
    assert relative_error(fp(z), num) < 1e-7


def test_activation_known_values():
    z = np.array([[-1.0, 0.0, 2.0]])
    np.testing.assert_allclose(A.sigmoid(z), [[1 / (1 + np.e), 0.5, 1 / (1 + np.exp(-2))]])
    np.testing.assert_allclose(A.relu(z), [[0, 0, 2]])
    np.testing.assert_allclose(A.relu_prime(z), [[0, 0, 1]])
    np.testing.assert_allclose(A.leaky_relu(z, 0.1), [[-0.1, 0, 2]])
    np.testing.assert_allclose(A.leaky_relu_prime(z, 0.1), [[0.1, 0.1, 1]])
    np.testing.assert_allclose(A.sigmoid_prime(np.zeros(1)), [0.25])
    np.testing.assert_allclose(A.tanh_prime(np.zeros(1)), [1.0])


def test_sigmoid_extreme_values_no_warning():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = A.sigmoid(np.array([-1000.0, -30.0, 1000.0]))
    assert s[0] == 0.0 and s[2] == 1.0
    assert abs(s[1] / (np.exp(-30) / (1 + np.exp(-30))) - 1) < 1e-13   # relative accuracy kept


# ----------------------------------------------------------------- accuracy vs 60-digit decimals
_CTX = decimal.Context(prec=60, Emin=-10 ** 6, Emax=10 ** 6)     # stdlib: no float128, no mpmath
_E = _CTX.exp
_HP = {   # the exact functions, evaluated in 60-digit decimal arithmetic
    "sigmoid": lambda z: _CTX.divide(1, 1 + _E(-z)),
    "sigmoid_prime": lambda z: _CTX.divide(_E(-z), (1 + _E(-z)) ** 2),
    "tanh": lambda z: _CTX.divide(1 - _E(-2 * z), 1 + _E(-2 * z)) if z >= 0
    else _CTX.divide(_E(2 * z) - 1, _E(2 * z) + 1),
    "tanh_prime": lambda z: _CTX.divide(4, (_E(z) + _E(-z)) ** 2),
}
# max error in ulps of the result (measured: sigmoid ≤ 1.2, tanh ≤ 0.9, derivatives ≤ 2.3;
# the old exp(−logaddexp(0, −z)) reached 4.6 (float32) / 8.3 (float64) ulps, and
# 0.5·tanh(z/2) + 0.5 loses all relative accuracy for z ≪ 0)
_ULPS = {"sigmoid": 2, "sigmoid_prime": 3, "tanh": 2, "tanh_prime": 3}
_ULPS_SMALL = {"sigmoid": 9}   # arrays of ≤ 64 entries: σ uses exp(−logaddexp(0, −z)) (fewer calls)


def _grid(dtype):
    rng = np.random.default_rng(0)
    z = np.concatenate([np.linspace(-1000, 1000, 801), np.linspace(-30, 30, 601),
                        rng.normal(scale=10, size=300),
                        [0.0, 1e-8, -1e-8, -87, -88, -89, -103, -700, -709, -710, -745, 709, 710]])
    return z.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(_HP))
def test_activation_accuracy_against_high_precision(name, dtype):
    z = _grid(dtype)
    ref = np.array([float(_HP[name](decimal.Decimal(float(v)))) for v in z])
    fi = np.finfo(dtype)
    normal = np.abs(ref) >= fi.tiny
    f = getattr(A, name)
    for size, bound in ((z.size, _ULPS[name]), (50, _ULPS_SMALL.get(name, _ULPS[name]))):
        with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
            warnings.simplefilter("error")
            out = np.concatenate([f(z[i:i + size]) for i in range(0, z.size, size)])
        assert out.dtype == dtype
        ulps = np.abs(out.astype(np.float64) - ref)[normal] / np.abs(ref[normal]) / fi.eps
        assert ulps.max() <= bound, (name, size, float(ulps.max()), z[normal][np.argmax(ulps)])
        # where the exact value is below the smallest normal number, within that number
        assert np.all(np.abs(out.astype(np.float64) - ref)[~normal] <= fi.tiny)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 100])           # both of sigmoid's paths (≤ 64 entries and more)
def test_activations_at_infinity_and_nan(dtype, n):
    z = np.repeat(np.array([-np.inf, np.inf, -1000, 1000], dtype), n)
    cases = ((A.sigmoid, [0, 1, 0, 1]), (A.sigmoid_prime, [0, 0, 0, 0]), (A.tanh, [-1, 1, -1, 1]),
             (A.tanh_prime, [0, 0, 0, 0]), (A.relu, [0, np.inf, 0, 1000]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for f, want in cases:
            np.testing.assert_array_equal(f(z), np.repeat(np.array(want, dtype), n))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # numpy may say "invalid value" for a NaN input
        for f, want in cases:                    # a NaN stays a NaN and does not disturb the rest
            out = f(np.concatenate([[np.nan], z]).astype(dtype))
            assert np.isnan(out[0])
            np.testing.assert_array_equal(out[1:], np.repeat(np.array(want, dtype), n))
    assert A.sigmoid(0.5) == pytest.approx(1 / (1 + np.exp(-0.5)), rel=1e-15)   # scalars work
    assert A.sigmoid_prime(2) == pytest.approx(np.exp(-2) / (1 + np.exp(-2)) ** 2, rel=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_and_log_softmax_accuracy_against_high_precision(dtype):
    rng = np.random.default_rng(1)
    z = np.concatenate([rng.normal(scale=3, size=(5, 6)), [[1000.0] * 6], [[-1000.0] * 6]]).astype(dtype)
    z[:, 0] = [1000, 999, -1000, 0, 3, 1000, -1000]                 # ties and huge gaps
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        p, logp = A.softmax(z), A.log_softmax(z)
    assert p.dtype == dtype and logp.dtype == dtype
    fi = np.finfo(dtype)
    for j in range(z.shape[1]):
        col = [decimal.Decimal(float(v)) for v in z[:, j]]
        m = max(col)
        s = sum(_E(v - m) for v in col)
        ref_logp = np.array([float(v - m - _CTX.ln(s)) for v in col])
        ref_p = np.array([float(_CTX.divide(_E(v - m), s)) for v in col])
        np.testing.assert_allclose(p[:, j], ref_p, rtol=8 * fi.eps, atol=fi.tiny)
        np.testing.assert_allclose(logp[:, j], ref_logp, rtol=8 * fi.eps, atol=8 * fi.eps)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(A.ACTIVATIONS))
def test_activation_keeps_dtype(name, dtype):
    f, fp = A.ACTIVATIONS[name]
    z = np.linspace(-2, 2, 12, dtype=dtype).reshape(3, 4)
    assert f(z).dtype == dtype and fp(z).dtype == dtype
    assert A.softmax(z).dtype == dtype


def test_activation_rejects_object_arrays():
    with pytest.raises(TypeError):
        A.sigmoid(np.array(["a", "b"], dtype=object))


@pytest.mark.parametrize("seed", SEEDS)
def test_softmax_matches_autograd_and_is_stable(seed):
    z = _z(seed, (4, 5))
    ref = anp.exp(z) / anp.sum(anp.exp(z), axis=0, keepdims=True)
    np.testing.assert_allclose(A.softmax(z), ref, rtol=1e-13)
    big = A.softmax(np.array([[1000.0, -1000.0], [999.0, -1000.0]]))
    assert np.isfinite(big).all()
    np.testing.assert_allclose(big.sum(axis=0), 1.0)
    np.testing.assert_allclose(big[:, 1], [0.5, 0.5])


def _ag_quadratic(a, y):
    return 0.5 * anp.sum((a - y) ** 2) / a.shape[1]


def _ag_ce(z, Y):
    m = anp.max(z, axis=0, keepdims=True)
    lse = m + anp.log(anp.sum(anp.exp(z - m), axis=0, keepdims=True))
    return -anp.sum(Y * (z - lse)) / z.shape[1]


@pytest.mark.parametrize("seed", SEEDS)
def test_quadratic_cost_and_grad(seed):
    rng = np.random.default_rng(seed)
    a, y = rng.random((3, 7)), rng.random((3, 7))
    assert Lo.quadratic_cost(a, y) == pytest.approx(0.5 * np.sum((a - y) ** 2) / 7, rel=1e-14)  # (9)
    g = Lo.quadratic_cost_grad(a, y)
    assert relative_error(g, autograd.grad(_ag_quadratic)(a, y)) < 1e-9
    assert relative_error(g, numerical_gradient(lambda x: Lo.quadratic_cost(x, y), a.copy())) < 1e-7
    loss, cache = Lo.QuadraticCost().forward(a, y)
    assert loss == pytest.approx(Lo.quadratic_cost(a, y))
    np.testing.assert_allclose(Lo.QuadraticCost().backward(cache), g)


@pytest.mark.parametrize("seed", SEEDS)
def test_softmax_cross_entropy_and_grad(seed):
    rng = np.random.default_rng(seed)
    k, n = 4, 6
    z = rng.normal(size=(k, n))
    labels = rng.integers(0, k, n)
    Y = np.eye(k)[:, labels]
    c = Lo.softmax_cross_entropy(z, labels)
    assert c == pytest.approx(Lo.softmax_cross_entropy(z, Y), rel=1e-13)
    assert c == pytest.approx(float(_ag_ce(z, Y)), rel=1e-13)
    g = Lo.softmax_cross_entropy_grad(z, labels)
    np.testing.assert_allclose(g, Lo.softmax_cross_entropy_grad(z, Y), atol=1e-15)
    assert relative_error(g, autograd.grad(_ag_ce)(z, Y)) < 1e-9
    assert relative_error(g, numerical_gradient(lambda x: Lo.softmax_cross_entropy(x, labels), z.copy())) < 1e-7
    loss, cache = Lo.SoftmaxCrossEntropy().forward(z, labels)
    assert loss == pytest.approx(c)
    np.testing.assert_allclose(Lo.SoftmaxCrossEntropy().backward(cache), g, atol=1e-15)


def test_softmax_cross_entropy_stable_for_huge_logits():
    z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 0.0]])
    y = np.array([0, 0, 1])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        c = Lo.softmax_cross_entropy(z, y)
        g = Lo.softmax_cross_entropy_grad(z, y)
    # columns: loss 0, loss 2000, loss log 2
    assert c == pytest.approx((0 + 2000 + np.log(2)) / 3)
    np.testing.assert_allclose(g, np.array([[0, -1, 0.5], [0, 1, -0.5]]) / 3, atol=1e-15)


def test_losses_keep_float32():
    z = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    assert Lo.softmax_cross_entropy_grad(z, np.array([0, 1, 2, 0])).dtype == np.float32
    assert Lo.quadratic_cost_grad(z, np.zeros((3, 4), np.float32)).dtype == np.float32


def test_loss_bad_inputs():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 2\)"):
        Lo.quadratic_cost(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="NaN"):
        Lo.quadratic_cost(np.zeros((1, 1)), np.array([[np.nan]]))
    # defect 5: the output argument is checked too (a diverged network is named, not a NaN cost)
    for bad in (np.nan, np.inf, -np.inf):
        for f in (Lo.quadratic_cost, Lo.quadratic_cost_grad, lambda a, y: Lo.QuadraticCost().forward(a, y)):
            with pytest.raises(ValueError, match=r"output of shape \(1, 2\) contains NaN or inf"):
                f(np.array([[0.5, bad]]), np.zeros((1, 2)))
    with pytest.raises(TypeError):
        Lo.quadratic_cost(np.array([["a"]], dtype=object), np.zeros((1, 1)))
    with pytest.raises(ValueError, match="labels"):
        Lo.softmax_cross_entropy(np.zeros((3, 2)), np.array([0, 3]))
    with pytest.raises(ValueError, match=r"\(3, 2\)"):
        Lo.softmax_cross_entropy(np.zeros((3, 2)), np.zeros((2, 2)))
