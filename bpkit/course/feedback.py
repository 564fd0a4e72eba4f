"""Student feedback that teaches and does not leak: hidden tests and tracebacks are removed.

nbgrader's own ``generate_feedback`` renders the autograded notebook as it ran, hidden test
source and traceback lines included. ``HideHiddenTests`` (configured in nbgrader_config.py, so the
plain nbgrader command is safe too) removes the hidden blocks from test cells and reduces each
error to its message: for our checker that message is the diagnosis in plain words.
"""
from __future__ import annotations

import re

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?",
                    re.DOTALL | re.MULTILINE)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
HIDDEN_NOTE = "# (hidden tests ran here; they are not shown)\n"


def strip_hidden(source: str) -> str:
    return HIDDEN.sub(HIDDEN_NOTE, source)


def _is_grade_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution")


class HideHiddenTests(Preprocessor):
    """Remove hidden tests from test cells and tracebacks from every error output."""

    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if _is_grade_cell(cell):
            cell.source = strip_hidden(cell.source)
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                message = ANSI.sub("", f"{out.get('ename', 'Error')}: {out.get('evalue', '')}")
                if out.get("ename") == "CheckFailed":
                    message = "Not yet right:" + ANSI.sub("", out.get("evalue", ""))
                out["traceback"] = [message]
        return cell, resources


def generate(assignment: str, root=None, students=None) -> None:
    """Run `nbgrader generate_feedback --force` (our preprocessor comes from nbgrader_config.py)."""
    import subprocess

    from bpkit.course import paths
    root = paths.course_root(root)
    cmd = paths.nbgrader_cmd("generate_feedback", assignment, "--force", "--log-level=WARN")
    for s in students or []:
        cmd.append(f"--student={s}")
    proc = subprocess.run(cmd, cwd=root, env=paths.nbgrader_env(), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"nbgrader generate_feedback {assignment} failed:\n{proc.stderr[-3000:]}")
