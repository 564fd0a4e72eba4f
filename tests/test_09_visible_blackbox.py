"""Issue 23: a self-comparing 09.grad_check fails a VISIBLE check, before submission.

One visible case of 09.grad_check holds a "blackbox" layer (out = x + a ∘ sin x). The locked cell
before the test (grade id "blackbox_layer") extends the student's network_forward / layer_forward
to it while the visible check runs, on the student's side where there is no key (the released
data); the judge's _blackbox_within does the same where the key is. Central differences through
network_forward pass; a "check" that compares the claim with the student's own backward pass does
not — on the student side and on the key side alike.
"""
import textwrap

import pytest

from bpkit.grading import checker, judge

NAME = "09.grad_check"

# the self-comparing check, as in tests/test_gradcheck_blackbox.py
from test_gradcheck_blackbox import OWN_BACKWARD  # noqa: E402


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
def test_the_solution_passes_the_visible_blackbox_case(student09, side):
    ex = judge.released_exercise(NAME) if side == "student" else _key_exercise()
    assert any(layer.get("kind") == "blackbox" for case in ex.cases(False, None)
               for layer in case["layers"])
    v = judge.judge(ex, _record(student09), hidden=False)
    assert v.passed, v.message


@pytest.mark.parametrize("side", ["student", "key"])
def test_comparing_with_ones_own_backward_fails_a_visible_case(student09, side):
    exec(textwrap.dedent(OWN_BACKWARD), student09)
    ex = judge.released_exercise(NAME) if side == "student" else _key_exercise()
    v = judge.judge(ex, _record(student09), hidden=False)
    # every visible case without the blackbox layer passes (its backward pass is right): the
    # blackbox case is the one that catches it
    assert not v.passed and v.n_passed == v.n_cases - 1, v.message
