"""grades.csv that says what each number means: nbgrader's export plus a state per row.

    bpkit export [--assignment A ...] [--to grades.csv]

The columns are nbgrader's (``nbgrader export``) plus ``status`` and ``note``: the state of the
row (bpkit_instructor.course.states: graded, needs-hand-grading (N pts), blank, incomplete, late,
corrupt, missing, flagged (reason), error (reason)) and what happened. ``raw_score`` and
``score`` are the score that counts now (0 where none does: an older grade never shows as
current), ``max_score`` every point of the notebook, hand-graded ones included.
"""
from __future__ import annotations

import csv
import subprocess
import tempfile
from pathlib import Path

from bpkit_instructor.course import batch, paths, states
from bpkit_instructor.course.errors import CourseError, known_assignment

# state -> meaning (the README's instructor section repeats this table)
STATUSES = {
    "graded": "graded; the score stands",
    "needs-hand-grading (N pts)": "N points of manually graded answers wait for a grader "
                                  "(formgrader, or `bpkit hand-grade`)",
    "blank": "submitted, but every answer cell is as released (nothing written)",
    "incomplete": "some answer cells are as released; the score stands",
    "late": "submitted after the due date (course.toml); nbgrader's late penalty applies",
    "corrupt": "the latest submission is not a readable notebook; scored 0",
    "missing": "nothing submitted, or no notebook with the expected name; scored 0",
    "flagged (reason)": "graded, with something to look at (tampering, a deleted test cell, "
                        "a timeout, a kernel that died, a limit): see the note and the report",
    "error (reason)": "no valid grade yet (not graded, stale, or the grader failed): run "
                      "`bpkit autograde`; scored 0 meanwhile",
}


def released(root=None) -> list[str]:
    """Assignments in the gradebook."""
    from nbgrader.api import Gradebook  # nbgrader's API: imported where it is used
    db = paths.db_url(root)
    if db.startswith("sqlite:///") and not Path(db[len("sqlite:///"):]).exists():
        return []
    with Gradebook(db) as gb:
        return sorted(a.name for a in gb.assignments)


def _nbgrader_rows(root: Path) -> tuple[list[str], list[dict]]:
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "nbgrader.csv"
        proc = subprocess.run(paths.nbgrader_cmd("export", f"--to={raw}", "--log-level=WARN"),
                              cwd=root, env=paths.nbgrader_env(), capture_output=True, text=True)
        if proc.returncode != 0 or not raw.exists():
            last = [line for line in proc.stderr.splitlines() if line.strip()][-1:] or ["?"]
            raise CourseError(f"nbgrader export failed: {last[0][:300]}")
        with open(raw, newline="") as f:
            reader = csv.DictReader(f)
            return list(reader.fieldnames or []), list(reader)


def export(root=None, to="grades.csv", assignments=None) -> tuple[Path, dict]:
    """Write grades.csv (nbgrader's columns + status + note); returns (path, {status: count})."""
    root = paths.course_root(root)
    in_gradebook = released(root)
    if assignments:
        for a in assignments:
            known_assignment(a, root)
            if a not in in_gradebook:
                raise CourseError(f"assignment {a} is not released yet (not in the gradebook): "
                                  f"run `bpkit release {a}` and `bpkit autograde {a}` first")
    chosen = list(assignments or in_gradebook)
    if not chosen:
        raise CourseError("the gradebook holds no assignment yet: run `bpkit release` and "
                          "`bpkit autograde ASSIGNMENT` first")
    for a in chosen:
        differences = batch.gradebook_mismatch(a, root) \
            if paths.notebook("solutions", a, root).exists() else []
        if differences:
            raise CourseError(f"the gradebook's release of {a} differs from solutions/ "
                              f"({'; '.join(differences)}): run `bpkit release {a}` and "
                              f"`bpkit autograde {a}` before exporting")
    columns, rows = _nbgrader_rows(root)
    index = {(r["assignment"], r["student_id"]): r for r in rows if r["assignment"] in chosen}
    counts: dict = {}
    out_rows = []
    # every student of the course: in the gradebook, or with a submission of any assignment
    roster = {s for (_, s) in index} | {s for a in chosen for s in batch.students(a, root)}
    for a in chosen:
        for s, state in states.assess(a, root, roster).items():
            row = index.get((a, s)) or dict.fromkeys(columns, "") | {
                "assignment": a, "student_id": s, "late_submission_penalty": "0.0"}
            penalty = float(row.get("late_submission_penalty") or 0) if state.counts else 0.0
            row["raw_score"] = f"{state.score:.1f}"
            row["score"] = f"{max(state.score - penalty, 0.0):.1f}"
            row["late_submission_penalty"] = f"{penalty:.1f}"
            row["max_score"] = f"{state.max_score:.1f}"
            row["status"], row["note"] = state.label, state.note
            counts[state.name] = counts.get(state.name, 0) + 1
            out_rows.append(row)
    out_rows.sort(key=lambda r: (r["assignment"], r["student_id"]))
    out = root / to if not Path(to).is_absolute() else Path(to)
    with open(out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns + ["status", "note"])
        writer.writeheader()
        writer.writerows(out_rows)
    return out, counts
