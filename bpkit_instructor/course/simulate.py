"""A synthetic class, so that grading runs out of the box.

Each student gets, per assignment, a notebook made from the released exercise: correct answers
(from solutions/), blanks, one catalogued misconception (its source taken from the registry), or
an attack on the grader. Deterministic for a given seed.
"""
from __future__ import annotations

import ast
import copy
import inspect
import random
import re
import shutil
import sys
import types

import nbformat

from bpkit_instructor import spec
from bpkit_instructor.course import cells as nbcells
from bpkit_instructor.course import checkcalls, paths

SOLUTION = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[^\n]*\n?", re.MULTILINE)

# attacks on the grader: (name, code appended to the attacked answer's cell)
ATTACKS = {
    "monkeypatch-check": "check = lambda *args, **kwargs: None\n"
                         "import bpkit.grading\nbpkit.grading.check = check",
    "monkeypatch-numpy": "import numpy, numpy.testing\n"
                         "numpy.allclose = lambda *a, **k: True\nnumpy.array_equal = lambda *a, **k: True\n"
                         "numpy.testing.assert_allclose = lambda *a, **k: None",
    "sys-modules": "import sys, types\n_fake = types.ModuleType('bpkit.grading')\n"
                   "_fake.check = lambda *a, **k: None\nsys.modules['bpkit.grading'] = _fake\n"
                   "sys.modules['bpkit.grading.check'] = _fake\ncheck = _fake.check",
    "rigged-eq": "class _Yes(float):\n    __eq__ = lambda self, other: True\n"
                 "    __array__ = lambda self, *a, **k: __import__('numpy').zeros((1, 1))\n"
                 "{fn} = lambda *args, **kwargs: _Yes(0.0)",
    "showtraceback": "get_ipython().showtraceback = lambda *a, **k: None\n"
                     "get_ipython()._showtraceback = lambda *a, **k: None",
    "sys-exit-in-function": "def {fn}(*args, **kwargs):\n    raise SystemExit(0)",
    "infinite-loop": "def {fn}(*args, **kwargs):\n    while True:\n        pass",
}


def strip_markers(source: str) -> str:
    return SOLUTION.sub("", source)


_cell_id = nbcells.grade_id


def graded_functions(solution_nb) -> dict[str, tuple[str, str]]:
    """{exercise name: (function name, grade_id of the solution cell defining it)}."""
    found = {}
    for cell in solution_nb.cells:
        for ex, fn in checkcalls.with_functions(cell.source):
            for sol in solution_nb.cells:
                if nbcells.is_answer(sol) and re.search(rf"^def {fn}\b|^{fn}\s*=", sol.source, re.M):
                    found.setdefault(ex, (fn, nbcells.grade_id(sol)))
    return found


def _module_of(ex_name: str) -> types.ModuleType:
    return sys.modules[f"bpkit_instructor.exercises.a{ex_name.split('.')[0]}"]


def variant_source(ex_name: str, variant_name: str, fn_name: str) -> str:
    """Python source defining `fn_name` as the catalogued variant, with what it needs."""
    if variant_name not in {v.name for v in spec.get(ex_name).variants}:
        raise LookupError(f"{ex_name} has no catalogued variant {variant_name!r}")
    module = _module_of(ex_name)
    text = inspect.getsource(module)
    tree = ast.parse(text)
    scopes = [node for node in ast.walk(tree)
              if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "exercise"
              and node.args and isinstance(node.args[0], ast.Constant)
              and node.args[0].value == ex_name]
    expr = None
    for scope in scopes + [tree]:  # the exercise's own call first, then the whole module
        for node in ast.walk(scope):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "variant"
                    and node.args and isinstance(node.args[0], ast.Constant)
                    and node.args[0].value == variant_name and len(node.args) > 1):
                expr = node.args[1]
                break
        if expr is not None:
            break
    if expr is None:
        raise LookupError(f"cannot find variant {variant_name!r} of {ex_name} in {module.__name__}")
    body = ast.get_source_segment(text, expr)
    lines, seen = [], set()

    def need(node_src):
        for name in sorted({n.id for n in ast.walk(ast.parse(node_src)) if isinstance(n, ast.Name)}):
            if name in seen or not hasattr(module, name):
                continue
            seen.add(name)
            obj = getattr(module, name)
            if isinstance(obj, types.ModuleType):
                lines.insert(0, f"import {obj.__name__} as {name}")
            elif inspect.isfunction(obj) and obj.__module__ == module.__name__:
                src = inspect.getsource(obj)
                need(src)
                lines.append(src)
            elif hasattr(obj, "__module__") and hasattr(obj, "__name__"):
                lines.insert(0, f"from {obj.__module__} import {obj.__name__} as {name}")
            else:
                lines.insert(0, f"{name} = {obj!r}")
    need(f"(\n{body}\n)")
    lines.append(f"{fn_name} = (\n    {body}\n)")  # parentheses: a lambda may span lines
    return f"# --- simulated misconception: {variant_name}\n" + "\n".join(lines) + "\n"


def make_submission(assignment: str, kind: str, rng: random.Random, root=None) -> tuple:
    """A notebook (and a description) for one simulated student."""
    sol = nbcells.read(paths.notebook("solutions", assignment, root), cache=True)
    nb = copy.deepcopy(nbcells.read(paths.notebook("exercises", assignment, root), cache=True))
    answers = {_cell_id(c): strip_markers(c.source) for c in sol.cells if nbcells.is_answer(c)}
    funcs = graded_functions(sol)
    by_id = {_cell_id(c): c for c in nb.cells}
    if kind == "blank":
        return nb, "blank"
    for gid, src in answers.items():
        if gid in by_id:
            by_id[gid].source = src
    if kind == "correct" or not funcs:
        return nb, "correct"
    ex_name = rng.choice(sorted(funcs))
    fn, gid = funcs[ex_name]
    if kind == "misconception":
        var = rng.choice(spec.get(ex_name).variants)
        by_id[gid].source += "\n\n" + variant_source(ex_name, var.name, fn)
        return nb, f"misconception {ex_name}: {var.name}"
    if kind == "delete-cell":
        tests = [c for c in nb.cells if nbcells.is_test(c)]
        victim = rng.choice(tests)
        nb.cells.remove(victim)
        return nb, f"delete-cell {_cell_id(victim)}"
    if kind.startswith("attack:"):
        attack = kind.split(":", 1)[1]
        ex = spec.get(ex_name)
        wrong = (variant_source(ex_name, ex.variants[0].name, fn) if ex.variants
                 else f"def {fn}(*a, **k):\n    return 0.0\n")
        by_id[gid].source += "\n\n" + wrong + "\n" + ATTACKS[attack].format(fn=fn)
        return nb, f"attack {attack} on {ex_name}"
    if kind == "edit-test-cell":
        ex = spec.get(ex_name)
        by_id[gid].source += "\n\n" + variant_source(ex_name, ex.variants[0].name, fn)
        for c in nb.cells:  # the locked test cell of this exercise, emptied by the student
            if nbcells.is_test(c) and ex_name in checkcalls.names(c.source):
                c.source = "pass  # the student replaced the test"
        return nb, f"edited the locked test cell of {ex_name}"
    if kind == "hard-coded":
        ex = spec.get(ex_name)
        answer = ex.reference(**ex.visible[0]) if ex.reference and ex.visible else 0.0
        literal = repr(getattr(answer, "tolist", lambda: answer)())
        by_id[gid].source += (f"\n\n# hard-coded visible answer\nimport numpy as _np\n"
                              f"def {fn}(*args, **kwargs):\n    return _np.array({literal})\n")
        return nb, f"hard-coded visible answer for {ex_name}"
    if kind == "exit-in-cell":
        by_id[gid].source += "\n\nimport os\nos._exit(1)\n"
        return nb, "os._exit in a solution cell"
    if kind == "corrupt-json":
        return "{ this is not json", "corrupt JSON"
    raise ValueError(f"unknown kind {kind!r}")


def with_misconception(assignment: str, exercise: str, variant_name: str, root=None):
    """A correct notebook in which `exercise`'s function is the catalogued variant."""
    nb, _ = make_submission(assignment, "correct", random.Random(0), root)
    sol = nbcells.read(paths.notebook("solutions", assignment, root), cache=True)
    fn, gid = graded_functions(sol)[exercise]
    cell = next(c for c in nb.cells if _cell_id(c) == gid)
    cell.source += "\n\n" + variant_source(exercise, variant_name, fn)
    return nb


def class_kinds(n: int, seed: int) -> list[str]:
    """Deterministic mix: mostly honest, some blanks, misconceptions and a few attacks."""
    rng = random.Random(seed)
    attacks = [f"attack:{a}" for a in ATTACKS] + ["hard-coded", "edit-test-cell", "delete-cell",
                                                    "exit-in-cell", "corrupt-json"]
    kinds = []
    for i in range(n):
        r = i % 10
        if r in (0, 1, 2, 3):
            kinds.append("correct")
        elif r == 4:
            kinds.append("blank")
        elif r in (5, 6, 7, 8):
            kinds.append("misconception")
        else:
            kinds.append(attacks[(i // 10) % len(attacks)])
    rng.shuffle(kinds)
    return kinds


def simulate(n_students: int = 30, seed: int = 0, root=None, assignments=None) -> list[dict]:
    """Write submitted/<student>/<assignment>/<assignment>.ipynb for a synthetic class."""
    root = paths.course_root(root)
    roster = []
    kinds = class_kinds(n_students, seed)
    for a in assignments or paths.assignments(root):
        for i, kind in enumerate(kinds):
            student = f"student{i + 1:02d}"
            rng = random.Random(f"{seed}/{student}/{a}")
            nb, note = make_submission(a, kind, rng, root)
            folder = root / "submitted" / student / a
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            target = folder / f"{a}.ipynb"
            if isinstance(nb, str):
                target.write_text(nb)
            else:
                nbformat.write(nb, str(target))
            roster.append({"student": student, "assignment": a, "kind": kind, "note": note})
    return roster
