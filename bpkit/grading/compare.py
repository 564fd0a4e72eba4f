"""Turn answers into plain float64 arrays and compare them (bpkit.grading.diagnose explains).

Everything here runs in the judge's parent process, which never executes student code.
"""
from __future__ import annotations

import numpy as np


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


def unchanged(before, after) -> bool:
    """Did a call leave its inputs as they were? (arrays, dicts, lists, numbers; other objects
    are not compared)"""
    if isinstance(before, np.ndarray):
        return (isinstance(after, np.ndarray) and before.shape == after.shape
                and before.dtype == after.dtype and bool(np.array_equal(before, after, equal_nan=True)))
    if isinstance(before, dict):
        return isinstance(after, dict) and before.keys() == after.keys() and all(
            unchanged(before[k], after[k]) for k in before)
    if isinstance(before, (list, tuple)):
        return type(before) is type(after) and len(before) == len(after) and all(
            unchanged(b, a) for b, a in zip(before, after))
    if isinstance(before, (int, float, str, bool, np.generic)) or before is None:
        return before == after or (before != before and after != after)  # NaN stays NaN
    return True
