"""Assignment 08: overfitting and regularisation (the answer key).

The lecture shows the L2 penalty and its gradient on one weight matrix, inverted dropout on one
layer, and early stopping with bpkit's EarlyStopping; the assignment transfers them to a network:

  network   z^[2] = W2 X + b2,  a^[2] = σ(z^[2]),  a^[3] = W3 ã^[2] + b3 (linear output)
            C = (1/N) Σ_i ½‖a^[3] − y‖²   (9); δ^[3] per example, 1/N once in the parameter gradients
  L2        σ = tanh, ã^[2] = a^[2];  C_reg = C + (λ/2)(‖W2‖² + ‖W3‖²)   (biases are not penalised)
  dropout   σ = relu, ã^[2] = a^[2] ∘ mask / (1 − q) in training (mask 1 = keep), ã^[2] = a^[2] in eval;
            q is the drop probability (the lecture's letter; the code argument is p, as in PyTorch)
  early stopping on a recorded validation curve: val_losses[t − 1] after epoch t (epochs from 1);
            stop at the first epoch where `patience` epochs in a row brought no strict improvement;
            return (best epoch, stop epoch); a run that never stops ends at len(val_losses).
"""
import numpy as np

from bpkit_instructor.spec import exercise, variant


def _relu(z):
    return np.maximum(z, 0.0)


def _relu_prime(z):
    return (z > 0).astype(float)


# ---------------------------------------------------------------- L2 in a network
def key_l2_loss_and_grads(W2, b2, W3, b3, X, Y, lam, penalise_biases=False, per_example=False,
                      half=True, penalty_in_cost=True):
    N = X.shape[1]
    z2 = W2 @ X + b2
    a2 = np.tanh(z2)
    a3 = W3 @ a2 + b3
    delta3 = a3 - Y                                        # per example (22), linear output
    delta2 = (W3.T @ delta3) * (1.0 - a2 ** 2)             # (23)
    grads = [delta2 @ X.T / N, delta2.sum(axis=1, keepdims=True) / N,
             delta3 @ a2.T / N, delta3.sum(axis=1, keepdims=True) / N]   # (25), (24) with the 1/N
    k = (lam / N if per_example else lam) * (1.0 if half else 2.0)
    C = 0.5 * float(np.sum((a3 - Y) ** 2)) / N                         # (9)
    penalised = [(0, W2), (2, W3)] + ([(1, b2), (3, b3)] if penalise_biases else [])
    for i, P in penalised:
        grads[i] = grads[i] + k * P
        if penalty_in_cost:
            C += 0.5 * k * float(np.sum(P * P))
    return (C, *grads)


def _l2_case(rng, n=None, h=None, m=None, N=None):
    n = int(rng.integers(1, 4)) if n is None else n
    h = int(rng.integers(2, 6)) if h is None else h
    m = int(rng.integers(1, 3)) if m is None else m
    N = int(rng.integers(3, 8)) if N is None else N
    return {"W2": rng.normal(size=(h, n)), "b2": rng.normal(size=(h, 1)),
            "W3": rng.normal(size=(m, h)), "b3": rng.normal(size=(m, 1)),
            "X": rng.normal(size=(n, N)), "Y": rng.normal(size=(m, N)),
            "lam": float(rng.uniform(0.05, 0.8))}


_r = np.random.default_rng(801)
exercise(
    "08.l2_loss_and_grads",
    outputs=('C_reg', 'dW2', 'db2', 'dW3', 'db3'),
    reference=key_l2_loss_and_grads,
    visible=[_l2_case(_r, n=2, h=3, m=1, N=4), _l2_case(_r, n=1, h=4, m=2, N=5)],
    hidden=_l2_case,
    n_hidden=6,
    variants=[
        variant("biases penalised too",
                lambda W2, b2, W3, b3, X, Y, lam: key_l2_loss_and_grads(W2, b2, W3, b3, X, Y, lam, penalise_biases=True),
                "weight decay penalises the weights only: the biases' gradients are the plain data"
                " gradients, and the biases are not part of the penalty (lecture 08, section 3)."),
        variant("penalty divided by N",
                lambda W2, b2, W3, b3, X, Y, lam: key_l2_loss_and_grads(W2, b2, W3, b3, X, Y, lam, per_example=True),
                "the 1/N averages the data term over the examples; the penalty is added once to "
                "the averaged cost, so its gradient carries no 1/N (lecture 08, section 3, its "
                "gradient)."),
        variant("the ½ of the penalty missing",
                lambda W2, b2, W3, b3, X, Y, lam: key_l2_loss_and_grads(W2, b2, W3, b3, X, Y, lam, half=False),
                "this course's penalty carries a ½: with it, the derivative of the square leaves "
                "exactly λ times the weights (lecture 08, section 3)."),
        variant("penalty missing from the cost",
                lambda W2, b2, W3, b3, X, Y, lam: key_l2_loss_and_grads(W2, b2, W3, b3, X, Y, lam, penalty_in_cost=False),
                "the gradients include the decay but the returned cost does not: add the penalty "
                "of every weight matrix to C (lecture 08, section 3)."),
        variant("no L2 at all",
                lambda W2, b2, W3, b3, X, Y, lam: key_l2_loss_and_grads(W2, b2, W3, b3, X, Y, 0.0),
                "this is the unregularised cost and gradient: add the penalty to C and its gradient "
                "to each ∂C/∂W."),
    ],
    protect=["bpkit.optim.l2_penalty", "bpkit.optim.l2_grad"],
    what="C_reg and its gradients for a one-hidden-layer tanh network with L2",
)


# ---------------------------------------------------------------- dropout inside a network
def key_dropout_net_forward(X, W2, b2, W3, b3, p, mask, train=True, scale="1-p", keep=True, eval_mode="off"):
    a2 = _relu(W2 @ X + b2)
    if train:
        m = mask if keep else 1.0 - mask
        factor = {"1-p": 1.0 / (1.0 - p), "p": 1.0 / p, "none": 1.0}[scale]
        a2 = a2 * m * factor
    elif eval_mode == "mask":
        a2 = a2 * mask / (1.0 - p)
    elif eval_mode == "scaled":
        a2 = a2 * (1.0 - p)
    return W3 @ a2 + b3


def key_dropout_net_backward(X, Y, W2, b2, W3, b3, p, mask, mask_back=True, scale_back=True,
                         undropped=False, relu_prime=True):
    N = X.shape[1]
    z2 = W2 @ X + b2
    a2 = _relu(z2)
    keep = (mask if mask_back else 1.0) / ((1.0 - p) if scale_back else 1.0)
    a2d = a2 * mask / (1.0 - p)                        # ã^[2], what layer 3 saw
    a3 = W3 @ a2d + b3
    delta3 = a3 - Y                                    # per example
    da2 = (W3.T @ delta3) * keep                       # back through the dropout
    delta2 = da2 * (_relu_prime(z2) if relu_prime else 1.0)
    return (delta2 @ X.T / N, delta2.sum(axis=1, keepdims=True) / N,
            delta3 @ (a2 if undropped else a2d).T / N, delta3.sum(axis=1, keepdims=True) / N)


def _p(rng):
    # p = 0.5 would make 1/p and 1/(1 - p) agree; keep it away from 0.5
    return float(rng.choice([rng.uniform(0.1, 0.4), rng.uniform(0.6, 0.8)]))


def _mask(rng, shape, p):
    m = (rng.random(shape) >= p).astype(float)
    m.flat[0], m.flat[-1] = 0.0, 1.0          # at least one dropped and one kept unit
    return m


def _drop_case(rng, train=True, n=None, h=None, m=None, N=None, p=None):
    n = int(rng.integers(1, 4)) if n is None else n
    h = int(rng.integers(2, 6)) if h is None else h
    m = int(rng.integers(1, 3)) if m is None else m
    N = int(rng.integers(2, 6)) if N is None else N
    p = _p(rng) if p is None else p
    X, W2 = rng.normal(size=(n, N)), rng.normal(size=(h, n))
    b2 = rng.normal(size=(h, 1))
    b2[0] = 0.5 - (W2 @ X)[0].min()                    # unit 0 always active: dropping matters
    b2[1] = -0.5 - (W2 @ X)[1].max()                   # unit 1 never active: relu′ matters
    mask = _mask(rng, (h, N), p)
    mask[0, -1] = mask[1, 0] = 1.0                     # ... and each is kept somewhere
    case = {"X": X, "W2": W2, "b2": b2, "W3": rng.normal(size=(m, h)), "b3": rng.normal(size=(m, 1)),
            "p": p, "mask": mask}
    if train is not None:
        case["train"] = train
    return case


def _dropb_case(rng, **kw):
    c = _drop_case(rng, train=None, **kw)
    c["Y"] = rng.normal(size=(c["W3"].shape[0], c["X"].shape[1]))
    return c


exercise(
    "08.dropout_net_train",
    reference=key_dropout_net_forward,
    visible=[_drop_case(_r, n=2, h=3, m=1, N=4, p=0.25), _drop_case(_r)],
    hidden=_drop_case,
    n_hidden=6,
    variants=[
        variant("no rescaling",
                lambda X, W2, b2, W3, b3, p, mask, train=True: key_dropout_net_forward(X, W2, b2, W3, b3, p, mask, train, scale="none"),
                "inverted dropout divides the kept units by the keep probability, so the expected "
                "input of layer 3 stays a^[2] and nothing has to change at evaluation time "
                "(lecture 08, section 4)."),
        variant("rescaled by the drop probability",
                lambda X, W2, b2, W3, b3, p, mask, train=True: key_dropout_net_forward(X, W2, b2, W3, b3, p, mask, train, scale="p"),
                "the drop probability q (argument p) is the chance to DROP a unit; the kept units survive "
                "with the keep probability, one minus q: divide by that."),
        variant("mask inverted (kept the dropped units)",
                lambda X, W2, b2, W3, b3, p, mask, train=True: key_dropout_net_forward(X, W2, b2, W3, b3, p, mask, train, keep=False),
                "your output is what the network gives when exactly the DROPPED units are kept: a "
                "mask entry of one means keep."),
    ],
    protect=["bpkit.layers.Dropout"],
    what="the network's output with inverted dropout in training mode",
)

exercise(
    "08.dropout_net_eval",
    reference=key_dropout_net_forward,
    visible=[_drop_case(_r, train=False, n=2, h=3, m=1, N=4, p=0.25), _drop_case(_r, train=False)],
    hidden=lambda rng: _drop_case(rng, train=False),
    n_hidden=6,
    variants=[
        variant("mask applied in eval mode",
                lambda X, W2, b2, W3, b3, p, mask, train=True: key_dropout_net_forward(X, W2, b2, W3, b3, p, mask, train, eval_mode="mask"),
                "at evaluation (train False) dropout is switched off: layer 3 sees a^[2] "
                "unchanged, the mask is ignored."),
        variant("scaled by the keep probability in eval mode",
                lambda X, W2, b2, W3, b3, p, mask, train=True: key_dropout_net_forward(X, W2, b2, W3, b3, p, mask, train, eval_mode="scaled"),
                "that is the old, non-inverted dropout; with inverted dropout the scaling already "
                "happened in training, so evaluation uses a^[2] as it is."),
    ],
    protect=["bpkit.layers.Dropout"],
    what="the network's output with dropout in evaluation mode (train=False)",
)

exercise(
    "08.dropout_net_backward",
    outputs=('dW2', 'db2', 'dW3', 'db3'),
    reference=key_dropout_net_backward,
    visible=[_dropb_case(_r, n=2, h=3, m=1, N=4, p=0.25), _dropb_case(_r, n=1, h=4, m=2, N=3)],
    hidden=_dropb_case,
    n_hidden=6,
    variants=[
        variant("mask forgotten in the backward pass",
                lambda X, Y, W2, b2, W3, b3, p, mask: key_dropout_net_backward(X, Y, W2, b2, W3, b3, p, mask, mask_back=False),
                "a dropped unit did not reach layer 3, so no gradient comes back to it: the "
                "backward pass multiplies by the same masked, rescaled factor the forward pass "
                "used (lecture 08, section 4, backward)."),
        variant("no rescaling in the backward pass",
                lambda X, Y, W2, b2, W3, b3, p, mask: key_dropout_net_backward(X, Y, W2, b2, W3, b3, p, mask, scale_back=False),
                "the forward pass multiplied a^[2] by the mask AND the rescaling; its derivative "
                "is that same factor, the rescaling included."),
        variant("∂C/∂W3 with the undropped activations",
                lambda X, Y, W2, b2, W3, b3, p, mask: key_dropout_net_backward(X, Y, W2, b2, W3, b3, p, mask, undropped=True),
                "layer 3's input in training was the dropped, rescaled ã^[2], so ∂C/∂W3 (eq. 25) "
                "uses what layer 3 actually saw."),
        variant("relu′ missing",
                lambda X, Y, W2, b2, W3, b3, p, mask: key_dropout_net_backward(X, Y, W2, b2, W3, b3, p, mask, relu_prime=False),
                "after the dropout comes the activation: δ^[2] needs relu′(z^[2]) (eq. 23)."),
    ],
    protect=["bpkit.layers.Dropout"],
    what="(∂C/∂W2, ∂C/∂b2, ∂C/∂W3, ∂C/∂b3) of a network with dropout",
)


# ---------------------------------------------------------------- early stopping on accuracy
# The lecture stops on the validation COST (lower is better, bpkit.optim.EarlyStopping); the
# assignment stops on the validation ACCURACY of recorded linear-classifier snapshots (higher is
# better, ties frequent) and returns the best weights.
def key_early_stopping(val_losses, patience, mode="right"):
    """(best, stop), epochs from 1, of the patience rule on a curve to MINIMISE, and its near misses."""
    best, best_epoch, wait = np.inf, 0, 0
    for epoch, v in enumerate(val_losses, start=1):
        improved = v <= best if mode == "ties" else v < best
        if improved:
            best, best_epoch = v, epoch
            if mode != "noreset":
                wait = 0
        else:
            wait += 1
            limit = {"late": patience + 1, "early": patience - 1}.get(mode, patience)
            if mode != "never" and wait >= limit:
                if mode == "zero":
                    return best_epoch - 1, epoch - 1
                return best_epoch, epoch
    if mode == "zero":
        return best_epoch - 1, len(val_losses) - 1
    return best_epoch, len(val_losses)


def _accuracies(snapshots, Xv, yv):
    S = np.asarray(snapshots, float)
    return np.array([np.mean((W @ np.asarray(Xv, float)).argmax(axis=0) == np.asarray(yv)) for W in S])


def _es_acc(snapshots, Xv, yv, patience, mode="right", minimise=False, last=False):
    acc = _accuracies(snapshots, Xv, yv)
    best, stop = key_early_stopping(acc if minimise else -acc, patience, mode)
    W = np.asarray(snapshots, float)[(stop if last else best) - 1]
    return best, stop, W.copy()


def _counts_curve(rng, patience, N):
    """Correct-counts per epoch that separate the right rule from every near miss (see below)."""
    level = int(rng.integers(N // 5, N // 3))
    curve = [level]

    def better():
        nonlocal level
        level = min(N, level + int(rng.integers(1, 3)))
        curve.append(level)

    def worse(n, tie_at=None):
        for i in range(n):
            curve.append(level if i == tie_at else max(0, level - int(rng.integers(1, 3))))

    better()
    worse(patience - 1, tie_at=0 if patience > 1 else None)   # "one epoch early" stops in here
    better()                                                   # ... and "counter not reset" runs on
    better()
    worse(patience, tie_at=int(rng.integers(0, patience)))    # the right rule stops at the end of this
    better()                                                   # "ties improve" never stopped: this is its best
    worse(patience + 1)                                        # "one epoch late" stops at the end of this
    better()                                                   # only "never stops" reaches this one
    return curve


def _es_acc_case(rng):
    """Snapshots with exactly prescribed validation accuracies: W_t = M_t Xv⁺ with Xv of full column
    rank, so W_t Xv = M_t, logits with a margin of 1 between the predicted class and the rest."""
    patience = int(rng.integers(2, 5))
    k, N = 3, 20
    n = N + int(rng.integers(2, 6))
    counts = _counts_curve(rng, patience, N)
    Xv = rng.normal(size=(n, N))
    yv = rng.integers(0, k, size=N)
    pinv = np.linalg.pinv(Xv)
    snaps = []
    for cnt in counts:
        right = np.zeros(N, bool)
        right[rng.permutation(N)[:cnt]] = True
        pred = np.where(right, yv, (yv + rng.integers(1, k, size=N)) % k)
        M = rng.normal(size=(k, N)) * 0.1
        M[pred, np.arange(N)] += 1.0
        snaps.append(M @ pinv)
    return {"snapshots": np.array(snaps), "Xv": Xv, "yv": yv, "patience": patience}


exercise(
    "08.early_stopping",
    reference=lambda snapshots, Xv, yv, patience: _es_acc(snapshots, Xv, yv, patience),
    visible=[_es_acc_case(np.random.default_rng(80)), _es_acc_case(np.random.default_rng(81))],
    hidden=_es_acc_case,
    n_hidden=6,
    variants=[
        variant("accuracy treated like a cost (the lowest one kept)",
                lambda snapshots, Xv, yv, patience: _es_acc(snapshots, Xv, yv, patience, minimise=True),
                "the lecture's rule minimises a validation COST; accuracy is to be MAXIMISED, so an "
                "improvement is a strictly higher accuracy."),
        variant("returned the weights at the stop, not the best ones",
                lambda snapshots, Xv, yv, patience: _es_acc(snapshots, Xv, yv, patience, last=True),
                "early stopping hands back the BEST weights (lecture 08, section 5: restore the copy "
                "kept at t*), not those of the epoch at which it stopped."),
        variant("a tie counted as an improvement",
                lambda snapshots, Xv, yv, patience: _es_acc(snapshots, Xv, yv, patience, mode="ties"),
                "only a strictly higher accuracy is an improvement; an equal accuracy is an epoch without "
                "improvement (lecture 08, section 5, says the same of the cost)."),
        variant("stops one epoch late",
                lambda snapshots, Xv, yv, patience: _es_acc(snapshots, Xv, yv, patience, mode="late"),
                "you waited for one more epoch than `patience` without improvement; stop at the epoch that "
                "completes the run of `patience` (lecture 08, section 5, counts them)."),
        variant("stops one epoch early",
                lambda snapshots, Xv, yv, patience: _es_acc(snapshots, Xv, yv, patience, mode="early"),
                "you stopped after one epoch fewer than `patience` without improvement; an "
                "improvement may still come at the last epoch of the run (lecture 08, section 5)."),
        variant("never stops (best over all epochs)",
                lambda snapshots, Xv, yv, patience: _es_acc(snapshots, Xv, yv, patience, mode="never"),
                "early stopping must STOP: epochs after T are never trained, so they cannot be chosen."),
        variant("counter not reset on improvement",
                lambda snapshots, Xv, yv, patience: _es_acc(snapshots, Xv, yv, patience, mode="noreset"),
                "patience counts epochs without improvement IN A ROW: the count starts again at every "
                "improvement (lecture 08, section 5)."),
    ],
    what="(t*, T, the restored weights) of early stopping on validation accuracy, on 2 visible and 6 "
         "random recorded runs",
)
