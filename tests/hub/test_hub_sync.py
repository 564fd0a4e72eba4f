"""`bpkit hub sync` (make test-hub): the repository's solutions/, exercises/, lectures/ and
course.toml reach the course folder the hub serves; it says what was added, changed and removed, names a published
assignment whose source changed, and touches neither the submissions, the grades nor the hub's
nbgrader settings.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.hub

ASSIGNMENT = "01-chain-rule"


def digest(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()} if folder.exists() else {}


def test_sync_says_what_changed_and_leaves_submissions_alone(hub):
    course = hub.course
    # some instructor state to keep: a submission, a grade, the gradebook, the hub's settings
    sub = course / "submitted" / hub.students[0] / "99-kept" / "99-kept.ipynb"
    sub.parent.mkdir(parents=True, exist_ok=True)
    sub.write_text('{"kept": true}')
    hub.bpkit("publish", ASSIGNMENT)                # students may have fetched it
    hub.hub_cli("sync")                            # start from the repository as it is now
    kept = {f: digest(course / f) for f in ("submitted", "autograded", "feedback")}
    gradebook = (course / "gradebook.db").read_bytes()
    config = (course / "nbgrader_config.py").read_text()

    # the repository moves on: a fixed typo, a new file, a file gone (made on the course side,
    # as if the repository had had them: the repository itself is never edited by this test)
    lecture = course / "lectures" / "01-chain-rule.ipynb"
    lecture.write_text(lecture.read_text().replace("chain rule", "chain ruel", 1))
    solution = course / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    solution.write_text(solution.read_text() + "\n")
    stale = course / "exercises" / ASSIGNMENT / "old-notes.txt"
    stale.write_text("no longer in the repository")
    gone = course / "lectures" / "00-playground.ipynb"
    assert (ROOT / "lectures" / "00-playground.ipynb").exists()
    gone.unlink()
    toml = course / "course.toml"                   # the released list and due dates
    toml.write_text(toml.read_text().replace("[due]", '[due]\n"01-chain-rule" = "2020-01-01"'))

    out = hub.hub_cli("sync").stdout
    assert "+ lectures/00-playground.ipynb" in out, out
    assert "~ lectures/01-chain-rule.ipynb" in out, out
    assert f"~ solutions/{ASSIGNMENT}/{ASSIGNMENT}.ipynb" in out, out
    assert f"- exercises/{ASSIGNMENT}/old-notes.txt" in out, out
    assert "~ course.toml" in out and "course.toml changed" in out, out
    assert "1 added, 3 changed, 1 removed" in out, out
    assert (course / "course.toml").read_bytes() == (ROOT / "course.toml").read_bytes()
    assert f"run `bpkit publish {ASSIGNMENT}`" in out, out
    skip = {".ipynb_checkpoints", "__pycache__", ".bpkit-answers"}
    for folder in ("lectures", "solutions", "exercises"):
        wanted = {k: v for k, v in digest(ROOT / folder).items() if not skip & set(Path(k).parts)}
        have = {k: v for k, v in digest(course / folder).items() if not skip & set(Path(k).parts)}
        assert have == wanted, folder
    owner = {p.owner() for p in (course / "lectures").rglob("*")}
    assert owner == {hub.instructor}, owner
    # nothing else touched
    assert {f: digest(course / f) for f in kept} == kept
    assert (course / "gradebook.db").read_bytes() == gradebook
    assert (course / "nbgrader_config.py").read_text() == config
    assert "nothing changed" in hub.hub_cli("sync").stdout
    shutil.rmtree(sub.parent.parent / "99-kept")


def test_sync_needs_an_initialised_hub(hub, tmp_path):
    import subprocess
    q = subprocess.run([str(hub.setup.COURSE_VENV / "bin" / "bpkit"), "hub", "sync", "--state",
                        str(tmp_path / "nothing")], capture_output=True, text=True)
    assert q.returncode == 2 and "run `bpkit hub init --roster" in q.stderr, q.stderr
    assert json.loads((hub.state / "settings.json").read_text())["course"] == str(hub.course)
