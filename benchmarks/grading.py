"""Grading speed: plain serial ``nbgrader autograde`` vs bpkit's parallel batch, and the cost of
the checker's isolation, measured in the same run (never asserted).

    python -m benchmarks.grading [--students 60] [--workers 2] [--quick]

The class is the self-test course (tests/selftest_course.py: one assignment, two graded cells,
four check() calls per notebook) with a synthetic class from bpkit_instructor.course.simulate (mostly
honest, some blanks and misconceptions, one attack in ten). Three copies of the same starting
point are graded:

* plain: ``nbgrader autograde A --force`` — one nbgrader process, every student in turn;
* ours: ``batch.grade_all(workers=N)`` — nbgrader per student + isolated re-judge of every
  recorded answer in fresh processes;
* nbgrader-only: the same N workers running only the per-student nbgrader step (ours without
  the re-judge), to separate the parallel speedup from the extra security work;
* no sandbox: ours with BPKIT_SANDBOX_MODE=off (``--no-sandbox``), for the sandbox's cost.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from benchmarks.common import fmt_time, markdown_table, row

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def build_class(base: Path, n: int, seed: int = 0) -> Path:
    import selftest_course

    from bpkit_instructor.course import release, simulate
    root = selftest_course.build(base / "pristine")
    release.generate(root)
    simulate.simulate(n, seed, root)
    return root


def cpu_seconds() -> float:
    """User + system CPU of this process and of every finished descendant (kernels, judges,
    pool workers): the work done, whatever else is running on the machine."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn, *args):
    """(wall seconds, CPU seconds, fn's value)."""
    c, t = cpu_seconds(), time.perf_counter()
    value = fn(*args)
    return time.perf_counter() - t, cpu_seconds() - c, value


def plain_nbgrader(root: Path, timeout=60) -> float:
    import selftest_course

    from bpkit_instructor.course import paths
    t = time.perf_counter()
    subprocess.run(paths.nbgrader_cmd("autograde", selftest_course.ASSIGNMENT, "--force",
                                      f"--Execute.timeout={timeout}", "--log-level=ERROR"),
                   cwd=root, env=paths.nbgrader_env(), capture_output=True, text=True,
                   stdin=subprocess.DEVNULL)
    return time.perf_counter() - t


def ours(root: Path, workers: int, timeout=60) -> tuple[float, list]:
    import selftest_course

    from bpkit_instructor.course import batch
    t = time.perf_counter()
    results = batch.grade_all(selftest_course.ASSIGNMENT, root, workers=workers, resume=False,
                              timeout=timeout, progress=False)
    return time.perf_counter() - t, results


def _nbgrader_step(args):
    from bpkit_instructor.course import autograde
    assignment, student, root, timeout = args
    return autograde.run_nbgrader(assignment, student, root, timeout)[0]


def nbgrader_only(root: Path, workers: int, timeout=60) -> float:
    import selftest_course

    from bpkit_instructor.course import batch
    a = selftest_course.ASSIGNMENT
    todo = [(a, s, str(root), timeout) for s in batch.students(a, root)]
    t = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_nbgrader_step, todo))
    return time.perf_counter() - t


def check_overhead(n=15) -> tuple[float, float]:
    """(median seconds of one check() — record + isolated judge —, median direct call)."""
    import numpy as np

    from bpkit.grading import check

    def square(x):
        return x ** 2

    x = np.array([1.0, -2.0, 3.0])
    with tempfile.TemporaryDirectory() as tmp:
        old = os.environ.get("BPKIT_ANSWERS")
        os.environ["BPKIT_ANSWERS"] = tmp
        try:
            checks = []
            with contextlib.redirect_stdout(io.StringIO()):  # check() prints its verdict
                check("00.square", square)  # warm-up: imports cloudpickle, bpkit.grading
                for _ in range(n):
                    t = time.perf_counter()
                    check("00.square", square)
                    checks.append(time.perf_counter() - t)
        finally:
            if old is None:
                os.environ.pop("BPKIT_ANSWERS", None)
            else:
                os.environ["BPKIT_ANSWERS"] = old
    direct = []
    for _ in range(n):
        t = time.perf_counter()
        square(x)
        direct.append(time.perf_counter() - t)
    return statistics.median(checks), statistics.median(direct)


def interpreter_floor(n=5) -> float:
    """Median wall time of `python -I -c "import numpy"`: the floor of any fresh judge process."""
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-I", "-c", "import numpy"], check=True)
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def rows(students=60, workers=2, quick=False):
    if quick:
        students = min(students, 12)
    cores = os.cpu_count() or 1
    out = []
    with tempfile.TemporaryDirectory(prefix="bpkit-bench-grading-") as tmp:
        base = Path(tmp)
        pristine = build_class(base, students)
        copies = {}
        for name in ("plain", "ours", "nbonly", "ours+1", "nosandbox"):
            copies[name] = base / name
            shutil.copytree(pristine, copies[name])
        t_plain, c_plain, _ = timed(plain_nbgrader, copies["plain"])
        t_ours, _, (_, results) = timed(ours, copies["ours"], workers)
        # kernels wait on I/O part of the time: one worker more than cores keeps both busy
        t_more, _, _ = timed(ours, copies["ours+1"], workers + 1)
        # the same batch with the students' kernels outside the bubblewrap sandbox. The CPU rows
        # come from these runs: a sandboxed kernel is reaped inside its own pid namespace, so its
        # CPU time never reaches this process's RUSAGE_CHILDREN (plain nbgrader's kernels do).
        os.environ["BPKIT_SANDBOX_MODE"] = "off"
        try:
            t_open, c_ours, _ = timed(ours, copies["nosandbox"], workers)
            t_nb, c_nb, _ = timed(nbgrader_only, copies["nbonly"], workers)
        finally:
            os.environ.pop("BPKIT_SANDBOX_MODE", None)
    errors = sum(1 for r in results if r["error"])
    per = statistics.median(r["seconds"] for r in results)
    what = f"{students} submissions, self-test course (2 graded cells, 4 checks each)"
    plain_ref = f"{fmt_time(t_plain)} (plain serial nbgrader autograde)"
    out.append(row(f"{what}: ours, batch.grade_all {workers} workers (nbgrader + re-judge), wall",
                   fmt_time(t_ours), plain_ref, f"{t_plain / t_ours:.2f}× faster", "≥ 1.8×"))
    out.append(row(f"{what}: ours, {workers + 1} workers on the same {cores} cores (the CLI default: "
                   "cores + 1), wall", fmt_time(t_more), plain_ref,
                   f"{t_plain / t_more:.2f}× faster", "≥ 1.8×"))
    out.append(row(f"{what}: sandboxed kernels (the default) vs the same batch with --no-sandbox, "
                   f"{workers} workers, throughput", f"{students / t_ours * 60:.1f}/min",
                   f"{students / t_open * 60:.1f}/min (no sandbox, {fmt_time(t_open)})",
                   f"{t_open / t_ours:.2f}× (cost {max(0.0, 1 - t_open / t_ours):.0%})",
                   "cost ≤ 15 %"))
    out.append(row(f"{what}: nbgrader step only, {workers} workers (ours without re-judge, kernels "
                   "outside the sandbox), wall",
                   fmt_time(t_nb), plain_ref, f"{t_plain / t_nb:.2f}× faster", "≥ 1.8×"))
    out.append(row("CPU time per submission, all processes: ours (nbgrader + re-judge), run with the kernels outside "
                   "the sandbox (a sandboxed kernel's CPU is invisible to RUSAGE_CHILDREN)",
                   fmt_time(c_ours / students), f"{fmt_time(c_plain / students)} (plain)",
                   f"{c_ours / c_plain:.2f}×", "(load-independent work)"))
    out.append(row("CPU time per submission, all processes: ours, nbgrader step only (outside the sandbox)",
                   fmt_time(c_nb / students), f"{fmt_time(c_plain / students)} (plain)",
                   f"{c_nb / c_plain:.2f}×", "≈ 1×"))
    out.append(row(f"ours: submissions per minute per core ({workers} workers)",
                   f"{students / (t_ours / 60) / min(workers, cores):.1f}",
                   f"{students / (t_plain / 60):.1f} (plain, 1 core)", "", ""))
    out.append(row("ours: median grading time of one submission (one worker's clock)",
                   fmt_time(per), f"{fmt_time(t_plain / students)} (plain, per submission)", "",
                   f"({errors} submission(s) ended with a named error)"))
    out.append(row("machine load average (1 min) at the end; other jobs slow the wall figures",
                   f"{os.getloadavg()[0]:.1f}", f"{cores} cores", "", "(information)"))
    t_check, t_direct = check_overhead(7 if quick else 15)
    out.append(row("one check() call (record + judge in a fresh isolated process), median",
                   fmt_time(t_check), f"{fmt_time(t_direct)} (calling the function directly)",
                   f"{t_check / t_direct:.0f}×", "≤ 0.2 s"))
    t_floor = interpreter_floor(3 if quick else 5)
    out.append(row("floor of a fresh judge: `python -I -c 'import numpy'`, median",
                   fmt_time(t_floor), "", f"{t_floor / t_check:.0%} of a check()", "(information)"))
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=60)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    print(markdown_table(rows(a.students, a.workers, a.quick)))
