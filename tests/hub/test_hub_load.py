"""The whole class at the same moment (make test-hub): the roster's 30 students log in with
their own passwords over HTTPS (certificate checked), start their JupyterLab, then fetch at
once, write their own line into the notebook and submit at once — real HTTP (httpx) against
the hub and each student's JupyterLab, the requests the Assignments tab sends. The hub is
restarted (stopped and started by PID) between the submissions and the collection. All 30
submissions are collected, each holding its own student's words and no one else's.

The response times are printed (artifacts/hub/load.md), never asserted: the figures of record
come from benchmarks/hub_load.py.
"""
from __future__ import annotations

import sys
import time

import pytest
from conftest import ARTIFACTS, CLASS_SIZE

from benchmarks.hub_load import class_at_once

pytestmark = pytest.mark.hub

ASSIGNMENT = "02-naive-derivatives"


def test_the_whole_class_fetches_and_submits_at_once_and_a_restart_loses_nothing(hub):
    due = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(time.time() + 3600))
    hub.bpkit("publish", ASSIGNMENT, "--due", due)
    passwords = {s: hub.passwords[s] for s in hub.students}
    assert len(passwords) == CLASS_SIZE
    restarted = {}

    def restart():                      # between submit and collect
        restarted["pids"] = hub.restart()

    students, walls, errors, timings = class_at_once(hub.url, passwords, str(hub.cert),
                                                    ASSIGNMENT, between=restart)
    report = (f"# {CLASS_SIZE} students at once (test run, {hub.cores} cores)\n\n"
              + timings.table() + "\n\n| phase | wall (s) |\n|---|---|\n"
              + "\n".join(f"| {k} | {v:.1f} |" for k, v in walls.items()) + "\n")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "load.md").write_text(report)
    print("\n" + report, file=sys.stderr)
    assert not any(errors.values()), errors
    before, after = restarted["pids"]
    assert all(after) and set(before).isdisjoint(after), (before, after)

    out = hub.bpkit("collect", ASSIGNMENT).stdout
    assert out.startswith(f"collected {CLASS_SIZE} submission(s) of {ASSIGNMENT}"), out
    assert "late:" not in out and "NOT ON THE ROSTER" not in out, out
    inbound = sorted((hub.exchange / "bpkit" / "inbound").glob(f"*+{ASSIGNMENT}+*"))
    assert len(inbound) == CLASS_SIZE, [p.name for p in inbound]
    marks = hub.collected_marks(ASSIGNMENT)
    assert all(marks.values()), [s for s, ok in marks.items() if not ok]
