"""Engine speed vs PyTorch CPU, measured in the same run (never asserted).

    python -m benchmarks.engine            # every engine row
    python -m benchmarks.engine --bn 5     # only the BatchNorm rows, best of 5 rounds

Every measurement runs in a fresh subprocess so that BLAS threads can be pinned with
environment variables (numpy; threadpoolctl is not needed) or torch.set_num_threads (PyTorch).
PyTorch is looked up in this interpreter, $BPKIT_TORCH_PYTHON or /tmp/torchvenv/bin/python.
"""
import inspect
import json
import os
import subprocess
import sys

from benchmarks.common import (
    NO_TORCH,
    best_of_rounds,
    fmt_time,
    markdown_table,
    ratio,
    row,
    run_json,
    thread_env,
    timeit_best,
    torch_python,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def timeit_cpu(fn, number, repeat=5, warmup=None):
    """timeit_best on this process's CPU clock: time spent waiting for a core shared with other
    jobs does not count (one thread only: with more, CPU time adds up across threads)."""
    import time
    for _ in range(warmup if warmup is not None else max(1, number // 5)):
        fn()
    ts = []
    for _ in range(repeat):
        t = time.process_time()
        for _ in range(number):
            fn()
        ts.append((time.process_time() - t) / number)
    return min(ts)


# --------------------------------------------------------------------------- bpkit workers
def _numpy_floor_step(rng):
    """The sigmoid+quadratic step of mlp784_sigmoid written as bare numpy, no layers and no
    checks: the fewest numpy calls that do the same math (each elementwise pass is one numpy
    call on one core; BLAS gets the threads). What the engine could reach at best with numpy."""
    import numpy as np
    sizes = [784, 256, 256, 10]
    Ws = [rng.standard_normal((m, n)).astype(np.float32) / np.float32(np.sqrt(n)) for n, m in zip(sizes, sizes[1:])]
    bs = [np.zeros((m, 1), np.float32) for m in sizes[1:]]
    gWs, gbs = [np.empty_like(W) for W in Ws], [np.empty_like(b) for b in bs]
    X = rng.standard_normal((784, 128)).astype(np.float32)
    Y = rng.random((10, 128)).astype(np.float32)
    ones = np.ones((128, 1), np.float32)

    def step():
        acts = [X]
        for W, b in zip(Ws, bs):
            a = np.dot(W, acts[-1])                          # (19)
            a += b
            np.negative(a, out=a)
            np.exp(a, out=a)
            a += 1
            np.reciprocal(a, out=a)                          # σ(z) (20)
            acts.append(a)
        d = acts[-1] - Y
        float(0.5 * np.vdot(d, d) / 128)                     # C (9)
        d /= np.float32(128)
        for l in (2, 1, 0):
            a = acts[l + 1]
            t = 1 - a
            t *= a
            t *= d                                           # δ = ∂C/∂a ∘ σ′(z)  (22), (23)
            np.dot(t, acts[l].T, out=gWs[l])                 # (25)
            np.dot(t, ones, out=gbs[l])                      # (24)
            if l:
                d = np.dot(Ws[l].T, t)
        for p, g in zip(Ws + bs, gWs + gbs):
            p -= 0.01 * g                                    # (15)
    return step


def _bpkit_worker(which):
    which, _, clock = which.partition("@")
    timeit_best_ = timeit_cpu if clock == "cpu" else timeit_best
    import numpy as np

    from bpkit.layers import BatchNorm
    from bpkit.network import mlp
    from bpkit.optim import SGD, sgd_step, train_sgd_single
    rng = np.random.default_rng(0)
    if which == "mlp784":
        net = mlp([784, 256, 256, 10], activation="relu", loss="softmax_ce", rng=rng, dtype=np.float32)
        X = rng.standard_normal((784, 128)).astype(np.float32)
        y = rng.integers(0, 10, 128)
        opt, P, G = SGD(0.01), net.parameters(), net.gradients()

        def step():
            net.loss_and_grads(X, y)
            opt.step(P, G)
        return timeit_best_(step, 50, repeat=7, warmup=10)
    if which == "mlp784_sigmoid":
        net = mlp([784, 256, 256, 10], activation="sigmoid", loss="quadratic", init="xavier", rng=rng,
                  dtype=np.float32)
        X = rng.standard_normal((784, 128)).astype(np.float32)
        Y = rng.random((10, 128)).astype(np.float32)
        opt, P, G = SGD(0.01), net.parameters(), net.gradients()

        def step():
            net.loss_and_grads(X, Y)
            opt.step(P, G)
        return timeit_best_(step, 50, repeat=7, warmup=10)
    if which == "mlp784_sigmoid_numpy":
        return timeit_best_(_numpy_floor_step(rng), 50, repeat=7, warmup=10)
    if which == "tiny":
        net = mlp([2, 8, 8, 2], activation="sigmoid", init="normal", rng=rng)
        x, t = rng.random((2, 1)), rng.random((2, 1))
        P, G = net.parameters(), net.gradients()

        def step():
            net.loss_and_grads(x, t)
            sgd_step(P, G, 0.05)
        return timeit_best(step, 3000, repeat=7)
    if which == "tiny_fast":
        net = mlp([2, 8, 8, 2], activation="sigmoid", init="normal", rng=rng)
        X, Y = rng.random((2, 10)), rng.random((2, 10))
        n = 20000
        return timeit_best(lambda: train_sgd_single(net, X, Y, 0.05, n, rng), 1, repeat=5, warmup=1) / n
    if which == "bn":
        bn = BatchNorm(256, dtype=np.float32)
        x = rng.standard_normal((256, 128)).astype(np.float32)
        d = rng.standard_normal((256, 128)).astype(np.float32)

        def step():
            out, c = bn.forward(x, True)
            bn.backward(d, c)
        return timeit_best_(step, 500, repeat=7)
    raise ValueError(which)


# --------------------------------------------------------------------------- torch worker (a script)
TORCH_WORKER = r'''
import json, sys, time
import torch
which, threads = sys.argv[1], int(sys.argv[2])
which, _, clock = which.partition("@")
torch.set_num_threads(threads)
torch.manual_seed(0)

TIMEIT_BEST
TIMEIT_CPU
if clock == "cpu":
    timeit_best = timeit_cpu

nn = torch.nn
if which == "mlp784":
    net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    X = torch.randn(128, 784)
    y = torch.randint(0, 10, (128,))
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    lossf = nn.CrossEntropyLoss()
    def step():
        opt.zero_grad(set_to_none=True)
        lossf(net(X), y).backward()
        opt.step()
    t = timeit_best(step, 50, repeat=7, warmup=10)
elif which == "mlp784_sigmoid":
    net = nn.Sequential(nn.Linear(784, 256), nn.Sigmoid(), nn.Linear(256, 256), nn.Sigmoid(),
                        nn.Linear(256, 10), nn.Sigmoid())
    X = torch.randn(128, 784)
    Y = torch.rand(128, 10)
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    def step():                     # C = (1/N) sum_i 1/2 ||y - a||^2, the course's (9)
        opt.zero_grad(set_to_none=True)
        (0.5 * ((net(X) - Y) ** 2).sum() / X.shape[0]).backward()
        opt.step()
    t = timeit_best(step, 50, repeat=7, warmup=10)
elif which in ("tiny", "tiny_fast"):
    net = nn.Sequential(nn.Linear(2, 8), nn.Sigmoid(), nn.Linear(8, 8), nn.Sigmoid(),
                        nn.Linear(8, 2), nn.Sigmoid()).double()
    x = torch.rand(1, 2, dtype=torch.float64); yt = torch.rand(1, 2, dtype=torch.float64)
    opt = torch.optim.SGD(net.parameters(), lr=0.05)
    def step():
        opt.zero_grad(set_to_none=True)
        (0.5 * ((net(x) - yt) ** 2).sum()).backward()
        opt.step()
    t = timeit_best(step, 1000, repeat=7)
elif which == "bn":
    bn = nn.BatchNorm1d(256)
    x = torch.randn(128, 256, requires_grad=True)
    d = torch.randn(128, 256)
    def step():
        x.grad = None
        bn.zero_grad(set_to_none=True)
        bn(x).backward(d)
    t = timeit_best(step, 500, repeat=7)
print(json.dumps(t))
'''
# the same timer as ours, sent along: the worker runs in PyTorch's interpreter, without bpkit
TORCH_WORKER = (TORCH_WORKER.replace("TIMEIT_BEST", inspect.getsource(timeit_best))
                .replace("TIMEIT_CPU", inspect.getsource(timeit_cpu)))


def measure_bpkit(which, threads=1):
    return run_json(sys.executable, ["-m", "benchmarks.engine", "--worker", which],
                    env=thread_env(threads), cwd=ROOT)


def measure_torch(which, threads=1, python=None):
    if python is None:
        return None
    return run_json(python, ["-c", TORCH_WORKER, which, str(threads)], env=thread_env(threads))


def import_time(module="bpkit", repeat=5):
    code = (f"import time; t = time.perf_counter(); import {module}; "
            f"print(time.perf_counter() - t)")
    return min(float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                    cwd=ROOT, check=True).stdout) for _ in range(repeat))


def bn_jobs(tp):
    return {"bn": lambda: measure_bpkit("bn", 1), "bn_torch": lambda: measure_torch("bn", 1, tp),
            "bn_cpu": lambda: measure_bpkit("bn@cpu", 1), "bn_cpu_torch": lambda: measure_torch("bn@cpu", 1, tp)}


def bn_rows(m, ref):
    a, b = m["bn"], m["bn_torch"]
    out = [row("BatchNorm forward+backward 128×256 float32 (train mode), 1 thread",
               fmt_time(a), ref(b), ratio(a, b), "≤ 1.2×")]
    a, b = m["bn_cpu"], m["bn_cpu_torch"]
    out.append(row("same, BatchNorm, CPU time of the process (insensitive to other load)",
                   fmt_time(a), ref(b), ratio(a, b), "≤ 1.2×"))
    return out


def rows(rounds=2):
    tp = torch_python()
    ref = (lambda t: fmt_time(t) + " (PyTorch)") if tp else (lambda t: NO_TORCH)
    jobs = {}
    for threads in (1, 2):
        for w in ("mlp784", "mlp784_sigmoid"):
            jobs[f"{w}_{threads}"] = lambda t=threads, w=w: measure_bpkit(w, t)
            jobs[f"{w}_{threads}_torch"] = lambda t=threads, w=w: measure_torch(w, t, tp)
        jobs[f"floor_{threads}"] = lambda t=threads: measure_bpkit("mlp784_sigmoid_numpy", t)
    for w in ("mlp784", "mlp784_sigmoid"):     # CPU clock: what other jobs on the machine add is gone
        jobs[f"{w}_cpu"] = lambda w=w: measure_bpkit(w + "@cpu", 1)
        jobs[f"{w}_cpu_torch"] = lambda w=w: measure_torch(w + "@cpu", 1, tp)
    jobs["tiny"] = lambda: measure_bpkit("tiny", 1)
    jobs["tiny_fast"] = lambda: measure_bpkit("tiny_fast", 1)
    jobs["tiny_torch"] = lambda: measure_torch("tiny", 1, tp)
    jobs.update(bn_jobs(tp))
    m = best_of_rounds(jobs, rounds)
    out = []
    for threads in (1, 2):
        for w, what in (("mlp784", "relu+softmax-CE"), ("mlp784_sigmoid", "sigmoid+quadratic")):
            a, b = m[f"{w}_{threads}"], m[f"{w}_{threads}_torch"]
            out.append(row(f"784-256-256-10 {what}, B=128, float32 train step, {threads} thread(s)",
                           fmt_time(a), ref(b), ratio(a, b), "≤ 1.0×"))
        b = m[f"mlp784_sigmoid_{threads}_torch"]
        out.append(row(f"same sigmoid+quadratic step as bare numpy (no layers, no checks: the engine's "
                       f"floor), {threads} thread(s)", fmt_time(m[f"floor_{threads}"]), ref(b),
                       ratio(m[f"floor_{threads}"], b), "(information)"))
    for w, what in (("mlp784", "relu+softmax-CE"), ("mlp784_sigmoid", "sigmoid+quadratic")):
        a, b = m[f"{w}_cpu"], m[f"{w}_cpu_torch"]
        out.append(row(f"same, {what}, 1 thread, CPU time of the process (insensitive to other load)",
                       fmt_time(a), ref(b), ratio(a, b), "≤ 1.0×"))
    b = m["tiny_torch"]
    out.append(row("2-8-8-2 sigmoid batch-1 SGD step (Network.loss_and_grads + sgd_step)",
                   fmt_time(m["tiny"]), ref(b), ratio(m["tiny"], b), "≤ 0.2×"))
    out.append(row("2-8-8-2 sigmoid batch-1 SGD step (train_sgd_single fast path)",
                   fmt_time(m["tiny_fast"]), ref(b), ratio(m["tiny_fast"], b), "≤ 0.2×"))
    out += bn_rows(m, ref)
    t_bp = import_time("bpkit")
    t_np = import_time("numpy")
    out.append(row("`import bpkit` (fresh subprocess)", fmt_time(t_bp), f"{fmt_time(t_np)} (`import numpy`)",
                   ratio(t_bp, t_np), "≤ 150 ms"))
    t_net = import_time("bpkit.network")
    out.append(row("`import bpkit.network` (engine, includes numpy)", fmt_time(t_net),
                   f"{fmt_time(t_np)} (`import numpy`)", ratio(t_net, t_np), "≤ 150 ms"))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    if load is not None:
        out.append(row("machine load average (1 min) at the end; other jobs slow every figure",
                       f"{load:.1f}", f"{os.cpu_count()} cores", "", "(information)"))
    return out


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        print(json.dumps(_bpkit_worker(sys.argv[2])))
    elif len(sys.argv) >= 2 and sys.argv[1] == "--bn":     # the BatchNorm rows alone
        tp = torch_python()
        ref = (lambda t: fmt_time(t) + " (PyTorch)") if tp else (lambda t: NO_TORCH)
        m = best_of_rounds(bn_jobs(tp), int(sys.argv[2]) if len(sys.argv) > 2 else 2)
        print(markdown_table(bn_rows(m, ref)))
    else:
        print(markdown_table(rows()))
