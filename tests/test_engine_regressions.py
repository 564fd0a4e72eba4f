"""Regression tests for issue 10: the five defects an independent PyTorch comparison found, and
the API's rough edges. Every gradient is compared with central differences (bpkit.gradcheck)."""
import warnings

import numpy as np
import pytest

from bpkit.gradcheck import check_layer, check_network, numerical_gradient, relative_error
from bpkit.layers import Activation, BatchNorm, Dense, DenseConnection, Dropout, Residual
from bpkit.losses import softmax_cross_entropy, softmax_cross_entropy_grad
from bpkit.network import Network, mlp
from bpkit.optim import SGD, Momentum, decay_mask, l2_penalty, sgd_step


def numerical_grads(net, X, Y):
    return [numerical_gradient(lambda _: net.loss(X, Y), p) for _, p in net.parameters()]


# ----------------------------------------------------------------- defect 1
@pytest.mark.parametrize("B2", [5, 9])          # same batch size as the loss, and a different one
def test_backward_uses_the_last_loss_not_the_last_forward(B2):
    rng = np.random.default_rng(0)
    net = mlp([3, 4, 2], rng=0)
    X, Y = rng.normal(size=(3, 5)), rng.random((2, 5))
    expected = numerical_grads(net, X, Y)
    net.loss(X, Y)
    net.predict(rng.normal(size=(3, B2)))        # the repro: a predict() in between
    net.forward(rng.normal(size=(3, B2)))        # and a train-mode forward, too
    net.backward()
    for (n, g), num in zip(net.gradients(), expected):
        assert relative_error(g, num) < 1e-8, n


def test_backward_before_any_loss_is_a_clear_error():
    net = mlp([3, 4, 2], rng=0)
    net.predict(np.zeros((3, 2)))
    with pytest.raises(RuntimeError, match=r"call loss\(X, Y\) first"):
        net.backward()


# ----------------------------------------------------------------- defect 2
def bn_in_composites(rng):
    net = Network([Dense(3, 4, rng=rng),
                   Residual([Dense(4, 4, rng=rng), BatchNorm(4), Activation("relu")]),
                   DenseConnection([Dense(4, 3, rng=rng), BatchNorm(3), Activation("tanh")]),
                   Dense(7, 2, rng=rng)])
    return net, rng.normal(size=(3, 8)), rng.random((2, 8))


def test_state_holds_batchnorm_inside_composites_and_restores_predictions():
    rng = np.random.default_rng(0)
    net, X, Y = bn_in_composites(rng)
    keys = set(net.state())
    assert {"residual2.batchnorm2.running_mean", "residual2.batchnorm2.running_var",
            "denseconnection3.batchnorm2.running_mean", "denseconnection3.batchnorm2.running_var"} <= keys
    opt = SGD(0.1)
    P, G = net.parameters(), net.gradients()
    for _ in range(3):
        net.loss_and_grads(X, Y)
        opt.step(P, G)
    best, before = net.state(), net.predict(X)
    for _ in range(5):                              # keep training: weights AND running stats move
        net.loss_and_grads(X + rng.normal(size=X.shape), Y)
        opt.step(P, G)
    assert not np.allclose(net.predict(X), before)
    net.load_state(best)
    np.testing.assert_array_equal(net.predict(X), before)   # exact: every array came back


def test_gradcheck_restores_running_statistics_inside_composites():
    rng = np.random.default_rng(1)
    net, X, Y = bn_in_composites(rng)
    net.loss(X, Y)                                  # non-trivial running statistics
    before = {n: v.copy() for n, v in net.buffers()}
    assert len(before) == 4
    rep = check_network(net, X, Y)
    assert rep.ok, str(rep)
    for n, v in net.buffers():
        np.testing.assert_array_equal(v, before[n], err_msg=n)
    res = net.layers[1]
    before = {k: v.copy() for k, v in res.buffers().items()}
    errs = check_layer(res, rng.normal(size=(4, 6)), rng)
    # dense1.b sits right before batch norm: its gradient is exactly 0, both sides are noise
    assert max(e for k, e in errs.items() if k != "dense1.b") < 1e-7, errs
    for k, v in res.buffers().items():
        np.testing.assert_array_equal(v, before[k], err_msg=k)


def test_gradcheck_restores_running_statistics_when_it_hunts_a_culprit():
    class BadTanh(Activation):
        def backward(self, dout, cache, need_dx=True):
            return 2 * super().backward(dout, cache, need_dx)
    rng = np.random.default_rng(2)
    net = Network([Dense(3, 4, rng=rng), Residual([Dense(4, 4, rng=rng, bias=False), BatchNorm(4)]),
                   BadTanh("tanh"), Dense(4, 2, rng=rng)])
    X, Y = rng.normal(size=(3, 6)), rng.random((2, 6))
    before = {n: v.copy() for n, v in net.buffers()}
    rep = check_network(net, X, Y)
    assert not rep.ok and rep.first_bad_layer == "tanh3"
    for n, v in net.buffers():
        np.testing.assert_array_equal(v, before[n], err_msg=n)


# ----------------------------------------------------------------- defect 3
@pytest.mark.parametrize("mask_dtype", [np.float64, np.float32, np.int64, np.uint8, bool])
def test_dropout_keeps_input_dtype_for_any_mask_dtype(mask_dtype):
    rng = np.random.default_rng(0)
    x32 = rng.normal(size=(3, 4)).astype(np.float32)
    mask = (rng.random((3, 4)) > 0.5).astype(mask_dtype)
    out, cache = Dropout(0.5).forward(x32, mask=mask)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, x32 * mask.astype(np.float32) * 2, rtol=1e-7)
    # inside a float32 network backward works (the issue: "output array is not acceptable")
    drop = Dropout(0.5, mask=np.ones((4, 4)))
    net = Network([Dense(3, 4, rng=rng, dtype=np.float32), drop, Dense(4, 2, rng=rng, dtype=np.float32)])
    drop.mask = np.ones((4, 4), dtype=mask_dtype)
    net.loss_and_grads(x32, np.zeros((2, 4), np.float32))
    assert all(g.dtype == np.float32 for _, g in net.gradients())


def test_dropout_mask_one_means_keep_and_other_values_are_refused():
    x = np.arange(1.0, 7.0).reshape(2, 3)
    out, _ = Dropout(0.25).forward(x, mask=np.array([[1, 0, 1], [0, 1, 1]]))
    np.testing.assert_allclose(out, [[1 / 0.75, 0, 3 / 0.75], [0, 5 / 0.75, 6 / 0.75]])
    with pytest.raises(ValueError, match=r"only 0 \(drop\) and 1 \(keep\)"):
        Dropout(0.5).forward(x, mask=np.full((2, 3), 0.5))
    assert "1 (or True) means KEEP" in Dropout.__doc__


# ----------------------------------------------------------------- defect 4
def test_activation_layer_maps_infinities_to_the_limits():
    z = np.array([[-np.inf, 1.0, np.inf]])
    expected = {"relu": [0, 1, np.inf], "sigmoid": [0, 1 / (1 + np.exp(-1)), 1],
                "tanh": [-1, np.tanh(1), 1], "leaky_relu": [-np.inf, 1, np.inf]}
    with warnings.catch_warnings():
        warnings.simplefilter("error")               # and no overflow / invalid warnings
        for kind, want in expected.items():
            out, cache = Activation(kind).forward(z)
            np.testing.assert_allclose(out, [want], rtol=1e-15)
            if kind != "leaky_relu":                 # σ′ is 0 at ±inf (relu′(inf) = 1)
                d = Activation(kind).backward(np.ones((1, 3)), cache)
                assert np.all(np.isfinite(d)), kind
            for dt in (np.float32, np.float64):
                assert Activation(kind).forward(z.astype(dt))[0].dtype == dt


def test_relu_after_a_float32_overflow_inside_a_network_is_zero_not_nan():
    d1 = Dense(1, 2, dtype=np.float32)
    d1.params["W"][:] = [[-3e38], [-3e38]]
    d2 = Dense(2, 1, rng=0, dtype=np.float32)
    d2.params["b"][:] = 0.25
    net = Network([d1, Activation("relu"), d2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")             # the overflow itself is the user's business
        out = net.predict(np.array([[10.0]], np.float32))   # z = −inf: relu gives 0, not NaN
    np.testing.assert_array_equal(out, [[0.25]])


# ----------------------------------------------------------------- defect 5
LAYERS = {
    "dense": lambda: Dense(3, 2, rng=0),
    "activation": lambda: Activation("relu"),
    "batchnorm": lambda: BatchNorm(3),
    "residual": lambda: Residual([Dense(3, 3, rng=0), Activation("tanh")]),
    "dense_connection": lambda: DenseConnection([Dense(3, 2, rng=0)]),
    "dropout": lambda: Dropout(0.5, rng=0),
}


@pytest.mark.parametrize("kind", sorted(LAYERS))
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_every_layer_checks_its_input_values(kind, bad):
    layer = LAYERS[kind]()
    x = np.ones((3, 4))
    x[1, 2] = bad
    if kind == "activation" and not np.isnan(bad):
        layer.forward(x)                             # ±inf is fine for an activation (defect 4)
        return
    with pytest.raises(ValueError, match=rf"'{layer.name}': input of shape \(3, 4\) contains NaN"):
        layer.forward(x)


def test_network_starting_with_a_residual_rejects_nan_input():
    net = Network([Residual([Dense(2, 2, rng=0), Activation("sigmoid")]), Dense(2, 1, rng=0)])
    X = np.array([[0.0, np.nan], [1.0, 2.0]])
    with pytest.raises(ValueError, match=r"Residual 'residual1': input of shape \(2, 2\) contains NaN"):
        net.loss(X, np.zeros((1, 2)))


def test_a_diverged_network_output_is_named_by_the_loss():
    net = mlp([2, 3, 1], activation="relu", output_activation="identity", rng=0)
    net.layers[2].params["W"][:] = np.nan
    with pytest.raises(ValueError, match=r"QuadraticCost: the output of shape \(1, 2\) contains NaN"):
        net.loss(np.ones((2, 2)), np.zeros((1, 2)))


def test_upstream_gradient_values_are_checked():
    layer = Dense(3, 2, rng=0)
    out, cache = layer.forward(np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"upstream gradient of shape \(2, 4\) contains NaN"):
        layer.backward(np.full((2, 4), np.nan), cache)
    bn = BatchNorm(2)                        # batch norm checks through its row sums (no extra pass)
    out, cache = bn.forward(np.arange(8.0).reshape(2, 4))
    with pytest.raises(ValueError, match=r"BatchNorm 'batchnorm': upstream gradient of shape \(2, 4\) contains NaN"):
        bn.backward(np.array([[0, 1, np.inf, 0], [0, 0, 0, 1.0]]), cache)
    with pytest.raises(ValueError, match=r"BatchNorm 'batchnorm': input of shape \(2, 4\) contains NaN"):
        bn.forward(np.array([[0, 1, np.nan, 0], [0, 0, 0, 1.0]]), train=False)


# ----------------------------------------------------------------- rough edges
def test_backward_accepts_a_list_and_names_a_wrong_one():
    layer = Dense(3, 2, rng=0)
    x = np.random.default_rng(0).normal(size=(3, 4))
    out, cache = layer.forward(x)
    G = np.arange(8.0).reshape(2, 4)
    dx_array = layer.backward(G, cache)
    dx_list = layer.backward(G.tolist(), cache)
    np.testing.assert_array_equal(dx_list, dx_array)
    with pytest.raises(ValueError, match=r"expected upstream gradient of shape \(2, 4\), "
                                         r"got shape \(4, 2\) \(from a list\)"):
        layer.backward(G.T.tolist(), cache)
    bn = BatchNorm(2, dtype=np.float32)              # a list's float64 becomes the layer's dtype
    out, cache = bn.forward(np.array([[1, 2, 3], [3, 1, 2]], np.float32))
    assert bn.backward([[1, 0, 0], [0, 1, 0]], cache).dtype == np.float32


def test_cross_entropy_label_messages_say_what_was_given():
    with pytest.raises(ValueError, match=r"integer labels of shape \(4,\), got a float64 array of shape "
                                         r"\(4,\) \(labels must be integers"):
        softmax_cross_entropy(np.zeros((3, 4)), np.array([0.0, 1.0, 2.0, 1.0]))
    with pytest.raises(ValueError, match=r"one-hot targets of shape \(3, 4\).*got a float64 array of shape \(4, 3\)"):
        softmax_cross_entropy_grad(np.zeros((3, 4)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"expected 4 integer labels .* got shape \(3,\)"):
        softmax_cross_entropy(np.zeros((3, 4)), np.array([0, 1, 2]))


@pytest.mark.parametrize("opt", [SGD(0.5), Momentum(0.5, form="classic"), Momentum(0.5, form="pytorch")])
def test_astype_keeps_previously_taken_lists_working(opt):
    rng = np.random.default_rng(0)
    net = Network([Dense(3, 4, rng=rng), BatchNorm(4), Activation("tanh"),
                   Residual([Dense(4, 4, rng=rng)]), Dense(4, 2, rng=rng)])
    X, Y = rng.normal(size=(3, 6)), rng.random((2, 6))
    P, G = net.parameters(), net.gradients()
    net.loss_and_grads(X, Y)
    opt.step(P, G)                                   # a float64 step (Momentum gets velocities)
    old_W = net.layers[0].params["W"]
    net.astype(np.float32)
    assert all(p.dtype == np.float32 for _, p in P) and all(g.dtype == np.float32 for _, g in G)
    assert [id(p) for _, p in P] == [id(p) for _, p in net.parameters()]
    X32, Y32 = X.astype(np.float32), Y.astype(np.float32)
    before = [p.copy() for _, p in P]
    net.loss_and_grads(X32, Y32)
    opt.step(P, G)                                   # the stale-list bug: this changed nothing
    assert all(not np.array_equal(b, p) for b, (n, p) in zip(before, P) if not n.endswith("1.b")), \
        [n for b, (n, p) in zip(before, P) if np.array_equal(b, p)]
    assert all(p.dtype == np.float32 for _, p in P)
    with pytest.raises(ValueError, match=r"replaced by net.astype\(\) is read-only"):
        sgd_step([old_W], [np.ones_like(old_W)], 0.1)        # an array taken out by hand fails loudly
    assert {v.dtype for _, v in net.buffers()} == {np.dtype(np.float32)}
    with pytest.raises(RuntimeError, match="astype"):
        Network.backward(net.astype(np.float64))             # astype clears the last loss


def test_weight_decay_selection_is_explicit():
    W, b = np.ones((2, 3)), np.ones((2, 1))
    named = [("dense1.W", W), ("dense1.b", b), ("residual2.proj.W", W), ("batchnorm3.gamma", b)]
    assert decay_mask(named) == [True, False, True, False]                    # default: weights
    assert decay_mask([W, b, np.ones(3)]) == [True, False, False]            # plain arrays too
    assert decay_mask([W, b], "all") == [True, True]
    assert decay_mask(named, lambda name, p: name.endswith("gamma")) == [False, False, False, True]
    assert decay_mask([W, b], [False, True]) == [False, True]
    with pytest.raises(ValueError, match="2 flags for 3"):
        decay_mask([W, b, W], [True, False])
    with pytest.raises(ValueError, match="decay must be"):
        decay_mask([W], "biases")
    # plain arrays: a bias no longer decays (the issue: every array decayed, biases included)
    W, b = np.ones((2, 3)), np.ones((2, 1))
    SGD(eta=0.5, weight_decay=0.1).step([W, b], [np.zeros((2, 3)), np.zeros((2, 1))])
    np.testing.assert_allclose(W, 0.95)
    np.testing.assert_allclose(b, 1.0)
    SGD(eta=0.5, weight_decay=0.1, decay="all").step([W, b], [np.zeros((2, 3)), np.zeros((2, 1))])
    np.testing.assert_allclose(b, 0.95)


@pytest.mark.parametrize("decay", ["weights", "all"])
def test_weight_decay_step_is_the_gradient_of_l2_penalty(decay):
    rng = np.random.default_rng(3)
    params = [("dense1.W", rng.normal(size=(3, 2))), ("dense1.b", rng.normal(size=(3, 1)))]
    lam, eta = 0.3, 0.1
    for i, (_, p) in enumerate(params):
        num = numerical_gradient(lambda _: l2_penalty(params, lam, decay), p)
        new = [q.copy() for _, q in params]
        SGD(eta, lam, decay).step([(n, q) for (n, _), q in zip(params, new)],
                                  [(n, np.zeros_like(q)) for n, q in params])
        np.testing.assert_allclose((p - new[i]) / eta, num, atol=1e-8)


def test_batchnorm_unbiased_running_var_matches_pytorchs_formula():
    rng = np.random.default_rng(0)
    biased, unbiased = BatchNorm(3), BatchNorm(3, unbiased_running_var=True)
    # PyTorch's BatchNorm1d, written out: running_var ← (1 − m)·running_var + m·var(x, ddof=1)
    ref_mean, ref_var_torch, ref_var_ours = np.zeros((3, 1)), np.ones((3, 1)), np.ones((3, 1))
    for B in (2, 5, 8):
        x = rng.normal(loc=1.0, scale=3.0, size=(3, B))
        out_b, _ = biased.forward(x)
        out_u, _ = unbiased.forward(x)
        np.testing.assert_array_equal(out_b, out_u)        # the option only touches running_var
        ref_mean = 0.9 * ref_mean + 0.1 * x.mean(axis=1, keepdims=True)
        ref_var_torch = 0.9 * ref_var_torch + 0.1 * x.var(axis=1, ddof=1, keepdims=True)
        ref_var_ours = 0.9 * ref_var_ours + 0.1 * x.var(axis=1, ddof=0, keepdims=True)
    np.testing.assert_allclose(unbiased.running_var, ref_var_torch, rtol=1e-13)
    np.testing.assert_allclose(biased.running_var, ref_var_ours, rtol=1e-13)
    np.testing.assert_allclose(unbiased.running_mean, ref_mean, rtol=1e-13)
    assert not np.allclose(biased.running_var, unbiased.running_var)
    xe = rng.normal(size=(3, 4))
    assert not np.allclose(biased.forward(xe, train=False)[0], unbiased.forward(xe, train=False)[0])


def test_momentum_forms_agree_at_constant_eta_and_differ_after_a_drop():
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=(2, 2)) for _ in range(8)]
    p0 = rng.normal(size=(2, 2))
    runs = {}
    for form in ("classic", "pytorch"):
        p, opt, path = p0.copy(), Momentum(eta=0.1, beta=0.9, form=form), []
        for t, g in enumerate(grads):
            if t == 4:
                opt.eta = 0.01                                  # a step-decay schedule
            opt.step([("d.W", p)], [("d.W", g)])
            path.append(p.copy())
        runs[form] = path
    for t in range(4):
        np.testing.assert_allclose(runs["classic"][t], runs["pytorch"][t], rtol=1e-13, atol=1e-15)
    assert not np.allclose(runs["classic"][4], runs["pytorch"][4])
    # by hand, PyTorch's form: v ← βv + g; p ← p − ηv
    v, p = np.zeros((2, 2)), p0.copy()
    for t, g in enumerate(grads):
        v = 0.9 * v + g
        p = p - (0.1 if t < 4 else 0.01) * v
    np.testing.assert_allclose(runs["pytorch"][-1], p, rtol=1e-13)
    with pytest.raises(ValueError, match="form"):
        Momentum(form="nesterov")
