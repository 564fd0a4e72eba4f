"""Loss-landscape viewer (Li et al. 2017, "Visualizing the Loss Landscape of Neural Nets").

Train a deep plain and a deep residual tanh network on the same small regression set, then look at
the cost around the trained parameters p* (all of them as one vector) along random directions:

    f(t₁)     = C(p* + t₁ d₁)               (1-D slice)
    f(t₁, t₂) = C(p* + t₁ d₁ + t₂ d₂)       (2-D slice, drawn as contours)

(Li et al. write θ* and α, β; the course keeps those letters for other meanings.)

Each direction is *filter-normalised*: for a dense layer every row (one neuron's incoming weights)
of the random direction D^[l] is rescaled to the norm of the same row of W^[l],

    D^[l]_j ← D^[l]_j / ‖D^[l]_j‖ · ‖W^[l]_j‖,

so that t₁ = 1 means "a step as large as the weights themselves" in every neuron. Bias directions
are 0 (Li et al. leave biases out).

    from bpkit.widgets.loss_landscape import LossLandscapeViewer
    LossLandscapeViewer().widget          # display in a notebook

The network: a^[1] = x ∈ R², an input layer a^[2] = tanh(W^[2] a^[1] + b^[2]) of width n, then
`depth` blocks of width n,
    plain     a^[l] = tanh(W^[l] a^[l-1] + b^[l])
    residual  a^[l] = a^[l-1] + tanh(W^[l] a^[l-1] + b^[l]),
and a linear output a^[L] = W^[L] a^[L-1] + b^[L]; cost C = (1/N) Σ ½‖a^[L] − y‖² (9).
numpy only at import; matplotlib and ipywidgets are imported inside the class.
"""
from __future__ import annotations

import io

import numpy as np

DEPTH, WIDTH = 12, 8


# ------------------------------------------------------------------ data and network
def make_data(n=64, seed=0):
    """A small 2-D regression set: y = sin(2 x₁) cos(x₂) at n random points of [-1.5, 1.5]²."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.5, 1.5, size=(2, n))
    Y = (np.sin(2 * X[0]) * np.cos(X[1]))[None, :]
    return X, Y


def init_params(depth=DEPTH, width=WIDTH, n_in=2, n_out=1, seed=0, block_gain=0.5, out_gain=0.2):
    """[(W, b), ...]: input layer, `depth` blocks, linear output layer, biases 0.

    W ~ gain · N(0, 1/n_in) (Xavier-like), gain 1 for the input layer, `block_gain` for the blocks
    (small weights: the regime where a plain stack loses its signal) and `out_gain` for the output.
    """
    rng = np.random.default_rng(seed)
    sizes = [n_in] + [width] * (depth + 1) + [n_out]
    gains = [1.0] + [block_gain] * depth + [out_gain]
    return [(g * rng.normal(size=(o, i)) / np.sqrt(i), np.zeros((o, 1)))
            for g, i, o in zip(gains, sizes[:-1], sizes[1:])]


def forward(params, X, residual):
    """Activations a^[1..L] and weighted inputs z^[2..L] (lists, zs[k] feeds acts[k + 1])."""
    acts, zs = [X], []
    last = len(params) - 1
    for k, (W, b) in enumerate(params):
        z = W @ acts[-1] + b                                   # (19)
        zs.append(z)
        if k == last:
            acts.append(z)                                     # linear output
        elif residual and 0 < k:
            acts.append(acts[-1] + np.tanh(z))                 # a^[l-1] + tanh(z^[l])
        else:
            acts.append(np.tanh(z))                            # (20)
    return zs, acts


def loss(params, X, Y, residual):
    """C = (1/N) Σ ½‖a^[L] − y‖²  (9)."""
    return 0.5 * float(np.sum((forward(params, X, residual)[1][-1] - Y) ** 2)) / X.shape[1]


def loss_and_grads(params, X, Y, residual):
    """Cost and [(∂C/∂W, ∂C/∂b), ...] by backpropagation (Lemma 1 plus the skip's identity term)."""
    zs, acts = forward(params, X, residual)
    N = X.shape[1]
    g = (acts[-1] - Y) / N                                     # ∂C/∂a^[L]
    grads = [None] * len(params)
    last = len(params) - 1
    for k in reversed(range(len(params))):
        W, _ = params[k]
        delta = g if k == last else g * (1 - np.tanh(zs[k]) ** 2)   # (22), (23)
        grads[k] = (delta @ acts[k].T, delta.sum(axis=1, keepdims=True))   # (25), (24)
        g_prev = W.T @ delta
        if residual and 0 < k < last:
            g_prev = g_prev + g                                # identity term of the skip
        g = g_prev
    return 0.5 * float(np.sum((acts[-1] - Y) ** 2)) / N, grads


def train(params, X, Y, residual, eta=0.05, n_iter=300):
    """Full-batch gradient descent; returns (trained params, loss curve, per-layer ‖∂C/∂W‖ at the start)."""
    params = [(W.copy(), b.copy()) for W, b in params]
    curve, norms0 = [], None
    for _ in range(n_iter):
        c, grads = loss_and_grads(params, X, Y, residual)
        if norms0 is None:
            norms0 = [float(np.linalg.norm(dW)) for dW, _ in grads]
        curve.append(c)
        for (W, b), (dW, db) in zip(params, grads):
            W -= eta * dW
            b -= eta * db
    return params, np.array(curve), np.array(norms0)


# ------------------------------------------------------------------ directions and slices
def filter_normalise(D, W):
    """Rescale every row of the direction D to the norm of the same row of W (Li et al. 2017)."""
    D = np.asarray(D, dtype=float)
    rows_D = np.linalg.norm(D, axis=1, keepdims=True)
    rows_W = np.linalg.norm(W, axis=1, keepdims=True)
    return D / np.where(rows_D == 0, 1.0, rows_D) * rows_W


def random_direction(params, seed):
    """A filter-normalised Gaussian direction, one (D, 0) pair per layer (bias directions are 0)."""
    rng = np.random.default_rng(seed)
    return [(filter_normalise(rng.normal(size=W.shape), W), np.zeros_like(b)) for W, b in params]


def shifted(params, directions, coeffs):
    """p* + Σ_k coeffs[k] · directions[k]."""
    out = []
    for k, (W, b) in enumerate(params):
        W2, b2 = W.copy(), b.copy()
        for d, c in zip(directions, coeffs):
            W2 += c * d[k][0]
            b2 += c * d[k][1]
        out.append((W2, b2))
    return out


def slice_1d(params, X, Y, residual, d1, t1s):
    """f(t₁) = C(p* + t₁ d₁) for every t₁."""
    return np.array([loss(shifted(params, [d1], [a]), X, Y, residual) for a in t1s])


def slice_2d(params, X, Y, residual, d1, d2, t1s, t2s=None):
    """F[i, j] = C(p* + t₁ᵢ d₁ + t₂ⱼ d₂); rows are t₁, columns t₂."""
    t2s = t1s if t2s is None else t2s
    return np.array([[loss(shifted(params, [d1, d2], [a, b]), X, Y, residual) for b in t2s]
                     for a in t1s])


# ------------------------------------------------------------------ the viewer
class LossLandscapeViewer:
    """Choose the network (plain / residual), the direction seed and the grid resolution."""

    def __init__(self, network="residual", seed=0, resolution=21, span=1.0, depth=DEPTH,
                 width=WIDTH, n_iter=300, eta=0.05):
        # imported on first use: `import bpkit` stays fast without ipywidgets/matplotlib
        import ipywidgets as W

        self.span, self.depth, self.width = span, depth, width
        self.X, self.Y = make_data()
        init = init_params(depth, width)
        self.trained = {}
        for name in ("plain", "residual"):
            p, curve, norms = train(init, self.X, self.Y, name == "residual", eta, n_iter)
            self.trained[name] = {"params": p, "curve": curve, "norms0": norms}
        self.controls = {
            "network": W.Dropdown(options=["plain", "residual"], value=network, description="network"),
            "seed": W.IntSlider(value=seed, min=0, max=20, description="direction seed",
                                continuous_update=False),
            "resolution": W.IntSlider(value=resolution, min=7, max=41, step=2, description="resolution",
                                      continuous_update=False),
        }
        self.image = W.Image(format="png")
        self.figure = None
        self.result = {}
        for c in self.controls.values():
            c.observe(lambda change: self.update(), names="value")
        self.widget = W.VBox([W.HBox(list(self.controls.values())), self.image])
        self.update()

    def compute(self):
        name = self.controls["network"].value
        seed = int(self.controls["seed"].value)
        res = int(self.controls["resolution"].value) | 1          # odd, so that 0 is on the grid
        params = self.trained[name]["params"]
        d1 = random_direction(params, seed)
        d2 = random_direction(params, seed + 1000)
        ts = np.linspace(-self.span, self.span, res)
        residual = name == "residual"
        return {"network": name, "seed": seed, "ts": ts, "d1": d1, "d2": d2,
                "params": params,
                "surface": slice_2d(params, self.X, self.Y, residual, d1, d2, ts),
                "line": slice_1d(params, self.X, self.Y, residual, d1, np.linspace(-self.span, self.span, 81)),
                "centre": loss(params, self.X, self.Y, residual)}

    def _draw(self, r):
        # imported on first use: `import bpkit` stays fast without ipywidgets/matplotlib
        from matplotlib.figure import Figure

        fig = Figure(figsize=(10, 4), dpi=80)
        ax1, ax2 = fig.subplots(1, 2)
        A = r["ts"]
        levels = np.quantile(r["surface"], np.linspace(0, 1, 15))
        cs = ax1.contourf(A, A, r["surface"].T, levels=np.unique(levels), cmap="viridis")
        fig.colorbar(cs, ax=ax1, label="cost C", format="%.3g")
        ax1.plot(0, 0, "r*", ms=12, label=f"trained p*, C = {r['centre']:.3g}")
        ax1.set_xlabel("t₁ (direction d₁)")
        ax1.set_ylabel("t₂ (direction d₂)")
        ax1.set_title(f"{r['network']} network, depth {self.depth}: C(p* + t₁ d₁ + t₂ d₂)")
        ax1.legend(loc="upper right", fontsize=8)
        xs = np.linspace(-self.span, self.span, 81)
        ax2.plot(xs, r["line"], color="tab:blue")
        ax2.plot(0, r["centre"], "r*", ms=12)
        ax2.set_xlabel("t₁")
        ax2.set_ylabel("cost C")
        ax2.set_title("1-D slice C(p* + t₁ d₁)")
        fig.tight_layout()
        return fig

    def update(self):
        self.result = self.compute()
        self.figure = self._draw(self.result)
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png")
        self.image.value = buf.getvalue()
        return self.result
