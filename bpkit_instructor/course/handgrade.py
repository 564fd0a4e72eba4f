"""Hand grading from the command line: a score (and a comment) for one manually graded answer.

    bpkit hand-grade 03-backprop s017 explain_delta_L 2 --comment "right idea, no units"

The same thing nbgrader's formgrader does in JupyterLab (Nbgrader ▸ Manage Assignments ▸ the
assignment ▸ Manual Grading): it sets the grade's manual score in the gradebook, and the
student's state goes from ``needs-hand-grading (N pts)`` to ``graded`` once no point waits.
"""
from __future__ import annotations

from bpkit_instructor.course import autograde, paths
from bpkit_instructor.course.errors import CourseError, known_assignment


def give(assignment: str, student: str, grade_id: str, points: float, comment: str | None = None,
         root=None) -> str:
    """Record `points` for the manually graded cell `grade_id`; returns what was recorded."""
    from nbgrader.api import Gradebook, MissingEntry  # nbgrader's API: imported where it is used
    root = paths.course_root(root)
    known_assignment(assignment, root)
    manual = autograde.manual_cells(assignment, root)
    if grade_id not in manual:
        raise CourseError(f"{grade_id!r} is not a manually graded cell of {assignment}: those "
                          f"are {', '.join(manual) or '(none)'}")
    if not 0 <= points <= manual[grade_id]:
        raise CourseError(f"{grade_id} is worth 0 to {manual[grade_id]:g} points, not {points:g}")
    with Gradebook(paths.db_url(root)) as gb:
        try:
            grade = gb.find_grade(grade_id, assignment, assignment, student)
        except MissingEntry:
            raise CourseError(f"no graded submission of {assignment} from {student!r} in the "
                              f"gradebook: run `bpkit autograde {assignment}` first") from None
        grade.manual_score = float(points)
        grade.needs_manual_grade = False
        if comment is not None:
            try:
                gb.find_comment(grade_id, assignment, assignment, student).manual_comment = comment
            except MissingEntry:
                pass
        gb.db.commit()
    return f"{assignment} {student} {grade_id}: {points:g} of {manual[grade_id]:g} points"
