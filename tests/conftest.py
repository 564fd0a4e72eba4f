"""Test-wide setting: check() calls in executed notebooks judge with the answer key (hidden cases
too), as on the instructor's machine; tests of the student part name the student judge."""
import os

from bpkit.grading.checker import JUDGE_ENV
from bpkit_instructor import judge

os.environ[JUDGE_ENV] = judge.MODULE
