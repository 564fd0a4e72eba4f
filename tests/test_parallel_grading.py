"""Parallel, resumable, distributable grading gives exactly what plain nbgrader gives.

One self-test class (8 students, a mix of honest, wrong, hostile and broken notebooks) is graded
twice from the same starting point:

* plain ``nbgrader autograde A`` — every student in one serial nbgrader process;
* ours — ``bpkit autograde A --workers 2`` killed right after its first student finished, then
  resumed with ``batch.grade_all(workers=2)``.

nbgrader's own ``auto_score`` per (student, cell) must be identical in both gradebooks (our
re-judge writes its corrections as ``manual_score`` and leaves ``auto_score`` alone), with one
Grade row per (student, cell), and the resumed run must not touch students already graded.
"""
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from bpkit_instructor.course import batch, paths, release, simulate

sys.path.insert(0, str(Path(__file__).parent))
import selftest_course  # noqa: E402
from selftest_course import results_mtimes  # noqa: E402

A = selftest_course.ASSIGNMENT
KINDS = ["correct", "blank", "misconception", "misconception", "delete-cell",
         "attack:monkeypatch-check", "attack:rigged-eq", "corrupt-json"]
TIMEOUT = 30
pytestmark = pytest.mark.slow


def make_class(root: Path) -> list[str]:
    students = []
    for i, kind in enumerate(KINDS):
        student = f"p{i:02d}-{kind.replace(':', '-')}"
        nb, _ = simulate.make_submission(A, kind, random.Random(i), root)
        folder = root / "submitted" / student / A
        folder.mkdir(parents=True)
        target = folder / f"{A}.ipynb"
        target.write_text(nb) if isinstance(nb, str) else nbformat.write(nb, str(target))
        students.append(student)
    return students


def grades(root: Path) -> list[tuple]:
    """(student, cell, auto_score, manual_score) for every Grade row of the gradebook."""
    from nbgrader.api import Grade, Gradebook
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        return [(g.student.id, g.name, g.auto_score, g.manual_score)
                for g in gb.db.query(Grade).all()]


def auto_scores(root: Path) -> dict:
    rows = grades(root)
    keys = [(s, c) for s, c, _, _ in rows]
    assert len(keys) == len(set(keys)), f"duplicate Grade rows in {root}"
    return {(s, c): a for s, c, a, _ in rows}


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    base = tmp_path_factory.mktemp("parallel")
    pristine = selftest_course.build(base / "pristine")
    release.generate(pristine)
    students = make_class(pristine)
    plain = base / "plain"
    shutil.copytree(pristine, plain)
    proc = subprocess.run(paths.nbgrader_cmd("autograde", A, "--force",
                                             f"--Execute.timeout={TIMEOUT}", "--log-level=WARN"),
                          cwd=plain, env=paths.nbgrader_env(), capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=300)
    assert "database is locked" not in proc.stderr
    # the reference must be plain nbgrader's real answer: a student it failed to grade for a
    # machine reason (a kernel that did not start in time on a loaded CI box) is retried once,
    # still with plain nbgrader; the corrupt notebook is expected to fail
    scores = auto_scores(plain)
    for student in students:
        cells = {c: v for (s, c), v in scores.items() if s == student}
        if "corrupt" not in student and (not cells or None in cells.values()):
            subprocess.run(paths.nbgrader_cmd("autograde", A, f"--student={student}", "--force",
                                              f"--Execute.timeout={TIMEOUT}", "--log-level=WARN"),
                           cwd=plain, env=paths.nbgrader_env(), capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=120)
    return base, pristine, plain, students


@pytest.fixture(scope="module")
def interrupted_then_resumed(classroom):
    base, pristine, plain, students = classroom
    ours = base / "ours"
    shutil.copytree(pristine, ours)
    env = paths.nbgrader_env() | {"BPKIT_COURSE": str(ours)}
    cli = subprocess.Popen([sys.executable, "-m", "bpkit_instructor.course.cli", "autograde", A,
                            "--workers", "2", "--timeout", str(TIMEOUT)],
                           env=env, cwd=ours, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    try:
        while not results_mtimes(ours) and cli.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        if cli.poll() is None:
            os.killpg(cli.pid, signal.SIGKILL)  # the CLI, its pool workers and their kernels
        cli.wait(timeout=30)
        cli.stderr.close()
    time.sleep(0.5)  # let orphaned kernels notice their parent is gone
    before = results_mtimes(ours)
    # (if the poll timed out, `before` is empty and the test below names the problem)
    results = batch.grade_all(A, ours, workers=2, timeout=TIMEOUT, progress=False)
    return ours, before, results


def test_interrupted_batch_left_a_partial_class(classroom, interrupted_then_resumed):
    _, _, _, students = classroom
    _, before, _ = interrupted_then_resumed
    assert 1 <= len(before) < len(students), before


def test_resume_grades_only_the_ungraded_students(classroom, interrupted_then_resumed):
    _, _, _, students = classroom
    ours, before, results = interrupted_then_resumed
    after = results_mtimes(ours)
    assert sorted(after) == sorted(students)
    for s, mtime in before.items():
        assert after[s] == mtime, f"{s} was graded before the kill and graded again"
    assert sorted(r["student"] for r in results) == sorted(students)
    assert all(batch.is_done(A, s, ours) for s in students)


def test_auto_scores_identical_to_plain_serial_nbgrader(classroom, interrupted_then_resumed):
    _, _, plain, _ = classroom
    ours, _, results = interrupted_then_resumed
    expected, got = auto_scores(plain), auto_scores(ours)
    assert len(expected) >= 2 * (len(KINDS) - 1)  # every readable notebook has both cells
    assert got == expected
    # the result records quote the same nbgrader scores
    for r in results:
        for cell, entry in r["cells"].items():
            assert entry["nbgrader"] == expected.get((r["student"], cell)), (r["student"], cell)


def test_one_submission_per_student_and_corrections_only_as_manual_scores(
        classroom, interrupted_then_resumed):
    from nbgrader.api import Gradebook, SubmittedAssignment
    _, _, _, students = classroom
    ours, _, results = interrupted_then_resumed
    with Gradebook(f"sqlite:///{ours / 'gradebook.db'}") as gb:
        subs = [s.student.id for s in gb.db.query(SubmittedAssignment).all()]
    assert len(subs) == len(set(subs))
    assert set(subs) <= set(students)
    manual = {(s, c): m for s, c, _, m in grades(ours) if m is not None}
    tampered = next(r for r in results if "monkeypatch-check" in r["student"])
    assert any(f.startswith("judge-disagrees") for f in tampered["flags"])
    assert any(s == tampered["student"] and m == 0 for (s, _), m in manual.items())
    honest = next(r for r in results if r["student"].endswith("correct"))
    assert not any(s == honest["student"] for s, _ in manual)


def test_dask_cluster_executor_gives_the_same_scores(classroom):
    distributed = pytest.importorskip("distributed", reason="dask[distributed] is not installed "
                                      "(pip install 'bpkit[cluster]')")
    base, pristine, plain, students = classroom
    remote = base / "dask"
    shutil.copytree(pristine, remote)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        results = batch.grade_all(A, remote, executor=client.get_executor(), timeout=TIMEOUT,
                                  progress=False)
    assert sorted(r["student"] for r in results) == sorted(students)
    assert auto_scores(remote) == auto_scores(plain)
