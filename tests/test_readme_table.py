"""The README's course table lists every lecture and every assignment, with the points the
solution notebooks actually give (autograded, and graded by hand): change a cell's points, or add a
lecture or an assignment, and this test says which row of the README to update."""
import re

import nbformat

from bpkit_instructor.course import cells as nbcells
from bpkit_instructor.course import paths

ROOT = paths.ROOT


def _table():
    text = (ROOT / "README.md").read_text()
    start = text.index("| topic | lecture | assignment | points |")
    rows = {}
    for line in text[start:].split("\n")[2:]:
        if not line.startswith("| "):
            break
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        rows[cells[0]] = cells
    return rows


def _points(assignment):
    nb = nbformat.read(paths.notebook("solutions", assignment), as_version=4)
    auto = hand = 0
    for cell in nb.cells:
        g = nbcells.meta(cell)
        if g.get("grade"):
            if g.get("solution"):
                hand += g["points"]
            else:
                auto += g["points"]
    fmt = lambda x: f"{x:g}"                                          # noqa: E731
    return fmt(auto) + (f" + {fmt(hand)} by hand" if hand else "")


def test_every_lecture_has_a_row_naming_it():
    rows = _table()
    for lecture in sorted((ROOT / "lectures").glob("*.ipynb")):
        row = rows.get(lecture.stem[:2])
        assert row is not None, f"README course table: no row for {lecture.name}"
        assert f"lectures/{lecture.name}" in row[1], f"README row {lecture.stem[:2]} names another lecture"


def test_every_assignment_has_its_points():
    rows = _table()
    for assignment in paths.assignments(ROOT):
        row = rows.get(assignment[:2])
        assert row is not None, f"README course table: no row for assignment {assignment}"
        assert row[3] == _points(assignment), (
            f"README row {assignment[:2]}: points {row[3]!r}, the notebook gives {_points(assignment)!r}")
        assert row[2] not in ("", "—"), f"README row {assignment[:2]}: say what the assignment asks"


def test_rows_without_an_assignment_say_so():
    rows = _table()
    graded = {a[:2] for a in paths.assignments(ROOT)}
    for key, row in rows.items():
        if key not in graded:
            assert row[3] == "—", f"README row {key}: points {row[3]!r} but there is no assignment {key}"
        assert re.fullmatch(r"\d\d", key), key
