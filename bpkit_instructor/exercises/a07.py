"""Assignment 07: residual and dense connections.

Blocks (examples are columns, a is (n, B)):
  residual  out = s + relu(W a + b),   s = a (or P a when the widths differ)
  dense     out = [a ; relu(W a + b)]  (concatenation along axis 0)
Deep test network (same width n everywhere, L - 1 blocks, tanh):
  plain     a^[l] = tanh(W^[l] a^[l-1] + b^[l])
  residual  a^[l] = a^[l-1] + tanh(W^[l] a^[l-1] + b^[l])
  cost      C = (1/N) Σ ½‖a^[L] − y‖²   (9)
"""
import numpy as np

from bpkit.grading.registry import exercise, variant


def _relu(z):
    return np.maximum(z, 0.0)


def _relu_prime(z):
    return (z > 0).astype(float)


def _mixed_bias(rng, W, a):
    """A bias that makes row 0 of z = W a + b all positive and row 1 all negative (ReLU both ways)."""
    b = rng.normal(size=(W.shape[0], 1))
    z = W @ a
    b[0] = 0.5 - z[0].min()
    b[1] = -0.5 - z[1].max()
    return b


# ---------------------------------------------------------------- residual block
def residual_forward(a, W, b, P=None):
    skip = a if P is None else P @ a
    return skip + _relu(W @ a + b)


def residual_backward(dout, a, W, b):
    dz = dout * _relu_prime(W @ a + b)          # δ of the inner layer
    return dout + W.T @ dz, dz @ a.T, dz.sum(axis=1, keepdims=True)


def _res_case(rng, n=None, m=None, B=None, proj=None):
    n = int(rng.integers(2, 6)) if n is None else n
    B = int(rng.integers(2, 6)) if B is None else B
    if proj is None:
        proj = bool(rng.integers(0, 2))
    m = (int(rng.integers(2, 6)) if m is None else m) if proj else n
    case = {"a": rng.normal(size=(n, B)), "W": rng.normal(size=(m, n))}
    case["b"] = _mixed_bias(rng, case["W"], case["a"])
    if proj:
        case["P"] = rng.normal(size=(m, n))
    return case


def _resb_case(rng, n=None, B=None):
    n = int(rng.integers(2, 6)) if n is None else n
    B = int(rng.integers(2, 6)) if B is None else B
    a, W = rng.normal(size=(n, B)), rng.normal(size=(n, n))
    return {"dout": rng.normal(size=(n, B)), "a": a, "W": W, "b": _mixed_bias(rng, W, a)}


_r = np.random.default_rng(701)
exercise(
    "07.residual_forward",
    reference=residual_forward,
    visible=[_res_case(_r, n=3, B=4, proj=False), _res_case(_r, n=3, m=2, B=2, proj=True)],
    hidden=_res_case,
    n_hidden=6,
    variants=[
        variant("skip connection missing",
                lambda a, W, b, P=None: _relu(W @ a + b),
                "the block must return the skip path plus the inner path: out = a + relu(W a + b)."),
        variant("skip added inside the activation",
                lambda a, W, b, P=None: _relu(W @ a + b + (a if P is None else P @ a)),
                "add the skip after the activation: a + relu(W a + b), not relu(W a + b + a)."),
    ],
    protect=["bpkit.layers.Residual"],
    what="out = a + relu(W a + b) (or P a + relu(W a + b))",
)

exercise(
    "07.residual_backward",
    reference=residual_backward,
    visible=[_resb_case(_r, n=3, B=4), _resb_case(_r, n=2, B=3)],
    hidden=_resb_case,
    n_hidden=6,
    variants=[
        variant("identity term dropped",
                lambda dout, a, W, b: (W.T @ (dout * _relu_prime(W @ a + b)),) + residual_backward(dout, a, W, b)[1:],
                "∂C/∂a gets two terms: the skip path passes dout straight through (the identity term), "
                "plus Wᵀ δ from the inner path. Yours is missing the `dout +` part."),
        variant("relu′ missing",
                lambda dout, a, W, b: (dout + W.T @ dout, dout @ a.T, dout.sum(axis=1, keepdims=True)),
                "inside the block δ = dout ∘ relu′(z) with z = W a + b; you used dout itself."),
        variant("bias gradient averaged",
                lambda dout, a, W, b: residual_backward(dout, a, W, b)[:2]
                + ((dout * _relu_prime(W @ a + b)).mean(axis=1, keepdims=True),),
                "dout already carries the 1/N of the cost: ∂C/∂b = Σ over the columns of δ, not the mean."),
    ],
    protect=["bpkit.layers.Residual"],
    what="(∂C/∂a, ∂C/∂W, ∂C/∂b) of a residual block",
)


# ---------------------------------------------------------------- dense connection
def dense_forward(a, W, b):
    return np.concatenate([a, _relu(W @ a + b)], axis=0)


def dense_backward(dout, a, W, b):
    n = a.shape[0]
    d_skip, d_inner = dout[:n], dout[n:]        # split the gradient like the output was split
    dz = d_inner * _relu_prime(W @ a + b)
    return d_skip + W.T @ dz, dz @ a.T, dz.sum(axis=1, keepdims=True)


def _dense_case(rng, n=None, m=None, B=None):
    n = int(rng.integers(2, 6)) if n is None else n
    m = int(rng.integers(2, 6)) if m is None else m
    B = int(rng.integers(2, 6)) if B is None else B
    a, W = rng.normal(size=(n, B)), rng.normal(size=(m, n))
    return {"a": a, "W": W, "b": _mixed_bias(rng, W, a)}


def _denseb_case(rng, n=None, m=None, B=None):
    c = _dense_case(rng, n, m, B)
    c["dout"] = rng.normal(size=(c["a"].shape[0] + c["W"].shape[0], c["a"].shape[1]))
    return c


def _dense_split_wrong_end(dout, a, W, b):
    m = W.shape[0]
    d_inner, d_skip = dout[:m], dout[m:]
    dz = d_inner * _relu_prime(W @ a + b)
    return d_skip + W.T @ dz, dz @ a.T, dz.sum(axis=1, keepdims=True)


exercise(
    "07.dense_forward",
    reference=dense_forward,
    visible=[_dense_case(_r, n=2, m=3, B=3)],
    hidden=_dense_case,
    n_hidden=6,
    variants=[
        variant("inner path first",
                lambda a, W, b: np.concatenate([_relu(W @ a + b), a], axis=0),
                "stack the input on top: out = [a ; relu(W a + b)] (the input keeps rows 0..n-1)."),
        variant("pre-activation concatenated",
                lambda a, W, b: np.concatenate([a, W @ a + b], axis=0),
                "the inner path is relu(W a + b); you concatenated z = W a + b."),
    ],
    protect=["bpkit.layers.DenseConnection"],
    what="out = [a ; relu(W a + b)]",
)

exercise(
    "07.dense_backward",
    reference=dense_backward,
    visible=[_denseb_case(_r, n=2, m=3, B=3), _denseb_case(_r, n=3, m=2, B=2)],
    hidden=_denseb_case,
    n_hidden=6,
    variants=[
        variant("only the skip path",
                lambda dout, a, W, b: (dout[:a.shape[0]],) + dense_backward(dout, a, W, b)[1:],
                "the input reaches the output twice: through the copy and through the inner layer. "
                "∂C/∂a = dout[:n] + Wᵀ δ; you kept only the copy's share."),
        variant("only the inner path",
                lambda dout, a, W, b: (W.T @ (dout[a.shape[0]:] * _relu_prime(W @ a + b)),)
                + dense_backward(dout, a, W, b)[1:],
                "split dout into the skip rows dout[:n] and the inner rows dout[n:]; both reach a, so add "
                "dout[:n] to Wᵀ δ."),
        variant("gradient split at the wrong end", _dense_split_wrong_end,
                "the first n rows of the output are the copy of a, the last m rows the inner path: "
                "d_skip = dout[:n], d_inner = dout[n:]."),
    ],
    protect=["bpkit.layers.DenseConnection"],
    what="(∂C/∂a, ∂C/∂W, ∂C/∂b) of a dense connection",
)


# ---------------------------------------------------------------- deep plain vs residual
def _deep_forward(Ws, bs, X, residual):
    zs, acts = [], [X]
    for W, b in zip(Ws, bs):
        z = W @ acts[-1] + b
        h = np.tanh(z)
        zs.append(z)
        acts.append(acts[-1] + h if residual else h)
    return zs, acts


def _deep_loss_and_grads(Ws, bs, X, Y, residual, drop_identity=False):
    zs, acts = _deep_forward(Ws, bs, X, residual)
    N = X.shape[1]
    loss = 0.5 * np.sum((acts[-1] - Y) ** 2) / N         # (9)
    g = (acts[-1] - Y) / N                               # ∂C/∂a^[L]
    dWs, dbs = [None] * len(Ws), [None] * len(Ws)
    for l in reversed(range(len(Ws))):
        delta = g * (1.0 - np.tanh(zs[l]) ** 2)          # (22)/(23)
        dWs[l] = delta @ acts[l].T                       # (25)
        dbs[l] = delta.sum(axis=1, keepdims=True)        # (24)
        g_prev = Ws[l].T @ delta
        if residual and not drop_identity:
            g_prev = g_prev + g                          # the identity term
        g = g_prev
    return loss, dWs, dbs


def grad_norms(Ws, bs, X, Y, drop_identity=False, scale=1.0):
    rows = []
    for residual in (False, True):
        _, dWs, _ = _deep_loss_and_grads(Ws, bs, X, Y, residual, drop_identity)
        rows.append([scale * np.linalg.norm(d) for d in dWs])
    return np.array(rows)


def train_deep(Ws, bs, X, Y, eta, n_iter, drop_identity=False, sign=1.0, after=False):
    out = []
    for residual in (False, True):
        W_, b_ = [W.copy() for W in Ws], [b.copy() for b in bs]
        losses = []
        for _ in range(int(n_iter)):
            loss, dWs, dbs = _deep_loss_and_grads(W_, b_, X, Y, residual, drop_identity)
            for W, dW, b, db in zip(W_, dWs, b_, dbs):
                W -= sign * eta * dW
                b -= sign * eta * db
            losses.append(_deep_loss_and_grads(W_, b_, X, Y, residual)[0] if after else loss)
        out.append(losses)
    return np.array(out)


def _deep_case(rng, L=None, n=None, N=None):
    depth = int(rng.integers(2, 6)) if L is None else L          # number of weight layers
    n = int(rng.integers(2, 5)) if n is None else n
    N = int(rng.integers(3, 7)) if N is None else N
    return {"Ws": [rng.normal(size=(n, n)) / np.sqrt(n) for _ in range(depth)],
            "bs": [0.1 * rng.normal(size=(n, 1)) for _ in range(depth)],
            "X": rng.normal(size=(n, N)), "Y": rng.uniform(-1, 1, size=(n, N))}


def _train_case(rng, **kw):
    c = _deep_case(rng, **kw)
    c["eta"] = float(rng.uniform(0.1, 0.5))
    c["n_iter"] = int(rng.integers(3, 9))
    return c


exercise(
    "07.grad_norms",
    reference=lambda Ws, bs, X, Y: grad_norms(Ws, bs, X, Y),
    visible=[_deep_case(_r, L=4, n=3, N=5)],
    hidden=_deep_case,
    n_hidden=5,
    variants=[
        variant("identity term dropped in the residual backward",
                lambda Ws, bs, X, Y: grad_norms(Ws, bs, X, Y, drop_identity=True),
                "in the residual network ∂C/∂a^[l-1] = ∂C/∂a^[l] + (W^[l])ᵀ δ^[l]: the skip carries the "
                "gradient down unchanged. Your residual row looks like the plain backward."),
        variant("cost not divided by N",
                lambda Ws, bs, X, Y: grad_norms(Ws, bs, X, Y, scale=X.shape[1]),
                "the cost (9) averages over the N columns, so ∂C/∂a^[L] = (a^[L] − y)/N."),
    ],
    what="per-layer ‖∂C/∂W^[l]‖, plain (row 0) and residual (row 1)",
)

exercise(
    "07.train_deep",
    reference=lambda Ws, bs, X, Y, eta, n_iter: train_deep(Ws, bs, X, Y, eta, n_iter),
    visible=[_train_case(_r, L=4, n=3, N=5)],
    hidden=_train_case,
    n_hidden=5,
    rtol=1e-6, atol=1e-9,
    variants=[
        variant("loss recorded after the update",
                lambda Ws, bs, X, Y, eta, n_iter: train_deep(Ws, bs, X, Y, eta, n_iter, after=True),
                "record the loss of the weights you take the gradient at, before the update: "
                "losses[k] is the cost before step k (losses[0] is the cost at the initial weights)."),
        variant("identity term dropped in the residual backward",
                lambda Ws, bs, X, Y, eta, n_iter: train_deep(Ws, bs, X, Y, eta, n_iter, drop_identity=True),
                "your residual row trains with the wrong gradient: the skip adds ∂C/∂a^[l] to "
                "∂C/∂a^[l-1] (the identity term)."),
        variant("gradient ascent",
                lambda Ws, bs, X, Y, eta, n_iter: train_deep(Ws, bs, X, Y, eta, n_iter, sign=-1.0),
                "gradient descent moves against the gradient: W ← W − η ∂C/∂W."),
    ],
    what="full-batch gradient-descent loss curves, plain (row 0) and residual (row 1)",
)
