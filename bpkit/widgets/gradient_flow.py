"""Gradient flow through a deep network: per-layer gradient norms and activation histograms.

    from bpkit.widgets.gradient_flow import GradientFlow
    app = GradientFlow(); app.widget          # display in a notebook

Controls: depth, activation, init, init scale, batch norm on/off, residual on/off.
The network is a plain numpy MLP of equal widths (layer 1 is the input, examples are columns);
the backward pass is Lemma 1 of Applied Mathematics lecture 5, δ^[l] = D^[l] (W^[l+1])ᵀ δ^[l+1]
(eq. (23)), with batch norm (bpkit.layers.BatchNorm: γ = 1, β = 0, train mode) and residual
connections a^[l] = a^[l-1] + σ(z^[l]) when switched on.
"""
from __future__ import annotations

import io

import numpy as np

from bpkit.layers import BatchNorm

ACTS = {
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)),
                lambda z: (1 / (1 + np.exp(-z))) * (1 - 1 / (1 + np.exp(-z)))),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float)),
}

INITS = {  # standard deviation of the entries of W (n_out, n_in)
    "normal": lambda n_in: 1.0,             # N(0, 1): no fan-in scaling at all
    "xavier": lambda n_in: np.sqrt(1.0 / n_in),
    "he": lambda n_in: np.sqrt(2.0 / n_in),
    "zeros": lambda n_in: 0.0,
}


def measure(depth=10, activation="sigmoid", init="xavier", scale=1.0, batchnorm=False,
            residual=False, width=64, batch=128, seed=0, eps=1e-5):
    """One forward and backward pass; returns per-layer gradient norms and activations.

    depth = number of weight layers (L - 1). Returns a dict with
      "layers":   [2, ..., L]
      "grad_norms": ‖∂C/∂W^[l]‖_F for l = 2..L   (C = quadratic cost (9), averaged over the batch)
      "delta_norms": ‖δ^[l]‖_F for l = 2..L
      "activations": [a^[2], ..., a^[L-1]] (hidden layers)
    """
    rng = np.random.default_rng(seed)
    f, fp = ACTS[activation]
    std = INITS[init](width) * scale
    x = rng.normal(size=(width, batch))
    y = rng.normal(size=(1, batch))
    Ws = [rng.normal(size=(width, width)) * std for _ in range(depth - 1)]
    Ws.append(rng.normal(size=(1, width)) * (INITS[init](width) * scale if init != "zeros" else 0.0))
    # forward: hidden layers l = 2..L-1, output layer L linear
    a, caches, acts = x, [], []
    for W in Ws[:-1]:
        u = W @ a                                          # (19), bias 0
        if batchnorm:                                      # γ = 1, β = 0: the engine's layer
            bn = BatchNorm(width, eps=eps)
            z, bn_cache = bn.forward(u, train=True)
        else:
            bn, bn_cache, z = None, None, u
        h = f(z)                                           # (20)
        a_new = a + h if residual else h
        caches.append((a, bn, bn_cache, z))
        acts.append(a_new)
        a = a_new
    out = Ws[-1] @ a
    dout = (out - y) / batch                               # gradient of (9)
    grads, deltas = [None] * depth, [None] * depth
    grads[-1] = dout @ a.T                                 # (25)
    deltas[-1] = dout
    da = Ws[-1].T @ dout
    for i in range(depth - 2, -1, -1):
        a_prev, bn, bn_cache, z = caches[i]
        dz = fp(z) * da                                    # D^[l] (W^[l+1])ᵀ δ^[l+1]   (23)
        du = bn.backward(dz, bn_cache) if bn is not None else dz
        deltas[i] = du
        grads[i] = du @ a_prev.T                           # (25)
        da = Ws[i].T @ du + (da if residual else 0)
    return {"layers": list(range(2, depth + 2)),
            "grad_norms": np.array([np.linalg.norm(g) for g in grads]),
            "delta_norms": np.array([np.linalg.norm(d) for d in deltas]),
            "activations": acts}


class GradientFlow:
    """Depth, activation, init scale, batch norm, residual → gradient norms per layer, live."""

    def __init__(self, depth=10, activation="sigmoid", init="xavier", scale=1.0,
                 batchnorm=False, residual=False, width=64, batch=128, seed=0):
        # imported on first use: `import bpkit` stays fast without ipywidgets/matplotlib
        import ipywidgets as w
        self.width, self.batch, self.seed = width, batch, seed
        self.controls = {
            "depth": w.IntSlider(value=depth, min=2, max=30, description="depth"),
            "activation": w.Dropdown(options=list(ACTS), value=activation, description="activation"),
            "init": w.Dropdown(options=list(INITS), value=init, description="init"),
            "scale": w.FloatLogSlider(value=scale, base=10, min=-1, max=1, step=0.05,
                                      description="init × scale"),
            "batchnorm": w.Checkbox(value=batchnorm, description="batch norm"),
            "residual": w.Checkbox(value=residual, description="residual"),
        }
        self.image = w.Image(format="png")
        self.summary = w.HTML()
        self.result = None
        self.figure = None
        for c in self.controls.values():
            c.observe(lambda change: self.update(), names="value")
        self.widget = w.HBox([w.VBox(list(self.controls.values()) + [self.summary]), self.image])
        self.update()

    def values(self):
        return {k: c.value for k, c in self.controls.items()}

    def update(self):
        """Recompute the pass and redraw the figure into the Image widget."""
        # imported on first use: `import bpkit` stays fast without ipywidgets/matplotlib
        import matplotlib
        from matplotlib.figure import Figure
        matplotlib.rcParams.setdefault("figure.dpi", 80)
        v = self.values()
        r = measure(width=self.width, batch=self.batch, seed=self.seed, **v)
        self.result = r
        fig = Figure(figsize=(9, 3.4), dpi=80)
        ax1, ax2 = fig.subplots(1, 2)
        norms = np.maximum(r["grad_norms"], 1e-300)
        ax1.semilogy(r["layers"], norms, "o-")
        ax1.set_xlabel("layer l  (2 = first weight layer, next to the input)")
        ax1.set_ylabel("‖∂C/∂W^[l]‖")
        ax1.set_title("gradient norm per layer")
        ax1.grid(True, which="both", alpha=0.3)
        acts = r["activations"]
        if acts:
            picks = sorted({0, len(acts) // 2, len(acts) - 1})
            for i in picks:
                ax2.hist(acts[i].ravel(), bins=40, alpha=0.5, label=f"a^[{i + 2}]")
            ax2.legend(fontsize=8)
        ax2.set_xlabel("activation value")
        ax2.set_ylabel("count")
        ax2.set_title("hidden activations")
        fig.suptitle(f"{v['activation']}, {v['init']}×{v['scale']:.2g}, depth {v['depth']}"
                     + (", BN" if v["batchnorm"] else "") + (", residual" if v["residual"] else ""))
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        self.figure = fig
        self.image.value = buf.getvalue()
        ratio = norms[0] / norms[-1]
        self.summary.value = (f"first / last layer gradient norm: <b>{ratio:.3g}</b><br>"
                              f"‖∂C/∂W^[2]‖ = {norms[0]:.3g}")
        return self
