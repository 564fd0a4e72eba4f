"""Networks: whole-network gradients (central differences and autograd), Lemma 1 line by line,
gradcheck reports that name a planted bug, construction errors, and the Higham & Higham check."""
import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from test_engine_layers import ag_forward

from bpkit.activations import sigmoid, sigmoid_prime
from bpkit.data import higham
from bpkit.gradcheck import check_network, numerical_gradient, relative_error
from bpkit.layers import Activation, BatchNorm, Dense, DenseConnection, Dropout, Residual
from bpkit.network import Network, mlp, mlp_backward, mlp_forward
from bpkit.optim import train_sgd_single

SEEDS = [0, 1, 2]


def mixed_net(rng, loss="softmax_ce"):
    B = 6
    drop = Dropout(0.3, rng=rng)
    layers = [Dense(3, 5, rng=rng), BatchNorm(5), Activation("relu"),
              Residual([Dense(5, 4, rng=rng), Activation("tanh"), Dense(4, 5, rng=rng)]),
              DenseConnection([Dense(5, 3, rng=rng), Activation("sigmoid")]),
              drop,
              Residual([Dense(8, 4, rng=rng), Activation("leaky_relu")], rng=rng),
              Dense(4, 3, rng=rng)]
    net = Network(layers, loss=loss)
    bn = layers[1]
    bn.params["gamma"][:] = rng.normal(size=(5, 1))
    bn.params["beta"][:] = rng.normal(size=(5, 1))
    drop.mask = rng.random((8, B)) > 0.3
    X = rng.normal(size=(3, B))
    y = rng.integers(0, 3, B)
    return net, X, y


def ag_network_loss(net, X, y, names, vals):
    P = dict(zip(names, vals))
    a = X
    for L in net.layers:
        a = ag_forward(L, a, P, L.name + ".")
    m = anp.max(a, axis=0, keepdims=True)
    lse = m + anp.log(anp.sum(anp.exp(a - m), axis=0, keepdims=True))
    Y = np.eye(a.shape[0])[:, y]
    return -anp.sum(Y * (a - lse)) / a.shape[1]


@pytest.mark.parametrize("seed", SEEDS)
def test_mixed_network_gradients(seed):
    rng = np.random.default_rng(seed)
    net, X, y = mixed_net(rng)
    names = [n for n, _ in net.parameters()]
    assert names[:3] == ["dense1.W", "dense1.b", "batchnorm2.gamma"]
    report = check_network(net, X, y)
    assert report.ok, str(report)
    assert report.first_bad_layer is None
    for r in report.rows:
        if r["name"] == "dense1.b":
            # a bias right before batch norm has zero gradient (BN subtracts the batch mean):
            # relative error is meaningless there, the absolute error is rounding noise
            assert np.abs(net.gradients()[1][1]).max() < 1e-12 and r["abs_error"] < 1e-8
        else:
            assert r["rel_error"] < 1e-7, r
    C = net.loss_and_grads(X, y)
    vals = [p.copy() for _, p in net.parameters()]
    f = lambda *v: ag_network_loss(net, X, y, names, v)
    assert C == pytest.approx(float(f(*vals)), rel=1e-12)
    ag = autograd.grad(f, argnum=tuple(range(len(vals))))(*vals)
    for (n, g), a in zip(net.gradients(), ag):
        if n == "dense1.b":     # exactly zero in theory (bias before batch norm): both are rounding noise
            assert max(np.abs(g).max(), np.abs(a).max()) < 1e-12
        else:
            assert relative_error(g, a) < 1e-9, n


@pytest.mark.parametrize("seed", SEEDS)
def test_network_input_gradient(seed):
    rng = np.random.default_rng(seed)
    net, X, y = mixed_net(rng)
    net.loss(X, y)
    dX = net.backward(need_dx=True)
    num = numerical_gradient(lambda x: net.loss(x, y), X.copy())
    assert relative_error(dX, num) < 1e-7


# ----------------------------------------------------------------- Lemma 1
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("B", [1, 4])
def test_mlp_backward_is_lemma_1_and_matches_network(seed, B):
    rng = np.random.default_rng(seed)
    sizes = [2, 3, 4, 2]
    net = mlp(sizes, activation="sigmoid", init="normal", rng=rng)
    Ws = [L.params["W"] for L in net.layers[::2]]
    bs = [L.params["b"] for L in net.layers[::2]]
    X, Y = rng.random((2, B)), rng.random((2, B))
    zs, acts = mlp_forward(Ws, bs, X, sigmoid)
    assert len(zs) == len(acts) == 5 and zs[0] is None and zs[1] is None and acts[0] is None
    assert acts[1] is not None and np.array_equal(acts[1], X)
    np.testing.assert_allclose(acts[4], net.forward(X))
    dWs, dbs = mlp_backward(Ws, bs, zs, acts, Y, sigmoid_prime)
    assert len(dWs) == 3
    net.loss_and_grads(X, Y)
    for dW, db, L in zip(dWs, dbs, net.layers[::2]):
        np.testing.assert_allclose(dW, L.grads["W"], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(db, L.grads["b"], rtol=1e-12, atol=1e-15)
    # lecture-indexed lists in, lecture-indexed lists out
    dWs2, dbs2 = mlp_backward([None, None] + Ws, [None, None] + bs, zs, acts, Y, sigmoid_prime)
    assert dWs2[0] is None and dWs2[1] is None
    np.testing.assert_allclose(dWs2[2], dWs[0])
    # against autograd on C = (1/B) Σ ½‖y − a‖²  (9)
    def C(*p):
        a = X
        for W, b in zip(p[:3], p[3:]):
            a = 1 / (1 + anp.exp(-(anp.dot(W, a) + b)))
        return 0.5 * anp.sum((a - Y) ** 2) / B
    ag = autograd.grad(C, argnum=tuple(range(6)))(*Ws, *bs)
    for g, a in zip(list(dWs) + list(dbs), ag):
        assert relative_error(g, a) < 1e-9


def test_mlp_forward_accepts_vector_and_checks_shapes():
    rng = np.random.default_rng(0)
    Ws, bs = [rng.random((3, 2)), rng.random((1, 3))], [rng.random((3, 1)), rng.random((1, 1))]
    zs, acts = mlp_forward(Ws, bs, np.array([0.1, 0.2]), sigmoid)
    assert acts[3].shape == (1, 1)
    with pytest.raises(ValueError, match=r"W\^\[3\] has shape \(1, 4\)"):
        mlp_forward([Ws[0], rng.random((1, 4))], bs, np.zeros(2), sigmoid)


# ----------------------------------------------------------------- gradcheck names a planted bug
class BuggyDense(Dense):
    """Forgets the bias gradient's sum and doubles dW: a planted bug."""

    def backward(self, dout, cache, need_dx=True):
        dx = super().backward(dout, cache, need_dx)
        self.grads["W"] *= 2
        return dx


class BuggyActivation(Activation):
    """Uses σ′(a) instead of σ′(z): a classic misconception."""

    def backward(self, dout, cache, need_dx=True):
        z, a = cache
        s = sigmoid(a)
        return dout * s * (1 - s)


def test_check_network_names_the_buggy_dense_layer():
    rng = np.random.default_rng(0)
    net = Network([Dense(2, 4, rng=rng), Activation("tanh"), BuggyDense(4, 3, rng=rng),
                   Activation("sigmoid"), Dense(3, 2, rng=rng)], loss="quadratic")
    X, Y = rng.normal(size=(2, 5)), rng.normal(size=(2, 5))
    rep = check_network(net, X, Y)
    assert not rep.ok
    assert rep.first_bad_layer == "buggydense3"
    bad = {r["name"] for r in rep.rows if not r["ok"]}
    assert "buggydense3.W" in bad and "dense4.W" not in bad
    assert "buggydense3" in str(rep)


def test_check_network_names_a_parameter_free_culprit():
    rng = np.random.default_rng(1)
    net = Network([Dense(2, 4, rng=rng), BuggyActivation("sigmoid"), Dense(4, 3, rng=rng),
                   Activation("sigmoid"), Dense(3, 2, rng=rng)], loss="quadratic")
    X, Y = rng.normal(size=(2, 5)), rng.normal(size=(2, 5))
    rep = check_network(net, X, Y)
    assert not rep.ok
    assert rep.first_bad_layer == "sigmoid2"
    assert rep.first_bad_group == "dense1.b"      # only dense1's gradients are corrupted
    assert all(r["ok"] for r in rep.rows if r["layer"] != "dense1")


# ----------------------------------------------------------------- construction, names, dtypes
def test_network_construction_mismatch_names_layer():
    with pytest.raises(ValueError, match=r"Dense 'dense3': expected input with 4 rows \(n_in\), "
                                         r"but the previous layer outputs 3 rows"):
        Network([Dense(2, 3), Activation("relu"), Dense(4, 2)])


def test_network_first_forward_mismatch_names_layer():
    net = mlp([3, 4, 2], rng=0)
    with pytest.raises(ValueError, match=r"Dense 'dense1': expected input with 3 rows \(n_in\), got shape \(4, 8\)"):
        net.forward(np.zeros((4, 8)))


def test_network_target_mismatch_names_loss():
    net = mlp([3, 4, 2], rng=0)
    with pytest.raises(ValueError, match=r"QuadraticCost.*\(2, 5\).*\(5,\)"):
        net.loss(np.zeros((3, 5)), np.zeros(5))


def test_layer_names_are_positions_everywhere():
    net = mlp([2, 2, 3, 2], rng=0)
    assert [L.name for L in net.layers] == ["dense1", "sigmoid2", "dense3", "sigmoid4", "dense5", "sigmoid6"]
    # composites number their inner layers the same way; a network reports dotted names
    net = Network([Residual([Dense(3, 3), BatchNorm(3), Activation("relu")]), Dense(3, 4),
                   Residual([Dense(4, 4), Activation("tanh")]),
                   Residual([Dense(4, 2), BatchNorm(2)], rng=0), Dense(2, 2), BatchNorm(2)])
    assert [L.name for L in net.layers] == ["residual1", "dense2", "residual3", "residual4", "dense5", "batchnorm6"]
    assert [n for n, _ in net.parameters()] == [
        "residual1.dense1.W", "residual1.dense1.b", "residual1.batchnorm2.gamma", "residual1.batchnorm2.beta",
        "dense2.W", "dense2.b", "residual3.dense1.W", "residual3.dense1.b",
        "residual4.dense1.W", "residual4.dense1.b", "residual4.batchnorm2.gamma", "residual4.batchnorm2.beta",
        "residual4.proj.W", "dense5.W", "dense5.b", "batchnorm6.gamma", "batchnorm6.beta"]
    names = [n for n, _ in net.parameters()]
    assert len(set(names)) == len(names) and not any("_2" in n for n in names)
    with pytest.raises(ValueError, match="two layers"):
        Network([Dense(2, 2, name="a"), Dense(2, 2, name="a")])
    with pytest.raises(ValueError, match="two inner layers"):
        Residual([Dense(2, 2, name="a"), Dense(2, 2, name="a")])


def test_float32_network_stays_float32():
    rng = np.random.default_rng(0)
    net = mlp([4, 8, 3], activation="relu", loss="softmax_ce", rng=rng, dtype=np.float32)
    X = rng.normal(size=(4, 16)).astype(np.float32)
    y = rng.integers(0, 3, 16)
    C = net.loss_and_grads(X, y)
    assert np.isfinite(C)
    assert all(g.dtype == np.float32 for _, g in net.gradients())
    assert net.forward(X).dtype == np.float32
    net64 = mlp([4, 8, 3], rng=0).astype(np.float32)
    assert net64.dtype == np.float32


def test_predict_uses_eval_mode():
    rng = np.random.default_rng(0)
    net = Network([Dense(2, 4, rng=rng), BatchNorm(4), Dropout(0.5, rng=rng), Dense(4, 3, rng=rng)],
                  loss="softmax_ce")
    X = rng.normal(size=(2, 10))
    net.forward(X, train=True)
    rm = net.layers[1].running_mean.copy()
    p1, p2 = net.predict(X), net.predict(X)
    np.testing.assert_array_equal(p1, p2)                       # no dropout noise
    np.testing.assert_array_equal(net.layers[1].running_mean, rm)
    np.testing.assert_allclose(net.predict(X[:, :1]), p1[:, :1], rtol=1e-13)   # one column is fine in eval
    assert net.predict_class(X).shape == (10,)


def test_state_roundtrip():
    net = mlp([2, 3, 2], rng=0)
    st = net.state()
    for _, p in net.parameters():
        p += 1
    net.load_state(st)
    for n, p in net.parameters():
        np.testing.assert_array_equal(p, st[n])


# ----------------------------------------------------------------- Higham & Higham external check
HIGHAM_STEPS = 200_000
HIGHAM_COST_BOUND = 0.01     # paper's cost (1/N) Σ ½‖y − a‖² (9); the MATLAB code prints 20× this


def test_higham_example_statistically():
    """2-2-3-2 sigmoid net, weights and biases 0.5·N(0,1), η = 0.05, single-sample SGD with
    replacement (Applied Mathematics lecture 5). With 2·10^5 steps (the paper uses 10^6) at least 4 of 5 seeds must
    classify all 10 points and reach cost (9) below 0.01."""
    X, Y = higham()
    good = 0
    for seed in range(5):
        rng = np.random.default_rng(seed)
        net = mlp([2, 2, 3, 2], activation="sigmoid", init="normal", scale=0.5, rng=rng)
        C0 = net.loss(X, Y)
        train_sgd_single(net, X, Y, eta=0.05, n_iter=HIGHAM_STEPS, rng=rng)
        C = net.loss(X, Y, train=False)
        assert C < C0
        if net.accuracy(X, Y) == 1.0 and C < HIGHAM_COST_BOUND:
            good += 1
    assert good >= 4


def test_sgd_single_fast_path_equals_generic_path():
    X, Y = higham()
    nets = [mlp([2, 2, 3, 2], init="normal", rng=7) for _ in range(2)]
    h1 = train_sgd_single(nets[0], X, Y, 0.05, 300, np.random.default_rng(1), record_every=100, fast=True)
    h2 = train_sgd_single(nets[1], X, Y, 0.05, 300, np.random.default_rng(1), record_every=100, fast=False)
    assert [i for i, _ in h1] == [100, 200, 300]
    for (_, a), (_, b) in zip(nets[0].parameters(), nets[1].parameters()):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose([c for _, c in h1], [c for _, c in h2], rtol=1e-12)


def test_dtype_mismatch_caught_even_if_first_layer_has_no_parameters():
    net = Network([Activation("tanh"), Dense(2, 3, rng=0)])
    with pytest.raises(TypeError, match=r"input dtype float32 but parameters are float64"):
        net.forward(np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"Activation 'tanh1': expected a 2-D input"):
        net.forward(np.zeros(2))


def test_layer_after_width_agnostic_start_is_still_checked():
    # the input width of dense2 is unknown at construction (tanh1 accepts any width)
    net = Network([Activation("tanh"), Dense(2, 3, rng=0)])
    with pytest.raises(ValueError, match=r"Dense 'dense2': expected input with 2 rows \(n_in\), got shape \(5, 4\)"):
        net.forward(np.zeros((5, 4)))


def test_overridden_forward_is_honoured_by_network():
    class Doubling(Activation):
        def forward(self, x, train=True):
            out, c = super().forward(x, train)
            return 2 * out, c
    net = Network([Dense(2, 2, rng=0), Doubling("identity")])
    X = np.ones((2, 3))
    np.testing.assert_allclose(net.forward(X), 2 * net.layers[0].forward(X)[0])
