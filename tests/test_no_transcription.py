"""Lectures teach, assignments transfer (issue 12): nobody earns points by copying.

Per assignment, two checks:

* no lecture defines (``def`` or ``name = lambda``) a function whose name is graded in the
  assignment — the top-level ``def`` names of its solution cells and the names of its ``check()``
  exercises;
* at most SHARE (3 %) of its non-trivial solution lines (inside ``### BEGIN SOLUTION`` /
  ``### END SOLUTION``; comments, blank lines, lines under MIN_CHARS characters and boilerplate
  left out: loop headers, ``return out`` / ``return np.array(out)``,
  ``rng = np.random.default_rng(seed)``) stand verbatim in a lecture or in the assignment's own
  exercise text (markdown and the code students see: setup cells, docstrings, given helpers).

Whitespace runs are collapsed and trailing comments dropped before comparing; a solution line
counts as transcribed when it is contained in one line of that text. The offending names and
lines are printed.
"""
from __future__ import annotations

import ast
import re

import nbformat
import pytest

from bpkit_instructor.course import cells, checkcalls, paths

ROOT = paths.ROOT
ASSIGNMENTS = paths.assignments(ROOT)
LECTURES = sorted((ROOT / "lectures").glob("*.ipynb"))
SHARE = 0.03          # at most this share of the solution lines may stand in the text students read
                      # (issue 25: ≤ 3 %, per assignment)
MIN_CHARS = 15        # shorter lines ("return x", "a = W @ x") are trivia, not transcription

SOLUTION_BLOCK = re.compile(r"^[ \t]*### BEGIN SOLUTION[^\n]*\n(.*?)^[ \t]*### END SOLUTION",
                            re.S | re.M)
TOP_DEF = re.compile(r"^(?:async\s+)?def\s+([A-Za-z_]\w*)", re.M)
INDEX_LOOP = re.compile(r"^for [\w, ()]+ in range\([^()]*\):$")   # the notation's boilerplate
# other lines every numpy program has: loop headers, returning a list as an array, seeding
BOILERPLATE = re.compile(r"^(for [^=]+ in [^=]+:|return (np\.array\()?\w+\)?|"
                         r"\w+ = np\.random\.default_rng\(\w*\))$")


def _read(path):
    return nbformat.read(str(path), as_version=4)


def _is_solution(cell) -> bool:
    return cells.is_answer(cell)


def graded_names(solution_nb) -> set[str]:
    """Top-level def names of the solution cells, and the check() exercise names."""
    names = set()
    for cell in solution_nb.cells:
        if cell.cell_type != "code":
            continue
        if _is_solution(cell):
            names |= set(TOP_DEF.findall(cell.source))
        names |= {n.split(".", 1)[-1] for n in checkcalls.names(cell.source)}
    return names


def defined_functions(nb) -> set[str]:
    """Every function a notebook's code defines: def (any depth) and `name = lambda ...`."""
    found = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(l for l in cell.source.splitlines() if not l.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(source)
        except SyntaxError:
            found |= set(re.findall(r"^\s*(?:async\s+)?def\s+([A-Za-z_]\w*)", source, re.M))
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Lambda):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                found |= {t.id for t in targets if isinstance(t, ast.Name)}
    return found


def normalise(line: str, code: bool = True) -> str:
    if code:
        line = re.sub(r"(^|\s)#.*$", "", line)        # a comment, whole-line or trailing
    return " ".join(line.split())


def solution_lines(solution_nb) -> list[str]:
    """The non-trivial lines of the answers."""
    lines = []
    for cell in solution_nb.cells:
        if cell.cell_type != "code" or not _is_solution(cell):
            continue
        for block in SOLUTION_BLOCK.findall(cell.source):
            for raw in block.splitlines():
                line = normalise(raw)
                if len(line) >= MIN_CHARS and not INDEX_LOOP.match(line) \
                        and not BOILERPLATE.match(line):
                    lines.append(line)
    return lines


def text_lines(nbs) -> list[str]:
    """What students read: every line of the notebooks, normalised (code comments dropped)."""
    out = []
    for nb in nbs:
        for cell in nb.cells:
            code = cell.cell_type == "code"
            out += [n for n in (normalise(l, code) for l in cell.source.splitlines()) if n]
    return out


def transcribed(lines, corpus) -> list[str]:
    """The solution lines that stand in one line of the corpus."""
    exact = set(corpus)
    return [l for l in lines if l in exact or any(l in c for c in corpus if len(c) > len(l))]


@pytest.fixture(scope="module")
def lectures():
    return {p.stem: _read(p) for p in LECTURES}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_lecture_defines_a_graded_function(assignment, lectures):
    graded = graded_names(_read(paths.notebook("solutions", assignment)))
    assert graded, f"{assignment}: no graded names found"
    offences = {name: sorted(defined_functions(nb) & graded) for name, nb in lectures.items()}
    offences = {k: v for k, v in offences.items() if v}
    for lecture, names in offences.items():
        print(f"{assignment}: lecture {lecture} defines graded {', '.join(names)}")
    assert not offences, f"{assignment}: lectures define graded functions: {offences}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_lines_are_not_transcribed(assignment, lectures):
    lines = solution_lines(_read(paths.notebook("solutions", assignment)))
    assert lines, f"{assignment}: no solution lines found"
    corpus = text_lines(list(lectures.values()) + [_read(paths.notebook("exercises", assignment))])
    copied = transcribed(lines, corpus)
    share = len(copied) / len(lines)
    print(f"{assignment}: {len(copied)} of {len(lines)} solution lines ({share:.0%}) stand verbatim "
          f"in a lecture or the exercise text")
    for line in copied:
        print("    " + line)
    assert share <= SHARE, f"{assignment}: {share:.0%} of the solution lines are transcribable: {copied}"


# ----------------------------------------------------------------------------- the detector itself
def _nb(*cells):
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
    out = []
    for kind, src, *sol in cells:
        cell = (new_code_cell if kind == "code" else new_markdown_cell)(src)
        if sol:
            cell.metadata["nbgrader"] = {"solution": True, "grade_id": "x"}
        out.append(cell)
    return new_notebook(cells=out)


def test_the_detector_finds_a_copied_function_and_copied_lines():
    solution = _nb(("code", 'def delta_L(a, y):\n    """doc"""\n    ### BEGIN SOLUTION\n'
                            "    error = (a - y) * a * (1 - a)   # (22)\n    return error\n"
                            "    for l in range(2, L + 1):\n    ### END SOLUTION\n", True),
                   ("code", 'check("03.delta_L", delta_L)'),
                   ("code", "### BEGIN SOLUTION\nq = (2, 3)\n### END SOLUTION", True))
    assert graded_names(solution) == {"delta_L"}
    assert solution_lines(solution) == ["error = (a - y) * a * (1 - a)"]
    lecture = _nb(("markdown", "# Lecture"),
                  ("code", "delta_L = lambda a, y: 0\ndef helper():\n    def delta_L(): pass\n"),
                  ("code", "err  =  1\nmy_error = (a - y) * a * (1 - a)  # the same line, renamed"))
    assert defined_functions(lecture) == {"delta_L", "helper"}
    corpus = text_lines([lecture])
    assert transcribed(solution_lines(solution), corpus) == ["error = (a - y) * a * (1 - a)"]
    assert transcribed(["something else entirely"], corpus) == []
