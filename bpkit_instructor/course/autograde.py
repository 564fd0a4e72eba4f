"""Autograde one submission with nbgrader, then re-judge it where the student's kernel can't reach.

nbgrader scores a test cell by "did it raise", inside the student's own kernel, where one line of
monkeypatching turns every check into a pass. So after ``nbgrader autograde`` we re-run the judge
(bpkit_instructor.judge, the key's) in fresh processes on the answers the checks recorded, and a cell keeps its
points only if nbgrader *and* the judge agree. Disagreements, deleted test cells, timeouts and
crashes become named flags; the corrected score goes into nbgrader's gradebook as a manual score.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat

from bpkit.grading.checker import ANSWERS_DIR, ANSWERS_ENV, run_judge_many
from bpkit.grading.verdict import Verdict
from bpkit_instructor import judge
from bpkit_instructor.course import cells as nbcells
from bpkit_instructor.course import checkcalls, fingerprint, paths, sandbox
from bpkit_instructor.course.errors import CourseError

RESULTS = ".bpkit-results.json"  # dot-file: nbgrader does not copy it into feedback/
JUDGE_MODULE = judge.MODULE  # the re-judge's module (a test may name a failing one)
# verdict flags that say the grader failed, not the student: the grade is an error, never a 0
GRADER_FAILED = ("judge-crashed", "unknown-exercise", "no-released-data")
# a check that never ran (its cell raised first) is an unanswered question, not a flag
UNANSWERED = "no-answer-recorded"


def grade_cells(assignment: str, root=None) -> dict:
    """{grade_id: {"points", "checks"}} for the test cells of the source notebook."""
    nb = nbcells.read(paths.notebook("solutions", assignment, root), cache=True)
    return {nbcells.grade_id(c): {"points": nbcells.points(c), "checks": checkcalls.names(c.source)}
            for c in nb.cells if nbcells.is_test(c)}


def manual_cells(assignment: str, root=None) -> dict:
    """{grade_id: points} of the answers graded by hand (nbgrader's manually graded cells)."""
    nb = nbcells.read(paths.notebook("solutions", assignment, root), cache=True)
    return {nbcells.grade_id(c): nbcells.points(c) for c in nb.cells if nbcells.is_manual(c)}


SANDBOX_ENV = "BPKIT_SANDBOX_MODE"  # "off": without the sandbox (--no-sandbox); "checked": probed


def sandboxed() -> bool:
    """Grade in the sandbox (the default), or refuse: never a silent downgrade. bubblewrap is
    probed once per run: the result is kept in the environment the workers inherit."""
    mode = os.environ.get(SANDBOX_ENV, "on")
    if mode == "off":
        return False
    if mode != "checked":
        reason = sandbox.problem()
        if reason:
            raise CourseError(reason)
        os.environ[SANDBOX_ENV] = "checked"
    return True


def run_nbgrader(assignment: str, student: str, root=None, timeout: float = 60,
                 inprocess: bool | None = None) -> tuple[int, str]:
    """``nbgrader autograde ASSIGNMENT --student=STUDENT --force``; returns (exit code, log).

    In-process by default (what plain ``nbgrader autograde`` does for each student in its loop):
    a fresh nbgrader process costs ~2 s of imports (nbformat -> jsonschema -> rfc3987_syntax
    builds a parser at import), more than grading a small notebook, and a worker grades many
    students. The student's code runs in a kernel either way, never in this process.
    ``BPKIT_NBGRADER=subprocess`` (or inprocess=False) runs the nbgrader command instead.
    """
    if inprocess is None:
        inprocess = os.environ.get("BPKIT_NBGRADER", "inprocess") != "subprocess"
    # each student's kernel must record its answers next to its own notebook (the kernel's
    # working directory), where the re-judge looks for them: never in a shared folder
    os.environ.pop(ANSWERS_ENV, None)
    # each kernel in a bubblewrap sandbox: the student part only, no network, limits
    # (bpkit_instructor/course/sandbox.py); its kernelspec lives in a private JUPYTER_PATH
    in_sandbox = sandboxed()
    env = dict(paths.nbgrader_env())
    if in_sandbox:
        extra = sandbox.grading_env(paths.course_root(root))
        env.update(extra)
        os.environ.update(extra)  # the in-process nbgrader finds the kernelspec there
    for attempt in range(4):  # SQLite has one writer: retry a run that lost the lock race
        if inprocess:
            code, log = _nbgrader_inprocess(assignment, student, paths.course_root(root), timeout,
                                            in_sandbox)
        else:
            cmd = paths.nbgrader_cmd("autograde", assignment, f"--student={student}", "--force",
                                     f"--Execute.timeout={int(timeout)}", "--log-level=WARN")
            if in_sandbox:
                cmd += [f"--Execute.kernel_name={sandbox.KERNEL_NAME}",
                        "--Execute.kernel_manager_class=bpkit_instructor.course.sandbox.SandboxKernelManager"]
            proc = subprocess.run(cmd, cwd=paths.course_root(root), env=env,
                                  capture_output=True, text=True, stdin=subprocess.DEVNULL)
            code, log = proc.returncode, proc.stderr
        if code == 0 or "database is locked" not in log:
            break
        time.sleep(0.5 * 2 ** attempt)
    return code, log


def _nbgrader_inprocess(assignment: str, student: str, root: Path, timeout: float,
                        in_sandbox: bool = False):
    # nbgrader's application classes: only the in-process run needs them
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    cfg.CourseDirectory.root = str(root)  # absolute paths: no os.chdir (dask runs threads)
    cfg.CourseDirectory.db_url = paths.db_url(root)
    cfg.Execute.timeout = int(timeout)
    cfg.NbGraderAPI.log_level = "WARN"
    if in_sandbox:
        sandbox.configure(cfg)
    api = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)
    captured = []
    with _captured_stderr(captured):  # the kernels' chatter, as a subprocess would hide it
        out = api.autograde(assignment, student, force=True, create=True)
    return (0 if out["success"] else 1), "\n".join(
        captured + [out.get("log", ""), out.get("error", "")])


@contextlib.contextmanager
def _captured_stderr(into: list):
    """Send file descriptor 2 (inherited by the kernels) to a temporary file meanwhile; its text
    is appended to `into`.

    Only on the main thread: fd 2 is shared by the whole process (a Dask worker runs tasks in
    threads, and there the chatter simply goes to the worker's log)."""
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as tmp:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(tmp.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            into.append(tmp.read())


def read_submission(submitted: Path, assignment: str):
    """(parsed notebook, None) or (None, a named reason it cannot be graded): the student's
    latest submission, parsed once."""
    expected = submitted / f"{assignment}.ipynb"
    if not expected.exists():
        found = sorted(p.name for p in submitted.glob("*.ipynb"))
        return None, (f"missing-notebook: {expected.name} not found"
                      + (f" (found {', '.join(found)})" if found else ""))
    try:
        return nbformat.read(expected, as_version=4), None
    except Exception as err:  # noqa: BLE001 - any parse failure is reported by name
        first = (str(err).splitlines() or [""])[0][:200]
        return None, f"corrupt-notebook: {type(err).__name__}: {first}"


def name_error(stderr: str) -> str:
    """A short, named reason why nbgrader could not grade a readable submission."""
    if "DeadKernelError" in stderr or "Kernel died" in stderr:
        return "kernel-died: the notebook's kernel exited during grading (exit() or os._exit()?)"
    if "CellTimeoutError" in stderr or "timed out" in stderr.lower():
        return "timeout: a cell ran past the time limit"
    causes = [line.strip() for line in stderr.splitlines()
              if re.search(r"\w+(Error|Exception|Missing\w*): ", line) and "Please see" not in line]
    last = causes[-1:] or [line for line in stderr.strip().splitlines() if line.strip()][-1:]
    return "nbgrader-error: " + (last[0][:300] if last else "unknown error")


# reasons that are the submission's own and come back on every try
DETERMINISTIC = ("missing-notebook", "corrupt-notebook")


def rejudge(autograded: Path, checks: list[str]) -> list[dict]:
    """Judge each recorded answer on visible and fresh hidden cases, outside the student's
    kernel: one fresh judge interpreter for all of them."""
    verdicts, pairs = {}, []
    for name in checks:
        answer = autograded / ANSWERS_DIR / (re.sub(r"[^A-Za-z0-9_.-]", "_", name) + ".pkl")
        if answer.exists():
            pairs.append((name, answer))
        else:
            verdicts[name] = Verdict.failed(name, UNANSWERED,
                                            "no answer was recorded (the check did not run)").to_dict()
    if pairs:
        found = run_judge_many(pairs, module=JUDGE_MODULE)
        verdicts.update(zip([n for n, _ in pairs], [v.to_dict() for v in found]))
    return [verdicts[name] for name in checks]


def grader_failure(verdicts) -> str | None:
    """'judge-crashed: ...' if the grader itself failed on any check (never the student's 0)."""
    for v in verdicts:
        for f in v.get("flags", []):
            if f.split(":")[0] in GRADER_FAILED:
                return (f"{f.split(':')[0]}: the grader failed on {v['exercise']}; fix the cause "
                        "(`bpkit autograde` checks the key first) and grade again")
    return None


def forget_old_grade(assignment: str, student: str, root: Path) -> None:
    """An unreadable latest submission leaves no older score behind: nbgrader's grades of the
    earlier submission and its autograded notebook go; the gradebook holds the submission with
    no score, as plain `nbgrader autograde` leaves an unreadable notebook (the record says why)."""
    from nbgrader.api import MissingEntry  # nbgrader's API: imported where the gradebook is used

    def replace(gb):
        try:
            gb.remove_submission(assignment, student)
        except MissingEntry:
            pass
        gb.update_or_create_student(student)
        gb.add_submission(assignment, student)
    _with_gradebook(paths.db_url(root), replace)
    for nb in (root / "autograded" / student / assignment).glob("*.ipynb"):
        nb.unlink()


def grade(assignment: str, student: str, root=None, timeout: float = 60) -> dict:
    """Grade one student's submission; returns (and stores) the result record."""
    root = paths.course_root(root)
    start = time.perf_counter()
    submitted = root / "submitted" / student / assignment
    autograded = root / "autograded" / student / assignment
    shutil.rmtree(submitted / ANSWERS_DIR, ignore_errors=True)  # answers are made at grading time
    cells = grade_cells(assignment, root)
    manual = manual_cells(assignment, root)
    result = {"student": student, "assignment": assignment, "score": 0.0,
              "max_score": sum(c["points"] for c in cells.values()) + sum(manual.values()),
              "cells": {}, "manual": manual, "flags": [], "misconceptions": [], "error": None,
              "unanswered": []}
    # what this grade is computed from: a later run reuses it only while both are unchanged
    result["graded_from"] = fingerprint.graded_from(assignment, student, root)
    sandbox.note_path(autograded).unlink(missing_ok=True)  # a note of an earlier run
    submission, error = read_submission(submitted, assignment)
    if submission is None:  # never graded, and no older score is left standing
        result["error"] = error
        result["flags"].append(error.split(":")[0])
        forget_old_grade(assignment, student, root)
        return _store(result, autograded, start)
    written, total = fingerprint.answers_written(assignment, submission, root)
    result["answered"] = [written, total]
    result["blank"] = total > 0 and written == 0
    code, stderr = run_nbgrader(assignment, student, root, timeout)
    graded_nb = autograded / f"{assignment}.ipynb"
    if (code != 0 or not graded_nb.exists()) and not sandbox.limits_hit(autograded):
        # once more: a kernel that did not start on a loaded machine is not the student's fault
        code, stderr = run_nbgrader(assignment, student, root, timeout)
    if code != 0 or not graded_nb.exists():
        limits = sandbox.limits_hit(autograded)
        result["error"] = limits[0] if limits else name_error(stderr)
        result["flags"].append(result["error"].split(":")[0])
        return _store(result, autograded, start)
    graded = nbformat.read(graded_nb, as_version=4)
    present = {nbcells.grade_id(c) for c in graded.cells}
    result["flags"] += sandbox.limits_hit(autograded, graded)
    db_url = paths.db_url(root)
    # the gradebook is opened only for two short transactions, never across the re-judge
    # (which takes seconds): SQLite has one writer and other workers' nbgrader runs wait for it
    nb_scores = _with_gradebook(db_url, lambda gb: {
        gid: _auto_score(gb, gid, assignment, student) for gid in cells})
    to_judge = [n for gid, info in cells.items() if gid in present for n in info["checks"]]
    judged_by_name = dict(zip(to_judge, rejudge(autograded, to_judge)))
    failure = grader_failure(judged_by_name.values())
    if failure:  # the grader's fault: an error to fix and regrade, never a 0 for the student
        result["error"] = failure
        result["flags"].append(failure.split(":")[0])
        return _store(result, autograded, start)
    for grade_id, info in cells.items():
        nb_score = nb_scores[grade_id]
        entry = {"points": info["points"], "nbgrader": nb_score, "checks": []}
        if grade_id not in present:
            entry["final"], entry["deleted"] = 0.0, True
            result["flags"].append(f"deleted-cell: {grade_id}")
        else:
            if not info["checks"]:  # a plain nbgrader test cell (asserts): nbgrader's score
                entry["final"], entry["plain"] = float(nb_score or 0), True
                result["cells"][grade_id] = entry
                continue
            verdicts = [judged_by_name[n] for n in info["checks"]]
            entry["checks"] = verdicts
            judged = all(v.get("passed") for v in verdicts) and bool(verdicts)
            entry["final"] = info["points"] if (judged and (nb_score or 0) >= info["points"]) else 0.0
            # a visible case is judged alike in the kernel and here: a pass there and a fail here
            # means the kernel was tampered with (hidden cases are only judged here)
            if (nb_score or 0) > 0 and any(not v.get("passed") and not v.get("hidden")
                                           for v in verdicts):
                result["flags"].append(f"judge-disagrees: {grade_id} passed in the notebook "
                                       "but not in the isolated judge (tampering?)")
            for v in verdicts:
                if v.get("misconception"):
                    result["misconceptions"].append(f"{v['exercise']}: {v['misconception']}")
                for f in v.get("flags", []):
                    if f.split(":")[0] == UNANSWERED:
                        result["unanswered"].append(v["exercise"])
                    else:
                        result["flags"].append(f"{v['exercise']}: {f.split(':')[0]}")
        result["cells"][grade_id] = entry

    def write_overrides(gb):
        from nbgrader.api import MissingEntry  # nbgrader's API: imported where it is used
        for grade_id, entry in result["cells"].items():
            try:
                g = gb.find_grade(grade_id, assignment, assignment, student)
            except MissingEntry:
                continue
            # a re-grade also clears an override that no longer applies
            nb_score = entry["nbgrader"] or 0
            if entry.get("deleted"):  # an explicit 0 in the gradebook, not a silent None
                g.manual_score = 0.0
            else:
                g.manual_score = None if entry["final"] == nb_score else entry["final"]
        gb.db.commit()

    _with_gradebook(db_url, write_overrides)
    _show_judge_verdicts(graded_nb, graded, result)
    result["score"] = sum(c["final"] for c in result["cells"].values())
    return _store(result, autograded, start)


def _show_judge_verdicts(path: Path, graded, result) -> None:
    """A test cell that passed in the kernel but not in the re-judge (hidden cases are judged
    only here; a value answer's visible check looks at its form only) gets the judge's words as
    an output, so that the feedback says why the cell earned nothing."""
    changed = False
    for cell in graded.cells:
        entry = result["cells"].get(nbcells.grade_id(cell))
        if not entry or not entry.get("nbgrader") or entry["final"] >= entry["points"]:
            continue
        failed = [v["message"] for v in entry["checks"] if not v.get("passed") and v.get("message")]
        if failed:
            cell.outputs.append(nbformat.v4.new_output(
                "error", ename="CheckFailed", evalue="\n" + "\n".join(failed), traceback=[]))
            changed = True
    if changed:
        nbformat.write(graded, str(path))


def _auto_score(gb, grade_id, assignment, student):
    from nbgrader.api import MissingEntry  # nbgrader's API: imported where it is used
    try:
        return gb.find_grade(grade_id, assignment, assignment, student).auto_score
    except MissingEntry:
        return None


def _with_gradebook(db_url: str, fn, attempts: int = 8):
    """fn(gradebook) in one short session; retried with backoff if SQLite stays locked."""
    # nbgrader's API: imported where the gradebook is used
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import OperationalError

    for attempt in range(attempts):
        try:
            with Gradebook(db_url) as gb:
                try:
                    return fn(gb)
                except BaseException:
                    gb.db.rollback()
                    raise
        except OperationalError as err:
            if "locked" not in str(err) or attempt == attempts - 1:
                raise
            time.sleep(min(0.2 * 2 ** attempt, 5.0))


def _store(result, autograded: Path, start) -> dict:
    result["seconds"] = round(time.perf_counter() - start, 3)
    autograded.mkdir(parents=True, exist_ok=True)
    tmp = autograded / (RESULTS + ".tmp")  # atomic: a batch killed mid-write leaves no half file
    tmp.write_text(json.dumps(result, indent=1))
    os.replace(tmp, autograded / RESULTS)
    return result


def load_results(assignment: str, root=None) -> list[dict]:
    root = paths.course_root(root)
    out = []
    for path in sorted((root / "autograded").glob(f"*/{assignment}/{RESULTS}")):
        out.append(json.loads(path.read_text()))
    return out
