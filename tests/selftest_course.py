"""A one-assignment course in a temporary folder, for testing the grading pipeline in isolation."""
from __future__ import annotations

import shutil
from pathlib import Path

from bpkit_instructor.course.authoring import md, readonly, solution, tests, write

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "00-selftest"

SETUP = """import numpy as np
from bpkit.grading import check"""

DELTA = '''def delta_L(z, a, y):
    """δ^[L] = σ′(z^[L]) ∘ (a^[L] − y), eq. (22); all arrays (n_L, B)."""
    ### BEGIN SOLUTION
    return a * (1 - a) * (a - y)
    ### END SOLUTION'''

TEST = '''check("00.delta_L", delta_L)
### BEGIN HIDDEN TESTS
check("00.delta_L", delta_L, hidden=True)
### END HIDDEN TESTS'''

SQUARE = '''def square(x):
    """x², elementwise."""
    ### BEGIN SOLUTION
    return x ** 2
    ### END SOLUTION'''


def build(root: Path) -> Path:
    """Write nbgrader_config.py and solutions/00-selftest into `root`; release it."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    write(root / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", [
        md("# Self-test assignment"),
        readonly("setup", SETUP),
        solution("delta_L", DELTA),
        tests("test_delta_L", 3, TEST),
        md("A second graded cell, so that attacks on one item leave the other one standing."),
        solution("square", SQUARE),
        tests("test_square", 2, 'check("00.square", square)\n### BEGIN HIDDEN TESTS\n'
                                'check("00.square", square, hidden=True)\n### END HIDDEN TESTS'),
    ])
    return root
