"""Release: regenerate exercises/ from solutions/ with nbgrader (always with --force)."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import nbformat

from bpkit.course import paths

# metadata nbgrader or Jupyter rewrite on every generation; everything else must match
VOLATILE_KEYS = ("checksum",)


def generate(root=None, assignments=None, quiet=True) -> list[Path]:
    """Run `nbgrader generate_assignment --force` for each assignment; return the notebooks."""
    root = paths.course_root(root)
    out = []
    for a in assignments or paths.assignments(root):
        cmd = paths.nbgrader_cmd("generate_assignment", a, "--force", "--create")
        if quiet:
            cmd.append("--log-level=WARN")
        proc = subprocess.run(cmd, cwd=root, env=paths.nbgrader_env(), capture_output=True,
                              text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"nbgrader generate_assignment {a} failed:\n{proc.stderr[-3000:]}")
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
