"""Autograde one submission with nbgrader, then re-judge it where the student's kernel can't reach.

nbgrader scores a test cell by "did it raise", inside the student's own kernel, where one line of
monkeypatching turns every check into a pass. So after ``nbgrader autograde`` we re-run the judge
(bpkit.grading.judge) in fresh processes on the answers the checks recorded, and a cell keeps its
points only if nbgrader *and* the judge agree. Disagreements, deleted test cells, timeouts and
crashes become named flags; the corrected score goes into nbgrader's gradebook as a manual score.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import nbformat

from bpkit.course import paths
from bpkit.grading.checker import ANSWERS_DIR, run_judge

CHECK_CALL = re.compile(r"""check\(\s*["']([^"']+)["']""")
RESULTS = ".bpkit-results.json"  # dot-file: nbgrader does not copy it into feedback/


def grade_cells(assignment: str, root=None) -> dict:
    """{grade_id: {"points", "checks"}} for the test cells of the source notebook."""
    nb = nbformat.read(paths.notebook("solutions", assignment, root), as_version=4)
    cells = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            names = list(dict.fromkeys(CHECK_CALL.findall(cell.source)))
            cells[meta["grade_id"]] = {"points": float(meta.get("points", 0)), "checks": names}
    return cells


def run_nbgrader(assignment: str, student: str, root=None, timeout: float = 60) -> tuple[int, str]:
    cmd = paths.nbgrader_cmd("autograde", assignment, f"--student={student}", "--force",
                             f"--Execute.timeout={int(timeout)}", "--log-level=WARN")
    proc = subprocess.run(cmd, cwd=paths.course_root(root), env=paths.nbgrader_env(),
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    return proc.returncode, proc.stderr


def name_error(stderr: str, submitted: Path, assignment: str) -> str:
    """A short, named reason why nbgrader could not grade a submission."""
    expected = submitted / f"{assignment}.ipynb"
    if not expected.exists():
        found = sorted(p.name for p in submitted.glob("*.ipynb"))
        return (f"missing-notebook: {expected.name} not found"
                + (f" (found {', '.join(found)})" if found else ""))
    try:
        nbformat.read(expected, as_version=4)
    except Exception as err:  # noqa: BLE001 - any parse failure is reported by name
        return f"corrupt-notebook: {type(err).__name__}: {str(err).splitlines()[0][:200]}"
    if "DeadKernelError" in stderr or "Kernel died" in stderr:
        return "kernel-died: the notebook's kernel exited during grading (exit() or os._exit()?)"
    if "CellTimeoutError" in stderr or "timed out" in stderr.lower():
        return "timeout: a cell ran past the time limit"
    last = [l for l in stderr.strip().splitlines() if l.strip()][-1:] or ["unknown error"]
    return "nbgrader-error: " + last[0][:300]


def rejudge(autograded: Path, checks: list[str]) -> list[dict]:
    """Judge each recorded answer, visible and hidden cases, in fresh processes."""
    verdicts = []
    for name in checks:
        answer = autograded / ANSWERS_DIR / (re.sub(r"[^A-Za-z0-9_.-]", "_", name) + ".pkl")
        if not answer.exists():
            verdicts.append({"exercise": name, "passed": False, "flags": ["no-answer-recorded"],
                             "message": "no answer was recorded (the check did not run)"})
            continue
        visible = run_judge(name, answer, hidden=False)
        verdict = visible if not visible.get("passed") else run_judge(name, answer, hidden=True)
        verdicts.append(verdict)
    return verdicts


def grade(assignment: str, student: str, root=None, timeout: float = 60) -> dict:
    """Grade one student's submission; returns (and stores) the result record."""
    from nbgrader.api import Gradebook, MissingEntry

    root = paths.course_root(root)
    start = time.perf_counter()
    submitted = root / "submitted" / student / assignment
    autograded = root / "autograded" / student / assignment
    shutil.rmtree(submitted / ANSWERS_DIR, ignore_errors=True)  # answers are made at grading time
    result = {"student": student, "assignment": assignment, "score": 0.0, "max_score": 0.0,
              "cells": {}, "flags": [], "misconceptions": [], "error": None}
    cells = grade_cells(assignment, root)
    result["max_score"] = sum(c["points"] for c in cells.values())
    code, stderr = run_nbgrader(assignment, student, root, timeout)
    graded_nb = autograded / f"{assignment}.ipynb"
    if code != 0 or not graded_nb.exists():
        result["error"] = name_error(stderr, submitted, assignment)
        result["flags"].append(result["error"].split(":")[0])
        return _store(result, autograded, start)
    present = {c.metadata.get("nbgrader", {}).get("grade_id")
               for c in nbformat.read(graded_nb, as_version=4).cells}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for grade_id, info in cells.items():
            try:
                g = gb.find_grade(grade_id, assignment, assignment, student)
                nb_score = g.auto_score
            except MissingEntry:
                g, nb_score = None, None
            entry = {"points": info["points"], "nbgrader": nb_score, "checks": []}
            if grade_id not in present:
                entry["final"] = 0.0
                result["flags"].append(f"deleted-cell: {grade_id}")
            else:
                verdicts = rejudge(autograded, info["checks"])
                entry["checks"] = verdicts
                judged = all(v.get("passed") for v in verdicts) and bool(verdicts)
                entry["final"] = info["points"] if (judged and (nb_score or 0) >= info["points"]) else 0.0
                if (nb_score or 0) > 0 and not judged:
                    result["flags"].append(f"judge-disagrees: {grade_id} passed in the notebook "
                                           "but not in the isolated judge (tampering?)")
                for v in verdicts:
                    if v.get("misconception"):
                        result["misconceptions"].append(f"{v['exercise']}: {v['misconception']}")
                    for f in v.get("flags", []):
                        result["flags"].append(f"{v['exercise']}: {f.split(':')[0]}")
            if g is not None:  # a re-grade also clears an override that no longer applies
                g.manual_score = None if entry["final"] == (nb_score or 0) else entry["final"]
            result["cells"][grade_id] = entry
        gb.db.commit()
    result["score"] = sum(c["final"] for c in result["cells"].values())
    return _store(result, autograded, start)


def _store(result, autograded: Path, start) -> dict:
    result["seconds"] = round(time.perf_counter() - start, 3)
    autograded.mkdir(parents=True, exist_ok=True)
    (autograded / RESULTS).write_text(json.dumps(result, indent=1))
    return result


def load_results(assignment: str, root=None) -> list[dict]:
    root = paths.course_root(root)
    out = []
    for path in sorted((root / "autograded").glob(f"*/{assignment}/{RESULTS}")):
        out.append(json.loads(path.read_text()))
    return out
