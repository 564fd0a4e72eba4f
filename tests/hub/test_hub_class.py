"""A real class on the course hub, in a real browser with real logins (make test-hub).

The instructor publishes 03-backprop. Student A fetches it in nbgrader's Assignments tab, types a
correct solution for one function and a catalogued mistake for another, presses Validate and sees
the misconception named, submits. Student B submits the blank notebook. Student C submits twice
(blank, then all correct: the later counts). Everyone logs in over HTTPS with their own password
(three of the roster's 30 students go through the browser; test_hub_load.py takes all 30
through real HTTP). The hub restarts (stopped and started by PID) before the instructor
collects: nothing is lost. The instructor collects, autogrades, hand-grades student C's written
answer in formgrader (the score reaches grades.csv), returns feedback, exports grades.csv and
opens the class report; student C is removed from the class (locked out, grades kept) and
added back; student A fetches the feedback and
sees which cell lost points and why, without any hidden test's source.

The two functions are chosen from the current solutions notebook and exercise catalogue (a graded
function whose answer cell stands alone, and another with a catalogued variant), and their code
comes from bpkit_instructor/course/simulate.py, so the test follows the course as it changes.
Screenshots of every step: artifacts/hub/NN-step.png.
"""
from __future__ import annotations

import csv
import re
import sys
import time
from pathlib import Path

import nbformat
import pytest

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:            # plain `make test` collects this file without the browser extra
    PlaywrightTimeout = TimeoutError

from conftest import ROOT

from benchmarks.hub_load import Student, Timings
from bpkit_instructor import spec
from bpkit_instructor.course import autograde, simulate
from bpkit_instructor.course import cells as nbcells

pytestmark = pytest.mark.hub

ASSIGNMENT = "03-backprop"
SPAWN_TIMEOUT = 240_000        # ms: a user's JupyterLab started by the hub on a loaded machine
VALIDATE_TIMEOUT = 420_000     # ms: nbgrader validate runs the whole notebook and the checks


# ----------------------------------------------------------------------------- the exercises
def choose_exercises(assignment=ASSIGNMENT):
    """(correct, mistaken): two graded functions whose answer cells stand alone (no other
    graded function named in them) and whose test cells check only them; the second has a
    catalogued variant. Returns dicts with the cell source to type."""
    sol = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    funcs = simulate.graded_functions(sol)
    cells = autograde.grade_cells(assignment, ROOT)
    by_gid = {nbcells.grade_id(c): c for c in sol.cells}
    names = {fn for fn, _ in funcs.values()}
    picks = []
    for ex, (fn, gid) in funcs.items():
        source = simulate.strip_markers(by_gid[gid].source)
        others = {n for n in names - {fn} if re.search(rf"\b{n}\b", source)}
        own = [g for g, info in cells.items() if info["checks"] == [ex]]
        if others or not own or any(ex in info["checks"] for g, info in cells.items()
                                    if g not in own):
            continue
        picks.append({"exercise": ex, "fn": fn, "gid": gid, "solution": source,
                      "points": sum(cells[g]["points"] for g in own), "test_cells": own})
    assert len(picks) >= 2, f"{assignment}: need two stand-alone graded functions, got {picks}"
    correct = picks[0]
    mistaken = next(p for p in picks[1:] if spec.get(p["exercise"]).variants)
    variant = spec.get(mistaken["exercise"]).variants[0]
    mistaken["variant"] = variant.name
    mistaken["typed"] = simulate.variant_source(mistaken["exercise"], variant.name, mistaken["fn"])
    return correct, mistaken, {ex: (fn, gid) for ex, (fn, gid) in funcs.items()}, sol, cells


def manual_cells(sol) -> dict:
    """{grade_id: points} of the manually graded answer cells (a written answer)."""
    return {nbcells.grade_id(c): nbcells.points(c) for c in sol.cells if nbcells.is_manual(c)}


# ------------------------------------------------------------------------------ the browser
class Step:
    def __init__(self, artifacts):
        self.n, self.artifacts, self.times = 0, artifacts, []
        self.t0 = time.perf_counter()

    def shot(self, page, name):
        self.n += 1
        page.screenshot(path=str(self.artifacts / f"{self.n:02d}-{name}.png"))
        self.times.append((name, round(time.perf_counter() - self.t0, 1)))
        print(f"[{self.times[-1][1]:6.1f} s] {self.n:02d}-{name}", file=sys.stderr, flush=True)


# for the screenshots: mark the first (or last) occurrence of a text in a container, scroll to it
MARK_JS = r"""([sel, text, last]) => {
  const root = document.querySelector(sel);
  const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes = [];
  for (let n = walk.nextNode(); n; n = walk.nextNode())
    if (n.textContent.includes(text)) nodes.push(n);
  if (last) nodes.reverse();
  for (const n of nodes) {
    const i = n.textContent.indexOf(text);
    const range = document.createRange();
    range.setStart(n, i); range.setEnd(n, i + text.length);
    const mark = document.createElement('mark');
    range.surroundContents(mark);
    mark.scrollIntoView({block: 'center'});
    return true;
  }
  return false;
}"""


def login(browser, hub, user):
    """Log in over HTTPS with the user's own password (the certificate is the test's
    self-signed one: the browser is told to accept it; httpx checks it in test_hub_accounts)."""
    assert hub.url.startswith("https://"), hub.url
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, ignore_https_errors=True)
    page = ctx.new_page()
    page.set_default_timeout(120_000)
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", hub.passwords[user])
    page.click("#login_submit")
    page.wait_for_selector("#jp-main-dock-panel", timeout=SPAWN_TIMEOUT)
    assert f"/user/{user}/" in page.url, page.url
    return ctx, page


def nbgrader_menu(page) -> list[str]:
    for _attempt in range(6):
        page.click(".lm-MenuBar-itemLabel:text-is('Nbgrader')")
        try:
            page.wait_for_selector(".lm-Menu-itemLabel", timeout=5_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    items = [t.strip() for t in page.locator(".lm-Menu-item:not(.lm-mod-hidden) .lm-Menu-itemLabel")
             .all_text_contents() if t.strip()]
    page.keyboard.press("Escape")
    return items


def click_menu(page, menu: str, item: str, tries: int = 6):
    """Menu ▸ item, as a user clicks it (again if the menu did not open: a busy page may
    swallow the first click)."""
    for attempt in range(tries):
        page.keyboard.press("Escape")
        page.click(f".lm-MenuBar-itemLabel:text-is('{menu}')")
        try:
            page.click(f".lm-Menu-itemLabel:text-is('{item}')", timeout=5_000)
            return
        except PlaywrightTimeout:
            if attempt == tries - 1:
                raise


def assignment_list(page):
    click_menu(page, "Nbgrader", "Assignment List")
    page.wait_for_selector("#nbgrader-assignment-list #released_assignments_list")
    for part in ("released", "fetched", "submitted"):
        page.wait_for_selector(f"#{part}_assignments_list_loading", state="hidden")


def fetch(page, assignment=ASSIGNMENT):
    assignment_list(page)
    page.click(f"#released_assignments_list .list_item:has-text('{assignment}') button:text-is('Fetch')")
    page.wait_for_selector(f"#fetched_assignments_list .list_item:has-text('{assignment}')")


def submit(page, assignment=ASSIGNMENT):
    """Press Submit in the Assignments tab; wait until the submitted list shows the new one
    (nbgrader lists the newest submission of an assignment with its timestamp)."""
    assignment_list(page)
    before = page.inner_text("#submitted_assignments_list")
    page.click(f"#fetched_assignments_list .list_item:has-text('{assignment}') "
               "button:text-is('Submit')")
    page.wait_for_function(
        """([a, before]) => {
             const t = document.querySelector('#submitted_assignments_list').innerText;
             return t.includes(a) && t !== before; }""",
        arg=[assignment, before])


def open_notebook(page, hub, user, assignment=ASSIGNMENT):
    page.goto(f"{hub.url}/user/{user}/lab/tree/{assignment}/{assignment}.ipynb?reset")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=SPAWN_TIMEOUT)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']",
                           timeout=SPAWN_TIMEOUT)


def cell_index(nb_path: Path, grade_id: str) -> int:
    nb = nbformat.read(nb_path, as_version=4)
    return next(i for i, c in enumerate(nb.cells)
                if nbcells.grade_id(c) == grade_id)


def type_into_cell(page, index: int, text: str):
    """Replace the source of the notebook's cell number `index` by `text`, as a student would
    (click into the cell's editor, select all, type)."""
    cell = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").nth(index)
    cell.scroll_into_view_if_needed()
    editor = cell.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(text)


def save_and_wait(page, path: Path, expected: list[str], timeout=60):
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            nb = nbformat.read(path, as_version=4)
            text = "\n".join(c.source for c in nb.cells)
            if all(e in text for e in expected):
                return nb
        except Exception:  # noqa: BLE001 - the file is being written
            pass
        time.sleep(0.5)
    raise AssertionError(f"{path} was not saved with the typed answers")


def key_line(src: str) -> str:
    """The answer's last line of code (what the released notebook does not have)."""
    return [ln for ln in src.splitlines() if ln.strip() and not ln.lstrip().startswith("#")][-1]


# ---------------------------------------------------------------------------------- the test
def test_a_class_on_the_hub(hub, browser, artifacts):
    step = Step(artifacts)
    correct, mistaken, funcs, sol, cells = choose_exercises()
    auto_points = sum(c["points"] for c in cells.values())   # manually graded cells aside

    # the instructor publishes (what they type in their JupyterLab terminal); due in an hour
    due = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(time.time() + 3600))
    out = hub.bpkit("publish", ASSIGNMENT, "--due", due).stdout
    assert "published" in out and (hub.exchange / "bpkit" / "outbound" / ASSIGNMENT).is_dir()

    ictx, ipage = login(browser, hub, hub.instructor)
    menu = nbgrader_menu(ipage)
    assert "Formgrader" in menu and "Assignment List" in menu, menu
    ipage.goto(f"{hub.url}/user/{hub.instructor}/formgrader")
    ipage.wait_for_selector(f"text={ASSIGNMENT}")
    step.shot(ipage, "instructor-formgrader-published")
    ictx.close()

    # ---- student A: fetch, a correct answer and a catalogued mistake, Validate, submit
    a = hub.students[0]
    actx, apage = login(browser, hub, a)
    menu = nbgrader_menu(apage)
    assert "Assignment List" in menu and "Formgrader" not in menu, menu   # students: no formgrader
    assert apage.request.get(f"{hub.url}/user/{a}/formgrader").status == 404
    fetch(apage)
    step.shot(apage, "student-a-fetched")
    open_notebook(apage, hub, a)
    nb_path = hub.home(a) / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    type_into_cell(apage, cell_index(nb_path, correct["gid"]), correct["solution"])
    type_into_cell(apage, cell_index(nb_path, mistaken["gid"]), mistaken["typed"])
    save_and_wait(apage, nb_path, [key_line(correct["solution"]),
                                   "simulated misconception: " + mistaken["variant"]])
    step.shot(apage, "student-a-typed")
    apage.click(".jp-NotebookPanel:not(.lm-mod-hidden) .validate-button")
    dialog = apage.wait_for_selector(".jp-Dialog #validation-message", timeout=VALIDATE_TIMEOUT)
    report = dialog.text_content()
    apage.evaluate(MARK_JS, ["#validation-message", mistaken["variant"], False])  # on screen, marked
    step.shot(apage, "student-a-validate")
    assert mistaken["variant"] in report, report[:3000]          # the misconception, named
    assert "hidden=True" not in report                           # no hidden test in a release
    apage.keyboard.press("Escape")
    submit(apage)
    step.shot(apage, "student-a-submitted")
    actx.close()

    # ---- student B: the blank notebook
    b = hub.students[1]
    bctx, bpage = login(browser, hub, b)
    fetch(bpage)
    submit(bpage)
    step.shot(bpage, "student-b-submitted-blank")
    bctx.close()

    # ---- student C: blank first, then every answer: the later one counts
    c = hub.students[2]
    cctx, cpage = login(browser, hub, c)
    fetch(cpage)
    submit(cpage)
    step.shot(cpage, "student-c-submitted-once")
    open_notebook(cpage, hub, c)
    answers = {gid: simulate.strip_markers(cell.source) for cell in sol.cells
               if (gid := nbcells.grade_id(cell)) and nbcells.is_answer(cell)
               and cell.cell_type == "code"}
    c_path = hub.home(c) / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    for gid, src in answers.items():                 # every answer cell, functions or values
        type_into_cell(cpage, cell_index(c_path, gid), src)
    save_and_wait(cpage, c_path, [key_line(src) for src in answers.values()])
    submit(cpage)
    step.shot(cpage, "student-c-submitted-twice")
    cctx.close()

    # ---- the hub restarts between submit and collect (by PID): nothing is lost
    before, after = hub.restart()
    assert before != after and all(after), (before, after)

    # ---- the instructor collects, grades, returns feedback, exports, writes the report
    collected = hub.bpkit("collect", ASSIGNMENT).stdout
    for s in (a, b, c):
        assert s in collected, collected
    assert "NOT ON THE ROSTER" not in collected and "late:" not in collected, collected
    stamps = sorted((hub.exchange / "bpkit" / "inbound").glob(f"{c}+{ASSIGNMENT}+*"))
    assert len(stamps) == 2                                   # both of C's submissions kept
    assert (hub.course / "submitted" / c / ASSIGNMENT / "timestamp.txt").read_text().strip() \
        == stamps[-1].name.split("+")[2]    # the later one was collected
    hub.bpkit("autograde", ASSIGNMENT)

    # ---- hand grading in formgrader: the instructor scores student C's written answer
    manual = manual_cells(sol)
    assert manual, f"{ASSIGNMENT} has no manually graded cell"
    gid, manual_points = next(iter(manual.items()))
    ictx, ipage = login(browser, hub, hub.instructor)
    sub_id = hub.run_as(hub.instructor, "python", "-c",
                        "from nbgrader.api import Gradebook; import sys; "
                        f"gb = Gradebook('sqlite:///{hub.course / 'gradebook.db'}'); "
                        f"print(gb.find_submission_notebook({ASSIGNMENT!r}, {ASSIGNMENT!r}, "
                        f"{c!r}).id)").stdout.strip()
    ipage.goto(f"{hub.url}/user/{hub.instructor}/formgrader/submissions/{sub_id}/")
    score = ipage.wait_for_selector(f"input.score#{gid}")
    with ipage.expect_response(lambda r: "/formgrader/api/grade/" in r.url
                               and r.request.method == "PUT") as saved:
        score.fill(f"{manual_points:g}")
        ipage.keyboard.press("Tab")                  # formgrader saves on change
    assert saved.value.ok, saved.value.status
    step.shot(ipage, "instructor-hand-graded")
    ictx.close()

    returned = hub.bpkit("return", ASSIGNMENT).stdout
    assert all(s in returned for s in (a, b, c)), returned
    hub.bpkit("export")
    report_path = hub.bpkit("report", ASSIGNMENT).stdout.strip().splitlines()[-1]

    ictx, ipage = login(browser, hub, hub.instructor)
    rel = Path(report_path).resolve().relative_to(hub.course)
    ipage.goto(f"{hub.url}/user/{hub.instructor}/files/{rel}")
    ipage.wait_for_selector(f"text={ASSIGNMENT}")
    step.shot(ipage, "instructor-class-report")
    ipage.goto(f"{hub.url}/user/{hub.instructor}/formgrader/gradebook/{ASSIGNMENT}/{ASSIGNMENT}")
    ipage.wait_for_function("document.querySelectorAll('a.name-shown').length >= 3")
    step.shot(ipage, "instructor-gradebook")
    ictx.close()

    # ---- grades.csv: the three students with the right scores
    rows = {r["student_id"]: r for r in csv.DictReader(open(hub.course / "grades.csv"))
            if r["assignment"] == ASSIGNMENT}
    assert set(rows) >= {a, b, c}, rows
    assert float(rows[a]["score"]) == correct["points"], (rows[a], correct)
    assert float(rows[b]["score"]) == 0.0, rows[b]
    assert float(rows[c]["score"]) == auto_points + manual_points, (rows[c], manual)  # + by hand
    assert float(rows[a]["max_score"]) >= auto_points + manual_points

    # ---- a student removed from the class keeps their grades, and can no longer log in
    removed = hub.hub_cli("remove-student", c).stdout
    assert "account locked" in removed and "taken off the running hub" in removed, removed
    gone = Student(hub.url, c, hub.passwords[c], str(hub.cert), Timings())
    assert not gone.login(), f"{c} logged in after being removed"
    gone.close()
    hub.bpkit("export")
    rows = {r["student_id"]: r for r in csv.DictReader(open(hub.course / "grades.csv"))
            if r["assignment"] == ASSIGNMENT}
    assert float(rows[c]["score"]) == auto_points + manual_points, rows.get(c)
    back = hub.hub_cli("add-student", c, "--name", "Carl Gauss").stdout   # and back again
    assert "the running hub" in back, back
    again = Student(hub.url, c, hub.passwords[c], str(hub.cert), Timings())
    assert again.login(), f"{c} cannot log in after add-student"
    again.close()

    # ---- student A fetches the feedback: which cell lost points and why, no hidden test
    actx, apage = login(browser, hub, a)
    assignment_list(apage)
    apage.click(f"#submitted_assignments_list .list_item:has-text('{ASSIGNMENT}') "
                "button:text-is('Fetch Feedback')")
    apage.wait_for_selector("#submitted_assignments_list :text('view feedback')")
    step.shot(apage, "student-a-feedback-fetched")
    html = sorted((hub.home(a) / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))
    assert html, "no feedback in student A's folder"
    rel = html[-1].relative_to(hub.home(a))
    apage.goto(f"{hub.url}/user/{a}/files/{rel}")
    apage.wait_for_selector(f"text={mistaken['variant']}")
    apage.evaluate(MARK_JS, ["body", mistaken["variant"], True])   # the diagnosis
    step.shot(apage, "student-a-feedback")
    text = apage.inner_text("body")
    assert mistaken["variant"] in text                          # why the cell lost its points
    for gid in mistaken["test_cells"]:               # which cell lost points: its score line
        points = cells[gid]["points"]
        assert re.search(rf"Grade cell:\s*{re.escape(gid)}\s*Score:\s*0\.0\s*/\s*{points:.1f}",
                         text), text[:3000]
    for gid in correct["test_cells"]:
        points = cells[gid]["points"]
        assert re.search(rf"Grade cell:\s*{re.escape(gid)}\s*Score:\s*{points:.1f}\s*/\s*{points:.1f}",
                         text), text[:3000]
    assert "hidden=True" not in text and "BEGIN HIDDEN TESTS" not in text   # no hidden source
    actx.close()
    print("\nsteps (s since start): " + ", ".join(f"{n} {t}" for n, t in step.times))
