"""Assignment 07: residual and dense connections (the answer key).

Blocks (examples are columns, a is (n, B)); the lecture derives the identity-skip residual block
and ONE dense block; the assignment transfers to
  projection residual  out = P a + relu(W a + b)                     W, P: (m, n), m != n
  dense stack (2)      h1 = relu(W1 a + b1),  c1 = [a ; h1]           W1: (k, n)
                       h2 = relu(W2 c1 + b2), out = [a ; h1 ; h2]     W2: (k, n + k)
Deep test network (same width n everywhere, len(Ws) blocks, tanh):
  plain     a^[l] = tanh(W^[l] a^[l-1] + b^[l])
  residual  a^[l] = a^[l-1] + tanh(W^[l] a^[l-1] + b^[l])
  cost      C = (1/N) Σ ½‖a^[L] − y‖²   (9)
"""
import numpy as np

from bpkit_instructor.spec import exercise, variant


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


def _away_from_kink(rng, W, a):
    """A mixed bias (see above) with every entry of z = W a + b at least 0.05 from the ReLU's kink."""
    for _ in range(200):
        b = _mixed_bias(rng, W, a)
        if np.abs(W @ a + b).min() > 0.05:
            break
    return b


# ---------------------------------------------------------------- residual block with a projection
def key_residual_proj_backward(dout, a, W, b, P):
    z = W @ a + b
    delta = dout * _relu_prime(z)                   # δ of the inner layer (22)
    da = P.T @ dout + W.T @ delta                   # skip path + inner path
    return da, delta @ a.T, delta.sum(axis=1, keepdims=True), dout @ a.T


def _proj_da_inner_only(dout, a, W, b, P):
    da, dW, db, dP = key_residual_proj_backward(dout, a, W, b, P)
    return W.T @ (dout * _relu_prime(W @ a + b)), dW, db, dP


def _proj_dP_through_relu(dout, a, W, b, P):
    da, dW, db, dP = key_residual_proj_backward(dout, a, W, b, P)
    return da, dW, db, (dout * _relu_prime(W @ a + b)) @ a.T


def _proj_no_relu_prime(dout, a, W, b, P):
    return P.T @ dout + W.T @ dout, dout @ a.T, dout.sum(axis=1, keepdims=True), dout @ a.T


def _proj_dP_transposed(dout, a, W, b, P):
    da, dW, db, dP = key_residual_proj_backward(dout, a, W, b, P)
    return da, dW, db, a @ dout.T


def _proj_db_mean(dout, a, W, b, P):
    da, dW, db, dP = key_residual_proj_backward(dout, a, W, b, P)
    return da, dW, db / a.shape[1], dP


def _proj_case(rng, n=None, m=None, B=None):
    n = int(rng.integers(2, 6)) if n is None else n
    if m is None:
        m = int(rng.choice([k for k in range(2, 7) if k != n]))
    B = int(rng.integers(2, 6)) if B is None else B
    a, W = rng.normal(size=(n, B)), rng.normal(size=(m, n))
    return {"dout": rng.normal(size=(m, B)), "a": a, "W": W, "b": _away_from_kink(rng, W, a),
            "P": rng.normal(size=(m, n))}


_r = np.random.default_rng(701)
exercise(
    "07.residual_proj_backward",
    outputs=('da', 'dW', 'db', 'dP'),
    reference=key_residual_proj_backward,
    visible=[_proj_case(_r, n=3, m=2, B=4), _proj_case(_r, n=2, m=4, B=3)],
    hidden=_proj_case,
    n_hidden=6,
    variants=[
        variant("skip path dropped from ∂C/∂a", _proj_da_inner_only,
                "a reaches the output along two paths, the projection P a and the inner layer; the "
                "multivariate chain rule adds both contributions to ∂C/∂a. Yours has only the inner one."),
        variant("∂C/∂P taken through the ReLU", _proj_dP_through_relu,
                "the projection is not inside the activation: the gradient reaching P is the "
                "upstream gradient itself, without the ReLU's derivative (lecture 07, section 3, "
                "when the widths differ)."),
        variant("relu′ missing", _proj_no_relu_prime,
                "inside the block the error δ must include the ReLU's derivative at the block's "
                "weighted input; you used the upstream gradient itself."),
        variant("∂C/∂P in the wrong order", _proj_dP_transposed,
                "P maps a (n rows) to the output (m rows), so ∂C/∂P has P's shape (m, n): the "
                "output-side factor comes first, as for ∂C/∂W (eq. 25)."),
        variant("bias gradient averaged", _proj_db_mean,
                "dout already carries the 1/N of the cost: ∂C/∂b is the SUM of δ over the columns (24)."),
    ],
    protect=["bpkit.layers.Residual"],
    what="(∂C/∂a, ∂C/∂W, ∂C/∂b, ∂C/∂P) of a residual block with a projection",
)


# ---------------------------------------------------------------- a stack of two dense blocks
def key_dense_stack_forward(a, W1, b1, W2, b2):
    h1 = _relu(W1 @ a + b1)
    c1 = np.concatenate([a, h1], axis=0)
    h2 = _relu(W2 @ c1 + b2)
    return np.concatenate([c1, h2], axis=0)


def key_dense_stack_backward(dout, a, W1, b1, W2, b2, feed_back=True, a_via_block2=True, c1_input=True,
                         relu_prime=True):
    n = a.shape[0]
    z1 = W1 @ a + b1
    c1 = np.concatenate([a, _relu(z1)], axis=0)
    z2 = W2 @ c1 + b2
    rp = _relu_prime if relu_prime else (lambda z: np.ones_like(z))
    nc = c1.shape[0]
    delta2 = dout[nc:] * rp(z2)                                  # block 2's δ
    back = W2.T @ delta2 if feed_back else np.zeros_like(c1)     # block 2's input is c1 = [a; h1]
    d_c1 = dout[:nc] + back
    delta1 = d_c1[n:] * rp(z1)                                    # block 1's δ
    da = (d_c1[:n] if a_via_block2 else dout[:n]) + W1.T @ delta1
    dW2 = delta2 @ (c1 if c1_input else c1[n:]).T
    return (da, delta1 @ a.T, delta1.sum(axis=1, keepdims=True), dW2, delta2.sum(axis=1, keepdims=True))


def _stack_case(rng, n=None, k=None, B=None):
    n = int(rng.integers(2, 5)) if n is None else n
    k = int(rng.integers(2, 5)) if k is None else k
    B = int(rng.integers(2, 6)) if B is None else B
    a, W1 = rng.normal(size=(n, B)), rng.normal(size=(k, n))
    b1 = _away_from_kink(rng, W1, a)
    c1 = np.concatenate([a, _relu(W1 @ a + b1)], axis=0)
    W2 = rng.normal(size=(k, n + k))
    return {"a": a, "W1": W1, "b1": b1, "W2": W2, "b2": _away_from_kink(rng, W2, c1)}


def _stackb_case(rng, n=None, k=None, B=None):
    c = _stack_case(rng, n, k, B)
    return {"dout": rng.normal(size=(c["a"].shape[0] + 2 * c["W1"].shape[0], c["a"].shape[1])), **c}


def _stack_plain(a, W1, b1, W2, b2):
    h1 = _relu(W1 @ a + b1)
    return _relu(W2 @ np.concatenate([a, h1], axis=0) + b2)


def _stack_skip_h1(a, W1, b1, W2, b2):
    h1 = _relu(W1 @ a + b1)
    return np.concatenate([a, _relu(W2 @ np.concatenate([a, h1], axis=0) + b2)], axis=0)


def _stack_new_first(a, W1, b1, W2, b2):
    h1 = _relu(W1 @ a + b1)
    c1 = np.concatenate([h1, a], axis=0)
    return np.concatenate([_relu(W2 @ c1 + b2), c1], axis=0)


def _stack_pre_activation(a, W1, b1, W2, b2):
    z1 = W1 @ a + b1
    c1 = np.concatenate([a, z1], axis=0)
    return np.concatenate([c1, W2 @ c1 + b2], axis=0)


exercise(
    "07.dense_stack_forward",
    reference=key_dense_stack_forward,
    visible=[_stack_case(_r, n=2, k=3, B=3)],
    hidden=_stack_case,
    n_hidden=6,
    variants=[
        variant("blocks not concatenated (a plain stack)", _stack_plain,
                "each dense block KEEPS its input and stacks its new features under it: the output"
                " of two blocks holds the input and both blocks' features (lecture 07, section 4)."),
        variant("block 1's features dropped from the output", _stack_skip_h1,
                "block 2's input already holds block 1's features, and block 2 keeps its input: "
                "block 1's features stay in the output (lecture 07, section 4)."),
        variant("new features on top", _stack_new_first,
                "stack the input on top and the new features under it: the input keeps the first "
                "rows (lecture 07, section 4)."),
        variant("pre-activations concatenated", _stack_pre_activation,
                "each block adds its activations (after the ReLU), not its weighted input."),
    ],
    protect=["bpkit.layers.DenseConnection"],
    what="[a ; h1 ; h2] of two dense blocks",
)

exercise(
    "07.dense_stack_backward",
    outputs=('da', 'dW1', 'db1', 'dW2', 'db2'),
    reference=key_dense_stack_backward,
    visible=[_stackb_case(_r, n=2, k=3, B=3), _stackb_case(_r, n=3, k=2, B=2)],
    hidden=_stackb_case,
    n_hidden=6,
    variants=[
        variant("block 2's gradient not sent back to its input",
                lambda dout, a, W1, b1, W2, b2: key_dense_stack_backward(dout, a, W1, b1, W2, b2, feed_back=False),
                "block 2 reads the concatenation of a and h1, so a and h1 each reach the output "
                "twice: directly (their rows of the upstream gradient) and through block 2. Add "
                "block 2's input gradient to those rows before going into block 1 (lecture 07, "
                "section 4: split the gradient, then add)."),
        variant("a's path through block 2 missing",
                lambda dout, a, W1, b1, W2, b2: key_dense_stack_backward(dout, a, W1, b1, W2, b2, a_via_block2=False),
                "feature reuse: block 2 reads a too, so ∂C/∂a gets three contributions — its own "
                "rows of the upstream gradient, its share of block 2's input gradient, and block "
                "1's input gradient. Yours misses the one through block 2."),
        variant("∂C/∂W2 with h1 instead of block 2's whole input",
                lambda dout, a, W1, b1, W2, b2: key_dense_stack_backward(dout, a, W1, b1, W2, b2, c1_input=False),
                "block 2's input is the concatenation of a and h1, so ∂C/∂W2 has as many columns "
                "as that concatenation has rows (eq. 25)."),
        variant("relu′ missing",
                lambda dout, a, W1, b1, W2, b2: key_dense_stack_backward(dout, a, W1, b1, W2, b2, relu_prime=False),
                "each block's δ is its rows of the gradient times relu′ at its weighted input; the"
                " relu′ factor is missing."),
    ],
    protect=["bpkit.layers.DenseConnection"],
    what="(∂C/∂a, ∂C/∂W1, ∂C/∂b1, ∂C/∂W2, ∂C/∂b2) of two dense blocks",
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


def key_forward_signal(Ws, bs, X, norm=False, use_z=False, skip_input=False):
    rows = []
    for residual in (False, True):
        zs, acts = _deep_forward(Ws, bs, X, residual)
        seq = ([X] + zs) if use_z else acts
        if skip_input:
            seq = seq[1:]
        rows.append([np.linalg.norm(v) if norm else np.sqrt(np.mean(v ** 2)) for v in seq])
    return np.array(rows)


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


def key_grad_norms(Ws, bs, X, Y, drop_identity=False, scale=1.0):
    rows = []
    for residual in (False, True):
        _, dWs, _ = _deep_loss_and_grads(Ws, bs, X, Y, residual, drop_identity)
        rows.append([scale * np.linalg.norm(d) for d in dWs])
    return np.array(rows)


def key_train_deep(Ws, bs, X, Y, eta, n_iter, drop_identity=False, sign=1.0, after=False):
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
    depth = int(rng.integers(2, 7)) if L is None else L          # number of weight layers
    n = int(rng.integers(2, 5)) if n is None else n
    N = int(rng.integers(3, 7)) if N is None else N
    gain = float(rng.choice([0.5, 1.0]))                          # small (collapsing) or Xavier-sized
    return {"Ws": [gain * rng.normal(size=(n, n)) / np.sqrt(n) for _ in range(depth)],
            "bs": [0.1 * rng.normal(size=(n, 1)) for _ in range(depth)],
            "X": rng.normal(size=(n, N)), "Y": rng.uniform(-1, 1, size=(n, N))}


def _signal_case(rng, **kw):
    c = _deep_case(rng, **kw)
    del c["Y"]
    return c


def _train_case(rng, **kw):
    c = _deep_case(rng, **kw)
    c["eta"] = float(rng.uniform(0.1, 0.5))
    c["n_iter"] = int(rng.integers(3, 9))
    return c


exercise(
    "07.forward_signal",
    reference=key_forward_signal,
    visible=[_signal_case(_r, L=4, n=3, N=5)],
    hidden=_signal_case,
    n_hidden=5,
    variants=[
        variant("Frobenius norm instead of the root mean square",
                lambda Ws, bs, X: key_forward_signal(Ws, bs, X, norm=True),
                "the root mean square is the Frobenius norm divided by the root of the number of "
                "entries: it does not grow with the batch size."),
        variant("weighted inputs z instead of activations a",
                lambda Ws, bs, X: key_forward_signal(Ws, bs, X, use_z=True),
                "measure the signal each layer hands on, its activation a^[l] (for the residual "
                "network, the skip plus the block's output), not z^[l]."),
        variant("input a^[1] left out",
                lambda Ws, bs, X: key_forward_signal(Ws, bs, X, skip_input=True),
                "include layer 1, the input x itself: each row has one entry more than there are "
                "weight matrices, so the collapse can be read against where the signal started."),
    ],
    what="RMS of a^[1..L], plain (row 0) and residual (row 1)",
)

exercise(
    "07.grad_norms",
    reference=lambda Ws, bs, X, Y: key_grad_norms(Ws, bs, X, Y),
    visible=[_deep_case(_r, L=4, n=3, N=5)],
    hidden=_deep_case,
    n_hidden=5,
    variants=[
        variant("identity term dropped in the residual backward",
                lambda Ws, bs, X, Y: key_grad_norms(Ws, bs, X, Y, drop_identity=True),
                "in the residual network the skip carries ∂C/∂a^[l] down to ∂C/∂a^[l-1] unchanged,"
                " added to the path through W^[l] (lecture 07, section 3, the identity term). Your"
                " residual row looks like the plain backward."),
        variant("cost not divided by N",
                lambda Ws, bs, X, Y: key_grad_norms(Ws, bs, X, Y, scale=X.shape[1]),
                "the cost (9) averages over the N columns, so ∂C/∂a^[L] carries the 1/N of that "
                "mean."),
    ],
    what="per-layer ‖∂C/∂W^[l]‖, plain (row 0) and residual (row 1)",
)

exercise(
    "07.train_deep",
    reference=lambda Ws, bs, X, Y, eta, n_iter: key_train_deep(Ws, bs, X, Y, eta, n_iter),
    visible=[_train_case(_r, L=4, n=3, N=5)],
    hidden=_train_case,
    n_hidden=5,
    rtol=1e-6, atol=1e-9,
    variants=[
        variant("loss recorded after the update",
                lambda Ws, bs, X, Y, eta, n_iter: key_train_deep(Ws, bs, X, Y, eta, n_iter, after=True),
                "record the loss of the weights you take the gradient at, before the update: "
                "losses[k] is the cost before step k (losses[0] is the cost at the initial weights)."),
        variant("identity term dropped in the residual backward",
                lambda Ws, bs, X, Y, eta, n_iter: key_train_deep(Ws, bs, X, Y, eta, n_iter, drop_identity=True),
                "your residual row trains with the wrong gradient: the skip adds ∂C/∂a^[l] to "
                "∂C/∂a^[l-1] (the identity term)."),
        variant("gradient ascent",
                lambda Ws, bs, X, Y, eta, n_iter: key_train_deep(Ws, bs, X, Y, eta, n_iter, sign=-1.0),
                "gradient descent moves against the gradient: subtract the scaled gradient (eq. "
                "15)."),
    ],
    what="full-batch gradient-descent loss curves, plain (row 0) and residual (row 1)",
)


# ---------------------------------------------------------------- part 4: three measured numbers
# The notebook's data (default_rng(0): n = 4, N = 32, 16 blocks, W ~ 0.5 N(0, 1/n), zero biases),
# 200 steps of full-batch GD at η = 0.1. q1 = plain cost at the last recorded step / cost of
# predicting 0; q2 = geometric-mean per-layer factor of the plain rms(a^[l]); q3 = plain
# ‖∂C/∂W^[2]‖ / ‖∂C/∂W^[L]‖ at the start. Measured: (0.967, 0.450, 0.917).
def _plain_case():
    rng = np.random.default_rng(0)
    n, N, depth = 4, 32, 16
    X = rng.normal(size=(n, N))
    R = np.linalg.qr(rng.normal(size=(n, n)))[0]
    Y = 0.8 * np.tanh(R @ X)
    Ws = [0.5 * rng.normal(size=(n, n)) / np.sqrt(n) for _ in range(depth)]
    bs = [np.zeros((n, 1)) for _ in range(depth)]
    return X, Y, Ws, bs


def _plain_pass(Ws, bs, X, Y):
    acts, zs = [X], []
    for W, b in zip(Ws, bs):
        zs.append(W @ acts[-1] + b)
        acts.append(np.tanh(zs[-1]))
    N = X.shape[1]
    g = (acts[-1] - Y) / N
    dWs = [None] * len(Ws)
    dbs = [None] * len(Ws)
    for l in reversed(range(len(Ws))):
        delta = g * (1 - np.tanh(zs[l]) ** 2)
        dWs[l], dbs[l] = delta @ acts[l].T, delta.sum(axis=1, keepdims=True)
        g = Ws[l].T @ delta
    return 0.5 * np.sum((acts[-1] - Y) ** 2) / N, acts, dWs, dbs


def _q_plain(last_after=True, inverse_grad=False, total=False):
    X, Y, Ws, bs = _plain_case()
    _, acts, dWs, _ = _plain_pass(Ws, bs, X, Y)
    rms = [np.sqrt(np.mean(a ** 2)) for a in acts]
    q2 = (rms[-1] / rms[0]) if total else (rms[-1] / rms[0]) ** (1 / len(Ws))
    q3 = np.linalg.norm(dWs[-1]) / np.linalg.norm(dWs[0]) if inverse_grad else \
        np.linalg.norm(dWs[0]) / np.linalg.norm(dWs[-1])
    W_, b_ = [W.copy() for W in Ws], [b.copy() for b in bs]
    C = None
    for _ in range(200 if last_after else 1):
        C, _, gW, gb = _plain_pass(W_, b_, X, Y)
        for W, dW, b, db in zip(W_, gW, b_, gb):
            W -= 0.1 * dW
            b -= 0.1 * db
    c0 = 0.5 * np.sum(Y ** 2) / X.shape[1]
    return (float(C / c0), float(q2), float(q3))


_QP = _q_plain()
exercise(
    "07.q_plain",
    reference=lambda: _QP,
    visible=[{}],
    hidden=lambda rng: {},
    n_hidden=1,
    value=True,
    rtol=2e-3, atol=1e-9,
    variants=[
        variant("q3 inverted (last block over first)", (_QP[0], _QP[1], 1.0 / _QP[2]),
                "q3 is the FIRST block's gradient norm over the LAST block's: layer 2 over layer L."),
        variant("q2 as the total change, not the factor per layer", (_QP[0], _q_plain(total=True)[1], _QP[2]),
                "q2 is the average factor PER LAYER: the 16th root of the total change (a geometric mean)."),
        variant("q1 from the first recorded cost", _q_plain(last_after=False),
                "q1 uses the LAST recorded cost of the plain network (the end of its row of "
                "losses), after the training steps."),
    ],
    what="the form of your three numbers; their values are graded when you submit",
)


# ---------------------------------------------------------------- part 5: depth vs width, counted
# one hidden layer of 12 relu units: at most 13 pieces; the 3-unit fold composed 4 times: 3^4 = 81
# pieces; one hidden layer needs 80 units for 81 pieces.
_QPIECES = (13, 81, 80)
exercise(
    "07.q_pieces",
    reference=lambda: _QPIECES,
    visible=[{}],
    hidden=lambda rng: {},
    n_hidden=1,
    value=True,
    variants=[
        variant("the lecture's 2-unit tent map instead of the 3-unit fold", (13, 64, 63),
                "p2 asks about the fold z with 3 units per layer, not the tent map: how many times does "
                "z fold [0, 1] onto itself? (lecture 07, section 1 counted the tent map's folds)"),
        variant("one piece per unit", (12, 81, 81),
                "a hidden layer of w units has at most w kinks, so at most one piece more than it "
                "has units (lecture 07, section 1)."),
        variant("p3: one unit per piece", (13, 81, 81),
                "a hidden layer of w units has at most w kinks, so one piece more than it has "
                "units: how many units for p2 pieces? (lecture 07, section 1)"),
        variant("pieces added over the layers, not multiplied", (13, 12, 11),
                "composing folds multiplies the pieces: each piece of the inner map is folded again by "
                "the next layer (lecture 07, section 1, the tent map)."),
    ],
    what="the form of your three integers; their values are graded when you submit",
)


# ---------------------------------------------------------------- part 6: filter normalisation, conv layer
def _fnorm(V, W, axes=(1, 2, 3), inverse=False, no_divide=False):
    V, W = np.asarray(V, float), np.asarray(W, float)
    if axes is None:
        nV, nW = np.linalg.norm(V), np.linalg.norm(W)
    else:
        nV = np.sqrt(np.sum(V ** 2, axis=axes, keepdims=True))
        nW = np.sqrt(np.sum(W ** 2, axis=axes, keepdims=True))
    if inverse:
        return V / nW * nV
    if no_divide:
        return V * nW
    return V / nV * nW


def _fnorm_case(rng):
    shape = (int(rng.integers(2, 5)), int(rng.integers(2, 4)), int(rng.integers(2, 4)), int(rng.integers(2, 4)))
    W = rng.normal(size=shape) * (10.0 ** rng.uniform(-1, 1, size=(shape[0], 1, 1, 1)))
    V = rng.normal(size=shape) * float(rng.uniform(0.5, 2.0))
    return {"V": V, "W": W}


exercise(
    "07.filter_normalise_conv",
    reference=_fnorm,
    visible=[_fnorm_case(np.random.default_rng(70)), _fnorm_case(np.random.default_rng(71))],
    hidden=_fnorm_case,
    variants=[
        variant("normalised over the input channels only (the dense-layer rule applied to axis 1)",
                lambda V, W: _fnorm(V, W, axes=(1,)),
                "a filter is ALL the weights that produce one output channel: its input channels and its "
                "positions together (section 6); lecture 07's dense rule takes a whole row."),
        variant("each (input channel) slice normalised separately",
                lambda V, W: _fnorm(V, W, axes=(2, 3)),
                "filter j is W[j] as a whole, across its input channels too (section 6)."),
        variant("one norm for the whole layer",
                lambda V, W: _fnorm(V, W, axes=None),
                "Li et al. normalise filter by filter, so small and large filters are moved in proportion "
                "to their own size (lecture 07, section 6)."),
        variant("norms the wrong way round",
                lambda V, W: _fnorm(V, W, inverse=True),
                "filter j of the result must have the norm of W[j] (lecture 07, section 6: the direction's "
                "row scaled to the weights' row)."),
        variant("V not divided by its own norm",
                lambda V, W: _fnorm(V, W, no_divide=True),
                "to give filter j exactly the norm of W[j], first bring V[j] to length 1 (lecture 07, "
                "section 6)."),
    ],
    protect=["bpkit.widgets.loss_landscape.filter_normalise"],
    what="the filter-normalised direction of a convolutional layer on 2 visible and 5 random cases",
)
