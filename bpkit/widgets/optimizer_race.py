"""Optimiser race (lecture 12): SGD, momentum, RMSProp and Adam on one two-weight landscape.

    from bpkit.widgets.optimizer_race import OptimizerRace
    OptimizerRace().widget          # display in a notebook

Controls: the landscape, a common factor on every optimiser's learning rate, β (momentum and Adam's
β1), ρ (RMSProp, and Adam's β2), the number of steps. Every optimiser is the engine's own class
(bpkit.optim.SGD, Momentum, RMSProp, Adam) stepping a single parameter array w = (w1, w2); the
landscapes:

    valley      C(w) = ½ (0.2 w1² + 20 w2²)              curvatures 0.2 and 20 along the axes
    rotated     the same valley turned by 45°             the same curvatures, directions mixed
    banana      C(w) = (1 − w1)² + 10 (w2 − w1²)²         Rosenbrock's curved valley, minimum (1, 1)

numpy only at import; matplotlib and ipywidgets are imported inside the class.
"""
from __future__ import annotations

import io

import numpy as np

from bpkit.optim import SGD, Adam, Momentum, RMSProp

_R = np.array([[np.cos(np.pi / 4), -np.sin(np.pi / 4)], [np.sin(np.pi / 4), np.cos(np.pi / 4)]])
_H_VALLEY = np.diag([0.2, 20.0])
_H_ROTATED = _R @ _H_VALLEY @ _R.T


def _quadratic(H):
    return (lambda w: 0.5 * float(w @ H @ w)), (lambda w: H @ w)


def _banana_cost(w):
    return float((1 - w[0]) ** 2 + 10 * (w[1] - w[0] ** 2) ** 2)


def _banana_grad(w):
    return np.array([-2 * (1 - w[0]) - 40 * w[0] * (w[1] - w[0] ** 2), 20 * (w[1] - w[0] ** 2)])


# name -> (cost, gradient, start, minimum, plot box (w1 range, w2 range))
LANDSCAPES = {
    "valley": (*_quadratic(_H_VALLEY), (-4.0, 1.0), (0.0, 0.0), ((-4.5, 1.5), (-1.5, 1.5))),
    "rotated": (*_quadratic(_H_ROTATED), (-4.0, 1.0), (0.0, 0.0), ((-4.5, 2.5), (-2.5, 2.5))),
    "banana": (_banana_cost, _banana_grad, (-1.2, 1.0), (1.0, 1.0), ((-1.6, 1.6), (-0.6, 1.6))),
}

# each optimiser's learning rate at factor 1: near its best on the valley
BASE_ETA = {"SGD": 0.09, "momentum": 0.02, "RMSProp": 0.1, "Adam": 0.1}


def make_optimisers(factor=1.0, beta=0.9, rho=0.99):
    """The four engine optimisers, each at BASE_ETA · factor."""
    return {"SGD": SGD(eta=BASE_ETA["SGD"] * factor),
            "momentum": Momentum(eta=BASE_ETA["momentum"] * factor, beta=beta),
            "RMSProp": RMSProp(eta=BASE_ETA["RMSProp"] * factor, rho=rho),
            "Adam": Adam(eta=BASE_ETA["Adam"] * factor, beta1=beta, beta2=rho)}


def race(landscape="valley", factor=1.0, beta=0.9, rho=0.99, steps=100):
    """Run every optimiser from the landscape's start. Returns {name: (path (steps+1, 2), costs)}."""
    cost, grad, start, _, _ = LANDSCAPES[landscape]
    out = {}
    for name, opt in make_optimisers(factor, beta, rho).items():
        w = np.array(start, dtype=float)
        path = [w.copy()]
        for _ in range(steps):
            g = grad(w)
            if not np.all(np.isfinite(g)) or np.abs(w).max() > 1e6:
                break                                           # diverged: stop drawing it
            opt.step([w], [g])                                  # the engine's update, in place
            path.append(w.copy())
        path = np.array(path)
        out[name] = (path, np.array([cost(p) for p in path]))
    return out


class OptimizerRace:
    """Landscape, learning-rate factor, β, ρ, steps -> four optimisers' paths and costs, live."""

    def __init__(self, landscape="valley", factor=1.0, beta=0.9, rho=0.99, steps=100):
        # imported on first use: `import bpkit` stays fast without ipywidgets/matplotlib
        import ipywidgets as w
        self.controls = {
            "landscape": w.Dropdown(options=list(LANDSCAPES), value=landscape, description="landscape"),
            "factor": w.FloatLogSlider(value=factor, base=10, min=-1.5, max=1, step=0.05,
                                       description="η × factor"),
            "beta": w.FloatSlider(value=beta, min=0.0, max=0.99, step=0.01, description="β, β1"),
            "rho": w.FloatSlider(value=rho, min=0.5, max=0.999, step=0.001, readout_format=".3f",
                                 description="ρ, β2"),
            "steps": w.IntSlider(value=steps, min=10, max=400, step=10, description="steps"),
        }
        self.image = w.Image(format="png")
        self.summary = w.HTML()
        self.result = None
        for c in self.controls.values():
            c.observe(lambda change: self.update(), names="value")
        self.widget = w.HBox([w.VBox(list(self.controls.values()) + [self.summary]), self.image])
        self.update()

    def values(self):
        return {k: c.value for k, c in self.controls.items()}

    def update(self):
        """Rerun the race and redraw the figure into the Image widget."""
        # imported on first use: `import bpkit` stays fast without matplotlib
        from matplotlib.figure import Figure
        v = self.values()
        r = race(**v)
        self.result = r
        cost, _, _, minimum, ((x0, x1), (y0, y1)) = LANDSCAPES[v["landscape"]]
        fig = Figure(figsize=(10, 3.8), dpi=80)
        ax, bx = fig.subplots(1, 2)
        g1, g2 = np.meshgrid(np.linspace(x0, x1, 160), np.linspace(y0, y1, 160))
        C = np.array([[cost(np.array([a, b])) for a, b in zip(ra, rb)] for ra, rb in zip(g1, g2)])
        ax.contour(g1, g2, C, levels=np.geomspace(max(C.min(), 1e-3), C.max(), 15), colors="0.8",
                   linewidths=0.7)
        for name, (path, costs) in r.items():
            ax.plot(path[:, 0], path[:, 1], ".-", ms=2, lw=0.8, label=name)
            bx.semilogy(np.maximum(costs, 1e-16), label=name)
        ax.plot(*minimum, "k*", ms=10)
        ax.set(xlim=(x0, x1), ylim=(y0, y1), xlabel="$w_1$", ylabel="$w_2$",
               title=f"paths on the {v['landscape']}")
        ax.legend(fontsize=7, loc="lower right")
        bx.set(xlabel="step", ylabel="cost C(w)", title="cost per step (log scale)")
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        self.image.value = buf.getvalue()
        rows = "".join(f"<tr><td>{name}</td><td>{BASE_ETA[name] * v['factor']:.3g}</td>"
                       f"<td>{costs[-1]:.3g}</td><td>{len(costs) - 1}</td></tr>"
                       for name, (_, costs) in r.items())
        self.summary.value = ("<table><tr><th>optimiser</th><th>η</th><th>final cost</th><th>steps</th>"
                              f"</tr>{rows}</table>")
        return self
