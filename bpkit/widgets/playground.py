"""A neural-network playground on the bpkit engine (in the spirit of TensorFlow Playground).

    from bpkit.widgets.playground import Playground
    pg = Playground(); pg.widget              # display in a notebook; press ▶

Data (circle, xor, gaussian, spiral, moons, Higham's 10 points), input features (x, y, x², y²,
xy, sin x, sin y), up to 6 hidden layers of up to 16 units, activation, learning rate, momentum,
L2, dropout, batch norm and residual connections; live views of the decision boundary (train
points with white edges, test points with black edges), train/test loss, the gradient norm
‖∂C/∂W^[l]‖ of every weight layer and the update-to-weight ratio ‖ΔW^[l]‖/‖W^[l]‖ per step
(Karpathy's rule of thumb: around 1e-3).

The network is a bpkit.network.Network (Dense, BatchNorm, Activation, Residual, Dropout; softmax
cross-entropy) trained by bpkit.optim.Momentum on shuffled minibatches. Points are rescaled so that
the data fill the box [-1, 1]²; sin x means sin(πx) there.

Everything that defines a run is in `pg.state()`, a plain JSON-serialisable dict (seed, every
control, the step count and the mid-run changes of the live controls); `pg.load_state(d)` rebuilds
that run step for step, so the same state gives the same weights and losses.
"""
from __future__ import annotations

import io
import json
import time

import numpy as np

DATASETS = ("circle", "xor", "gaussian", "spiral", "moons", "higham")
FEATURES = ("x", "y", "x2", "y2", "xy", "sinx", "siny")
FEATURE_LABELS = {"x": "x", "y": "y", "x2": "x²", "y2": "y²", "xy": "xy",
                  "sinx": "sin x", "siny": "sin y"}
ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
MAX_LAYERS, MAX_UNITS = 6, 16
N_POINTS = 200
GRID = 40                       # heatmap resolution (GRID × GRID predictions per frame)
BOX = 1.2                       # the heatmap shows [-BOX, BOX]²

DEFAULTS = {
    "seed": 0,
    "dataset": "circle",
    "noise": 0.1,
    "train_fraction": 0.5,
    "batch_size": 10,
    "features": ["x", "y"],
    "hidden": [4, 2],
    "activation": "tanh",
    "learning_rate": 0.03,
    "momentum": 0.9,
    "l2": 0.0,
    "dropout": 0.0,
    "batchnorm": False,
    "residual": False,
}
# controls that change the running network in place (recorded in "changes" when changed mid-run);
# every other key rebuilds data and network from the seed (step 0).
LIVE = ("learning_rate", "momentum", "l2", "dropout", "batch_size")
STATE_VERSION = 1


# --------------------------------------------------------------------------- config checks
def validate(cfg):
    """Return a complete, normalised copy of cfg; raise ValueError naming the bad key."""
    unknown = set(cfg) - set(DEFAULTS) - {"step", "changes", "version"}
    if unknown:
        raise ValueError(f"Playground: unknown setting(s) {sorted(unknown)}; "
                         f"known: {sorted(DEFAULTS)} (+ step, changes)")
    c = {**DEFAULTS, **{k: v for k, v in cfg.items() if k in DEFAULTS}}
    if c["dataset"] not in DATASETS:
        raise ValueError(f"Playground: dataset must be one of {list(DATASETS)}, got {c['dataset']!r}")
    if c["activation"] not in ACTIVATIONS:
        raise ValueError(f"Playground: activation must be one of {list(ACTIVATIONS)}, "
                         f"got {c['activation']!r}")
    feats = list(c["features"])
    bad = [f for f in feats if f not in FEATURES]
    if bad:
        raise ValueError(f"Playground: unknown feature(s) {bad}; choose from {list(FEATURES)}")
    if not feats:
        raise ValueError("Playground: tick at least one input feature (e.g. x and y)")
    c["features"] = [f for f in FEATURES if f in feats]           # canonical order
    hidden = list(c["hidden"])
    if len(hidden) > MAX_LAYERS:
        raise ValueError(f"Playground: at most {MAX_LAYERS} hidden layers, got {len(hidden)} "
                         f"(hidden={hidden})")
    for i, n in enumerate(hidden, 1):
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or not 1 <= n <= MAX_UNITS:
            raise ValueError(f"Playground: hidden layer {i} must have 1..{MAX_UNITS} units, got {n!r}")
    c["hidden"] = [int(n) for n in hidden]
    for k, lo, hi in (("noise", 0.0, 1.0), ("train_fraction", 0.1, 0.9), ("learning_rate", 0.0, 10.0),
                      ("momentum", 0.0, 0.999), ("l2", 0.0, 1.0), ("dropout", 0.0, 0.9)):
        v = c[k]
        if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)) \
                or not lo <= v <= hi:
            raise ValueError(f"Playground: {k} must be a number in [{lo}, {hi}], got {v!r}")
        c[k] = float(v)
    for k in ("seed", "batch_size"):
        v = c[k]
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < (1 if k == "batch_size" else 0):
            raise ValueError(f"Playground: {k} must be an int >= {1 if k == 'batch_size' else 0}, got {v!r}")
        c[k] = int(v)
    for k in ("batchnorm", "residual"):
        c[k] = bool(c[k])
    if c["batchnorm"] and c["batch_size"] < 2:
        raise ValueError("Playground: batch norm needs a batch size of at least 2 "
                         "(it estimates a variance over the batch)")
    return c


# --------------------------------------------------------------------------- data and network
def _gaussians(n, noise, rng):
    """Two Gaussian clouds at (−1, −1) (label 0) and (1, 1) (label 1), std 0.4 + 2·noise."""
    y = np.arange(n) % 2
    X = (2.0 * y - 1.0) + (0.4 + 2 * noise) * rng.standard_normal((2, n))
    return X, y.astype(np.int64)


def make_data(dataset, noise, seed, n=N_POINTS):
    """(X (2, N) rescaled to fill [-1, 1]², labels (N,)) from bpkit.data, seeded."""
    # imported on first use: `import bpkit` stays fast without ipywidgets/matplotlib
    from bpkit import data
    rng = np.random.default_rng([seed, 0])
    if dataset == "higham":
        X, Y = data.higham()
        y = np.argmax(Y, axis=0)
    elif dataset == "circle":
        X, y = data.circles(n, noise=noise, rng=rng)
    elif dataset == "xor":
        X, y = data.xor(n, noise=noise, rng=rng)
    elif dataset == "gaussian":
        X, y = _gaussians(n, noise, rng)
    elif dataset == "spiral":
        X, y = data.spirals(n, noise=noise, rng=rng)
    else:
        X, y = data.moons(n, noise=noise, rng=rng)
    lo, hi = X.min(axis=1, keepdims=True), X.max(axis=1, keepdims=True)
    X = (X - (lo + hi) / 2) / (np.max(hi - lo) / 2)                   # same scale on both axes
    return X, y.astype(np.int64)


def features(X, names):
    """Feature rows for points X (2, N): x, y, x², y², xy, sin(πx), sin(πy)."""
    u, v = X[0], X[1]
    f = {"x": lambda: u, "y": lambda: v, "x2": lambda: u * u, "y2": lambda: v * v,
         "xy": lambda: u * v, "sinx": lambda: np.sin(np.pi * u), "siny": lambda: np.sin(np.pi * v)}
    return np.vstack([f[k]() for k in names])


def build_network(cfg, n_in, n_out, rng, dropout_rng):
    """Network of hidden blocks Dense → [BatchNorm] → Activation (inside a Residual if on) →
    Dropout, then a Dense to n_out logits, softmax cross-entropy. Returns (net, dense_layers)."""
    # imported on first use: `import bpkit` stays fast without ipywidgets/matplotlib
    from bpkit.layers import Activation, BatchNorm, Dense, Dropout, Residual
    from bpkit.network import Network
    act = "identity" if cfg["activation"] == "linear" else cfg["activation"]
    init = "he" if act == "relu" else "xavier"
    layers, dense, n_prev = [], [], n_in
    for n in cfg["hidden"]:
        d = Dense(n_prev, n, init=init, rng=rng)
        block = [d] + ([BatchNorm(n)] if cfg["batchnorm"] else []) + [Activation(act)]
        if cfg["residual"]:
            layers.append(Residual(block, n_in=n_prev, rng=rng))
        else:
            layers.extend(block)
        layers.append(Dropout(cfg["dropout"], rng=dropout_rng))
        dense.append(d)
        n_prev = n
    d = Dense(n_prev, n_out, init="xavier", rng=rng)
    layers.append(d)
    dense.append(d)
    return Network(layers, loss="softmax_ce"), dense


# --------------------------------------------------------------------------- the widget
class Playground:
    """Train a small network on 2-D data and watch it learn. See the module docstring."""

    def __init__(self, figsize=(9.6, 4.6), dpi=72, **config):
        # imported on first use: `import bpkit` stays fast without ipywidgets/matplotlib
        import ipywidgets as w
        self._cfg = validate(config)
        self._figsize, self._dpi = figsize, dpi
        self._quiet = False
        self.error = ""
        self.figure = None
        self._frame_time = 0.0
        c = self._cfg
        slider = dict(continuous_update=False, style={"description_width": "initial"})
        self.controls = {
            "play": w.Play(value=0, min=0, max=10**9, step=1, interval=80, show_repeat=False,
                           description="play"),
            "step": w.Button(description="step", icon="step-forward", layout=w.Layout(width="80px")),
            "reset": w.Button(description="reset", icon="refresh", layout=w.Layout(width="80px")),
            "dataset": w.Dropdown(options=list(DATASETS), value=c["dataset"], description="data"),
            "noise": w.FloatSlider(value=c["noise"], min=0, max=0.5, step=0.01, description="noise",
                                   **slider),
            "train_fraction": w.FloatSlider(value=c["train_fraction"], min=0.1, max=0.9, step=0.1,
                                            description="train fraction", **slider),
            "batch_size": w.IntSlider(value=c["batch_size"], min=1, max=64, description="batch size",
                                      **slider),
            **{f"feature_{f}": w.Checkbox(value=f in c["features"], description=FEATURE_LABELS[f],
                                          indent=False, layout=w.Layout(width="70px"))
               for f in FEATURES},
            "layers": w.IntSlider(value=len(c["hidden"]), min=0, max=MAX_LAYERS,
                                  description="hidden layers", **slider),
            **{f"units{i}": w.IntSlider(value=(c["hidden"][i - 1] if i <= len(c["hidden"]) else 4),
                                        min=1, max=MAX_UNITS, orientation="vertical",
                                        description=f"h{i}", continuous_update=False,
                                        layout=w.Layout(width="48px", height="120px"))
               for i in range(1, MAX_LAYERS + 1)},
            "activation": w.Dropdown(options=list(ACTIVATIONS), value=c["activation"],
                                     description="activation"),
            "learning_rate": w.SelectionSlider(options=[1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3,
                                                        1.0, 3.0],
                                               value=_nearest([1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1,
                                                               0.3, 1.0, 3.0], c["learning_rate"]),
                                               description="learning rate", **slider),
            "momentum": w.FloatSlider(value=c["momentum"], min=0, max=0.99, step=0.01,
                                      description="momentum", **slider),
            "l2": w.SelectionSlider(options=[0.0, 1e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1],
                                    value=_nearest([0.0, 1e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1], c["l2"]),
                                    description="L2 λ", **slider),
            "dropout": w.FloatSlider(value=c["dropout"], min=0, max=0.8, step=0.05,
                                     description="dropout p", **slider),
            "batchnorm": w.Checkbox(value=c["batchnorm"], description="batch norm", indent=False),
            "residual": w.Checkbox(value=c["residual"], description="residual", indent=False),
            "seed": w.BoundedIntText(value=c["seed"], min=0, max=2**31 - 1, description="seed",
                                     layout=w.Layout(width="160px")),
        }
        # programmatic values outside the slider grids (e.g. lr 0.05 from a state) stay exact:
        # _cfg is the truth, the controls show the nearest value
        self.image = w.Image(format="png")
        self.status = w.HTML()
        for k, ctl in self.controls.items():
            if k == "play":
                ctl.observe(self._on_play, names="value")
            elif k in ("step", "reset"):
                continue
            else:
                ctl.observe(lambda ch, k=k: self._on_control(k, ch["new"]), names="value")
        self.controls["step"].on_click(lambda b: self.step())
        self.controls["reset"].on_click(lambda b: self.reset())
        C = self.controls
        self._units_box = w.HBox([C[f"units{i}"] for i in range(1, MAX_LAYERS + 1)],
                                layout=w.Layout(height="150px", overflow="visible", padding="4px 0"))
        box = lambda title, kids: w.VBox([w.HTML(f"<b>{title}</b>")] + kids)   # noqa: E731
        left = w.VBox([
            w.HBox([C["play"], C["step"], C["reset"]]),
            box("data", [C["dataset"], C["noise"], C["train_fraction"], C["batch_size"], C["seed"]]),
            box("features", [w.HBox([C[f"feature_{f}"] for f in FEATURES[:4]]),
                             w.HBox([C[f"feature_{f}"] for f in FEATURES[4:]])]),
            box("network", [C["layers"], self._units_box, C["activation"],
                            w.HBox([C["batchnorm"], C["residual"]])]),
            box("training", [C["learning_rate"], C["momentum"], C["l2"], C["dropout"]]),
        ], layout=w.Layout(width="330px"))
        self.widget = w.HBox([left, w.VBox([self.image, self.status])])
        self._show_units()
        self._setup_figure()
        self.reset()

    # ------------------------------------------------------------------ configuration
    def config(self):
        """The current settings (a copy; no step count): see DEFAULTS for the keys."""
        return json.loads(json.dumps(self._cfg))

    def state(self):
        """Everything needed to reproduce this run: settings, seed, step count, mid-run changes."""
        return {"version": STATE_VERSION, **self.config(), "step": self.steps,
                "changes": [list(ch) for ch in self._changes]}

    def export_state(self):
        """state() as a JSON string."""
        return json.dumps(self.state(), sort_keys=True)

    def load_state(self, state):
        """Rebuild the run described by state (a dict or a JSON string): same seed, settings and
        mid-run changes, then replay `step` training steps. Returns self."""
        if isinstance(state, (str, bytes)):
            state = json.loads(state)
        state = dict(state)
        n_steps = int(state.pop("step", 0))
        changes = [tuple(ch) for ch in state.pop("changes", [])]
        version = state.pop("version", STATE_VERSION)
        if version != STATE_VERSION:
            raise ValueError(f"Playground.load_state: state version {version}, expected {STATE_VERSION}")
        final = validate(state)
        start = dict(final)                       # live settings as they were at step 0
        for key in LIVE:
            first = [ch for ch in changes if ch[1] == key]
            if first:
                start[key] = first[0][2]
        for ch in changes:
            if len(ch) != 4 or ch[1] not in LIVE:
                raise ValueError(f"Playground.load_state: bad change {list(ch)}; expected "
                                 f"[step, key, old, new] with key in {list(LIVE)}")
        self._cfg = validate(start)
        self._rebuild()
        pending = sorted(changes, key=lambda ch: ch[0])
        for i in range(n_steps + 1):
            while pending and pending[0][0] == self.steps:
                _, key, _, new = pending.pop(0)
                self._apply_live(key, new)
            if i < n_steps:
                self._train_step()
        self._cfg = final
        self._changes = changes
        self._apply_live_all()
        self._sync_controls()
        self.update()
        return self

    def configure(self, **settings):
        """Change several settings at once (validated; raises ValueError with a clear message).
        Structural settings rebuild the run from the seed; live ones (learning_rate, momentum,
        l2, dropout, batch_size) apply to the running network."""
        new = validate({**self._cfg, **settings})
        structural = any(new[k] != self._cfg[k] for k in DEFAULTS if k not in LIVE)
        for k in LIVE:
            if new[k] != self._cfg[k]:
                self._record_live(k, new[k])
        self._cfg = new
        if structural:
            self._rebuild()
        else:
            self._apply_live_all()
        self._sync_controls()
        self.update()
        return self

    def _record_live(self, key, value):
        if self.steps > 0:
            self._changes.append((self.steps, key, self._cfg[key], value))

    def _on_control(self, key, value):
        if self._quiet:
            return
        try:
            if key == "layers" or key.startswith("units"):
                self._show_units()
                n = self.controls["layers"].value
                self.configure(hidden=[self.controls[f"units{i}"].value for i in range(1, n + 1)])
            elif key.startswith("feature_"):
                self.configure(features=[f for f in FEATURES if self.controls[f"feature_{f}"].value])
            else:
                self.configure(**{key: value})
            self.error = ""
        except ValueError as e:                   # shown, not raised: the UI stays alive
            self.error = str(e)
            self.controls["play"].playing = False
            self._show_status()

    def _sync_controls(self):
        """Show _cfg in the controls without triggering the observers."""
        c, C = self._cfg, self.controls
        self._quiet = True
        try:
            for k in ("dataset", "noise", "train_fraction", "batch_size", "activation", "momentum",
                      "dropout", "batchnorm", "residual", "seed"):
                C[k].value = c[k]
            C["learning_rate"].value = _nearest(C["learning_rate"].options, c["learning_rate"])
            C["l2"].value = _nearest(C["l2"].options, c["l2"])
            for f in FEATURES:
                C[f"feature_{f}"].value = f in c["features"]
            C["layers"].value = len(c["hidden"])
            for i, n in enumerate(c["hidden"], 1):
                C[f"units{i}"].value = n
        finally:
            self._quiet = False
        self._show_units()

    def _show_units(self):
        n = self.controls["layers"].value
        for i in range(1, MAX_LAYERS + 1):
            self.controls[f"units{i}"].layout.visibility = "visible" if i <= n else "hidden"

    # ------------------------------------------------------------------ building and training
    def _rebuild(self):
        """Data, split, network and optimiser from the seed; step 0."""
        # imported on first use: `import bpkit` stays fast without ipywidgets/matplotlib
        from bpkit.data import train_test_split
        from bpkit.optim import Momentum
        c = self._cfg
        seed = c["seed"]
        X, y = make_data(c["dataset"], c["noise"], seed)
        self.points = X
        Xtr, Xte, ytr, yte = train_test_split(X, y, c["train_fraction"], rng=np.random.default_rng([seed, 1]))
        self.train_points, self.test_points, self.y_train, self.y_test = Xtr, Xte, ytr, yte
        self.X_train, self.X_test = features(Xtr, c["features"]), features(Xte, c["features"])
        self.n_classes = int(y.max()) + 1
        self.net, self._dense = build_network(c, len(c["features"]), self.n_classes,
                                              np.random.default_rng([seed, 2]),
                                              np.random.default_rng([seed, 3]))
        self._dropouts = [L for L in self.net.layers if type(L).__name__ == "Dropout"]
        self._params, self._grads = self.net.parameters(), self.net.gradients()
        self.optimizer = Momentum(eta=c["learning_rate"], beta=c["momentum"], weight_decay=c["l2"])
        self._batch_rng = np.random.default_rng([seed, 4])
        self._queue = []
        self.steps = 0
        self._changes = []
        g = np.linspace(-BOX, BOX, GRID)
        gx, gy = np.meshgrid(g, g)
        self._grid = features(np.vstack([gx.ravel(), gy.ravel()]), c["features"])
        self.history = {"step": [], "train_loss": [], "test_loss": [],
                        "grad_norm": [], "update_ratio": []}
        self._record(None, None)
        self._new_scatter = True

    def _apply_live(self, key, value):
        self._cfg[key] = value
        self._apply_live_all()

    def _apply_live_all(self):
        c = self._cfg
        self.optimizer.eta, self.optimizer.beta = c["learning_rate"], c["momentum"]
        self.optimizer.weight_decay = c["l2"]
        for L in self._dropouts:
            L.p = c["dropout"]

    def _next_batch(self):
        """Indices of the next minibatch: shuffled epochs of full batches (no short last batch,
        so batch norm always sees batch_size >= 2 examples)."""
        n = self.X_train.shape[1]
        B = min(self._cfg["batch_size"], n)
        if len(self._queue) < B:
            self._queue = list(self._batch_rng.permutation(n))
        idx, self._queue = self._queue[:B], self._queue[B:]
        return np.array(idx)

    def _train_step(self):
        idx = self._next_batch()
        self.net.loss_and_grads(self.X_train[:, idx], self.y_train[idx])
        old = [d.params["W"].copy() for d in self._dense]
        grad = [float(np.linalg.norm(d.grads["W"])) for d in self._dense]
        self.optimizer.step(self._params, self._grads)
        ratio = [float(np.linalg.norm(d.params["W"] - W0) / max(np.linalg.norm(W0), 1e-12))
                 for d, W0 in zip(self._dense, old)]
        self.steps += 1
        self._record(grad, ratio)

    def _record(self, grad, ratio):
        h = self.history
        h["step"].append(self.steps)
        h["train_loss"].append(float(self.net.loss(self.X_train, self.y_train, train=False)))
        h["test_loss"].append(float(self.net.loss(self.X_test, self.y_test, train=False))
                              if self.X_test.shape[1] else float("nan"))
        nan = [float("nan")] * len(self._dense)
        h["grad_norm"].append(grad if grad is not None else nan)
        h["update_ratio"].append(ratio if ratio is not None else nan)

    def step(self, n=1, draw=True):
        """n training steps (one minibatch each), then redraw. Returns self."""
        for _ in range(n):
            self._train_step()
        if draw:
            self.update()
        return self

    def reset(self):
        """Back to step 0 with the current settings and seed (same seed → same run)."""
        self._rebuild()
        self.update()
        return self

    def _on_play(self, change):
        """A tick of the Play widget: one training step; redraw unless the kernel lags behind."""
        if change["new"] <= change["old"] or self.error:
            return
        interval = self.controls["play"].interval / 1000
        if time.perf_counter() - self._last_draw < 0.5 * interval:
            self.step(draw=False)                 # catching up on queued ticks: skip this frame
        else:
            self.step()

    def accuracy(self):
        """(train accuracy, test accuracy) of the current network."""
        tr = float(np.mean(self.net.predict_class(self.X_train) == self.y_train))
        te = (float(np.mean(self.net.predict_class(self.X_test) == self.y_test))
              if self.X_test.shape[1] else float("nan"))
        return tr, te

    # ------------------------------------------------------------------ drawing
    def _setup_figure(self):
        """One Figure, built once. Frames only update the artists' data and are blitted: axes,
        ticks and labels are drawn into a cached background that is redrawn only when an axis
        range changes (ranges grow in 1-2-5 steps or by decades, so that is rare)."""
        # imported on first use: `import bpkit` stays fast without ipywidgets/matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.colors import LinearSegmentedColormap
        from matplotlib.figure import Figure
        fig = Figure(figsize=self._figsize, dpi=self._dpi)
        FigureCanvasAgg(fig)
        gs = fig.add_gridspec(3, 2, width_ratios=[1.05, 1], left=0.06, right=0.98, bottom=0.1,
                              top=0.93, wspace=0.22, hspace=0.75)
        self.ax_map = fig.add_subplot(gs[:, 0])
        self.ax_loss = fig.add_subplot(gs[0, 1])
        self.ax_grad = fig.add_subplot(gs[1, 1])
        self.ax_ratio = fig.add_subplot(gs[2, 1])
        cmap = LinearSegmentedColormap.from_list("pg", ["#f59322", "#ffffff", "#0877bd"])
        ax = self.ax_map
        self._heat = ax.imshow(np.full((GRID, GRID), 0.5), extent=(-BOX, BOX, -BOX, BOX), origin="lower",
                               cmap=cmap, vmin=0, vmax=1, interpolation="bilinear", alpha=0.85)
        self._sc_train = ax.scatter([], [], s=18, c=[], cmap=cmap, vmin=0, vmax=1,
                                    edgecolors="white", linewidths=0.8, label="train")
        self._sc_test = ax.scatter([], [], s=18, c=[], cmap=cmap, vmin=0, vmax=1,
                                   edgecolors="black", linewidths=0.8, label="test")
        ax.set_xlim(-BOX, BOX)
        ax.set_ylim(-BOX, BOX)
        ax.set_xlabel("x", fontsize=8, labelpad=1)
        ax.set_ylabel("y", fontsize=8, labelpad=1)
        ax.tick_params(labelsize=7)
        self._map_title = ax.text(0.0, 1.015, "", transform=ax.transAxes, ha="left", va="bottom",
                                  fontsize=9)
        # legends sit outside the animated data (static, drawn into the cached background)
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, fontsize=7, frameon=False,
                  borderaxespad=0.1, handletextpad=0.1, columnspacing=0.8)
        ax = self.ax_loss
        (self._l_train,) = ax.plot([], [], color="#333333", lw=1.2, label="train")
        (self._l_test,) = ax.plot([], [], color="#d62728", lw=1.2, label="test")
        ax.set_title("loss (softmax cross-entropy)", fontsize=9)
        ax.set_xlabel("step", fontsize=8, labelpad=1)
        ax.legend(fontsize=7, loc="upper right")
        ax = self.ax_grad
        ax.set_yscale("log")
        (self._l_grad,) = ax.plot([], [], "o-", color="#1f77b4", ms=4)
        ax.set_title(r"gradient norm $\|\partial C/\partial W^{[l]}\|$ at this step", fontsize=9)
        ax.set_xlabel("layer l", fontsize=8, labelpad=1)
        ax = self.ax_ratio
        ax.set_yscale("log")
        self._l_ratio = [ax.plot([], [], lw=1, color=f"C{i}", label=f"$W^{{[{i + 2}]}}$")[0]
                         for i in range(MAX_LAYERS + 1)]
        ax.axhline(1e-3, color="gray", ls="--", lw=0.8)
        ax.set_title(r"update/weight ratio $\|\Delta W^{[l]}\| / \|W^{[l]}\|$ per step", fontsize=9)
        ax.set_xlabel("step", fontsize=8, labelpad=1)
        self._ratio_legend = None
        for a in (self.ax_loss, self.ax_grad, self.ax_ratio):
            a.tick_params(labelsize=7)
            a.grid(True, alpha=0.3)
        self._anim = [self._heat, self._sc_train, self._sc_test, self._map_title,
                      self._l_train, self._l_test, self._l_grad, *self._l_ratio]
        for a in self._anim:
            a.set_animated(True)
        self.figure = fig
        self._canvas = fig.canvas
        self._bg, self._bg_key = None, None
        self._last_draw = 0.0

    def update(self, full=False):
        """Redraw every view for the current network (artists updated in place, blitted onto the
        cached axes; full=True redraws the axes too). Returns self."""
        # imported on first use: `import bpkit` stays fast without ipywidgets/matplotlib
        from bpkit.activations import softmax
        h = self.history
        # decision boundary: P(class 1) on the grid
        logits = self.net.predict(self._grid)
        p = softmax(logits)[1] if self.n_classes > 1 else np.zeros(GRID * GRID)
        self._heat.set_data(p.reshape(GRID, GRID))
        if self._new_scatter:
            k = max(self.n_classes - 1, 1)
            self._sc_train.set_offsets(self.train_points.T)
            self._sc_train.set_array(self.y_train / k)
            self._sc_test.set_offsets(self.test_points.T if self.test_points.shape[1] else np.zeros((0, 2)))
            self._sc_test.set_array(self.y_test / k)
            self._new_scatter = False
        tr_acc, te_acc = self.accuracy()
        self._map_title.set_text(f"step {self.steps}   train acc {tr_acc:.0%}   test acc {te_acc:.0%}")
        # loss curves (at most ~400 points drawn)
        steps = np.asarray(h["step"])
        s = slice(None, None, max(1, len(steps) // 400))
        trl, tel = np.asarray(h["train_loss"]), np.asarray(h["test_loss"])
        self._l_train.set_data(steps[s], trl[s])
        self._l_test.set_data(steps[s], tel[s])
        xmax = _nice_ceil(max(10, self.steps))
        self.ax_loss.set_xlim(0, xmax)
        top = np.nanmax(np.concatenate([trl, tel]))
        self.ax_loss.set_ylim(0, _nice_ceil(1.05 * top) if np.isfinite(top) and top > 0 else 1.0)
        # gradient norms per layer, at the last step
        L = len(self._dense)
        layer_ids = np.arange(2, L + 2)
        g = np.asarray(h["grad_norm"][-1])
        self._l_grad.set_data(layer_ids, g)
        if self.ax_grad.get_xlim() != (1.5, L + 1.5):
            self.ax_grad.set_xlim(1.5, L + 1.5)
            self.ax_grad.set_xticks(layer_ids)
        _log_limits(self.ax_grad, g)
        # update-to-weight ratios over time
        R = np.asarray(h["update_ratio"])
        for i, line in enumerate(self._l_ratio):
            line.set_visible(i < L)
            if i < L:
                line.set_data(steps[s], R[s, i])
        self.ax_ratio.set_xlim(0, xmax)
        _log_limits(self.ax_ratio, np.append(R[1:].ravel(), 1e-3))
        if self._ratio_legend is None or len(self._ratio_legend.get_texts()) != L:
            if self._ratio_legend is not None:
                self._ratio_legend.remove()
            self._ratio_legend = self.ax_ratio.legend(handles=self._l_ratio[:L], fontsize=6,
                                                      ncol=min(L, 4), loc="lower left",
                                                      framealpha=0.6)
        # blit: the background holds everything that is not animated
        key = (L, tuple(ax.get_xlim() + ax.get_ylim() for ax in
                        (self.ax_loss, self.ax_grad, self.ax_ratio)))
        canvas = self._canvas
        if full or self._bg is None or key != self._bg_key:
            canvas.draw()
            self._bg, self._bg_key = canvas.copy_from_bbox(self.figure.bbox), key
        else:
            canvas.restore_region(self._bg)
        for a in self._anim:
            if a.get_visible():
                self.figure.draw_artist(a)
        self.image.value = _png(canvas)
        self._last_draw = time.perf_counter()
        self._show_status()
        return self

    def _show_status(self):
        if self.error:
            self.status.value = f"<span style='color:#c00'>⚠ {self.error}</span>"
            return
        h = self.history
        self.status.value = (f"step {self.steps} · train loss {h['train_loss'][-1]:.4f} · "
                             f"test loss {h['test_loss'][-1]:.4f} · seed {self._cfg['seed']}")


def _nearest(options, value):
    options = list(options)
    return min(options, key=lambda o: abs(np.log10(o + 1e-6) - np.log10(value + 1e-6)))


def _nice_ceil(x):
    """Smallest of 1, 2, 5 × 10^k that is >= x (axis ranges grow in steps: few full redraws)."""
    e = 10.0 ** np.floor(np.log10(x))
    for m in (1, 2, 5, 10):
        if m * e >= x * (1 - 1e-12):
            return float(m * e)
    return float(10 * e)


def _log_limits(ax, values):
    """Decade limits for a log axis, kept while the data fit and do not shrink by > 2 decades."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if not v.size:
        if ax.get_ylim() != (1e-4, 1.0):
            ax.set_ylim(1e-4, 1.0)
        return
    lo, hi = 10.0 ** np.floor(np.log10(v.min())), 10.0 ** np.ceil(np.log10(v.max()))
    if hi <= lo:
        hi = lo * 10
    cur_lo, cur_hi = ax.get_ylim()
    if not (cur_lo <= v.min() and v.max() <= cur_hi and cur_lo >= lo / 100 and cur_hi <= hi * 100):
        ax.set_ylim(lo, hi)


def _png(canvas):
    """PNG bytes of an Agg canvas that has been drawn (Pillow, fast compression)."""
    # imported on first use: `import bpkit` stays fast without ipywidgets/matplotlib
    from PIL import Image
    w, h = canvas.get_width_height(physical=True)
    img = Image.frombuffer("RGBA", (w, h), canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
    buf = io.BytesIO()
    img.save(buf, format="png", compress_level=1)
    return buf.getvalue()
