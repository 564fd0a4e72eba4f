"""Grade a whole class: every submitted student, N workers, resumable, with a progress bar.

Each submission is graded by its own nbgrader run (bpkit_instructor.course.autograde.grade, in the worker's
process, each notebook in its own kernel) followed by the isolated re-judge, so any
``concurrent.futures``-style executor can fan the work out: a local process pool, or a Dask
cluster's ``client.get_executor()`` (tests/test_parallel_grading.py checks both against plain
serial nbgrader). SQLite has a single writer; each grade holds the gradebook only for a few short
transactions, sqlite's busy timeout serialises them, and autograde retries with backoff if one
still finds the database locked. Result records are written atomically, so a batch killed
half-way resumes with exactly the students that have no record.

A stored record is reused only while the release and the submission it was graded from are
unchanged (bpkit_instructor.course.fingerprint): change a cell's points, a test, an exercise module or a
submitted file, and the next run regrades what that touches, and says so.
"""
from __future__ import annotations

import ctypes
import difflib
import json
import os
import signal
import sys
import time
from collections import Counter
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass

from bpkit_instructor.course import autograde, fingerprint, paths, preflight
from bpkit_instructor.course import cells as nbcells
from bpkit_instructor.course.errors import CourseError, known_assignment


def students(assignment: str, root=None) -> list[str]:
    root = paths.course_root(root)
    return sorted(p.parent.name for p in (root / "submitted").glob(f"*/{assignment}") if p.is_dir())


def require_released(assignment: str, root=None) -> None:
    """nbgrader grades against the gradebook's copy of the source: it must be released, and
    released as it is now (a gradebook whose points disagree with solutions/ is never used)."""
    from nbgrader.api import Gradebook, MissingEntry  # nbgrader's API: imported where it is used
    known_assignment(assignment, root)
    db = paths.db_url(root)
    try:
        with Gradebook(db) as gb:
            gb.find_assignment(assignment)
    except MissingEntry:
        raise CourseError(f"assignment {assignment} is not released yet (not in the gradebook "
                          f"{db}): run `bpkit release {assignment}` first") from None
    differences = gradebook_mismatch(assignment, root)
    if differences:
        raise CourseError(
            f"the gradebook's release of {assignment} differs from solutions/{assignment}/"
            f"{assignment}.ipynb ({'; '.join(differences)}): run `bpkit release {assignment}`, "
            "then autograde again (only the affected grades are redone)")


def gradebook_mismatch(assignment: str, root=None) -> list[str]:
    """How the gradebook's graded cells (points, test source) differ from the source notebook."""
    from nbgrader.api import Gradebook, MissingEntry  # nbgrader's API: imported where it is used
    source = nbcells.read(paths.notebook("solutions", assignment, root), cache=True)
    want = {nbcells.grade_id(c): (nbcells.points(c), c.source.strip() if nbcells.is_test(c) else None)
            for c in source.cells if nbcells.meta(c).get("grade")}
    with Gradebook(paths.db_url(root)) as gb:
        try:
            nb = gb.find_notebook(assignment, assignment)
        except MissingEntry:
            return [f"no notebook {assignment} in the gradebook"]
        have = {g.name: float(g.max_score) for g in nb.grade_cells}
        sources = {c.name: (c.source or "").strip() for c in nb.source_cells}
    out = []
    for gid, (points, src) in want.items():
        if gid not in have:
            out.append(f"cell {gid}: not in the gradebook")
        elif have[gid] != points:
            out.append(f"cell {gid}: {have[gid]:g} points in the gradebook, {points:g} in the source")
        elif src is not None and gid in sources and sources[gid] != src:
            out.append(f"cell {gid}: its test code changed")
    out += [f"cell {gid}: in the gradebook, not in the source" for gid in have if gid not in want]
    return out


def stored_result(assignment: str, student: str, root=None) -> dict | None:
    path = paths.course_root(root) / "autograded" / student / assignment / autograde.RESULTS
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def why_regrade(assignment: str, student: str, root=None, release: dict | None = None) -> str | None:
    """None if the stored result still holds, else why it must be (re)graded: a result is valid
    only for the release and the submission content it was graded from."""
    stored = stored_result(assignment, student, root)
    if stored is None:
        return NEW
    was = stored.get("graded_from")
    if not was:
        return "graded before bpkit recorded what it graded from"
    release = release or fingerprint.release(assignment, root)
    if was["release"].get("hash") != release["hash"]:
        return f"release changed ({fingerprint.describe_change(was['release'], release)})"
    if was.get("submission") != fingerprint.submission(assignment, student, root):
        return "submission changed"
    return None


def is_done(assignment: str, student: str, root=None) -> bool:
    """Graded from the current release and the current submission content."""
    return why_regrade(assignment, student, root) is None


NEW = "not graded yet"


def plan(assignment: str, root=None, resume: bool = True, only=None) -> dict:
    """{student: reason} for every submission to (re)grade now. `only`: just these students,
    regraded whatever is stored."""
    root = paths.course_root(root)
    everyone = students(assignment, root)
    if only:
        unknown = [s for s in only if s not in everyone]
        if unknown:
            near = {s: difflib.get_close_matches(s, everyone, n=3) for s in unknown}
            raise CourseError(
                f"no submission of {assignment} from "
                + ", ".join(f"{s!r}" + (f" (similar: {', '.join(near[s])})" if near[s] else "")
                            for s in unknown)
                + f": submissions are read from {root / 'submitted'}/STUDENT/{assignment}/")
        return {s: "asked for (--student)" for s in only}
    if not resume:
        return {s: "asked for (--no-resume)" for s in everyone}
    release = fingerprint.release(assignment, root)
    reasons = {s: why_regrade(assignment, s, root, release) for s in everyone}
    return {s: why for s, why in reasons.items() if why is not None}


def summary(todo: dict, total: int) -> str:
    """'3 regraded: release changed (cell test_x points 2→3); 1 regraded: submission changed;
    4 up to date'."""
    counts = Counter(todo.values())
    parts = [f"{n} graded: {why}" if why == NEW else f"{n} regraded: {why}"
             for why, n in counts.most_common()]
    parts.append(f"{total - len(todo)} up to date")
    return "; ".join(parts)


class Progress:
    """A one-line text progress bar on stderr: students done / total."""

    def __init__(self, total, label, stream=sys.stderr, enabled=True):
        self.total, self.done, self.label, self.stream = total, 0, label, stream
        self.enabled, self.start = enabled, time.perf_counter()
        self.show()

    def step(self):
        self.done += 1
        self.show()

    def show(self):
        if not self.enabled:
            return
        width = 30
        filled = int(width * self.done / self.total) if self.total else width
        elapsed = time.perf_counter() - self.start
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] "
                          f"{self.done}/{self.total} students  {elapsed:5.1f}s")
        if self.done >= self.total:
            self.stream.write("\n")
        self.stream.flush()


@dataclass
class Interrupted(Exception):
    """Grading stopped by Ctrl-C (or SIGTERM): what was graded is kept."""
    assignment: str
    graded: int
    total: int

    def __str__(self):
        return (f"interrupted: {self.graded} of {self.total} submission(s) of {self.assignment} "
                f"graded and kept; run `bpkit autograde {self.assignment}` again to grade the "
                "rest")


def _die_with_parent() -> None:
    """Linux: SIGTERM this process when the process that started it dies."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the CLI's own stop() still ends the workers


def _worker_init() -> None:
    """A grading worker is stopped by the CLI, not by the terminal: it leads its own process
    group (the judge and nbgrader processes it starts belong to it), ignores Ctrl-C, and takes
    that group down on SIGTERM or when the CLI dies. Its kernels watch it and die with it."""
    os.setpgrp()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: os.killpg(0, signal.SIGKILL))
    _die_with_parent()


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end every worker's process group now."""
    pids = list(getattr(pool, "_processes", None) or {})  # the pool's own workers (CPython)
    pool.shutdown(wait=False, cancel_futures=True)
    for pid in pids:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def grade_all(assignment: str, root=None, workers: int = 1, executor: Executor | None = None,
              resume: bool = True, timeout: float = 60, progress: bool = True, only=None,
              announce=None) -> list[dict]:
    """Grade the submissions of `assignment` whose stored result is missing or stale (all of
    them with resume=False, just `only` if given); returns every student's result record.
    `announce(text)` receives one line saying what is regraded and why.

    Before any student: the preflight (bpkit_instructor.course.preflight) and the sandbox probe.
    Ctrl-C raises Interrupted after ending the workers; the records written so far stay."""
    root = paths.course_root(root)
    if workers < 1 or timeout <= 0:
        raise CourseError(f"workers must be at least 1 and the timeout positive (got "
                          f"{workers} worker(s), {timeout:g} s)")
    require_released(assignment, root)
    preflight.check(assignment, root)
    autograde.sandboxed()  # probed once here; the workers inherit the result
    everyone = students(assignment, root)
    reasons = plan(assignment, root, resume, only)
    todo = [s for s in everyone if s in reasons]
    if announce is not None:
        announce(f"{assignment}: {summary(reasons, len(everyone))}")
    bar = Progress(len(todo), f"grading {assignment}", enabled=progress)
    results = {}
    own = executor is None
    pool = executor or ProcessPoolExecutor(max_workers=min(workers, max(len(todo), 1)),
                                           initializer=_worker_init)
    try:
        futures = {pool.submit(autograde.grade, assignment, s, str(root), timeout): s
                   for s in todo}
        for fut in as_completed(futures):
            results[futures[fut]] = fut.result()
            bar.step()
    except KeyboardInterrupt:
        if own:
            _stop(pool)
        if progress:
            sys.stderr.write("\n")
        raise Interrupted(assignment, len(results), len(todo)) from None
    finally:
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
    stored = {r["student"]: r for r in autograde.load_results(assignment, root)}
    stored.update(results)
    return [stored[s] for s in everyone if s in stored]
