"""An instructor's tools never fail silently (issue 21): every mistake ends in a named state or a
one-line refusal with the fix.

A class on the self-test assignment, extended by a value-style answer (``plus_one = ...``, whose
blank raises before check() records anything, like a multiple-choice cell) and a manually graded
answer (2 points), graded by real nbgrader in the sandbox through ``bpkit``'s CLI. Each numbered
case of the issue has a test here:

1. a corrupt or misnamed resubmission never keeps the old score;
2. a broken key stops autograde/release/feedback/report before any student; a grader crash is
   an error, never a 0; no feedback page shows a traceback or a key path;
3. a check() of another assignment's exercise stops the release;
4. released data made from another key stop autograde;
5. hand-graded points count in the maximum; needs-hand-grading -> graded;
6. blank and incomplete students are named so, not flagged;
7. Ctrl-C stops autograde at 1 and 2 workers within seconds, keeps what was graded, leaves no
   kernel; a killed CLI leaves no process behind;
8. --workers 0, --timeout 0/-5 are refused in one line;
9. a broken source notebook is one line for every command; --debug shows the traceback;
10. housekeeping: no warnings from a11's key, .gitignore, new-exercise on an existing
    assignment, bundle ships the assignments course.toml releases.
"""
import csv
import dataclasses
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import nbformat
import pytest

from bpkit.grading import contract
from bpkit_instructor import release_data, spec
from bpkit_instructor.course import (
    authoring,
    autograde,
    batch,
    cells,
    checkcalls,
    cli,
    fingerprint,
    paths,
    preflight,
    release,
    scaffold,
    simulate,
)
from bpkit_instructor.course.errors import CourseError

sys.path.insert(0, str(Path(__file__).parent))
import selftest_course  # noqa: E402
from selftest_course import bpkit, build_with_second, copy_course, one_line_error, results_mtimes  # noqa: E402

A = selftest_course.ASSIGNMENT
B = selftest_course.SECOND
ROOT = paths.ROOT
DUE, LATE = "2026-01-01 00:00:00 UTC", "2026-01-01 01:00:00 UTC"
EXTRA = [
    authoring.md("A value answer: like a multiple-choice cell, a blank one raises before check()."),
    authoring.solution("plus_one", "### BEGIN SOLUTION\nplus_one = lambda x: x + 1.0\n"
                                   "### END SOLUTION"),
    authoring.tests("test_plus_one", 1, 'check("00.quick", plus_one)\n### BEGIN HIDDEN TESTS\n'
                                        'check("00.quick", plus_one, hidden=True)\n'
                                        "### END HIDDEN TESTS"),
    authoring.manual("explain", 2, "σ′(z) scales the error by how fast the neuron responds."),
]
MAX = 3 + 2 + 1 + 2
CLASS = ["s-full", "s-blank", "s-partial", "s-late", "s-resub", "s-rename", "s-tamper"]
LEAKS = re.compile(r'Traceback \(most recent call last\)|bpkit_instructor|File "|'
                   + re.escape(str(ROOT)) + "/")
pytestmark = pytest.mark.slow


def build(root: Path) -> Path:
    build_with_second(root, EXTRA)
    (root / "course.toml").write_text(f'released = ["{A}", "{B}"]\n\n[due]\n"{A}" = "{DUE}"\n')
    return root


def submission(root, kind: str, keep=("delta_L", "square", "plus_one", "explain")):
    """A notebook of the release with the answers of `keep` filled in from solutions/."""
    nb, _ = simulate.make_submission(A, kind, random.Random(0), root)
    released = nbformat.read(paths.notebook("exercises", A, root), as_version=4)
    original = {cells.grade_id(c): c.source for c in released.cells if cells.is_answer(c)}
    for c in nb.cells:
        if cells.is_answer(c) and cells.grade_id(c) not in keep:
            c.source = original[cells.grade_id(c)]
    return nb


def submit(root, student, nb, name=None, stamp=None):
    selftest_course.submit(root, student, A, nb, name, stamp)


def grades(root, monkeypatch, capsys) -> dict:
    code, out, err = bpkit(root, monkeypatch, capsys, "export", "--assignment", A)
    assert code == 0, err
    return {r["student_id"]: r for r in csv.DictReader(open(root / "grades.csv"))}


def report_rows(root, monkeypatch, capsys) -> dict:
    code, out, err = bpkit(root, monkeypatch, capsys, "report", A)
    assert code == 0, err
    table = Path(out.strip()).read_text(encoding="utf-8").split("id=students")[1] \
        .split("</table>")[0]
    return {s: (re.sub(r"<[^>]+>", "", state), total) for s, state, total in re.findall(
        r"<tr><td>([^<]+)</td><td>(.*?)</td><td class=\"num\">([^<]*)</td>", table)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = build(tmp_path_factory.mktemp("failures") / "course")
    release.generate(root)
    submit(root, "s-full", submission(root, "correct"), stamp="2025-12-31 12:00:00 UTC")
    submit(root, "s-blank", submission(root, "blank"))
    submit(root, "s-partial", submission(root, "correct", keep=("square",)))
    submit(root, "s-late", submission(root, "correct", keep=("delta_L", "square", "plus_one")),
           stamp=LATE)
    submit(root, "s-resub", submission(root, "correct", keep=("delta_L", "square", "plus_one")))
    submit(root, "s-rename", submission(root, "correct", keep=("delta_L", "square", "plus_one")))
    nb, _ = simulate.make_submission(A, "attack:monkeypatch-check", random.Random(3), root)
    submit(root, "s-tamper", nb)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BPKIT_COURSE", str(root))
        assert cli.main(["autograde", A, "--workers", "2", "--timeout", "30"]) == 0
    return root


@pytest.fixture
def copy(graded, tmp_path_factory):
    return copy_course(graded, tmp_path_factory)


# ------------------------------------------------------------------ 1. corrupt resubmission
def test_1_corrupt_or_misnamed_resubmission_never_keeps_the_old_score(copy, monkeypatch, capsys):
    rows = grades(copy, monkeypatch, capsys)
    assert (rows["s-resub"]["status"], rows["s-resub"]["raw_score"]) == ("incomplete", "6.0")
    submit(copy, "s-resub", "{ this is not json")
    folder = copy / "submitted" / "s-rename" / A
    (folder / f"{A}.ipynb").rename(folder / "homework.ipynb")
    # handed in, not graded yet: the earlier score is not shown as current
    rows = grades(copy, monkeypatch, capsys)
    for s in ("s-resub", "s-rename"):
        assert rows[s]["status"] == "error (stale)" and rows[s]["score"] == "0.0", rows[s]
        assert "the earlier grade (6) does not count" in rows[s]["note"]
    code, out, _ = bpkit(copy, monkeypatch, capsys, "autograde", A, "--workers", "2")
    assert code == 0 and f"{A}: 2 regraded: submission changed; 5 up to date" in out, out
    assert re.search(r"\| s-resub \| corrupt \|", out) and re.search(r"\| s-rename \| missing \|", out)
    rows = grades(copy, monkeypatch, capsys)
    assert (rows["s-resub"]["status"], rows["s-resub"]["score"], rows["s-resub"]["max_score"]) \
        == ("corrupt", "0.0", f"{MAX:.1f}")
    assert "NotJSONError" in rows["s-resub"]["note"]
    assert rows["s-rename"]["status"] == "missing" and rows["s-rename"]["score"] == "0.0"
    assert "homework.ipynb" in rows["s-rename"]["note"]
    table = report_rows(copy, monkeypatch, capsys)
    assert table["s-resub"] == ("corrupt", f"0 / {MAX}") and table["s-rename"][1] == f"0 / {MAX}"
    from nbgrader.api import Gradebook
    with Gradebook(paths.db_url(copy)) as gb:  # nbgrader's own export shows no old score either
        sub = gb.find_submission(A, "s-resub")
        assert sub.score == 0 and all(g.auto_score is None and g.manual_score is None
                                      for nb in sub.notebooks for g in nb.grades)


# ------------------------------------------------------------------ 2. broken key, grader crash
def test_2_a_key_that_does_not_compile_stops_every_command_before_any_student(
        copy, tmp_path, monkeypatch, capsys):
    text = fingerprint.exercise_module("00.square").read_text().splitlines()
    line = next(i for i, t in enumerate(text, 1) if t.startswith("def _sig("))
    text[line - 1] = "def _sig(z:"
    broken = tmp_path / "a00.py"
    broken.write_text("\n".join(text) + "\n")
    monkeypatch.setattr(fingerprint, "exercise_module", lambda name: broken)
    before, exercise = results_mtimes(copy), paths.notebook("exercises", A, copy).read_text()
    for argv in (["autograde", A, "--no-resume"], ["release", A], ["feedback", A], ["report", A],
                 ["simulate", A, "--students", "2"]):
        code, _, err = bpkit(copy, monkeypatch, capsys, *argv)
        one_line_error(code, err, f"a00.py:{line}", "does not compile", f"bpkit release {A}")
    assert results_mtimes(copy) == before
    assert paths.notebook("exercises", A, copy).read_text() == exercise


def test_2_a_key_that_raises_on_import_is_named_with_its_line(tmp_path, monkeypatch):
    package = tmp_path / "probe_key_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a00.py").write_text("import numpy as np\n\nSCALE = np.float64(2)\n"
                                    "OFFSET = SCALE * undefined_constant\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(spec, "KEY_PACKAGE", "probe_key_pkg")
    with pytest.raises(CourseError) as err:
        preflight.load_key(A)
    message = str(err.value)
    assert message.endswith(f"a00.py:4: the answer key fails on import (NameError: name "
                            f"'undefined_constant' is not defined): fix it, then `bpkit release "
                            f"{A}`"), message
    assert "\n" not in message


def test_2_a_grader_crash_is_an_error_never_a_zero(copy, monkeypatch, capsys):
    monkeypatch.setattr(autograde, "JUDGE_MODULE", "bpkit_instructor.course.no_such_judge")
    code, out, _ = bpkit(copy, monkeypatch, capsys, "autograde", A, "--student", "s-full",
                         "--workers", "1", "--timeout", "30")
    assert code == 0 and "| s-full | error (judge-crashed) |" in out, out
    rows = grades(copy, monkeypatch, capsys)
    assert rows["s-full"]["status"] == "error (judge-crashed)" and rows["s-full"]["score"] == "0.0"
    assert "the grader failed" in rows["s-full"]["note"]
    code, out, _ = bpkit(copy, monkeypatch, capsys, "feedback", A)
    assert code == 0 and re.search(r"s-full: error \(judge-crashed\)", out), out
    assert not (copy / "feedback" / "s-full" / A).exists()


def test_2_no_feedback_page_shows_a_traceback_or_a_key_path(graded, monkeypatch, capsys):
    code, out, _ = bpkit(graded, monkeypatch, capsys, "feedback", A)
    assert code == 0
    pages = sorted((graded / "feedback").rglob("*.html"))
    assert len(pages) >= 5, out
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not LEAKS.search(text), (page, LEAKS.search(text))
    tamper = (graded / "feedback" / "s-tamper" / A / f"{A}.html").read_text(encoding="utf-8")
    assert "Not yet right" in tamper  # the judge's words stay: only leaks go


# ------------------------------------------------------------------ 3. another assignment's check
def test_3_a_check_of_another_assignments_exercise_stops_the_release(copy, monkeypatch, capsys):
    src = paths.notebook("solutions", A, copy)
    src.write_text(src.read_text().replace('check(\\"00.square\\", square)',
                                           'check(\\"01.softplus_prime\\", square)'))
    before = paths.notebook("exercises", A, copy).read_text()
    code, _, err = bpkit(copy, monkeypatch, capsys, "release", A)
    one_line_error(code, err, f"solutions/{A}/{A}.ipynb (test_square, line 1)",
                   "check('01.softplus_prime') grades an exercise of another assignment",
                   f"exercises/{A} is unchanged")
    assert paths.notebook("exercises", A, copy).read_text() == before


# ------------------------------------------------------------------ 4. key edited, not released
def test_4_released_data_of_another_key_stop_autograde(copy, tmp_path, monkeypatch, capsys):
    folder = tmp_path / "released"
    folder.mkdir()
    old = contract.read("00")
    (folder / contract.path_of("00", folder).name).write_bytes(
        dataclasses.replace(old, fingerprint="0" * 20).to_bytes())
    monkeypatch.setattr(paths, "ROOT", copy)  # this course is bpkit's own repository
    monkeypatch.setattr(contract, "FOLDER", folder)
    before = results_mtimes(copy)
    code, _, err = bpkit(copy, monkeypatch, capsys, "autograde", A, "--no-resume")
    one_line_error(code, err, "a00.json.gz", "made from another version of the key",
                   f"run `bpkit release {A}`", "no student was graded")
    assert results_mtimes(copy) == before


# ------------------------------------------------------------------ 5. hand grading
def test_5_hand_graded_points_count_and_the_state_moves_to_graded(copy, monkeypatch, capsys):
    rows = grades(copy, monkeypatch, capsys)
    full = rows["s-full"]
    assert (full["status"], full["raw_score"], full["max_score"]) == \
        ("needs-hand-grading (2 pts)", "6.0", f"{MAX:.1f}")
    assert "explain" in full["note"]
    one_line_error(*bpkit(copy, monkeypatch, capsys, "hand-grade", A, "s-full", "explain",
                          "5")[::2], "0 to 2 points")
    one_line_error(*bpkit(copy, monkeypatch, capsys, "hand-grade", A, "s-full", "test_square",
                          "1")[::2], "not a manually graded cell")
    code, out, _ = bpkit(copy, monkeypatch, capsys, "hand-grade", A, "s-full", "explain", "2",
                         "--comment", "right idea")
    assert code == 0 and f"s-full: {MAX}/{MAX} graded" in out, out
    rows = grades(copy, monkeypatch, capsys)
    assert (rows["s-full"]["status"], rows["s-full"]["score"]) == ("graded", f"{MAX:.1f}")
    # a regrade keeps the grader's points
    code, out, _ = bpkit(copy, monkeypatch, capsys, "autograde", A, "--student", "s-full",
                         "--workers", "1", "--timeout", "30")
    assert code == 0 and f"| s-full | {MAX}/{MAX} graded |" in out, out


# ------------------------------------------------------------------ 6. blank, incomplete, late
def test_6_blank_and_incomplete_students_are_named_so_not_flagged(graded, monkeypatch, capsys):
    rows = grades(graded, monkeypatch, capsys)
    assert rows["s-blank"]["status"] == "blank" and rows["s-blank"]["score"] == "0.0"
    assert rows["s-partial"]["status"] == "incomplete", rows["s-partial"]
    assert rows["s-partial"]["score"] == "2.0"
    assert "3 of 4 answer cells left as released" in rows["s-partial"]["note"]
    assert rows["s-late"]["status"] == "late" and "60 min after the due date" in \
        rows["s-late"]["note"]
    assert rows["s-tamper"]["status"] == "flagged (judge-disagrees)"
    records = {r["student"]: r for r in autograde.load_results(A, graded)}
    assert records["s-partial"]["flags"] == [] and records["s-blank"]["flags"] == []
    assert "00.quick" in records["s-partial"]["unanswered"]
    table = report_rows(graded, monkeypatch, capsys)
    assert {s: st for s, (st, _) in table.items()} == {
        s: rows[s]["status"] for s in CLASS}
    assert table["s-full"][1] == f"6 / {MAX}"


# ------------------------------------------------------------------ 7. Ctrl-C and kill
def _processes_in(root: Path) -> list:
    found = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit() or int(p.name) == os.getpid():
            continue
        try:
            cmd = (p / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            cwd = os.readlink(p / "cwd")
        except OSError:
            continue
        if str(root) in cmd or cwd.startswith(str(root)):
            found.append((int(p.name), cmd[:160]))
    return found


def _wait_gone(root, seconds=10.0):
    end = time.monotonic() + seconds
    while _processes_in(root) and time.monotonic() < end:
        time.sleep(0.2)
    return _processes_in(root)


def _start(root, workers):
    for record in (root / "autograded").glob(f"*/{A}/{autograde.RESULTS}"):
        record.unlink()
    env = dict(os.environ, BPKIT_COURSE=str(root))
    return subprocess.Popen([sys.executable, "-m", "bpkit_instructor.course.cli", "autograde", A,
                             "--workers", str(workers), "--timeout", "30"], env=env,
                            start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _stop(proc):
    """End a CLI that did not get where the test expected; its output, for the message."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    out, err = proc.communicate(timeout=30)
    return f"exit {proc.returncode}\n{out[-2000:]}\n{err[-3000:]}"


def _wait_for(condition, seconds):
    end = time.monotonic() + seconds
    while not condition() and time.monotonic() < end:
        time.sleep(0.2)
    return condition()


@pytest.mark.parametrize("workers", [1, 2])
def test_7_ctrl_c_stops_autograde_keeps_the_grades_and_leaves_no_kernel(copy, workers):
    proc = _start(copy, workers)
    assert _wait_for(lambda: results_mtimes(copy), 240), _stop(proc)
    assert _wait_for(lambda: any("sandbox launch" in c or "ipykernel" in c or "bwrap" in c
                                 for _, c in _processes_in(copy)) or proc.poll() is not None, 60)
    t0 = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
    out, err = proc.communicate(timeout=60)
    seconds = time.monotonic() - t0
    print(f"Ctrl-C at {workers} worker(s): stopped in {seconds:.2f} s")
    assert proc.returncode == 130, (out, err)
    assert seconds < 10, seconds
    last = err.strip().splitlines()[-1]
    m = re.fullmatch(rf"bpkit autograde: interrupted: (\d+) of 7 submission\(s\) of {A} graded "
                     rf"and kept; run `bpkit autograde {A}` again to grade the rest", last)
    assert m, err
    assert _wait_gone(copy) == []
    kept = len(results_mtimes(copy))
    assert kept >= int(m.group(1)) >= 1
    assert len(batch.plan(A, copy)) == 7 - kept  # the rest, and only the rest, is graded next


def test_7_a_killed_cli_leaves_no_process_behind(copy):
    proc = _start(copy, 2)
    assert _wait_for(lambda: any("sandbox launch" in c or "bwrap" in c
                                 for _, c in _processes_in(copy)), 240), _stop(proc)
    proc.kill()  # SIGKILL: the CLI gets no chance to clean up
    proc.communicate(timeout=30)
    assert _wait_gone(copy, 15) == []


# ------------------------------------------------------------------ 8. numeric options
@pytest.mark.parametrize("option,value", [("--workers", "0"), ("--timeout", "0"),
                                          ("--timeout", "-5"), ("--workers", "two")])
def test_8_numeric_options_are_refused_in_one_line(graded, monkeypatch, capsys, option, value):
    code, _, err = bpkit(graded, monkeypatch, capsys, "autograde", A, option, value)
    one_line_error(code, err, f"argument {option}", value)


# ------------------------------------------------------------------ 9. broken source notebook
def test_9_a_broken_source_notebook_is_one_line_for_every_command(copy, monkeypatch, capsys):
    paths.notebook("solutions", A, copy).write_text('{"cells": [ not json')
    for argv in (["release", A], ["autograde", A], ["export"], ["feedback", A], ["report", A]):
        code, _, err = bpkit(copy, monkeypatch, capsys, *argv)
        one_line_error(code, err, f"solutions/{A}/{A}.ipynb: not a readable notebook",
                       "fix the JSON")
    code, _, err = bpkit(copy, monkeypatch, capsys, "--debug", "export")
    assert code == 2 and "Traceback (most recent call last)" in err


def test_9_a_course_toml_mistake_and_a_bundle_of_it_are_one_line(copy, monkeypatch, capsys):
    (copy / "course.toml").write_text(f'released = ["{A}", "00-secnod"]\n')
    code, _, err = bpkit(copy, monkeypatch, capsys, "bundle")
    one_line_error(code, err, "course.toml", "'00-secnod' is not an assignment",
                   f"did you mean {B}?")
    (copy / "course.toml").write_text("released = [\n")
    code, _, err = bpkit(copy, monkeypatch, capsys, "bundle")
    one_line_error(code, err, "course.toml: not valid TOML")


def test_9_a_reference_that_raises_is_named_with_its_line(tmp_path):
    from bpkit_instructor.spec import ExerciseSpec

    def reference(x):
        return x / undefined_name  # noqa: F821 - the key's mistake under test
    bad = ExerciseSpec("00.bad", reference, visible=[{"x": 1.0}])
    monkey = pytest.MonkeyPatch()
    monkey.setattr(preflight, "key_file", lambda a: Path(__file__))
    try:
        problems = preflight.check_references(A, {"00.bad": bad})
    finally:
        monkey.undo()
    line = reference.__code__.co_firstlineno + 1
    assert problems == [f"tests/{Path(__file__).name}:{line}: 00.bad: the reference or its case generator "
                        "raises NameError: name 'undefined_name' is not defined"]


# ------------------------------------------------------------------ 10. housekeeping
def test_10_release_prints_no_warning_from_the_key():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        release_data.assemble("11")  # a11's mutants printed 16 RuntimeWarnings
        assert preflight.check_references("11-capstone", preflight.load_key("11-capstone")) == []


def test_10_gitignore_covers_every_generated_folder():
    generated = ["dist/student/README.md", ".bpkit-sandbox/kernels/x/kernel.json",
                 ".bpkit-release-abc/exercises/x.ipynb", "submitted/s/a/a.ipynb",
                 "autograded/s/a/a.ipynb", "feedback/s/a/a.html", "reports/a.html",
                 "grades.csv", "gradebook.db", "unrostered/s/a/a.ipynb",
                 "downloaded/a/archive/x.zip", "artifacts/browser/x.png",
                 "autograded/s/.bpkit-sandbox-a.json", "submitted/s/a/.bpkit-answers/x.pkl"]
    proc = subprocess.run(["git", "check-ignore", "--no-index", *generated], cwd=ROOT,
                          capture_output=True, text=True)
    assert sorted(proc.stdout.split()) == sorted(generated)


def test_10_new_exercise_adds_to_an_existing_assignment(tmp_path, monkeypatch, capsys):
    root = tmp_path / "course"
    (root / "solutions").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    scaffold.new_exercise("13-probe", ["one"], root=root)
    code, out, err = bpkit(root, monkeypatch, capsys, "new-exercise", "13-probe", "two", "three")
    assert code == 0, err
    module = root / "bpkit_instructor" / "exercises" / "a13.py"
    compile(module.read_text(), str(module), "exec")
    assert re.findall(r'^    "(13\.\w+)",$', module.read_text(), re.M) == \
        ["13.one", "13.two", "13.three"]
    nb = nbformat.read(paths.notebook("solutions", "13-probe", root), as_version=4)
    nbformat.validate(nb)
    tests = [c for c in nb.cells if cells.is_test(c)]
    assert [cells.grade_id(c) for c in tests] == ["test_one", "test_two", "test_three"]
    assert [checkcalls.names(c.source) for c in tests] == [["13.one"], ["13.two"], ["13.three"]]
    assert sum(c.source.startswith("## 3. three") for c in nb.cells) == 1
    code, _, err = bpkit(root, monkeypatch, capsys, "new-exercise", "13-probe", "two")
    one_line_error(code, err, "two: already in a13.py")
    module.write_text(module.read_text() + "\ndef broken(:\n")
    code, _, err = bpkit(root, monkeypatch, capsys, "new-exercise", "13-probe", "four")
    one_line_error(code, err, f"a13.py:{len(module.read_text().splitlines())}: the answer key "
                   "does not compile")
    paths.notebook("solutions", "13-probe", root).write_text("{ not json")
    code, _, err = bpkit(root, monkeypatch, capsys, "new-exercise", "13-probe", "four")
    one_line_error(code, err, "13-probe.ipynb: not a readable notebook")


def test_10_bundle_ships_only_the_assignments_course_toml_releases(copy, monkeypatch, capsys):
    (copy / "bpkit").symlink_to(ROOT / "bpkit")
    shutil.copy(ROOT / "pyproject.toml", copy)
    shutil.copytree(ROOT / "lectures", copy / "lectures")
    (copy / "course.toml").write_text(f'released = ["{A}"]\n')
    code, out, err = bpkit(copy, monkeypatch, capsys, "bundle")
    assert code == 0, err
    dist = Path(out.strip())
    assert sorted(p.name for p in (dist / "exercises").iterdir()) == [A]
    assert list((dist / "wheels").glob("bpkit-*.whl"))


# ------------------------------------------------------------------ issue 25: one parse, one probe
def test_autograde_parses_each_notebook_once_and_probes_the_sandbox_once(copy, tmp_path,
                                                                          monkeypatch):
    """Counted in the grading processes themselves (forked workers inherit the counters)."""
    import inspect

    from bpkit_instructor.course import sandbox
    log = tmp_path / "log"
    real_read, real_problem = nbformat.read, sandbox.problem

    def read(path, *args, **kwargs):
        caller = inspect.stack()[1].filename
        if "bpkit_instructor" in caller and str(copy) in str(path):
            with open(log, "a") as f:
                f.write(f"read {os.getpid()} {Path(path).relative_to(copy)}\n")
        return real_read(path, *args, **kwargs)

    def problem():
        with open(log, "a") as f:
            f.write(f"probe {os.getpid()}\n")
        return real_problem()
    monkeypatch.setattr(nbformat, "read", read)
    monkeypatch.setattr(sandbox, "problem", problem)
    monkeypatch.delenv(autograde.SANDBOX_ENV, raising=False)
    results = batch.grade_all(A, copy, workers=2, timeout=30, resume=False, progress=False)
    assert len(results) == len(CLASS)
    lines = log.read_text().splitlines()
    assert [x for x in lines if x.startswith("probe")] == [f"probe {os.getpid()}"]
    reads = [x.split(" ", 2) for x in lines if x.startswith("read")]
    per_file = {}
    for _, pid, path in reads:
        per_file.setdefault(path, []).append(pid)
    for student in CLASS:  # the submission and the graded notebook: once each
        for folder in ("submitted", "autograded"):
            path = f"{folder}/{student}/{A}/{A}.ipynb"
            assert len(per_file.get(path, [])) == 1, (path, per_file.get(path))
    for source in (f"solutions/{A}/{A}.ipynb", f"exercises/{A}/{A}.ipynb"):  # once a process
        pids = per_file[source]
        assert len(pids) == len(set(pids)) <= 3, (source, pids)
    print(f"{len(reads)} notebook parses for {len(CLASS)} students")
