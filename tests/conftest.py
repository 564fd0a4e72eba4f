"""Test-wide setting: check() calls in executed notebooks judge with the answer key (hidden cases
too), as on the instructor's machine; tests of the student part name the student judge."""
import json
import os
from pathlib import Path

import pytest

from bpkit.grading import checker
from bpkit.grading.checker import JUDGE_ENV
from bpkit_instructor import judge
from bpkit_instructor.course import cells as nbcells

os.environ[JUDGE_ENV] = judge.MODULE

LAYER_API = Path(__file__).resolve().parents[1] / "solutions" / "09-layer-api" / "09-layer-api.ipynb"
LAYER_API_CELLS = ("setup", "rmsnorm_forward", "rmsnorm_backward", "network", "grad_check", "blackbox_layer")


@pytest.fixture()
def student09(tmp_path, monkeypatch):
    """Assignment 09's solution as a student's namespace: the code cells up to grad_check and the
    locked blackbox_layer helper, run as a notebook runs them (functions pickle by value); the
    answers a check records go to tmp_path (tests/test_gradcheck_blackbox.py,
    tests/test_09_visible_blackbox.py)."""
    monkeypatch.setenv(checker.ANSWERS_ENV, str(tmp_path))
    ns = {"__name__": "student_answer"}
    for c in json.loads(LAYER_API.read_text())["cells"]:
        gid = nbcells.grade_id(c) or ""
        if c["cell_type"] == "code" and gid in LAYER_API_CELLS:
            exec(compile("".join(c["source"]).replace("from bpkit.grading import check", ""),
                         gid, "exec"), ns)
    return ns
