"""A whole class at once on the course hub: N students log in with their own passwords over
HTTPS, start their JupyterLab, fetch an assignment, write in it and submit, all at the same
moment (threads released by one barrier), with real HTTP (httpx) against the hub and each
student's JupyterLab, as the Assignments tab does (nbgrader's /assignments/fetch and /submit).

    sudo .venv/bin/python -m benchmarks.hub_load [--students 30] [--assignment 02-naive-derivatives]

It sets up its own hub (state .hub/bench, a generated roster, a self-signed certificate, free
ports), runs the class, collects as the instructor, prints a table of response times per page
(count, median, p95, max) and the checks (every submission collected, each with its student's
own words), and stops the hub by its PIDs. tests/hub/test_hub_load.py runs the same with a
restart of the hub between submit and collect and asserts what was collected, never a time.

The functions here (login, start_server, fetch, submit, class_at_once) are what the test uses.
"""
from __future__ import annotations

import argparse
import json
import os
import ssl
import statistics
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

COURSE_ID = "bpkit"
MARK = "# written and submitted by {user} over HTTP"


class Timings:
    """Response times by page (thread-safe)."""

    def __init__(self):
        self.samples = defaultdict(list)
        self.lock = threading.Lock()

    def add(self, label, seconds):
        with self.lock:
            self.samples[label].append(seconds)

    def table(self) -> str:
        rows = ["| page | requests | median (ms) | p95 (ms) | max (ms) |", "|---|---|---|---|---|"]
        for label, xs in sorted(self.samples.items()):
            rows.append(f"| {label} | {len(xs)} | {statistics.median(xs) * 1e3:.0f} | "
                        f"{p95(xs) * 1e3:.0f} | {max(xs) * 1e3:.0f} |")
        return "\n".join(rows)


def p95(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(0.95 * len(xs))) - 1))]


class Student:
    """One student's browser-like HTTP session (cookies, XSRF) against the hub."""

    def __init__(self, url, user, password, verify, timings: Timings):
        self.url, self.user, self.password = url, user, password
        self.timings = timings
        if isinstance(verify, str):            # the hub's certificate (a CA file): checked
            verify = ssl.create_default_context(cafile=verify)
        self.http = httpx.Client(base_url=url, verify=verify, timeout=600, follow_redirects=True)

    def close(self):
        self.http.close()

    def _xsrf(self, prefix):
        for cookie in self.http.cookies.jar:
            if cookie.name == "_xsrf" and cookie.path.startswith(prefix):
                return cookie.value
        raise AssertionError(f"{self.user}: no _xsrf cookie for {prefix}")

    def request(self, method, path, label, **kw):
        t0 = time.perf_counter()
        r = self.http.request(method, path, **kw)
        self.timings.add(label, time.perf_counter() - t0)
        return r

    def login(self, password=None):
        """POST the login form as a browser does; True if the hub let us in."""
        self.request("GET", "/hub/login", "GET /hub/login")
        r = self.request("POST", "/hub/login?next=/hub/home", "POST /hub/login",
                         data={"username": self.user, "password": password or self.password,
                               "_xsrf": self._xsrf("/hub")})
        return r.status_code == 200 and r.url.path == "/hub/home"

    def start_server(self, timeout=600):
        r = self.request("POST", f"/hub/api/users/{self.user}/server", "POST /hub/api/users/NAME/server",
                         headers={"X-XSRFToken": self._xsrf("/hub")})
        if r.status_code not in (201, 202, 400):     # 400: already running
            raise AssertionError(f"{self.user}: spawn answered {r.status_code} {r.text[:300]}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = self.request("GET", f"/hub/api/users/{self.user}", "GET /hub/api/users/NAME")
            server = r.json().get("servers", {}).get("")
            if server and server.get("ready"):
                break
            time.sleep(1)
        else:
            raise AssertionError(f"{self.user}: JupyterLab not ready within {timeout} s")
        r = self.request("GET", f"/user/{self.user}/lab", "GET /user/NAME/lab")
        assert r.status_code == 200 and "JupyterLab" in r.text, (self.user, r.status_code, r.url)

    def _server_post(self, path, label, **kw):
        return self.request("POST", f"/user/{self.user}{path}", label,
                            headers={"X-XSRFToken": self._xsrf(f"/user/{self.user}")}, **kw)

    def assignments(self):
        r = self.request("GET", f"/user/{self.user}/assignments?course_id={COURSE_ID}",
                         "GET /user/NAME/assignments")
        r.raise_for_status()
        return r.json()

    def fetch(self, assignment):
        r = self._server_post("/assignments/fetch", "POST /user/NAME/assignments/fetch",
                              json={"assignment_id": assignment, "course_id": COURSE_ID})
        r.raise_for_status()
        status = {a["assignment_id"]: a["status"] for a in r.json()["value"]}
        assert status.get(assignment) == "fetched", (self.user, r.text[:500])

    def write(self, assignment):
        """Add this student's own line to the first code cell, through the contents API."""
        path = f"/user/{self.user}/api/contents/{assignment}/{assignment}.ipynb"
        r = self.request("GET", path, "GET /user/NAME/api/contents")
        r.raise_for_status()
        model = r.json()
        cell = next(c for c in model["content"]["cells"] if c["cell_type"] == "code")
        cell["source"] = MARK.format(user=self.user) + "\n" + cell["source"]
        r = self.request("PUT", path, "PUT /user/NAME/api/contents",
                         json={"type": "notebook", "format": "json", "content": model["content"]},
                         headers={"X-XSRFToken": self._xsrf(f"/user/{self.user}")})
        r.raise_for_status()

    def submit(self, assignment):
        r = self._server_post("/assignments/submit", "POST /user/NAME/assignments/submit",
                              json={"assignment_id": assignment, "course_id": COURSE_ID})
        r.raise_for_status()
        body = r.json()
        assert body.get("success"), (self.user, json.dumps(body)[:1000])
        return body


def at_once(students, action, label):
    """Run action(student) for every student, released together by a barrier; returns the
    wall time and the errors by student."""
    barrier = threading.Barrier(len(students))
    errors = {}

    def one(s):
        barrier.wait()
        try:
            action(s)
        except Exception as err:  # noqa: BLE001 - any failure is that student's, reported per student
            errors[s.user] = f"{type(err).__name__}: {err}"[:500]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(len(students)) as pool:
        list(pool.map(one, students))
    wall = time.perf_counter() - t0
    print(f"[load] {label}: {len(students)} students at once, {wall:.1f} s, "
          f"{len(errors)} error(s)", file=sys.stderr, flush=True)
    return wall, errors


def class_at_once(url, passwords: dict, verify, assignment, timings=None, between=None):
    """The whole class: log in and start JupyterLab, then fetch at once, write, submit at once.
    `between()` runs after the submissions (e.g. a hub restart). Returns (students, walls,
    errors) and closes the sessions."""
    timings = timings or Timings()
    students = [Student(url, u, pw, verify, timings) for u, pw in passwords.items()]
    walls, errors = {}, {}
    try:
        def arrive(s):
            assert s.login(), f"{s.user}: login refused"
            s.start_server()
        walls["log in + start JupyterLab"], errors["login"] = at_once(students, arrive, "login + spawn")
        ready = [s for s in students if s.user not in errors["login"]]
        walls["fetch"], errors["fetch"] = at_once(ready, lambda s: s.fetch(assignment), "fetch")
        ready = [s for s in ready if s.user not in errors["fetch"]]
        walls["write"], errors["write"] = at_once(ready, lambda s: s.write(assignment), "write")
        walls["submit"], errors["submit"] = at_once(ready, lambda s: s.submit(assignment), "submit")
        if between:
            between()
    finally:
        for s in students:
            s.close()
    return students, walls, errors, timings


# ------------------------------------------------------------------ standalone: its own hub
def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--students", type=int, default=30, help="class size (default: %(default)s)")
    p.add_argument("--assignment", default="02-naive-derivatives",
                   help="the assignment fetched and submitted (default: %(default)s)")
    p.add_argument("--out", default=str(Path(__file__).with_name("HUB_LOAD.md")),
                   help="markdown file for the table (default: %(default)s; '' for none)")
    args = p.parse_args(argv)
    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root / "tests" / "hub"))
    import hubfixture  # the test's hub: same setup, own state folder
    hub = hubfixture.start_class_hub(root / ".hub" / "bench", args.students,
                                     course_name="bpkit-course-bench")
    try:
        hub.bpkit("publish", args.assignment)
        passwords = {s: hub.passwords[s] for s in hub.students}
        students, walls, errors, timings = class_at_once(hub.url, passwords, str(hub.cert),
                                                        args.assignment)
        out = hub.bpkit("collect", args.assignment).stdout
        collected = hub.collected_marks(args.assignment)
    finally:
        hub.stop()
    bad = {k: v for k, v in errors.items() if v}
    own = sum(1 for ok in collected.values() if ok)
    lines = [f"# The class at once: {args.students} students on one hub",
             "",
             f"`sudo .venv/bin/python -m benchmarks.hub_load --students {args.students}` "
             f"({time.strftime('%Y-%m-%d')}; {hubfixture.machine()}, load average "
             f"{os.getloadavg()[0]:.1f} at the end; JupyterHub {hub.versions}). Every student "
             "logs in with their own password over HTTPS and starts JupyterLab, then all fetch "
             f"{args.assignment} at once, write into it, and submit at once (real HTTP, one "
             "thread per student released by a barrier). Response times per page; the spawn "
             "POST waits for JupyterHub's slow-spawn timeout (10 s) when the machine is busy.",
             "", timings.table(), "",
             "| phase (all students at once) | wall time (s) |", "|---|---|",
             *[f"| {k} | {v:.1f} |" for k, v in walls.items()], "",
             f"Collected: {out.splitlines()[0]}; submissions holding their own student's words: "
             f"{own}/{args.students}; errors: {bad or 'none'}."]
    report = "\n".join(lines) + "\n"
    print("\n" + report)
    if args.out:
        Path(args.out).write_text(report)
        print(f"written to {args.out}")
    return 0 if own == args.students and not bad else 1


if __name__ == "__main__":
    sys.exit(main())
