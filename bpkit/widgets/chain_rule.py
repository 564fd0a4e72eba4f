"""Chain-rule explorer: a scalar computational graph with forward values and backward derivatives.

Pick a composite function y(x) and a point x. The widget draws the graph, writes each node's value
on the node and each local derivative ∂child/∂parent on its edge, multiplies the local derivatives
along every path from x to y and adds the paths (the multivariate chain rule), and puts the sum
next to a central-difference derivative.

    from bpkit.widgets.chain_rule import ChainRuleExplorer
    ChainRuleExplorer().widget          # display in a notebook

matplotlib and ipywidgets are imported inside the class, never at ``import bpkit``.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Callable


def _sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


@dataclass
class Node:
    """One node of a scalar graph: value = f(*parents); grads[i](*parents) = ∂value/∂parents[i]."""
    name: str
    label: str
    parents: tuple = ()
    f: Callable | None = None
    grads: tuple = field(default_factory=tuple)


def _graphs():
    """The composite functions on offer: name -> list of nodes in forward (topological) order."""
    s = _sigmoid
    return {
        "sin(x²)": [
            Node("x", "x"),
            Node("t", "t = x²", ("x",), lambda x: x * x, (lambda x: 2 * x,)),
            Node("y", "y = sin t", ("t",), math.sin, (math.cos,)),
        ],
        "σ(3x − 1)": [
            Node("x", "x"),
            Node("z", "z = 3x − 1", ("x",), lambda x: 3 * x - 1, (lambda x: 3.0,)),
            Node("a", "a = σ(z)", ("z",), s, (lambda z: s(z) * (1 - s(z)),)),
        ],
        "x² · sin x  (two paths)": [
            Node("x", "x"),
            Node("m1", "m₁ = x²", ("x",), lambda x: x * x, (lambda x: 2 * x,)),
            Node("m2", "m₂ = sin x", ("x",), math.sin, (math.cos,)),
            Node("y", "y = m₁ m₂", ("m1", "m2"), lambda a, b: a * b,
                 (lambda a, b: b, lambda a, b: a)),
        ],
        "neuron cost ½(σ(1.5x + 0.5) − 1)²": [
            Node("x", "x (a weight)"),
            Node("z", "z = 1.5x + 0.5", ("x",), lambda x: 1.5 * x + 0.5, (lambda x: 1.5,)),
            Node("a", "a = σ(z)", ("z",), s, (lambda z: s(z) * (1 - s(z)),)),
            Node("C", "C = ½(a − 1)²", ("a",), lambda a: 0.5 * (a - 1) ** 2, (lambda a: a - 1,)),
        ],
        "tanh(x)·eˣ + x  (three paths)": [
            Node("x", "x"),
            Node("m1", "m₁ = tanh x", ("x",), math.tanh, (lambda x: 1 - math.tanh(x) ** 2,)),
            Node("m2", "m₂ = eˣ", ("x",), math.exp, (math.exp,)),
            Node("p", "p = m₁ m₂", ("m1", "m2"), lambda a, b: a * b,
                 (lambda a, b: b, lambda a, b: a)),
            Node("y", "y = p + x", ("p", "x"), lambda p, x: p + x,
                 (lambda p, x: 1.0, lambda p, x: 1.0)),
        ],
    }


GRAPHS = _graphs()


def forward(graph, x):
    """Forward pass: every node's value, in graph order."""
    values = {graph[0].name: float(x)}
    for node in graph[1:]:
        values[node.name] = float(node.f(*(values[p] for p in node.parents)))
    return values


def local_derivatives(graph, values):
    """{(parent, child): ∂child/∂parent} evaluated at the forward values."""
    out = {}
    for node in graph[1:]:
        args = [values[p] for p in node.parents]
        for p, g in zip(node.parents, node.grads):
            out[(p, node.name)] = float(g(*args))
    return out


def paths(graph):
    """Every path from the input (first node) to the output (last node), as lists of names."""
    children = {n.name: [] for n in graph}
    for n in graph[1:]:
        for p in n.parents:
            children[p].append(n.name)
    start, end = graph[0].name, graph[-1].name
    found = []

    def walk(path):
        if path[-1] == end:
            found.append(path)
            return
        for c in children[path[-1]]:
            walk(path + [c])

    walk([start])
    return found


def chain_rule(graph, x):
    """Forward values, local derivatives, the product along each path and their sum dy/dx."""
    values = forward(graph, x)
    local = local_derivatives(graph, values)
    prods = []
    for path in paths(graph):
        prod = 1.0
        for a, b in zip(path[:-1], path[1:]):
            prod *= local[(a, b)]
        prods.append((path, prod))
    return {"values": values, "local": local, "paths": prods,
            "total": sum(p for _, p in prods)}


def numerical_derivative(graph, x, h=1e-5):
    """Central difference (y(x + h) − y(x − h)) / 2h of the graph's output."""
    out = graph[-1].name
    return (forward(graph, x + h)[out] - forward(graph, x - h)[out]) / (2 * h)


class ChainRuleExplorer:
    """Pick a composite function and a point; see values, local derivatives, path products."""

    def __init__(self, function: str = "x² · sin x  (two paths)", x: float = 1.0, h: float = 1e-5):
        # imported on first use: `import bpkit` stays fast without ipywidgets/matplotlib
        import ipywidgets as W

        self.h = h
        self.controls = {
            "function": W.Dropdown(options=list(GRAPHS), value=function, description="y(x) ="),
            "x": W.FloatSlider(value=x, min=-3.0, max=3.0, step=0.05, description="x",
                               continuous_update=False),
        }
        self.image = W.Image(format="png")
        self.table = W.HTML()
        self.figure = None
        self.result = {}
        for c in self.controls.values():
            c.observe(lambda change: self.update(), names="value")
        self.widget = W.VBox([W.HBox(list(self.controls.values())), self.image, self.table])
        self.update()

    # -- computing -----------------------------------------------------------------------------
    def compute(self):
        graph = GRAPHS[self.controls["function"].value]
        x = float(self.controls["x"].value)
        res = chain_rule(graph, x)
        res["numerical"] = numerical_derivative(graph, x, self.h)
        res["x"], res["graph"] = x, graph
        return res

    # -- drawing -------------------------------------------------------------------------------
    def _draw(self, res):
        # imported on first use: `import bpkit` stays fast without ipywidgets/matplotlib
        from matplotlib.figure import Figure

        graph, values, local = res["graph"], res["values"], res["local"]
        fig = Figure(figsize=(11, 4.2), dpi=80)
        ax, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1]})

        # layout: column = longest distance from x, rows spread within a column
        depth = {graph[0].name: 0}
        for n in graph[1:]:
            depth[n.name] = 1 + max(depth[p] for p in n.parents)
        cols = {}
        for n in graph:
            cols.setdefault(depth[n.name], []).append(n.name)
        pos = {}
        for d, names in cols.items():
            for i, name in enumerate(names):
                pos[name] = (d, (len(names) - 1) / 2 - i)
        for (p, c), g in local.items():
            (x0, y0), (x1, y1) = pos[p], pos[c]
            skip = depth[c] - depth[p] > 1          # long edges bend below the nodes they skip
            rad = 0.5 if skip else 0.0
            ax.annotate("", xy=(x1 - 0.22, y1), xytext=(x0 + 0.22, y0),
                        arrowprops=dict(arrowstyle="->", color="tab:red", lw=1.5,
                                        connectionstyle=f"arc3,rad={rad}"))
            ym = (y0 + y1) / 2 - (rad * (x1 - x0) / 2 + 0.15 if skip else -0.12)
            ax.text((x0 + x1) / 2, ym, f"∂{c}/∂{p} = {g:.3g}",
                    ha="center", fontsize=9, color="tab:red")
        for n in graph:
            px, py = pos[n.name]
            ax.text(px, py, f"{n.label}\n= {values[n.name]:.4g}", ha="center", va="center",
                    fontsize=9, bbox=dict(boxstyle="round", fc="tab:blue", alpha=0.15))
        ax.set_xlim(-0.5, max(depth.values()) + 0.5)
        ax.set_ylim(-1.6, 1.2)
        ax.axis("off")
        ax.set_title("forward values (boxes), local derivatives (red edges)")

        # the function and the tangent whose slope the chain rule gives
        xs = [-3 + 6 * i / 200 for i in range(201)]
        out = graph[-1].name
        ys = [forward(graph, t)[out] for t in xs]
        x0, y0 = res["x"], values[out]
        ax2.plot(xs, ys, label="y(x)")
        ax2.plot([x0 - 0.8, x0 + 0.8], [y0 - 0.8 * res["total"], y0 + 0.8 * res["total"]],
                 "--", color="tab:red", label=f"tangent, slope = Σ paths = {res['total']:.4g}")
        ax2.plot([x0], [y0], "o", color="tab:red")
        ax2.set_xlabel("x")
        ax2.set_ylabel("y")
        ax2.set_title(f"numerical dy/dx = {res['numerical']:.6g}")
        ax2.legend(fontsize=8, loc="best")
        fig.tight_layout()
        return fig

    def _html(self, res):
        graph, values, local = res["graph"], res["values"], res["local"]
        rows = []
        for n in graph:
            grads = ", ".join(f"∂{n.name}/∂{p} = {local[(p, n.name)]:.6g}" for p in n.parents)
            rows.append(f"<tr><td>{n.label}</td><td>{values[n.name]:.6g}</td><td>{grads}</td></tr>")
        prow = "".join(
            f"<tr><td>{' → '.join(p)}</td><td>{' · '.join(f'{local[(a, b)]:.4g}' for a, b in zip(p[:-1], p[1:]))}"
            f"</td><td>{prod:.6g}</td></tr>" for p, prod in res["paths"])
        return (
            "<table><tr><th>node</th><th>value</th><th>local derivatives</th></tr>"
            + "".join(rows) + "</table>"
            "<table><tr><th>path</th><th>local derivatives</th><th>product</th></tr>" + prow
            + "</table>"
            f"<p>chain rule (sum over paths): <b>{res['total']:.10g}</b> &nbsp; "
            f"central difference (h = {self.h:g}): <b>{res['numerical']:.10g}</b> &nbsp; "
            f"difference: {abs(res['total'] - res['numerical']):.2e}</p>")

    def update(self):
        """Recompute, redraw the figure into the PNG image, and rewrite the table."""
        res = self.compute()
        fig = self._draw(res)
        # imported on first use: `import bpkit` stays fast without ipywidgets/matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        self.figure, self.result = fig, res
        self.image.value = buf.getvalue()
        self.table.value = self._html(res)
