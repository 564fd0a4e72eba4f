"""The student distribution: lectures, exercises and a wheel of bpkit's student part.

``bpkit bundle`` writes ``dist/student/``::

    README.md                 how to install it and open the course
    lectures/                 the read-along lectures
    exercises/NN-topic/       the assignments released in course.toml (no solutions, no hidden
                              tests); a half-finished one in exercises/ stays home
    wheels/bpkit-*.whl        bpkit's student part: engine, data, plots, widgets, check() with the
                              visible cases' released data (bpkit/grading/released/)

Never in it: ``bpkit_instructor/`` (references, hidden-case generators, variant code),
``solutions/``, the gradebook, ``__pycache__``.
The wheel is built by pip from a copy of the student part, so what ships is exactly what was
copied.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bpkit_instructor.course import config, paths
from bpkit_instructor.course.errors import CourseError

JUNK = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", ".bpkit-*")

README = """# {title} — student edition

The lectures and assignments of the bpkit backpropagation course, and the `bpkit` library they
use (the engine, data sets, plots, widgets and the `check()` that tells you what is wrong).

## Install and open

```bash
python3 -m venv .venv
.venv/bin/pip install wheels/bpkit-*.whl
.venv/bin/jupyter lab            # add --allow-root if you are root
```

Open `lectures/` to read along and `exercises/` to do the assignments. In each assignment, the
test cells call `check(...)` on fixed visible cases: it says which case failed, how your answer
differs and, for a known mistake, which misconception it looks like. Press nbgrader's
**Validate** button to run them all. Your instructor grades on further hidden cases, drawn at
grading time.
"""


def _version(root: Path) -> str:
    text = (root / "pyproject.toml").read_text()
    return re.search(r'^version\s*=\s*"([^"]+)"', text, re.M).group(1)


def _dependencies(root: Path) -> list[str]:
    text = (root / "pyproject.toml").read_text()
    block = re.search(r"^dependencies\s*=\s*\[(.*?)\]", text, re.M | re.S).group(1)
    deps = re.findall(r'"([^"]+)"', block)
    return [d for d in deps if not d.startswith("wheel")]  # the instructor's bundling tool


def student_tree(root: Path, into: Path) -> Path:
    """Copy bpkit's student part and a pyproject for it into `into`; return that folder."""
    src = root / "bpkit"
    shutil.copytree(src, into / "bpkit", ignore=JUNK)  # bpkit holds nothing of the key
    deps = ",\n    ".join(f'"{d}"' for d in _dependencies(root))
    (into / "pyproject.toml").write_text(f'''[build-system]
requires = ["setuptools>=64", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "bpkit"
version = "{_version(root)}"
description = "bpkit, student part: the engine, data, plots, widgets and check() of the course"
requires-python = ">=3.10"
dependencies = [
    {deps},
]

[tool.setuptools.packages.find]
include = ["bpkit", "bpkit.*"]

[tool.setuptools.package-data]
bpkit = ["grading/released/*.json.gz", "datasets/*"]
''')
    return into


def build_wheel(root: Path, out: Path) -> Path:
    """pip wheel of the student part into `out`; returns the wheel's path."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tree = student_tree(root, Path(tmp))
        proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                               "--no-build-isolation", "--quiet", "-w", str(out), str(tree)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            last = [x for x in proc.stderr.splitlines() if x.strip()][-1:] or ["no message"]
            raise CourseError(f"pip wheel of the student part failed: {last[0][:300]} "
                              "(run `pip wheel --no-deps bpkit/` to see why)")
    return max(out.glob("bpkit-*.whl"), key=lambda p: p.stat().st_mtime)


def bundle(root=None, out=None) -> Path:
    """Write the student distribution; returns its folder."""
    root = paths.course_root(root)
    chosen = config.released(root)  # course.toml first: a mistake there is one line, no half dist
    for folder in [root / "lectures", root / "bpkit"] + [root / "exercises" / a for a in chosen]:
        if not folder.is_dir():
            raise CourseError(f"{folder} does not exist: "
                              + (f"run `bpkit release {folder.name}` first"
                                 if folder.parent.name == "exercises" else
                                 "bundle runs in bpkit's own course folder"))
    out = Path(out) if out else root / "dist" / "student"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copytree(root / "lectures", out / "lectures", ignore=JUNK)
    for a in chosen:
        shutil.copytree(root / "exercises" / a, out / "exercises" / a, ignore=JUNK)
    build_wheel(root, out / "wheels")
    (out / "README.md").write_text(README.format(title="bpkit"))
    return out


def main(argv=None):
    import argparse  # here: only this command line needs it
    p = argparse.ArgumentParser(prog="bpkit bundle", description=__doc__.splitlines()[0])
    p.add_argument("--out", default=None,
                   help="folder to write (default: dist/student under the course root)")
    args = p.parse_args(argv)
    print(bundle(out=args.out))


if __name__ == "__main__":
    main()
