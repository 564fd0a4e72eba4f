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


def answer_path(name: str) -> Path:
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
    return _judge_process([name, str(path)] + (["--hidden"] if hidden else []), [name], timeout)[0]


def run_judge_many(pairs, timeout: float = 300.0) -> list[dict]:
    """Judge several (exercise, answer path) pairs, visible then hidden cases, in ONE fresh
    interpreter (each answer still runs in its own forked child)."""
    args = [str(x) for pair in pairs for x in pair] + ["--all-cases"]
    return _judge_process(args, [name for name, _ in pairs], timeout)


def _judge_process(args, names, timeout) -> list[dict]:
    cmd = [sys.executable, "-I", "-m", "bpkit.grading.judge", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
        out, err = proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as exc:  # keep the verdicts it printed before the limit
        partial = exc.stdout or ""
        out = partial.decode() if isinstance(partial, bytes) else partial
        err = "the judge timed out"
    verdicts = []
    for line in out.strip().splitlines():
        try:
            verdicts.append(json.loads(line))
        except ValueError:
            continue
    for name in names[len(verdicts):]:  # whatever the judge did not get to
        verdicts.append({"exercise": name, "passed": False, "flags": ["judge-crashed"],
                         "message": "the judge did not finish: " + err.strip()[-800:]})
    return verdicts


def check(name: str, answer, hidden: bool = False):
    """Check `answer` (usually your function) for exercise `name`; raise CheckFailed if wrong."""
    __tracebackhide__ = True  # noqa: F841 - IPython hides this frame in tracebacks
    path = record(name, answer)
    verdict = run_judge(name, path, hidden=hidden)
    if not verdict.get("passed"):
        raise CheckFailed("\n" + verdict.get("message", "wrong answer"))
    print("✓ " + verdict["message"])
