"""The checker a test cell calls: record the answer, ask the judge, explain the verdict."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ANSWERS_ENV = "BPKIT_ANSWERS"
# next to the notebook: the kernel runs in the notebook's folder, so every student has their own
ANSWERS_DIR = ".bpkit-answers"


class CheckFailed(AssertionError):
    """A graded answer is wrong; the message says how, in plain words."""


def answer_path(name: str, hidden: bool = False) -> Path:
    """Where the answer for exercise `name` is recorded (kept for the instructor's re-judge)."""
    folder = Path(os.environ.get(ANSWERS_ENV) or ANSWERS_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / (re.sub(r"[^A-Za-z0-9_.-]", "_", name) + ".pkl")


def record(name: str, answer) -> Path:
    import cloudpickle
    path = answer_path(name)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        cloudpickle.dump(answer, f)
    os.replace(tmp, path)
    return path


def run_judge(name: str, path, hidden: bool = False, timeout: float = 120.0) -> dict:
    """Run the judge in a fresh, isolated interpreter and return its verdict."""
    cmd = [sys.executable, "-I", "-m", "bpkit.grading.judge", name, str(path)]
    if hidden:
        cmd.append("--hidden")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return {"exercise": name, "passed": False, "message": "the judge timed out",
                "flags": ["judge-timeout"]}
    lines = proc.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, ValueError):
        return {"exercise": name, "passed": False, "flags": ["judge-crashed"],
                "message": "the judge crashed: " + proc.stderr.strip()[-800:]}


def check(name: str, answer, hidden: bool = False):
    """Check `answer` (usually your function) for exercise `name`; raise CheckFailed if wrong."""
    __tracebackhide__ = True  # noqa: F841 - IPython hides this frame in tracebacks
    path = record(name, answer)
    verdict = run_judge(name, path, hidden=hidden)
    if not verdict.get("passed"):
        raise CheckFailed("\n" + verdict.get("message", "wrong answer"))
    print("✓ " + verdict["message"])
