"""Every real assignment through the real pipeline: nbgrader autograde + the isolated re-judge.

Per assignment: the solution earns full marks, the release as-is earns 0, a catalogued
misconception loses exactly its cell's points and its hint reaches the feedback, and an attack
(monkeypatched numpy + a wrong answer) earns nothing on the attacked item.
"""
import html
import random
import re
import shutil

import nbformat
import pytest

from bpkit_instructor import spec
from bpkit_instructor.course import autograde, batch, feedback, paths, release, simulate

ROOT = paths.ROOT
ASSIGNMENTS = paths.assignments(ROOT)
KINDS = ["correct", "blank", "misconception", "attack:monkeypatch-numpy"]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    for folder in ("solutions", "exercises"):
        shutil.copytree(ROOT / folder, root / folder)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    release.generate(root)
    notes = {}
    for a in ASSIGNMENTS:
        for kind in KINDS:
            student = kind.replace(":", "-")
            nb, note = simulate.make_submission(a, kind, random.Random(f"{a}/{kind}"), root)
            folder = root / "submitted" / student / a
            folder.mkdir(parents=True)
            nbformat.write(nb, str(folder / f"{a}.ipynb"))
            notes[(a, student)] = note
    results = {}
    for a in ASSIGNMENTS:
        for r in batch.grade_all(a, root, workers=2, timeout=120, progress=False):
            results[(a, r["student"])] = r
        feedback.generate(a, root)
    return root, notes, results


def cell_of(assignment, exercise, root):
    for grade_id, info in autograde.grade_cells(assignment, root).items():
        if exercise in info["checks"]:
            return grade_id
    raise LookupError(exercise)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_full_marks_release_zero(graded, assignment):
    _, _, results = graded
    correct, blank = results[(assignment, "correct")], results[(assignment, "blank")]
    assert correct["error"] is None and not correct["flags"], correct
    hand = sum(correct["manual"].values())      # answers graded by hand wait for the grader
    assert correct["score"] == correct["max_score"] - hand >= 10
    assert blank["score"] == 0


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_misconception_loses_its_points_and_its_hint_is_in_the_feedback(graded, assignment):
    root, notes, results = graded
    note = notes[(assignment, "misconception")]              # "misconception NN.x: name"
    exercise = note.split(" ", 1)[1].split(": ", 1)[0]
    r = results[(assignment, "misconception")]
    cell = cell_of(assignment, exercise, root)
    lost = r["max_score"] - r["score"]
    # its own cell loses its points; later cells that call the wrong function may lose theirs
    assert r["cells"][cell]["final"] == 0 and lost >= r["cells"][cell]["points"], r
    assert any(m.startswith(exercise) for m in r["misconceptions"]), r
    # two catalogued variants can coincide on one case: the one named must be in the feedback
    detected = next(m.split(": ", 1)[1] for m in r["misconceptions"] if m.startswith(exercise))
    assert detected in {v.name for v in spec.get(exercise).variants}
    hint = next(v.hint for v in spec.get(exercise).variants if v.name == detected)
    page = (root / "feedback" / "misconception" / assignment / f"{assignment}.html").read_text()
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert hint in text
    assert "hidden=True" not in text and "Traceback (most recent call last)" not in text


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_attack_earns_nothing_on_the_attacked_item(graded, assignment):
    root, notes, results = graded
    exercise = notes[(assignment, "attack-monkeypatch-numpy")].split()[-1]
    r = results[(assignment, "attack-monkeypatch-numpy")]
    assert r["cells"][cell_of(assignment, exercise, root)]["final"] == 0, r
