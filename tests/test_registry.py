"""Every graded exercise of the course: the reference passes, each catalogued misconception is
caught and named, on visible and on freshly drawn hidden cases."""
import re
import sys

import cloudpickle
import pytest

from bpkit.grading.checker import record, run_judge
from bpkit_instructor import spec
from bpkit_instructor.course.simulate import variant_source

EXERCISES = {k: v for k, v in sorted(spec.all_exercises().items()) if not k.startswith("00.")}
VARIANTS = [(name, v.name) for name, ex in EXERCISES.items() for v in ex.variants]
cloudpickle.register_pickle_by_value(sys.modules[__name__])


@pytest.fixture(autouse=True)
def answers_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("BPKIT_ANSWERS", str(tmp_path))


def as_student(exercise, variant_name):
    namespace = {"__name__": "__main__"}
    exec(compile(variant_source(exercise, variant_name, "answer"), "<student>", "exec"), namespace)
    return namespace["answer"]


def test_every_graded_function_has_two_misconceptions_and_hidden_cases():
    assert len(EXERCISES) >= 20
    for name, ex in EXERCISES.items():
        assert len(ex.variants) >= 2, name
        assert ex.hidden is not None and ex.visible, name


def test_the_course_catalogue_covers_the_classic_mistakes():
    text = " ".join(f"{v.name} {v.hint}" for ex in EXERCISES.values() for v in ex.variants).lower()
    for needle in ["σ′", "transpose|wᵀ|w instead", "÷b|divide|/b|batch size", "sign",
                   "axis", "outer|order", "forward", "layer index|off-by-one|off by one",
                   "bessel|unbiased", "mean", "identity", "rescale|scale"]:
        assert re.search(needle, text), needle


@pytest.mark.parametrize("name,variant_name", VARIANTS)
def test_misconception_is_caught_and_named(name, variant_name):
    """It fails on visible and hidden cases and is named by its catalogue entry at least once
    (two variants can coincide on one case; a `score=` exercise with a random variant may only
    fail)."""
    answer = as_student(name, variant_name)
    named = []
    # a value answer's visible check looks at its form only: the hidden check grades it
    for hidden in ((True, True, True) if EXERCISES[name].value else (False, True, True, True)):
        v = run_judge(name, record(name, answer), hidden=hidden)
        assert not v.passed, (hidden, v)
        assert "raised NameError" not in v.message, v.message
        named.append(v.misconception)
        if variant_name in named:
            break
    if EXERCISES[name].score is None:
        assert variant_name in named, named
