"""grades.csv that says what each number means: nbgrader's export plus a status per row.

    bpkit export [--assignment A ...] [--to grades.csv]

The scores are nbgrader's (``nbgrader export``: the gradebook, bpkit's re-judge corrections
included); bpkit adds two columns, ``status`` and ``note``, from its result records and the
submitted/ folder, so that a corrupt notebook, a blank one and an assignment never handed in no
longer look alike (all three score 0).
"""
from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from bpkit_instructor.course import batch, fingerprint, paths
from bpkit_instructor.course.errors import CourseError, known_assignment

# status -> meaning (the README's instructor section repeats this table)
STATUSES = {
    "graded": "graded; the score stands",
    "blank": "submitted, but every answer cell is as released (nothing written)",
    "corrupt": "the notebook could not be read (not valid notebook JSON); scored 0",
    "missing-notebook": "the submission folder has no notebook with the expected name; scored 0",
    "not-submitted": "no submission of this assignment from this student; scored 0",
    "flagged": "graded, with a flag to look at (tampering, deleted test cell, timeout, a kernel "
               "that died, ...): see the note and the class report",
    "ungraded": "submitted but not graded yet: run `bpkit autograde`",
    "stale": "graded from an older release or an older submission: run `bpkit autograde`",
}


def status(assignment: str, student: str, root=None, release: dict | None = None) -> tuple:
    """(status, note) of one student's submission of `assignment` (see STATUSES)."""
    root = paths.course_root(root)
    if not (root / "submitted" / student / assignment).is_dir():
        return "not-submitted", ""
    record = batch.stored_result(assignment, student, root)
    if record is None:
        return "ungraded", f"run `bpkit autograde {assignment}`"
    why = batch.why_regrade(assignment, student, root, release)
    if why is not None:
        return "stale", f"{why}: run `bpkit autograde {assignment}`"
    return record_status(record)


def record_status(record: dict) -> tuple:
    """(status, note) from a result record alone."""
    error = record.get("error") or ""
    if error.startswith("missing-notebook"):
        return "missing-notebook", error
    if error.startswith("corrupt-notebook"):
        return "corrupt", error
    if error or record.get("flags"):
        return "flagged", "; ".join(dict.fromkeys([error] if error else record["flags"]))
    if record.get("blank"):
        return "blank", ""
    return "graded", ""


def released(root=None) -> list[str]:
    """Assignments in the gradebook."""
    from nbgrader.api import Gradebook
    db = paths.db_url(root)
    if db.startswith("sqlite:///") and not Path(db[len("sqlite:///"):]).exists():
        return []
    with Gradebook(db) as gb:
        return sorted(a.name for a in gb.assignments)


def export(root=None, to="grades.csv", assignments=None) -> tuple[Path, dict]:
    """Write grades.csv (nbgrader's columns + status + note); returns (path, {status: count})."""
    import subprocess
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
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "nbgrader.csv"
        proc = subprocess.run(paths.nbgrader_cmd("export", f"--to={raw}", "--log-level=WARN"),
                              cwd=root, env=paths.nbgrader_env(), capture_output=True, text=True)
        if proc.returncode != 0 or not raw.exists():
            last = [line for line in proc.stderr.splitlines() if line.strip()][-1:] or ["?"]
            raise CourseError(f"nbgrader export failed: {last[0][:300]}")
        with open(raw, newline="") as f:
            reader = csv.DictReader(f)
            columns, rows = list(reader.fieldnames or []), list(reader)
    rows = [r for r in rows if r["assignment"] in chosen]
    index = {(r["assignment"], r["student_id"]): r for r in rows}
    for a in chosen:  # students with a submission or a record that nbgrader never registered
        max_score = next((r["max_score"] for r in rows if r["assignment"] == a), "")
        for s in batch.students(a, root):
            if (a, s) not in index:
                record = batch.stored_result(a, s, root) or {}
                index[(a, s)] = dict.fromkeys(columns, "") | {
                    "assignment": a, "student_id": s, "raw_score": "0.0", "score": "0.0",
                    "late_submission_penalty": "0.0",
                    "max_score": max_score or str(record.get("max_score", ""))}
    counts: dict = {}
    fingerprints = {a: fingerprint.release(a, root) for a in chosen
                    if paths.notebook("solutions", a, root).exists()}
    out_rows = []
    for (a, s), row in sorted(index.items()):
        row["status"], row["note"] = status(a, s, root, fingerprints.get(a))
        counts[row["status"]] = counts.get(row["status"], 0) + 1
        out_rows.append(row)
    out = root / to if not Path(to).is_absolute() else Path(to)
    with open(out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns + ["status", "note"])
        writer.writeheader()
        writer.writerows(out_rows)
    return out, counts

