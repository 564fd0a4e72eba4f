"""The instructor's commands never leave a grade silently stale or wrong (issue 16).

A small synthetic class on the self-test assignment (plus a plain-assert test cell) and a second,
tiny assignment, graded by real nbgrader through ``bpkit``'s CLI entry point:

* change-aware resume: nothing changed -> nothing regraded (timestamps play no part); a point
  changed in solutions/ -> the stale gradebook is refused, then after release every grade is
  redone and the command says why; a fixed submission -> that one student only; --student;
* safe release: a cell added while submissions exist fails in one line, exercises/ untouched;
* plain nbgrader test cells keep nbgrader's score; an unknown check() name stops the release;
* honest exports: grades.csv statuses, --assignment; feedback says who got none and why and
  names the questions; the report's per-student table marks blank and corrupt submissions;
* CLI: one-line errors with exit status 2, unknown ids listed, --help with defaults.
"""
import csv
import os
import random
import re
import sys
from pathlib import Path

import nbformat
import pytest

from bpkit_instructor.course import authoring, autograde, batch, cells, cli, fingerprint, paths, release, simulate

sys.path.insert(0, str(Path(__file__).parent))
import selftest_course  # noqa: E402
from selftest_course import bpkit, build_with_second, copy_course, one_line_error, results_mtimes, submit  # noqa: E402

A = selftest_course.ASSIGNMENT
B = selftest_course.SECOND
PLAIN = authoring.tests("test_plain", 1, "assert square(3) == 9\nassert square(-1.5) == 2.25")
CLASS = {"s-correct": "correct", "s-blank": "blank", "s-corrupt": "corrupt-json",
         "s-wrongname": "correct", "s-tamper": "attack:monkeypatch-check"}
pytestmark = pytest.mark.slow


def build(root: Path) -> Path:
    """The self-test assignment with a plain-assert test cell, and a second tiny assignment."""
    return build_with_second(root, [PLAIN])


def records(root, assignment=A):
    return {r["student"]: r for r in autograde.load_results(assignment, root)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class, graded with `bpkit autograde` (2 workers); returns the course folder."""
    root = build(tmp_path_factory.mktemp("instructor") / "course")
    notes = []
    release.generate(root, say=notes.append)
    for i, (student, kind) in enumerate(CLASS.items()):
        nb, _ = simulate.make_submission(A, kind, random.Random(i), root)
        submit(root, student, A, nb, "my-homework.ipynb" if student == "s-wrongname" else None)
    nb, _ = simulate.make_submission(B, "correct", random.Random(0), root)
    submit(root, "s-correct", B, nb)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BPKIT_COURSE", str(root))
        assert cli.main(["autograde", A, "--workers", "2", "--timeout", "30"]) == 0
        assert cli.main(["autograde", B, "--workers", "1", "--timeout", "30"]) == 0
    return root, notes


@pytest.fixture
def copy(graded, tmp_path_factory):
    """A private copy of the graded course, for tests that change it."""
    return copy_course(graded[0], tmp_path_factory)


# ----------------------------------------------------------------------------- 1. resume
def test_nothing_changed_nothing_regraded_and_timestamps_do_not_count(graded, monkeypatch, capsys):
    root, _ = graded
    before = results_mtimes(root)
    for p in (root / "submitted").rglob("*.ipynb"):  # newer timestamps, same content
        os.utime(p, (p.stat().st_atime + 3600, p.stat().st_mtime + 3600))
    code, out, _ = bpkit(root, monkeypatch, capsys, "autograde", A, "--workers", "2")
    assert code == 0
    assert f"{A}: 5 up to date" in out
    assert results_mtimes(root) == before


def test_changed_points_refused_until_released_then_every_grade_redone(copy, monkeypatch, capsys):
    src = paths.notebook("solutions", A, copy)
    nb = nbformat.read(src, as_version=4)
    next(c for c in nb.cells if cells.grade_id(c) == "test_square").metadata.nbgrader.points = 3
    nbformat.write(nb, str(src))
    # the gradebook still holds 2 points: reported, never used
    code, _, err = bpkit(copy, monkeypatch, capsys, "autograde", A)
    one_line_error(code, err, "test_square: 2 points in the gradebook, 3 in the source",
                   f"bpkit release {A}")
    code, _, err = bpkit(copy, monkeypatch, capsys, "export")
    one_line_error(code, err, "test_square", f"bpkit release {A}")
    code, _, err = bpkit(copy, monkeypatch, capsys, "feedback", A)
    one_line_error(code, err, "5 grade(s) of 00-selftest are stale", f"bpkit autograde {A}")
    code, out, _ = bpkit(copy, monkeypatch, capsys, "report", A)
    assert code == 0 and "5 stale grade(s)" in Path(out.strip()).read_text(encoding="utf-8")
    assert bpkit(copy, monkeypatch, capsys, "release", A)[0] == 0
    code, out, _ = bpkit(copy, monkeypatch, capsys, "autograde", A, "--workers", "2",
                         "--timeout", "30")
    assert code == 0
    assert "5 regraded: release changed (cell test_square points 2→3)" in out, out
    r = records(copy)["s-correct"]
    assert r["score"] == r["max_score"] == 7 and r["flags"] == []
    assert bpkit(copy, monkeypatch, capsys, "export", "--assignment", A)[0] == 0
    rows = {row["student_id"]: row for row in csv.DictReader(open(copy / "grades.csv"))}
    assert (rows["s-correct"]["score"], rows["s-correct"]["max_score"]) == ("7.0", "7.0")


def test_exercise_module_change_makes_every_grade_stale(graded, tmp_path, monkeypatch):
    root, _ = graded
    edited = tmp_path / "a00.py"
    edited.write_text(fingerprint.exercise_module("00.square").read_text() + "\n# edited\n")
    monkeypatch.setattr(fingerprint, "exercise_module", lambda name: edited)
    for student in CLASS:
        assert batch.why_regrade(A, student, root) == \
            "release changed (exercise module a00.py changed)"


def test_fixed_submission_regraded_alone_and_student_option(copy, monkeypatch, capsys):
    folder = copy / "submitted" / "s-wrongname" / A
    assert records(copy)["s-wrongname"]["error"].startswith("missing-notebook")
    (folder / "my-homework.ipynb").rename(folder / f"{A}.ipynb")  # keeps its old timestamp
    before = results_mtimes(copy)
    code, out, _ = bpkit(copy, monkeypatch, capsys, "autograde", A, "--workers", "2",
                         "--timeout", "30")
    assert code == 0 and f"{A}: 1 regraded: submission changed; 4 up to date" in out, out
    after = results_mtimes(copy)
    assert [s for s in before if before[s] != after[s]] == ["s-wrongname"]
    r = records(copy)["s-wrongname"]
    assert r["error"] is None and r["score"] == r["max_score"] == 6
    # --student: just that one, whatever is stored
    code, out, _ = bpkit(copy, monkeypatch, capsys, "autograde", A, "--student", "s-blank",
                         "--workers", "1", "--timeout", "30")
    assert code == 0 and "1 regraded: asked for (--student); 4 up to date" in out, out
    again = results_mtimes(copy)
    assert [s for s in after if after[s] != again[s]] == ["s-blank"]
    code, _, err = bpkit(copy, monkeypatch, capsys, "autograde", A, "--student", "s-blnak")
    one_line_error(code, err, "no submission of", "s-blank")


# ----------------------------------------------------------------------------- 2. release
def test_release_that_nbgrader_refuses_keeps_the_old_exercises(copy, monkeypatch, capsys):
    exercise = paths.notebook("exercises", A, copy)
    before = exercise.read_text()
    src = paths.notebook("solutions", A, copy)
    nb = nbformat.read(src, as_version=4)
    nb.cells.append(authoring.tests("test_more", 1, "assert square(2) == 4"))
    nbformat.write(nb, str(src))
    code, _, err = bpkit(copy, monkeypatch, capsys, "release", A)
    one_line_error(code, err, "submissions", f"nbgrader db assignment remove {A} --force",
                   f"exercises/{A} is unchanged")
    assert exercise.read_text() == before
    assert not list(copy.glob(".bpkit-release-*"))


# ----------------------------------------------------------------------------- 3. test cells
def test_plain_test_cell_graded_as_nbgrader_grades_it(graded):
    root, notes = graded
    assert any("test_plain has no check()" in n for n in notes), notes
    got = records(root)
    assert got["s-correct"]["cells"]["test_plain"] == {
        "points": 1.0, "nbgrader": 1.0, "checks": [], "final": 1.0, "plain": True}
    assert got["s-correct"]["score"] == 6 and got["s-correct"]["flags"] == []
    assert got["s-blank"]["cells"]["test_plain"]["final"] == 0
    assert not any("test_plain" in f for r in got.values() for f in r["flags"])
    b = records(root, B)["s-correct"]
    assert b["score"] == b["max_score"] == 1 and b["flags"] == []


def test_release_refuses_a_check_of_an_unknown_exercise(copy, monkeypatch, capsys):
    src = paths.notebook("solutions", A, copy)
    src.write_text(src.read_text().replace('check(\\"00.square\\", square)',
                                           'check(\\"00.sqaure\\", square)'))
    before = paths.notebook("exercises", A, copy).read_text()
    code, _, err = bpkit(copy, monkeypatch, capsys, "release", A)
    one_line_error(code, err, "(test_square, line 1): check('00.sqaure') names no exercise",
                   "near: 00.square", "bpkit_instructor/exercises/a00.py",
                   f"exercises/{A} is unchanged")
    assert paths.notebook("exercises", A, copy).read_text() == before


# ----------------------------------------------------------------------------- 4. exports
def test_grades_csv_says_what_each_row_is(graded, monkeypatch, capsys):
    root, _ = graded
    code, out, _ = bpkit(root, monkeypatch, capsys, "export")
    assert code == 0 and "grades.csv" in out
    rows = {(r["assignment"], r["student_id"]): r for r in csv.DictReader(open(root / "grades.csv"))}
    status = {k: r["status"] for k, r in rows.items()}
    assert status == {
        (A, "s-correct"): "graded", (A, "s-blank"): "blank", (A, "s-corrupt"): "corrupt",
        (A, "s-wrongname"): "missing", (A, "s-tamper"): "flagged (judge-disagrees)",
        (B, "s-correct"): "graded", (B, "s-blank"): "missing",
        (B, "s-corrupt"): "missing", (B, "s-wrongname"): "missing",
        (B, "s-tamper"): "missing"}
    assert rows[(A, "s-correct")]["score"] == "6.0"
    assert "judge-disagrees" in rows[(A, "s-tamper")]["note"]
    assert "my-homework.ipynb" in rows[(A, "s-wrongname")]["note"]
    code, _, _ = bpkit(root, monkeypatch, capsys, "export", "--assignment", B, "--to", "b.csv")
    assert code == 0
    assert {r["assignment"] for r in csv.DictReader(open(root / "b.csv"))} == {B}


def test_feedback_names_the_questions_and_who_got_none(graded, monkeypatch, capsys):
    root, _ = graded
    code, out, _ = bpkit(root, monkeypatch, capsys, "feedback", A)
    assert code == 0 and "feedback written for 3 student(s)" in out, out
    assert re.search(r"s-corrupt: corrupt: corrupt-notebook: NotJSONError", out), out
    assert re.search(r"s-wrongname: missing: missing-notebook: .*my-homework\.ipynb", out), out
    assert not (root / "feedback" / "s-corrupt").exists()
    page = (root / "feedback" / "s-correct" / A / f"{A}.html").read_text(encoding="utf-8")
    toc = page.split('id="toc"')[1].split("</ol>")[0]
    assert "Test cell" not in toc
    assert ">test_square: x² elementwise</a>" in toc and ">test_plain</a>" in toc


def test_report_has_a_score_table_that_marks_blank_and_corrupt(graded, monkeypatch, capsys):
    root, _ = graded
    code, out, _ = bpkit(root, monkeypatch, capsys, "report", A)
    assert code == 0
    page = Path(out.strip()).read_text(encoding="utf-8")
    table = page.split("id=students")[1].split("</table>")[0]
    rows = dict(re.findall(r"<tr><td>([^<]+)</td><td>(.*?)</td>", table))
    assert set(rows) == set(CLASS)
    assert rows["s-correct"] == "graded"
    for student, status in [("s-blank", "blank"), ("s-corrupt", "corrupt"),
                            ("s-wrongname", "missing"), ("s-tamper", "flagged (judge-disagrees)")]:
        assert re.fullmatch(rf'<span class=flag title="[^"]*">{re.escape(status)}</span>',
                            rows[student])
    assert re.search(r"<td>s-correct</td><td>graded</td><td class=\"num\">6 / 6</td>", table)


# ----------------------------------------------------------------------------- 5. the CLI
def test_unreleased_and_ungraded_assignments_are_one_line_errors(tmp_path, monkeypatch, capsys):
    root = build(tmp_path / "course")  # nothing released, nothing graded
    code, _, err = bpkit(root, monkeypatch, capsys, "autograde", A)
    one_line_error(code, err, "not released yet", f"bpkit release {A}")
    release.generate(root, [B])
    for command in ("feedback", "report"):
        code, _, err = bpkit(root, monkeypatch, capsys, command, B)
        one_line_error(code, err, "no graded submission", f"bpkit autograde {B}")
    assert not (root / "reports").exists()


@pytest.mark.parametrize("argv", [["release", "00-selftets"], ["autograde", "00-selftets"],
                                  ["feedback", "00-selftets"], ["report", "00-selftets"],
                                  ["simulate", "00-selftets"],
                                  ["export", "--assignment", "00-selftets"]])
def test_unknown_assignment_lists_the_valid_ones(graded, monkeypatch, capsys, argv):
    root, _ = graded
    code, _, err = bpkit(root, monkeypatch, capsys, *argv)
    one_line_error(code, err, f"the assignments are {B}, {A}.")
    assert "bpkit release 00-selftets" not in err and "autograde 00-selftets" not in err


@pytest.mark.parametrize("command", ["release", "simulate", "autograde", "feedback", "export",
                                     "report", "grade-demo", "hand-grade", "bundle",
                                     "new-exercise"])
def test_help_gives_every_option_its_meaning_and_default(monkeypatch, capsys, command):
    code, out, _ = bpkit(Path.cwd(), monkeypatch, capsys, command, "--help")
    assert code == 0
    body = out.split("options:")[1] if "positional arguments:" not in out else \
        out.split("positional arguments:")[1]
    entries = re.split(r"\n  (?=-|[A-Z])", body)
    entries = [e for e in entries if e.strip() and not e.lstrip().startswith(("-h", "options:"))]
    assert entries, out
    usage = out.split("\n\n")[0]
    for entry in entries:
        text = " ".join(entry.split())
        name = text.split()[0].rstrip(",")
        if name.startswith("-") or f"[{name} ...]" in usage:  # optional: must say its default
            assert "default" in text, f"{command}: no default in {text!r}"
        else:  # a required argument: says what it is
            assert len(text.split()) > 3, f"{command}: {name} is not explained"
    if command == "autograde":
        assert "seconds" in out and "--student ID" in out
