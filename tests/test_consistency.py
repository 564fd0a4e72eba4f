"""The course's pieces fit together, and `bpkit new-exercise` starts an assignment that works.

* every check("NN.x") in solutions/ names a registered exercise of its own assignment, and every
  registered exercise is graded in some test cell (bpkit_instructor.course.scaffold.consistency);
* the consistency check finds each kind of mismatch;
* the scaffold's skeleton registers, releases with nbgrader, and grades: the solution passes the
  judge on visible and hidden cases, each catalogued mistake is caught and named.
"""
import importlib.util
import shutil
import sys

import cloudpickle
import nbformat
import pytest

from bpkit.grading import judge
from bpkit.grading.checker import record
from bpkit_instructor import judge as kjudge
from bpkit_instructor import spec
from bpkit_instructor.course import authoring, cells, config, paths, release, scaffold
from bpkit_instructor.course.errors import CourseError
from bpkit_instructor.course.simulate import strip_markers, variant_source

ROOT = paths.ROOT


def test_every_check_names_an_exercise_and_every_exercise_is_graded():
    assert scaffold.consistency(ROOT) == []


def test_the_check_finds_unknown_misplaced_and_ungraded_exercises(tmp_path):
    nb = tmp_path / "solutions" / "09-layer-api" / "09-layer-api.ipynb"
    body = "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION"
    authoring.write(nb, [authoring.solution("f", body),
               authoring.tests("t1", 1, 'check("09.no_such_thing", f)'),
               authoring.tests("t2", 1, 'check("10.jvp", f)'),
               authoring.tests("t3", 1, 'check("09.network", f)')])
    problems = "\n".join(scaffold.consistency(tmp_path))
    assert "check('09.no_such_thing') names no registered exercise" in problems
    assert "check('10.jvp') grades another assignment's exercise" in problems
    assert "09.grad_check is registered but no graded test cell" in problems
    assert "09.network is registered" not in problems


@pytest.fixture
def skeleton(tmp_path):
    """`bpkit new-exercise 98-demo double triple` in a scratch course, its key module registered."""
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    (tmp_path / "solutions").mkdir()
    files = scaffold.new_exercise("98-demo", ["double", "triple"], "A demo", root=tmp_path)
    name = "bpkit_instructor.exercises.a98"
    found = importlib.util.spec_from_file_location(name, files[0])
    module = importlib.util.module_from_spec(found)
    sys.modules[name] = module
    found.loader.exec_module(module)
    cloudpickle.register_pickle_by_value(module)
    yield tmp_path, files
    cloudpickle.unregister_pickle_by_value(module)
    sys.modules.pop(name, None)
    for key in [k for k in spec._EXERCISES if k.startswith("98.")]:
        del spec._EXERCISES[key]


def test_new_exercise_writes_a_skeleton_that_releases_and_grades(skeleton, monkeypatch, tmp_path):
    root, (module, source, lecture) = skeleton
    assert module.name == "a98.py" and lecture.exists()
    assert {"98.double", "98.triple"} <= set(spec._EXERCISES)
    nb = nbformat.read(source, as_version=4)
    graded = [c for c in nb.cells if cells.is_graded(c)]
    assert len(graded) == 2 and all("### BEGIN HIDDEN TESTS" in c.source for c in graded)
    assert [p for p in scaffold.consistency(root) if "98." in p] == []

    out = release.generate(root, ["98-demo"])           # real nbgrader generate_assignment
    released = nbformat.read(out[0], as_version=4)
    assert "raise NotImplementedError" in "".join(c.source for c in released.cells)

    monkeypatch.setenv("BPKIT_ANSWERS", str(tmp_path / "answers"))
    answer_src = next(strip_markers(c.source) for c in nb.cells if cells.grade_id(c) == "double")
    ns = {"__name__": "__main__"}
    exec(answer_src, ns)
    path = record("98.double", ns["double"])
    for hidden in (False, True):
        verdict = judge.judge(spec.get("98.double"), path, hidden=hidden, lock=kjudge.lock())
        assert verdict.passed, verdict
    for v in spec.get("98.double").variants:
        ns = {"__name__": "__main__"}
        exec(variant_source("98.double", v.name, "double"), ns)
        verdict = judge.judge(spec.get("98.double"), record("98.double", ns["double"]), lock=kjudge.lock())
        assert not verdict.passed and verdict.misconception == v.name, verdict


def test_new_exercise_refuses_to_overwrite_and_bad_names(skeleton):
    root, _ = skeleton
    with pytest.raises(CourseError, match="already exists"):
        scaffold.new_exercise("98-other", ["f"], root=root)
    with pytest.raises(CourseError, match="not an assignment id"):
        scaffold.new_exercise("demo", ["f"], root=root)
    with pytest.raises(CourseError, match="Python function name"):
        scaffold.new_exercise("97-demo", ["Bad-Name"], root=root)


def test_the_course_releases_every_finished_assignment():
    """course.toml's `released` is what students get (bundle, hub): an assignment in solutions/
    and the README's course table but left out of it never reaches a student."""
    assert config.released(ROOT) == paths.assignments(ROOT)
