"""Tiny helpers shared by the benchmarks: markdown tables, subprocess workers, finding torch."""
import json
import os
import shutil
import subprocess
import sys

FIELDS = ["figure", "value", "reference", "ratio", "goal"]
NO_TORCH = "torch not installed"


def markdown_table(rows):
    """rows: list of dicts with keys figure, value, reference, ratio, goal -> markdown string."""
    lines = ["| " + " | ".join(FIELDS) + " |", "|" + "---|" * len(FIELDS)]
    for r in rows:
        lines.append("| " + " | ".join(str(r.get(k, "")) for k in FIELDS) + " |")
    return "\n".join(lines)


def row(figure, value, reference="", ratio="", goal=""):
    return {"figure": figure, "value": value, "reference": reference, "ratio": ratio, "goal": goal}


def fmt_time(seconds):
    if seconds is None:
        return ""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def ratio(a, b):
    return "" if a is None or b is None else f"{a / b:.2f}×"


def thread_env(n):
    """Environment that pins BLAS/OpenMP thread pools to n threads (for a fresh subprocess)."""
    env = dict(os.environ)
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
        env[k] = str(n)
    return env


def run_json(python, args, env=None, cwd=None, timeout=600):
    """Run `python args...` and parse the last stdout line as JSON."""
    out = subprocess.run([python, *args], capture_output=True, text=True, env=env, cwd=cwd,
                         timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"worker failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def torch_python():
    """A Python executable that can import torch: this one, $BPKIT_TORCH_PYTHON, or
    /tmp/torchvenv/bin/python; None if there is none."""
    cands = [sys.executable, os.environ.get("BPKIT_TORCH_PYTHON"), "/tmp/torchvenv/bin/python"]
    for c in cands:
        if c and (os.path.exists(c) or shutil.which(c)):
            try:
                r = subprocess.run([c, "-c", "import torch"], capture_output=True, timeout=120)
            except (OSError, subprocess.TimeoutExpired):
                continue
            if r.returncode == 0:
                return c
    return None


def timeit_best(fn, number, repeat=5, warmup=None):
    """Best (minimum) over `repeat` runs of the mean time per call of fn over `number` calls
    (the minimum is the figure least disturbed by other processes on a shared machine)."""
    import time
    for _ in range(warmup if warmup is not None else max(1, number // 5)):
        fn()
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(number):
            fn()
        ts.append((time.perf_counter() - t) / number)
    return min(ts)


def best_of_rounds(measurements, rounds=2):
    """measurements: dict name -> zero-arg callable returning seconds (or None). Runs them
    interleaved `rounds` times and keeps each one's minimum, so that a burst of load on a shared
    machine hits the figure and its reference alike."""
    best = {}
    for _ in range(rounds):
        for k, f in measurements.items():
            t = f()
            if t is not None:
                best[k] = t if k not in best else min(best[k], t)
            else:
                best.setdefault(k, None)
    return best
