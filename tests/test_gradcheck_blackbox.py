"""09.grad_check needs differences, not a backward pass: a gradient check that compares the claimed
gradients with the student's own network_gradients passes every visible case (its backward is
right) and used to pass the hidden ones too. Hidden cases now hold a "blackbox" layer that the
judge adds to the student's network_forward; the solution (central differences through
network_forward) still passes them, the comparison with one's own backward does not, and neither
keeps the extension after the call."""
import textwrap

import pytest

from bpkit.grading import checker, judge
from bpkit_instructor import judge as kjudge
from bpkit_instructor import spec

OWN_BACKWARD = '''
def grad_check(layers, X, dout, dX, grads):
    _, my_dX, my_grads = network_gradients(layers, X, dout)

    def walk(mine, claimed):
        oks = []
        for m, c in zip(mine, claimed):
            if "layers" in c:
                oks.append({"layers": walk(m["layers"], c["layers"])})
            else:
                oks.append({k: bool(relative_error(c[k], m[k]) < 1e-7) for k in c})
        return oks
    return bool(relative_error(dX, my_dX) < 1e-7), walk(my_grads, grads)
'''


def _judge(fn, hidden, seed=None):
    return judge.judge(spec.get("09.grad_check"), checker.record("09.grad_check", fn), hidden=hidden,
                       seed=seed, lock=kjudge.lock())


@pytest.mark.parametrize("seed", [1, 2])
def test_differences_through_network_forward_pass_the_blackbox_cases(student09, seed):
    v = _judge(student09["grad_check"], hidden=True, seed=seed)
    assert v.passed, v.message
    assert "network_forward" in student09 and student09["network_forward"].__name__ == "network_forward"


@pytest.mark.parametrize("seed", [1, 2])
def test_comparing_with_ones_own_backward_fails_the_hidden_cases(student09, seed):
    exec(textwrap.dedent(OWN_BACKWARD), student09)
    cheat = student09["grad_check"]
    # one visible case holds a blackbox layer too (issue 23, tests/test_09_visible_blackbox.py)
    assert not _judge(cheat, hidden=False).passed
    v = _judge(cheat, hidden=True, seed=seed)
    assert not v.passed and v.n_passed < v.n_cases, v.message


def test_the_extension_is_undone_after_each_case(student09):
    import numpy as np

    from bpkit_instructor.exercises import a09
    own = student09["network_forward"]
    case = a09._gc_case(np.random.default_rng(3), kinds=["dense", "blackbox", "dense"])
    with a09._blackbox_within(student09["grad_check"], case):
        assert student09["network_forward"] is not own
        out, _ = student09["network_forward"](case["layers"], case["X"])
        assert out.shape == case["dout"].shape
    assert student09["network_forward"] is own
