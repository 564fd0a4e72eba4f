"""One named state for every student and assignment, the same in grades.csv, the report and the
CLI table.

| state | meaning | score |
|---|---|---|
| `graded` | graded; the score stands | counts |
| `needs-hand-grading (N pts)` | N points of manually graded answers wait for a grader | so far |
| `blank` | submitted, every answer cell as released | counts (0) |
| `incomplete` | some answer cells left as released | counts |
| `late` | submitted after the due date (course.toml, or nbgrader's) | counts |
| `corrupt` | the latest submission is not a readable notebook | 0 |
| `missing` | nothing submitted, or no notebook with the expected name | 0 |
| `flagged (reason)` | graded, with something to look at (tampering, deleted cell, limit hit) | counts |
| `error (reason)` | no valid grade: not graded yet, stale, or the grader failed | 0 |

The graded submission is always the latest: a stale grade (an older release or submission) is an
`error`, and an unreadable latest submission is `corrupt`/`missing`; an older score never shows
as current. The maximum counts every point of the notebook, hand-graded ones too.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from bpkit_instructor.course import autograde, batch, config, fingerprint, paths

COUNTING = ("graded", "needs-hand-grading", "blank", "incomplete", "late", "flagged")
# errors of a record that are the student's doing: graded (0 for what did not run), flagged
STUDENT_CAUSED = ("kernel-died", "timeout", "memory-limit", "process-limit", "output-limit",
                  "file-limit", "disk-limit", "cpu-limit", "sandbox-limit")
NAMES = ("graded", "needs-hand-grading", "blank", "incomplete", "late", "corrupt", "missing",
         "flagged", "error")


@dataclass
class State:
    """The state of one student's assignment (see the module docstring)."""
    student: str
    assignment: str
    name: str
    detail: str = ""          # the N pts, or the reason, shown in parentheses
    note: str = ""            # what happened and what to do, in a sentence
    score: float = 0.0        # the score that counts now (0 where none does)
    max_score: float = 0.0    # every point of the notebook, hand-graded ones included
    cells: dict = field(default_factory=dict)   # grade_id -> score that counts now

    @property
    def label(self) -> str:
        return f"{self.name} ({self.detail})" if self.detail else self.name

    @property
    def counts(self) -> bool:
        return self.name in COUNTING


def _kind(flag: str) -> str:
    """'00.square: timeout' -> 'timeout'; 'deleted-cell: test_x' -> 'deleted-cell'."""
    head, _, tail = flag.partition(":")
    return tail.strip().split()[0] if ("." in head and tail.strip()) else head.strip()


def gradebook(assignment: str, root=None) -> dict:
    """{student: {"cells": {grade_id: score}, "pending": {grade_id: points}, "timestamp"}}
    from nbgrader's gradebook (manual scores, ours and the graders', win)."""
    db = paths.db_url(root)
    if db.startswith("sqlite:///") and not Path(db[len("sqlite:///"):]).exists():
        return {}
    from nbgrader.api import Gradebook, MissingEntry  # nbgrader's API: imported where it is used
    manual = autograde.manual_cells(assignment, root) \
        if paths.notebook("solutions", assignment, root).exists() else {}
    out = {}
    with Gradebook(db) as gb:
        try:
            found = gb.find_assignment(assignment)
        except MissingEntry:
            return {}
        for sub in found.submissions:
            entry = out.setdefault(sub.student.id, {"cells": {}, "pending": {},
                                                    "timestamp": sub.timestamp})
            for nb in sub.notebooks:
                for g in nb.grades:
                    entry["cells"][g.name] = float(g.score or 0.0)
                    if g.name in manual and g.manual_score is None and g.needs_manual_grade:
                        entry["pending"][g.name] = float(g.max_score or manual[g.name])
    return out


def _submitted_at(folder: Path, book_entry: dict | None) -> datetime | None:
    """When the submission was handed in (nbgrader collect's timestamp.txt, else the
    gradebook's), as an aware UTC datetime; None if unknown."""
    stamp = folder / "timestamp.txt"
    when = None
    if stamp.exists():
        from nbgrader.utils import parse_utc  # nbgrader's own parser of its timestamps
        try:
            when = parse_utc(stamp.read_text().strip())
        except (ValueError, OverflowError):
            when = None
    elif book_entry and book_entry.get("timestamp"):
        when = book_entry["timestamp"]
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when


def _late_by(assignment: str, folder: Path, book_entry, due) -> float:
    when = _submitted_at(folder, book_entry)
    return (when - due).total_seconds() if (when and due) else 0.0


def _human(seconds: float) -> str:
    return (f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"
            if seconds < 7200 else f"{seconds / 3600:.1f} h")


def assess(assignment: str, root=None, students=None) -> dict[str, State]:
    """{student: State} for every student with a submission or a grade of `assignment` (and
    `students`, e.g. the gradebook's roster)."""
    root = paths.course_root(root)
    has_source = paths.notebook("solutions", assignment, root).exists()
    tests = autograde.grade_cells(assignment, root) if has_source else {}
    manual = autograde.manual_cells(assignment, root) if has_source else {}
    records = {r["student"]: r for r in autograde.load_results(assignment, root)}
    max_score = sum(c["points"] for c in tests.values()) + sum(manual.values())
    if not max_score and records:
        max_score = max(r.get("max_score", 0.0) for r in records.values())
    book = gradebook(assignment, root)
    due = config.due(assignment, root)
    release = fingerprint.release(assignment, root) if has_source else None
    everyone = sorted(set(batch.students(assignment, root)) | set(records) | set(students or ()))
    return {s: _state(assignment, s, root, records.get(s), book.get(s), release, due, max_score,
                      list(tests) + list(manual)) for s in everyone}


def _state(assignment, student, root, record, book_entry, release, due, max_score, gids) -> State:
    folder = root / "submitted" / student / assignment
    base = dict(student=student, assignment=assignment, max_score=max_score)
    if not folder.is_dir():
        return State(name="missing", note="nothing submitted", **base)
    if record is None:
        return State(name="error", detail="not graded",
                     note=f"not graded yet: run `bpkit autograde {assignment}`", **base)
    earlier = ""
    if book_entry and sum(book_entry["cells"].values()):
        earlier = f"; the earlier grade ({sum(book_entry['cells'].values()):g}) does not count"
    if release is not None:
        why = batch.why_regrade(assignment, student, root, release)
        if why is not None:
            return State(name="error", detail="stale",
                         note=f"graded from an older {why.split(' ')[0]} ({why}): run `bpkit "
                              f"autograde {assignment}`{earlier}", **base)
    error = record.get("error") or ""
    if error.startswith("missing-notebook"):
        return State(name="missing", note=error, **base)
    if error.startswith("corrupt-notebook"):
        return State(name="corrupt", note=f"{error}: the latest submission cannot be read "
                     "(ask the student to submit again)", **base)
    if error and not error.startswith(STUDENT_CAUSED):
        return State(name="error", detail=error.split(":")[0],
                     note=f"{error}{earlier}", **base)
    cells = {gid: (book_entry or {}).get("cells", {}).get(gid, 0.0) for gid in gids}
    if error:  # the student's notebook stopped the kernel: what did not run scores 0
        cells = {gid: record.get("cells", {}).get(gid, {}).get("final", 0.0) for gid in gids}
    score = sum(cells.values())
    late = _late_by(assignment, folder, book_entry, due)
    facts = []
    if late > 0:
        facts.append(f"submitted {_human(late)} after the due date")
    answered = record.get("answered") or [None, None]
    if answered[0] is not None and 0 < answered[0] < answered[1]:
        facts.append(f"{answered[1] - answered[0]} of {answered[1]} answer cells left as released")
    flags = list(dict.fromkeys([error] if error else record.get("flags", [])))
    common = dict(score=score, cells=cells, **base)
    if flags:
        return State(name="flagged", detail=_kind(flags[0]),
                     note="; ".join(flags + facts), **common)
    pending = (book_entry or {}).get("pending", {})
    if pending:
        n = sum(pending.values())
        return State(name="needs-hand-grading", detail=f"{n:g} pts",
                     note="; ".join([f"grade {', '.join(pending)} by hand (formgrader, or "
                                     f"`bpkit hand-grade {assignment} {student} CELL POINTS`)"]
                                    + facts), **common)
    if record.get("blank"):
        return State(name="blank", note="; ".join(["every answer cell as released"] + facts),
                     **common)
    if late > 0:
        return State(name="late", note="; ".join(facts), **common)
    if facts:
        return State(name="incomplete", note="; ".join(facts), **common)
    return State(name="graded", **common)
