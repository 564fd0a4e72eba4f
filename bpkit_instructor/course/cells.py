"""nbgrader notebooks as the course commands read them: a notebook parsed once, and the nbgrader
metadata of its cells (the one place that knows where nbgrader keeps it).

    nb = cells.read(path)                  # CourseError naming the file if it is not a notebook
    for cell in nb.cells:
        if cells.is_test(cell): cells.grade_id(cell), cells.points(cell)
"""
from __future__ import annotations

from pathlib import Path

import nbformat

from bpkit_instructor.course.errors import CourseError

_PARSED: dict = {}  # (path, mtime_ns, size) -> notebook: each file parsed once per process


def meta(cell) -> dict:
    """The cell's nbgrader metadata ({} for a cell nbgrader does not know)."""
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def grade_id(cell) -> str | None:
    return meta(cell).get("grade_id")


def points(cell) -> float:
    return float(meta(cell).get("points", 0) or 0)


def is_answer(cell) -> bool:
    """A cell the student writes in (autograded answer or manually graded answer)."""
    return bool(meta(cell).get("solution"))


def is_test(cell) -> bool:
    """An autograded test cell (asserts or check() calls)."""
    m = meta(cell)
    return bool(m.get("grade")) and not m.get("solution")


def is_manual(cell) -> bool:
    """An answer graded by hand (nbgrader's "Manually graded answer"; a task too)."""
    m = meta(cell)
    return bool(m.get("grade")) and bool(m.get("solution")) or bool(m.get("task"))


def is_graded(cell) -> bool:
    """A cell with points: a test cell or a manually graded answer."""
    return bool(meta(cell).get("grade")) or bool(meta(cell).get("task"))


def kind(cell) -> str | None:
    """"test", "manual", "locked" (read-only, restored by nbgrader) or None."""
    if is_test(cell):
        return "test"
    if is_manual(cell):
        return "manual"
    if meta(cell).get("locked"):
        return "locked"
    return None


def read(path, *, cache: bool = False, what: str | None = None):
    """The notebook at `path`. A file that is not a notebook is a CourseError naming it;
    `cache=True` (the instructor's own notebooks) parses each version of a file once."""
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise CourseError(f"{what or path}: no such notebook ({path})") from None
    key = (str(path), st.st_mtime_ns, st.st_size)
    if cache and key in _PARSED:
        return _PARSED[key]
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as err:  # noqa: BLE001 - any parse failure: the file is not a notebook
        first = (str(err).strip().splitlines() or [type(err).__name__])[0][:200]
        raise CourseError(f"{path}: not a readable notebook ({type(err).__name__}: {first}); "
                          "fix the JSON (or restore the file from git) and run the command "
                          "again") from None
    if cache:
        _PARSED[key] = nb
    return nb
