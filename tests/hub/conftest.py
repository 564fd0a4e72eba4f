"""Fixtures for the course-hub tests: a real JupyterHub (hub/setup.py) with real system users,
nbgrader's exchange, and headless Chromium (Playwright) logging in with real passwords.

    make test-hub          # = python -m pytest -q -n 0 -m hub tests/hub   (as root)

The hub is the one `make hub` starts, in its own state folder (.hub/test), on free ports, with its
own exchange (.hub/test/exchange) and course folder (~bpkit-instructor/bpkit-course-test, made
afresh), so a demo hub may run beside it. The test resets the demo students' fetched copies of
the assignments it uses. The hub and its proxy are stopped by their PIDs at teardown.
Screenshots go to artifacts/hub/ (git-ignored).
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "hub"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]
ASSIGNMENTS_USED = ("03-backprop", "01-chain-rule")


def load_setup():
    spec = importlib.util.spec_from_file_location("hub_setup", ROOT / "hub" / "setup.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _free_base_port():
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port < 65000 and all(_free(p) for p in (port, port + 1, port + 2)):
            return port
    raise RuntimeError("no three free consecutive ports")


def _free(port):
    with socket.socket() as s:
        # as the servers bind: a port whose old connections linger in TIME_WAIT is free
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


class Hub:
    """The running hub: URLs, logins, and commands run as the course's users."""

    def __init__(self, setup, state, info, args):
        self.setup, self.state, self.info, self.args = setup, state, info, args
        self.url = info["url"]
        self.password = info["password"]
        self.course = Path(info["course"])
        self.exchange = Path(info["exchange"])
        self.instructor = setup.INSTRUCTOR
        self.students = list(setup.STUDENTS)
        self.timings = {}

    def pids(self):
        return (self.setup._read_pid(self.state / "jupyterhub.pid"),
                self.setup._read_pid(self.state / "jupyterhub-proxy.pid"))

    def home(self, user):
        return Path(pwd.getpwnam(user).pw_dir)

    def run_as(self, user, *cmd, cwd=None, check=True, timeout=900, env=None):
        """A command as `user`, with the environment the hub gives that user's JupyterLab
        (so: what they would type in its terminal)."""
        is_instructor = user == self.instructor
        venv = self.info["instructor_venv"] if is_instructor else self.info["student_venv"]
        home = self.home(user)
        full_env = {"HOME": str(home), "USER": user, "LOGNAME": user, "LANG": "C.UTF-8",
                    "PATH": f"{venv}/bin:/usr/local/bin:/usr/bin:/bin",
                    "JUPYTER_CONFIG_PATH": f"{self.info['users_config']}/{user}",
                    "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
        if is_instructor:
            full_env["BPKIT_COURSE"] = str(self.course)
        full_env.update(env or {})
        argv = ["runuser", "-u", user, "--", "env", "-i",
                *[f"{k}={v}" for k, v in full_env.items()], *map(str, cmd)]
        t0 = time.perf_counter()
        proc = subprocess.run(argv, cwd=str(cwd or (self.course if is_instructor else home)),
                              capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
        key = f"{user.replace('bpkit-', '')}: {' '.join(map(str, cmd[:3]))}"
        self.timings[key] = self.timings.get(key, 0) + time.perf_counter() - t0
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(map(str, cmd))} as {user} exited {proc.returncode}:\n"
                                 f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        return proc

    def bpkit(self, *args, **kw):
        return self.run_as(self.instructor, "bpkit", *args, **kw)

    def restart(self):
        """Stop the hub and its proxy by their PIDs, start them again (same state)."""
        before = self.pids()
        self.setup.stop_hub(self.state)
        for pid in before:
            assert not Path(f"/proc/{pid}").exists() or b"jupyterhub" not in \
                Path(f"/proc/{pid}/cmdline").read_bytes(), f"pid {pid} still running"
        cfg = self.setup.hub_config(self.args, self.state)
        self.setup.start_hub(self.state, cfg)
        return before, self.pids()


def reset_student(home: Path):
    for a in ASSIGNMENTS_USED:
        shutil.rmtree(home / a, ignore_errors=True)
    shutil.rmtree(home / ".local" / "share" / "jupyter" / "nbgrader_cache", ignore_errors=True)
    shutil.rmtree(home / ".jupyter" / "lab" / "workspaces", ignore_errors=True)


@pytest.fixture(scope="session")
def hub():
    if os.geteuid() != 0:
        pytest.skip("the course hub creates system users: run make test-hub as root")
    setup = load_setup()
    if not setup.PROXY.exists():
        pytest.skip("configurable-http-proxy missing: make test-hub installs it")
    state = ROOT / ".hub" / "test"
    if (pid := setup._read_pid(state / "jupyterhub.pid")) and setup._alive(pid, "jupyterhub"):
        setup.stop_hub(state)                    # left over from an interrupted run
    shutil.rmtree(state / "exchange", ignore_errors=True)
    args = argparse.Namespace(state=str(state), port=_free_base_port(), ip="127.0.0.1",
                              exchange=str(state / "exchange"), course_name="bpkit-course-test",
                              fresh=True)
    os.environ["PATH"] = f"{setup.COURSE_VENV / 'bin'}{os.pathsep}{os.environ['PATH']}"
    t0 = time.perf_counter()
    info = setup.start(args)
    h = Hub(setup, state, info, args)
    h.timings["hub setup and start"] = time.perf_counter() - t0
    for s in h.students:
        reset_student(h.home(s))
    try:
        yield h
    finally:
        hub_pid, proxy_pid = h.pids()
        setup.stop_hub(state)
        for pid, word in ((hub_pid, b"jupyterhub"), (proxy_pid, b"configurable-http-proxy")):
            if pid and Path(f"/proc/{pid}").exists():
                assert word not in Path(f"/proc/{pid}/cmdline").read_bytes(), \
                    f"{word.decode()} (pid {pid}) still running after stop"
        print("\ntimings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in h.timings.items()),
              file=sys.stderr)


def chromium_path():
    for p in (os.environ.get("BPKIT_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if p and os.path.exists(p):
            return p
    return None


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[browser]'")
    exe = chromium_path()
    if exe is None:
        pytest.skip("no Chromium: apt-get install chromium (or set BPKIT_CHROMIUM)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def artifacts():
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
