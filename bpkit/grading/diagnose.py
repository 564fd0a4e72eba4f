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


def label(key: str) -> str:
    """'out' -> 'your answer'; 'out/W2' -> '∂C/∂W^[2]'-style names where the key says so."""
    if key == "out":
        return "your answer"
    part = key[4:]
    m = re.fullmatch(r"(d?)([Wb])(\d+)", part)
    if m:
        return f"∂C/∂{m.group(2)}^[{m.group(3)}]"
    m = re.fullmatch(r"(\d+)", part)
    if m:
        return f"output {int(part) + 1} (of the returned tuple)"
    return f"output {part}"


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
    if len(cols) == 1:
        B = float(cols.pop())
        out.update({"B": B, "1/B": 1 / B, "B²": B * B, "1/B²": 1 / (B * B), "2B": 2 * B,
                    "1/(2B)": 1 / (2 * B)})
        if len(rows) == 1:
            n = float(rows.pop())
            if n > 1:
                out.update({"n_L": n, "1/n_L": 1 / n})
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


def factor_words(ratio, case, hidden):
    for name, value in symbols(case).items():
        if np.isclose(ratio, value, rtol=1e-6):
            return FACTOR_WORDS[name]
    if hidden:
        return "off by a constant factor everywhere: a missing or extra scale factor"
    return f"{ratio:.4g}× the expected value everywhere: a missing or extra factor"


# --------------------------------------------------------------------------------- the verdict
def explain(got: dict, expected: dict, case: dict, rtol, atol, hidden: bool) -> str:
    """Plain words for how `got` differs from `expected` (both flattened)."""
    missing = [k for k in expected if k not in got]
    extra = [k for k in got if k not in expected]
    if missing or extra:
        if len(got) == len(expected) and sorted(v.shape for v in got.values()) == \
                sorted(v.shape for v in expected.values()):
            return (f"your function returned {', '.join(map(label, got))}; expected "
                    f"{', '.join(map(label, expected))}: check the names/keys of what you return.")
        msg = (f"your function returned {len(got)} output(s) ({_shapes(got)}); expected "
               f"{len(expected)} ({_shapes(expected)}).")
        if missing and len(got) < len(expected):
            msg += f" Missing: {', '.join(map(label, missing))}."
        return msg
    swapped = _swapped(got, expected, rtol, atol)
    if swapped:
        return f"{label(swapped[0])} and {label(swapped[1])} are swapped: return them in the stated order."
    wrong = [k for k in expected if not _close(got[k], expected[k], rtol, atol)]
    right = [k for k in expected if k not in wrong]
    msg = _one(got[wrong[0]], expected[wrong[0]], wrong[0], case, rtol, atol, hidden)
    if right and len(expected) > 1:
        msg = (f"{', '.join(map(label, right))} {'is' if len(right) == 1 else 'are'} right; "
               f"{', '.join(map(label, wrong))} {'is' if len(wrong) == 1 else 'are'} wrong. "
               + _layer_story(right, wrong) + msg)
    return msg


def _layer_story(right, wrong) -> str:
    def layer(k):
        m = re.search(r"[Wb](\d+)$", k)
        return int(m.group(1)) if m else None
    r, w = [layer(k) for k in right], [layer(k) for k in wrong]
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


def _one(g, e, key, case, rtol, atol, hidden) -> str:
    name = label(key)
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
    ratio = _constant_ratio(g, e)
    if ratio is not None:
        return f"{name} is {factor_words(ratio, case, hidden)}."
    zero_e, zero_g = np.abs(e) <= atol, np.abs(g) <= atol
    if zero_e.any() and zero_g.any() and np.array_equal(zero_e, ~zero_g):
        return (f"{name} is zero exactly where the expected value is not, and non-zero where it is "
                "zero: a mask used the wrong way round (keep where the mask is 1)?")
    kink = _only_at_zero(g, e, case, rtol, atol)
    if kink:
        return f"{name} is right except where {kink} = 0: the value at the kink (by the convention of the lecture)."
    if _integer_valued(g) and _integer_valued(e) and g.size == e.size <= 4:
        diff = (g - e).ravel()
        if np.all(diff == diff[0]) and diff[0] != 0:
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
    "one-example": ("right for one example (B = 1) but not for a batch: look at how you sum or "
                    "average over the examples (the 1/B appears once, in the parameter gradients; "
                    "δ^[L] is per example)"),
    "zero-bias": ("right when the biases are zero: look at how you use b^[l] (added to every "
                  "column, eq. 19; ∂C/∂b^[l] sums δ^[l] over the examples, eq. 24)"),
    "large-logits": ("not finite for large logits: exp overflows; subtract each column's maximum "
                     "before exp (softmax does not change)"),
}
_BIAS = re.compile(r"^(b\d*|bias|bL|db\d*)$")
_LOGITS = ("Z", "z", "zL", "ZL", "logits", "scores")


def _batch_size(case):
    cols = set()
    for k, v in case.items():
        for kk, a in (v.items() if isinstance(v, dict) else [(k, v)]):
            if isinstance(a, np.ndarray) and a.ndim == 2 and not str(kk).startswith("W"):
                cols.add(a.shape[1])
    cols.discard(1)
    return cols.pop() if len(cols) == 1 else None


def probe_cases(case) -> list[tuple[str, dict]]:
    """Designed variations of a case that localise a mistake: (kind, case)."""
    out = []
    B = _batch_size(case)
    if B:
        def one(k, v):
            if isinstance(v, dict):
                return {kk: one(kk, vv) for kk, vv in v.items()}
            if isinstance(v, np.ndarray) and v.ndim == 2 and v.shape[1] == B and not str(k).startswith("W"):
                return v[:, :1].copy()
            return v
        out.append(("one-example", {k: one(k, v) for k, v in case.items()}))
    def zero(k, v):
        if isinstance(v, dict):
            return {kk: zero(kk, vv) for kk, vv in v.items()}
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
    return isinstance(a, np.ndarray) and not np.array_equal(a, b)


def probe_verdict(results, rtol, atol) -> str | None:
    """results: [(kind, got flat or error, expected flat)]; the property that breaks the answer."""
    by_kind = {kind: (got, exp) for kind, got, exp in results}
    got, exp = by_kind.get("large-logits", (None, None))
    if isinstance(got, dict) and exp is not None and any(
            not np.all(np.isfinite(got[k])) for k in got) and all(
            np.all(np.isfinite(v)) for v in exp.values()):
        return PROBES["large-logits"]
    for kind in ("one-example", "zero-bias"):
        got, exp = by_kind.get(kind, (None, None))
        if isinstance(got, dict) and exp is not None and set(got) == set(exp) and all(
                _close(got[k], exp[k], rtol, atol) for k in exp):
            return PROBES[kind]
    return None
