"""The checker a test cell calls: record the answer, ask the judge, explain the verdict."""
from __future__ import annotations

import atexit
import json
import os
import re
import select
import subprocess
import sys
import tempfile
import threading
import time
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
ANSWERS_NOTE = (f"\n(check() keeps a copy of each answer it checks in {ANSWERS_DIR}/ next to this "
                "notebook, one .pkl file per exercise: the judge reads it from there, in a process "
                "of its own. It holds only your own answers and is rewritten at every check; "
                "grading records them afresh from your notebook, so deleting it does no harm.)")


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
    """Judge one recorded answer in the judge process (kept warm, isolated from the caller)."""
    return warm_judge(module).ask([(name, path)], timeout, hidden=hidden)[0]


def run_judge_many(pairs, timeout: float = 300.0, module: str | None = None) -> list[Verdict]:
    """Judge several (exercise, answer path) pairs, visible then hidden cases, in the judge
    process (each answer still runs in its own forked child)."""
    return warm_judge(module).ask(pairs, timeout, all_cases=True)


# The environment variables a judge process depends on; a change of any other (a notebook's
# MPLBACKEND, a kernel's JPY_* or PATH) keeps the warm judge. The judge runs `python -I`, which
# ignores PYTHON* (PYTHONPATH included) and finds its interpreter by absolute path, and reads
# answers by absolute path; what it does read: bpkit's own settings (BPKIT_*), the thread
# counts and CPU dispatch of numpy and its BLAS/OpenMP (they can move the last bits of a
# result), which libraries the loader picks (LD_*), and the locale (its messages' encoding).
JUDGING_ENV_PREFIXES = ("BPKIT_", "OMP_", "GOMP_", "KMP_", "OPENBLAS_", "GOTO", "MKL_", "BLIS_",
                        "VECLIB_", "NPY_", "NUMPY_", "LD_", "LC_")
JUDGING_ENV_NAMES = ("LANG",)


def judging_env(environ=None) -> dict[str, str]:
    """The part of the environment that can change how a judge process judges."""
    environ = os.environ if environ is None else environ
    return {k: v for k, v in environ.items()
            if k.startswith(JUDGING_ENV_PREFIXES) or k in JUDGING_ENV_NAMES}


class WarmJudge:
    """A judge interpreter (``python -I -m MODULE --serve``) kept up between checks: the imports,
    the released data, the key and its mutants are loaded once instead of once a check. It runs
    in a fresh process that never executes the caller's code; each answer runs in the judge's own
    forked, locked-down child. A judge that dies or times out, or whose judging environment
    (``judging_env``) is no longer the caller's, is replaced on the next request."""

    def __init__(self, module: str):
        self.module = module
        self.proc: subprocess.Popen | None = None
        self._err = None
        self._buf = b""
        self._env: dict[str, str] = {}

    def _start(self):
        self._env = judging_env()
        self._err = tempfile.TemporaryFile()
        self._buf = b""
        self.proc = subprocess.Popen([sys.executable, "-I", "-m", self.module, "--serve"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._err, start_new_session=True)

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def _stderr(self) -> str:
        self._err.seek(0)
        return self._err.read().decode(errors="replace").strip()[-800:]

    def ask(self, pairs, timeout: float, hidden: bool = False, all_cases: bool = False) -> list[Verdict]:
        pairs = [(str(n), os.path.abspath(p)) for n, p in pairs]   # the judge's folder may differ
        if not pairs:
            return []
        if self.proc is not None and (self.proc.poll() is not None or self._env != judging_env()):
            self.close()
        if self.proc is None:
            self._start()
        request = json.dumps({"pairs": pairs, "hidden": hidden, "all_cases": all_cases}) + "\n"
        verdicts, why = [], ""
        try:
            self.proc.stdin.write(request.encode())
            self.proc.stdin.flush()
            deadline = time.monotonic() + timeout
            while len(verdicts) < len(pairs):
                line = self._readline(deadline)
                if line is None:
                    why = "the judge timed out"
                    break
                if line == b"":
                    why = "the judge did not finish: " + self._stderr()
                    break
                try:
                    verdicts.append(Verdict.from_dict(json.loads(line)))
                except (ValueError, TypeError):
                    continue
        except (BrokenPipeError, OSError) as err:
            why = f"the judge did not finish: {err}; {self._stderr()}"
        if len(verdicts) < len(pairs):  # whatever the judge did not get to
            self.close()
            verdicts += [Verdict.failed(name, "judge-crashed", why) for name, _ in pairs[len(verdicts):]]
        return verdicts

    def _readline(self, deadline) -> bytes | None:
        """One line of the judge's output; b"" at its end; None past the deadline."""
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return b""
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return line


_WARM: dict[tuple[str, int, int], WarmJudge] = {}


def warm_judge(module: str | None = None) -> WarmJudge:
    """This thread's warm judge for `module` (a forked process or another thread gets its own:
    a judge answers one request at a time)."""
    key = (module or judge_module(), os.getpid(), threading.get_ident())
    if key not in _WARM:
        _WARM[key] = WarmJudge(key[0])
    return _WARM[key]


@atexit.register
def _close_judges():
    """This process's judges end with it (a forked child leaves its parent's alone)."""
    for (_, pid, _), found in _WARM.items():
        if pid == os.getpid():
            found.close()


def check(name: str, answer, hidden: bool = False):
    """Check `answer` (usually your function) for exercise `name`; raise CheckFailed if wrong."""
    __tracebackhide__ = True  # noqa: F841 - IPython hides this frame in tracebacks
    first = not Path(os.environ.get(ANSWERS_ENV) or ANSWERS_DIR).exists()
    path = record(name, answer)
    verdict = run_judge(name, path, hidden=hidden)
    if not verdict.passed:
        raise CheckFailed("\n" + (verdict.message or "wrong answer") + (ANSWERS_NOTE if first else ""))
    print("✓ " + verdict.message + (ANSWERS_NOTE if first else ""))
