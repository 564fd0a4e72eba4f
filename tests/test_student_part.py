"""The student part of bpkit grades visible cases with no answer key: the released data.

`bpkit release` writes bpkit/grading/released/aNN.json (visible inputs, the reference's outputs,
every variant's outputs). These tests prove the committed data are current, and that a student's
check() (BPKIT_STUDENT=1: behave as if bpkit_instructor were not installed) gives the same verdicts
and names the same misconceptions as the instructor's judge, while hidden cases are deferred.
"""
import json
import os

import pytest

from bpkit_instructor.course import paths, simulate
from bpkit.grading import registry, released
from bpkit.grading.checker import record, run_judge_many

PREFIXES = sorted({a.split("-", 1)[0] for a in paths.assignments()} | {"00"})  # 00: tests/selftest_course.py


def test_released_data_match_the_key():
    assert released.out_of_sync(PREFIXES) == [], "run `make release` and commit bpkit/grading/released/"


def test_released_data_hold_no_code():
    for path in released.FOLDER.glob("a*.json"):
        text = path.read_text()
        for word in ("lambda", "def ", "import ", "__code__", "cloudpickle"):
            assert word not in text, (path.name, word)
        json.loads(text)  # plain JSON, nothing to execute


def _verdicts(pairs, student: bool, monkeypatch):
    if student:
        monkeypatch.setenv(registry.STUDENT_ENV, "1")
    else:
        monkeypatch.delenv(registry.STUDENT_ENV, raising=False)
    return run_judge_many(pairs, timeout=900) if pairs else []


@pytest.mark.parametrize("prefix", PREFIXES)
def test_student_check_names_what_the_key_names(prefix, tmp_path, monkeypatch):
    """Every catalogued variant (pasted as a student would, from its source) gets the same
    verdict and the same misconception name with and without the key, on the visible cases."""
    exercises = registry.key_module(prefix)
    pairs = []
    for name, ex in sorted(exercises.items()):
        for i, v in enumerate(ex.variants):
            ns = {}
            exec(compile(simulate.variant_source(name, v.name, "answer"), "<student>", "exec"), ns)
            monkeypatch.setenv("BPKIT_ANSWERS", str(tmp_path / f"{name}-{i}"))
            pairs.append((name, record(name, ns["answer"])))
    monkeypatch.setenv("BPKIT_ANSWERS", str(tmp_path))
    key = _verdicts(pairs, False, monkeypatch)
    student = _verdicts(pairs, True, monkeypatch)
    compared = 0
    for (name, _), k, s in zip(pairs, key, student):
        # --all-cases judges visible, then hidden; the student side defers the hidden part
        if k["hidden"]:
            assert s["passed"] and s.get("deferred"), (name, s)
            continue
        compared += 1
        assert not k["passed"] and not s["passed"], (name, k["message"], s["message"])
        assert s.get("misconception") == k.get("misconception"), (name, k["message"], s["message"])
    assert compared >= len(pairs) // 2, "most variants must be caught on the visible cases"


def test_hidden_cases_are_never_drawn_without_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv("BPKIT_ANSWERS", str(tmp_path))
    monkeypatch.setenv(registry.STUDENT_ENV, "1")
    assert not registry.has_key()
    ex = registry.get("03.delta_L")
    assert ex.reference is None and ex.cases(True, None) is None
    with pytest.raises(KeyError, match="unknown exercise"):
        registry.get("03.no_such_thing")
    assert os.environ[registry.STUDENT_ENV] == "1"
