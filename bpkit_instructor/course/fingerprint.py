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
from pathlib import Path

from bpkit_instructor import spec
from bpkit_instructor.course import cells, checkcalls, paths

# not part of what the student handed in: our own files, Jupyter's and Python's caches
IGNORED_PARTS = (".bpkit-", ".ipynb_checkpoints", "__pycache__")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def exercise_module(name: str) -> Path | None:
    """The file of the exercise module that registers check name "NN.what" (not imported)."""
    try:
        found = importlib.util.find_spec(f"{spec.KEY_PACKAGE}.a{name.split('.', 1)[0]}")
    except (ImportError, ValueError):
        return None
    return Path(found.origin) if found and found.origin else None


def release(assignment: str, root=None) -> dict:
    """The release fingerprint of `assignment` from its source notebook."""
    nb = cells.read(paths.notebook("solutions", assignment, root), cache=True)
    graded, checks = {}, []
    for cell in nb.cells:
        kind = cells.kind(cell)
        if kind is None:
            continue
        entry = {"kind": kind, "points": cells.points(cell)}
        if kind != "manual":  # a manual cell's source is the model answer, not the grading
            entry["source"] = _sha(cell.source.encode())
        graded[cells.grade_id(cell) or f"cell-{len(graded)}"] = entry
        checks += checkcalls.names(cell.source)
    modules = {}
    for name in dict.fromkeys(checks):
        path = exercise_module(name)
        if path is not None and path.name not in modules:
            modules[path.name] = _sha(path.read_bytes())
    body = {"cells": graded, "exercises": modules}
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


def answers_written(assignment: str, submitted_nb, root=None) -> tuple[int, int]:
    """(answer cells the student changed, answer cells of the release) of a parsed submission:
    (0, n) is a blank submission, (k, n) with 0 < k < n an incomplete one."""
    released = cells.read(paths.notebook("exercises", assignment, root), cache=True)
    answers = {cells.grade_id(c): c.source.strip() for c in released.cells if cells.is_answer(c)}
    given = {cells.grade_id(c): c.source.strip() for c in submitted_nb.cells if cells.is_answer(c)}
    written = sum(given.get(gid, src) != src for gid, src in answers.items())
    return written, len(answers)
