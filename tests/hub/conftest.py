"""Fixtures for the course-hub tests: a real JupyterHub with a 30-student roster (real system
users, each with their own generated password), HTTPS with a self-signed certificate,
nbgrader's exchange, and headless Chromium (Playwright) logging in with those passwords.

    make test-hub          # = python -m pytest -q -n 0 -m hub tests/hub   (as root)

The hub (tests/hub/hubfixture.py: `bpkit hub init --roster` then `bpkit hub start --ssl-cert
--ssl-key`) has its own state folder (.hub/test), free ports, its own exchange
(.hub/test/exchange) and course folder (~bpkit-instructor/bpkit-course-test, made afresh), so
a demo hub may run beside it. The hub and its proxy are stopped by their PIDs at teardown.
Screenshots go to artifacts/hub/ (git-ignored).
"""
from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "hub"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]
CLASS_SIZE = 30


@pytest.fixture(scope="session")
def hub():
    if os.geteuid() != 0:
        pytest.skip("the course hub creates system users: run make test-hub as root")
    pytest.importorskip("jupyterhub", reason="pip install -e '.[hub]' (make test-hub does it)")
    import hubfixture
    if not hubfixture.setup.PROXY.exists():
        pytest.skip("configurable-http-proxy missing: make test-hub installs it")
    t0 = time.perf_counter()
    h = hubfixture.start_class_hub(ROOT / ".hub" / "test", CLASS_SIZE, "bpkit-course-test")
    h.timings["hub setup and start"] = time.perf_counter() - t0
    try:
        yield h
    finally:
        h.stop()
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
