"""Gradient checking by central differences.

    ∂f/∂x_i ≈ (f(x + h e_i) − f(x − h e_i)) / (2h)      error O(h²) + O(ε_mach·|f|/h)

The course has ONE relative error (lectures, exercises and this module use it alike):

    relative_error(a, b) = ‖a − b‖ / max(‖a‖ + ‖b‖, 1e-12)      (Frobenius norms over all entries)

Why the norm form and not CS231n's elementwise max|a − b| / max(|a|, |b|): near-zero entries
make the elementwise form flag correct central differences. Why the floor: when both gradients
are (exactly) zero the ratio is 0/0; the floor (1e-12) turns that case into a small absolute
error instead of NaN. It is far below any gradient that matters, so it never hides a real
disagreement.

How to read it (float64, h = 1e-6): `THRESHOLDS` holds the table and `verdict(rel_err)` looks a
value up in it. Each band includes its lower bound.

    | relative error   | verdict          | meaning                                             |
    |------------------|------------------|-----------------------------------------------------|
    | < 1e-7           | "fine"           | backprop agrees with central differences            |
    | 1e-7 to 1e-4     | "suspect"        | normal at a kink (ReLU at 0) or in float32; else look |
    | 1e-4 to 1e-2     | "probably wrong" | a term or an entry of the gradient is wrong         |
    | ≥ 1e-2           | "wrong"          | the gradient is wrong                               |

A correct backward in float64 typically gives 1e-10 or less.
"""
import numpy as np

__all__ = ["numerical_gradient", "relative_error", "THRESHOLDS", "verdict", "check_layer",
           "check_network", "GradcheckReport"]

THRESHOLDS = (
    # (lower bound, upper bound, verdict, meaning) for relative_error in float64, h = 1e-6;
    # a band includes its lower bound and excludes its upper bound
    (0.0, 1e-7, "fine", "backprop agrees with central differences"),
    (1e-7, 1e-4, "suspect", "normal at a kink (ReLU at 0) or in float32; otherwise look closer"),
    (1e-4, 1e-2, "probably wrong", "a term or an entry of the gradient is wrong"),
    (1e-2, float("inf"), "wrong", "the gradient is wrong"),
)
"""The course's table for reading relative_error (see the module docstring)."""


def verdict(rel_err):
    """'fine' | 'suspect' | 'probably wrong' | 'wrong': the THRESHOLDS band rel_err falls in.

    NaN (e.g. a gradient that contains NaN) is 'wrong'; a negative value is a usage error."""
    r = float(rel_err)
    if r != r:
        return "wrong"
    if r < 0:
        raise ValueError(f"verdict: a relative error is ≥ 0, got {rel_err!r}")
    for lo, hi, name, _ in THRESHOLDS:
        if lo <= r < hi:
            return name
    return THRESHOLDS[-1][2]                 # r = inf


def numerical_gradient(f, x, h=1e-6):
    """Central-difference gradient of the scalar f(x) wrt the array x (float64 advised).

    x is perturbed in place, one entry at a time, and restored, so f may also read x
    through a closure (e.g. a layer's own parameter array)."""
    grad = np.zeros(x.shape, dtype=np.float64)
    flat = x.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("numerical_gradient: x must be contiguous so it can be perturbed in place")
    g = grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        fp = f(x)
        flat[i] = old - h
        fm = f(x)
        flat[i] = old
        g[i] = (fp - fm) / (2 * h)
    return grad


def relative_error(a, b, floor=1e-12):
    """‖a − b‖ / max(‖a‖ + ‖b‖, floor): scale-free; the floor only guards 0/0 (module doc)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), floor))


def _snapshot(layer):
    """Copies of layer's buffers (batch norm's running statistics, also inside composites)."""
    return {k: v.copy() for k, v in layer.buffers().items()}


def _restore(layer, snap):
    live = layer.buffers()
    for k, v in snap.items():
        live[k][...] = v


def check_layer(layer, x, rng=None, h=1e-6, train=True):
    """Check layer.backward against central differences on C = Σ out ∘ G, G a random upstream
    gradient (a random G catches errors a ones-vector would hide, e.g. in BatchNorm).

    Returns {"x": err, "<param>": err, ...} of relative errors. Batch-norm running statistics
    (layer.buffers(), also those inside a Residual/DenseConnection) are restored afterwards.
    Dropout needs a fixed mask (layer.mask) to be checkable.
    """
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    x = np.array(x, dtype=np.float64 if np.asarray(x).dtype.kind != "f" else np.asarray(x).dtype)
    snap = _snapshot(layer)
    out, cache = layer.forward(x, train)
    G = rng.standard_normal(out.shape).astype(out.dtype)
    dx = layer.backward(G, cache)
    analytic = {"x": dx}
    analytic.update({k: g.copy() for k, g in layer.grads.items()})

    def f(_):
        return float(np.vdot(layer.forward(x, train)[0], G))

    errors = {"x": relative_error(dx, numerical_gradient(f, x, h))}
    for k, p in layer.params.items():
        errors[k] = relative_error(analytic[k], numerical_gradient(f, p, h))
    _restore(layer, snap)
    return errors


class GradcheckReport:
    """Per-parameter-group comparison of backprop with central differences for a Network.

    rows: list of dicts {name, layer, rel_error, abs_error, ok}; `ok` is True when every
    group agrees. `first_bad_layer` names the first layer (in forward order) whose own local
    check (check_layer on its actual input) fails — the layer with the bug — or 'loss' if
    only the loss gradient is wrong; None when everything agrees.
    """

    def __init__(self, rows, layer_errors, first_bad_layer, tol):
        self.rows, self.layer_errors, self.first_bad_layer, self.tol = rows, layer_errors, first_bad_layer, tol

    @property
    def ok(self):
        return all(r["ok"] for r in self.rows)

    @property
    def first_bad_group(self):
        """The disagreeing parameter group closest to the output (backward order), or None."""
        bad = [r["name"] for r in self.rows if not r["ok"]]
        return bad[-1] if bad else None

    def __str__(self):
        lines = [f"gradient check (tol {self.tol:g}): {'OK' if self.ok else 'DISAGREES'}",
                 "| parameter | rel. error | abs. error | ok |", "|---|---|---|---|"]
        for r in self.rows:
            ok = "yes" if r["ok"] else "NO"
            lines.append(f"| {r['name']} | {r['rel_error']:.2e} | {r['abs_error']:.2e} | {ok} |")
        if self.first_bad_layer:
            lines.append(f"first layer whose backward disagrees: '{self.first_bad_layer}'")
        return "\n".join(lines)

    __repr__ = __str__


def check_network(net, X, Y, h=1e-6, tol=THRESHOLDS[0][1], atol=1e-9, rng=None):
    """Compare net's backprop gradients with central differences for every parameter group.

    A group passes if its relative error < tol or its absolute error (max |diff|) < atol
    (the latter for groups whose gradient is ~0). If any group fails, every layer is checked
    on its own with check_layer on the input it actually sees, to name the culprit.
    Batch-norm running statistics (net.buffers(), composites included) are restored afterwards.
    tol defaults to the upper bound of "fine" in THRESHOLDS.
    """
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    snaps = [_snapshot(L) for L in net.layers]
    net.loss_and_grads(X, Y)
    analytic = [(n, g.copy()) for n, g in net.gradients()]
    params = dict(net.parameters())
    owner = {f"{L.name}.{k}": L.name for L in net.layers for k in L.params}
    rows = []
    for name, g in analytic:
        num = numerical_gradient(lambda _: net.loss(X, Y, train=True), params[name], h)
        rel = relative_error(g, num)
        ab = float(np.max(np.abs(g - num))) if g.size else 0.0
        rows.append({"name": name, "layer": owner[name], "rel_error": rel, "abs_error": ab,
                     "ok": rel < tol or ab < atol})
    layer_errors, first_bad = {}, None
    if not all(r["ok"] for r in rows):
        a = X
        for L, s in zip(net.layers, snaps):
            _restore(L, s)
        for L in net.layers:
            errs = check_layer(L, a, rng, h, train=True)
            layer_errors[L.name] = errs
            if first_bad is None and max(errs.values()) > tol:
                first_bad = L.name
            a = L.forward(a, True)[0]
        if first_bad is None:
            first_bad = "loss"
    for L, s in zip(net.layers, snaps):
        _restore(L, s)
    return GradcheckReport(rows, layer_errors, first_bad, tol)
