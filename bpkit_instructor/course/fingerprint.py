"""What a grade was computed from, so that a stored grade is never silently stale.

A result record (``autograded/STUDENT/ASSIGNMENT/.bpkit-results.json``) keeps

* the **release fingerprint**: every graded or locked cell of the source notebook (its grade id,
  kind, points and a hash of its source, which holds the ``check()`` calls) and a hash of each
  exercise module (``bpkit_instructor/exercises/aNN.py``) those checks use;
* the **submission hash**: a hash of the content of every file the student submitted (names and
  bytes, never timestamps).

``bpkit autograde`` reuses a stored result only while both are unchanged, and says why it
regrades the others (``describe_change``).
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import re
from pathlib import Path

import nbformat

from bpkit_instructor.course import paths

CHECK_CALL = re.compile(r"""check\(\s*["']([^"']+)["']""")
# not part of what the student handed in: our own files, Jupyter's and Python's caches
IGNORED_PARTS = (".bpkit-", ".ipynb_checkpoints", "__pycache__")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def cell_kind(meta: dict) -> str | None:
    if meta.get("grade") and not meta.get("solution"):
        return "test"  # autograded: asserts or check() calls
    if meta.get("grade"):
        return "manual"  # a manually graded answer
    if meta.get("locked"):
        return "locked"  # read-only: nbgrader restores it, so it can change every grade
    return None


def exercise_module(name: str) -> Path | None:
    """The file of the exercise module that registers check name "NN.what" (not imported)."""
    spec = importlib.util.find_spec(f"bpkit_instructor.exercises.a{name.split('.', 1)[0]}")
    return Path(spec.origin) if spec and spec.origin else None


def release(assignment: str, root=None) -> dict:
    """The release fingerprint of `assignment` from its source notebook."""
    nb = nbformat.read(paths.notebook("solutions", assignment, root), as_version=4)
    cells, checks = {}, []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        kind = cell_kind(meta)
        if kind is None:
            continue
        entry = {"kind": kind, "points": float(meta.get("points", 0) or 0)}
        if kind != "manual":  # a manual cell's source is the model answer, not the grading
            entry["source"] = _sha(cell.source.encode())
        cells[meta.get("grade_id", f"cell-{len(cells)}")] = entry
        checks += CHECK_CALL.findall(cell.source)
    modules = {}
    for name in dict.fromkeys(checks):
        path = exercise_module(name)
        if path is not None and path.name not in modules:
            modules[path.name] = _sha(path.read_bytes())
    body = {"cells": cells, "exercises": modules}
    return {**body, "hash": _sha(json.dumps(body, sort_keys=True).encode())}


def submission(assignment: str, student: str, root=None) -> str:
    """A hash of the submitted files' names and contents (timestamps play no part)."""
    folder = paths.course_root(root) / "submitted" / student / assignment
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if any(part.startswith(IGNORED_PARTS) for part in rel.split("/")):
            continue
        h.update(rel.encode() + b"\0" + _sha(path.read_bytes()).encode() + b"\n")
    return h.hexdigest()[:16]


def graded_from(assignment: str, student: str, root=None) -> dict:
    return {"release": release(assignment, root),
            "submission": submission(assignment, student, root)}


def describe_change(old: dict, new: dict) -> str:
    """'cell test_x points 2→3, exercise module a03.py changed' (old, new: release fingerprints)."""
    changes = []
    old_cells, new_cells = old.get("cells", {}), new.get("cells", {})
    for gid, cell in new_cells.items():
        before = old_cells.get(gid)
        if before is None:
            changes.append(f"cell {gid} added")
        elif before.get("kind") != cell["kind"]:
            changes.append(f"cell {gid} {before.get('kind')}→{cell['kind']}")
        else:
            if before.get("points") != cell["points"]:
                changes.append(f"cell {gid} points {before.get('points'):g}→{cell['points']:g}")
            if before.get("source") != cell.get("source"):
                changes.append(f"cell {gid} source changed")
    changes += [f"cell {gid} removed" for gid in old_cells if gid not in new_cells]
    old_mods, new_mods = old.get("exercises", {}), new.get("exercises", {})
    changes += [f"exercise module {m} changed" for m in sorted(set(old_mods) | set(new_mods))
                if old_mods.get(m) != new_mods.get(m)]
    return ", ".join(changes) or "release changed"


def is_blank(assignment: str, student: str, root=None) -> bool | None:
    """True if every answer cell of the submission is as released (the student wrote nothing);
    None if the submitted notebook cannot be read."""
    submitted = paths.notebook("submitted", assignment, root, student)
    released = paths.notebook("exercises", assignment, root)
    try:
        sub = nbformat.read(submitted, as_version=4)
        rel = nbformat.read(released, as_version=4)
    except Exception:  # noqa: BLE001 - missing or corrupt: not "blank", the error says what
        return None
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in rel.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    given = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in sub.cells
             if c.metadata.get("nbgrader", {}).get("solution")}
    return bool(answers) and all(given.get(gid, src).strip() == src.strip()
                                 for gid, src in answers.items())
