"""Whole-course execution time: every lecture and every solution notebook, run headless with
nbclient (the way `make test` runs them), one kernel per notebook, one notebook at a time.

    python -m benchmarks.course [--quick]

Notebooks run in a temporary copy of their folder, so recorded answers and any files a notebook
writes never land in the repository. --quick runs the first lecture and the first solution only.
"""
from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from benchmarks.common import fmt_time, markdown_table, row

ROOT = Path(__file__).resolve().parents[1]


def notebooks(quick=False) -> list[Path]:
    lectures = sorted((ROOT / "lectures").glob("*.ipynb"))
    solutions = sorted((ROOT / "solutions").glob("*/*.ipynb"))
    if quick:
        lectures, solutions = lectures[:1], solutions[:1]
    return lectures + solutions


def execute(path: Path, timeout=600) -> tuple[float, int]:
    """(seconds, number of error outputs) for one notebook run start to end in a fresh kernel."""
    import nbformat
    from nbclient import NotebookClient

    from bpkit_instructor.course import paths

    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="bpkit-bench-course-") as tmp:
        work = Path(tmp) / path.parent.name
        shutil.copytree(path.parent, work, ignore=shutil.ignore_patterns("*.ipynb", ".bpkit-*"))
        env = paths.nbgrader_env() | {"BPKIT_ANSWERS": str(Path(tmp) / "answers"),
                                      "MPLBACKEND": "Agg"}
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(work)}})
        t = time.perf_counter()
        old = dict(os.environ)
        os.environ.update(env)  # the kernel inherits this environment
        try:
            client.execute()
        except Exception:  # noqa: BLE001 - a failing cell is reported as an error count
            pass
        finally:
            os.environ.clear()
            os.environ.update(old)
        seconds = time.perf_counter() - t
    errors = sum(1 for c in nb.cells if c.cell_type == "code"
                 for o in c.get("outputs", []) if o.get("output_type") == "error")
    return seconds, errors


def rows(quick=False):
    out, total, failed = [], 0.0, 0
    for path in notebooks(quick):
        seconds, errors = execute(path)
        total += seconds
        failed += bool(errors)
        name = f"{path.parent.name}/{path.name}" if path.parent.name != "lectures" else f"lectures/{path.name}"
        out.append(row(f"execute {name}", fmt_time(seconds), "", "",
                       "no errors" if not errors else f"**{errors} error output(s)**"))
    n = len(out)
    out.insert(0, row(f"whole course: {n} notebooks executed with nbclient, total",
                      fmt_time(total), f"{fmt_time(total / max(n, 1))} mean per notebook", "",
                      f"{failed} notebook(s) with errors" if failed else "all ran without errors"))
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    print(markdown_table(rows(ap.parse_args().quick)))
