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

from bpkit_instructor.course import cells as nbcells

HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?",
                    re.DOTALL | re.MULTILINE)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
HIDDEN_NOTE = "# (hidden tests ran here; they are not shown)\n"


# what a student must never read: a traceback's frames, a file path of the instructor's side
# (the key, solutions/), the grader's own machinery
LEAKS = re.compile(r'Traceback \(most recent call last\)|^\s*File "|bpkit_instructor|solutions/'
                   r'|/site-packages/|\.py", line \d+', re.MULTILINE)
WITHHELD = "(the grader's own message is not shown: your instructor has it)"


def strip_hidden(source: str) -> str:
    return HIDDEN.sub(HIDDEN_NOTE, source)


def scrub(text: str) -> str:
    """Keep the lines of a message that tell the student something; a message that carries a
    traceback, a key path or the grader's machinery is withheld as a whole."""
    return WITHHELD if LEAKS.search(text) else text


class HideHiddenTests(Preprocessor):
    """Remove hidden tests from test cells and tracebacks from every error output."""

    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if nbcells.is_test(cell):
            cell.source = strip_hidden(cell.source)
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                message = ANSI.sub("", f"{out.get('ename', 'Error')}: {out.get('evalue', '')}")
                if out.get("ename") == "CheckFailed":
                    message = "Not yet right:" + ANSI.sub("", out.get("evalue", ""))
                out["traceback"] = [scrub(message)]
                out["evalue"] = scrub(ANSI.sub("", out.get("evalue", "")))
            elif out.get("output_type") == "stream":
                out["text"] = scrub(ANSI.sub("", out.get("text", "")))
        return cell, resources


def question_names(assignment: str, root=None) -> dict:
    """{grade_id: "grade_id — what the question asks"} for the feedback's table of contents
    (the exercise's `what` for a check() cell; the grade id alone for a plain test cell)."""
    # here, not at the top: nbgrader_config.py imports this module into every nbgrader process
    from bpkit_instructor.course import autograde, preflight
    exercises = preflight.load_key(assignment)
    names = {}
    for gid, info in autograde.grade_cells(assignment, root).items():
        whats = [getattr(exercises.get(name), "what", "") or name for name in info["checks"]]
        names[gid] = f"{gid}: {'; '.join(whats)}" if whats else gid
    return names


TOC_ENTRY = re.compile(r'<li><a href="#(?P<gid>[^"]+)">(?P<kind>Test cell|Coding free-response|'
                       r'Written response|Task)</a>')


def name_questions(page: Path, names: dict) -> None:
    """Replace nbgrader's "Test cell" entries of the table of contents by the question names."""
    import html  # here, not at the top: see generate()
    text = page.read_text(encoding="utf-8")

    def entry(m):
        gid, kind = html.unescape(m["gid"]), m["kind"]
        label = names.get(gid) or (gid if kind == "Test cell" else f"{gid} ({kind.lower()})")
        return f'<li><a href="#{m["gid"]}">{html.escape(label, quote=False)}</a>'
    page.write_text(TOC_ENTRY.sub(entry, text), encoding="utf-8")


def generate(assignment: str, root=None, students=None) -> dict:
    """Run `nbgrader generate_feedback --force` (our preprocessor comes from nbgrader_config.py)
    for the students whose grade counts; returns {"written": [student, ...], "not_written":
    {student: why}} so that no student silently goes without feedback."""
    # here, not at the top: nbgrader_config.py imports this module into every nbgrader process
    import shutil
    import subprocess

    # (the same reason)
    from bpkit_instructor.course import autograde, paths, states
    from bpkit_instructor.course.errors import CourseError, known_assignment
    root = paths.course_root(root)
    known_assignment(assignment, root)
    names = question_names(assignment, root)  # imports the key: a broken one stops us here
    if not [p for p in (root / "autograded").glob(f"*/{assignment}/{autograde.RESULTS}")]:
        raise CourseError(f"no graded submission of {assignment} yet: run "
                          f"`bpkit autograde {assignment}` first")
    found = states.assess(assignment, root)
    wanted = [s for s in (students or found) if s in found]
    stale = [s for s in wanted if found[s].label == "error (stale)"]
    if stale:
        raise CourseError(f"{len(stale)} grade(s) of {assignment} are stale ({', '.join(stale[:5])}"
                          f"{', ...' if len(stale) > 5 else ''}): run `bpkit autograde "
                          f"{assignment}` first, feedback must show the current grade")
    records = {r["student"]: r for r in autograde.load_results(assignment, root)}
    not_written = {s: f"{found[s].label}: {found[s].note}" for s in wanted
                   if not found[s].counts or (records.get(s) or {}).get("error")}
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
    written = []
    for s in todo:
        page = root / "feedback" / s / assignment / f"{assignment}.html"
        if page.exists():
            name_questions(page, names)
            written.append(s)
        else:
            not_written[s] = "nbgrader wrote no feedback page (see `nbgrader generate_feedback`)"
    return {"written": written, "not_written": not_written}
