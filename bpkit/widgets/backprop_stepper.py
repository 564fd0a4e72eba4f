"""Backprop stepper: a small network drawn with its weights; step forward, then backward.

Each press of "step" applies one equation of Applied Mathematics lecture 5 to one layer and shows it beside the picture:
forward, z^[l] = W^[l] a^[l−1] + b^[l] (19) and a^[l] = σ(z^[l]) (20) per node; backward,
δ^[L] = σ′(z^[L]) ∘ (a^[L] − y) (22), δ^[l] = σ′(z^[l]) ∘ (W^[l+1])ᵀ δ^[l+1] (23), then
∂C/∂b^[l] = δ^[l] (24) per node and ∂C/∂W^[l] = δ^[l] (a^[l−1])ᵀ (25) per edge.
The cost is that of one example, C = ½‖y − a^[L]‖² (18).

    from bpkit.widgets.backprop_stepper import BackpropStepper
    BackpropStepper().widget          # display in a notebook

matplotlib and ipywidgets are imported inside the class, never at ``import bpkit``.
"""
from __future__ import annotations

import io

import numpy as np


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _sigmoid_prime(z):
    s = _sigmoid(z)
    return s * (1.0 - s)


def make_network(sizes=(2, 3, 2), seed=0):
    """Weights, biases, one input x and its target y: params {"W2", "b2", ...}, x (n1, 1), y (nL, 1)."""
    rng = np.random.default_rng(seed)
    params = {}
    for l in range(2, len(sizes) + 1):
        params[f"W{l}"] = np.round(rng.normal(size=(sizes[l - 1], sizes[l - 2])), 2)
        params[f"b{l}"] = np.round(rng.normal(size=(sizes[l - 1], 1)), 2)
    x = np.round(rng.random((sizes[0], 1)), 2)
    y = np.zeros((sizes[-1], 1))
    y[rng.integers(sizes[-1])] = 1.0
    return params, x, y


def cost(params, x, y):
    """C = ½‖y − a^[L]‖² for one example (18)."""
    L = 1 + len(params) // 2
    a = x
    for l in range(2, L + 1):
        a = _sigmoid(params[f"W{l}"] @ a + params[f"b{l}"])
    return 0.5 * float(np.sum((y - a) ** 2))


def schedule(L):
    """The steps, in order: (kind, layer)."""
    steps = [("forward", l) for l in range(2, L + 1)]
    steps.append(("delta_L", L))
    steps.append(("grads", L))
    for l in range(L - 1, 1, -1):
        steps.append(("delta", l))
        steps.append(("grads", l))
    return steps


def run(params, x, y, n_steps):
    """Apply the first n_steps steps; return what is known: {"z", "a", "delta", "dW", "db"} by layer."""
    L = 1 + len(params) // 2
    known = {"z": {}, "a": {1: x}, "delta": {}, "dW": {}, "db": {}}
    for kind, l in schedule(L)[:n_steps]:
        if kind == "forward":
            known["z"][l] = params[f"W{l}"] @ known["a"][l - 1] + params[f"b{l}"]       # (19)
            known["a"][l] = _sigmoid(known["z"][l])                                        # (20)
        elif kind == "delta_L":
            known["delta"][l] = _sigmoid_prime(known["z"][l]) * (known["a"][l] - y)       # (22)
        elif kind == "delta":
            known["delta"][l] = _sigmoid_prime(known["z"][l]) * (params[f"W{l + 1}"].T @ known["delta"][l + 1])  # (23)
        else:
            known["db"][l] = known["delta"][l]                                             # (24)
            known["dW"][l] = known["delta"][l] @ known["a"][l - 1].T                       # (25)
    return known


_EQUATIONS = {
    "start": (r"press step: the forward pass starts at layer 2", ""),
    "forward": (r"$z^{[l]} = W^{[l]} a^{[l-1]} + b^{[l]}$   (19)" "\n" r"$a^{[l]} = \sigma(z^{[l]})$   (20)",
                "forward pass, layer {l}"),
    "delta_L": (r"$\delta^{[L]} = \sigma'(z^{[L]}) \circ (a^{[L]} - y)$   (22)", "output error, layer L = {l}"),
    "delta": (r"$\delta^{[l]} = \sigma'(z^{[l]}) \circ (W^{[l+1]})^T \delta^{[l+1]}$   (23)",
              "error sent back to layer {l}"),
    "grads": (r"$\partial C / \partial b^{[l]} = \delta^{[l]}$   (24)" "\n"
              r"$\partial C / \partial W^{[l]} = \delta^{[l]} (a^{[l-1]})^T$   (25)", "gradients of layer {l}"),
}


class BackpropStepper:
    """Step a small sigmoid network forward (z, a per node) and backward (δ per node, ∂C/∂w per edge)."""

    def __init__(self, sizes=(2, 3, 2), seed: int = 0):
        # imported on first use: `import bpkit` stays fast without ipywidgets/matplotlib
        import ipywidgets as W

        self.sizes = tuple(sizes)
        self.L = len(self.sizes)
        self.steps = schedule(self.L)
        self.controls = {
            "step": W.Button(description="step ▶", button_style="primary"),
            "reset": W.Button(description="reset ⟲"),
            "stage": W.IntSlider(value=0, min=0, max=len(self.steps), description="steps done",
                                 continuous_update=False),
            "seed": W.IntSlider(value=seed, min=0, max=20, description="weights seed",
                                continuous_update=False),
        }
        self.controls["step"].on_click(lambda _: self.step())
        self.controls["reset"].on_click(lambda _: self.reset())
        self.controls["stage"].observe(lambda change: self.update(), names="value")
        self.controls["seed"].observe(lambda change: self._new_network(), names="value")
        self.image = W.Image(format="png")
        self.table = W.HTML()
        self.figure = None
        self.texts = []
        self.widget = W.VBox([W.HBox(list(self.controls.values())), self.image, self.table])
        self._new_network(draw=False)
        self.update()

    # -- state ---------------------------------------------------------------------------------
    def _new_network(self, draw=True):
        self.params, self.x, self.y = make_network(self.sizes, self.controls["seed"].value)
        if draw:
            self.update()

    def step(self):
        """Apply the next equation (no-op after the last one)."""
        s = self.controls["stage"]
        s.value = min(s.value + 1, s.max)

    def reset(self):
        """Back to the start: nothing computed yet."""
        self.controls["stage"].value = 0

    @property
    def current(self):
        """The step just applied, (kind, layer), or ("start", None)."""
        n = self.controls["stage"].value
        return self.steps[n - 1] if n else ("start", None)

    # -- drawing -------------------------------------------------------------------------------
    def _positions(self):
        pos = {}
        for l, n in enumerate(self.sizes, start=1):
            for j in range(n):
                pos[(l, j)] = (2.2 * (l - 1), (n - 1) / 2 - j)
        return pos

    def _draw(self):
        # imported on first use: `import bpkit` stays fast without ipywidgets/matplotlib
        from matplotlib.figure import Figure

        known, (kind, layer) = self.shown, self.current
        pos = self._positions()
        fig = Figure(figsize=(12, 5.2), dpi=80)
        ax, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2.2, 1]})
        for l in range(2, self.L + 1):
            W_ = self.params[f"W{l}"]
            dW = known["dW"].get(l)
            for j in range(self.sizes[l - 1]):
                for k in range(self.sizes[l - 2]):
                    (x0, y0), (x1, y1) = pos[(l - 1, k)], pos[(l, j)]
                    hot = dW is not None
                    ax.plot([x0, x1], [y0, y1], color="tab:red" if hot else "0.6", lw=1.0, zorder=1)
                    t = 0.3 + 0.4 * j / max(self.sizes[l - 1] - 1, 1)   # spread labels along the edges
                    label = f"w={W_[j, k]:.2f}"
                    if hot:
                        label += f"\n∂C/∂w={dW[j, k]:.4f}"
                    self.texts.append(ax.text(x0 + t * (x1 - x0), y0 + t * (y1 - y0), label, fontsize=7,
                                              ha="center", va="center", color="tab:red" if hot else "0.3",
                                              bbox=dict(fc="white", ec="none", alpha=0.75, pad=0.5), zorder=2))
        for (l, j), (px, py) in pos.items():
            lines = [f"a={self.x[j, 0]:.3f}" if l == 1 else f"b={self.params[f'b{l}'][j, 0]:.2f}"]
            if l in known["z"]:
                lines += [f"z={known['z'][l][j, 0]:.4f}", f"a={known['a'][l][j, 0]:.4f}"]
            if l in known["delta"]:
                lines.append(f"δ={known['delta'][l][j, 0]:.4f}")
            if l == self.L:
                lines.append(f"y={self.y[j, 0]:.0f}")
            active = layer is not None and l == layer
            self.texts.append(ax.text(px, py, "\n".join(lines), ha="center", va="center", fontsize=8, zorder=3,
                                      bbox=dict(boxstyle="round", fc="#ffd8a8" if active else "#d0e2f2",
                                                ec="0.4")))
        for l in range(1, self.L + 1):
            ax.text(2.2 * (l - 1), max(self.sizes) / 2 + 0.15, f"layer {l}" + (" (input)" if l == 1 else ""),
                    ha="center", fontsize=9)
        ax.set_xlim(-0.8, 2.2 * (self.L - 1) + 0.8)
        ax.set_ylim(-max(self.sizes) / 2 - 0.2, max(self.sizes) / 2 + 0.45)
        ax.axis("off")
        ax.set_title("nodes: b, z, a, δ   ·   edges: w and ∂C/∂w (red once computed)", fontsize=9)

        eq, what = _EQUATIONS[kind]
        n = self.controls["stage"].value
        ax2.axis("off")
        ax2.text(0.0, 0.95, f"step {n} of {len(self.steps)}: " + what.format(l=layer), fontsize=10,
                 va="top", weight="bold")
        ax2.text(0.0, 0.78, eq, fontsize=11, va="top")
        if layer is not None:
            l = layer
            if kind == "forward":
                vals = [(f"z^[{l}]", known["z"][l]), (f"a^[{l}]", known["a"][l])]
            elif kind == "grads":
                vals = [(f"∂C/∂b^[{l}]", known["db"][l]), (f"∂C/∂W^[{l}]", known["dW"][l])]
            else:
                vals = [(f"δ^[{l}]", known["delta"][l])]
            body = "\n".join(f"{name} = " + np.array2string(v.T if v.shape[1] == 1 else v, precision=4,
                                                              suppress_small=True).replace("\n", "\n      ")
                             for name, v in vals)
            ax2.text(0.0, 0.58, body + ("\n(column vectors shown as rows)" if kind != "grads" else ""),
                     fontsize=8, va="top", family="monospace")
        ax2.text(0.0, 0.25, f"C = ½‖y − a^[L]‖² = {cost(self.params, self.x, self.y):.6f}"
                 if self.L in known["a"] else "C: needs the forward pass", fontsize=9, va="top")
        nxt = self.steps[n][0] if n < len(self.steps) else None
        ax2.text(0.0, 0.12, "next: " + (_EQUATIONS[nxt][1].format(l=self.steps[n][1]) if nxt else "done — reset"),
                 fontsize=9, va="top", color="0.4")
        fig.tight_layout()
        return fig

    def _html(self):
        known = self.shown
        rows = []
        for l in sorted(known["dW"]):
            rows.append(f"<tr><td>∂C/∂W^[{l}]</td><td><code>{np.array2string(known['dW'][l], precision=6)}</code></td>"
                        f"<td>∂C/∂b^[{l}]</td><td><code>{np.array2string(known['db'][l].ravel(), precision=6)}"
                        "</code></td></tr>")
        return "<table>" + "".join(rows) + "</table>" if rows else ""

    def update(self):
        """Recompute what the current number of steps reveals, redraw the PNG and the table."""
        # imported on first use: `import bpkit` stays fast without ipywidgets/matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.shown = run(self.params, self.x, self.y, self.controls["stage"].value)
        self.texts = []
        fig = self._draw()
        FigureCanvasAgg(fig)
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        self.figure = fig
        self.image.value = buf.getvalue()
        self.table.value = self._html()
