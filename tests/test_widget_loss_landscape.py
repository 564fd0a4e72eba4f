"""The loss-landscape viewer: controls change the picture, the centre of the landscape is the trained
network's cost, and the directions are filter-normalised row by row."""
import numpy as np
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")

from bpkit.widgets.loss_landscape import (  # noqa: E402
    LossLandscapeViewer,
    filter_normalise,
    loss_and_grads,
    random_direction,
)


@pytest.fixture(scope="module")
def viewer():
    return LossLandscapeViewer(network="residual", seed=0, resolution=11)


def _cost(params, X, Y, residual):
    """The network's cost, written out independently of the module: C = (1/N) Σ ½‖a^[L] − y‖²."""
    a = X
    for k, (W, b) in enumerate(params):
        z = W @ a + b
        if k == len(params) - 1:
            a = z
        elif residual and k > 0:
            a = a + np.tanh(z)
        else:
            a = np.tanh(z)
    return 0.5 * np.sum((a - Y) ** 2) / X.shape[1]


def test_controls_change_the_figure(viewer):
    png = viewer.image.value
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    viewer.controls["seed"].value = 3
    assert viewer.image.value != png
    assert viewer.result["seed"] == 3
    png = viewer.image.value
    viewer.controls["network"].value = "plain"
    assert viewer.image.value != png
    assert viewer.result["network"] == "plain"
    viewer.controls["resolution"].value = 15
    assert viewer.result["surface"].shape == (15, 15)


@pytest.mark.parametrize("network", ["plain", "residual"])
def test_centre_is_the_trained_cost(viewer, network):
    viewer.controls["network"].value = network
    r = viewer.result
    A = r["ts"]
    i = int(np.flatnonzero(A == 0.0)[0])                 # odd resolution: t₁ = t₂ = 0 is on the grid
    expected = _cost(r["params"], viewer.X, viewer.Y, network == "residual")
    assert r["surface"][i, i] == pytest.approx(expected, rel=1e-12)
    assert r["centre"] == pytest.approx(expected, rel=1e-12)


def test_residual_trains_and_plain_does_not(viewer):
    plain, res = viewer.trained["plain"]["curve"], viewer.trained["residual"]["curve"]
    assert res[-1] < 0.2 * res[0]
    assert plain[-1] > 0.9 * plain[0]


def test_filter_normalisation_matches_row_norms(viewer):
    params = viewer.trained["residual"]["params"]
    for (W, _), (D, db) in zip(params, random_direction(params, seed=7)):
        np.testing.assert_allclose(np.linalg.norm(D, axis=1), np.linalg.norm(W, axis=1), rtol=1e-12)
        assert not np.any(db)
    rng = np.random.default_rng(1)
    W, D = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    Dn = filter_normalise(D, W)
    np.testing.assert_allclose(np.linalg.norm(Dn, axis=1), np.linalg.norm(W, axis=1), rtol=1e-12)
    # same direction inside every row, only the length changes
    np.testing.assert_allclose(Dn / np.linalg.norm(Dn, axis=1, keepdims=True),
                               D / np.linalg.norm(D, axis=1, keepdims=True), rtol=1e-12)


def test_backprop_matches_central_differences():
    from bpkit.widgets.loss_landscape import init_params, make_data
    X, Y = make_data(n=6)
    params = init_params(depth=3, width=3, block_gain=1.0, out_gain=1.0)
    for residual in (False, True):
        _, grads = loss_and_grads(params, X, Y, residual)
        for k, (W, _) in enumerate(params):
            j, i = 0, W.shape[1] - 1
            old = W[j, i]
            W[j, i] = old + 1e-6
            up = _cost(params, X, Y, residual)
            W[j, i] = old - 1e-6
            down = _cost(params, X, Y, residual)
            W[j, i] = old
            assert grads[k][0][j, i] == pytest.approx((up - down) / 2e-6, rel=1e-5, abs=1e-9)
