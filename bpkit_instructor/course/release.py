"""Release: regenerate exercises/ from solutions/ with nbgrader (always with --force), safely.

Each assignment is built into a temporary folder inside the course and swapped into
``exercises/NN-topic`` only when nbgrader succeeded, so a failed release leaves the previous one
in place. Before nbgrader runs, every ``check("NN.name", ...)`` in the source must name a
registered exercise; a test cell without check() (plain asserts) is allowed, and graded by
nbgrader alone.
"""
from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

import nbformat

from bpkit_instructor.course import fingerprint, paths
from bpkit_instructor.course.errors import CourseError, known_assignment

# metadata nbgrader or Jupyter rewrite on every generation; everything else must match
VOLATILE_KEYS = ("checksum",)


def lint(assignment: str, root=None) -> list[str]:
    """Check the source notebook before nbgrader sees it; returns notes for the instructor
    (plain test cells) and raises CourseError for a check() that names no exercise."""
    from bpkit_instructor import spec
    source = paths.notebook("solutions", assignment, root)
    nb = nbformat.read(source, as_version=4)
    known, unknown, notes = None, [], []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        where = meta.get("grade_id") or f"cell {i + 1}"
        names = fingerprint.CHECK_CALL.findall(cell.source)
        for name in dict.fromkeys(names):
            try:
                spec.get(name)
            except KeyError:
                if known is None:
                    with warnings.catch_warnings():  # module-level numerics are not our news
                        warnings.simplefilter("ignore")
                        known = sorted(spec.all_exercises())
                near = difflib.get_close_matches(name, known, n=3, cutoff=0.6) or \
                    [k for k in known if k.split(".")[0] == name.split(".")[0]][:6]
                unknown.append(f"{where}: check({name!r}) names no exercise"
                               + (f" (near: {', '.join(near)})" if near else ""))
        if meta.get("grade") and not meta.get("solution") and not names:
            notes.append(f"{assignment}: test cell {where} has no check(): nbgrader grades it "
                         "alone (in the student's kernel, no re-judge, no misconception hints)")
    if unknown:
        raise CourseError(f"release {assignment}: {'; '.join(unknown)}. Exercises are "
                          "registered in bpkit_instructor/exercises/aNN.py; fix the name in "
                          f"{source.relative_to(paths.course_root(root))}")
    return notes


def nbgrader_cause(assignment: str, stderr: str) -> str:
    """nbgrader's reason for failing, in one line, with what the instructor can do."""
    if "Cannot add or remove cells" in stderr:
        return (f"release {assignment}: nbgrader cannot add or remove graded or locked cells "
                "while the gradebook holds submissions of it. Either keep the cells as they "
                "were (editing their source or points is fine), or delete its grades with "
                f"`nbgrader db assignment remove {assignment} --force`, release again and "
                f"`bpkit autograde {assignment}` (submitted/ is kept). exercises/{assignment} "
                "is unchanged")
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    causes = [line for line in lines if re.search(r"\w+(Error|Exception): ", line)]
    cause = (causes or lines or ["no message"])[-1]
    return (f"release {assignment}: nbgrader generate_assignment failed: {cause[:400]} "
            f"(exercises/{assignment} is unchanged)")


def generate(root=None, assignments=None, quiet=True, say=None) -> list[Path]:
    """Run `nbgrader generate_assignment --force` for each assignment into a temporary folder,
    then swap it into exercises/; return the notebooks. `say(text)` receives notes."""
    root = paths.course_root(root)
    out = []
    for a in assignments or paths.assignments(root):
        known_assignment(a, root)
        for note in lint(a, root):
            if say is not None:
                say(note)
        staging = Path(tempfile.mkdtemp(prefix=".bpkit-release-", dir=root))
        try:
            built = staging / "exercises"
            cmd = paths.nbgrader_cmd("generate_assignment", a, "--force", "--create",
                                     f"--CourseDirectory.release_directory={built}")
            if quiet:
                cmd.append("--log-level=WARN")
            proc = subprocess.run(cmd, cwd=root, env=paths.nbgrader_env(), capture_output=True,
                                  text=True)
            if proc.returncode != 0 or not (built / a / f"{a}.ipynb").exists():
                raise CourseError(nbgrader_cause(a, proc.stderr))
            target = root / "exercises" / a
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                os.replace(target, staging / "previous")
            os.replace(built / a, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        out.append(paths.notebook("exercises", a, root))
    return out


def normalise(nb) -> dict:
    """A notebook as a comparable dict, without volatile metadata."""
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        cell.pop("id", None)
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta:
            for key in VOLATILE_KEYS:
                meta.pop(key, None)
    return {"cells": [dict(c) for c in nb.cells], "nbformat": nb.nbformat}


def out_of_sync(root=None) -> list[str]:
    """Assignments whose committed exercise differs from a fresh generation (empty = in sync)."""
    root = paths.course_root(root)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        shutil.copytree(root / "solutions", tmp / "solutions")
        shutil.copy(root / "nbgrader_config.py", tmp / "nbgrader_config.py")
        generate(tmp)
        stale = []
        for a in paths.assignments(root):
            fresh = paths.notebook("exercises", a, tmp)
            committed = paths.notebook("exercises", a, root)
            if not committed.exists() or (
                    normalise(nbformat.read(committed, as_version=4))
                    != normalise(nbformat.read(fresh, as_version=4))):
                stale.append(a)
        return stale
