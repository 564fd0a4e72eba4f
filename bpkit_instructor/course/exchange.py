"""The course on a JupyterHub: publish, collect and return through nbgrader's exchange.

Thin wrappers: nbgrader does the work (``release_assignment``, ``collect``, ``release_feedback``);
these add what a course needs around it and say clearly what went wrong:

- ``publish``: regenerate the student version, set the due date, release it to the exchange;
- ``collect``: collect the newest submission of each student; set aside (never delete) the ones
  from students who are not on the roster; name the late ones; forget stale grades of students
  who resubmitted, so the next ``bpkit autograde`` grades what they handed in last;
- ``return_feedback``: leak-free feedback (bpkit_instructor/course/feedback.py), then release it.

The exchange is a directory every user of the machine can write (mode 777, as nbgrader's
documentation sets it up); where it is comes from ``c.Exchange.root`` in nbgrader_config.py.
"""
from __future__ import annotations

import getpass
import os
import pwd
import shutil
import stat
import subprocess
from datetime import datetime
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.utils import parse_utc
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from bpkit_instructor.course import autograde, feedback, paths, release

DEFAULT_EXCHANGE = "/srv/nbgrader/exchange"   # nbgrader's own default for c.Exchange.root
UNROSTERED = "unrostered"                      # submissions of students not on the roster


class ExchangeError(RuntimeError):
    """The exchange cannot be used; the message says why and what to do."""


def _config(root):
    """The course's nbgrader configuration: ~/.jupyter/nbgrader_config.py, then the course's own."""
    cfg = Config()
    for folder in (Path.home() / ".jupyter", paths.course_root(root)):
        if (folder / "nbgrader_config.py").exists():
            cfg.merge(PyFileConfigLoader("nbgrader_config.py", path=str(folder)).load_config())
    return cfg


def exchange_root(root=None) -> Path:
    return Path(_config(root).Exchange.get("root", None) or DEFAULT_EXCHANGE)


def course_id(root=None) -> str:
    return _config(root).CourseDirectory.get("course_id", None) or "bpkit"


def check_exchange(root=None) -> Path:
    """The exchange directory, if this user can publish into it; ExchangeError otherwise."""
    ex = exchange_root(root)
    user = getpass.getuser()
    fix = (f"an administrator creates it once, as nbgrader documents: "
           f"`sudo mkdir -p {ex} && sudo chmod 777 {ex}` "
           f"(or set c.Exchange.root in nbgrader_config.py to a directory that is)")
    if not ex.exists():
        parent = next((p for p in ex.parents if p.exists()), Path("/"))
        if not os.access(parent, os.W_OK | os.X_OK):
            raise ExchangeError(f"the exchange {ex} does not exist and {user} cannot create it: {fix}")
        return ex
    if not ex.is_dir():
        raise ExchangeError(f"the exchange {ex} is not a directory: {fix}")
    mode = stat.S_IMODE(ex.stat().st_mode)
    if not os.access(ex, os.W_OK | os.X_OK):
        raise ExchangeError(f"the exchange {ex} is not writable by {user} (mode {mode:o}, owner "
                            f"{_owner(ex)}): {fix}")
    if mode & 0o777 != 0o777 and ex.stat().st_uid != os.geteuid():
        # nbgrader would try to chmod it to 777 and fail with "permission denied"
        raise ExchangeError(f"the exchange {ex} has mode {mode:o}, students cannot write their "
                            f"submissions into it, and {user} does not own it: {fix}")
    return ex


def _owner(p: Path) -> str:
    try:
        return pwd.getpwuid(p.stat().st_uid).pw_name
    except KeyError:
        return str(p.stat().st_uid)


def _nbgrader(root, *args) -> str:
    root = paths.course_root(root)
    proc = subprocess.run(paths.nbgrader_cmd(*args), cwd=root, env=paths.nbgrader_env(),
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.splitlines() if "ERROR" in ln or "Error" in ln]
        raise ExchangeError(f"nbgrader {args[0]} {args[1] if len(args) > 1 else ''} failed: "
                            + ("\n".join(lines[-5:]) or proc.stderr[-2000:]))
    return proc.stderr


def _parse_due(due) -> datetime | None:
    if due is None or isinstance(due, datetime):
        return due
    return parse_utc(due)


def publish(assignment: str, root=None, due=None) -> Path:
    """Regenerate `assignment`'s student version, set its due date, release it to the exchange.

    Returns the released folder in the exchange. Publishing again replaces the release (students
    who already fetched keep their copy)."""
    root = paths.course_root(root)
    ex = check_exchange(root)
    release.generate(root, [assignment])      # exercises/ and the gradebook's copy of the source
    if due is not None:
        with Gradebook(paths.db_url(root)) as gb:
            gb.update_or_create_assignment(assignment, duedate=_parse_due(due))
    _nbgrader(root, "release_assignment", assignment, "--force", "--log-level=WARN")
    return ex / course_id(root) / "outbound" / assignment


def roster(root=None) -> list[str]:
    """Student ids in the gradebook (`nbgrader db student add/import`)."""
    with Gradebook(paths.db_url(root)) as gb:
        return sorted(s.id for s in gb.students)


def _timestamp(folder: Path):
    f = folder / "timestamp.txt"
    return f.read_text().strip() if f.exists() else None


def due_date(assignment: str, root=None):
    with Gradebook(paths.db_url(root)) as gb:
        try:
            return gb.find_assignment(assignment).duedate
        except MissingEntry:
            return None


def collect(assignment: str, root=None) -> dict:
    """Collect the newest submission of every student into submitted/.

    Returns {"collected": [...], "updated": [...], "late": {student: seconds late},
    "unrostered": [...], "roster": [...]}. Submissions of students not on the roster go to
    unrostered/STUDENT/ASSIGNMENT (they stay in the exchange too); an empty roster accepts
    everyone, as nbgrader does."""
    root = paths.course_root(root)
    ex = exchange_root(root)
    inbound = ex / course_id(root) / "inbound"
    if not inbound.is_dir():
        raise ExchangeError(f"nothing published for course {course_id(root)!r} in {ex}: "
                            f"run `bpkit publish {assignment}` first")
    before = {p.parent.name: _timestamp(p) for p in (root / "submitted").glob(f"*/{assignment}")}
    _nbgrader(root, "collect", assignment, "--update", "--log-level=WARN")
    after = {p.parent.name: _timestamp(p) for p in (root / "submitted").glob(f"*/{assignment}")}
    updated = sorted(s for s in after if s in before and after[s] != before[s])
    for s in updated:   # a stale grade would hide the newer submission from a resumed autograde
        (root / "autograded" / s / assignment / autograde.RESULTS).unlink(missing_ok=True)
    on_roster = roster(root)
    unrostered = sorted(s for s in after if on_roster and s not in on_roster)
    for s in unrostered:
        dest = root / UNROSTERED / s / assignment
        shutil.rmtree(dest, ignore_errors=True)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(root / "submitted" / s / assignment), dest)
        if not any((root / "submitted" / s).iterdir()):
            (root / "submitted" / s).rmdir()
    due = due_date(assignment, root)
    late = {}
    if due is not None:
        for s, ts in after.items():
            if ts and s not in unrostered:
                seconds = (parse_utc(ts) - due).total_seconds()
                if seconds > 0:
                    late[s] = seconds
    return {"collected": sorted(s for s in after if s not in unrostered), "updated": updated,
            "late": late, "unrostered": unrostered, "roster": on_roster}


def return_feedback(assignment: str, root=None, students=None) -> list[str]:
    """Write leak-free feedback for the graded students and release it to the exchange."""
    root = paths.course_root(root)
    check_exchange(root)
    graded = sorted(p.parent.name for p in (root / "autograded").glob(f"*/{assignment}"))
    if not graded:
        raise ExchangeError(f"no graded submissions of {assignment}: run `bpkit collect "
                            f"{assignment}` and `bpkit autograde {assignment}` first")
    feedback.generate(assignment, root, students)
    _nbgrader(root, "release_feedback", assignment, "--log-level=WARN")
    return sorted(p.parent.name for p in (root / "feedback").glob(f"*/{assignment}"))


def describe_collect(assignment: str, out: dict) -> str:
    lines = [f"collected {len(out['collected'])} submission(s) of {assignment}: "
             + (", ".join(out["collected"]) or "none")]
    if out["updated"]:
        lines.append("newer submission replaces the one collected before: " + ", ".join(out["updated"]))
    for s, seconds in sorted(out["late"].items()):
        lines.append(f"late: {s} submitted {_human(seconds)} after the due date "
                     "(nbgrader's late penalty applies at autograde)")
    for s in out["unrostered"]:
        lines.append(f"NOT ON THE ROSTER: {s} submitted {assignment}; set aside in "
                     f"{UNROSTERED}/{s}/{assignment}, not graded. If {s} belongs to the class: "
                     f"`nbgrader db student add {s}` and `bpkit collect {assignment}` again")
    if not out["roster"]:
        lines.append("no roster in the gradebook: every submitter is graded "
                     "(`nbgrader db student add ID` or `nbgrader db student import roster.csv`)")
    return "\n".join(lines)


def _human(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
