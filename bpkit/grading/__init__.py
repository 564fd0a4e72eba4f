"""Checkers that nbgrader test cells call: ``check("03.delta_L", delta_L)``.

The check in the notebook is advisory (it tells the student what is wrong); the comparison runs
in a fresh judge process (bpkit.grading.judge), and the instructor's autograde re-runs that judge
outside the student's kernel, so nothing a student writes in the notebook can fake a pass.
"""
from bpkit.grading.checker import CheckFailed, check

__all__ = ["check", "CheckFailed"]
