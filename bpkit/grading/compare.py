"""Turn answers into plain float64 arrays and compare them with the reference, in words.

Everything here runs in the judge's parent process, which never executes student code.
"""
from __future__ import annotations

import numpy as np

MAX_SHOWN = 4


def flatten(value, prefix="out"):
    """Nested tuples/lists/dicts of array-likes -> {"out/0": ndarray float64, ...}."""
    if isinstance(value, dict):
        items = {}
        for k in sorted(value, key=str):
            items.update(flatten(value[k], f"{prefix}/{k}"))
        return items
    if isinstance(value, (tuple, list)) and not _is_numeric_list(value):
        items = {}
        for i, v in enumerate(value):
            items.update(flatten(v, f"{prefix}/{i}"))
        return items or {prefix: np.zeros(0)}
    return {prefix: np.array(np.asarray(value, dtype=np.float64), dtype=np.float64, copy=True)}


def _is_numeric_list(value):
    return len(value) > 0 and all(isinstance(v, (int, float, np.number)) for v in value)


def unflatten(flat):
    """Inverse of `flatten` for the structures it produces (tuples for sequences)."""
    if list(flat) == ["out"]:
        return flat["out"]
    tree: dict = {}
    for key, arr in flat.items():
        parts = key.split("/")[1:]
        node = tree
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = arr

    def build(node):
        if isinstance(node, np.ndarray):
            return node
        keys = list(node)
        if all(k.isdigit() for k in keys):
            return tuple(build(node[k]) for k in sorted(keys, key=int))
        return {k: build(v) for k, v in node.items()}
    return build(tree)


def tolerance(case, rtol, atol):
    """float32 inputs get float32-sized tolerances."""
    for v in case.values():
        if isinstance(v, np.ndarray) and v.dtype == np.float32:
            return max(rtol, 1e-4), max(atol, 1e-6)
    return rtol, atol


def max_rel_error(got, expected):
    denom = np.maximum(np.abs(expected), np.abs(got))
    denom = np.where(denom == 0, 1.0, denom)
    return float(np.max(np.abs(got - expected) / denom)) if got.size else 0.0


def same(got: dict, expected: dict, rtol, atol) -> bool:
    if set(got) != set(expected):
        return False
    for k in expected:
        g, e = got[k], expected[k]
        if g.shape != e.shape or not np.all(np.isfinite(g) == np.isfinite(e)):
            return False
        if not np.allclose(g, e, rtol=rtol, atol=atol, equal_nan=True):
            return False
    return True


def describe_inputs(case) -> str:
    parts = []
    for k, v in case.items():
        if isinstance(v, np.ndarray):
            parts.append(f"{k}: shape {v.shape}" + ("" if v.dtype == np.float64 else f" {v.dtype}"))
        elif isinstance(v, (list, tuple)) and v and isinstance(v[0], np.ndarray):
            parts.append(f"{k}: {len(v)} arrays " + ", ".join(str(a.shape) for a in v))
        elif isinstance(v, (int, float, str, bool)):
            parts.append(f"{k} = {v!r}")
        else:
            parts.append(f"{k}: {type(v).__name__}")
    return "; ".join(parts)


def _label(key):
    return "your answer" if key == "out" else f"output {key[4:]}"


def explain(got: dict, expected: dict, rtol, atol, show_values: bool) -> str:
    """Plain words for the first difference between two flattened answers."""
    if set(got) != set(expected):
        return (f"your function returned {len(got)} output(s) ({', '.join(_shape_list(got))}); "
                f"expected {len(expected)} ({', '.join(_shape_list(expected))}).")
    for k in expected:
        g, e = got[k], expected[k]
        name = _label(k)
        if g.shape != e.shape:
            msg = f"{name} has shape {g.shape}, expected {e.shape}."
            if g.ndim == 2 and g.shape == e.shape[::-1]:
                msg += " It has the shape of the transpose: check the order of the factors or a missing ᵀ."
            elif g.size == e.size:
                msg += " Same number of entries, different layout: a reshape or a missing keepdims=True?"
            elif e.ndim == 2 and e.shape[1] == 1 and g.shape == (e.shape[0],):
                msg += " Keep column vectors 2-D: (n, 1), not (n,) (use keepdims=True)."
            elif e.ndim >= 1 and g.ndim == e.ndim and g.shape[0] == e.shape[0]:
                msg += " Did you sum over the wrong axis? Examples are the columns (axis=1)."
            return msg
        if not np.all(np.isfinite(g)):
            return f"{name} contains NaN or inf (expected finite values)."
        if np.allclose(g, e, rtol=rtol, atol=atol):
            continue
        err = max_rel_error(g, e)
        msg = f"{name} differs: max relative error {err:.2e} (tolerance {rtol:.0e})."
        if g.ndim == 2 and g.shape[0] == g.shape[1] and np.allclose(g, e.T, rtol=rtol, atol=atol):
            msg += " It is the transpose of the expected value: check the order of the factors or a missing ᵀ."
        elif np.allclose(g, -e, rtol=rtol, atol=atol):
            msg += " It is exactly the negative of the expected value: a sign flip."
        elif e.size and np.any(e != 0):
            ratio = _constant_ratio(g, e)
            if ratio is not None:
                msg += f" It is {ratio:.4g}× the expected value everywhere: a missing or extra factor."
        if show_values:
            msg += (f"\n    expected (first entries): {_few(e)}\n    got      (first entries): {_few(g)}")
        return msg
    return "outputs agree."


def _constant_ratio(g, e):
    mask = np.abs(e) > 1e-12
    if not mask.any():
        return None
    r = g[mask] / e[mask]
    if np.allclose(r, r[0], rtol=1e-6) and abs(r[0] - 1) > 1e-6:
        return float(r[0])
    return None


def _few(a):
    flat = a.ravel()[:MAX_SHOWN]
    return np.array2string(flat, precision=5, separator=", ") + (" …" if a.size > MAX_SHOWN else "")


def _shape_list(d):
    return [str(v.shape) for v in d.values()]
