"""Explain a wrong answer in the lecture's words, from the structure of the difference.

Runs in the judge's parent (it never runs student code). Given the student's flattened outputs,
the expected ones and the case, it looks for: outputs missing, extra or swapped; only some
outputs wrong (and, for layer-indexed gradients, which layers); a constant factor and which
symbol it is (B, 1/B, n_L, 2, ½, −1, η); a transpose; a difference only where an input is 0 (the
kink of an activation); a mask inverted; a count off by one or by one group; a wrong layout; for
updates of a parameter dict, which arrays and which outputs are wrong (the weight decay, the step
made from right running averages).

A line says only what the evidence supports (issue 22). Each generic line has a precondition on
the output's type (a yes/no answer is told which verdicts are wrong and nothing else; a count gets
no factor, kink or reciprocal) and on the pattern of the difference; LINE_KINDS names the kind of
mistake each line claims, so the corpus test can check that no line claims one the answer does
not make. When nothing specific is known, the message says so and shows where the first
difference is. Messages speak the exercise's convention (``convention``: lecture 03's δ, the
layer API's dout, the capstone's cost).

Probes (``probe_cases``, run by the judge on designed variations of the failing case) localise a
mistake: one example at a time, zero biases, large logits; a square symmetric case for a
normalisation (the axis); a network of the layer API cut after each layer (the first wrong
layer); one minibatch, or whole-data minibatches, for an epoch loop; and for assignment 10's
programs, seeding, accumulation, visit order, shared nodes and each operation's local derivative.

Outputs are numbered from 1 everywhere ("output 2 (dW) › entry 1 › W"), with the exercise's names.
On hidden cases nothing is shown that depends on a hidden value: no entries, no scalar inputs,
no numeric factor — only symbols, shapes and indices.
"""
from __future__ import annotations

import ast
import re

import numpy as np

MAX_SHOWN = 4


# --------------------------------------------------------------------------------- describing
def describe_inputs(case, hidden: bool) -> str:
    """The inputs in words: shapes and kinds; scalar values only for visible cases."""
    parts = []
    for k, v in case.items():
        if isinstance(v, np.ndarray):
            parts.append(f"{k}: shape {v.shape}" + ("" if v.dtype == np.float64 else f" {v.dtype}"))
        elif isinstance(v, dict):
            arrays = {kk: vv for kk, vv in v.items() if isinstance(vv, np.ndarray)}
            parts.append(f"{k}: dict of {len(v)}" + (
                " (" + ", ".join(f"{kk} {vv.shape}" for kk, vv in list(arrays.items())[:6]) + ")"
                if arrays else ""))
        elif isinstance(v, (list, tuple)) and v and isinstance(v[0], np.ndarray):
            parts.append(f"{k}: {len(v)} arrays " + ", ".join(str(a.shape) for a in v))
        elif isinstance(v, (bool, str)) or (isinstance(v, (int, float)) and not hidden):
            parts.append(f"{k} = {v!r}")
        elif isinstance(v, (int, float)):
            parts.append(f"{k}: {type(v).__name__}")
        else:
            parts.append(f"{k}: {type(v).__name__}")
    return "; ".join(parts)


def label(key: str, grad: bool = True, names=None) -> str:
    """A flattened output's name, one numbering everywhere: positions count from 1 ("output 2",
    "entry 1"), with the exercise's name for an output where it has one ("output 2 (dW)"); dict
    keys by name, and a parameter key such as 'W2' in the lecture's notation (∂C/∂W^[2], or
    W^[2] when the outputs are parameters, grad=False). 'out' (a single output) is "your answer"."""
    if key == "out":
        return "your answer"
    parts = key.split("/")[1:]
    words = []
    for depth, part in enumerate(parts):
        if part.isdigit():
            n = int(part)
            if depth == 0:
                named = names[n] if names and n < len(names) and names[n] else None
                words.append(f"output {n + 1}" + (f" ({named})" if named else ""))
            else:
                words.append(f"entry {n + 1}")
            continue
        m = re.fullmatch(r"(d?)([Wb])(\d+)", part)
        if m and depth == len(parts) - 1:
            words.append(f"∂C/∂{m.group(2)}^[{m.group(3)}]" if grad else f"{m.group(2)}^[{m.group(3)}]")
        else:
            words.append(part if depth else f"output {part}" if len(parts) == 1 else part)
    if len(parts) >= 2 and parts[0].isdigit() and all(p.isdigit() for p in parts[1:]) and len(parts) == 2:
        return f"entry {int(parts[1]) + 1} of {words[0]}"
    return " › ".join(words)


_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w.])")


def scrub_numbers(message: str) -> str:
    """A message about a hidden case without its numbers (equation numbers such as "eq. (15)"
    and layer indices such as "W^[2]" stay)."""
    def keep(m):
        before = m.string[max(0, m.start() - 6):m.start()]
        return m.group(0) if before.endswith(("eq. (", "eqs. (", "^[")) else "…"
    return _NUMBER.sub(keep, message)


# --------------------------------------------------------------------------------- symbols
def symbols(case) -> dict[str, float]:
    """Candidate factors from the case's shapes: B (examples = columns), n_L (rows of the
    targets/outputs), and the constants a derivation drops or adds."""
    out = {"2": 2.0, "½": 0.5, "−1": -1.0}
    cols, rows = set(), set()
    for k, v in case.items():
        arrays = [v] if isinstance(v, np.ndarray) else (
            list(v.values()) if isinstance(v, dict) else [])
        for a in arrays:
            if isinstance(a, np.ndarray) and a.ndim == 2 and a.shape[1] > 1:
                if not k.lower().startswith(("w", "params")):
                    cols.add(a.shape[1])
        if isinstance(v, np.ndarray) and v.ndim == 2 and k in ("Y", "y", "A", "a", "Z", "z", "aL", "zL"):
            rows.add(v.shape[0])
    shared = _batch_size(case)
    if shared:
        cols = {shared}
    if len(cols) == 1:
        B = float(cols.pop())
        out.update({"B": B, "1/B": 1 / B, "B²": B * B, "1/B²": 1 / (B * B), "2B": 2 * B,
                    "1/(2B)": 1 / (2 * B)})
        if len(rows) == 1:
            n = float(rows.pop())
            if n > 1:
                out.update({"n_L": n, "1/n_L": 1 / n, "B/n_L": B / n, "1/(n_L·B)": 1 / (n * B)})
    return out


# The batch mean's words depend on the exercise's convention (DESIGN "Math conventions"):
#  "delta": lecture 03's δ recursion — δ^[L] is per example, the 1/B appears once, in the
#           parameter gradients;
#  "layer": the layer API (assignments 07's blocks, 09, 11) — dout = ∂C/∂out already carries the
#           batch mean from the loss, so a layer SUMS over the columns and never divides by B.
#  "model": a whole model on the layer API with its cost inside (assignment 11) — the 1/B enters
#           once, in the cost's gradient ∂C/∂s, and every layer below sums over the columns.
LAYER_API = ("09",)
MODEL_API = ("11",)


def convention(exercise: str | None, case: dict | None) -> str:
    """'layer' where an upstream gradient dout comes in (the layer API), 'model' for a model
    built on that API with its cost inside, else 'delta' (lecture 03's δ recursion)."""
    if isinstance(case, dict) and "dout" in case:
        return "layer"
    prefix = exercise.split(".", 1)[0] if exercise else ""
    return "layer" if prefix in LAYER_API else "model" if prefix in MODEL_API else "delta"


FACTOR_WORDS = {
    "B": "a factor B too many: the batch mean (÷B) is missing",
    "1/B": "divided by B once too often: the batch mean belongs in the parameter gradients only, once",
    "B²": "a factor B² too many: the batch mean is missing (twice?)",
    "1/B²": "divided by B twice too often",
    "2B": "a factor 2B too many: the ½ of the cost and the batch mean are missing",
    "1/(2B)": "divided by 2B: a ½ and a 1/B too many",
    "n_L": "a factor n_L (the number of output units) too many",
    "1/n_L": "divided by n_L: averaged over every entry instead of over the examples",
    "B/n_L": "divided by n_L (the rows, the units) where B (the columns, the examples) belongs",
    "1/(n_L·B)": ("divided by n_L·B: averaged over every entry of the matrix (a quantity per "
                  "example has no 1/B; a mean over the examples divides by B only)"),
    "2": "twice the expected value: a factor 2 too many (a ½ dropped, or a 2 that should cancel)",
    "½": "half the expected value: a factor ½ too many (or a missing 2)",
    "−1": "the negative of the expected value: a sign flip",
}
LAYER_FACTOR_WORDS = {  # the same ratios in the layer API's words
    "B": ("a factor B too many: dout = ∂C/∂out already carries the batch mean (1/B) from the "
          "loss, and a layer passes it on — it neither multiplies nor divides by B"),
    "1/B": ("divided by B: dout = ∂C/∂out already carries the batch mean (1/B) from the loss, so "
            "a layer SUMS over the columns; dividing again applies 1/B twice"),
    "B²": "a factor B² too many: a layer neither multiplies nor divides by B",
    "1/B²": "divided by B²: dout already carries the batch mean, a layer never divides by B",
    "2B": "a factor 2B too many: a ½ dropped, and a layer never multiplies by B",
    "1/(2B)": "divided by 2B: a ½ too many, and a layer never divides by B (dout carries the 1/B)",
    "1/(n_L·B)": ("divided by n_L·B: averaged over every entry of the matrix; a layer sums over "
                  "the columns (dout carries the batch mean)"),
}
MODEL_FACTOR_WORDS = {
    "B": ("a factor B too many: the cost is the batch mean, so its gradient ∂C/∂s carries the "
          "1/B once, and the layers below sum over the columns"),
    "1/B": ("divided by B once too often: the 1/B of the batch mean enters once, in the cost's "
            "gradient ∂C/∂s; the layers below sum over the columns"),
}
# what each generic line of an explanation or a probe claims, by a phrase only it uses: the
# corpus test (tests/test_diagnosis.py) checks that a line never claims a mistake the answer
# does not make
LINE_KINDS = [
    ("are swapped: return them in the stated order", "order"),
    ("holds the right values, but entries", "order"),
    ("rows in another order", "order"),
    ("transpose", "transpose"), ("a missing ᵀ", "transpose"),
    ("updated in place after it was stored", "aliasing"),
    ("batch mean", "batch-mean"), ("divided by B", "batch-mean"), ("factor B", "batch-mean"),
    ("divided by n_L", "batch-mean"), ("factor n_L", "batch-mean"), ("divided by 2B", "batch-mean"),
    ("twice the expected value", "factor"), ("half the expected value", "factor"),
    ("a sign flip", "sign"),
    ("nothing you compute reaches the result", "zero"),
    ("close to the expected value everywhere", "approximation"),
    ("differs from the expected value by exactly", "term"),
    ("off by a different constant factor in each", "scale"), ("has an extra factor", "scale"),
    ("is missing the factor", "scale"),
    ("look at your formula (the branch)", "branch"),
    ("reciprocal of the expected value", "reciprocal"),
    ("a mask used the wrong way round", "mask"),
    ("the value at the kink", "kink"),
    ("check the boundary of your condition", "off-by-one"),
    ("NaN or inf", "nonfinite"), ("not finite for large logits", "overflow"),
    ("keepdims", "shape"), ("different layout", "shape"),
    ("the wrong axis", "axis"), ("the other axis", "axis"),
    ("the means of your backward pass do not all", "axis"), ("keeps every example where", "axis"),
    ("something mixes the examples", "batch-mixing"),
    ("a 1/B where it does not belong", "batch-mean"), ("or a 1/B (dout", "batch-mean"),
    ("right when the biases are zero", "bias"),
    ("look at the δ recursion", "delta-recursion"),
    ("or in the output error δ^[L]", "delta-L"), ("the mistake is in the forward pass", "forward"),
    ("close to the expected value but not within the tolerance", "approximation"),
    ("is the first layer whose", "layer-localised"), ("the first wrong layer", "layer-localised"),
    ("not seeded", "seed"), ("overwrites", "accumulate"),
    ("visits the nodes in the wrong order", "order-graph"),
    ("local derivative of", "op-derivative"),
    ("check which operand comes first", "op-value"), ("the forward computation itself", "op-value"),
    ("the square of the expected value", "square"),
    ("a group of that size missing or counted twice", "count"),
    ("the arrays the weight decay acts on", "decay"),
    ("the mistake is in the step made from them", "step"),
    ("what carries over from one minibatch to the next", "carry-over"),
    ("divided by η where it multiplies", "factor"), ("the step is", "factor"),
    ("with the sign flipped", "sign"),
    ("apart from the bias", "factor"),
    ("each step must use only its minibatch", "minibatch"),
    ("look at what reaches", "layer-localised"),
]


def line_kinds(message: str) -> list[set[str]]:
    """For each generic line of a message, the kinds of mistake it names (LINE_KINDS); a line
    that offers alternatives names several, and is right when the answer makes one of them.
    Lines quoting a catalogued variant or a mutant (which reproduce the answer exactly), the
    header and the inputs are left out."""
    found = []
    for line in message.split("\n"):
        if "This looks like a known mistake" in line or "It behaves exactly as if" in line \
                or re.match(r"\s*(inputs: |\d\d\.\w+: (visible|hidden) case|note: )", line):
            continue
        kinds = {kind for phrase, kind in LINE_KINDS if phrase in line}
        if kinds:
            found.append(kinds)
    return found


def _constant_ratio(g, e):
    mask = np.abs(e) > 1e-12
    if not mask.any() or np.any(np.abs(g[~mask]) > 1e-9):
        return None
    r = g[mask] / e[mask]
    if np.allclose(r, r[0], rtol=1e-6) and abs(r[0] - 1) > 1e-6:
        return float(r[0])
    return None


def factor_words(ratio, case, hidden, size=2, integer=False, conv="delta"):
    """Words for a constant ratio, or None when a ratio says nothing (one number, a count)."""
    if ratio == 0:
        return ("zero everywhere, where the expected value is not: nothing you compute reaches "
                "the result")
    if integer:                   # a count: a factor is a coincidence of small numbers
        return None
    for name, value in symbols(case).items():
        if np.isclose(ratio, value, rtol=1e-6):
            if size == 1 and name not in ("B", "1/B", "n_L", "1/n_L", "B/n_L", "1/(n_L·B)", "−1"):
                return None       # one number: a factor 2 or ½ can be a coincidence
            if conv == "layer" and name in LAYER_FACTOR_WORDS:
                return LAYER_FACTOR_WORDS[name]
            if conv == "model" and name in MODEL_FACTOR_WORDS:
                return MODEL_FACTOR_WORDS[name]
            return FACTOR_WORDS[name]
    if size == 1:
        return None
    if abs(ratio - 1) < 0.02:
        return ("close to the expected value everywhere but not within the tolerance: an "
                "approximation where the exact formula belongs (another step, other weights, a "
                "truncation error left?)")
    # a ratio that is none of the lecture's symbols: say what it is, not why (a constant
    # multiple can come from a wrong factor or from a formula that happens to scale)
    if hidden:
        return "a constant multiple of the expected value (the same ratio everywhere)"
    return f"{ratio:.4g}× the expected value everywhere (the same ratio in every entry)"


# --------------------------------------------------------------------------------- the verdict
def explain(got: dict, expected: dict, case: dict, rtol, atol, hidden: bool, names=None,
            conv: str = "delta") -> str:
    """Plain words for how `got` differs from `expected` (both flattened). `names`: the
    exercise's names of its outputs, if any; `conv`: its convention ('delta' or 'layer')."""
    grad = not _parameters(case, expected)   # an update returns parameters, not gradients
    lab = lambda k: label(k, grad, names)      # noqa: E731
    missing = [k for k in expected if k not in got]
    extra = [k for k in got if k not in expected]
    if missing or extra:
        if len(got) == len(expected) and sorted(v.shape for v in got.values()) == \
                sorted(v.shape for v in expected.values()):
            return (f"your function returned {', '.join(map(lab, got))}; expected "
                    f"{', '.join(map(lab, expected))}: check the names/keys of what you return.")
        msg = (f"your function returned {len(got)} output(s) ({_shapes(got)}); expected "
               f"{len(expected)} ({_shapes(expected)}).")
        if missing and len(got) < len(expected):
            msg += f" Missing: {', '.join(map(lab, missing))}."
        return msg
    swapped = _swapped(got, expected, rtol, atol)
    if swapped:
        return f"{lab(swapped[0])} and {lab(swapped[1])} are swapped: return them in the stated order."
    wrong = [k for k in expected if not _close(got[k], expected[k], rtol, atol)]
    right = [k for k in expected if k not in wrong]
    msg = _one(got[wrong[0]], expected[wrong[0]], wrong[0], case, rtol, atol, hidden, grad,
               names, conv)
    update = _update_story(got, expected, case, wrong, rtol, atol) if not grad else None
    if update:
        return update
    story = conv if grad else "parameters"
    if not right and len(expected) > 2 and UNEXPLAINED in msg and grad \
            and any(k in case for k in ("Y", "y")):                  # a backward pass with targets
        msg = _layer_story(right, wrong, story) + msg
    if right and len(expected) > 1 and grad and names:
        msg = _named_story(right, wrong, names) + msg
    if right and len(expected) > 1:
        if len(right) > 4 and len(wrong) <= 4:
            said = (f"{', '.join(map(lab, wrong))} {'is' if len(wrong) == 1 else 'are'} wrong; "
                    f"the other {len(right)} outputs are right. ")
        else:
            said = (f"{', '.join(map(lab, right))} {'is' if len(right) == 1 else 'are'} right; "
                    f"{', '.join(map(lab, wrong))} {'is' if len(wrong) == 1 else 'are'} wrong. ")
        msg = said + _layer_story(right, wrong, story) + msg
    return msg


ETA_WORDS = {"1/η²": "the step is divided by η² relative to the right one: divided by η where it multiplies",
             "η": "the step is η times the right one: η applied twice",
             "1/η": "the step is 1/η of the right one: η is missing from it",
             "−1": "the step is the right one with the sign flipped: the update goes uphill"}


def _update_story(got, expected, case, wrong, rtol, atol) -> str | None:
    """Updates of a parameter dict (gradient steps, optimisers): which arrays and which outputs
    are wrong tells where the mistake is — the weight decay (only the W arrays), the step made
    from right running averages, or a step scaled by η."""
    params = case.get("params")
    if not isinstance(params, dict) or not wrong:
        return None
    def base(k):
        return k.split("/")[-1]
    first = [k for k in expected if k.count("/") == 2 and k.split("/")[1] == "0"] or \
        [k for k in expected if k.count("/") == 1]
    if not first or not all(base(k) in params for k in first):
        return None
    state = [k for k in expected if k not in first]
    wrong_first = [k for k in wrong if k in first]
    wrong_state = [k for k in wrong if k in state]
    if "weight_decay" in case and wrong and all(base(k).startswith("W") for k in wrong) \
            and any(not base(k).startswith("W") for k in first):
        if wrong_state:
            return ("only the weights W are wrong, the biases are right — the arrays the weight "
                    "decay acts on — and so are the running averages of W: the decay went into the "
                    "gradient (coupled, L2 through the moments) instead of acting on the weights "
                    "directly (decoupled).")
        return ("only the new weights W are wrong, the biases and every running average are right: "
                "look at the arrays the weight decay acts on — its form and where it is applied "
                "(decoupled: the weights shrink by η·λ, beside the adaptive step).")
    if "weight_decay" in case and all(not base(k).startswith("W") for k in wrong) \
            and not wrong_state and any(base(k).startswith("W") for k in first):
        return ("only the new biases are wrong, the weights and every running average are right: "
                "look at the arrays the weight decay acts on — the weights W, not the biases.")
    flipped = [k for k in wrong_first if got[k].shape == np.shape(params[base(k)])
               and np.isclose(_constant_ratio(got[k] - params[base(k)], expected[k] - params[base(k)])
                              or 0.0, -1.0, rtol=1e-6)]
    if wrong_first and flipped == wrong_first and not wrong_state:
        return f"{ETA_WORDS['−1']}."
    if state and wrong_first and not wrong_state and "eps" in case:
        extra = " — the bias correction with the step count t, the root, ε, η" if "t" in case \
            else " — the root, ε, η"
        return ("the running averages you return are right, the new parameters are not: the "
                f"mistake is in the step made from them{extra}.")
    grads = case.get("grads")
    eta = case.get("eta")
    if isinstance(grads, dict) and isinstance(eta, (int, float)) and eta not in (0, 1) \
            and not state and all(base(k) in params for k in wrong):
        ratios = []
        for k in wrong:
            g, e, p = got[k], expected[k], np.asarray(params[base(k)], float)
            if g.shape != p.shape:
                return None
            r = _constant_ratio(g - p, e - p)
            if r is None:
                return None
            ratios.append(r)
        if np.allclose(ratios, ratios[0], rtol=1e-6):
            for name, value in {"1/η²": 1 / eta ** 2, "η": eta, "1/η": 1 / eta, "−1": -1.0}.items():
                if np.isclose(ratios[0], value, rtol=1e-6):
                    return f"{ETA_WORDS[name]}."
    return None


def _parameters(case, expected) -> bool:
    """Are the outputs parameters (an update step or a training loop), not gradients? The
    gradients come in as an input, or a learning rate does."""
    return "grads" in case or any(k in case for k in ("eta", "eta0", "lr"))


def _named_story(right, wrong, names) -> str:
    """Gradients named by layer (dW1, db1, dW2, ... of an exercise's outputs): when the later
    layer's are right and an earlier layer's wrong, what flows between them is the suspect."""
    def layer(k):
        m = re.fullmatch(r"out/(\d+)", k)
        if not m or int(m.group(1)) >= len(names):
            return None
        n = re.fullmatch(r"d[A-Za-z]+(\d+)", names[int(m.group(1))] or "")
        return int(n.group(1)) if n else None
    r = [layer(k) for k in right if layer(k) is not None]
    w = [layer(k) for k in wrong if layer(k) is not None]
    if not r or not w or max(w) >= min(r):
        return ""
    k, up = max(w), min(r)
    return (f"Layer {up}'s gradients are right, layer {k}'s are wrong: look at what reaches "
            f"layer {k} from layer {up} — the gradient sent back through W{up}ᵀ and anything "
            "applied on the way (an activation's derivative, a mask, a split or a sum of paths) — "
            f"or layer {k}'s own backward pass. ")


def _layer_story(right, wrong, conv="delta") -> str:
    def layer(k):
        m = re.search(r"/d?[Wb](\d+)$", k)
        return int(m.group(1)) if m else None
    r, w = [layer(k) for k in right], [layer(k) for k in wrong]
    if conv != "delta":           # the δ recursion's story is lecture 03's, not the layer API's
        return ""
    if not r and w and None not in w and len(set(w)) > 1:
        return ("Every layer's gradients are wrong, the output layer's too: the mistake is in the "
                "forward pass or in the output error δ^[L] (eq. 22 for this cost); every other "
                "δ^[l] inherits it. ")
    if None in r or None in w or not r or not w:
        return ""
    if max(w) < min(r):
        return ("The output layer's gradients are fine, so δ^[L] is right: look at the δ "
                "recursion, δ^[l] = σ′(z^[l]) ∘ (W^[l+1])ᵀ δ^[l+1] (eq. 23). ")
    if all(re.search(r"/d?b\d+$", k) for k in wrong):
        return "Only the bias gradients are wrong: ∂C/∂b^[l] is δ^[l] summed over the examples (÷B), eq. (24). "
    if all(re.search(r"/d?W\d+$", k) for k in wrong):
        return "Only the weight gradients are wrong: ∂C/∂W^[l] = δ^[l] (a^[l−1])ᵀ (÷B), eq. (25). "
    return ""


def _swapped(got, expected, rtol, atol):
    keys = list(expected)
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            if (got[a].shape == expected[b].shape and got[b].shape == expected[a].shape
                    and _close(got[a], expected[b], rtol, atol)
                    and _close(got[b], expected[a], rtol, atol)
                    and not _close(got[a], expected[a], rtol, atol)):
                return a, b
    return None


def _close(g, e, rtol, atol):
    return g.shape == e.shape and bool(np.allclose(g, e, rtol=rtol, atol=atol, equal_nan=True))


def _binary(a):
    return a.size > 0 and bool(np.all((a == 0) | (a == 1)))


UNEXPLAINED = "nothing in the pattern of the difference points at one mistake"


def _one(g, e, key, case, rtol, atol, hidden, grad=True, names=None, conv="delta") -> str:
    """One wrong output in words. Each generic line states its precondition: the output's type
    (a yes/no or a count gets none of the real-valued lines) and the pattern of the difference
    it needs; when none holds, say so plainly and show where the first difference is."""
    name = label(key, grad, names)
    if g.shape != e.shape:
        msg = f"{name} has shape {g.shape}, expected {e.shape}."
        if g.ndim == 2 and g.shape == e.shape[::-1] and 1 in g.shape:
            msg += (" A row where a column belongs: a sum or mean over the other axis (examples "
                    "are the columns, axis=1; units the rows, axis=0), or a missing ᵀ?")
        elif g.ndim == 2 and g.shape == e.shape[::-1]:
            msg += " It has the shape of the transpose: check the order of the factors or a missing ᵀ."
        elif e.ndim == 2 and e.shape[1] == 1 and g.shape == (e.shape[0],):
            msg += " Keep column vectors 2-D: (n, 1), not (n,) (keepdims=True)."
        elif g.size == e.size:
            msg += " Same number of entries, different layout: a reshape, or a flattened column?"
        elif e.ndim == 2 and g.ndim == 2 and (g.shape[0] == e.shape[0]) and 1 in (g.shape[1], e.shape[1]):
            msg += (" One of the two keeps every example where the other sums over them: "
                    "examples are the columns (axis=1).")
        elif g.ndim == 2 and e.ndim == 2 and g.shape[0] == e.shape[1] and 1 in g.shape + e.shape:
            msg += " The sum runs over the wrong axis: examples are the columns (axis=1)."
        return msg
    if not np.all(np.isfinite(g)) and np.all(np.isfinite(e)):
        return (f"{name} contains NaN or inf where the expected values are finite: a number "
                "beyond float64 (exp of a large number, a log or a division of 0)?")
    if _binary(e) and _binary(g):        # a yes/no answer: which verdicts are wrong, nothing else
        return _boolean(g, e, name, hidden)
    integer = _integer_valued(e) and _integer_valued(g)
    if g.ndim == 2 and g.shape[0] == g.shape[1] and g.shape[0] > 1 and _close(g, e.T, rtol, atol) \
            and not _close(e, e.T, rtol, atol):
        return f"{name} is the transpose of the expected value: check the order of the factors or a missing ᵀ."
    order = _reordered(g, e, case, rtol, atol)
    if order:
        return f"{name} {order}"
    if g.ndim == 2 and g.shape[0] > 1 and np.allclose(g, g[-1], rtol=rtol, atol=atol) \
            and _close(g[-1], e[-1], rtol, atol) and not np.allclose(e, e[-1], rtol=rtol, atol=atol):
        return (f"{name}: every row is the expected LAST row: the rows are one array updated in "
                "place after it was stored — store a copy (w.copy()) at each step.")
    ratio = _constant_ratio(g, e)
    words = None if ratio is None else factor_words(ratio, case, hidden, g.size, integer, conv)
    if words:
        return f"{name} is {words}."
    if not integer and e.size > 1 and np.all(np.abs(e) > 1e-12) and not _binary(e) \
            and _close(g, e ** 2, 1e-6, atol) and not _close(e, e ** 2, 1e-6, atol):
        return (f"{name} is the square of the expected value everywhere: a squared norm or "
                "length where the norm belongs (a square root missing)?")
    if integer:
        group = _input_count(g, e, case)
        if group:
            return f"{name} {group}"
    if not integer:
        for test in (_input_term, _scaled_lines, _only_where_sign, _reciprocal, _inverted_mask,
                     _kink, _ratio_without_bias):
            found = test(g, e, case, rtol, atol)
            if found:
                return f"{name} {found}"
    elif g.size == e.size <= 4 and np.all(np.abs(e) > 1):     # counts, indices (not 0/1)
        diff = (g - e).ravel()
        if np.all(diff == diff[0]) and abs(diff[0]) == 1:
            return (f"{name} is off by {int(abs(diff[0]))} ({'too late' if diff[0] > 0 else 'too early'}"
                    "): check the boundary of your condition (> vs ≥) and where you start counting.")
    return _unexplained(g, e, name, rtol, hidden)


def _unexplained(g, e, name, rtol, hidden):
    """Nothing specific is known: say so, and where the first difference is."""
    bad = ~np.isclose(g, e, rtol=rtol, atol=0) if g.size else np.zeros(0, bool)
    err = _max_rel_error(g, e)
    if err < 1e-3 and np.all(np.sign(g) == np.sign(e)):
        msg = (f"{name} is close to the expected value but not within the tolerance (max relative "
               f"error {err:.2e}, tolerance {rtol:.0e}): a small quantity in the wrong place — ε "
               "inside or outside a root, a tiny step — or an approximation where the exact "
               "formula belongs.")
    else:
        msg = (f"{name} differs (max relative error {err:.2e}, tolerance {rtol:.0e}); "
               f"{UNEXPLAINED}.")
    first = np.argwhere(bad.reshape(g.shape) if g.ndim else np.atleast_1d(bad))
    if g.ndim and len(first):
        idx = tuple(int(i) for i in first[0])
        n_bad = int(bad.sum())
        msg += (f"\n    first difference at index {idx}" + (f" ({n_bad} of {g.size} entries differ)"
                                                           if g.size > 1 else ""))
        if not hidden:
            msg += f": expected {_num(e[idx])}, got {_num(g[idx])}"
    elif not hidden:
        msg += f"\n    expected {_num(e.ravel()[0])}, got {_num(g.ravel()[0])}" if g.size else ""
    if not hidden and g.size > 1:
        msg += (f"\n    expected (first entries): {_few(e)}\n    got      (first entries): {_few(g)}")
    return msg


def _boolean(g, e, name, hidden):
    yes = np.flatnonzero((g == 1) & (e == 0))
    no = np.flatnonzero((g == 0) & (e == 1))
    parts = []
    if yes.size:
        parts.append("says True where False is expected" + _where(yes, g.size))
    if no.size:
        parts.append("says False where True is expected" + _where(no, g.size))
    return f"{name} " + "; ".join(parts) + "."


def _where(idx, size):
    if size == 1:
        return ""
    return " (entr" + ("y " if len(idx) == 1 else "ies ") + ", ".join(str(int(i) + 1) for i in idx[:6]) \
        + (" …" if len(idx) > 6 else "") + ")"


def _ratio_without_bias(g, e, case, rtol, atol):
    """Apart from an added bias b (an (n, 1) input), a constant ratio that is one of the case's
    symbols: a scale applied before the bias is added (dropout's 1/(1 − p), a batch mean)."""
    if g.ndim != 2:
        return None
    p = case.get("p")
    named = {}
    if isinstance(p, float) and 0 < p < 1:
        named = {"1/(1 − p)": 1 / (1 - p), "1 − p": 1 - p}
    for k, v in case.items():
        if _BIAS.match(str(k)) and isinstance(v, np.ndarray) and v.shape == (g.shape[0], 1) and np.any(v):
            r = _constant_ratio(g - v, e - v)
            if r is None:
                continue
            for name, value in named.items():
                if np.isclose(r, value, rtol=1e-6):
                    mode = case.get("train")
                    where = (" — in evaluation mode the activations pass unscaled" if mode is False
                             else "")
                    return (f"apart from the bias {k}, is {name} times the expected value: a scaling "
                            f"by {name} where it does not belong{where}.")
            words = factor_words(r, case, True, g.size)     # True: no number of the case
            if words and r not in (0.0,):
                return f"apart from the bias {k}, is {words}."
    return None


def _input_count(g, e, case):
    """A count off by exactly one entry of an integer list among the inputs (e.g. the sizes of
    the layers): a group of that size left out or counted twice."""
    if g.size != 1:
        return None
    d = float((g - e).ravel()[0])
    for k, v in case.items():
        if isinstance(v, (list, tuple)) and v and all(isinstance(x, (int, np.integer)) for x in v):
            hits = [i for i, x in enumerate(v) if x != 0 and abs(d) == abs(x)]
            if len({v[i] for i in hits}) == 1 and len(hits) >= 1 and len(set(v)) > 1:
                where = " or ".join(f"entry {i + 1}" for i in hits)
                return (f"is off by exactly {where} of {k} ({'too many' if d > 0 else 'too few'}): "
                        "a group of that size missing or counted twice.")
    return None


def _reciprocal(g, e, case, rtol, atol):
    bad = ~np.isclose(g, e, rtol=rtol, atol=atol)
    if bad.sum() >= 1 and np.allclose(g[bad] * e[bad], 1.0, rtol=1e-6) \
            and not np.allclose(np.abs(e[bad]), 1.0, rtol=1e-3):
        where = "" if bad.all() else (" at " + ", ".join(f"entry {int(i) + 1}" for i in np.flatnonzero(bad)[:3])
                                      if g.ndim == 1 else " where it is wrong")
        return (f"is the reciprocal of the expected value{where}: a ratio or a division "
                "taken upside down.")
    return None


def _inverted_mask(g, e, case, rtol, atol):
    """Zero exactly where the expected value is not and back, and a 0/1 mask among the inputs
    that has that pattern (or its complement): a mask used the wrong way round."""
    zero_e, zero_g = np.abs(e) <= atol, np.abs(g) <= atol
    if not (zero_e.any() and zero_g.any() and np.array_equal(zero_e, ~zero_g)):
        return None
    for _, v in _all_arrays(case):
        if v.shape == g.shape and _binary(v) and (np.array_equal(v == 0, zero_e)
                                                   or np.array_equal(v == 0, zero_g)):
            return ("is zero exactly where the expected value is not, and non-zero where it is "
                    "zero: a mask used the wrong way round (keep where the mask is 1)?")
    return ("is zero exactly where the expected value is not, and non-zero where it is zero: a "
            "condition or a selection the wrong way round?")


def _kink(g, e, case, rtol, atol):
    """Wrong only at entries where a real-valued input (a weighted input, not a 0/1 mask or
    one-hot targets) is exactly 0: the value at the kink of an activation."""
    bad = ~np.isclose(g, e, rtol=rtol, atol=atol)
    if not bad.any():
        return None
    for k, v in case.items():
        if isinstance(v, np.ndarray) and v.dtype.kind == "f" and v.shape == g.shape \
                and not _binary(v) and np.any(v == 0) and np.all(bad <= (v == 0)) \
                and (v == 0).sum() < v.size / 2:
            return (f"is right except where {k} = 0: the value at the kink (by the convention of "
                    "the lecture).")
    return None


def _all_arrays(case):
    for k, v in case.items():
        if isinstance(v, np.ndarray):
            yield k, v
        elif isinstance(v, dict):
            for kk, vv in v.items():
                if isinstance(vv, np.ndarray):
                    yield kk, vv


def _reordered(g, e, case, rtol, atol):
    """The expected entries (a short vector) or rows in another order: words, or None."""
    if g.ndim == 1 and 2 <= g.size <= 8 and not any(v.shape == g.shape for _, v in _arrays(case)):
        used, perm = set(), []
        for x in g:
            j = next((j for j in range(e.size) if j not in used
                      and np.isclose(x, e[j], rtol=rtol, atol=atol)), None)
            if j is None:
                return None
            used.add(j)
            perm.append(j)
        moved = [i for i, j in enumerate(perm) if i != j]
        if len(moved) == 2:          # two entries exchanged (a longer shuffle is more likely chance)
            i, j = moved
            return (f"holds the right values, but entries {i + 1} and {j + 1} are swapped: "
                    "return them in the stated order.")
        return None
    if g.ndim == 2 and 2 <= g.shape[0] <= 8 and g.shape[1] > 1:
        rows = []
        for r in g:
            j = next((j for j in range(e.shape[0]) if j not in rows
                      and np.allclose(r, e[j], rtol=rtol, atol=atol)), None)
            if j is None:
                return None
            rows.append(j)
        if rows != list(range(len(rows))):
            return ("holds the right rows in another order (rows swapped): row i of your answer "
                    "belongs in another row — check which case goes in which row.")
    return None


def _arrays(case):
    for k, v in case.items():
        if isinstance(v, np.ndarray) and v.dtype.kind == "f":
            yield k, v
        elif isinstance(v, dict):
            for kk, vv in v.items():
                if isinstance(vv, np.ndarray) and vv.dtype.kind == "f":
                    yield kk, vv


def _input_term(g, e, case, rtol, atol):
    """Your answer minus the expected one is ± one of the inputs: a term missing or extra."""
    d = g - e
    for k, v in _arrays(case):
        if v.shape == g.shape and np.any(v != 0):
            for sign, words in ((1, "an extra"), (-1, "a missing")):
                if np.allclose(d, sign * v, rtol=1e-6, atol=atol):
                    return (f"differs from the expected value by exactly {'+' if sign > 0 else '−'}{k}: "
                            f"{words} term {k}" + (" (the target y)." if k.lower().startswith("y") else "."))
    return None


def _scaled_lines(g, e, case, rtol, atol):
    """Each row (or column) off by its own constant factor: a per-unit (per-example) scale."""
    if g.ndim != 2 or min(g.shape) < 2 or np.any(np.abs(e) < 1e-12):
        return None
    r = g / e
    for axis, what, per in ((1, "row", "unit (row)"), (0, "column", "example (column)")):
        line = r.mean(axis=axis, keepdims=True)
        if np.allclose(r, line, rtol=1e-6) and not np.allclose(line, line.flat[0], rtol=1e-6):
            for k, v in _arrays(case):
                if v.shape == line.shape:
                    if np.allclose(line, v, rtol=1e-6):
                        return f"has an extra factor {k} (each {what} multiplied by its {k})."
                    if np.all(v != 0) and np.allclose(line, 1 / v, rtol=1e-6):
                        return f"is missing the factor {k} (each {what} should be multiplied by its {k})."
            return (f"is off by a different constant factor in each {what}: a scale computed per "
                    f"{per} is wrong — a {what}'s statistic (its mean, standard deviation, "
                    "maximum) or a per-unit factor such as γ?")
    return None


def _only_where_sign(g, e, case, rtol, atol):
    """Right where an input is negative and wrong where it is positive (or back): a branch."""
    bad = ~np.isclose(g, e, rtol=rtol, atol=atol)
    for k, v in _arrays(case):
        if v.shape == g.shape and np.any(v > 0) and np.any(v < 0) and bad.any():
            for sign, where in ((v > 0, ">"), (v < 0, "<")):
                if np.array_equal(bad, sign) and sign.sum() >= 2 and (~sign).sum() >= 2:
                    other = "<" if where == ">" else ">"
                    return (f"is right where {k} {other} 0 and wrong where {k} {where} 0: "
                            f"look at your formula (the branch) for {k} {where} 0.")
    return None


def _integer_valued(a):
    return np.all(np.isfinite(a)) and np.all(a == np.round(a))


def _max_rel_error(got, expected):
    denom = np.maximum(np.abs(expected), np.abs(got))
    denom = np.where(denom == 0, 1.0, denom)
    return float(np.max(np.abs(got - expected) / denom)) if got.size else 0.0


def _num(x):
    return f"{float(x):.6g}"


def _few(a):
    flat = a.ravel()[:MAX_SHOWN]
    return np.array2string(flat, precision=5, separator=", ") + (" …" if a.size > MAX_SHOWN else "")


def _shapes(d):
    return ", ".join(str(v.shape) for v in d.values())


# --------------------------------------------------------------------------------- probes
PROBES = {
    "one-example": ("your answer is right for each example alone (B = 1) but not for the batch: "
                    "something mixes the examples (columns) — a sum, mean, maximum or normalisation "
                    "over the wrong axis or over the whole matrix, or a 1/B where it does not belong "
                    "(δ^[L] is per example; the 1/B appears once, in the parameter gradients)"),
    "one-example/layer": ("your answer is right for each example alone (B = 1) but not for the "
                          "batch: something mixes the examples (columns) — a sum, mean, maximum or "
                          "normalisation over the wrong axis or over the whole matrix, or a 1/B "
                          "(dout already carries the batch mean; a layer never divides by B)"),
    "zero-bias": ("your answer is right when the biases are zero: look at how you use b^[l] (added "
                  "to every column, eq. 19; ∂C/∂b^[l] sums δ^[l] over the examples, eq. 24)"),
    "zero-bias/layer": ("your answer is right when the biases are zero: look at how you use b (added "
                        "to every column; ∂C/∂b sums dout over the columns)"),
    "large-logits": ("your answer is not finite for large logits: exp overflows; subtract each "
                     "column's maximum before exp (softmax does not change)"),
    "axis": ("on a square, symmetric input your answer is the right one with rows and columns "
             "exchanged: the statistics (mean, variance, root mean square) — and the means of a backward pass — "
             "run over the other axis. Batch norm averages over the examples of a unit, layer norm "
             "and RMS norm over the units of an example: check which axis holds which here"),
    "batches": ("your answer is right after one minibatch and wrong after several: what carries "
                "over from one minibatch to the next — the running averages m and v, the step "
                "count t, the updated parameters — is lost, reset or not advanced"),
    "invariance:0": ("with γ = 1 and dout the same for every unit of an example, the cost cannot "
                     "change (the normalised values of an example sum to zero), so the first "
                     "gradient must be 0 — yours is not: the means of your backward pass do not all "
                     "run over the units of each example (axis 0), as the forward statistics do"),
    "invariance:1": ("with γ = 1 and dout the same for every example of a unit, the cost cannot "
                     "change (the normalised values of a unit sum to zero over the batch), so the "
                     "first gradient must be 0 — yours is not: the means of your backward pass do "
                     "not all run over the examples of each unit (axis 1), as the forward statistics do"),
    "batches-whole": ("your answer is right when every minibatch is the whole data set and wrong "
                      "on the given minibatches: each step must use only its minibatch's columns "
                      "(the index array of `batches`), not the whole data set"),
    "graph:seed": ("on out = x + y your gradients stay 0 while the value is right: the reverse "
                   "sweep is not seeded — ∂out/∂out = 1 (out.grad = 1) before the first _backward"),
    "graph:accumulate": ("on out = x · x your gradient is half the right one: a node used twice "
                         "overwrites the gradient of its first use — each use adds its share "
                         "(+=), the multivariable chain rule sums over paths"),
    "graph:order": ("right when every input feeds out directly, but wrong as soon as a node is "
                    "used by another node (h = x·y, out = h + x): your backward() visits the nodes "
                    "in the wrong order — a node's _backward may run only after every node that "
                    "uses it has added its share; walk a topological order in reverse, from out to "
                    "the inputs (out first)"),
    "graph:shared": ("wrong when an intermediate feeds two nodes (h used by k = h + 1 and by "
                     "out = h·k): your backward() visits the nodes in the wrong order or more than "
                     "once — build one topological order (each node once, after its children) and "
                     "call each _backward once, in reverse"),
}
GRAPH_OPS = {  # op -> (probe program, its values, the lecture's name of the operation)
    "add": ("out = x + y", {"x": 0.6, "y": -1.1}, "+"),
    "mul": ("out = x * y", {"x": 0.6, "y": -1.1}, "·"),
    "cmul": ("out = 3.0 * x", {"x": 0.6}, "number · Value"),
    "tanh": ("out = tanh(x)", {"x": 0.6}, "tanh"),
    "exp": ("out = exp(x)", {"x": 0.6}, "exp"),
    "log": ("out = log(x)", {"x": 1.7}, "log"),
    "relu": ("out = relu(x) + relu(y)", {"x": 0.6, "y": -1.1}, "relu"),
    "pow": ("out = x ** 3", {"x": 0.7}, "the power xᵏ (power rule)"),
    "sub": ("out = x - y", {"x": 0.6, "y": -1.1}, "−"),
    "rsub": ("out = 2.0 - x", {"x": 0.7}, "number − Value (reflected subtraction)"),
    "div": ("out = x / y", {"x": 0.6, "y": -1.1}, "the quotient a/b"),
    "rdiv": ("out = 2.0 / x", {"x": 0.7}, "number / Value (reflected division)"),
    "neg": ("out = -x", {"x": 0.7}, "unary minus"),
}
STRUCTURAL = ("graph:", "op:")   # probe kinds designed to separate mistakes (assignment 10)
GRAPH_STRUCTURE = [("graph:seed", "out = x + y", {"x": 0.6, "y": -1.1}),
                   ("graph:accumulate", "out = x * x", {"x": 0.7}),
                   ("graph:order", "h = x * y\nout = h + x", {"x": 0.6, "y": -1.1}),
                   ("graph:shared", "h = x * y\nk = h + 1.0\nout = h * k", {"x": 0.6, "y": -1.1})]
_BIAS = re.compile(r"^(b\d*|bs|bias|bL|db\d*)$")
_LOGITS = ("Z", "z", "zL", "ZL", "logits", "scores")
_DATA = ("x", "u", "X", "h", "z")
MAX_EXAMPLE_PROBES = 6


def _program_ops(program: str) -> list[str]:
    """The operations a program of assignment 10 uses (GRAPH_OPS keys), in a fixed order."""
    try:
        tree = ast.parse(program)
    except SyntaxError:
        return []
    found = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.BinOp):
            const_left = isinstance(n.left, ast.Constant)
            op = type(n.op).__name__
            found.add({"Add": "add", "Mult": "cmul" if const_left else "mul", "Pow": "pow",
                       "Sub": "rsub" if const_left else "sub", "MatMult": "matmul",
                       "Div": "rdiv" if const_left else "div"}.get(op, ""))
        elif isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub) \
                and not isinstance(n.operand, ast.Constant):
            found.add("neg")
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) \
                and (n.func.id in GRAPH_OPS or n.func.id == "mean"):
            found.add(n.func.id)
    return [op for op in list(GRAPH_OPS) + list(TENSOR_OPS) if op in found]


OP_BUILT_ON = {"div": ("pow", "mul"), "rdiv": ("pow", "mul", "cmul"), "sub": ("neg", "add", "cmul"),
               "rsub": ("neg", "add", "cmul"), "neg": ("cmul", "mul")}   # how students build them


TENSOR_OPS = {  # array programs only: op -> (probe program, its values, the lecture's words)
    "matmul": ("out = sum(w @ x)", {"w": [[0.6, -1.1], [0.4, 0.9]], "x": [[0.5, -0.3, 1.2],
                                                                        [0.8, 0.2, -0.6]]},
               "the matrix product (its two vector-Jacobian products)"),
    "bcast": ("out = sum(x * r + c)", {"x": [[0.5, -0.3, 1.2], [0.8, 0.2, -0.6]],
                                       "r": [[0.7, -1.3, 0.4]], "c": [[0.3], [-0.8]]},
              "a broadcast operand (its gradient summed back to its own shape)"),
    "mean": ("out = mean(x * y)", {"x": [[0.5, -0.3, 1.2], [0.8, 0.2, -0.6]],
                                   "y": [[1.1, 0.4, -0.7], [-0.2, 0.9, 0.6]]}, "mean (its 1/n)"),
}
_SPREAD = np.array([[1.0, 0.7, 1.3], [0.8, 1.2, 0.9]])   # a scalar probe value -> a 2×3 array


def _tensor(prog, vals):
    """An array version of a scalar probe: each input a 2×3 array of the same sign, out summed."""
    lines = prog.split("\n")
    lines[-1] = "out = sum(" + lines[-1].split("=", 1)[1].strip() + ")"
    return "\n".join(lines), {k: np.round(v * _SPREAD, 4) for k, v in vals.items()}


def _graph_probes(case):
    tensor = any(np.ndim(v) > 0 for v in case["values"].values())
    def make(prog, vals):
        if tensor and (prog.startswith("out = sum(") or prog.startswith("out = mean(")):
            return {"program": prog, "values": {k: np.array(v, float) for k, v in vals.items()}}
        if tensor:
            prog, vals = _tensor(prog, vals)
        return {"program": prog, "values": dict(vals)}
    out = [(kind, make(prog, vals)) for kind, prog, vals in GRAPH_STRUCTURE]
    if tensor:       # out = sum(x + y) puts a node between out and the inputs: seed on sum(x)
        out[0] = ("graph:seed", {"program": "out = sum(x)", "values": {"x": np.array(_SPREAD * 0.6)}})
    used = set(_program_ops(case["program"]))
    for op in list(used):
        used |= set(OP_BUILT_ON.get(op, ()))
    for op in [o for o in GRAPH_OPS if o in used]:
        prog, vals, _ = GRAPH_OPS[op]
        out.append((f"op:{op}", make(prog, vals)))
    if tensor:
        shapes = {np.shape(v) for v in case["values"].values()}
        extra = {"matmul"} & used | ({"bcast"} if len(shapes) > 1 else set()) | ({"mean"} & used)
        for op in [o for o in TENSOR_OPS if o in extra]:
            prog, vals, _ = TENSOR_OPS[op]
            out.append((f"op:{op}", make(prog, vals)))
    return out


def _prefix_probes(case):
    """A network of the layer API (layers, X, dout) cut after each of its first layers, with an
    upstream gradient shaped like the cut network's output: the first cut that goes wrong names
    the layer whose forward or backward pass is wrong."""
    layers, X, dout = case.get("layers"), case.get("X"), case.get("dout")
    if not (isinstance(layers, list) and len(layers) > 1 and isinstance(X, np.ndarray)
            and isinstance(dout, np.ndarray) and "dX" not in case
            and all(isinstance(l, dict) and "kind" in l for l in layers)):
        return []
    rng = np.random.default_rng(20261206)
    out, n = [], X.shape[0]
    for k in range(1, len(layers) + 1):
        W = layers[k - 1].get("W")
        if isinstance(W, np.ndarray) and W.ndim == 2:
            n = W.shape[0]
        probe = dict(case, layers=layers[:k], dout=dout if k == len(layers)
                     else rng.normal(size=(n, X.shape[1])))
        out.append((f"prefix:{k}", probe))
    return out


def _prefix_verdict(by_kind, layers_kinds, rtol, atol) -> str | None:
    """The first cut network (layers 1..k) that goes wrong: its last layer is the first wrong
    layer, in its forward pass (the output is wrong) or its backward pass."""
    ks = sorted(int(k.split(":")[1]) for k in by_kind if k.startswith("prefix:"))
    for k in ks:
        got, exp = by_kind[f"prefix:{k}"][0]
        if not isinstance(got, dict) or exp is None:
            return None                    # it raised on a cut network: no evidence here
        if _right(got, exp, rtol, atol):
            continue
        kind = layers_kinds[k - 1] if k - 1 < len(layers_kinds) else "?"
        if "out/0" in got and "out/0" in exp and not _close(got["out/0"], exp["out/0"], rtol, atol):
            return (f"running the network cut after each layer, the output is right up to layer "
                    f"{k - 1} and wrong from layer {k} (a {kind} layer): layer {k} is the first wrong "
                    f"layer — look at its forward pass")
        return (f"running the network cut after each layer, every cut is right up to layer {k - 1}; "
                f"with layer {k} (a {kind} layer) last, the output is right but the gradients are not: "
                f"layer {k} is the first wrong layer — look at its backward pass (the gradients of its "
                "parameters and the dx it passes down)")
    return None


def _invariance_probes(case):
    """A normalisation's backward pass (dout, u or x, a per-unit γ): with γ = 1 and dout the same
    along the normalised axis, the cost cannot change (the normalised values sum to zero along
    it), so ∂C/∂u is 0 — whatever the means of a backward pass run over, they must agree."""
    dout, gamma = case.get("dout"), case.get("gamma")
    data = next((k for k in ("u", "x") if isinstance(case.get(k), np.ndarray)), None)
    if not (isinstance(dout, np.ndarray) and dout.ndim == 2 and data and case[data].shape == dout.shape
            and isinstance(gamma, np.ndarray) and gamma.shape == (dout.shape[0], 1)
            and min(dout.shape) > 1):
        return []
    rng = np.random.default_rng(20261207)
    n, B = dout.shape
    cols = np.tile(rng.normal(size=(1, B)), (n, 1))      # the same for every unit of an example
    rows = np.tile(rng.normal(size=(n, 1)), (1, B))      # the same for every example of a unit
    return [(f"invariance:{axis}", dict(case, dout=d, gamma=np.ones_like(gamma)))
            for axis, d in ((0, cols), (1, rows))]


def _axis_probe(case):
    """A square, symmetric version of a normalisation's case (γ = 1, β = 0): an answer whose
    statistics run over the other axis gives the transpose of the right output."""
    data = [k for k in _DATA if isinstance(case.get(k), np.ndarray) and case[k].ndim == 2
            and case[k].dtype.kind == "f"]
    gamma = case.get("gamma")
    if not data or not isinstance(gamma, np.ndarray) or gamma.size < 2:
        return None
    m = gamma.size
    rng = np.random.default_rng(20261206)
    probe = {}
    for k, v in case.items():
        if isinstance(v, np.ndarray) and v.ndim == 2 and v.dtype.kind == "f" and m in v.shape \
                and v.shape not in ((m, 1), (1, m)):
            a = rng.normal(0.3, 1.5, size=(m, m))
            probe[k] = a + a.T
        elif k == "gamma" or (k.startswith("running_var")):
            probe[k] = np.ones_like(v)
        elif k in ("beta",) or k.startswith("running_mean"):
            probe[k] = np.zeros_like(v)
        elif isinstance(v, np.ndarray):
            return None              # an input the probe cannot make symmetric
        else:
            probe[k] = v
    return probe


def _batch_size(case):
    """B when at least two inputs (other than weights) have B > 1 columns: examples as columns."""
    cols = []
    for k, v in case.items():
        for kk, a in (v.items() if isinstance(v, dict) else [(k, v)]):
            if isinstance(a, np.ndarray) and a.ndim == 2 and not str(kk).startswith("W"):
                cols.append(a.shape[1])
    counts = {c: cols.count(c) for c in set(cols) if c > 1}
    return max(counts, key=counts.get) if counts and max(counts.values()) >= 2 else None


def probe_cases(case) -> list[tuple[str, dict]]:
    """Designed variations of a case that localise a mistake: (kind, case). For a program of
    assignment 10 (a case with `program` and `values`), small programs that separate seeding,
    accumulation, visit order and each operation's local derivative; for a normalisation (a
    data array and a per-unit γ), a square symmetric case (the axis); otherwise one example at
    a time, zero biases, large logits."""
    if isinstance(case.get("program"), str) and isinstance(case.get("values"), dict):
        return _graph_probes(case)
    out = _prefix_probes(case)
    batches = case.get("batches")
    if isinstance(batches, list) and len(batches) >= 3:
        out.append(("batches:1", dict(case, batches=batches[:1])))
        X = case.get("X")
        if isinstance(X, np.ndarray) and X.ndim == 2:
            whole = np.arange(X.shape[1])
            out.append(("batches:whole", dict(case, batches=[whole, whole.copy()])))  # two steps
    axis = _axis_probe(case)
    if axis is not None:
        out.append(("axis", axis))
    out += _invariance_probes(case)
    B = _batch_size(case)
    if B:
        def column(j):
            def one(k, v):
                if isinstance(v, dict):
                    return {kk: one(kk, vv) for kk, vv in v.items()}
                if isinstance(v, np.ndarray) and v.ndim == 2 and v.shape[1] == B and not str(k).startswith("W"):
                    return v[:, j:j + 1].copy()
                return v
            return {k: one(k, v) for k, v in case.items()}
        out += [("one-example", column(j)) for j in range(min(B, MAX_EXAMPLE_PROBES))]
    def zero(k, v):
        if isinstance(v, dict):
            return {kk: zero(kk, vv) for kk, vv in v.items()}
        if isinstance(v, list) and _BIAS.match(str(k)):
            return [np.zeros_like(x) if isinstance(x, np.ndarray) else x for x in v]
        if isinstance(v, np.ndarray) and _BIAS.match(str(k)):
            return np.zeros_like(v)
        return v
    zeroed = {k: zero(k, v) for k, v in case.items()}
    if any(_differs(case[k], zeroed[k]) for k in case):
        out.append(("zero-bias", zeroed))
    if any(k in _LOGITS and isinstance(v, np.ndarray) for k, v in case.items()):
        out.append(("large-logits", {k: (v * 400.0 if k in _LOGITS and isinstance(v, np.ndarray)
                                         else v) for k, v in case.items()}))
    return out


def _differs(a, b):
    if isinstance(a, dict):
        return any(_differs(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return any(_differs(x, y) for x, y in zip(a, b))
    return isinstance(a, np.ndarray) and not np.array_equal(a, b)


PROBE_TITLES = {
    "graph:seed": "out.grad not seeded with 1", "graph:accumulate": "gradients overwritten (= instead of +=)",
    "graph:order": "nodes visited in the wrong order (not a reverse topological order)",
    "graph:shared": "a shared node swept before all its uses (not one reverse topological order)",
    "op": "a wrong local derivative or value of an operation",
    "axis": "statistics over the other axis", "prefix": "the first wrong layer located",
    "invariance": "the backward pass's means over another axis than the forward statistics",
    "one-example": "the examples mixed", "zero-bias": "the biases used wrongly",
    "large-logits": "exp overflows for large logits", "batches": "state lost between minibatches",
    "batches-whole": "every step on the whole data set, not its minibatch",
}


def probe_finding(results, rtol, atol, conv: str = "delta", layer_kinds=None,
                  expected=None) -> tuple[str, str] | None:
    """(a short title, the sentence) of the property that breaks the answer, or None."""
    found = probe_verdict(results, rtol, atol, conv, layer_kinds, expected)
    if found is None:
        return None
    for key, text in PROBES.items():
        if found == text:
            base = key.split("/")[0]
            return PROBE_TITLES.get(base) or PROBE_TITLES[base.split(":")[0]], found
    if found.startswith("running the network cut"):
        return PROBE_TITLES["prefix"], found
    title = PROBE_TITLES["op"]
    table = {**GRAPH_OPS, **TENSOR_OPS}
    ops = [table[o][2] for o in table if table[o][2] in found]
    if ops:
        title = "wrong local derivative or value of " + _and(ops)
    return title, found


def probe_verdict(results, rtol, atol, conv: str = "delta", layer_kinds=None,
                  expected=None) -> str | None:
    """results: [(kind, got flat or error, expected flat)]; the property that breaks the answer,
    as a sentence, or None. A kind speaks only when its evidence is unambiguous. `expected`: the
    reference's output on the failing case itself (a probe that switches units off — more exact
    zeros in its expected output — proves nothing)."""
    by_kind: dict = {}
    for kind, got, exp in results:
        by_kind.setdefault(kind, []).append((got, exp))
    if any(k.startswith(("graph:", "op:")) for k in by_kind):
        return _graph_verdict(by_kind, rtol, atol)
    if any(k.startswith("prefix:") for k in by_kind):
        found = _prefix_verdict(by_kind, layer_kinds or [], rtol, atol)
        if found:
            return found
    one, whole = by_kind.get("batches:1"), by_kind.get("batches:whole")
    if one and _right(*one[0], rtol, atol):          # (the case itself, several, is wrong)
        return PROBES["batches"]
    if whole and _right(*whole[0], rtol, atol):
        return PROBES["batches-whole"]
    for axis in (0, 1):
        for got, exp in by_kind.get(f"invariance:{axis}", []):
            if isinstance(got, dict) and exp is not None and "out/0" in exp and "out/0" in got \
                    and np.all(np.abs(exp["out/0"]) < 1e-9) and got["out/0"].shape == exp["out/0"].shape \
                    and not _close(got["out/0"], exp["out/0"], rtol, max(atol, 1e-9)):
                return PROBES[f"invariance:{axis}"]
    for got, exp in by_kind.get("axis", []):
        if _transposed(got, exp, rtol, atol):
            return PROBES["axis"]
    for got, exp in by_kind.get("large-logits", []):
        if isinstance(got, dict) and exp is not None and any(
                not np.all(np.isfinite(got[k])) for k in got) and all(
                np.all(np.isfinite(v)) for v in exp.values()):
            return PROBES["large-logits"]
    for kind in ("one-example", "zero-bias"):
        pairs = by_kind.get(kind, [])
        if kind == "zero-bias" and expected is not None and any(
                exp is not None and _zeros(exp) > _zeros(expected) for _, exp in pairs):
            continue                   # the zero biases switched units off: no evidence
        if pairs and all(_right(got, exp, rtol, atol) for got, exp in pairs):
            return PROBES[f"{kind}/layer" if conv == "layer" else kind]
    return None


def _zeros(flat) -> int:
    return int(sum(np.sum(np.abs(v) < 1e-12) for v in flat.values()))


def _right(got, exp, rtol, atol):
    return isinstance(got, dict) and exp is not None and set(got) == set(exp) and all(
        _close(got[k], exp[k], rtol, atol) for k in exp)


def _transposed(got, exp, rtol, atol):
    """Every square output right or transposed, at least one transposed (and not symmetric)."""
    if not isinstance(got, dict) or exp is None or set(got) != set(exp):
        return False
    square = [k for k, v in exp.items() if v.ndim == 2 and v.shape[0] == v.shape[1] > 1]
    flipped = [k for k in square if got[k].shape == exp[k].shape
               and _close(got[k], exp[k].T, rtol, atol) and not _close(got[k], exp[k], rtol, atol)]
    return bool(flipped) and all(k in flipped or _close(got[k], exp[k], rtol, atol) for k in square)


def _graph_parts(got):
    """(value, [gradients]) of a gradients(program, values) answer, or None."""
    if not isinstance(got, dict) or "out/0" not in got:
        return None
    return got["out/0"], [got[k] for k in sorted(got) if k.startswith("out/1/")]


def _graph_verdict(by_kind, rtol, atol) -> str | None:
    def status(kind):
        """'right', 'zero' (value right, every gradient 0), 'half', 'value' (value wrong),
        'wrong', or None (it raised: no evidence)."""
        pairs = by_kind.get(kind, [])
        if not pairs:
            return None
        got, exp = pairs[0]
        g, e = _graph_parts(got), _graph_parts(exp)
        if g is None or e is None or len(g[1]) != len(e[1]):
            return None
        if _right(got, exp, rtol, atol):
            return "right"
        if not _close(g[0], e[0], rtol, atol):
            return "value"
        if all(np.all(x == 0) for x in g[1]):
            return "zero"
        if all(_close(x, y / 2, rtol, atol) for x, y in zip(g[1], e[1])):
            return "half"
        return "wrong"
    seed, acc = status("graph:seed"), status("graph:accumulate")
    if seed == "zero":
        return PROBES["graph:seed"]
    if acc == "half" and seed == "right":
        return PROBES["graph:accumulate"]
    table = {**GRAPH_OPS, **TENSOR_OPS}
    ops = [op for op in table if f"op:{op}" in by_kind]
    if seed == "right" and status("graph:order") == "zero":
        return PROBES["graph:order"]   # nothing reaches the inputs once a node lies between
    bad_value = [op for op in ops if status(f"op:{op}") == "value"]
    bad_grad = [op for op in ops if status(f"op:{op}") in ("wrong", "half", "zero")]
    if seed == "right" and (bad_value or bad_grad):
        parts = []
        if bad_grad:
            parts.append("the local derivative of " + _and([table[o][2] for o in bad_grad])
                         + " is wrong: on a program with that one operation alone ("
                         + "; ".join(table[o][0] for o in bad_grad)
                         + ") the value is right and the gradient is not")
        if bad_value:
            parts.append("the value of " + _and([table[o][2] for o in bad_value])
                         + " is wrong (" + "; ".join(table[o][0] for o in bad_value) + ")"
                         + (": check which operand comes first" if {"rsub", "rdiv"} & set(bad_value)
                            else ": the forward computation itself"))
        return "; ".join(parts)
    if seed == "right" and acc == "right" and status("graph:order") in ("wrong", "zero", "half"):
        return PROBES["graph:order"]
    if seed == "right" and acc == "right" and status("graph:shared") in ("wrong", "zero", "half"):
        return PROBES["graph:shared"]
    return None


def _and(words):
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
