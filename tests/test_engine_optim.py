"""Optimisers, schedules, minibatches, early stopping, training loops, initialisers, data."""
import numpy as np
import pytest

from bpkit import data, init
from bpkit.layers import Dense
from bpkit.network import mlp
from bpkit.optim import (
    SGD,
    EarlyStopping,
    Momentum,
    exponential_decay,
    l2_grad,
    l2_penalty,
    minibatches,
    sgd_step,
    step_decay,
    train_minibatch,
    train_sgd_single,
)


def test_sgd_step_in_place():
    p = np.array([1.0, 2.0])
    ref = p
    sgd_step([p], [np.array([10.0, -10.0])], 0.1)
    assert ref is p
    np.testing.assert_allclose(p, [0.0, 3.0])


def test_momentum_two_steps_by_hand():
    # v ← βv − ηg, p ← p + v with η = 0.1, β = 0.9, p0 = 1
    p = np.array([1.0])
    opt = Momentum(eta=0.1, beta=0.9)
    opt.step([("w.W", p)], [("w.W", np.array([2.0]))])   # v1 = −0.2, p1 = 0.8
    np.testing.assert_allclose(p, [0.8])
    opt.step([("w.W", p)], [("w.W", np.array([1.0]))])   # v2 = 0.9·(−0.2) − 0.1 = −0.28, p2 = 0.52
    np.testing.assert_allclose(p, [0.52])
    np.testing.assert_allclose(opt.velocity[0], [-0.28])


def test_weight_decay_only_on_weights():
    W, b = np.ones((2, 2)), np.ones((2, 1))
    SGD(eta=0.5, weight_decay=0.1).step([("d.W", W), ("d.b", b)],
                                        [("d.W", np.zeros((2, 2))), ("d.b", np.zeros((2, 1)))])
    np.testing.assert_allclose(W, 0.95)         # W − η λ W
    np.testing.assert_allclose(b, 1.0)
    assert l2_penalty([("d.W", np.full((2, 2), 2.0)), ("d.b", np.ones(3))], 0.1) == pytest.approx(0.5 * 0.1 * 16)
    np.testing.assert_allclose(l2_grad(np.array([1.0, -2.0]), 0.5), [0.5, -1.0])


def test_schedules():
    s = step_decay(0.8, drop=0.5, every=10)
    assert [s(e) for e in (0, 9, 10, 19, 20, 35)] == [0.8, 0.8, 0.4, 0.4, 0.2, 0.1]
    x = exponential_decay(1.0, 0.1)
    assert x(0) == 1.0 and x(10) == pytest.approx(np.exp(-1.0))


def test_minibatches_cover_each_index_once_and_reshuffle():
    rng = np.random.default_rng(0)
    e1 = list(minibatches(103, 10, rng))
    e2 = list(minibatches(103, 10, rng))
    assert [len(b) for b in e1] == [10] * 10 + [3]
    for ep in (e1, e2):
        np.testing.assert_array_equal(np.sort(np.concatenate(ep)), np.arange(103))
    assert not np.array_equal(np.concatenate(e1), np.concatenate(e2))


def test_early_stopping_keeps_best_state():
    net = mlp([2, 2], rng=0)
    es = EarlyStopping(patience=2)
    W = net.parameters()[0][1]
    seen = {}
    for epoch, cost in enumerate([3.0, 2.0, 2.5, 2.6, 1.0]):
        W += 1.0
        seen[epoch] = W.copy()
        if es.update(cost, net):
            break
    assert epoch == 3 and es.best_epoch == 1 and es.best_cost == 2.0
    net.load_state(es.best_state)
    np.testing.assert_array_equal(W, seen[1])


def test_train_minibatch_learns_and_early_stopping_returns_best_weights():
    rng = np.random.default_rng(0)
    X, y = data.blobs(300, centers=3, std=0.35, rng=rng)
    Xtr, Xva, ytr, yva = data.train_test_split(X, y, 0.7, rng)
    net = mlp([2, 16, 3], activation="relu", loss="softmax_ce", rng=rng)
    hist = train_minibatch(net, Xtr, ytr, epochs=60, batch_size=16, optimizer=Momentum(0.05, 0.9),
                           rng=rng, X_val=Xva, Y_val=yva, early_stopping=5,
                           schedule=step_decay(0.05, 0.5, 10))
    assert net.accuracy(Xva, yva) > 0.9
    assert net.loss(Xva, yva, train=False) == pytest.approx(min(hist["val_loss"]), rel=1e-12)
    assert hist["val_loss"].index(min(hist["val_loss"])) == hist["best_epoch"]
    assert hist["eta"][:11] == [0.05] * 10 + [0.025]


def test_train_sgd_single_generic_path_learns_regression():
    rng = np.random.default_rng(0)
    X, Y = data.regression_1d(40, rng=rng)
    net = mlp([1, 16, 1], activation="tanh", output_activation="identity", init="xavier", rng=rng)
    C0 = net.loss(X, Y)
    hist = train_sgd_single(net, X, Y, eta=0.05, n_iter=3000, rng=rng, record_every=1000)
    assert len(hist) == 3 and hist[-1][1] < 0.5 * C0


# ----------------------------------------------------------------- initialisers
@pytest.mark.parametrize("name,std", [("he", lambda i, o: np.sqrt(2 / i)),
                                      ("xavier", lambda i, o: np.sqrt(2 / (i + o))),
                                      ("normal", lambda i, o: 0.5), ("standard_normal", lambda i, o: 1.0)])
def test_initialiser_scales(name, std):
    W = init.INITS[name](200, 300, np.random.default_rng(0))
    assert W.shape == (200, 300)
    assert W.std() == pytest.approx(std(300, 200), rel=0.02)
    assert abs(W.mean()) < 0.01 * max(std(300, 200), 0.1)


def test_naive_initialisers_and_dense_init_options():
    assert not init.zeros(2, 3).any()
    np.testing.assert_array_equal(init.constant(2, 3, value=0.3), 0.3)
    U = init.uniform(100, 100, 0)
    assert np.abs(U).max() <= np.sqrt(6 / 200)
    d = Dense(3, 4, init="normal", rng=0)
    assert d.params["b"].any()                                  # Higham: biases 0.5·N(0,1) too
    assert not Dense(3, 4, init="he", rng=0).params["b"].any()
    d2 = Dense(3, 4, init=lambda o, i, rng: np.ones((o, i)))
    np.testing.assert_array_equal(d2.params["W"], 1.0)
    assert Dense(3, 4, init="he", rng=5, dtype=np.float32).params["W"].dtype == np.float32


# ----------------------------------------------------------------- data
def test_higham_points():
    X, Y = data.higham()
    assert X.shape == (2, 10) and Y.shape == (2, 10)
    np.testing.assert_array_equal(X[0], [0.1, 0.3, 0.1, 0.6, 0.4, 0.6, 0.5, 0.9, 0.4, 0.7])
    np.testing.assert_array_equal(X[1], [0.1, 0.4, 0.5, 0.9, 0.2, 0.3, 0.6, 0.2, 0.4, 0.6])
    np.testing.assert_array_equal(Y[:, :5], [[1] * 5, [0] * 5])
    np.testing.assert_array_equal(Y[:, 5:], [[0] * 5, [1] * 5])


@pytest.mark.parametrize("gen", [data.xor, data.circles, data.blobs, data.spirals, data.moons])
def test_classification_sets_seeded_and_shaped(gen):
    X1, y1 = gen(100, rng=3)
    X2, y2 = gen(100, rng=3)
    X3, _ = gen(100, rng=4)
    assert X1.shape == (2, 100) and y1.shape == (100,) and y1.dtype.kind == "i"
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    assert len(np.unique(y1)) >= 2 and np.isfinite(X1).all()


def test_circles_and_spirals_geometry():
    X, y = data.circles(400, noise=0.0, factor=0.5, rng=0)
    r = np.linalg.norm(X, axis=0)
    np.testing.assert_allclose(r[y == 0], 1.0)
    np.testing.assert_allclose(r[y == 1], 0.5)
    Xr, Yr = data.regression_1d(50, rng=0)
    assert Xr.shape == Yr.shape == (1, 50)


def test_one_hot_scale_split():
    Y = data.one_hot(np.array([2, 0, 1]), 3)
    np.testing.assert_array_equal(Y, [[0, 1, 0], [0, 0, 1], [1, 0, 0]])
    with pytest.raises(TypeError):
        data.one_hot(np.array([0.5, 1.0]))
    X = np.array([[1.0, 3.0, 2.0], [5.0, 5.0, 5.0]])
    S, (lo, hi) = data.scale_to_unit(X, return_range=True)
    np.testing.assert_allclose(S, [[0, 1, 0.5], [0, 0, 0]])
    np.testing.assert_allclose(data.scale_to_unit(X), S)
    T = data.scale_to_unit(np.array([[5.0], [5.0]]), lo, hi)
    np.testing.assert_allclose(T, [[2.0], [0.0]])
    X, y = data.moons(50, rng=0)
    a, b, c, d = data.train_test_split(X, y, 0.8, np.random.default_rng(0))
    assert a.shape == (2, 40) and b.shape == (2, 10) and c.shape == (40,) and d.shape == (10,)
    assert sorted(map(tuple, np.hstack([a, b]).T)) == sorted(map(tuple, X.T))
    _, _, Yc, _ = data.train_test_split(X, data.one_hot(y), 0.8, 0)
    assert Yc.shape == (2, 40)


def test_engine_imports_stay_light():
    import subprocess
    import sys
    code = ("import sys, bpkit.layers, bpkit.network, bpkit.optim, bpkit.gradcheck, bpkit.data, bpkit.init;"
            "bad = [m for m in ('matplotlib', 'ipywidgets', 'scipy', 'autograd') if m in sys.modules];"
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- RMSProp and Adam (lecture 12) ------------------------------------------------------------
from bpkit.optim import Adam, RMSProp  # noqa: E402


def _adam_by_hand(p, gs, eta, b1, b2, eps):
    m = v = 0.0
    for t, g in enumerate(gs, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - eta * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
    return p


def test_adam_matches_algorithm_1_step_by_step():
    rng = np.random.default_rng(0)
    gs = rng.normal(size=(5, 3, 2))
    W = rng.normal(size=(3, 2))
    want = _adam_by_hand(W.copy(), gs, 0.01, 0.9, 0.999, 1e-8)
    opt = Adam(eta=0.01)
    for g in gs:
        opt.step([("d.W", W)], [("d.W", g)])
    np.testing.assert_allclose(W, want, rtol=1e-13)
    assert opt.t == 5


def test_adam_first_step_is_eta_times_the_sign():
    # bias correction: m̂_1 = g, v̂_1 = g², so the first step is η g/(|g| + ε) ≈ η sign(g)
    W = np.zeros((2, 2))
    g = np.array([[3.0, -0.01], [1e3, -7.0]])
    Adam(eta=0.1, eps=0.0).step([W], [g])
    np.testing.assert_allclose(W, -0.1 * np.sign(g), rtol=1e-14)


def test_rmsprop_two_steps_by_hand_eps_outside_the_root():
    p = np.array([1.0])
    opt = RMSProp(eta=0.1, rho=0.5, eps=0.5)
    opt.step([p], [np.array([2.0])])                 # s = 0.5·4 = 2; p = 1 − 0.1·2/(√2 + 0.5)
    want = 1 - 0.1 * 2 / (np.sqrt(2) + 0.5)
    np.testing.assert_allclose(p, [want])
    opt.step([p], [np.array([1.0])])                 # s = 0.5·2 + 0.5·1 = 1.5
    want -= 0.1 * 1 / (np.sqrt(1.5) + 0.5)
    np.testing.assert_allclose(p, [want])


def test_adaptive_weight_decay_is_coupled_and_only_on_weights():
    W, b = np.ones((2, 2)), np.ones((2, 1))
    zero = [("d.W", np.zeros((2, 2))), ("d.b", np.zeros((2, 1)))]
    Adam(eta=0.1, weight_decay=0.5).step([("d.W", W), ("d.b", b)], zero)
    np.testing.assert_allclose(W, 0.9, rtol=1e-7)   # g = λW = 0.5 > 0: Adam's first step is η·sign(g)
    np.testing.assert_allclose(b, 1.0)


def test_adam_trains_a_network_and_survives_astype():
    X, y = data.blobs(120, centers=3, rng=0)
    net = mlp([2, 8, 3], activation="tanh", loss="softmax_ce", rng=1)
    opt = Adam(eta=0.05)
    train_minibatch(net, X, data.one_hot(y, 3), epochs=30, batch_size=20, optimizer=opt, rng=2)
    assert net.accuracy(X, y) > 0.9
    net.astype(np.float32)
    train_minibatch(net, X.astype(np.float32), data.one_hot(y, 3).astype(np.float32), epochs=1,
                    batch_size=20, optimizer=opt, rng=3)
    assert all(m.dtype == np.float32 for m in opt.m)


def test_digits_ships_with_the_package_and_loads_offline():
    X, y = data.digits()
    assert X.shape == (64, 1797) and X.dtype == np.float64 and y.shape == (1797,)
    assert X.min() == 0 and X.max() == 16 and set(np.unique(y)) == set(range(10))
    assert np.bincount(y).min() >= 170                      # every digit ~180 times
    X[0, 0] = -1                                             # fresh arrays: the cache is safe
    assert data.digits()[0][0, 0] == 0
    from pathlib import Path
    shipped = Path(data.__file__).parent / "datasets"
    assert (shipped / "digits.csv.gz").stat().st_size < 1_000_000
    assert "CC BY 4.0" in (shipped / "README.md").read_text()
