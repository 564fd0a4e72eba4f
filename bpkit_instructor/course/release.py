"""Release: regenerate exercises/ from solutions/ with nbgrader (always with --force), safely.

Each assignment is built into a temporary folder inside the course and swapped into
``exercises/NN-topic`` only when nbgrader succeeded, so a failed release leaves the previous one
in place. Before nbgrader runs, every ``check("NN.name", ...)`` in the source must name a
registered exercise; a test cell without check() (plain asserts) is allowed, and graded by
nbgrader alone.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from datetime import timezone
from pathlib import Path

import nbformat

from bpkit_instructor.course import cells as nbcells
from bpkit_instructor.course import checkcalls, config, paths, preflight
from bpkit_instructor.course.errors import CourseError, known_assignment

# metadata nbgrader or Jupyter rewrite on every generation; everything else must match
VOLATILE_KEYS = ("checksum",)


def lint(assignment: str, root=None) -> list[str]:
    """Check the source notebook and the key before nbgrader sees them (preflight: the key
    imports, its references run, every check() names an exercise of this assignment); returns
    notes for the instructor (plain test cells), raises CourseError for anything else."""
    preflight.check(assignment, root, released=False, untouched=f"exercises/{assignment} is "
                    "unchanged")
    nb = nbcells.read(paths.notebook("solutions", assignment, root), cache=True)
    return [f"{assignment}: test cell {nbcells.grade_id(c)} has no check(): nbgrader grades it "
            "alone (in the student's kernel, no re-judge, no misconception hints)"
            for c in nb.cells if nbcells.is_test(c) and not checkcalls.names(c.source)]


def set_due_dates(assignment: str, root=None) -> None:
    """course.toml's due date of `assignment` into nbgrader's gradebook (its late penalty)."""
    when = config.load(root).due.get(assignment)
    if when is None:
        return
    from nbgrader.api import Gradebook  # nbgrader's API: imported where it is used
    with Gradebook(paths.db_url(root)) as gb:
        gb.update_or_create_assignment(assignment, duedate=when.astimezone(timezone.utc)
                                       .replace(tzinfo=None))


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
        set_due_dates(a, root)
        out.append(paths.notebook("exercises", a, root))
    return out


def normalise(nb) -> dict:
    """A notebook as a comparable dict, without volatile metadata."""
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        cell.pop("id", None)
        for key in VOLATILE_KEYS:
            nbcells.meta(cell).pop(key, None)
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
