"""The checker a test cell calls: record the answer, ask the judge, explain the verdict."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import cloudpickle

from bpkit.grading.verdict import Verdict

ANSWERS_ENV = "BPKIT_ANSWERS"
# the judge module the checker runs: the student part's (released data, visible cases) unless the
# instructor's tools name another one (the key's re-judge, which also draws hidden cases)
JUDGE_ENV = "BPKIT_JUDGE"
STUDENT_JUDGE = "bpkit.grading.judge"
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
    path = answer_path(name)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        cloudpickle.dump(answer, f)
    os.replace(tmp, path)
    return path


def judge_module() -> str:
    return os.environ.get(JUDGE_ENV) or STUDENT_JUDGE


def run_judge(name: str, path, hidden: bool = False, timeout: float = 120.0,
              module: str | None = None) -> Verdict:
    """Run the judge in a fresh, isolated interpreter and return its verdict."""
    args = [name, str(path)] + (["--hidden"] if hidden else [])
    return _judge_process(args, [name], timeout, module)[0]


def run_judge_many(pairs, timeout: float = 300.0, module: str | None = None) -> list[Verdict]:
    """Judge several (exercise, answer path) pairs, visible then hidden cases, in ONE fresh
    interpreter (each answer still runs in its own forked child)."""
    args = [str(x) for pair in pairs for x in pair] + ["--all-cases"]
    return _judge_process(args, [name for name, _ in pairs], timeout, module)


def _judge_process(args, names, timeout, module=None) -> list[Verdict]:
    cmd = [sys.executable, "-I", "-m", module or judge_module(), *args]
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
            verdicts.append(Verdict.from_dict(json.loads(line)))
        except (ValueError, TypeError):
            continue
    for name in names[len(verdicts):]:  # whatever the judge did not get to
        verdicts.append(Verdict.failed(name, "judge-crashed",
                                       "the judge did not finish: " + err.strip()[-800:]))
    return verdicts


def check(name: str, answer, hidden: bool = False):
    """Check `answer` (usually your function) for exercise `name`; raise CheckFailed if wrong."""
    __tracebackhide__ = True  # noqa: F841 - IPython hides this frame in tracebacks
    path = record(name, answer)
    verdict = run_judge(name, path, hidden=hidden)
    if not verdict.passed:
        raise CheckFailed("\n" + (verdict.message or "wrong answer"))
    print("✓ " + verdict.message)
