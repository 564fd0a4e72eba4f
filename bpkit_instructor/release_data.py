"""The release writer: the key's exercises -> the released data a student's check() reads.

It runs the references, the catalogued variants and the automatic mutants on the visible cases
and writes ``bpkit/grading/released/aNN.json.gz`` in the format of ``bpkit.grading.contract``.

What is released must not hinge on the last bits of one CPU's arithmetic:

* a mutant is left out only when it is *clearly* the reference (within 1e-3 of the exercise's
  tolerance) or clearly a copy of a variant or an earlier mutant; anything nearer the line than
  that is kept, so another CPU's rounding cannot move a mutant in or out;
* a mutant whose output is not finite or overflows (|x| > 1e12) is left out: its digits are
  rounding noise, and it matches nothing anyway;
* a file is rewritten only when the key's fingerprint changed or a value moved beyond float
  rounding (``contract.same_data``): a release made on one machine stays put on another.
"""
from __future__ import annotations

import ast
import copy
import functools
import hashlib
import importlib
import inspect
import json
import sys
from pathlib import Path

import numpy as np

from bpkit import data
from bpkit.grading import compare, contract, diagnose, scores
from bpkit_instructor import mutants, spec

MAX_MUTANTS = 24
MAX_PROBE_CHARS = 32_000  # a released probe's case, encoded (the course's data stay under 1 MB)
# a variant's output on a visible case, in numbers that differ from the reference's: beyond this
# (a trained network: the capstone's variants are ~50,000 weights each) it is not released. Such
# an output could only ever match a paste of the variant's own code, not a student's training
# with its own rounding; the check still fails the answer, and the key names it at grading.
MAX_VARIANT_NUMBERS = 20_000
_HUGE = 1e12
_CLEARLY = 1e-3  # a fraction of the exercise's tolerance: "clearly the same"


# modules of bpkit the release runs a part of: the probes, the flattening, the encoding, and
# what the keys draw their cases from (the scorers' data, the shipped data set)
STUDENT_PART = (diagnose, compare, contract, scores, data)


def fingerprint(prefix: str) -> str:
    """A hash of the code the released data of `prefix` are made from: the key module, the spec,
    the mutant generator and this writer, whole; of the student part (``STUDENT_PART``), only
    the definitions those modules use (the probes, the flattening, the encoding, the scorers'
    data) and whatever definitions of the same module these reach, and the data set files if
    the key reads one; and the contract's format. Code, not prose:
    comments and docstrings play no part, nor does a line number, so editing them (or a
    diagnosis message the release never runs) leaves every release current."""
    h = hashlib.sha256(f"format {contract.FORMAT}\n".encode())
    module = importlib.import_module(f"{spec.KEY_PACKAGE}.a{prefix}")
    uses = set()
    for mod in (module, spec, mutants, sys.modules[__name__]):
        _, text, refs = _parsed(_source(mod))
        h.update(text.encode())
        uses |= refs
    for mod in STUDENT_PART:
        short = mod.__name__.rsplit(".", 1)[-1]
        roots = frozenset(name for base, name in uses if base in (short, mod.__name__))
        h.update(_reached(_source(mod), roots).encode())
        if mod is data and roots:            # and the data set files it reads
            for f in sorted((Path(inspect.getfile(data)).parent / "datasets").glob("*.gz")):
                h.update(f.read_bytes())
    return h.hexdigest()[:20]


def _source(mod) -> str:
    return Path(inspect.getfile(mod)).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=64)
def _parsed(source: str) -> tuple[ast.Module, str, frozenset]:
    """A module's syntax tree without its docstrings (comments are never in it), that tree as
    canonical text, and what it uses of other modules: (``mod``, name) for ``mod.name`` and
    (``package.mod``, name) for ``from package.mod import name``."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) \
                and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]
    refs = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            refs.add((node.value.id, node.attr))
        elif isinstance(node, ast.ImportFrom) and node.module:
            refs |= {(node.module, a.name) for a in node.names}
    return tree, _canonical(tree), frozenset(refs)


def _canonical(node) -> str:
    """A tree as text, the same on every Python the course supports: node types and fields, no
    positions, and no empty or absent field (newer Pythons add some, e.g. type_params=[])."""
    if isinstance(node, ast.AST):
        fields = ((f, getattr(node, f, None)) for f in node._fields)
        return type(node).__name__ + "(" + ",".join(
            f"{f}={_canonical(v)}" for f, v in fields if v is not None and v != []) + ")"
    if isinstance(node, list):
        return "[" + ",".join(_canonical(v) for v in node) + "]"
    return repr(node)


@functools.lru_cache(maxsize=64)
def _reached(source: str, roots: frozenset) -> str:
    """The module-level definitions (functions, classes, assignments) of `roots`, and those
    their code names, transitively, as canonical text. A root the module does not define is an
    error: the fingerprint would miss what the release runs."""
    tree = _parsed(source)[0]
    defines: dict[str, list] = {}
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names = [stmt.name]
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        else:
            continue
        for name in names:
            defines.setdefault(name, []).append(stmt)
    missing = sorted(roots - set(defines))
    if missing:
        raise ValueError(f"fingerprint: {', '.join(missing)} is not defined at the top level of its module")
    todo, seen, reached = sorted(roots), set(), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for stmt in defines.get(name, ()):
            reached.add(id(stmt))
            todo += [n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and n.id in defines]
    return "\n".join(_canonical(stmt) for stmt in tree.body if id(stmt) in reached)


def _flat(value):
    return compare.flatten(value) if value is not None else None


def _score_path(fn):
    if fn is None:
        return None
    mod = getattr(fn, "__module__", "") or ""
    if not mod.startswith("bpkit.") or "<" in fn.__qualname__:
        raise ValueError(f"score function {fn!r} must be a module-level function of the student "
                         "part (bpkit/grading/scores.py): it ships to students, the key does not")
    return f"{mod}:{fn.__qualname__}"


def _clearly_same(a: dict | None, b: dict | None, rtol: float, atol: float) -> bool:
    return a is not None and b is not None and compare.same(a, b, rtol * _CLEARLY, atol * _CLEARLY)


def _compact(ex) -> bool:
    """Wrong answers' outputs may be stored in float32 (they are only matched, at the tolerance)."""
    return ex.rtol >= contract.COMPACT_RTOL


def _released_variant_output(out, expected, compact):
    encoded = contract.encode_flat(out, expected, compact)
    if encoded is not None and sum(np.size(out[k]) for k in encoded["arrays"]) > MAX_VARIANT_NUMBERS:
        return None
    return encoded


def _tame(flat: dict) -> bool:
    return all(np.all(np.isfinite(v)) and np.all(np.abs(v) <= _HUGE) for v in flat.values())


def build(ex) -> dict:
    """The released record of one exercise (runs references, variants and mutants)."""
    cases = ex.cases(False, None)
    for i, case in enumerate(cases):
        for key, value in case.items():
            try:
                contract.encode(value)
            except TypeError as err:
                raise TypeError(f"{ex.name}, visible case {i + 1}, input {key!r}: {err}") from None
    expected = [None if ex.reference is None else _flat(ex.reference(**copy.deepcopy(c)))
                for c in cases]
    record = {"name": ex.name, "what": ex.what, "rtol": ex.rtol, "atol": ex.atol,
              "timeout": ex.timeout, "protect": list(ex.protect), "score": _score_path(ex.score),
              "hidden": ex.hidden is not None, "cases": [contract.encode(c) for c in cases],
              "variants": [], "mutants": [], "probes": [], "mutates": []}
    if ex.outputs:
        record["outputs"] = list(ex.outputs)
    if ex.value:  # a value answer (multiple choice, a number): its form only, never the answer
        record["value"] = True
        record["choices"] = None if ex.choices is None else list(ex.choices)
        record["expected"] = [contract.encode_flat({k: np.zeros_like(v) for k, v in e.items()})
                              for e in expected]
        return record  # nor the wrong choices: their hints would give the right one away
    record["expected"] = [contract.encode_flat(e) for e in expected]
    variant_outs = []
    for v in ex.variants:
        outs = []
        for case in cases:
            try:
                outs.append(_flat(v.fn(**copy.deepcopy(case))))
            except Exception:  # noqa: BLE001 - a variant that cannot run here cannot match here
                outs.append(None)
        variant_outs.append(outs)
        record["variants"].append({"name": v.name, "hint": v.hint, "outputs": [
            _released_variant_output(o, e, _compact(ex)) for o, e in zip(outs, expected)]})
    record["mutants"] = _mutants(ex, cases, expected, variant_outs)
    record["mutates"] = [ex.mutates(i, case) for i, case in enumerate(cases)]
    record["probes"] = [[r for r in (_probe_record(ex, i, j, kind, probe, exp)
                                      for j, (kind, probe, exp) in enumerate(ex.probes(i, case)))
                          if r is not None]
                         for i, case in enumerate(cases)]
    return record


def _probe_record(ex, i, j, kind, probe, exp) -> dict:
    """A probe as data; a structural probe (diagnose.STRUCTURAL) also keeps the catalogued
    variants' outputs on it, so the student's judge can tell a variant the probes contradict."""
    out = {"kind": kind, "case": contract.encode(probe), "expected": contract.encode_flat(exp)}
    if len(json.dumps(out["case"])) > MAX_PROBE_CHARS:
        return None      # a probe as big as a data set is not released; the key still runs it
    if kind.startswith(diagnose.STRUCTURAL):
        out["variants"] = [contract.encode_flat(flat, exp)
                           for _, flat in ex.probe_variant_outputs(i, j, probe)]
    return out


def _mutants(ex, cases, expected, variant_outs) -> list[dict]:
    """The automatic mutants worth releasing (see the module docstring), at most MAX_MUTANTS."""
    if ex.score is not None or ex.reference is None:
        return []
    table: dict[str, list] = {}
    for i, case in enumerate(cases):
        for what, flat in ex.mutant_outputs(i, case):
            outs = table.setdefault(what, [None] * len(cases))
            if outs[i] is None and _tame(flat):
                outs[i] = flat
    kept: list[tuple[str, list]] = []
    seen = list(variant_outs)
    for what, outs in table.items():
        if all(o is None for o in outs):
            continue
        if any(all(_clearly_same(o, s, ex.rtol, ex.atol) or (o is None and s is None)
                   for o, s in zip(outs, other)) for other in seen):
            continue
        seen.append(outs)
        kept.append((what, outs))
    return [{"what": what, "outputs": [contract.encode_flat(o, e, _compact(ex)) for o, e in zip(outs, expected)]}
            for what, outs in kept[:MAX_MUTANTS]]


def assemble(prefix: str) -> contract.ReleasedAssignment:
    exercises = [build(ex) for _, ex in sorted(spec.key_module(prefix).items())]
    return contract.ReleasedAssignment(prefix=prefix, fingerprint=fingerprint(prefix),
                                       exercises=exercises)


def _equivalent(old: contract.ReleasedAssignment | None, new: contract.ReleasedAssignment) -> bool:
    return old is not None and old.fingerprint == new.fingerprint and \
        contract.same_data(old.exercises, new.exercises)


def write(prefix: str, folder: Path = contract.FOLDER) -> Path:
    """Write the released data of `prefix`; an equivalent file (same fingerprint, values equal
    up to float rounding) is left as it is."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = contract.path_of(prefix, folder)
    new = assemble(prefix)
    try:
        old = contract.read(prefix, folder)
    except contract.ReleaseError:
        old = None
    if not _equivalent(old, new):
        path.write_bytes(new.to_bytes())
    contract.load.cache_clear()
    return path


def stale(prefixes, folder: Path = contract.FOLDER) -> list[str]:
    """Prefixes whose released data were made from another key (fingerprint; cheap)."""
    out = []
    for prefix in prefixes:
        try:
            found = contract.read(prefix, folder)
        except contract.ReleaseError:
            found = None
        if found is None or found.fingerprint != fingerprint(prefix):
            out.append(prefix)
    return out


def out_of_sync(prefixes, folder: Path = contract.FOLDER) -> list[str]:
    """Prefixes whose released data differ from what the key gives now (fingerprint, or a
    value beyond float rounding: the thorough check, it re-runs the key)."""
    out = []
    for prefix in prefixes:
        try:
            found = contract.read(prefix, folder)
        except contract.ReleaseError:
            found = None
        if not _equivalent(found, assemble(prefix)):
            out.append(prefix)
    return out
