"""`bpkit bundle`: the student distribution works without the key and carries none of it.

The bundle's wheel is installed into a fresh venv (its dependencies come from the test venv's
site-packages through a .pth line, so nothing is downloaded); there the released exercises,
with the solutions pasted in, pass their visible checks; blank, they fail; with a catalogued
mistake pasted in, the check names it. Nothing of bpkit_instructor, no reference or variant
source, and almost none of the solution cells' code is anywhere in the bundle.
"""
import inspect
import json
import os
import random
import re
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import nbformat
import pytest

from bpkit.grading.checker import JUDGE_ENV
from bpkit_instructor import spec
from bpkit_instructor.course import bundle, paths, simulate

ROOT = paths.ROOT
ASSIGNMENTS = paths.assignments(ROOT)
pytestmark = pytest.mark.slow

RUN = r'''
import json, sys, nbformat
from nbclient import NotebookClient
report = {}
for path in sys.argv[1:]:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(__import__("pathlib").Path(path).parent)}}).execute()
    report[path] = [o.get("ename", "") + ": " + o.get("evalue", "")
                    for c in nb.cells if c.cell_type == "code" for o in c.outputs
                    if o.output_type == "error"]
print(json.dumps(report))
'''


@pytest.fixture(scope="module")
def student_env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bundle")
    out = bundle.bundle(out=tmp / "student")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(subprocess.check_output(
        [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        text=True).strip())
    # the dependencies (numpy, nbgrader, ...) from this venv; bpkit only from the wheel
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    wheel = next((out / "wheels").glob("bpkit-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--target", str(site), str(wheel)], check=True)
    return out, venv / "bin" / "python", tmp


def _student_environ():
    """This process's environment without the test-wide judge override (tests/conftest.py names
    the instructor's judge, which a student's machine does not have)."""
    return {k: v for k, v in os.environ.items() if k != JUDGE_ENV}


def _run(python, code, cwd):
    return subprocess.run([str(python), "-c", code], cwd=cwd, capture_output=True, text=True,
                          timeout=1500, env=_student_environ())


def test_the_student_venv_has_bpkit_but_no_key(student_env):
    out, python, tmp = student_env
    proc = _run(python, "import bpkit, bpkit.grading.judge, importlib.util;"
                        "print(bpkit.__file__, importlib.util.find_spec('bpkit_instructor'))", tmp)
    assert proc.returncode == 0, proc.stderr
    where, key_spec = proc.stdout.split()
    assert str(tmp / "venv") in where and key_spec == "None"


def test_released_exercises_pass_visible_checks_with_solutions_and_fail_blank(student_env):
    out, python, tmp = student_env
    work = tmp / "work"
    notebooks, expect = [], {}
    for a in ASSIGNMENTS:
        kinds = ["correct", "blank", "misconception"] if a.startswith("03") else ["correct"]
        for kind in kinds:
            if kind == "misconception":  # a function's catalogued mistake (value answers keep
                ex = next(e for e in spec.key_module(a[:2]).values()  # their hints hidden)
                          if e.variants and e.score is None and not getattr(e, "value", False))
                nb = simulate.with_misconception(a, ex.name, ex.variants[0].name, ROOT)
                note = f"misconception {ex.name}: {ex.variants[0].name}"
            else:
                nb, note = simulate.make_submission(a, kind, random.Random(a), ROOT)
            # pasted into the RELEASED notebook: no hidden tests, as a student has it
            path = work / kind / a / f"{a}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, str(path))
            notebooks.append(str(path))
            expect[str(path)] = (kind, note)
    proc = subprocess.run([str(python), "-c", RUN, *notebooks], cwd=work, capture_output=True,
                          text=True, timeout=1500, env=_student_environ())
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    for path, errors in report.items():
        kind, note = expect[path]
        if kind == "correct":
            assert errors == [], (path, errors)
        elif kind == "blank":
            assert errors and all(e.startswith(("NotImplementedError", "CheckFailed", "NameError"))
                                  for e in errors), (path, errors)
        else:  # "misconception NN.x: name"
            name = note.split(": ", 1)[1]
            assert any(name in e for e in errors), (path, note, errors)


def _bundle_text(out: Path) -> dict[str, str]:
    files = {}
    for p in out.rglob("*"):
        if p.is_file() and p.suffix != ".whl":
            files[str(p.relative_to(out))] = p.read_text(errors="replace")
    for whl in out.rglob("*.whl"):
        with zipfile.ZipFile(whl) as z:
            for name in z.namelist():
                files[f"{whl.name}/{name}"] = z.read(name).decode(errors="replace")
    return files


def _code_lines(src: str) -> set[str]:
    lines = set()
    for line in src.splitlines():
        s = line.strip()
        if len(s) >= 25 and not s.startswith(("#", '"""', "'''")) and not re.fullmatch(r"[\w\s,.=()\[\]]+", s):
            lines.add(s)
    return lines


# a loop header over indices or items is the notation's boilerplate, not an answer (the same rule
# as tests/test_no_transcription.py): `for l in range(2, L + 1):` is in the lecture, the engine
# and most backward passes
LOOP_HEADER = re.compile(r"^for [^=]+ in [^=]+:$")
# at most this share of the solution lines may stand in the bundle (issue 25: ≤ 3 %)
SHARE = 0.03


def test_nothing_of_the_key_or_the_solutions_is_in_the_bundle(student_env):
    out = student_env[0]
    files = _bundle_text(out)
    assert not any("bpkit_instructor" in name or "__pycache__" in name or name.endswith(".pyc")
                   or "/course/" in name for name in files), sorted(files)
    text = "\n".join(files.values())
    # no function of the key is in the bundle: references, hidden generators and variants may
    # share a textbook line with the engine (a central difference), never most of their body
    copied = []
    for name, ex in spec.all_exercises().items():
        for fn in [ex.reference, ex.hidden] + [v.fn for v in ex.variants]:
            if not callable(fn) or getattr(fn, "__module__", "").startswith("bpkit."):
                continue  # key-free scorers ship on purpose
            try:
                lines = _code_lines(inspect.getsource(fn))
            except (OSError, TypeError):
                continue
            if len(lines) >= 2 and sum(line in text for line in lines) >= 0.8 * len(lines):
                copied.append((name, getattr(fn, "__name__", "?")))
    assert not copied, copied
    solution_lines = set()
    for a in ASSIGNMENTS:
        nb = nbformat.read(paths.notebook("solutions", a, ROOT), as_version=4)
        for cell in nb.cells:
            for block in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S):
                solution_lines |= {line for line in _code_lines(block) if not LOOP_HEADER.match(line)}
    shared = sorted(line for line in solution_lines if line in text)
    print(f"{len(shared)} of {len(solution_lines)} solution lines stand in the bundle:", *shared, sep="\n    ")
    # the engine is textbook code students may read: it may share a line or two with solutions
    assert len(shared) <= SHARE * len(solution_lines), (len(shared), len(solution_lines), shared[:20])
