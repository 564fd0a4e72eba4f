"""Run every benchmark and write one table: ``python -m benchmarks.run [--quick] [--only NAME ...]``.

Each benchmark module runs in its own subprocess (``python -m benchmarks.run --module NAME``),
so that one that fails to import, raises, hangs or pins thread pools cannot disturb the others;
a failure becomes a row that names the error. The table (figure, value, reference measured in
the same run, ratio, goal) goes to stdout and to benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import fmt_time, markdown_table, ratio, row

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
MODULES = ["engine", "higham", "playground", "grading", "course", "diagnosis", "import-time"]
QUICK = {  # smaller sizes for --quick
    "engine": {"rounds": 1},
    "higham": {"steps": 100_000},
    "playground": {"rounds": 1},
    "grading": {"quick": True},
    "course": {"quick": True},
    "import-time": {"repeat": 3},
}
TIMEOUT = {"grading": 3600, "course": 3600}  # seconds; others get 1200


def import_time_rows(repeat=5):
    """Fresh-interpreter import times of the modules every student and grader pays for."""
    def measure(module):
        code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
        return min(float(subprocess.run([sys.executable, "-c", code], capture_output=True,
                                        text=True, cwd=ROOT, check=True).stdout)
                   for _ in range(repeat))
    t_np = measure("numpy")
    ref = f"{fmt_time(t_np)} (`import numpy`)"
    out = []
    for module, goal, note in [
            ("bpkit", "≤ 150 ms", ""),
            ("bpkit.grading", "≤ 150 ms", "a notebook's `from bpkit.grading import check`"),
            ("bpkit.grading.judge", "≤ 200 ms", "paid by every isolated judge process"),
            ("nbformat", "(information)", "paid by every fresh nbgrader process"),
            ("bpkit_instructor.course.autograde", "(information)", "a grading worker, once")]:
        try:
            t = measure(module)
            out.append(row(f"`import {module}` (fresh subprocess){': ' + note if note else ''}",
                           fmt_time(t), ref, ratio(t, t_np), goal))
        except subprocess.CalledProcessError as err:
            out.append(row(f"`import {module}`", "ERROR", err.stderr.strip().splitlines()[-1:], "", goal))
    return out


def module_rows(name: str, quick: bool) -> list[dict]:
    kwargs = QUICK.get(name, {}) if quick else {}
    if name == "import-time":
        return import_time_rows(**kwargs)
    mod = importlib.import_module(f"benchmarks.{name}")
    return mod.rows(**kwargs)


def error_row(name, message):
    return row(f"**{name}: failed**", "ERROR", message.replace("|", "\\|").replace("\n", " ")[:300],
               "", "")


def run_module(name: str, quick: bool) -> tuple[list[dict], float]:
    """rows of benchmarks/<name>.py from a fresh subprocess; failures become an error row."""
    if name != "import-time" and not (ROOT / "benchmarks" / f"{name}.py").exists():
        return [row(f"{name}: not present", "skipped", "", "", "")], 0.0
    cmd = [sys.executable, "-m", "benchmarks.run", "--module", name] + (["--quick"] if quick else [])
    t = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                              timeout=TIMEOUT.get(name, 1200), stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as err:
        return [error_row(name, f"timed out after {err.timeout:.0f} s")], time.perf_counter() - t
    seconds = time.perf_counter() - t
    lines = proc.stdout.strip().splitlines()
    try:
        payload = json.loads(lines[-1])
    except (IndexError, ValueError):
        tail = [l for l in proc.stderr.strip().splitlines() if l.strip()][-1:] or [f"exit {proc.returncode}"]
        return [error_row(name, tail[0])], seconds
    if "error" in payload:
        return [error_row(name, payload["error"])], seconds
    return payload["rows"], seconds


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (a few minutes in all)")
    ap.add_argument("--only", nargs="*", choices=MODULES, help="run only these benchmarks")
    ap.add_argument("--module", help=argparse.SUPPRESS)  # the worker side
    ap.add_argument("--out", default=str(RESULTS))
    args = ap.parse_args(argv)
    if args.module:
        try:
            rows = module_rows(args.module, args.quick)
            print(json.dumps({"rows": [{k: str(v) for k, v in r.items()} for r in rows]}))
        except BaseException as err:  # noqa: BLE001 - reported as a row by the parent
            print(json.dumps({"error": f"{type(err).__name__}: {err}"}))
        return 0
    all_rows, started = [], time.strftime("%Y-%m-%d %H:%M")
    for name in args.only or MODULES:
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        rows, seconds = run_module(name, args.quick)
        all_rows.append(row(f"**{name}**", "", "", "", f"({seconds:.0f} s)"))
        all_rows.extend(rows)
    table = markdown_table(all_rows)
    head = (f"# bpkit benchmarks\n\n{started}, {platform.python_implementation()} "
            f"{platform.python_version()}, {os.cpu_count()} core(s), "
            f"{'--quick' if args.quick else 'full sizes'}. Generated by `python -m benchmarks.run`; "
            "every reference is measured in the same run.\n\n")
    Path(args.out).write_text(head + table + "\n")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
