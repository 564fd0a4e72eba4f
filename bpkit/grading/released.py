"""What a student's check() knows without the answer key: the released visible cases, as data.

When the instructor releases (``bpkit release``), every exercise of the course is written to
``bpkit/grading/released/aNN.json``: its visible cases' inputs, the reference's outputs on them,
and each catalogued variant's outputs on them with its name and hint. That file ships with the
student part of bpkit; the references, hidden-case generators and variant code stay in
``bpkit_instructor/`` (the instructor's machine only).

The values are stored in plain JSON, not hashed: a visible case's expected output is no secret
(the student sees its inputs and could work it out by hand, and hard-coding it earns nothing on
the hidden cases), while plain values let the checker say *how* an answer differs — which
entries, what factor, which misconception — and compare within a float tolerance, which a hash
cannot. Floats round-trip exactly (Python writes the shortest repr).
"""
from __future__ import annotations

import copy
import functools
import importlib
import json
from pathlib import Path

import numpy as np

from bpkit.grading import compare

FOLDER = Path(__file__).with_name("released")
FORMAT = 1


# ----------------------------------------------------------------------------- plain-data codec
def encode(value):
    """Case inputs/outputs -> JSON-able data (arrays, numbers, strings, lists, tuples, dicts,
    numpy ufuncs). Anything else is refused: a visible case must be plain data."""
    if isinstance(value, np.ndarray):
        return {"__ndarray__": value.tolist(), "dtype": value.dtype.str, "shape": list(value.shape)}
    if isinstance(value, np.generic):
        return encode(value.item())
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError(f"dict keys must be strings, got {list(value)!r}")
        return {"__dict__": {k: encode(v) for k, v in value.items()}}
    if isinstance(value, np.ufunc):
        return {"__ufunc__": value.__name__}
    if isinstance(value, np.random.Generator):
        return {"__generator__": type(value.bit_generator).__name__,
                "state": encode(value.bit_generator.state)}
    cls = type(value)
    if hasattr(value, "to_data") and cls.__module__.startswith("bpkit."):
        return {"__object__": f"{cls.__module__}:{cls.__qualname__}", "data": encode(value.to_data())}
    raise TypeError(f"a visible case must be plain data (arrays, numbers, strings, lists, dicts, "
                    f"numpy Generators, or an object of the student part with to_data()/from_data());"
                    f" got {cls.__name__}")


def decode(data):
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if "__ndarray__" in data:
        return np.array(data["__ndarray__"], dtype=np.dtype(data["dtype"])).reshape(data["shape"])
    if "__tuple__" in data:
        return tuple(decode(v) for v in data["__tuple__"])
    if "__dict__" in data:
        return {k: decode(v) for k, v in data["__dict__"].items()}
    if "__ufunc__" in data:
        return getattr(np, data["__ufunc__"])
    if "__generator__" in data:
        bit = getattr(np.random, data["__generator__"])()
        bit.state = decode(data["state"])
        return np.random.Generator(bit)
    if "__object__" in data:
        mod, _, qual = data["__object__"].partition(":")
        return getattr(importlib.import_module(mod), qual).from_data(decode(data["data"]))
    raise ValueError(f"unknown encoded value {sorted(data)}")


def _flat(value):
    return {k: v.tolist() for k, v in compare.flatten(value).items()} if value is not None else None


def _flat_dict(flat):
    return {k: v.tolist() for k, v in flat.items()}


def _unflat(data):
    return None if data is None else {k: np.array(v, dtype=np.float64) for k, v in data.items()}


def _score_path(fn):
    if fn is None:
        return None
    mod = getattr(fn, "__module__", "") or ""
    if not mod.startswith("bpkit.") or "<" in fn.__qualname__:
        raise ValueError(f"score function {fn!r} must be a module-level function of the student "
                         "part (bpkit/grading/scores.py): it ships to students, the key does not")
    return f"{mod}:{fn.__qualname__}"


# ----------------------------------------------------------------------------- instructor side
def build(ex) -> dict:
    """The released data of one exercise (needs the instructor part: runs references/variants)."""
    cases = ex.cases(False, None)
    for i, case in enumerate(cases):
        for key, value in case.items():
            try:
                encode(value)
            except TypeError as err:
                raise TypeError(f"{ex.name}, visible case {i + 1}, input {key!r}: {err}") from None
    record = {"name": ex.name, "what": ex.what, "rtol": ex.rtol, "atol": ex.atol,
              "timeout": ex.timeout, "protect": list(ex.protect), "score": _score_path(ex.score),
              "hidden": ex.hidden is not None, "cases": [encode(c) for c in cases],
              "expected": [], "variants": []}
    for case in cases:
        record["expected"].append(None if ex.reference is None
                                  else _flat(ex.reference(**copy.deepcopy(case))))
    if ex.value:  # a value answer (multiple choice, a number): ship its form, never the answer
        record["value"] = True
        record["choices"] = None if ex.choices is None else list(ex.choices)
        record["expected"] = [{k: np.zeros_like(np.array(v)).tolist() for k, v in e.items()}
                              for e in record["expected"]]
        return record  # nor the wrong choices: their hints would give the right one away
    for v in ex.variants:
        outs = []
        for case in cases:
            try:
                outs.append(_flat(v.fn(**copy.deepcopy(case))))
            except Exception:  # noqa: BLE001 - a variant that cannot run here cannot match here
                outs.append(None)
        record["variants"].append({"name": v.name, "hint": v.hint, "outputs": outs})
    record["mutants"] = _mutants(ex, cases, record)
    record["mutates"] = [ex.mutates(i, case) for i, case in enumerate(cases)]
    record["probes"] = [[{"kind": kind, "case": encode(probe), "expected": _flat_dict(exp)}
                         for kind, probe, exp in ex.probes(i, case)] for i, case in enumerate(cases)]
    return record


def _mutants(ex, cases, record) -> list[dict]:
    """The automatic mutants' outputs on the visible cases, for the ones that differ from the
    reference and from every catalogued variant on some case (at most 40)."""
    if getattr(ex, "value", False) or ex.score is not None or ex.reference is None:
        return []
    table: dict[str, list] = {}
    for i, case in enumerate(cases):
        for what, flat in ex.mutant_outputs(i, case):
            outs = table.setdefault(what, [None] * len(cases))
            if outs[i] is None:
                outs[i] = {k: v.tolist() for k, v in flat.items()}
    seen = {json.dumps(v["outputs"], sort_keys=True) for v in record["variants"]}
    kept = []
    for what, outs in table.items():
        key = json.dumps(outs, sort_keys=True)
        if key not in seen:
            seen.add(key)
            kept.append({"what": what, "outputs": outs})
    return kept[:40]


def dumps(records: list[dict]) -> str:
    return json.dumps({"format": FORMAT, "exercises": records}, indent=0, sort_keys=True,
                      allow_nan=True) + "\n"


def write(prefix: str, folder: Path = FOLDER) -> Path:
    """Write bpkit/grading/released/a{prefix}.json from the instructor's registry."""
    from bpkit.grading import registry
    exercises = [ex for name, ex in sorted(registry.key_module(prefix).items())]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"a{prefix}.json"
    text = dumps([build(ex) for ex in exercises])
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def out_of_sync(prefixes, folder: Path = FOLDER) -> list[str]:
    """Prefixes whose committed released data differ from what the key gives now."""
    from bpkit.grading import registry
    stale = []
    for prefix in prefixes:
        path = folder / f"a{prefix}.json"
        fresh = [build(ex) for _, ex in sorted(registry.key_module(prefix).items())]
        if not path.exists() or not _same(json.loads(path.read_text())["exercises"],
                                          json.loads(dumps(fresh))["exercises"]):
            stale.append(prefix)
    return stale


def _same(a, b) -> bool:
    """Equal up to float rounding of computed outputs (different BLAS, same answer)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, (int, float)):
        return bool(np.isclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True))
    return a == b


# ----------------------------------------------------------------------------- student side
class Released:
    """An exercise as the student part knows it: visible cases and stored outputs, no code."""

    def __init__(self, record: dict):
        self.name = record["name"]
        self.what = record["what"]
        self.rtol, self.atol = record["rtol"], record["atol"]
        self.timeout = record["timeout"]
        self.protect = record["protect"]
        self.has_hidden = record["hidden"]
        self.value = record.get("value", False)
        self.choices = record.get("choices")
        self.reference = None
        self._cases = record["cases"]
        self._expected = record["expected"]
        self._variants = record["variants"]
        self._mutants = record.get("mutants", [])
        self._probes = record.get("probes", [])
        self._mutates = record.get("mutates", [])
        self.score = None
        if record["score"]:
            mod, _, qual = record["score"].partition(":")
            self.score = getattr(importlib.import_module(mod), qual)

    def cases(self, hidden: bool, rng):
        """The visible cases; hidden ones are drawn only where the key is (None: not here)."""
        if hidden:
            return None
        return [decode(c) for c in self._cases]

    def expected(self, i, case):
        return _unflat(self._expected[i])

    def mutates(self, i, case) -> bool:
        return i >= len(self._mutates) or bool(self._mutates[i])

    def probes(self, i, case):
        if i >= len(self._probes):
            return []
        return [(p["kind"], decode(p["case"]), _unflat(p["expected"])) for p in self._probes[i]]

    def mutant_outputs(self, i, case):
        for m in self._mutants:
            if m["outputs"][i] is not None:
                yield m["what"], _unflat(m["outputs"][i])

    def variant_outputs(self, i, case):
        for v in self._variants:
            yield _VariantInfo(v["name"], v["hint"]), _unflat(v["outputs"][i])


class _VariantInfo:
    def __init__(self, name, hint):
        self.name, self.hint = name, hint


@functools.lru_cache(maxsize=None)
def load(prefix: str, folder: Path = FOLDER) -> dict[str, Released]:
    """The released exercises of assignment `prefix`, parsed once per process (a judge that
    grades several answers of one assignment reads the file once)."""
    path = folder / f"a{prefix}.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    return {r["name"]: Released(r) for r in data["exercises"]}
