"""Build nbgrader notebooks from Python: the cell kinds an instructor needs, with nbgrader metadata.

    cells = [md("# Title"), solution("delta_L", src), tests("test_delta_L", 3, src),
             manual("explain_delta_L", 2, "the model answer")]
    write("solutions/03-backprop/03-backprop.ipynb", cells)
"""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

SCHEMA = 3


def _nbgrader(grade_id, *, grade=False, solution=False, locked=False, points=None, task=False):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked,
            "schema_version": SCHEMA, "solution": solution, "task": task}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def md(text: str):
    """A plain markdown cell (prose, LaTeX)."""
    return new_markdown_cell(text.strip("\n"))


def code(src: str):
    """A plain code cell (students may edit it; it is not graded)."""
    return new_code_cell(src.strip("\n"))


def readonly(grade_id: str, src: str, markdown: bool = False):
    """A locked cell: nbgrader restores its source at grading time."""
    make = new_markdown_cell if markdown else new_code_cell
    return make(src.strip("\n"), metadata=_nbgrader(grade_id, locked=True))


def solution(grade_id: str, src: str):
    """An autograded-answer cell; wrap the answer in ### BEGIN SOLUTION / ### END SOLUTION."""
    return new_code_cell(src.strip("\n"), metadata=_nbgrader(grade_id, solution=True))


def manual(grade_id: str, points: float, text: str):
    """A manually graded answer (markdown) worth `points`: `text` is the model answer; students
    get nbgrader's "YOUR ANSWER HERE", and a grader gives the points (formgrader, or
    `bpkit hand-grade`)."""
    return new_markdown_cell(text.strip("\n"), metadata=_nbgrader(grade_id, grade=True,
                                                                   solution=True, points=points))


def tests(grade_id: str, points: float, src: str):
    """A locked, graded test cell worth `points`."""
    return new_code_cell(src.strip("\n"), metadata=_nbgrader(grade_id, grade=True, locked=True,
                                                             points=points))


def write(path, cells, kernel="python3"):
    """Write the notebook with a stable kernelspec and no outputs."""
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python",
                                 "name": kernel}
    nb.metadata["language_info"] = {"name": "python"}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.validate(nb)
    nbformat.write(nb, str(path))
    return path
