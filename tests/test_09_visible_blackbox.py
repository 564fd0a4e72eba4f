"""Issue 23: a self-comparing 09.grad_check fails a VISIBLE check, before submission.

One visible case of 09.grad_check holds a "blackbox" layer (out = x + a ∘ sin x). The locked cell
before the test (grade id "blackbox_layer") extends the student's network_forward / layer_forward
to it while the visible check runs, on the student's side where there is no key (the released
data); the judge's _blackbox_within does the same where the key is. Central differences through
network_forward pass; a "check" that compares the claim with the student's own backward pass does
not — on the student side and on the key side alike.
"""
import json
import textwrap
from pathlib import Path

import pytest

from bpkit.grading import checker, judge
from bpkit_instructor.course import cells as nbcells

ROOT = Path(__file__).resolve().parents[1]
NB = ROOT / "solutions" / "09-layer-api" / "09-layer-api.ipynb"
NAME = "09.grad_check"

# the self-comparing check, as in tests/test_gradcheck_blackbox.py
from test_gradcheck_blackbox import OWN_BACKWARD  # noqa: E402


@pytest.fixture()
def student(tmp_path, monkeypatch):
    """The solution's code cells, the locked blackbox helper included, as a student's namespace."""
    monkeypatch.setenv(checker.ANSWERS_ENV, str(tmp_path))
    ns = {"__name__": "student_answer"}
    for c in json.loads(NB.read_text())["cells"]:
        gid = nbcells.grade_id(c) or ""
        if c["cell_type"] == "code" and gid in ("setup", "rmsnorm_forward", "rmsnorm_backward",
                                                   "network", "grad_check", "blackbox_layer"):
            exec(compile("".join(c["source"]).replace("from bpkit.grading import check", ""),
                         gid, "exec"), ns)
    return ns


def _record(ns):
    """What the test cell does: record the answer while the blackbox layer is known."""
    with ns["blackbox_layer_known"]():
        path = checker.record(NAME, ns["grad_check"])
    assert ns["network_forward"].__name__ == "network_forward"
    return path


def _key_exercise():
    from bpkit_instructor import spec
    return spec.get(NAME)


@pytest.mark.parametrize("side", ["student", "key"])
def test_the_solution_passes_the_visible_blackbox_case(student, side):
    ex = judge.released_exercise(NAME) if side == "student" else _key_exercise()
    assert any(layer.get("kind") == "blackbox" for case in ex.cases(False, None)
               for layer in case["layers"])
    v = judge.judge(ex, _record(student), hidden=False)
    assert v.passed, v.message


@pytest.mark.parametrize("side", ["student", "key"])
def test_comparing_with_ones_own_backward_fails_a_visible_case(student, side):
    exec(textwrap.dedent(OWN_BACKWARD), student)
    ex = judge.released_exercise(NAME) if side == "student" else _key_exercise()
    v = judge.judge(ex, _record(student), hidden=False)
    # every visible case without the blackbox layer passes (its backward pass is right): the
    # blackbox case is the one that catches it
    assert not v.passed and v.n_passed == v.n_cases - 1, v.message
