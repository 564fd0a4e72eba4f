"""Assignment 05 — making SGD work: momentum, step decay, He/Xavier init, diagnosing gradient flow.

References are self-contained numpy (they never call student-editable code).
"""
import copy

import numpy as np

from bpkit.grading.registry import exercise, variant

VANISHING, HEALTHY, EXPLODING = -1, 0, 1


# ---------------------------------------------------------------- momentum
def _momentum(w, grad, velocity, eta, beta):
    v = beta * velocity - eta * grad          # v ← β v − η ∇C
    return w + v, v                           # w ← w + v


def _cases_momentum(rng):
    shape = (int(rng.integers(1, 6)), int(rng.integers(1, 6)))
    return {"w": rng.normal(size=shape), "grad": rng.normal(size=shape),
            "velocity": rng.normal(size=shape), "eta": float(rng.uniform(0.01, 0.5)),
            "beta": float(rng.uniform(0.5, 0.99))}


_r = np.random.default_rng(5)
exercise(
    "05.momentum_step",
    reference=_momentum,
    visible=[
        {"w": np.array([[1.0, -2.0]]), "grad": np.array([[0.5, 1.0]]),
         "velocity": np.zeros((1, 2)), "eta": 0.1, "beta": 0.9},
        {"w": _r.normal(size=(3, 2)), "grad": _r.normal(size=(3, 2)),
         "velocity": _r.normal(size=(3, 2)), "eta": 0.05, "beta": 0.9},
    ],
    hidden=_cases_momentum,
    n_hidden=5,
    variants=[
        variant("momentum climbs the gradient",
                lambda w, grad, velocity, eta, beta: (w + beta * velocity + eta * grad,
                                                      beta * velocity + eta * grad),
                "the velocity must point downhill: v ← β v − η ∇C (minus the gradient), then w ← w + v."),
        variant("PyTorch convention (η applied after the velocity)",
                lambda w, grad, velocity, eta, beta: (w - eta * (beta * velocity + grad),
                                                      beta * velocity + grad),
                "that is PyTorch's form v ← β v + ∇C, w ← w − η v. It is a fine method, but here the "
                "velocity already contains η: v ← β v − η ∇C, w ← w + v."),
        variant("weights moved with the old velocity",
                lambda w, grad, velocity, eta, beta: (w + velocity, beta * velocity - eta * grad),
                "update the velocity first, then move the weights with the NEW velocity."),
        variant("β on the gradient instead of the velocity",
                lambda w, grad, velocity, eta, beta: (w + velocity - beta * eta * grad,
                                                      velocity - beta * eta * grad),
                "β multiplies the old velocity (it is the friction): v ← β v − η ∇C."),
        variant("plain SGD (velocity ignored)",
                lambda w, grad, velocity, eta, beta: (w - eta * grad, -eta * grad),
                "the old velocity is missing: v ← β v − η ∇C keeps a fraction β of the last step."),
    ],
    protect=["bpkit.optim.Momentum"],
    what="(w, v) after one momentum step v ← βv − η∇C, w ← w + v",
)


# ---------------------------------------------------------------- step decay
def _step_decay(eta0, drop, every, n_epochs):
    epochs = np.arange(n_epochs)
    return eta0 * drop ** (epochs // every)   # η_e = η0 · drop^⌊e / every⌋, epochs counted from 0


def _cases_step_decay(rng):
    every = int(rng.integers(2, 8))
    return {"eta0": float(rng.uniform(0.01, 1.0)), "drop": float(rng.uniform(0.1, 0.9)),
            "every": every, "n_epochs": int(every * rng.integers(2, 5) + rng.integers(0, every))}


exercise(
    "05.step_decay",
    reference=_step_decay,
    visible=[{"eta0": 0.1, "drop": 0.5, "every": 3, "n_epochs": 10},
             {"eta0": 1.0, "drop": 0.1, "every": 2, "n_epochs": 5}],
    hidden=_cases_step_decay,
    n_hidden=5,
    variants=[
        variant("off by one: first drop one epoch early",
                lambda eta0, drop, every, n_epochs: eta0 * drop ** ((np.arange(n_epochs) + 1) // every),
                "epochs are counted from 0: epochs 0, …, every−1 use η0, the first drop happens at "
                "epoch = every. Use ⌊e / every⌋ with e starting at 0."),
        variant("off by one: dropped already at epoch 0",
                lambda eta0, drop, every, n_epochs: eta0 * drop ** (np.arange(n_epochs) // every + 1),
                "the very first epoch must train with η0 itself: η_0 = η0 · drop⁰."),
        variant("continuous (exponential) decay",
                lambda eta0, drop, every, n_epochs: eta0 * drop ** (np.arange(n_epochs) / every),
                "a STEP schedule keeps η constant for `every` epochs: the exponent is the integer "
                "⌊e / every⌋ (use //), not e / every."),
        variant("ceil instead of floor",
                lambda eta0, drop, every, n_epochs: eta0 * drop ** np.ceil(np.arange(n_epochs) / every),
                "round the exponent down (⌊e / every⌋), not up."),
    ],
    protect=["bpkit.optim.step_decay"],
    what="η_e = η0·drop^⌊e/every⌋ for e = 0..n_epochs−1",
)


# ---------------------------------------------------------------- He / Xavier init
# Random outputs are graded through the rng: the case hands the student a Generator, and the
# reference (run later, in the judge's parent, on the same pristine Generator) must see the same
# draws. Every function here works on a copy of the rng, so the reference and each catalogued
# variant all start from the state the student's function started from.
# Correct forms that make the same draws agree exactly: rng.normal(0, s, size),
# s * rng.standard_normal(size), rng.normal(size=size) * s, rng.normal(scale=s, size=size).
def _he(n_out, n_in, rng):
    return copy.deepcopy(rng).normal(0.0, np.sqrt(2.0 / n_in), size=(n_out, n_in))


def _xavier(n_out, n_in, rng):
    return copy.deepcopy(rng).normal(0.0, np.sqrt(2.0 / (n_in + n_out)), size=(n_out, n_in))


def _normal_std(n_out, n_in, rng, std):
    return copy.deepcopy(rng).normal(0.0, std, size=(n_out, n_in))


def _uniform_std(n_out, n_in, rng, std):
    a = np.sqrt(3.0) * std                      # U(−a, a) has standard deviation a/√3
    return copy.deepcopy(rng).uniform(-a, a, size=(n_out, n_in))


def _cases_init(rng):
    # fan-in and fan-out far apart, so that He √(2/n_in), Glorot √(2/(n_in+n_out)),
    # LeCun √(1/n_in) and fan-out √(2/n_out) all differ
    n_in, n_out = (int(v) for v in rng.permutation([int(rng.integers(3, 20)), int(rng.integers(40, 120))]))
    return {"n_out": n_out, "n_in": n_in, "rng": np.random.default_rng(int(rng.integers(2**63)))}


_VIS_INIT = [{"n_out": 4, "n_in": 3, "rng": np.random.default_rng(1)},
             {"n_out": 50, "n_in": 8, "rng": np.random.default_rng(2)},
             {"n_out": 6, "n_in": 60, "rng": np.random.default_rng(3)}]

exercise(
    "05.he_init",
    reference=_he,
    visible=_VIS_INIT,
    hidden=_cases_init,
    n_hidden=5,
    variants=[
        variant("Xavier instead of He", _xavier,
                "that spread is Xavier's √(2/(n_in+n_out)); He (for relu) uses √(2/n_in): relu zeroes half "
                "the units, so the variance must be doubled."),
        variant("LeCun √(1/n_in) instead of He",
                lambda n_out, n_in, rng: _normal_std(n_out, n_in, rng, np.sqrt(1.0 / n_in)),
                "√(1/n_in) keeps the variance for a linear (or tanh) unit; relu zeroes half of its inputs, "
                "so He doubles it: Var(w) = 2/n_in."),
        variant("variance used as standard deviation",
                lambda n_out, n_in, rng: _normal_std(n_out, n_in, rng, 2.0 / n_in),
                "rng.normal's scale is the standard deviation: pass √(2/n_in), not 2/n_in."),
        variant("fan-out instead of fan-in",
                lambda n_out, n_in, rng: _normal_std(n_out, n_in, rng, np.sqrt(2.0 / n_out)),
                "He scales by the fan-in n_in = n_{l−1} (the number of inputs each unit sums), not n_out."),
        variant("uniform instead of normal",
                lambda n_out, n_in, rng: _uniform_std(n_out, n_in, rng, np.sqrt(2.0 / n_in)),
                "the seed asks for a scaled NORMAL distribution: rng.normal(0, √(2/n_in), size)."),
        variant("unscaled N(0, 1)",
                lambda n_out, n_in, rng: _normal_std(n_out, n_in, rng, 1.0),
                "N(0, 1) ignores the width: scale the draws by √(2/n_in)."),
    ],
    protect=["bpkit.init.he"],
    what="W ~ N(0, 2/n_in) of shape (n_out, n_in), drawn with the given rng",
)

exercise(
    "05.xavier_init",
    reference=_xavier,
    visible=_VIS_INIT,
    hidden=_cases_init,
    n_hidden=5,
    variants=[
        variant("He instead of Xavier", _he,
                "that spread is He's √(2/n_in) (for relu); Xavier/Glorot averages fan-in and fan-out: "
                "√(2/(n_in+n_out))."),
        variant("LeCun √(1/n_in) instead of Glorot",
                lambda n_out, n_in, rng: _normal_std(n_out, n_in, rng, np.sqrt(1.0 / n_in)),
                "√(1/n_in) keeps only the forward pass in mind (LeCun); Glorot's Xavier uses the average "
                "of fan-in and fan-out: Var = 2/(n_in+n_out)."),
        variant("variance used as standard deviation",
                lambda n_out, n_in, rng: _normal_std(n_out, n_in, rng, 2.0 / (n_in + n_out)),
                "rng.normal's scale is the standard deviation: pass √(2/(n_in+n_out))."),
        variant("uniform instead of normal",
                lambda n_out, n_in, rng: _uniform_std(n_out, n_in, rng, np.sqrt(2.0 / (n_in + n_out))),
                "the seed asks for a scaled NORMAL distribution: rng.normal(0, √(2/(n_in+n_out)), size)."),
    ],
    protect=["bpkit.init.xavier", "bpkit.init.uniform"],
    what="W ~ N(0, 2/(n_in+n_out)) of shape (n_out, n_in), drawn with the given rng",
)


# ---------------------------------------------------------------- diagnosis from measured norms
def _diagnose(norms, threshold=100.0):
    norms = np.asarray(norms, dtype=float)
    ratio = norms[0] / norms[-1]               # first weight layer (next to the input) / last one
    if ratio < 1.0 / threshold:
        verdict = VANISHING
    elif ratio > threshold:
        verdict = EXPLODING
    else:
        verdict = HEALTHY
    return ratio, verdict


def _cases_diagnose(rng):
    n = int(rng.integers(4, 15))
    threshold = float(rng.choice([10.0, 100.0, 1000.0]))
    t = np.log10(threshold)                     # keep 0.5 decades away from the decision boundaries
    log10_ratio = [rng.uniform(-12, -t - 0.5), rng.uniform(-t + 0.5, t - 0.5),
                   rng.uniform(t + 0.5, 12)][int(rng.integers(3))]
    # a noisy geometric profile from layer 2 to layer L, with its end points pinned
    profile = np.linspace(log10_ratio, 0.0, n) + np.r_[0, rng.normal(0, 0.3, n - 2), 0]
    profile += rng.uniform(-3, 1)               # absolute scale does not matter
    # a dip after the first layer and a bump before the last: the extremes are not the end points,
    # so first/last, last/first and max/min all differ
    profile[1], profile[-2] = profile[0] - 0.5, profile[-1] + 0.5
    return {"norms": list(10.0 ** profile), "threshold": threshold}


exercise(
    "05.diagnose_gradients",
    reference=_diagnose,
    visible=[{"norms": [1.5e-06, 4.0e-07, 6.1e-04, 1.1e-02, 0.19, 5.2, 3.1], "threshold": 100.0},
             {"norms": [0.84, 0.5, 2.0, 3.1, 9.5, 8.3], "threshold": 100.0},
             {"norms": [1.3e14, 1.1e13, 9.7e11, 1.3e11, 1.6e10], "threshold": 100.0}],
    hidden=_cases_diagnose,
    n_hidden=8,
    variants=[
        variant("ratio upside down",
                lambda norms, threshold=100.0: _flip(_diagnose(norms, threshold)),
                "the ratio is ‖∂C/∂W^[2]‖ / ‖∂C/∂W^[L]‖: first layer (next to the input) over the last. "
                "Vanishing gradients are SMALL near the input, so the ratio is < 1/threshold."),
        variant("max / min instead of first / last",
                lambda norms, threshold=100.0: _verdict(max(norms) / min(norms), threshold),
                "max/min is always ≥ 1, so it can never say 'vanishing'; compare the first layer with the last."),
        variant("neighbouring layers only",
                lambda norms, threshold=100.0: _verdict(norms[0] / norms[1], threshold),
                "one step of the product D^[l](W^[l+1])ᵀ may be small; what matters is the whole product "
                "from the output back to the first layer: norms[0] / norms[-1]."),
    ],
    what="(ratio, verdict) from per-layer gradient norms",
)


def _verdict(ratio, threshold):
    return ratio, (VANISHING if ratio < 1 / threshold else EXPLODING if ratio > threshold else HEALTHY)


def _flip(rv):
    ratio, verdict = rv
    return 1.0 / ratio, -verdict
