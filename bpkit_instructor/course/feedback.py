"""Student feedback that teaches and does not leak: hidden tests and tracebacks are removed.

nbgrader's own ``generate_feedback`` renders the autograded notebook as it ran, hidden test
source and traceback lines included. ``HideHiddenTests`` (configured in nbgrader_config.py, so the
plain nbgrader command is safe too) removes the hidden blocks from test cells and reduces each
error to its message: for our checker that message is the diagnosis in plain words.
"""
from __future__ import annotations

import re
from pathlib import Path

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


def question_names(assignment: str, root=None) -> dict:
    """{grade_id: "grade_id — what the question asks"} for the feedback's table of contents
    (the exercise's `what` for a check() cell; the grade id alone for a plain test cell)."""
    from bpkit_instructor.course import autograde
    from bpkit_instructor import spec
    names = {}
    for gid, info in autograde.grade_cells(assignment, root).items():
        whats = []
        for name in info["checks"]:
            try:
                whats.append(spec.get(name).what or name)
            except KeyError:
                whats.append(name)
        names[gid] = f"{gid}: {'; '.join(whats)}" if whats else gid
    return names


TOC_ENTRY = re.compile(r'<li><a href="#(?P<gid>[^"]+)">(?P<kind>Test cell|Coding free-response|'
                       r'Written response|Task)</a>')


def name_questions(page: Path, names: dict) -> None:
    """Replace nbgrader's "Test cell" entries of the table of contents by the question names."""
    import html
    text = page.read_text(encoding="utf-8")

    def entry(m):
        gid, kind = html.unescape(m["gid"]), m["kind"]
        label = names.get(gid) or (gid if kind == "Test cell" else f"{gid} ({kind.lower()})")
        return f'<li><a href="#{m["gid"]}">{html.escape(label, quote=False)}</a>'
    page.write_text(TOC_ENTRY.sub(entry, text), encoding="utf-8")


def generate(assignment: str, root=None, students=None) -> dict:
    """Run `nbgrader generate_feedback --force` (our preprocessor comes from nbgrader_config.py)
    for the graded submissions; returns {"written": [student, ...], "not_written": {student:
    why}} so that no student silently goes without feedback."""
    import shutil
    import subprocess

    from bpkit_instructor.course import autograde, batch, fingerprint, paths
    from bpkit_instructor.course.errors import CourseError, known_assignment
    root = paths.course_root(root)
    known_assignment(assignment, root)
    records = {r["student"]: r for r in autograde.load_results(assignment, root)}
    if not records:
        raise CourseError(f"no graded submission of {assignment} yet: run "
                          f"`bpkit autograde {assignment}` first")
    everyone = batch.students(assignment, root)
    wanted = list(students or everyone)
    release = fingerprint.release(assignment, root)
    stale = [s for s in wanted if s in records and batch.why_regrade(assignment, s, root, release)]
    if stale:
        raise CourseError(f"{len(stale)} grade(s) of {assignment} are stale ({', '.join(stale[:5])}"
                          f"{', ...' if len(stale) > 5 else ''}): run `bpkit autograde "
                          f"{assignment}` first, feedback must show the current grade")
    not_written = {}
    for s in wanted:
        if s not in records:
            not_written[s] = f"not graded yet: run `bpkit autograde {assignment}`"
        elif records[s].get("error"):
            not_written[s] = records[s]["error"]
    todo = [s for s in wanted if s not in not_written]
    # nbgrader takes one --student (a pattern): one run for the class, or one per asked student
    for who in ([f"--student={s}" for s in todo] if students else ([None] if todo else [])):
        cmd = paths.nbgrader_cmd("generate_feedback", assignment, "--force", "--log-level=WARN")
        proc = subprocess.run(cmd + ([who] if who else []), cwd=root, env=paths.nbgrader_env(),
                              capture_output=True, text=True)
        if proc.returncode != 0:
            lines = [x.strip() for x in proc.stderr.splitlines() if x.strip()]
            causes = [x for x in lines if re.search(r"\w+(Error|Exception): ", x)]
            raise CourseError(f"nbgrader generate_feedback {assignment} failed: "
                              f"{(causes or lines or ['no message'])[-1][:300]}")
    for s in not_written:  # a page would show a grade that does not hold
        shutil.rmtree(root / "feedback" / s / assignment, ignore_errors=True)
    names = question_names(assignment, root)
    written = []
    for s in todo:
        page = root / "feedback" / s / assignment / f"{assignment}.html"
        if page.exists():
            name_questions(page, names)
            written.append(s)
        else:
            not_written[s] = "nbgrader wrote no feedback page (see `nbgrader generate_feedback`)"
    return {"written": written, "not_written": not_written}
