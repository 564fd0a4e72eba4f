"""The chain-rule explorer: controls change the picture, and the numbers it shows are right."""
import math

import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")

from bpkit.widgets.chain_rule import GRAPHS, ChainRuleExplorer, chain_rule, numerical_derivative  # noqa: E402


def test_x_control_changes_image_and_numbers():
    w = ChainRuleExplorer(function="sin(x²)", x=1.0)
    before_png, before_html = w.image.value, w.table.value
    assert before_png[:8] == b"\x89PNG\r\n\x1a\n"
    w.controls["x"].value = 0.5
    assert w.image.value != before_png
    assert w.table.value != before_html
    # y = sin(x²): dy/dx = cos(x²) · 2x
    assert w.result["total"] == pytest.approx(math.cos(0.25) * 2 * 0.5, rel=1e-12)
    assert w.result["values"]["y"] == pytest.approx(math.sin(0.25))


def test_function_control_changes_graph():
    w = ChainRuleExplorer(function="sin(x²)", x=1.0)
    before = w.image.value
    w.controls["function"].value = "x² · sin x  (two paths)"
    assert w.image.value != before
    assert len(w.result["paths"]) == 2
    # the two path products are 2x·sin x and cos x·x²
    prods = sorted(p for _, p in w.result["paths"])
    assert prods == pytest.approx(sorted([2 * math.sin(1.0), math.cos(1.0)]))
    assert "x → m1 → y" in w.table.value


@pytest.mark.parametrize("name", list(GRAPHS))
@pytest.mark.parametrize("x", [-1.3, 0.2, 2.1])
def test_sum_of_path_products_equals_numerical_derivative(name, x):
    graph = GRAPHS[name]
    assert chain_rule(graph, x)["total"] == pytest.approx(numerical_derivative(graph, x), abs=1e-6)


def test_import_bpkit_does_not_import_matplotlib():
    import subprocess
    import sys

    code = "import sys, bpkit, bpkit.widgets; print('matplotlib' in sys.modules, 'ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"
