"""The playground: controls rebuild the run, steps redraw and learn, state reproduces runs."""
import json

import numpy as np
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")

from bpkit.widgets.playground import DATASETS, Playground  # noqa: E402


def weights(pg):
    return [p.copy() for _, p in pg.net.parameters()]


def test_controls_build_the_network_and_steps_redraw():
    pg = Playground()
    assert pg.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    C = pg.controls
    C["dataset"].value = "spiral"
    C["layers"].value = 3
    C["units3"].value = 5
    C["activation"].value = "relu"
    C["batchnorm"].value = True
    C["residual"].value = True
    C["feature_x2"].value = True
    s = pg.state()
    assert s["dataset"] == "spiral" and s["hidden"] == [4, 2, 5] and s["activation"] == "relu"
    assert s["batchnorm"] and s["residual"] and s["features"] == ["x", "y", "x2"]
    kinds = [type(L).__name__ for L in pg.net.layers]
    assert kinds.count("Residual") == 3 and kinds[-1] == "Dense"
    inner = [type(L).__name__ for L in pg.net.layers[0].layers]
    assert inner == ["Dense", "BatchNorm", "Activation"]
    assert pg.X_train.shape[0] == 3                          # x, y, x²
    before = pg.image.value
    C["step"].click()
    assert pg.steps == 1 and pg.image.value != before         # the figure was redrawn
    before = pg.image.value
    pg.step(3)
    assert pg.image.value != before
    assert len(pg.history["train_loss"]) == 5                 # step 0 + 4 steps
    assert all(np.isfinite(pg.history["grad_norm"][-1]))
    assert len(pg.history["update_ratio"][-1]) == 4           # W^[2..5]: 3 hidden + output
    C["reset"].click()
    assert pg.steps == 0


@pytest.mark.parametrize("dataset", DATASETS)
def test_every_dataset_trains_a_few_steps(dataset):
    pg = Playground(dataset=dataset, features=["x", "y", "sinx", "siny", "xy"], hidden=[6], dropout=0.2)
    pg.step(5, draw=False)
    assert np.all(np.isfinite(pg.history["train_loss"]))


def test_loss_decreases_on_an_easy_dataset():
    pg = Playground(dataset="gaussian", noise=0.0, hidden=[4], learning_rate=0.1)
    pg.step(100, draw=False)
    h = pg.history["train_loss"]
    assert h[-1] < 0.25 * h[0]
    assert pg.accuracy()[0] >= 0.95
    pg = Playground(dataset="circle", features=["x2", "y2"], hidden=[3], learning_rate=0.1)
    pg.step(100, draw=False)
    assert pg.history["train_loss"][-1] < 0.5 * pg.history["train_loss"][0]


def test_state_round_trips_and_same_seed_reproduces():
    cfg = dict(seed=7, dataset="moons", hidden=[5, 5], activation="relu", batchnorm=True,
               residual=True, dropout=0.2, batch_size=8, learning_rate=0.03)
    a, b = Playground(**cfg), Playground(**cfg)
    a.step(20, draw=False)
    a.controls["learning_rate"].value = 0.1                  # a live change mid-run is recorded
    a.step(10, draw=False)
    state = json.loads(a.export_state())
    assert state["step"] == 30 and state["seed"] == 7 and state["changes"] == [[20, "learning_rate", 0.03, 0.1]]
    b.load_state(a.export_state())                           # replays the run
    assert b.state() == a.state()
    for wa, wb in zip(weights(a), weights(b)):
        np.testing.assert_array_equal(wa, wb)
    assert a.history["train_loss"] == b.history["train_loss"]
    a.step(15, draw=False)
    b.step(15, draw=False)
    for wa, wb in zip(weights(a), weights(b)):
        np.testing.assert_array_equal(wa, wb)
    assert a.history["test_loss"] == b.history["test_loss"]
    # a different seed is a different run
    c = Playground(**{**cfg, "seed": 8})
    c.step(1, draw=False)
    assert not np.array_equal(weights(c)[0], weights(a)[0])


def test_bad_configurations_give_clear_errors():
    with pytest.raises(ValueError, match="at most 6 hidden layers"):
        Playground(hidden=[4] * 7)
    with pytest.raises(ValueError, match="1..16 units"):
        Playground(hidden=[4, 17])
    with pytest.raises(ValueError, match="dataset must be one of"):
        Playground(dataset="mnist")
    with pytest.raises(ValueError, match="batch norm needs a batch size of at least 2"):
        Playground(batchnorm=True, batch_size=1)
    pg = Playground()
    with pytest.raises(ValueError, match="unknown setting"):
        pg.load_state({"seed": 1, "hidden_layers": 3})
    for f in ("x", "y"):                                     # unticking every feature: shown, not raised
        pg.controls[f"feature_{f}"].value = False
    assert "at least one input feature" in pg.error and "⚠" in pg.status.value
