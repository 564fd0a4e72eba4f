"""Start a new assignment in one command, and check that the course's pieces fit together.

    bpkit new-exercise 12-attention softmax_backward scaled_scores --title "Attention"

writes a working skeleton — the answer key ``bpkit_instructor/exercises/a12.py`` (one exercise per
name: reference, a visible case, a hidden-case generator, two catalogued mistakes with hints), the
nbgrader source ``solutions/12-attention/12-attention.ipynb`` (a solution cell and a graded test
cell per name, visible and hidden checks) and a lecture stub ``lectures/12-attention.ipynb``. The
placeholder exercise (y = 2x) releases, validates and grades as it is, so every step of the
instructor's workflow can be tried before the real content goes in (README, "Writing your own
exercise").

`consistency()` lists what does not fit: a check() that names no registered exercise, an exercise
registered but graded in no test cell, a check() of another assignment's exercise.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

from bpkit_instructor import spec
from bpkit_instructor.course import cells as nbcells
from bpkit_instructor.course import checkcalls, paths
from bpkit_instructor.course.authoring import code, md, readonly, solution, tests, write
from bpkit_instructor.course.errors import CourseError

ASSIGNMENT_ID = re.compile(r"^(\d\d)-[a-z0-9][a-z0-9-]*$")
EXERCISE_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


# ----------------------------------------------------------------------------- the skeleton
def _module_head(prefix: str, title: str) -> str:
    return f'''"""Assignment {prefix} — {title} (the answer key: instructor only, never released).

Each exercise: a reference (self-contained numpy, never calling student-editable code), visible
cases (PLAIN DATA: arrays, numbers, strings, lists/dicts of those — `bpkit release` stores them
with the reference's and the variants' outputs in bpkit/grading/released/a{prefix}.json for the
students' Validate), a hidden-case generator (called at grading time with an rng seeded from
os.urandom), and a catalogue of named wrong variants with the hint a student reads. Variants are
lambdas or module-level functions: `bpkit simulate` pastes their source into a notebook.
"""
import numpy as np

from bpkit_instructor.spec import exercise, variant
'''


def _module_exercises(prefix: str, names: list[str]) -> str:
    parts = []
    for name in names:
        parts.append(f'''

# ---------------------------------------------------------------- {prefix}.{name}
def _{name}(x):
    """Reference of {prefix}.{name}. PLACEHOLDER (y = 2x): replace with the real computation."""
    return 2.0 * x


def _{name}_case(rng):
    """One hidden case: keyword arguments of the graded function, drawn from rng."""
    return {{"x": rng.normal(size=(int(rng.integers(1, 5)), int(rng.integers(2, 5))))}}


exercise(
    "{prefix}.{name}",
    reference=_{name},
    visible=[{{"x": np.array([[1.0, -2.0], [0.5, 3.0]])}}],
    hidden=_{name}_case,
    n_hidden=5,
    variants=[
        variant("factor 2 forgotten", lambda x: x,
                "PLACEHOLDER hint: y = 2x, so multiply by 2."),
        variant("squared instead of doubled", lambda x: x ** 2,
                "PLACEHOLDER hint: doubling is 2·x, not x·x."),
    ],
    what="PLACEHOLDER: what a passing answer computes, in the lecture's words",
)
''')
    return "".join(parts)


def _solution_cells(prefix: str, title: str, names: list[str], points: int, first: int = 1):
    cells = [md(f"# Assignment {prefix} — {title}\n\nWhat the assignment asks, the conventions "
                "(shapes, equation numbers of the lecture). Run the next cell first."),
             readonly("setup", "import numpy as np\nfrom bpkit.grading import check")] \
        if first == 1 else []
    for i, name in enumerate(names, first):
        cells += [
            md(f"## {i}. {name} ({points} points)\n\nThe idea, the formula, what is new compared "
               "with the lecture (the lecture solves one case; the assignment asks for another)."),
            solution(name, f'def {name}(x):\n    """The contract: inputs, shapes, returns, the '
                           f'lecture\'s symbol and equation — never the code."""\n'
                           f"    ### BEGIN SOLUTION\n    return 2.0 * x\n    ### END SOLUTION"),
            tests(f"test_{name}", points,
                  f'check("{prefix}.{name}", {name})\n### BEGIN HIDDEN TESTS\n'
                  f'check("{prefix}.{name}", {name}, hidden=True)\n### END HIDDEN TESTS'),
        ]
    return cells


def _lecture_cells(prefix: str, title: str):
    return [md(f"# {prefix} — {title}\n\nDerive the idea on ONE case; every formula is followed by "
               "the code that computes it. Do not define any graded function here."),
            code("import numpy as np\nimport matplotlib.pyplot as plt")]


def new_exercise(assignment: str, names, title: str | None = None, points: int = 3,
                 root=None) -> list[Path]:
    """Write the skeleton of a new assignment, or add exercises to an existing one (its key
    module and source notebook get one exercise, one solution cell and one test cell per new
    name); never overwrites anything. Returns the files written or extended."""
    root = paths.course_root(root)
    m = ASSIGNMENT_ID.match(assignment)
    if not m:
        raise CourseError(f"{assignment!r} is not an assignment id like 12-attention "
                          "(two digits, a dash, lower-case words joined by dashes)")
    prefix = m.group(1)
    names = list(dict.fromkeys(names or []))
    if not names:
        raise CourseError("name at least one graded function, e.g. "
                          f"`bpkit new-exercise {assignment} softmax_backward`")
    bad = [n for n in names if not EXERCISE_NAME.match(n)]
    if bad:
        raise CourseError(f"{', '.join(bad)}: an exercise name is a Python function "
                          "name in lower case (letters, digits, underscores)")
    title = title or assignment[3:].replace("-", " ").capitalize()
    module = root / "bpkit_instructor" / "exercises" / f"a{prefix}.py"
    solution_nb = paths.notebook("solutions", assignment, root)
    lecture = root / "lectures" / f"{assignment}.ipynb"
    if solution_nb.exists() and module.exists():
        return _add_exercises(assignment, prefix, names, points, module, solution_nb)
    taken = [p for p in (module, solution_nb.parent, lecture) if p.exists()]
    taken += [p for p in (root / "solutions").glob(f"{prefix}-*") if p != solution_nb.parent]
    if taken:
        raise CourseError("already exists: "
                          + ", ".join(str(p.relative_to(root)) for p in taken)
                          + ". Pick another number, or edit those files")
    module.parent.mkdir(parents=True, exist_ok=True)
    module.write_text(_module_head(prefix, title) + _module_exercises(prefix, names))
    write(solution_nb, _solution_cells(prefix, title, names, points))
    write(lecture, _lecture_cells(prefix, title))
    return [module, solution_nb, lecture]


def _add_exercises(assignment, prefix, names, points, module: Path, solution_nb: Path):
    """Append exercises `names` to an existing assignment's key and source notebook."""
    nb = nbcells.read(solution_nb)
    ids = {nbcells.grade_id(c) for c in nb.cells}
    source = module.read_text()
    try:  # never append to a key that does not compile: the error would point at our lines
        compile(source, str(module), "exec")
    except SyntaxError as err:
        raise CourseError(f"{module}:{err.lineno}: the answer key does not compile "
                          f"({err.msg}); fix it first") from None
    taken = [n for n in names if f'"{prefix}.{n}"' in source or n in ids or f"test_{n}" in ids]
    if taken:
        raise CourseError(f"{', '.join(taken)}: already in {module.name} or "
                          f"{solution_nb.name}; pick new names, or edit those files")
    first = 1 + sum(1 for c in nb.cells if nbcells.is_test(c))
    module.write_text(source.rstrip("\n") + "\n\n" + _module_exercises(prefix, names))
    nb.cells += _solution_cells(prefix, "", names, points, first=first)
    nbformat.validate(nb)
    nbformat.write(nb, str(solution_nb))
    return [module, solution_nb]


# ----------------------------------------------------------------------------- consistency
def consistency(root=None) -> list[str]:
    """Problems between solutions/ and the registry (empty list: consistent).

    * every check("NN.x") in a solution notebook names a registered exercise;
    * a check() in assignment NN's notebook names an exercise of module aNN;
    * every registered exercise (except 00.*, the grading system's own test exercises) is
      checked in some graded test cell of solutions/.
    """
    root = paths.course_root(root)
    known = spec.all_exercises()
    graded, problems = {}, []
    for a in paths.assignments(root):
        nb = nbcells.read(paths.notebook("solutions", a, root), cache=True)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            where = f"solutions/{a} cell {nbcells.grade_id(cell) or i + 1}"
            for name in checkcalls.CHECK_CALL.findall(cell.source):
                if name not in known:
                    problems.append(f"{where}: check({name!r}) names no registered exercise "
                                    f"(register it in bpkit_instructor/exercises/a{name.split('.')[0]}.py)")
                    continue
                if name.split(".", 1)[0] != a.split("-", 1)[0]:
                    problems.append(f"{where}: check({name!r}) grades another assignment's exercise")
                if nbcells.is_test(cell):
                    graded.setdefault(name, []).append(where)
    for name in sorted(known):
        if name.startswith("00.") or name in graded:
            continue
        problems.append(f"{name} is registered but no graded test cell of solutions/ checks it")
    return problems
