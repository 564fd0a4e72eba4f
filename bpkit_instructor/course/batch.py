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

import difflib
import json
import sys
import time
from collections import Counter
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed

from bpkit_instructor.course import autograde, fingerprint, paths
from bpkit_instructor.course.errors import CourseError, known_assignment


def students(assignment: str, root=None) -> list[str]:
    root = paths.course_root(root)
    return sorted(p.parent.name for p in (root / "submitted").glob(f"*/{assignment}") if p.is_dir())


def require_released(assignment: str, root=None) -> None:
    """nbgrader grades against the gradebook's copy of the source: it must be released, and
    released as it is now (a gradebook whose points disagree with solutions/ is never used)."""
    from nbgrader.api import Gradebook, MissingEntry
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
    import nbformat
    from nbgrader.api import Gradebook, MissingEntry
    source = nbformat.read(paths.notebook("solutions", assignment, root), as_version=4)
    want = {}
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            want[meta["grade_id"]] = (float(meta.get("points", 0) or 0),
                                      None if meta.get("solution") else cell.source.strip())
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


def grade_all(assignment: str, root=None, workers: int = 1, executor: Executor | None = None,
              resume: bool = True, timeout: float = 60, progress: bool = True, only=None,
              announce=None) -> list[dict]:
    """Grade the submissions of `assignment` whose stored result is missing or stale (all of
    them with resume=False, just `only` if given); returns every student's result record.
    `announce(text)` receives one line saying what is regraded and why."""
    root = paths.course_root(root)
    require_released(assignment, root)
    everyone = students(assignment, root)
    reasons = plan(assignment, root, resume, only)
    todo = [s for s in everyone if s in reasons]
    if announce is not None:
        announce(f"{assignment}: {summary(reasons, len(everyone))}")
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
