"""Grade a whole class: every submitted student, N workers, resumable, with a progress bar.

Each submission is graded by its own nbgrader run (bpkit.course.autograde.grade, in the worker's
process, each notebook in its own kernel) followed by the isolated re-judge, so any
``concurrent.futures``-style executor can fan the work out: a local process pool, or a Dask
cluster's ``client.get_executor()`` (tests/test_parallel_grading.py checks both against plain
serial nbgrader). SQLite has a single writer; each grade holds the gradebook only for a few short
transactions, sqlite's busy timeout serialises them, and autograde retries with backoff if one
still finds the database locked. Result records are written atomically, so a batch killed
half-way resumes with exactly the students that have no record.
"""
from __future__ import annotations

import sys
import time
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed

from bpkit.course import autograde, paths


def students(assignment: str, root=None) -> list[str]:
    root = paths.course_root(root)
    return sorted(p.parent.name for p in (root / "submitted").glob(f"*/{assignment}") if p.is_dir())


def require_released(assignment: str, root=None) -> None:
    """nbgrader grades against the gradebook's copy of the source: it must be released first."""
    from nbgrader.api import Gradebook, MissingEntry
    db = paths.db_url(root)
    try:
        with Gradebook(db) as gb:
            gb.find_assignment(assignment)
    except MissingEntry:
        raise RuntimeError(f"assignment {assignment!r} is not in the gradebook {db}: "
                           f"run `bpkit release {assignment}` (or `make release`) first") from None


def is_done(assignment: str, student: str, root=None) -> bool:
    """Already graded, and graded after the submission last changed."""
    root = paths.course_root(root)
    stored = root / "autograded" / student / assignment / autograde.RESULTS
    submitted = root / "submitted" / student / assignment
    if not stored.exists():
        return False
    newest = max((p.stat().st_mtime for p in submitted.rglob("*") if p.is_file()), default=0)
    return stored.stat().st_mtime >= newest


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


def grade_all(assignment: str, root=None, workers: int = 1, executor: Executor | None = None,
              resume: bool = True, timeout: float = 60, progress: bool = True) -> list[dict]:
    """Grade every submission of `assignment`; returns the result records (sorted by student)."""
    root = paths.course_root(root)
    require_released(assignment, root)
    everyone = students(assignment, root)
    todo = [s for s in everyone if not (resume and is_done(assignment, s, root))]
    bar = Progress(len(todo), f"grading {assignment}", enabled=progress)
    results = {}
    if executor is None and workers <= 1:
        for s in todo:
            results[s] = autograde.grade(assignment, s, str(root), timeout)
            bar.step()
    else:
        own = executor is None
        pool = executor or ProcessPoolExecutor(max_workers=workers)
        try:
            futures = {pool.submit(autograde.grade, assignment, s, str(root), timeout): s
                       for s in todo}
            for fut in as_completed(futures):
                results[futures[fut]] = fut.result()
                bar.step()
        finally:
            if own:
                pool.shutdown()
    stored = {r["student"]: r for r in autograde.load_results(assignment, root)}
    stored.update(results)
    return [stored[s] for s in everyone if s in stored]
