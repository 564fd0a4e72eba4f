"""What goes wrong in a real class, on the course hub's exchange, with clear messages
(make test-hub; no browser needed: these are the commands the Assignments tab and the
instructor's terminal run, as the real system users).

- the exchange is not writable: `bpkit publish` says so and how to fix it; a student's fetch
  gets nbgrader's own "contact your instructor";
- a submission after the due date: `bpkit collect` names it late, and nbgrader's late penalty
  (c.LateSubmissionPlugin.penalty_method = "zero", set by hub/setup.py) takes its score to 0 in
  grades.csv while raw_score keeps what it earned;
- a student not on the roster: `bpkit collect` sets the submission aside (unrostered/), says how
  to add the student, and nobody grades it.
- a student reaches neither another student's submission in the exchange nor their home.
(The hub restarted between submit and collect: tests/hub/test_hub_class.py and
test_hub_load.py.)
"""
from __future__ import annotations

import csv
import pwd
import random
import subprocess
import time

import nbformat
import pytest
from conftest import ROOT

from bpkit_instructor.course import autograde, simulate

pytestmark = pytest.mark.hub

ASSIGNMENT = "01-chain-rule"
VISITOR = "bpkit-visitor"          # a real user of the machine, not on the course's roster


def ensure_visitor(hub):
    try:
        pwd.getpwnam(VISITOR)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", "--user-group",
                        VISITOR], check=True)
    folder = hub.state / "users" / VISITOR
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nbgrader_config.py").write_text(
        f"c = get_config()  # noqa: F821\nc.Exchange.root = {str(hub.exchange)!r}\n"
        "c.CourseDirectory.course_id = 'bpkit'\n")
    home = hub.home(VISITOR)
    subprocess.run(["rm", "-rf", str(home / ASSIGNMENT),
                    str(home / ".local/share/jupyter/nbgrader_cache")], check=True)


def test_exchange_not_writable(hub):
    student = hub.students[0]
    hub.exchange.chmod(0o755)
    try:
        p = hub.bpkit("publish", ASSIGNMENT, check=False)
        assert p.returncode == 2, p.stdout + p.stderr
        assert f"not writable by {hub.instructor}" in p.stderr, p.stderr
        assert "chmod 777" in p.stderr, p.stderr
        s = hub.run_as(student, "nbgrader", "fetch_assignment", ASSIGNMENT, check=False)
        assert s.returncode != 0
        assert "Unwritable directory, please contact your instructor" in s.stdout + s.stderr
    finally:
        hub.exchange.chmod(0o777)


def test_late_submission_and_a_student_not_on_the_roster(hub):
    late, home = hub.students[1], hub.home(hub.students[1])
    ensure_visitor(hub)
    due = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(time.time() - 60))
    hub.bpkit("publish", ASSIGNMENT, "--due", due)           # the deadline has passed already

    # student B hands in a fully correct notebook, after the deadline
    subprocess.run(["rm", "-rf", str(home / ASSIGNMENT)], check=True)
    hub.run_as(late, "nbgrader", "fetch_assignment", ASSIGNMENT)
    nb, _ = simulate.make_submission(ASSIGNMENT, "correct", random.Random(0), ROOT)
    target = home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nbformat.write(nb, str(target))
    subprocess.run(["chown", f"{late}:{late}", str(target)], check=True)
    hub.run_as(late, "nbgrader", "submit", ASSIGNMENT)
    # someone who is not in the class hands in too
    hub.run_as(VISITOR, "nbgrader", "fetch_assignment", ASSIGNMENT)
    hub.run_as(VISITOR, "nbgrader", "submit", ASSIGNMENT)

    out = hub.bpkit("collect", ASSIGNMENT).stdout
    assert f"late: {late} submitted" in out, out
    assert f"NOT ON THE ROSTER: {VISITOR}" in out and "nbgrader db student add" in out, out
    assert not (hub.course / "submitted" / VISITOR).exists()
    assert (hub.course / "unrostered" / VISITOR / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists()
    assert any((hub.exchange / "bpkit" / "inbound").glob(f"{VISITOR}+{ASSIGNMENT}+*"))  # kept

    graded = hub.bpkit("autograde", ASSIGNMENT).stdout
    assert late in graded and VISITOR not in graded, graded
    hub.bpkit("export")
    rows = [r for r in csv.DictReader(open(hub.course / "grades.csv"))
            if r["assignment"] == ASSIGNMENT]
    assert VISITOR not in {r["student_id"] for r in rows}
    row = next(r for r in rows if r["student_id"] == late)
    raw, penalty = float(row["raw_score"]), float(row["late_submission_penalty"])
    auto_points = sum(c["points"] for c in autograde.grade_cells(ASSIGNMENT, ROOT).values())
    assert raw == auto_points > 0, row                         # it earned every point...
    assert penalty == raw and float(row["score"]) == 0.0, row   # ...and the late penalty took them


def test_students_reach_neither_the_key_nor_each_other(hub):
    """The students' JupyterLab runs the student part only; the course folder (solutions,
    gradebook, submissions) and the other students' homes are closed to them."""
    a, b = hub.students[0], hub.students[1]
    probe = hub.run_as(a, "python", "-I", "-c",
                       "import importlib.util as u, bpkit; print(u.find_spec('bpkit_instructor'))")
    assert probe.stdout.split() == ["None"], probe.stdout
    probe = hub.run_as(a, "python", "-I", "-c", "import bpkit_instructor.course", check=False)
    assert "No module named 'bpkit_instructor'" in probe.stderr, probe.stderr
    repo = hub.setup.REPO  # the answer key in the repository the hub runs from
    key = [repo / "bpkit_instructor" / "exercises", repo / "solutions"]
    for path in (hub.course / "solutions", hub.course / "gradebook.db", hub.home(b), *key):
        p = hub.run_as(a, "ls", path, check=False)
        assert p.returncode != 0 and "Permission denied" in p.stderr, (path, p.stdout, p.stderr)


def test_a_student_reaches_no_other_students_submission(hub):
    """nbgrader's exchange: inbound/ and feedback/ can be written and crossed but not listed,
    and a submission's folder name ends in a random string, so another student can neither
    find it nor guess it; and a student who learns the path gets "Permission denied" (the
    submission is the student's and the instructor's group's only); homes (fetched copies,
    nbgrader's cache) are mode 700."""
    a, b = hub.students[4], hub.students[5]
    subprocess.run(["rm", "-rf", str(hub.home(a) / ASSIGNMENT)], check=True)
    hub.run_as(a, "nbgrader", "fetch_assignment", ASSIGNMENT)
    hub.run_as(a, "nbgrader", "submit", ASSIGNMENT)
    inbound = hub.exchange / "bpkit" / "inbound"
    mine = sorted(inbound.glob(f"{a}+{ASSIGNMENT}+*"))
    assert mine, "no submission in the exchange"
    name = mine[-1].name
    assert len(name.split("+")) == 4, name                  # student+assignment+time+random
    guess = inbound / "+".join(name.split("+")[:3]) / f"{ASSIGNMENT}.ipynb"
    cache = hub.home(a) / ".local" / "share" / "jupyter" / "nbgrader_cache"
    for cmd, path in (("ls", inbound), ("ls", hub.exchange / "bpkit" / "feedback"),
                      ("cat", guess), ("ls", cache), ("cat", hub.home(a) / ASSIGNMENT /
                                                      f"{ASSIGNMENT}.ipynb")):
        p = hub.run_as(b, cmd, path, check=False)
        assert p.returncode != 0 and ("Permission denied" in p.stderr
                                      or "No such file" in p.stderr), (cmd, path, p.stderr)
        assert a not in p.stdout
    # and knowing the exact path is no help (bpkit.exchange.PrivateSubmit: nbgrader alone leaves
    # the files 0644 and the folder 0777): no read, no listing, nothing planted
    for cmd in (("cat", mine[-1] / f"{ASSIGNMENT}.ipynb"),
                ("cat", mine[-1] / "submission_secret.txt"), ("ls", mine[-1]),
                ("touch", mine[-1] / "planted.ipynb")):
        p = hub.run_as(b, *cmd, check=False)
        assert p.returncode != 0 and "Permission denied" in p.stderr, (cmd, p.stderr)
    assert not (mine[-1] / "planted.ipynb").exists()
    # the instructor does see it (collect reads inbound/)
    assert name in hub.run_as(hub.instructor, "ls", inbound).stdout
    assert hub.run_as(hub.instructor, "cat", mine[-1] / f"{ASSIGNMENT}.ipynb").stdout
