"""Preflight: the answer key and the release are checked before a single student is touched.

``bpkit autograde`` and ``bpkit release`` (and ``feedback``, ``report``, which read the key)
first run ``check(assignment)``:

1. the key module ``bpkit_instructor/exercises/aNN.py`` compiles and imports;
2. every exercise's reference runs on its visible cases and on a few freshly drawn hidden ones
   and gives finite numbers (a scored exercise's generator draws its cases);
3. every ``check("NN.name")`` of ``solutions/A/A.ipynb`` names an exercise of THIS assignment;
4. (autograde) the released data the students validate against were made from this key
   (``release_data.stale``, a fingerprint comparison).

Any failure is a CourseError of one line naming file:line and the fix; a key crash therefore
never reaches a student's grade or feedback page.
"""
from __future__ import annotations

import copy
import difflib
import os
import traceback
import warnings
from pathlib import Path

import numpy as np

from bpkit.grading import compare, contract
from bpkit_instructor import release_data, spec
from bpkit_instructor.course import cells, checkcalls, fingerprint, paths
from bpkit_instructor.course.errors import CourseError

N_HIDDEN = 2  # hidden cases drawn per exercise: enough to run the generator and the reference


def prefix_of(assignment: str) -> str:
    return assignment.split("-", 1)[0]


def _where(path: Path, line: int | None) -> str:
    try:
        shown = path.resolve().relative_to(paths.ROOT)
    except ValueError:
        shown = path
    return f"{shown}:{line}" if line else str(shown)


def key_file(assignment: str) -> Path | None:
    """The key module's file (found, not imported); None if the assignment has no key."""
    return fingerprint.exercise_module(f"{prefix_of(assignment)}.x")


def _key_line(err: BaseException, key: Path) -> int | None:
    """The line of the key module where `err` was raised (the innermost frame in the key)."""
    line = None
    for frame in traceback.extract_tb(err.__traceback__):
        if Path(frame.filename).resolve() == key.resolve():
            line = frame.lineno
    return line


def load_key(assignment: str) -> dict:
    """Compile and import the key of `assignment`; {name: ExerciseSpec}. CourseError naming
    file:line if it does not compile or import."""
    key = key_file(assignment)
    if key is None:
        return {}
    fix = f"fix it, then `bpkit release {assignment}`"
    try:
        compile(key.read_bytes(), str(key), "exec")
    except SyntaxError as err:
        raise CourseError(f"{_where(key, err.lineno)}: the answer key does not compile "
                          f"({type(err).__name__}: {err.msg}): {fix}") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return spec.key_module(prefix_of(assignment))
    except Exception as err:  # noqa: BLE001 - whatever the key raises, named with its line
        raise CourseError(f"{_where(key, _key_line(err, key))}: the answer key fails on import "
                          f"({type(err).__name__}: {str(err)[:200]}): {fix}") from None


def _finite(flat: dict) -> bool:
    return all(np.all(np.isfinite(v)) for v in flat.values())


def check_references(assignment: str, exercises: dict) -> list[str]:
    """Run each reference on its visible cases and N_HIDDEN fresh hidden ones; the problems."""
    key = key_file(assignment)
    problems = []
    rng = np.random.default_rng(int.from_bytes(os.urandom(8), "little"))
    for name, ex in sorted(exercises.items()):
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                cases = [("visible", i, c) for i, c in enumerate(ex.cases(False, None))]
                if ex.hidden is not None:
                    cases += [("hidden", i, ex.hidden(rng)) for i in range(N_HIDDEN)]
                for kind, i, case in cases:
                    if ex.reference is None:
                        continue  # a scored exercise: the generator ran, nothing to compare
                    out = compare.flatten(ex.reference(**copy.deepcopy(case)))
                    if not _finite(out):
                        problems.append(f"{_where(key, None)}: {name}: the reference gives NaN "
                                        f"or inf on {kind} case {i + 1}")
                        break
        except Exception as err:  # noqa: BLE001 - the key's own failure, named with its line
            problems.append(f"{_where(key, _key_line(err, key))}: {name}: the reference or its "
                            f"case generator raises {type(err).__name__}: {str(err)[:160]}")
    return problems


def check_calls(assignment: str, exercises: dict, root=None) -> list[str]:
    """Every check() of solutions/A/A.ipynb names an exercise of this assignment's key."""
    source = paths.notebook("solutions", assignment, root)
    nb = cells.read(source, cache=True)
    shown = source.relative_to(paths.course_root(root))
    prefix, problems = prefix_of(assignment), []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        where = cells.grade_id(cell) or "a cell"
        for name in checkcalls.names(cell.source):
            line = checkcalls.line_of(cell.source, name)
            if name.split(".", 1)[0] != prefix:
                problems.append(f"{shown} ({where}, line {line}): check({name!r}) grades an "
                                f"exercise of another assignment; {assignment} grades "
                                f"{prefix}.* only")
            elif name not in exercises:
                near = difflib.get_close_matches(name, sorted(exercises), n=3, cutoff=0.6)
                problems.append(f"{shown} ({where}, line {line}): check({name!r}) names no "
                                f"exercise of bpkit_instructor/exercises/a{prefix}.py"
                                + (f" (near: {', '.join(near)})" if near else ""))
    return problems


def check_released_data(assignment: str, root=None) -> list[str]:
    """The students' released data were made from this key (cheap fingerprint check). Only for
    bpkit's own course folder: another course's release does not write the package's data."""
    if paths.course_root(root).resolve() != paths.ROOT.resolve() or key_file(assignment) is None:
        return []
    prefix = prefix_of(assignment)
    if release_data.stale([prefix], contract.FOLDER):
        return [f"{contract.path_of(prefix, contract.FOLDER).name} (the released data the "
                f"students validate against) was made from another version of the key: run "
                f"`bpkit release {assignment}`"]
    return []


def check(assignment: str, root=None, released: bool = True,
          untouched: str = "no student was graded") -> None:
    """Stop (CourseError, one line) if the key or the release of `assignment` is not fit to
    grade with; `released=False` skips the released-data comparison (release makes them);
    `untouched` says what the refusal left alone."""
    exercises = load_key(assignment)
    problems = check_calls(assignment, exercises, root) + check_references(assignment, exercises)
    if released and not problems:
        problems += check_released_data(assignment, root)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        fix = "" if "bpkit release" in problems[0] else \
            f"; fix it, then `bpkit release {assignment}`"
        raise CourseError(f"preflight {assignment}: {problems[0]}{more}{fix}; {untouched}")
