"""The backprop stepper: stepping changes the picture, and the δ and ∂C/∂w it shows are right."""
import numpy as np
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")

from bpkit.widgets.backprop_stepper import BackpropStepper, cost, schedule  # noqa: E402


def _fd(f, x, h=1e-6):
    """Central differences of scalar f() with respect to every entry of x (perturbed in place)."""
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        up = f()
        x[idx] = old - h
        down = f()
        x[idx] = old
        g[idx] = (up - down) / (2 * h)
    return g


def test_step_button_changes_figure_and_reset_restores_it():
    w = BackpropStepper()
    before = w.image.value
    assert before[:8] == b"\x89PNG\r\n\x1a\n"
    w.controls["step"].click()
    assert w.controls["stage"].value == 1
    assert w.image.value != before
    assert 2 in w.shown["z"] and 3 not in w.shown["z"]
    w.controls["reset"].click()
    assert w.controls["stage"].value == 0
    assert w.image.value == before


def test_seed_control_redraws():
    w = BackpropStepper()
    before = w.image.value
    w.controls["seed"].value = 3
    assert w.image.value != before


@pytest.mark.parametrize("sizes", [(2, 3, 2), (3, 2, 4, 2)])
def test_shown_deltas_and_weight_gradients_equal_finite_differences(sizes):
    w = BackpropStepper(sizes=sizes, seed=1)
    for _ in range(len(schedule(len(sizes)))):
        w.step()
    w.step()                                   # past the end: stays on the last step
    assert w.controls["stage"].value == len(w.steps)
    p, x, y = w.params, w.x, w.y
    for l in range(2, len(sizes) + 1):
        # δ^[l] = ∂C/∂z^[l] = ∂C/∂b^[l]: perturb the bias (it enters z^[l] with coefficient 1)
        fd_delta = _fd(lambda: cost(p, x, y), p[f"b{l}"])
        np.testing.assert_allclose(w.shown["delta"][l], fd_delta, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(w.shown["db"][l], fd_delta, rtol=1e-6, atol=1e-9)
        fd_W = _fd(lambda: cost(p, x, y), p[f"W{l}"])
        np.testing.assert_allclose(w.shown["dW"][l], fd_W, rtol=1e-6, atol=1e-9)
    # the numbers are the ones printed on the figure
    drawn = "\n".join(t.get_text() for t in w.texts)
    for l in range(2, len(sizes) + 1):
        for v in w.shown["delta"][l].ravel():
            assert f"δ={v:.4f}" in drawn
        for v in w.shown["dW"][l].ravel():
            assert f"∂C/∂w={v:.4f}" in drawn


def test_backward_steps_follow_forward_steps():
    w = BackpropStepper(sizes=(2, 3, 2))
    kinds = [k for k, _ in w.steps]
    assert kinds == ["forward", "forward", "delta_L", "grads", "delta", "grads"]
    for _ in range(3):
        w.step()
    assert w.current == ("delta_L", 3)
    assert set(w.shown["delta"]) == {3} and not w.shown["dW"]
