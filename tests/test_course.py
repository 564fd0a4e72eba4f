"""The course as code: every lecture and solution runs, exercises are generated and in sync,
solutions earn full marks, releases earn nothing, and every catalogued misconception is named."""
from __future__ import annotations

import subprocess
from pathlib import Path

import nbformat
import pytest

from bpkit_instructor.course import cells, paths, release

ROOT = paths.ROOT
LECTURES = sorted((ROOT / "lectures").glob("*.ipynb"))
ASSIGNMENTS = paths.assignments(ROOT)
pytestmark = pytest.mark.slow


def test_the_course_has_twelve_topics_with_three_files_each():
    assert len(ASSIGNMENTS) == 12
    for a in ASSIGNMENTS:
        assert (ROOT / "lectures" / f"{a}.ipynb").exists(), a
        assert paths.notebook("solutions", a).exists(), a
        assert paths.notebook("exercises", a).exists(), a


@pytest.mark.parametrize("folder", ["solutions", "exercises", "lectures"])
def test_no_outputs_are_committed(folder):
    for nb_path in (ROOT / folder).rglob("*.ipynb"):
        nb = nbformat.read(nb_path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, nb_path


def test_exercises_are_a_fresh_generation_of_solutions():
    assert release.out_of_sync(ROOT) == [], "run `make release` and commit exercises/"


@pytest.mark.parametrize("lecture", LECTURES, ids=lambda p: p.stem)
def test_lecture_executes_headless(lecture, tmp_path, monkeypatch):
    from nbclient import NotebookClient
    nb = nbformat.read(lecture, as_version=4)
    monkeypatch.setenv("BPKIT_ANSWERS", str(tmp_path))  # the kernel inherits it
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(lecture.parent)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors


def validate(path: Path, invert=False) -> str:
    cmd = paths.nbgrader_cmd("validate", str(path)) + (["--invert"] if invert else [])
    env = paths.nbgrader_env()
    env["BPKIT_ANSWERS"] = "/tmp/bpkit-validate-answers"
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    return proc.stdout + proc.stderr


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_passes_nbgrader_validate(assignment):
    out = validate(paths.notebook("solutions", assignment))
    assert "Success! Your notebook passes all the tests." in out, out[-3000:]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_graded_test_fails_on_the_release(assignment):
    out = validate(paths.notebook("exercises", assignment), invert=True)
    assert "Success!" in out, out[-3000:]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_assignment_has_ten_points_over_four_graded_cells_with_hidden_tests(assignment):
    nb = nbformat.read(paths.notebook("solutions", assignment), as_version=4)
    graded = [c for c in nb.cells if cells.is_test(c)]
    assert len(graded) >= 4
    assert sum(cells.points(c) for c in graded) >= 10
    for c in graded:
        assert "### BEGIN HIDDEN TESTS" in c.source, c.metadata["nbgrader"]["grade_id"]
        visible = c.source.split("### BEGIN HIDDEN TESTS")[0]
        assert "check(" in visible, "a visible check must stay in the release"
