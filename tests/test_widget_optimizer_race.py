"""The optimiser race of lecture 12: controls change the picture, and the paths are the engine's."""
import numpy as np
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")

from bpkit.widgets.optimizer_race import BASE_ETA, LANDSCAPES, OptimizerRace, race  # noqa: E402


@pytest.mark.parametrize("control, value", [("landscape", "banana"), ("factor", 0.3), ("beta", 0.5),
                                            ("rho", 0.9), ("steps", 50)])
def test_every_control_changes_the_image(control, value):
    w = OptimizerRace()
    before_png, before_html = w.image.value, w.summary.value
    assert before_png[:8] == b"\x89PNG\r\n\x1a\n"
    w.controls[control].value = value
    assert w.image.value != before_png
    assert w.summary.value != before_html                 # the final costs moved too


def test_adam_path_is_algorithm_1_by_hand():
    r = race("valley", factor=1.0, beta=0.9, rho=0.99, steps=5)
    cost, grad, start, _, _ = LANDSCAPES["valley"]
    w, m, v = np.array(start), 0.0, 0.0
    eta = BASE_ETA["Adam"]
    for t in range(1, 6):
        g = grad(w)
        m, v = 0.9 * m + 0.1 * g, 0.99 * v + 0.01 * g * g
        w = w - eta * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.99 ** t)) + 1e-8)
    np.testing.assert_allclose(r["Adam"][0][-1], w, rtol=1e-12)
    # the first bias-corrected step is η in every coordinate
    np.testing.assert_allclose(np.abs(r["Adam"][0][1] - r["Adam"][0][0]), eta, rtol=1e-6)


def test_on_the_valley_the_adaptive_methods_beat_gradient_descent():
    r = race("valley", steps=100)
    final = {name: costs[-1] for name, (_, costs) in r.items()}
    assert final["Adam"] < final["SGD"] and final["RMSProp"] < final["SGD"]
    assert all(costs[-1] < costs[0] for _, costs in r.values())


def test_a_diverging_optimiser_stops_instead_of_overflowing():
    r = race("banana", factor=10.0, steps=200)
    for path, _costs in r.values():
        assert np.all(np.isfinite(path)) or len(path) < 201
