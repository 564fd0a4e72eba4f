"""Fixtures for the browser tests: a real JupyterLab server and headless Chromium (Playwright).

    make test-browser      # = python -m pytest -q -m browser tests/browser

The server is started once per session from this venv (`jupyter lab`, which execs jupyter-lab,
so the Popen pid IS the server), on a free port with a random token, with fresh settings, runtime
and workspace directories (autosave off, so notebooks in the repo are never rewritten; notebook
windowing off, so every cell's output is in the DOM). It is stopped by that pid at teardown.
Chromium comes from Debian (`apt-get install chromium`); Playwright's own browsers are not used.
Screenshots go to artifacts/browser/ (git-ignored).
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "browser"
BIN = Path(sys.executable).parent
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]

SETTINGS = {   # JupyterLab user settings for the test server
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
}


def chromium_path():
    for p in (os.environ.get("BPKIT_CHROMIUM"), "/usr/bin/chromium", "/usr/lib/chromium/chromium",
              shutil.which("chromium"), shutil.which("chromium-browser")):
        if p and os.path.exists(p):
            return p
    return None


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tracked_notebooks():
    return sorted(p for d in ("lectures", "exercises", "solutions") for p in (ROOT / d).rglob("*.ipynb")
                  if ".ipynb_checkpoints" not in p.parts)


def _digest(paths):
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


class Lab:
    """A running JupyterLab: url(path) builds authenticated URLs; api(method, path) calls its REST API."""

    def __init__(self, proc, port, token):
        self.proc, self.port, self.token = proc, port, token
        self.base = f"http://127.0.0.1:{port}"

    def url(self, path):
        return f"{self.base}/{path.lstrip('/')}{'&' if '?' in path else '?'}token={self.token}"

    def api(self, method, path, body=None, timeout=10):
        req = urllib.request.Request(self.url(path), method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            data = r.read()
        return json.loads(data) if data else None

    def shutdown_kernels(self):
        """Stop every kernel (keeps the 2 cores free for the next notebook)."""
        for s in self.api("GET", "api/sessions"):
            try:
                self.api("DELETE", f"api/sessions/{s['id']}")
            except OSError:
                pass
        for k in self.api("GET", "api/kernels"):
            try:
                self.api("DELETE", f"api/kernels/{k['id']}")
            except OSError:
                pass


@pytest.fixture(scope="session")
def jupyter_lab():
    if not (BIN / "jupyter").exists():
        pytest.skip(f"jupyter not found in {BIN}")
    port, token = _free_port(), secrets.token_hex(16)
    tmp = Path(tempfile.mkdtemp(prefix="bpkit-lab-"))
    settings = tmp / "settings"
    for name, value in SETTINGS.items():
        f = settings / name
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(value))
    env = dict(os.environ)
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"), JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
               PYDEVD_DISABLE_FILE_VALIDATION="1", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               MPLBACKEND="module://matplotlib_inline.backend_inline")
    cmd = [str(BIN / "jupyter"), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           "--port-retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={ROOT}",
           f"--LabApp.workspaces_dir={tmp / 'workspaces'}"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(tmp / "server.log", "wb")
    before = _digest(_tracked_notebooks())
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    lab = Lab(proc, port, token)
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {proc.returncode}:\n"
                                   f"{(tmp / 'server.log').read_text()[-3000:]}")
            try:
                lab.api("GET", "api/status", timeout=2)
                break
            except OSError as err:
                if time.monotonic() > deadline:
                    raise RuntimeError("jupyter lab did not answer /api/status within 90 s:\n"
                                       + (tmp / "server.log").read_text()[-3000:]) from err
                time.sleep(0.5)
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
        assert any(b"jupyter-lab" in a or a == b"lab" for a in cmdline), cmdline   # the server itself
        lab.log_path = tmp / "server.log"
        yield lab
    finally:
        try:
            lab.shutdown_kernels()
        except Exception:  # noqa: BLE001 - a server already gone has no kernels to stop
            pass
        proc.send_signal(signal.SIGTERM)     # by pid: only the server we started
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)
        after = _digest(_tracked_notebooks())
        changed = [p for p in before if after.get(p) != before[p]]
        assert not changed, f"browser tests modified notebooks in the repo: {changed}"


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[browser]'")
    exe = chromium_path()
    if exe is None:
        pytest.skip("no Chromium: apt-get install chromium (or set BPKIT_CHROMIUM)")
    with sync_api.sync_playwright() as p:       # Playwright gives the browser a fresh temporary profile
        b = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser, jupyter_lab):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.js_errors = errors
    yield pg
    ctx.close()
    jupyter_lab.shutdown_kernels()


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
