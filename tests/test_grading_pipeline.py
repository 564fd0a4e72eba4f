"""The whole pipeline on a one-assignment course: release, validate, autograde a hostile class,
feedback that teaches and does not leak."""
import json
import random
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from bpkit_instructor.course import autograde, batch, feedback, paths, release, simulate

sys.path.insert(0, str(Path(__file__).parent))
import selftest_course  # noqa: E402

A = selftest_course.ASSIGNMENT
HONEST_ATTACKS = {"monkeypatch-check", "sys-modules"}  # these bypass every later check too
pytestmark = pytest.mark.slow


def write_nb(root, student, nb, name=None):
    folder = root / "submitted" / student / A
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (name or f"{A}.ipynb")
    if isinstance(nb, str):
        target.write_text(nb)
    else:
        nbformat.write(nb, str(target))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = selftest_course.build(tmp_path_factory.mktemp("course"))
    release.generate(root)
    roster = {}
    kinds = (["correct", "blank", "hard-coded", "edit-test-cell", "delete-cell", "exit-in-cell",
              "corrupt-json"]
             + [f"attack:{a}" for a in simulate.ATTACKS])
    for i, kind in enumerate(kinds):
        nb, note = simulate.make_submission(A, kind, random.Random(i), root)
        roster[f"k-{kind.replace(':', '-')}"] = (kind, note)
        write_nb(root, f"k-{kind.replace(':', '-')}", nb)
    for variant in [v.name for v in simulate.spec.get("00.delta_L").variants]:
        nb = simulate.with_misconception(A, "00.delta_L", variant, root)
        student = "m-" + "".join(ch for ch in variant if ch.isalnum())
        roster[student] = ("misconception", variant)
        write_nb(root, student, nb)
    # corrupt and odd submissions
    correct, _ = simulate.make_submission(A, "correct", random.Random(0), root)
    old = nbformat.from_dict(json.loads(json.dumps(correct)))
    old.nbformat_minor = 4
    for c in old.cells:
        c.pop("id", None)
    write_nb(root, "c-nbformat44", old)
    (root / "submitted" / "c-missing" / A).mkdir(parents=True)
    write_nb(root, "c-wrongname", correct, name="my-homework.ipynb")
    reordered = nbformat.from_dict(json.loads(json.dumps(correct)))
    reordered.cells = reordered.cells[:2] + reordered.cells[5:] + reordered.cells[2:5]
    write_nb(root, "c-reordered", reordered)
    added = nbformat.from_dict(json.loads(json.dumps(correct)))
    added.cells.insert(3, nbformat.v4.new_code_cell("x_extra = 1  # a cell the student added"))
    write_nb(root, "c-added", added)
    results = {r["student"]: r for r in batch.grade_all(A, root, workers=2, timeout=30,
                                                        progress=False)}
    feedback.generate(A, root)
    return root, roster, results


def test_release_removes_solutions_and_hidden_tests(course):
    root, _, _ = course
    text = paths.notebook("exercises", A, root).read_text()
    assert "BEGIN SOLUTION" not in text and "hidden=True" not in text
    assert "raise NotImplementedError()" in text
    assert 'check(\\"00.delta_L\\", delta_L)' in text  # a visible assertion stays


def test_release_is_in_sync_and_drift_is_detected(course):
    root, _, _ = course
    assert release.out_of_sync(root) == []
    nb_path = paths.notebook("exercises", A, root)
    original = nb_path.read_text()
    nb_path.write_text(original.replace("Self-test assignment", "Edited by hand"))
    try:
        assert release.out_of_sync(root) == [A]
    finally:
        nb_path.write_text(original)


def validate(path, invert=False):
    cmd = paths.nbgrader_cmd("validate", str(path)) + (["--invert"] if invert else [])
    out = subprocess.run(cmd, cwd=path.parents[2], env=paths.nbgrader_env(), capture_output=True,
                         text=True)
    return out.stdout


def test_validate_passes_on_the_solution_and_every_test_fails_on_the_release(course):
    root, _, _ = course
    assert "Success! Your notebook passes all the tests." in validate(paths.notebook("solutions", A, root))
    inverted = validate(paths.notebook("exercises", A, root), invert=True)
    assert "Success!" in inverted, inverted  # --invert: complains if any test cell passes


def test_correct_full_marks_blank_zero(course):
    _, _, results = course
    assert results["k-correct"]["score"] == results["k-correct"]["max_score"] == 5
    assert results["k-correct"]["flags"] == []
    assert results["k-blank"]["score"] == 0


def test_each_misconception_loses_its_points_and_its_hint_reaches_the_feedback(course):
    root, roster, results = course
    variants = {v.name: v for v in simulate.spec.get("00.delta_L").variants}
    students = [s for s in roster if s.startswith("m-")]
    assert len(students) == len(variants) >= 2
    for s in students:
        name = roster[s][1]
        r = results[s]
        assert r["cells"]["test_delta_L"]["final"] == 0 and r["cells"]["test_square"]["final"] == 2
        assert f"00.delta_L: {name}" in r["misconceptions"]
        html = (root / "feedback" / s / A / f"{A}.html").read_text()
        hint = variants[name].hint.replace("′", "&#8242;")
        assert variants[name].hint in html or hint in html


@pytest.mark.parametrize("attack", sorted(simulate.ATTACKS))
def test_each_attack_earns_nothing_on_the_attacked_item(course, attack):
    _, roster, results = course
    r = results[f"k-attack-{attack}"]
    note = roster[f"k-attack-{attack}"][1]
    attacked = "test_delta_L" if "00.delta_L" in note else "test_square"
    assert r["cells"][attacked]["final"] == 0, r
    other = "test_square" if attacked == "test_delta_L" else "test_delta_L"
    if attack not in HONEST_ATTACKS:
        assert r["cells"][other]["final"] == r["cells"][other]["points"], r


def test_hard_coded_visible_answers_fail_the_hidden_cases(course):
    _, roster, results = course
    r = results["k-hard-coded"]
    assert r["score"] < r["max_score"]


def test_editing_a_locked_test_cell_earns_nothing(course):
    """nbgrader restores the locked cell from the gradebook; the wrong answer then fails."""
    _, roster, results = course
    r = results["k-edit-test-cell"]
    attacked = "test_delta_L" if "00.delta_L" in roster["k-edit-test-cell"][1] else "test_square"
    assert r["cells"][attacked]["final"] == 0, r
    assert r["misconceptions"], r


def test_deleted_grade_cell_scores_zero_and_is_flagged(course):
    from nbgrader.api import Gradebook
    root, roster, results = course
    r = results["k-delete-cell"]
    victim = roster["k-delete-cell"][1].split()[-1]
    assert r["cells"][victim]["final"] == 0
    assert f"deleted-cell: {victim}" in r["flags"]
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        grade = gb.find_grade(victim, A, A, "k-delete-cell")
        assert grade.score == 0 and grade.manual_score == 0  # explicit, not None


def test_exit_in_a_cell_gives_a_named_error(course):
    _, _, results = course
    r = results["k-exit-in-cell"]
    assert r["score"] == 0 and r["error"].startswith("kernel-died")


@pytest.mark.parametrize("student,error", [("k-corrupt-json", "corrupt-notebook"),
                                           ("c-missing", "missing-notebook"),
                                           ("c-wrongname", "missing-notebook")])
def test_corrupt_submissions_get_named_errors(course, student, error):
    _, _, results = course
    assert results[student]["error"].startswith(error)
    if student == "c-wrongname":
        assert "my-homework.ipynb" in results[student]["error"]


@pytest.mark.parametrize("student", ["c-nbformat44", "c-reordered", "c-added"])
def test_odd_but_honest_notebooks_get_a_correct_grade(course, student):
    _, _, results = course
    r = results[student]
    assert r["error"] is None and r["score"] == 5, r


def test_every_student_ends_with_a_grade_or_a_named_error(course):
    root, roster, results = course
    everyone = {p.name for p in (root / "submitted").iterdir()}
    assert set(results) == everyone
    for r in results.values():
        assert r["error"] is not None or r["score"] is not None


def test_manual_override_is_stored_in_nbgraders_gradebook(course):
    from nbgrader.api import Gradebook
    root, _, results = course
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for student, r in results.items():
            if r["error"]:
                continue
            sub = gb.find_submission(A, student)
            assert sub.score == pytest.approx(r["score"]), student


def test_feedback_never_shows_hidden_tests_or_tracebacks(course):
    root, _, results = course
    pages = list((root / "feedback").glob(f"*/{A}/{A}.html"))
    assert len(pages) >= 10
    for page in pages:
        html = page.read_text()
        assert "hidden=True" not in html and "hidden</span><span class=\"o\">=" not in html
        assert "Traceback (most recent call last)" not in html
        assert "check.py" not in html and "checker.py" not in html
    assert not list((root / "feedback").rglob(".bpkit-*"))


def test_resume_grades_only_what_is_missing(course):
    root, _, _ = course
    done = batch.students(A, root)
    assert all(batch.is_done(A, s, root) for s in done)
    (root / "autograded" / "k-blank" / A / autograde.RESULTS).unlink()
    again = batch.grade_all(A, root, workers=1, timeout=30, progress=False)
    assert len(again) == len(done)
    assert all(batch.is_done(A, s, root) for s in done)
