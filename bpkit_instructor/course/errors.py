"""Instructor mistakes: one clear line that says what to do, never a traceback."""
from __future__ import annotations

import difflib

from bpkit_instructor.course import paths


class CourseError(RuntimeError):
    """An error the instructor can fix; the message names the fix. The CLI prints it as one line
    and exits with status 2."""


def known_assignment(assignment: str, root=None) -> str:
    """`assignment` if solutions/ has it, else a CourseError listing the valid ids."""
    valid = paths.assignments(root) if (paths.course_root(root) / "solutions").is_dir() else []
    if assignment in valid:
        return assignment
    near = difflib.get_close_matches(assignment, valid, n=1, cutoff=0.6)
    hint = f" Did you mean {near[0]}?" if near else ""
    raise CourseError(f"unknown assignment {assignment!r}: the assignments are "
                      f"{', '.join(valid) or '(none: solutions/ is empty)'}.{hint}")
