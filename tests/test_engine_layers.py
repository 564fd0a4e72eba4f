"""Layers: every backward vs central differences (float64, < 1e-7) and vs independent autograd
forwards (< 1e-9); batch-norm modes and running statistics; dropout; bad input messages."""
import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from bpkit.gradcheck import check_layer, relative_error
from bpkit.layers import Activation, BatchNorm, Dense, DenseConnection, Dropout, Residual

SEEDS = [0, 1, 2]


# ----------------------------------------------------------------- independent autograd forwards
def ag_activation(kind, z):
    return {"sigmoid": lambda: 1 / (1 + anp.exp(-z)), "tanh": lambda: anp.tanh(z),
            "relu": lambda: anp.maximum(z, 0.0), "leaky_relu": lambda: anp.where(z > 0, z, 0.01 * z),
            "identity": lambda: z}[kind]()


def ag_forward(layer, x, P, prefix=""):
    """Re-implementation of layer.forward (train mode) with autograd.numpy, reading params from
    the dict P (keys as in the network: prefix + local name)."""
    p = lambda k: P[prefix + k]
    if isinstance(layer, Dense):
        z = anp.dot(p("W"), x)
        return z + p("b") if layer.bias else z
    if isinstance(layer, Activation):
        return ag_activation(layer.activation, x)
    if isinstance(layer, BatchNorm):
        mu = anp.mean(x, axis=1, keepdims=True)
        var = anp.mean((x - mu) ** 2, axis=1, keepdims=True)
        return p("gamma") * (x - mu) / anp.sqrt(var + layer.eps) + p("beta")
    if isinstance(layer, Residual):
        f = x
        for L in layer.layers:
            f = ag_forward(L, f, P, prefix + L.name + ".")
        skip = x if layer.proj is None else anp.dot(p("proj.W"), x)
        return f + skip
    if isinstance(layer, DenseConnection):
        f = x
        for L in layer.layers:
            f = ag_forward(L, f, P, prefix + L.name + ".")
        return anp.concatenate([x, f], axis=0)
    if isinstance(layer, Dropout):
        return x * layer.mask / (1 - layer.p)
    raise TypeError(layer)


def check_against_autograd(layer, x, rng):
    """Compare backward with autograd on f = Σ out ∘ G, G random; returns max relative error."""
    out, cache = layer.forward(x, True)
    G = rng.standard_normal(out.shape)
    dx = layer.backward(G, cache)
    names = list(layer.params)
    vals = [layer.params[k].copy() for k in names]

    def f(x, *vals):
        return anp.sum(ag_forward(layer, x, dict(zip(names, vals))) * G)

    grads = autograd.grad(f, argnum=tuple(range(len(names) + 1)))(x, *vals)
    errs = [relative_error(dx, grads[0])]
    errs += [relative_error(layer.grads[k], g) for k, g in zip(names, grads[1:])]
    return max(errs)


def make_layer(kind, rng):
    n, m = int(rng.integers(2, 6)), int(rng.integers(2, 6))
    if kind == "dense":
        return Dense(n, m, init="xavier", rng=rng), n
    if kind.startswith("act_"):
        return Activation(kind[4:]), n
    if kind == "batchnorm":
        bn = BatchNorm(n)
        bn.params["gamma"][:] = rng.normal(size=(n, 1))
        bn.params["beta"][:] = rng.normal(size=(n, 1))
        return bn, n
    if kind == "residual_identity":
        return Residual([Dense(n, m, rng=rng), Activation("tanh"), Dense(m, n, rng=rng)]), n
    if kind == "residual_projection":
        return Residual([Dense(n, m + n, rng=rng), Activation("sigmoid")], rng=rng), n
    if kind == "dense_connection":
        return DenseConnection([Dense(n, m, rng=rng), Activation("tanh")]), n
    if kind == "dropout":
        return Dropout(0.4, rng=rng), n
    raise ValueError(kind)


KINDS = ["dense", "act_sigmoid", "act_tanh", "act_relu", "act_leaky_relu", "act_identity", "batchnorm",
         "residual_identity", "residual_projection", "dense_connection", "dropout"]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", KINDS)
def test_layer_backward_matches_central_differences_and_autograd(kind, seed):
    rng = np.random.default_rng(seed)
    layer, n = make_layer(kind, rng)
    B = int(rng.integers(2, 7))
    x = rng.normal(size=(n, B))
    x[np.abs(x) < 1e-3] = 0.5          # away from relu kinks
    if isinstance(layer, Dropout):
        layer.mask = rng.random((n, B)) > 0.4
    errs = check_layer(layer, x, rng)
    assert set(errs) == {"x", *layer.params}
    assert max(errs.values()) < 1e-7, errs
    assert check_against_autograd(layer, x, rng) < 1e-9


def test_residual_shapes_and_projection():
    rng = np.random.default_rng(0)
    r = Residual([Dense(3, 3, rng=rng)])
    assert r.proj is None
    rp = Residual([Dense(3, 5, rng=rng)], rng=rng)
    assert rp.proj is not None and rp.proj.params["W"].shape == (5, 3) and "b" not in rp.proj.params
    x = rng.normal(size=(3, 4))
    out, _ = r.forward(x)
    np.testing.assert_allclose(out, r.layers[0].forward(x)[0] + x)
    assert rp.forward(x)[0].shape == (5, 4)
    assert set(rp.params) == {"dense1.W", "dense1.b", "proj.W"}


def test_dense_connection_concatenates_input_on_top():
    rng = np.random.default_rng(1)
    d = DenseConnection([Dense(3, 2, rng=rng)])
    x = rng.normal(size=(3, 4))
    out, _ = d.forward(x)
    assert out.shape == (5, 4) and d.n_out == 5
    np.testing.assert_array_equal(out[:3], x)


# ----------------------------------------------------------------- batch norm modes
def test_batchnorm_train_normalises_and_updates_running_stats():
    rng = np.random.default_rng(0)
    bn = BatchNorm(3, momentum=0.1)
    x = rng.normal(loc=2.0, scale=3.0, size=(3, 50))
    out, _ = bn.forward(x, train=True)
    np.testing.assert_allclose(out.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=1), x.var(axis=1) / (x.var(axis=1) + 1e-5), rtol=1e-10)
    # running = (1 − m)·running + m·batch, biased variance
    np.testing.assert_allclose(bn.running_mean[:, 0], 0.1 * x.mean(axis=1))
    np.testing.assert_allclose(bn.running_var[:, 0], 0.9 * 1.0 + 0.1 * x.var(axis=1))
    x2 = rng.normal(size=(3, 50))
    bn.forward(x2, train=True)
    np.testing.assert_allclose(bn.running_mean[:, 0], 0.9 * 0.1 * x.mean(axis=1) + 0.1 * x2.mean(axis=1))


def test_batchnorm_eval_uses_running_stats_and_does_not_update():
    rng = np.random.default_rng(1)
    bn = BatchNorm(2)
    bn.running_mean[:] = [[1.0], [-2.0]]
    bn.running_var[:] = [[4.0], [0.25]]
    bn.params["gamma"][:] = [[2.0], [1.0]]
    bn.params["beta"][:] = [[0.5], [0.0]]
    x = rng.normal(size=(2, 5))
    out, cache = bn.forward(x, train=False)
    expect = bn.params["gamma"] * (x - bn.running_mean) / np.sqrt(bn.running_var + 1e-5) + bn.params["beta"]
    np.testing.assert_allclose(out, expect)
    np.testing.assert_array_equal(bn.running_mean, [[1.0], [-2.0]])
    # eval mode on a single example works; its backward is the fixed affine map
    one, c1 = bn.forward(x[:, :1], train=False)
    np.testing.assert_allclose(one, expect[:, :1])
    errs = check_layer(bn, x, rng, train=False)
    assert max(errs.values()) < 1e-7


def test_batchnorm_train_rejects_single_column():
    with pytest.raises(ValueError, match=r"BatchNorm 'bn': .*at least 2.*\(3, 1\)"):
        BatchNorm(3, name="bn").forward(np.zeros((3, 1)))


# ----------------------------------------------------------------- dropout
def test_dropout_inverted_seeded_and_eval_identity():
    x = np.ones((20, 500))
    d1, d2 = Dropout(0.3, rng=42), Dropout(0.3, rng=42)
    o1, _ = d1.forward(x)
    o2, _ = d2.forward(x)
    np.testing.assert_array_equal(o1, o2)                       # seeded
    assert set(np.unique(o1)) == {0.0, 1 / 0.7}
    assert abs((o1 == 0).mean() - 0.3) < 0.02
    assert abs(o1.mean() - 1.0) < 0.03                          # inverted: expectation kept
    o3, c = d1.forward(x, train=False)
    np.testing.assert_array_equal(o3, x)
    np.testing.assert_array_equal(d1.backward(np.full_like(x, 2.0), c), 2.0)
    m = np.zeros((20, 500), bool)
    m[0] = True
    o4, c4 = d1.forward(x, mask=m)
    assert o4[0, 0] == pytest.approx(1 / 0.7) and o4[1:].sum() == 0
    np.testing.assert_array_equal(d1.backward(x, c4), o4)


# ----------------------------------------------------------------- dtypes
@pytest.mark.parametrize("kind", KINDS)
def test_float32_in_float32_out(kind):
    rng = np.random.default_rng(3)
    layer, n = make_layer(kind, rng)
    layer.astype(np.float32)
    if isinstance(layer, Dropout):
        layer.mask = rng.random((n, 4)) > 0.4
    x = rng.normal(size=(n, 4)).astype(np.float32)
    out, cache = layer.forward(x)
    assert out.dtype == np.float32
    dx = layer.backward(np.ones_like(out), cache)
    assert dx.dtype == np.float32
    assert all(g.dtype == np.float32 for g in layer.grads.values())


def test_int_input_is_cast_float32_mismatch_raises():
    d = Dense(2, 3, rng=0, name="dense2")
    out, _ = d.forward(np.array([[1, 2], [3, 4]]))
    assert out.dtype == np.float64
    with pytest.raises(TypeError, match=r"Dense 'dense2': input dtype float32 but parameters are float64"):
        d.forward(np.zeros((2, 2), np.float32))


# ----------------------------------------------------------------- bad input
def test_dense_wrong_rows_names_layer_and_shapes():
    d = Dense(3, 5, name="dense2")
    with pytest.raises(ValueError) as e:
        d.forward(np.zeros((4, 8)))
    assert str(e.value) == "Dense 'dense2': expected input with 3 rows (n_in), got shape (4, 8)"


def test_one_dimensional_input_gets_a_hint():
    with pytest.raises(ValueError, match=r"Dense 'dense2'.*\(3, B\).*got shape \(3,\).*reshape\(-1, 1\)"):
        Dense(3, 5, name="dense2").forward(np.zeros(3))


@pytest.mark.parametrize("bad", [np.array([["a", "b"]], dtype=object), np.array([["x", "y"]])])
def test_object_and_string_input_raise_type_error(bad):
    with pytest.raises(TypeError, match=r"Activation 'relu'.*float.*dtype"):
        Activation("relu").forward(bad)


def test_non_finite_input_raises():
    x = np.zeros((2, 3))
    x[1, 2] = np.inf
    with pytest.raises(ValueError, match=r"Dense 'd': input of shape \(2, 3\) contains NaN or inf"):
        Dense(2, 2, name="d").forward(x)


def test_wrong_upstream_gradient_shape():
    d = Dense(3, 2, name="dense3")
    out, cache = d.forward(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"Dense 'dense3': expected upstream gradient of shape "
                                         r"\(2, 4\), got shape \(4, 2\)"):
        d.backward(np.zeros((4, 2)), cache)


def test_batchnorm_wrong_width():
    with pytest.raises(ValueError, match=r"BatchNorm 'bn3': expected input with 4 rows \(n_in\), got shape \(3, 10\)"):
        BatchNorm(4, name="bn3").forward(np.zeros((3, 10)))


def test_residual_mismatched_inner_layers_named():
    with pytest.raises(ValueError, match=r"Dense 'dense2': expected input with 4 rows \(n_in\), "
                                         r"but the previous layer outputs 3 rows"):
        Residual([Dense(2, 3), Dense(4, 2)])


def test_dropout_mask_shape_checked():
    with pytest.raises(ValueError, match=r"Dropout 'drop': mask has shape \(2, 2\), "
                                         r"expected the input's shape \(2, 3\)"):
        Dropout(0.5, name="drop").forward(np.zeros((2, 3)), mask=np.ones((2, 2)))


def test_constructor_argument_checks():
    with pytest.raises(ValueError):
        Dense(0, 3)
    with pytest.raises(ValueError):
        Dropout(1.0)
    with pytest.raises(ValueError):
        Activation("swish")
    with pytest.raises(ValueError):
        Dense(2, 3, init="bogus")


def test_dense_backward_casts_upstream_gradient_to_layer_dtype():
    d = Dense(3, 2, rng=0, dtype=np.float32)
    out, c = d.forward(np.ones((3, 4), np.float32))
    dx = d.backward(np.ones((2, 4)), c)            # float64 upstream gradient
    assert dx.dtype == np.float32 and d.grads["W"].dtype == np.float32
    np.testing.assert_allclose(d.grads["b"], 4.0)
    np.testing.assert_allclose(d.grads["W"], 4.0)
