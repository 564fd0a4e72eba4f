"""The course configuration: ``course.toml`` at the course root says which assignments the
students get and, optionally, when each is due.

    # course.toml
    released = ["01-chain-rule", "02-naive-derivatives", "03-backprop"]

    [due]
    "03-backprop" = "2026-12-07 17:00:00 UTC"

``bpkit bundle`` ships only the released assignments (a half-finished one in solutions/ stays
home), ``bpkit publish`` refuses the others, ``bpkit release`` puts the due dates into nbgrader's
gradebook, and a submission handed in after its due date has the state ``late``. Without the
file every assignment in solutions/ is released and none is due.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import datetime, timezone

from bpkit_instructor.course import paths
from bpkit_instructor.course.errors import CourseError

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = None

FILE = "course.toml"


@dataclass
class CourseConfig:
    released: list[str]
    due: dict[str, datetime] = field(default_factory=dict)


def _parse_date(text: str, where: str) -> datetime:
    from nbgrader.utils import parse_utc  # nbgrader's parser: the same dates `--due` takes
    try:
        when = parse_utc(str(text))
    except (ValueError, OverflowError) as err:
        raise CourseError(f"{where}: {text!r} is not a date ({err}); write it like "
                          '"2026-12-07 17:00:00 UTC"') from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def load(root=None) -> CourseConfig:
    """The course configuration (every assignment released, none due, without course.toml)."""
    root = paths.course_root(root)
    everything = paths.assignments(root) if (root / "solutions").is_dir() else []
    path = root / FILE
    if not path.exists():
        return CourseConfig(released=everything)
    if tomllib is None:
        raise CourseError(f"{path}: reading it needs Python 3.11 or `pip install tomli`")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise CourseError(f"{path}: not valid TOML ({err}); fix it and run the command "
                          "again") from None
    released = data.get("released", everything)
    if not isinstance(released, list) or not all(isinstance(a, str) for a in released):
        raise CourseError(f'{path}: `released` must be a list of assignment ids, e.g. '
                          f'released = ["{(everything or ["01-chain-rule"])[0]}"]')
    due = data.get("due", {})
    if not isinstance(due, dict):
        raise CourseError(f'{path}: [due] must map assignment ids to dates, e.g. '
                          '"03-backprop" = "2026-12-07 17:00:00 UTC"')
    for a in list(released) + list(due):
        if a not in everything:
            near = difflib.get_close_matches(a, everything, n=1)
            raise CourseError(f"{path}: {a!r} is not an assignment of solutions/"
                              + (f" (did you mean {near[0]}?)" if near else
                                 f" (the assignments are {', '.join(everything)})"))
    return CourseConfig(released=list(released),
                        due={a: _parse_date(d, f"{path} [due] {a}") for a, d in due.items()})


def released(root=None) -> list[str]:
    return load(root).released


def due(assignment: str, root=None) -> datetime | None:
    """The due date of `assignment`: course.toml's, else the one in nbgrader's gradebook
    (`bpkit publish --due`); None if it has none."""
    found = load(root).due.get(assignment)
    if found is not None:
        return found
    db = paths.db_url(root)
    if db.startswith("sqlite:///") and not paths.course_root(root).joinpath(
            db[len("sqlite:///"):]).exists():
        return None
    from nbgrader.api import Gradebook, MissingEntry  # nbgrader's API: imported where it is used
    with Gradebook(db) as gb:
        try:
            when = gb.find_assignment(assignment).duedate
        except MissingEntry:
            return None
    return when.replace(tzinfo=timezone.utc) if when and when.tzinfo is None else when


def require_released(assignment: str, root=None) -> None:
    """CourseError unless course.toml releases `assignment` (publish, the hub)."""
    if assignment not in released(root):
        raise CourseError(f"{assignment} is not released in {FILE}: add it to `released` "
                          "when it is ready for the students")
