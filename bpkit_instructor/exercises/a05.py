"""Assignment 05 — making SGD work: Nesterov momentum, a warmup + cosine schedule, initialisation for
leaky relu (graded by its distribution), the learning-rate limits of gradient descent and momentum.

The lecture codes classic momentum, step decay, He (relu) and Xavier (tanh) and states the GD limit
η < 2/λ_max for least squares; every exercise here transfers one of those to a case it did not solve.
References are self-contained numpy (they never call student-editable code).
"""
import copy

import itertools

import numpy as np

from bpkit.grading import scores
from bpkit_instructor.spec import exercise, variant


# ---------------------------------------------------------------- Nesterov momentum on a quadratic
# C(w) = ½ wᵀ H w − bᵀ w (H symmetric positive definite), ∇C(w) = H w − b.
# Nesterov (Sutskever et al. 2013): v ← β v − η ∇C(w + β v), w ← w + v, v₀ = 0.
def _nesterov(H, b, w0, eta, beta, n_steps, *, lookahead=1.0, grad_sign_b=-1.0, keep_w0=True,
              old_velocity=False):
    H, b = np.asarray(H, float), np.asarray(b, float).ravel()
    w = np.array(w0, dtype=float).ravel()
    v = np.zeros_like(w)
    path = [w.copy()] if keep_w0 else []
    for _ in range(n_steps):
        look = w + lookahead * beta * v
        g = H @ look + grad_sign_b * b
        v_new = beta * v - eta * g
        w = w + (v if old_velocity else v_new)
        v = v_new
        path.append(w.copy())
    return np.array(path)


def _spd(rng, d, lo=0.2, hi=10.0):
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    return (Q * rng.uniform(lo, hi, size=d)) @ Q.T


def _cases_nesterov(rng):
    d = int(rng.integers(2, 6))
    H = _spd(rng, d)
    lam_max = np.linalg.eigvalsh(H).max()
    return {"H": H, "b": rng.normal(size=d), "w0": rng.normal(size=d) * 2,
            "eta": float(rng.uniform(0.2, 0.9) / lam_max), "beta": float(rng.uniform(0.5, 0.95)),
            "n_steps": int(rng.integers(3, 12))}


_r = np.random.default_rng(5)
exercise(
    "05.nesterov",
    reference=lambda H, b, w0, eta, beta, n_steps: _nesterov(H, b, w0, eta, beta, n_steps),
    visible=[
        {"H": np.array([[1.0, 0.0], [0.0, 25.0]]), "b": np.array([0.0, 0.0]), "w0": np.array([-9.0, 1.5]),
         "eta": 0.03, "beta": 0.9, "n_steps": 4},
        dict(_cases_nesterov(_r), n_steps=6),
    ],
    hidden=_cases_nesterov,
    n_hidden=5,
    variants=[
        variant("classic momentum (gradient at w, not at the look-ahead point)",
                lambda H, b, w0, eta, beta, n_steps: _nesterov(H, b, w0, eta, beta, n_steps, lookahead=0.0),
                "that is lecture 05's classic momentum: Nesterov evaluates ∇C at the look-ahead "
                "point, where the old velocity (scaled by β) would carry w, not at w itself "
                "(lecture 05, section 7.1)."),
        variant("look-ahead in the wrong direction (against the velocity)",
                lambda H, b, w0, eta, beta, n_steps: _nesterov(H, b, w0, eta, beta, n_steps, lookahead=-1.0),
                "the velocity v already points where w is going: look ahead along v, not against "
                "it."),
        variant("gradient with the wrong sign on the linear term",
                lambda H, b, w0, eta, beta, n_steps: _nesterov(H, b, w0, eta, beta, n_steps, grad_sign_b=1.0),
                "differentiate the quadratic C(w) term by term: the linear term enters with a "
                "minus sign, and so does its derivative."),
        variant("weights moved with the old velocity",
                lambda H, b, w0, eta, beta, n_steps: _nesterov(H, b, w0, eta, beta, n_steps, old_velocity=True),
                "update the velocity first, then move the weights with the NEW velocity."),
        variant("starting point missing from the path",
                lambda H, b, w0, eta, beta, n_steps: _nesterov(H, b, w0, eta, beta, n_steps, keep_w0=False),
                "return one row more than there are steps: the starting point w₀ itself first, "
                "then the iterate after each step."),
    ],
    protect=["bpkit.optim.Momentum"],
    what="the n_steps + 1 iterates of Nesterov momentum on C(w) = ½wᵀHw − bᵀw",
)


# ---------------------------------------------------------------- warmup + cosine schedule
# e < warmup: η_e = η_max (e + 1)/warmup; warmup ≤ e ≤ n − 1: η_e = η_min + ½(η_max − η_min)(1 + cos πt),
# t = (e − warmup)/(n − 1 − warmup): η_max at e = warmup, η_min at the last epoch e = n − 1.
def _warmup_cosine(eta_max, eta_min, warmup, n_epochs, *, rise="e+1", span=-1, period=1.0,
                   floor=True):
    e = np.arange(n_epochs, dtype=float)
    up = {"e+1": (e + 1) / warmup, "e": e / warmup}[rise]
    T = n_epochs - warmup + span                     # span −1: reach η_min at the last epoch
    t = (e - warmup) / T
    lo = eta_min if floor else 0.0
    down = lo + 0.5 * (eta_max - lo) * (1 + np.cos(period * np.pi * t))
    return np.where(e < warmup, eta_max * up, down)


def _cases_schedule(rng):
    warmup = int(rng.integers(1, 6))
    return {"eta_max": float(rng.uniform(0.05, 1.0)), "eta_min": float(rng.uniform(0.001, 0.02)),
            "warmup": warmup, "n_epochs": int(warmup + rng.integers(3, 25))}


exercise(
    "05.warmup_cosine",
    reference=lambda eta_max, eta_min, warmup, n_epochs: _warmup_cosine(eta_max, eta_min, warmup, n_epochs),
    visible=[{"eta_max": 0.1, "eta_min": 0.001, "warmup": 3, "n_epochs": 12},
             {"eta_max": 1.0, "eta_min": 0.0, "warmup": 1, "n_epochs": 6}],
    hidden=_cases_schedule,
    n_hidden=6,
    variants=[
        variant("off by one: η_min reached one epoch after the last",
                lambda eta_max, eta_min, warmup, n_epochs:
                    _warmup_cosine(eta_max, eta_min, warmup, n_epochs, span=0),
                "the cosine part runs from epoch `warmup` to the last epoch, and the last epoch "
                "itself must use η_min (lecture 05, section 7.2)."),
        variant("warmup starts at a zero learning rate",
                lambda eta_max, eta_min, warmup, n_epochs:
                    _warmup_cosine(eta_max, eta_min, warmup, n_epochs, rise="e"),
                "epoch 0 must already train: the warmup line climbs in equal steps and reaches "
                "η_max at the last warmup epoch, so its first value is one such step, not zero."),
        variant("a full cosine period instead of half",
                lambda eta_max, eta_min, warmup, n_epochs:
                    _warmup_cosine(eta_max, eta_min, warmup, n_epochs, period=2.0),
                "the decay is HALF a period of the cosine: from its maximum to its minimum, not "
                "back up again."),
        variant("η_min ignored (decays to 0)",
                lambda eta_max, eta_min, warmup, n_epochs:
                    _warmup_cosine(eta_max, eta_min, warmup, n_epochs, floor=False),
                "the cosine runs between η_max and η_min: it ends at η_min, not at zero."),
    ],
    what="linear warmup to η_max, then half a cosine down to η_min at the last epoch",
)


# ---------------------------------------------------------------- init for leaky relu, graded by distribution
# Var z^[l] = n_in Var(w) E[a²] and E[leaky(z)²] = ½(1 + α²) Var z, so Var(w) = 2 / ((1 + α²) n_in).
# Any correct draw passes (scores.leaky_init tests the distribution, not one draw order); the
# variants below draw like the reference, so a student whose wrong answer draws the same way is
# also told which misconception it is.
def _draw(rng, n_out, n_in, std, dist):
    rng = copy.deepcopy(rng)
    if dist == "uniform":
        a = np.sqrt(3.0) * std                          # U(−a, a) has variance a²/3
        return rng.uniform(-a, a, size=(n_out, n_in))
    return rng.normal(0.0, std, size=(n_out, n_in))


def _leaky_std(n_in, alpha):
    return np.sqrt(2.0 / ((1.0 + alpha ** 2) * n_in))


def _leaky_init(n_out, n_in, alpha, rng, dist="normal"):
    return _draw(rng, n_out, n_in, _leaky_std(n_in, alpha), dist)


def _cases_init(rng):
    # fan-in and fan-out far apart (fan-out and Glorot-style answers differ), ≥ 10⁴ entries
    small, large = int(rng.integers(60, 101)), int(rng.integers(300, 401))
    n_in, n_out = (small, large) if rng.random() < 0.5 else (large, small)
    # α in [0.35, 0.55]: ignoring α (1 + α²) and not squaring it ((1 + α²)/(1 + α)) both move the
    # variance by more than 12 %, ten standard errors at ≥ 18 000 entries
    return {"n_out": n_out, "n_in": n_in, "alpha": round(float(rng.uniform(0.35, 0.55)), 3),
            "rng": np.random.default_rng(int(rng.integers(2**63))),
            "dist": str(rng.choice(["normal", "uniform"]))}


exercise(
    "05.leaky_init",
    reference=None,
    score=scores.leaky_init,
    visible=[{"n_out": 50, "n_in": 80, "alpha": 0.45, "rng": np.random.default_rng(1), "dist": "normal"},
             {"n_out": 40, "n_in": 30, "alpha": 0.45, "rng": np.random.default_rng(2), "dist": "uniform"}],
    hidden=_cases_init,
    n_hidden=4,
    variants=[
        variant("He for relu (slope α ignored)",
                lambda n_out, n_in, alpha, rng, dist="normal": _draw(rng, n_out, n_in, np.sqrt(2.0 / n_in), dist),
                "that is He's choice for relu, which zeroes the whole negative half of z. A leaky "
                "relu keeps a scaled copy of z there: recompute the second moment of a with that "
                "half included (lecture 05, section 5)."),
        variant("LeCun's scale (the activation ignored)",
                lambda n_out, n_in, alpha, rng, dist="normal": _draw(rng, n_out, n_in, np.sqrt(1.0 / n_in), dist),
                "LeCun's variance keeps the variance of a LINEAR layer; the leaky relu changes the"
                " second moment of what the next layer receives (lecture 05, section 5)."),
        variant("the slope α not squared",
                lambda n_out, n_in, alpha, rng, dist="normal":
                    _draw(rng, n_out, n_in, np.sqrt(2.0 / ((1.0 + alpha) * n_in)), dist),
                "on the negative half the activation is z scaled by α, so its square is scaled by "
                "the SQUARE of α."),
        variant("fan-out instead of fan-in",
                lambda n_out, n_in, alpha, rng, dist="normal": _draw(rng, n_out, n_in, _leaky_std(n_out, alpha), dist),
                "each unit of layer l sums as many inputs as W has columns, the width of the "
                "previous layer: the forward variance depends on the fan-in."),
        variant("uniform limit taken as the standard deviation",
                lambda n_out, n_in, alpha, rng, dist="normal":
                    _draw(rng, n_out, n_in, _leaky_std(n_in, alpha) / (np.sqrt(3.0) if dist == "uniform" else 1.0), dist),
                "a uniform distribution on a symmetric interval has a variance of a third of its "
                "limit squared, not the limit squared: the limit is larger than the standard "
                "deviation by the root of three."),
        variant("variance used as the standard deviation",
                lambda n_out, n_in, alpha, rng, dist="normal":
                    _draw(rng, n_out, n_in, 2.0 / ((1.0 + alpha ** 2) * n_in), dist),
                "the generator's `scale` is the standard deviation: pass the square root of the "
                "variance."),
    ],
    protect=["bpkit.init.he", "bpkit.init.xavier", "bpkit.init.uniform"],
    what="W of shape (n_out, n_in) for a leaky-relu layer, graded by its distribution (any draw order)",
)


# ---------------------------------------------------------------- learning-rate limits, ridge least squares
# C(p) = (1/2N)‖Ap − t‖² + (λ/2)‖p‖², H = AᵀA/N + λI. GD is stable iff η < 2/λ_max(H); with
# η = 1/λ_max the slowest direction shrinks by 1 − 1/κ per step: ln 10 / (−ln(1 − 1/κ)) steps per digit.
def _gd_speed(A, lam, *, ridge=True, per_n=True, exact=True, eta_factor=2.0, log=np.log(10.0)):
    A = np.asarray(A, float)
    H = A.T @ A / (A.shape[0] if per_n else 1.0)
    if ridge:
        H = H + lam * np.eye(A.shape[1])
    ev = np.linalg.eigvalsh(H)
    kappa = ev.max() / ev.min()
    steps = log / -np.log1p(-1.0 / kappa) if exact else kappa * log
    return eta_factor / ev.max(), kappa, steps


def _cases_gd_speed(rng):
    N, k = int(rng.integers(8, 40)), int(rng.integers(2, 5))
    scales = 10.0 ** rng.uniform(-1, 1, size=k)                 # features of different sizes
    A = rng.normal(size=(N, k)) * scales + rng.uniform(0, 2, size=k)
    return {"A": A, "lam": float(10.0 ** rng.uniform(-2, 0))}


_r = np.random.default_rng(15)
exercise(
    "05.gd_speed",
    reference=lambda A, lam: _gd_speed(A, lam),
    visible=[{"A": np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0], [2.0, -1.0]]), "lam": 0.1},
             _cases_gd_speed(_r)],
    hidden=_cases_gd_speed,
    n_hidden=6,
    variants=[
        variant("the penalty's identity term missing from the Hessian",
                lambda A, lam: _gd_speed(A, lam, ridge=False),
                "the penalty adds λ to the second derivative in every direction: the Hessian gains"
                " λ times the identity."),
        variant("Hessian without 1/N",
                lambda A, lam: _gd_speed(A, lam, per_n=False),
                "C averages over the N rows: the data part of the Hessian carries the 1/N of that "
                "mean too."),
        variant("the approximation for large κ instead of the exact count",
                lambda A, lam: _gd_speed(A, lam, exact=False),
                "κ times the log of 10 is the approximation for large κ; the exact count is the "
                "number of steps whose contraction factors multiply to one tenth."),
        variant("the largest step taken as one over the largest eigenvalue",
                lambda A, lam: _gd_speed(A, lam, eta_factor=1.0),
                "one over λ_max removes the steepest direction in one step; GD still converges up "
                "to (not including) twice that, where the factor per step along that direction "
                "reaches minus one (lecture 04, section 5)."),
        variant("steps to shrink by e, not by 10",
                lambda A, lam: _gd_speed(A, lam, log=1.0),
                "one digit is a factor 10: count the steps whose contraction factors multiply to "
                "one tenth, not to one over e."),
    ],
    what="(η_max, κ, steps per digit) for gradient descent on ridge least squares",
)


# ---------------------------------------------------------------- momentum's stability limit (reasoning)
# w_{k+1} = w_k − ηc w_k + β (w_k − w_{k−1}); r² − (1 + β − ηc) r + β = 0 has both roots inside the
# unit circle iff 0 < ηc < 2(1 + β). c is the curvature of the bowl ½cw² (lecture 04's notation).
def _cases_stable(rng):
    return {"c": float(10.0 ** rng.uniform(-1, 2)), "beta": round(float(rng.uniform(0.0, 0.99)), 3)}


exercise(
    "05.max_stable_eta",
    reference=lambda c, beta: 2.0 * (1.0 + beta) / c,
    visible=[{"c": 4.0, "beta": 0.0}, {"c": 25.0, "beta": 0.9}],
    hidden=_cases_stable,
    n_hidden=6,
    variants=[
        variant("plain GD's limit (momentum ignored)",
                lambda c, beta: 2.0 / c,
                "that is gradient descent's limit, right without momentum only (β zero). With "
                "momentum the recursion has two roots; find the η at which one of them leaves the "
                "unit circle."),
        variant("the effective step on a constant gradient (the steady-state argument)",
                lambda c, beta: 2.0 * (1.0 - beta) / c,
                "that is momentum's step on a CONSTANT gradient (lecture 05, section 7.1); "
                "stability is decided by the oscillating mode, the root that reaches minus one."),
        variant("the factor 2 lost",
                lambda c, beta: (1.0 + beta) / c,
                "with β zero your answer must reduce to gradient descent's limit of lecture 04, "
                "section 5."),
    ],
    what="the largest stable η of classic momentum on C(w) = ½cw²",
)


# ---------------------------------------------------------------- exploding gradients: global-norm clipping
def _clip(grads, tau, per_tensor=False, always=False, squared=False, inverse=False):
    grads = {k: np.asarray(v, float) for k, v in grads.items()}
    sq = sum(float(np.sum(g ** 2)) for g in grads.values())
    norm = sq if squared else float(np.sqrt(sq))
    out = {}
    for k, g in grads.items():
        n = float(np.linalg.norm(g)) if per_tensor else norm
        if inverse:
            f = n / tau if n > tau else 1.0
        elif always:
            f = tau / n if n > 0 else 1.0
        else:
            f = min(1.0, tau / n) if n > 0 else 1.0
        out[k] = g * f
    return out, norm


_CLIP_DRAWS = itertools.count()


def _clip_case(rng):
    """Draws alternate between a clipped case (τ between the largest single array's norm and the
    global norm, so per-array and global clipping differ) and an unclipped one (τ above the global
    norm, so "always rescale" shows): every set of hidden cases catches every variant."""
    shapes = [(int(rng.integers(1, 5)), int(rng.integers(1, 5))) for _ in range(int(rng.integers(2, 4)))]
    grads = {}
    for l, shp in enumerate(shapes, start=2):
        grads[f"W{l}"] = rng.normal(size=shp) * float(10.0 ** rng.uniform(-1, 1))
        grads[f"b{l}"] = rng.normal(size=(shp[0], 1))
    norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))
    big = max(float(np.linalg.norm(g)) for g in grads.values())
    clipped = next(_CLIP_DRAWS) % 2 == 0
    tau = float(rng.uniform(0.3, 0.95) * big) if clipped else float(rng.uniform(1.05, 2.0) * norm)
    for g in grads.values():
        g.setflags(write=False)
    return {"grads": grads, "tau": tau}


exercise(
    "05.clip_by_global_norm",
    reference=_clip,
    visible=[{"grads": {"W2": np.array([[3.0, -4.0], [0.0, 12.0]]), "b2": np.array([[1.0], [0.0]]),
                        "W3": np.array([[0.5, 0.5]])}, "tau": 6.0},
             {"grads": {"W2": np.array([[0.3, -0.1]]), "b2": np.array([[0.2]])}, "tau": 1.0}],
    hidden=_clip_case,
    n_hidden=6,
    variants=[
        variant("each array clipped by its own norm",
                lambda grads, tau: _clip(grads, tau, per_tensor=True),
                "the threshold applies to the gradient as ONE vector (section 6): one global norm over "
                "all arrays, one common factor — clipping array by array changes the direction."),
        variant("always rescaled to norm τ, also when it was smaller",
                lambda grads, tau: _clip(grads, tau, always=True),
                "clipping only caps: a gradient whose global norm is at most τ is left as it is."),
        variant("the squared norm used as the norm",
                lambda grads, tau: _clip(grads, tau, squared=True),
                "the global norm is the square root of the sum of all squared entries (the length of "
                "the vector), lecture 05, section 5.1."),
        variant("the scale factor inverted",
                lambda grads, tau: _clip(grads, tau, inverse=True),
                "after clipping, the global norm must BE τ; check the length of your result."),
    ],
    what="(clipped gradients, global norm before clipping) on 2 visible and 6 random dicts of arrays",
)


# ---------------------------------------------------------------- small minibatches: noise without replacement
def _noise(G, B, replacement=False, fpc="N-1", mean=True, ddof=0):
    G = np.asarray(G, float)
    N = G.shape[0]
    spread = float(np.sum((G - G.mean(axis=0)) ** 2)) / (N - ddof)
    if not mean:
        return spread * B                                # the error of a SUM of B rows, not of their mean
    if replacement:
        return spread / B
    if N == 1:
        return 0.0
    return spread / B * ((N - B) / (N - 1) if fpc == "N-1" else (N - B) / N)


def _noise_case(rng):
    N = int(rng.integers(4, 12))
    P = int(rng.integers(1, 5))
    G = rng.normal(size=(N, P)) * float(rng.uniform(0.5, 3.0)) + rng.normal(size=P)
    return {"G": G, "B": int(rng.integers(2, N))}        # 2 <= B < N: every mistake shows


exercise(
    "05.minibatch_noise",
    reference=_noise,
    visible=[{"G": np.array([[1.0, 0.0], [0.0, 2.0], [3.0, 1.0], [-1.0, 1.0], [2.0, 2.0]]), "B": 2},
             {"G": np.array([[0.5], [1.5], [-1.0], [2.0]]), "B": 4}],
    hidden=_noise_case,
    n_hidden=6,
    variants=[
        variant("with replacement (no correction for distinct draws)",
                lambda G, B: _noise(G, B, replacement=True),
                "that is the with-replacement result of lecture 05, section 7.3; without "
                "replacement two draws are never the same example, so they are (negatively) "
                "correlated: a batch of the whole data set has no noise."),
        variant("finite-population correction with the wrong denominator",
                lambda G, B: _noise(G, B, fpc="N"),
                "close, but the covariance of two distinct draws has one less than N in its "
                "denominator: check your formula by sampling, or by enumerating all subsets of a "
                "small case."),
        variant("spread with Bessel's correction and no correction for distinct draws",
                lambda G, B: _noise(G, B, replacement=True, ddof=1),
                "∇C is the mean of ALL N rows (the population), so its spread divides by N; and draws "
                "without replacement need their own correction."),
        variant("the error of the sum of the B rows instead of their mean",
                lambda G, B: _noise(G, B, mean=False),
                "g is the MEAN of the B drawn rows (lecture 05, section 7.3), so its noise falls with B."),
    ],
    rtol=1e-9, atol=1e-12,
    what="the exact E‖g − ∇C‖² of a minibatch drawn without replacement, on 2 visible and 6 random cases",
)
