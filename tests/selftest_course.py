"""A one-assignment course in a temporary folder, for testing the grading pipeline in isolation;
and what the instructor-command tests share (tests/test_instructor_cli.py,
tests/test_instructor_failures.py): a second tiny assignment, submitting, running `bpkit`
in-process, the one-line error they all expect."""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

from bpkit_instructor.course import autograde, cli, paths
from bpkit_instructor.course.authoring import md, readonly, solution, tests, write

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "00-selftest"
SECOND = "00-second"

SETUP = """import numpy as np
from bpkit.grading import check"""

DELTA = '''def delta_L(z, a, y):
    """δ^[L] = σ′(z^[L]) ∘ (a^[L] − y), eq. (22); all arrays (n_L, B)."""
    ### BEGIN SOLUTION
    return a * (1 - a) * (a - y)
    ### END SOLUTION'''

TEST = '''check("00.delta_L", delta_L)
### BEGIN HIDDEN TESTS
check("00.delta_L", delta_L, hidden=True)
### END HIDDEN TESTS'''

SQUARE = '''def square(x):
    """x², elementwise."""
    ### BEGIN SOLUTION
    return x ** 2
    ### END SOLUTION'''


def build(root: Path) -> Path:
    """Write nbgrader_config.py and solutions/00-selftest into `root`; release it."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    write(root / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", [
        md("# Self-test assignment"),
        readonly("setup", SETUP),
        solution("delta_L", DELTA),
        tests("test_delta_L", 3, TEST),
        md("A second graded cell, so that attacks on one item leave the other one standing."),
        solution("square", SQUARE),
        tests("test_square", 2, 'check("00.square", square)\n### BEGIN HIDDEN TESTS\n'
                                'check("00.square", square, hidden=True)\n### END HIDDEN TESTS'),
    ])
    return root


def build_with_second(root: Path, extra_cells=()) -> Path:
    """`build`, with `extra_cells` appended to the self-test assignment, and a second tiny
    assignment (SECOND: one plain-assert test cell, no check())."""
    build(root)
    src = paths.notebook("solutions", ASSIGNMENT, root)
    nb = nbformat.read(src, as_version=4)
    nb.cells += list(extra_cells)
    nbformat.write(nb, str(src))
    write(paths.notebook("solutions", SECOND, root), [
        md("# A second assignment"), readonly("setup_b", "import numpy as np"),
        solution("cube", "def cube(x):\n    ### BEGIN SOLUTION\n    return x ** 3\n"
                         "    ### END SOLUTION"),
        tests("test_cube", 1, "assert cube(2) == 8")])
    return root


def submit(root, student, assignment, nb, name=None, stamp=None):
    """Put a submission where nbgrader's collect puts it: `nb` a notebook or any text, under
    `name` (the assignment's own notebook name unless given), with a timestamp.txt if `stamp`."""
    folder = root / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (name or f"{assignment}.ipynb")
    target.write_text(nb) if isinstance(nb, str) else nbformat.write(nb, str(target))
    if stamp:
        (folder / "timestamp.txt").write_text(stamp)


def copy_course(root: Path, tmp_path_factory) -> Path:
    """A private copy of a course, for a test that changes it (a short path: kernels' ipc
    sockets live under the course folder, and a socket path has at most 107 bytes)."""
    target = tmp_path_factory.mktemp("cp") / "course"
    shutil.copytree(root, target)
    return target


def results_mtimes(root: Path, assignment: str = ASSIGNMENT) -> dict:
    """{student: modification time of their stored grade} (what a rerun rewrote shows here)."""
    return {p.parents[1].name: p.stat().st_mtime_ns
            for p in (root / "autograded").glob(f"*/{assignment}/{autograde.RESULTS}")}


def bpkit(root, monkeypatch, capsys, *argv):
    """`bpkit ARGV` in-process on the course at `root`: (exit status, stdout, stderr)."""
    monkeypatch.setenv("BPKIT_COURSE", str(root))
    capsys.readouterr()
    try:
        code = cli.main([str(a) for a in argv])
    except SystemExit as exc:  # argparse: --help, usage errors
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def one_line_error(code, err, *needles):
    """A refusal: exit status 2, one line, no traceback, every needle in it."""
    assert code == 2, err
    assert "Traceback" not in err and err.strip().count("\n") == 0, err
    for needle in needles:
        assert needle in err, (needle, err)
