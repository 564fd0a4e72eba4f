"""Assignment 08: overfitting and regularisation.

Conventions:
  L2      C_reg = C + (λ/2) Σ_l ‖W^[l]‖²_F   so   ∂C_reg/∂W^[l] = ∂C/∂W^[l] + λ W^[l]   (biases are not penalised)
  dropout inverted dropout with drop probability p: mask ∈ {0, 1} (1 = keep, keep probability 1 − p),
          train: out = a ∘ mask / (1 − p);  eval: out = a (no mask, no scaling)
  early stopping: evaluate the validation loss after every epoch, keep a copy of the best weights,
          stop after `patience` epochs in a row without a strict improvement.
"""
import numpy as np

from bpkit.grading.registry import exercise, variant


# ---------------------------------------------------------------- L2 weight decay
def l2_penalty(Ws, lam):
    return 0.5 * lam * sum(float(np.sum(W * W)) for W in Ws)


def l2_grad(W, dW, lam):
    return dW + lam * W


def _pen_case(rng):
    k = int(rng.integers(1, 4))
    return {"Ws": [rng.normal(size=(int(rng.integers(2, 5)), int(rng.integers(1, 5)))) for _ in range(k)],
            "lam": float(rng.uniform(0.01, 1.0))}


def _grad_case(rng):
    shape = (int(rng.integers(1, 5)), int(rng.integers(1, 5)))
    return {"W": rng.normal(size=shape), "dW": rng.normal(size=shape), "lam": float(rng.uniform(0.01, 1.0))}


_r = np.random.default_rng(801)
exercise(
    "08.l2_penalty",
    reference=l2_penalty,
    visible=[{"Ws": [np.array([[1.0, -2.0], [0.5, 3.0]]), np.array([[2.0, 1.0]])], "lam": 0.1},
             _pen_case(_r)],
    hidden=_pen_case,
    n_hidden=6,
    variants=[
        variant("½ missing",
                lambda Ws, lam: lam * sum(float(np.sum(W * W)) for W in Ws),
                "this course's convention is C_reg = C + (λ/2)‖W‖²: the ½ makes the gradient exactly λW."),
        variant("norm not squared",
                lambda Ws, lam: 0.5 * lam * sum(float(np.linalg.norm(W)) for W in Ws),
                "the penalty uses the squared Frobenius norm ‖W‖² = Σ_jk w_jk², not ‖W‖."),
        variant("mean of squares instead of sum",
                lambda Ws, lam: 0.5 * lam * sum(float(np.mean(W * W)) for W in Ws),
                "‖W‖² is the sum of the squared entries, not their mean."),
    ],
    protect=["bpkit.optim.l2_penalty"],
    what="(λ/2) Σ_l ‖W^[l]‖²",
)

exercise(
    "08.l2_grad",
    reference=l2_grad,
    visible=[{"W": np.array([[1.0, -2.0], [0.5, 3.0]]), "dW": np.array([[0.1, 0.2], [-0.3, 0.0]]), "lam": 0.1},
             _grad_case(_r)],
    hidden=_grad_case,
    n_hidden=6,
    variants=[
        variant("λ/2 · W",
                lambda W, dW, lam: dW + 0.5 * lam * W,
                "d/dW of (λ/2)‖W‖² is λW: the ½ cancels the 2 from the square."),
        variant("2λ · W",
                lambda W, dW, lam: dW + 2 * lam * W,
                "with C_reg = C + (λ/2)‖W‖² the decay term is λW, not 2λW (2λW belongs to λ‖W‖² without the ½)."),
        variant("data gradient dropped",
                lambda W, dW, lam: lam * W,
                "the regularised gradient is the data gradient plus the decay: dW + λW."),
        variant("sign of the decay flipped",
                lambda W, dW, lam: dW - lam * W,
                "the penalty grows with ‖W‖, so its gradient λW points away from 0: add it."),
    ],
    protect=["bpkit.optim.l2_grad"],
    what="∂C/∂W + λW",
)


# ---------------------------------------------------------------- dropout
def dropout_forward(a, p, mask, train=True):
    return a * mask / (1.0 - p) if train else a


def dropout_backward(dout, p, mask):
    return dout * mask / (1.0 - p)


def _p(rng):
    # p = 0.5 would make 1/p and 1/(1 - p) agree; keep it away from 0.5
    return float(rng.choice([rng.uniform(0.1, 0.4), rng.uniform(0.6, 0.8)]))


def _mask(rng, shape, p):
    m = (rng.random(shape) >= p).astype(float)
    m.flat[0], m.flat[-1] = 0.0, 1.0          # at least one dropped and one kept unit
    return m


def _drop_case(rng, train=True):
    shape = (int(rng.integers(2, 6)), int(rng.integers(2, 6)))
    p = _p(rng)
    return {"a": rng.normal(size=shape), "p": p, "mask": _mask(rng, shape, p), "train": train}


def _dropb_case(rng):
    c = _drop_case(rng)
    return {"dout": c["a"], "p": c["p"], "mask": c["mask"]}


_M = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
_A = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]])

exercise(
    "08.dropout_train",
    reference=dropout_forward,
    visible=[{"a": _A, "p": 0.25, "mask": _M, "train": True}, _drop_case(_r)],
    hidden=_drop_case,
    n_hidden=6,
    variants=[
        variant("no rescaling",
                lambda a, p, mask, train=True: a * mask if train else a,
                "inverted dropout divides the kept units by the keep probability 1 − p, so the expected "
                "activation stays a and nothing has to change at test time."),
        variant("rescaled by 1/p",
                lambda a, p, mask, train=True: a * mask / p if train else a,
                "p is the DROP probability; the kept units survive with probability 1 − p, divide by 1 − p."),
        variant("mask inverted",
                lambda a, p, mask, train=True: a * (1 - mask) / (1.0 - p) if train else a,
                "mask == 1 means keep: multiply by the mask, not by 1 − mask."),
    ],
    protect=["bpkit.layers.Dropout"],
    what="inverted dropout in train mode",
)

exercise(
    "08.dropout_eval",
    reference=dropout_forward,
    visible=[{"a": _A, "p": 0.25, "mask": _M, "train": False}, _drop_case(_r, train=False)],
    hidden=lambda rng: _drop_case(rng, train=False),
    n_hidden=6,
    variants=[
        variant("mask applied in eval mode",
                lambda a, p, mask, train=True: a * mask / (1.0 - p),
                "at evaluation (train=False) dropout is switched off: return a unchanged, ignore the mask."),
        variant("scaled by 1 − p in eval mode",
                lambda a, p, mask, train=True: a * mask / (1.0 - p) if train else a * (1.0 - p),
                "that is the old, non-inverted dropout; with inverted dropout the scaling already happened "
                "in training, so eval returns a as it is."),
    ],
    protect=["bpkit.layers.Dropout"],
    what="dropout in eval mode (train=False)",
)

exercise(
    "08.dropout_backward",
    reference=dropout_backward,
    visible=[{"dout": _A, "p": 0.25, "mask": _M}, _dropb_case(_r)],
    hidden=_dropb_case,
    n_hidden=6,
    variants=[
        variant("no rescaling",
                lambda dout, p, mask: dout * mask,
                "the forward pass multiplied by mask/(1 − p), so the backward pass multiplies dout by the same factor."),
        variant("mask forgotten",
                lambda dout, p, mask: dout / (1.0 - p),
                "dropped units did not reach the output: their gradient is 0, multiply by the mask."),
    ],
    protect=["bpkit.layers.Dropout"],
    what="∂C/∂a = dout ∘ mask / (1 − p)",
)


# ---------------------------------------------------------------- early stopping
def validation_problem(w0, w_train, w_val, eta, wobble, _np=np):
    """A deterministic toy run, as (step, val_loss). `step(w)` is one epoch of gradient descent on a
    training loss (updates w IN PLACE, like an optimiser); `val_loss(w)` is a validation loss that
    first falls, then rises (overfitting), and wobbles from epoch to epoch like a noisy curve.

    Closures only (numpy bound as a default): the judge seals this module before calling them.
    """
    w0, w_train, w_val = (_np.array(v, dtype=float) for v in (w0, w_train, w_val))
    start = _np.linalg.norm(w0 - w_train)
    log_keep = _np.log(1.0 - eta)

    def step(w):
        w -= eta * (w - w_train)

    def val_loss(w):
        d = w - w_val
        # the epoch t, read off w: ‖w_t − w_train‖ = (1 − η)^t ‖w_0 − w_train‖
        t = _np.log(_np.linalg.norm(w - w_train) / start) / log_keep
        return 0.5 * float(d @ d) * (1.0 + wobble * _np.cos(_np.pi * t))

    return step, val_loss


def early_stopping(w0, step, val_loss, max_epochs, patience, mode="best"):
    w = np.array(w0, dtype=float, copy=True)
    best_w, best_val, best_epoch, wait = w.copy(), np.inf, 0, 0
    ref = None
    for epoch in range(1, int(max_epochs) + 1):
        step(w)
        v = val_loss(w)
        if v < best_val:
            best_val, best_epoch, wait = v, epoch, 0
            best_w = w.copy()
            ref = w                                   # the "no copy" mistake keeps this alias
        else:
            wait += 1
            if wait >= (1 if mode == "nopatience" else patience):
                break
    if mode == "last":
        return w.copy(), epoch
    if mode == "alias":
        return ref.copy(), best_epoch
    return best_w, best_epoch


def _es_case(rng):
    while True:                                       # keep runs whose validation curve turns up
        case = _es_draw(rng)
        if early_stopping(**case)[1] <= 30:
            return case


def _es_draw(rng):
    d = int(rng.integers(2, 5))
    w0 = rng.normal(size=d)
    w_train = w0 + rng.normal(size=d) * 3.0
    eta = float(rng.uniform(0.1, 0.25))
    t_star = int(rng.integers(6, 12))                 # validation optimum near this epoch
    w_val = w_train + (1 - eta) ** t_star * (w0 - w_train) + 0.1 * rng.normal(size=d)
    step, val_loss = validation_problem(w0, w_train, w_val, eta, wobble=float(rng.uniform(0.4, 0.6)))
    return {"w0": w0, "step": step, "val_loss": val_loss,
            "max_epochs": 60, "patience": int(rng.integers(3, 6))}


exercise(
    "08.early_stopping",
    reference=lambda w0, step, val_loss, max_epochs, patience: early_stopping(w0, step, val_loss, max_epochs, patience),
    visible=[_es_case(_r), _es_case(_r)],
    hidden=_es_case,
    n_hidden=6,
    variants=[
        variant("returns the last weights",
                lambda w0, step, val_loss, max_epochs, patience:
                early_stopping(w0, step, val_loss, max_epochs, patience, mode="last"),
                "when you stop, the current weights are `patience` epochs past the best ones: return the "
                "copy you saved at the best validation loss, and that epoch."),
        variant("best weights saved without a copy",
                lambda w0, step, val_loss, max_epochs, patience:
                early_stopping(w0, step, val_loss, max_epochs, patience, mode="alias"),
                "step(w) updates w in place, so `best_w = w` keeps pointing at the moving weights; "
                "save `best_w = w.copy()`."),
        variant("patience ignored",
                lambda w0, step, val_loss, max_epochs, patience:
                early_stopping(w0, step, val_loss, max_epochs, patience, mode="nopatience"),
                "you stopped at the first epoch without improvement; wait `patience` epochs in a row "
                "without improvement before stopping (the validation curve is noisy)."),
    ],
    protect=["bpkit.optim.EarlyStopping"],
    what="(best weights, best epoch) of early stopping",
)
