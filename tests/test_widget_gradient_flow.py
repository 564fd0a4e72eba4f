"""The gradient-flow widget redraws when a control changes and shows the right numbers."""
import numpy as np
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")

from bpkit.widgets.gradient_flow import GradientFlow, measure  # noqa: E402


def first_layer_grad_norm(depth, act, act_prime, std, width=64, batch=128, seed=0):
    """Independent forward/backward of the same net (same draws as the widget, no BN, no residual)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(width, batch))
    y = rng.normal(size=(1, batch))
    Ws = [rng.normal(size=(width, width)) * std for _ in range(depth - 1)]
    Ws.append(rng.normal(size=(1, width)) * std)
    a, zs, As = x, [], [x]
    for W in Ws[:-1]:
        z = W @ a
        a = act(z)
        zs.append(z)
        As.append(a)
    delta = (Ws[-1] @ a - y) / batch
    for l in range(depth - 2, -1, -1):                 # δ^[l] = σ'(z^[l]) ∘ (W^[l+1])ᵀ δ^[l+1]
        delta = act_prime(zs[l]) * (Ws[l + 1].T @ delta)
    return np.linalg.norm(delta @ As[0].T)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_controls_redraw_and_numbers():
    app = GradientFlow(depth=10, activation="sigmoid", init="xavier")
    assert set(app.controls) >= {"depth", "activation", "init", "scale", "batchnorm", "residual"}
    before = app.image.value
    sig = app.result["grad_norms"][0]
    expected_sig = first_layer_grad_norm(10, sigmoid, lambda z: sigmoid(z) * (1 - sigmoid(z)),
                                         np.sqrt(1 / 64))
    assert np.isclose(sig, expected_sig, rtol=1e-10)

    app.controls["activation"].value = "relu"
    app.controls["init"].value = "he"
    assert app.image.value != before                  # the figure was redrawn
    relu = app.result["grad_norms"][0]
    expected_relu = first_layer_grad_norm(10, lambda z: np.maximum(z, 0), lambda z: (z > 0) * 1.0,
                                          np.sqrt(2 / 64))
    assert np.isclose(relu, expected_relu, rtol=1e-10)
    assert sig < 1e-3 * relu                          # sigmoid + Xavier vanishes at depth 10
    assert f"{relu:.3g}" in app.summary.value         # the number shown is the computed one


def test_depth_and_batchnorm_change_the_plot():
    app = GradientFlow(depth=4)
    before = app.image.value
    app.controls["depth"].value = 12
    assert app.image.value != before
    assert len(app.result["grad_norms"]) == 12
    app.controls["batchnorm"].value = True
    # batch norm keeps the first-layer gradient of a deep sigmoid net from vanishing
    assert app.result["grad_norms"][0] > 1e3 * measure(depth=12)["grad_norms"][0]
