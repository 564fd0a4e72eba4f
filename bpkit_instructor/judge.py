"""The instructor's re-judge: ``bpkit.grading.judge`` on the key's exercises, hidden cases too.

Run as ``python -I -m bpkit_instructor.judge EXERCISE ANSWER.pkl [--hidden | --all-cases]``.
The student's answer runs in the runner's locked-down child, which here also empties every
module of the key, forgets the key's registry and may not open the instructor's files.
"""
from __future__ import annotations

import os

from bpkit.grading import judge
from bpkit_instructor import spec
from bpkit_instructor.course import paths

MODULE = "bpkit_instructor.judge"  # what the checker runs to judge with the key (BPKIT_JUDGE)
_SECRET_DIRS = ("solutions", "submitted", "autograded", "feedback", "reports", "source",
                "release", ".git", "bpkit_instructor", "gradebook.db")


def secret_paths() -> tuple[str, ...]:
    """The instructor's files: the key, the nbgrader source and state, other students' work."""
    root = str(paths.course_root())
    key = os.path.dirname(os.path.abspath(spec.__file__))
    return tuple(os.path.join(root, d) for d in _SECRET_DIRS) + (key,)


def lock() -> dict:
    """The runner's lock-down arguments that keep the key out of the answer's reach."""
    return {"seal": ("bpkit_instructor",), "secret": secret_paths(), "forget": spec.forget}


def main(argv=None):
    judge.main(argv, resolve=spec.get, lock=lock())


if __name__ == "__main__":
    main()
