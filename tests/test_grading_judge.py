"""The judge: right answers pass, misconceptions are named, tampering earns nothing."""
import sys

import cloudpickle
import numpy as np
import pytest

from bpkit.grading import checker as checkmod
from bpkit.grading.checker import CheckFailed, check, record, run_judge
from bpkit_instructor import spec

# answers defined here travel by value, as a notebook's functions do
cloudpickle.register_pickle_by_value(sys.modules[__name__])


@pytest.fixture(autouse=True)
def answers_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(checkmod.ANSWERS_ENV, str(tmp_path / "answers"))


def judge(name, fn, hidden=False):
    return run_judge(name, record(name, fn), hidden=hidden)


def as_student(exercise, variant_name, fn_name="answer"):
    """The variant as a student would write it: source text run in a notebook-like namespace."""
    from bpkit_instructor.course.simulate import variant_source
    namespace = {"__name__": "__main__"}
    exec(compile(variant_source(exercise, variant_name, fn_name), "<student>", "exec"), namespace)
    return namespace[fn_name]


def sig(z):
    return 1 / (1 + np.exp(-z))


def delta_via_z(z, a, y):
    return sig(z) * (1 - sig(z)) * (a - y)


def delta_via_a(z, a, y):
    return a * (1 - a) * (a - y)


@pytest.mark.parametrize("fn", [delta_via_z, delta_via_a])
@pytest.mark.parametrize("hidden", [False, True])
def test_correct_and_equivalent_forms_pass(fn, hidden):
    v = judge("00.delta_L", fn, hidden)
    assert v.passed, v.message
    assert v.n_passed == v.n_cases == (5 if hidden else 1)
    assert "verified" in v.message


@pytest.mark.parametrize("variant", spec.get("00.delta_L").variants, ids=lambda v: v.name)
@pytest.mark.parametrize("hidden", [False, True])
def test_each_catalogued_misconception_is_named_with_its_hint(variant, hidden):
    v = judge("00.delta_L", as_student("00.delta_L", variant.name), hidden)
    assert not v.passed
    assert v.misconception == variant.name
    assert variant.hint in v.message


def test_visible_failure_shows_values_hidden_failure_does_not():
    wrong = lambda z, a, y: 2 * (a - y)  # noqa: E731
    visible, hidden = judge("00.delta_L", wrong), judge("00.delta_L", wrong, hidden=True)
    assert "expected (first entries)" in visible.message
    assert "expected (first entries)" not in hidden.message
    assert "max relative error" in hidden.message and "shape" in hidden.message


def test_transpose_is_named():
    v = judge("00.delta_L", lambda z, a, y: delta_via_z(z, a, y).T, hidden=True)
    assert not v.passed
    assert "transpose" in v.message


def test_hidden_cases_are_drawn_fresh_each_time():
    digests = {judge("00.square", lambda x: x ** 2, hidden=True).case_digest for _ in range(3)}
    assert len(digests) == 3


def test_hard_coded_visible_answer_fails_hidden():
    ex = spec.get("00.square")
    answer = ex.reference(**ex.visible[0])
    fn = lambda x: answer  # noqa: E731
    assert judge("00.square", fn).passed
    assert not judge("00.square", fn, hidden=True).passed


def test_exception_is_reported_with_its_type():
    def broken(x):
        raise ValueError("oops")
    v = judge("00.square", broken)
    assert not v.passed and "ValueError: oops" in v.message


@pytest.mark.parametrize("how", ["sys.exit", "os._exit", "SystemExit"])
def test_exiting_the_process_earns_nothing(how):
    def leave(x):
        import os
        import sys
        if how == "sys.exit":
            sys.exit(0)
        if how == "os._exit":
            os._exit(0)
        raise SystemExit(0)
    v = judge("00.square", leave)
    assert not v.passed
    assert "SystemExit" in v.message or "exit" in v.message


def test_infinite_loop_is_stopped_by_the_timeout():
    def spin(x):
        while True:
            pass
    v = judge("00.quick", spin)
    assert not v.passed
    assert any(f.startswith("timeout") for f in v.flags)


def test_calling_the_protected_reference_earns_nothing():
    from bpkit_instructor.exercises.a00 import reference_delta_L
    v = judge("00.delta_L", lambda z, a, y: reference_delta_L(z, a, y))
    assert not v.passed
    assert any(f.startswith("reference-called") for f in v.flags)


def test_calling_the_registry_reference_earns_nothing():
    ref = spec.get("00.delta_L").reference      # a lambda: pickled by value
    v = judge("00.delta_L", lambda z, a, y: ref(z, a, y))
    assert not v.passed


def test_reading_bpkit_source_inside_the_answer_is_refused():
    def sneaky(x):
        import inspect

        from bpkit.grading import compare
        inspect.getsource(compare)
        return x ** 2
    assert not judge("00.square", sneaky).passed


class Always(np.ndarray):
    def __eq__(self, other):
        return True

    def __array__(self, *args, **kwargs):
        return np.zeros(3)


class Rigged:
    def __eq__(self, other):
        return True

    def __array__(self, dtype=None, copy=None):
        return np.zeros(3)


@pytest.mark.parametrize("make", [lambda x: Rigged(), lambda x: np.zeros(3).view(Always),
                                  lambda x: "[1, 4, 9]", lambda x: None])
def test_rigged_return_values_are_coerced_and_fail(make):
    assert not judge("00.square", make).passed


def test_monkeypatching_numpy_in_the_callers_process_does_not_reach_the_judge(monkeypatch):
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np.testing, "assert_allclose", lambda *a, **k: None)
    assert not judge("00.square", lambda x: 2 * x).passed


def test_monkeypatching_numpy_inside_the_answer_does_not_reach_the_comparison():
    def patcher(x):
        import numpy
        numpy.allclose = lambda *a, **k: True
        numpy.array_equal = lambda *a, **k: True
        return 2 * x
    assert not judge("00.square", patcher, hidden=True).passed


def test_check_raises_checkfailed_with_the_diagnosis_and_prints_on_success(capsys):
    with pytest.raises(CheckFailed, match="missing σ′"):
        check("00.delta_L", lambda z, a, y: a - y)
    check("00.delta_L", delta_via_a, hidden=True)
    assert "verified" in capsys.readouterr().out


def test_unknown_exercise_is_named():
    v = judge("00.nope", lambda x: x)
    assert not v.passed and "00.nope" in v.message


def test_calling_an_engine_function_that_is_protected_earns_nothing():
    from bpkit.activations import sigmoid_prime
    v = judge("00.sigmoid_prime", lambda z: sigmoid_prime(z))
    assert not v.passed
    assert any(f.startswith("reference-called") for f in v.flags), v
    assert "calls bpkit's own implementation" in v.message


def test_using_a_protected_engine_class_earns_nothing():
    from bpkit.layers import Activation

    def via_layer(z):
        layer = Activation("sigmoid")
        out, cache = layer.forward(z.reshape(1, -1))
        return layer.backward(np.ones_like(out), cache).ravel()
    v = judge("00.sigmoid_prime", via_layer)
    assert not v.passed
    assert any(f.startswith("reference-called") for f in v.flags), v


def test_the_warm_judge_is_replaced_only_when_a_judging_variable_changes(monkeypatch, tmp_path):
    """A notebook setting MPLBACKEND or PATH, or changing folder, keeps the judge (same pid); a
    thread count or a BPKIT_ setting starts a new one (checker.judging_env says which count)."""
    warm = checkmod.warm_judge()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    monkeypatch.chdir(tmp_path / "a")
    monkeypatch.setenv(checkmod.ANSWERS_ENV, "answers")          # relative, as in a notebook
    assert judge("00.square", lambda x: x ** 2).passed
    first = warm.proc.pid
    monkeypatch.setenv("MPLBACKEND", "Agg-for-this-test")
    monkeypatch.setenv("PATH", "/nowhere:" + checkmod.os.environ.get("PATH", ""))
    monkeypatch.chdir(tmp_path / "b")        # the answer recorded here, not a's right one
    assert not judge("00.square", lambda x: x ** 3).passed and warm.proc.pid == first
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert judge("00.square", lambda x: x ** 2).passed and warm.proc.pid != first
    second = warm.proc.pid
    monkeypatch.setenv("BPKIT_SOMETHING_NEW", "1")
    assert judge("00.square", lambda x: x ** 2).passed and warm.proc.pid != second
    assert checkmod.judging_env({"OPENBLAS_NUM_THREADS": "2", "MKL_NUM_THREADS": "1", "HOME": "/x",
                                 "PYTHONPATH": "/y", "JPY_PARENT_PID": "7"}) == \
        {"OPENBLAS_NUM_THREADS": "2", "MKL_NUM_THREADS": "1"}


def test_honest_answer_to_a_protected_exercise_passes():
    assert judge("00.sigmoid_prime", lambda z: sig(z) * (1 - sig(z)), hidden=True).passed


def test_the_judge_stays_warm_and_is_replaced_when_it_dies():
    """Checks share one judge process; a judge killed between checks is replaced, and one that
    dies mid-request fails that request as judge-crashed, never as a pass."""
    warm = checkmod.warm_judge()
    assert judge("00.square", lambda x: x ** 2).passed
    first = warm.proc.pid
    assert judge("00.square", lambda x: x ** 2).passed and warm.proc.pid == first
    warm.proc.kill()
    warm.proc.wait()
    assert judge("00.square", lambda x: x ** 2).passed and warm.proc.pid != first
    path = record("00.square", lambda x: x ** 2)
    crashed = warm.ask([("00.square", path)], timeout=1e-9)   # no verdict in time: killed
    assert not crashed[0].passed and crashed[0].flags == ["judge-crashed"]
    assert warm.proc is None and judge("00.square", lambda x: x ** 2).passed
