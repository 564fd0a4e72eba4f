"""Explain a wrong answer in the lecture's words, from the structure of the difference.

Runs in the judge's parent (it never runs student code). Given the student's flattened outputs,
the expected ones and the case, it looks for: outputs missing, extra or swapped; only some
outputs wrong (and, for layer-indexed gradients, which layers); a constant factor and which
symbol it is (B, 1/B, n_L, 2, ½, −1); a transpose; a difference only where an input is 0 (the
kink of an activation); a mask inverted; an integer answer off by k; a wrong layout.

On hidden cases nothing is shown that depends on a hidden value: no entries, no scalar inputs,
no numeric factor — only symbols and shapes.
"""
from __future__ import annotations

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


def label(key: str, grad: bool = True) -> str:
    """'out' -> 'your answer'; 'out/W2' -> '∂C/∂W^[2]'-style names where the key says so (W^[2]
    when the outputs are parameters, grad=False)."""
    if key == "out":
        return "your answer"
    part = key[4:]
    m = re.fullmatch(r"(d?)([Wb])(\d+)", part)
    if m:
        return f"∂C/∂{m.group(2)}^[{m.group(3)}]" if grad else f"{m.group(2)}^[{m.group(3)}]"
    m = re.fullmatch(r"(\d+)", part)
    if m:
        return f"output {int(part) + 1} (of the returned tuple)"
    m = re.fullmatch(r"(\d+)/(\d+)", part)
    if m:
        return f"entry {int(m.group(2)) + 1} of output {int(m.group(1)) + 1}"
    return f"output {part}"


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


def _constant_ratio(g, e):
    mask = np.abs(e) > 1e-12
    if not mask.any() or np.any(np.abs(g[~mask]) > 1e-9):
        return None
    r = g[mask] / e[mask]
    if np.allclose(r, r[0], rtol=1e-6) and abs(r[0] - 1) > 1e-6:
        return float(r[0])
    return None


def factor_words(ratio, case, hidden, size=2, integer=False):
    """Words for a constant ratio, or None when a ratio says nothing (one number, a count)."""
    if ratio == 0:
        return ("zero everywhere, where the expected value is not: nothing you compute reaches "
                "the result (a perturbation of a copy the cost never sees, a factor that is 0?)")
    for name, value in symbols(case).items():
        if np.isclose(ratio, value, rtol=1e-6):
            if size == 1 and name not in ("B", "1/B", "n_L", "1/n_L", "B/n_L", "1/(n_L·B)", "−1"):
                return None       # one number: a factor 2 or ½ can be a coincidence
            return FACTOR_WORDS[name]
    if size == 1 or integer:
        return None
    if abs(ratio - 1) < 0.02:
        return ("close to the expected value everywhere but not within the tolerance: an "
                "approximation where the exact formula belongs (another step, other weights, a "
                "truncation error left?)")
    if hidden:
        return "off by a constant factor everywhere: a missing or extra scale factor"
    return f"{ratio:.4g}× the expected value everywhere: a missing or extra factor"


# --------------------------------------------------------------------------------- the verdict
def explain(got: dict, expected: dict, case: dict, rtol, atol, hidden: bool) -> str:
    """Plain words for how `got` differs from `expected` (both flattened)."""
    grad = "grads" not in case          # an update returns parameters, not gradients
    lab = lambda k: label(k, grad)      # noqa: E731
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
    msg = _one(got[wrong[0]], expected[wrong[0]], wrong[0], case, rtol, atol, hidden, grad)
    if not right and len(expected) > 2 and "differs: max relative error" in msg \
            and any(k in case for k in ("Y", "y")):                  # a backward pass with targets
        msg = _layer_story(right, wrong) + msg
    if right and len(expected) > 1:
        msg = (f"{', '.join(map(lab, right))} {'is' if len(right) == 1 else 'are'} right; "
               f"{', '.join(map(lab, wrong))} {'is' if len(wrong) == 1 else 'are'} wrong. "
               + _layer_story(right, wrong) + msg)
    return msg


def _layer_story(right, wrong) -> str:
    def layer(k):
        m = re.search(r"[Wb](\d+)$", k)
        return int(m.group(1)) if m else None
    r, w = [layer(k) for k in right], [layer(k) for k in wrong]
    if not r and w and None not in w and len(set(w)) > 1:
        return ("Every layer's gradients are wrong, the output layer's too: start with the output "
                "error δ^[L] (eq. 22 for this cost; every other δ^[l] inherits its error). ")
    if None in r or None in w or not r or not w:
        return ""
    if max(w) < min(r):
        return ("The output layer's gradients are fine, so δ^[L] is right: look at the δ "
                "recursion, δ^[l] = σ′(z^[l]) ∘ (W^[l+1])ᵀ δ^[l+1] (eq. 23). ")
    if all(k.split("/")[-1].startswith("b") for k in wrong):
        return "Only the bias gradients are wrong: ∂C/∂b^[l] is δ^[l] summed over the examples (÷B), eq. (24). "
    if all(k.split("/")[-1].startswith("W") for k in wrong):
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


def _one(g, e, key, case, rtol, atol, hidden, grad=True) -> str:
    name = label(key, grad)
    if g.shape != e.shape:
        msg = f"{name} has shape {g.shape}, expected {e.shape}."
        if g.ndim == 2 and g.shape == e.shape[::-1]:
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
        return (f"{name} contains NaN or inf where the expected values are finite: an overflow? "
                "(exp of a large number: subtract the maximum first)")
    if g.ndim == 2 and g.shape[0] == g.shape[1] and g.shape[0] > 1 and _close(g, e.T, rtol, atol):
        return f"{name} is the transpose of the expected value: check the order of the factors or a missing ᵀ."
    order = _reordered(g, e, case, rtol, atol)
    if order:
        return f"{name} {order}"
    if g.ndim == 2 and g.shape[0] > 1 and np.allclose(g, g[-1], rtol=rtol, atol=atol) \
            and _close(g[-1], e[-1], rtol, atol) and not np.allclose(e, e[-1], rtol=rtol, atol=atol):
        return (f"{name}: every row is the expected LAST row: the rows are one array updated in "
                "place after it was stored — store a copy (w.copy()) at each step.")
    ratio = _constant_ratio(g, e)
    words = None if ratio is None else factor_words(ratio, case, hidden, g.size,
                                                    _integer_valued(e) and _integer_valued(g))
    if words:
        return f"{name} is {words}."
    term = _input_term(g, e, case, rtol, atol)
    if term:
        return f"{name} {term}"
    scale = _scaled_lines(g, e, case, rtol, atol)
    if scale:
        return f"{name} {scale}"
    region = _only_where_sign(g, e, case, rtol, atol)
    if region:
        return f"{name} {region}"
    bad = ~np.isclose(g, e, rtol=rtol, atol=atol)
    if bad.any() and np.allclose(g[bad] * e[bad], 1.0, rtol=1e-6):
        where = "" if bad.all() else (" at " + ", ".join(f"entry {int(i) + 1}" for i in np.flatnonzero(bad)[:3])
                                      if g.ndim == 1 else " where it is wrong")
        return (f"{name} is the reciprocal of the expected value{where}: a ratio or a division "
                "taken upside down.")
    zero_e, zero_g = np.abs(e) <= atol, np.abs(g) <= atol
    if zero_e.any() and zero_g.any() and np.array_equal(zero_e, ~zero_g):
        return (f"{name} is zero exactly where the expected value is not, and non-zero where it is "
                "zero: a mask used the wrong way round (keep where the mask is 1)?")
    kink = _only_at_zero(g, e, case, rtol, atol)
    if kink:
        return f"{name} is right except where {kink} = 0: the value at the kink (by the convention of the lecture)."
    if _integer_valued(g) and _integer_valued(e) and g.size == e.size <= 4:
        diff = (g - e).ravel()
        if np.all(diff == diff[0]) and abs(diff[0]) == 1:
            return (f"{name} is off by {int(abs(diff[0]))} ({'too late' if diff[0] > 0 else 'too early'}"
                    "): check the boundary of your condition (> vs ≥) and where you start counting.")
    err = _max_rel_error(g, e)
    msg = f"{name} differs: max relative error {err:.2e} (tolerance {rtol:.0e})."
    if not hidden:
        idx = np.unravel_index(int(np.argmax(np.abs(g - e))), g.shape) if g.ndim else ()
        at = f" at index {tuple(int(i) for i in idx)}" if g.ndim else ""
        msg += (f"\n    largest difference{at}: expected {_num(e[idx])}, got {_num(g[idx])}"
                f"\n    expected (first entries): {_few(e)}\n    got      (first entries): {_few(g)}")
    return msg


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


def _only_at_zero(g, e, case, rtol, atol):
    bad = ~np.isclose(g, e, rtol=rtol, atol=atol)
    for k, v in case.items():
        if isinstance(v, np.ndarray) and v.shape == g.shape and np.any(v == 0):
            if np.all(bad <= (v == 0)) and bad.any():
                return k
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
    "one-example": ("right for each example alone (B = 1) but not for the batch: something mixes "
                    "the examples (columns) — a sum, mean, maximum or normalisation over the wrong "
                    "axis or over the whole matrix, or a 1/B where it does not belong (δ^[L] is "
                    "per example; the 1/B appears once, in the parameter gradients)"),
    "zero-bias": ("right when the biases are zero: look at how you use b^[l] (added to every "
                  "column, eq. 19; ∂C/∂b^[l] sums δ^[l] over the examples, eq. 24)"),
    "large-logits": ("not finite for large logits: exp overflows; subtract each column's maximum "
                     "before exp (softmax does not change)"),
}
_BIAS = re.compile(r"^(b\d*|bs|bias|bL|db\d*)$")
_LOGITS = ("Z", "z", "zL", "ZL", "logits", "scores")
MAX_EXAMPLE_PROBES = 6


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
    """Designed variations of a case that localise a mistake: (kind, case)."""
    out = []
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


def probe_verdict(results, rtol, atol) -> str | None:
    """results: [(kind, got flat or error, expected flat)]; the property that breaks the answer.
    A kind speaks only when the answer is right on every probe of that kind."""
    by_kind: dict = {}
    for kind, got, exp in results:
        by_kind.setdefault(kind, []).append((got, exp))
    for got, exp in by_kind.get("large-logits", []):
        if isinstance(got, dict) and exp is not None and any(
                not np.all(np.isfinite(got[k])) for k in got) and all(
                np.all(np.isfinite(v)) for v in exp.values()):
            return PROBES["large-logits"]
    for kind in ("one-example", "zero-bias"):
        pairs = by_kind.get(kind, [])
        if pairs and all(isinstance(got, dict) and exp is not None and set(got) == set(exp) and all(
                _close(got[k], exp[k], rtol, atol) for k in exp) for got, exp in pairs):
            return PROBES[kind]
    return None
