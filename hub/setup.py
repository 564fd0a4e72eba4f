"""The machine's side of the course hub (as root), used by `bpkit hub` (bpkit_instructor/course/hub.py).

    python hub/setup.py start [--port 8000] [--ip 127.0.0.1] [--ssl-cert PEM --ssl-key PEM]
    python hub/setup.py stop | status
    (= `bpkit hub init --roster hub/demo-roster.csv` once, then `bpkit hub start|stop|status`)

`make hub` runs `start` with the course venv's Python; `make hub-stop` runs `stop`. The pieces,
each idempotent:

1. users: made by `bpkit hub init` from a roster (a system user per student, each with their own
   generated password; the instructor; all homes mode 700); protect_key() closes the answer key
   in this repository to everybody but the instructor's group;
2. the exchange: a directory every user can write (mode 777, nbgrader's documented setup);
3. the students' environment, .hub/student-venv: JupyterLab, nbgrader, jupyterhub-singleuser
   and the STUDENT part of bpkit only (a wheel without bpkit_instructor/, checked), with
   nbgrader's Formgrader, Create Assignment and course list switched off for the whole venv;
4. the instructor's course folder, ~bpkit-instructor/bpkit-course (mode 700): solutions/,
   exercises/, lectures/, course.toml and nbgrader_config.py (plus the exchange and nbgrader's
   late penalty);
   the gradebook's students come from the roster;
5. per-user nbgrader configs in STATE/users/NAME/ (the spawner points JUPYTER_CONFIG_PATH at it):
   the exchange, the course id, and bpkit.exchange.PrivateSubmit (a submission is readable by
   its student and the instructor only; nbgrader's own leaves it readable by all);
6. JupyterHub (hub/jupyterhub_config.py: PAM logins or the campus login of STATE/auth_config.py,
   LocalProcessSpawner, configurable-http-proxy, HTTPS with a certificate), started in the
   background; its PID and the proxy's PID go to STATE/jupyterhub.pid and
   STATE/jupyterhub-proxy.pid, and `stop` ends exactly those processes.

STATE is .hub/ (or --state DIR: the hub tests run their own hub beside the demo one).
"""
from __future__ import annotations

import argparse
import grp
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HUB = REPO / ".hub"
COURSE_VENV = Path(sys.prefix)                      # the venv running this script (.venv)
# the users' environments need a Python every user may run (the course venv's may sit in root's
# home): the system's python3, same minor version
USERS_PYTHON = os.environ.get("BPKIT_HUB_PYTHON", "/usr/bin/python3")
STUDENT_VENV = HUB / "student-venv"
INSTRUCTOR_VENV = HUB / "instructor-venv"
PROXY = HUB / "node_modules" / ".bin" / "configurable-http-proxy"
INSTRUCTOR = "bpkit-instructor"
COURSE_ID = "bpkit"
# the student part's third-party packages run at the same versions as in the course venv
PINNED = ["jupyterhub", "jupyterlab", "nbgrader", "ipykernel", "notebook"]
INSTRUCTOR_ONLY_LAB = ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                       "@jupyter/nbgrader:course-list"]
INSTRUCTOR_ONLY_SERVER = ["nbgrader.server_extensions.formgrader",
                          "nbgrader.server_extensions.course_list"]


def say(text):
    print(f"[hub] {text}", flush=True)


def run(cmd, **kw):
    kw.setdefault("check", True)
    return subprocess.run([str(c) for c in cmd], **kw)


# ------------------------------------------------------------------------------------ 1. users
# The accounts (a roster's students, the instructor, their passwords) are made by
# bpkit_instructor/course/hub.py (`bpkit hub init --roster roster.csv`).

STAFF = "bpkit-staff"
# what only the instructor may read in this repository (its lectures, exercises, student part
# and the student venv stay readable: students run that venv)
PRIVATE = ("bpkit_instructor", "solutions", ".git", "gradebook.db", "submitted", "autograded",
           "feedback", "reports", "unrostered")


def protect_key() -> None:
    """The answer key and the instructor's state in this repository: group bpkit-staff (the
    instructor), nothing for others — the students are local users of this machine."""
    try:
        grp.getgrnam(STAFF)
    except KeyError:
        run(["groupadd", "--system", STAFF])
    run(["usermod", "--append", "--groups", STAFF, INSTRUCTOR])
    for name in PRIVATE:
        path = REPO / name
        if path.exists():
            run(["chgrp", "-R", STAFF, path])
            run(["chmod", "-R", "o-rwx", path])


# --------------------------------------------------------------------------------- 2. exchange
def ensure_exchange(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o777)      # nbgrader: every user writes here (students only into inbound/)
    for parent in path.parents:    # students must be able to reach it
        if parent.stat().st_mode & 0o001 == 0:
            raise SystemExit(f"{parent} is not searchable by other users: the exchange {path} "
                             "must be reachable by every student")


# ------------------------------------------------------------------------- 3. student venv
def student_source_digest() -> str:
    h = hashlib.sha256()
    for p in sorted((REPO / "bpkit").rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc":
            h.update(str(p.relative_to(REPO)).encode())
            h.update(p.read_bytes())
    h.update((REPO / "pyproject.toml").read_bytes())
    return h.hexdigest()[:16]


def build_student_wheel(out: Path) -> Path:
    """A wheel of the student part: the bpkit/ package from a copy of the repository that has
    no bpkit_instructor/ (nor solutions, tests, notebooks). `bpkit bundle` (the student
    distribution) is used instead where it exists."""
    bundle = run([COURSE_VENV / "bin" / "bpkit", "bundle", "--help"], check=False,
                 capture_output=True, text=True)
    if bundle.returncode == 0:
        target = Path(tempfile.mkdtemp(prefix="bpkit-bundle-"))
        run([COURSE_VENV / "bin" / "bpkit", "bundle", "--out", target], cwd=REPO,
            capture_output=True)
        wheels = sorted(target.rglob("bpkit-*.whl"))
        if wheels:
            shutil.copy(wheels[0], out / wheels[0].name)
            shutil.rmtree(target, ignore_errors=True)
            return out / wheels[0].name
        shutil.rmtree(target, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="bpkit-student-src-") as tmp:
        src = Path(tmp)
        shutil.copy(REPO / "pyproject.toml", src)
        shutil.copy(REPO / "README.md", src)
        shutil.copytree(REPO / "bpkit", src / "bpkit",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        run([COURSE_VENV / "bin" / "python", "-m", "pip", "wheel", "--quiet", "--no-deps",
             "-w", out, src], capture_output=True)
    return next(out.glob("bpkit-*.whl"))


def check_student_wheel(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    leaked = [n for n in names if n.startswith(("bpkit_instructor", "solutions/"))
              or n.endswith(".pyc")]
    if leaked:
        raise SystemExit(f"the student wheel {wheel.name} carries instructor files: {leaked[:5]}")


def _pins() -> list[str]:
    from importlib.metadata import PackageNotFoundError, version
    out = []
    for dist in PINNED:
        try:
            out.append(f"{dist}=={version(dist)}")
        except PackageNotFoundError:
            pass
    return out


def _make_venv(venv: Path, deps: str, part: str, install_deps, install_part) -> None:
    """(Re)build `venv` with USERS_PYTHON: its third-party packages when `deps` changed, bpkit
    when `part` changed (stamps in the venv)."""
    deps_stamp, part_stamp = venv / ".bpkit-deps", venv / ".bpkit-part"
    python = venv / "bin" / "python"
    if python.exists() and os.path.realpath(python) != os.path.realpath(USERS_PYTHON):
        shutil.rmtree(venv)                    # made by another Python: users may not run it
    t0 = time.perf_counter()
    if not python.exists():
        run([USERS_PYTHON, "-m", "venv", venv])
    pip = [python, "-m", "pip", "install", "--quiet"]
    changed = False
    if not (deps_stamp.exists() and deps_stamp.read_text() == deps):
        say(f"installing {venv.name}'s packages")
        install_deps(pip)
        deps_stamp.write_text(deps)
        part_stamp.unlink(missing_ok=True)
        changed = True
    if not (part_stamp.exists() and part_stamp.read_text() == part):
        install_part(pip)
        part_stamp.write_text(part)
        changed = True
    if changed:
        say(f"{venv.name} ready in {time.perf_counter() - t0:.0f} s")


LAB_OVERRIDES = {   # a class needs no "news from Jupyter" or update pop-ups
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}


def write_lab_overrides(venv: Path) -> None:
    folder = venv / "share" / "jupyter" / "lab" / "settings"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "overrides.json").write_text(json.dumps(LAB_OVERRIDES, indent=1))


def ensure_instructor_venv() -> Path:
    """bpkit with its instructor part (editable: the repository's code), nbgrader's instructor
    extensions, jupyterhub-singleuser."""
    def install_deps(pip):
        run(pip + ["-e", f"{REPO}[hub]"] + _pins())

    def install_part(pip):
        run(pip + ["--no-deps", "-e", REPO])
    pyproject = (REPO / "pyproject.toml").read_text()
    _make_venv(INSTRUCTOR_VENV, " ".join(_pins()) + pyproject, pyproject, install_deps, install_part)
    return INSTRUCTOR_VENV


def ensure_student_venv() -> Path:
    """The student part of bpkit only, nbgrader's instructor extensions switched off."""
    def install_deps(pip):
        with tempfile.TemporaryDirectory(prefix="bpkit-wheel-") as tmp:
            run(pip + [build_student_wheel(Path(tmp))] + _pins())
        jupyter = STUDENT_VENV / "bin" / "jupyter"
        for ext in INSTRUCTOR_ONLY_SERVER:
            run([jupyter, "server", "extension", "disable", "--sys-prefix", ext],
                capture_output=True)
        for ext in INSTRUCTOR_ONLY_LAB:
            run([jupyter, "labextension", "disable", "--level=sys_prefix", ext],
                capture_output=True)

    def install_part(pip):
        with tempfile.TemporaryDirectory(prefix="bpkit-wheel-") as tmp:
            wheel = build_student_wheel(Path(tmp))
            check_student_wheel(wheel)
            run(pip + ["--force-reinstall", "--no-deps", wheel])
        probe = run([STUDENT_VENV / "bin" / "python", "-I", "-c", "import bpkit_instructor"],
                    check=False, capture_output=True, cwd="/")
        if probe.returncode == 0:
            raise SystemExit("the students' environment can import bpkit_instructor: refusing")
    pyproject = (REPO / "pyproject.toml").read_text()
    _make_venv(STUDENT_VENV, " ".join(_pins()) + pyproject, student_source_digest(),
               install_deps, install_part)
    return STUDENT_VENV


# ---------------------------------------------------------------------- 4. the course folder
HUB_CONFIG = '''
# --- the course on this machine's JupyterHub (written by hub/setup.py) ---
c.Exchange.root = {exchange!r}
# absolute: the instructor's JupyterLab (Formgrader) runs from the home folder, not from here
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(c.CourseDirectory.root, "gradebook.db")
# nbgrader's late penalty: a submission after the due date (`bpkit publish A --due ...`) scores 0
c.LateSubmissionPlugin.penalty_method = "zero"
'''


def chown_tree(path: Path, user: str) -> None:
    run(["chown", "-R", f"{user}:{user}", path])


def ensure_course(course: Path, exchange: Path, fresh: bool) -> None:
    """The instructor's course folder (solutions, exercises, lectures, course.toml,
    nbgrader_config.py with the hub's block). The gradebook's students come from the roster
    (bpkit hub init)."""
    if fresh and course.exists():
        shutil.rmtree(course)
    if not course.exists():
        course.mkdir(parents=True)
        for folder in ("solutions", "exercises", "lectures"):
            shutil.copytree(REPO / folder, course / folder,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__",
                                                          ".bpkit-answers"))
        shutil.copy(REPO / "nbgrader_config.py", course / "nbgrader_config.py")
        if (REPO / "course.toml").exists():        # released assignments, due dates
            shutil.copy(REPO / "course.toml", course / "course.toml")
        say(f"course folder {course}")
    config = course / "nbgrader_config.py"      # the hub's block, current on every start
    text = config.read_text()
    marker = HUB_CONFIG.lstrip("\n").splitlines()[0]
    if marker in text:
        text = text[:text.index(marker)].rstrip("\n") + "\n"
    config.write_text(text + HUB_CONFIG.format(exchange=str(exchange)))
    chown_tree(course, INSTRUCTOR)
    course.chmod(0o700)


# ------------------------------------------------------------------ 5. per-user nbgrader config
PRIVATE_SUBMIT = "bpkit.exchange.PrivateSubmit"


def write_user_configs(state: Path, exchange: Path, course: Path, users) -> None:
    for name in users:
        folder = state / "users" / name
        folder.mkdir(parents=True, exist_ok=True)
        lines = ["c = get_config()  # noqa: F821", f"c.Exchange.root = {str(exchange)!r}",
                 f"c.CourseDirectory.course_id = {COURSE_ID!r}",
                 # a submission readable by its student and the instructor only (nbgrader: all)
                 f"c.ExchangeFactory.submit = {PRIVATE_SUBMIT!r}"]
        if name == INSTRUCTOR:
            lines.append(f"c.CourseDirectory.root = {str(course)!r}")
            lines.append(f"c.CourseDirectory.db_url = {'sqlite:///' + str(course / 'gradebook.db')!r}")
        (folder / "nbgrader_config.py").write_text("\n".join(lines) + "\n")
        os.chmod(folder / "nbgrader_config.py", 0o644)


# ------------------------------------------------------------------------------ 6. the hub
def _free(port: int) -> bool:
    with socket.socket() as s:
        # as the servers bind: a port whose old connections linger in TIME_WAIT is free
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _alive(pid: int, word: str) -> bool:
    try:
        return word.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _read_pid(path: Path):
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def start_hub(state: Path, cfg: dict, timeout: float = 120) -> dict:
    if (pid := _read_pid(state / "jupyterhub.pid")) and _alive(pid, "jupyterhub"):
        raise SystemExit(f"a hub already runs from {state} (pid {pid}): `make hub-stop` first")
    for port in (cfg["port"], cfg["port"] + 1, cfg["port"] + 2):
        if not _free(port):
            raise SystemExit(f"port {port} is in use: choose another with --port")
    (state / "hub.json").write_text(json.dumps(cfg, indent=1))
    env = {"PATH": f"{COURSE_VENV / 'bin'}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
           "HOME": str(Path.home()), "BPKIT_HUB_STATE": str(state)}
    log = open(state / "jupyterhub.log", "ab")
    t0 = time.perf_counter()
    proc = subprocess.Popen([COURSE_VENV / "bin" / "jupyterhub", "-f",
                             REPO / "hub" / "jupyterhub_config.py"],
                            cwd=state, env=env, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"{local_url(cfg)}/hub/api/"
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"jupyterhub exited with {proc.returncode}; its log:\n"
                             + (state / "jupyterhub.log").read_text()[-3000:])
        try:
            with urllib.request.urlopen(url, timeout=2, context=local_ssl_context(cfg)) as r:
                json.loads(r.read())
            proxy = _read_pid(state / "jupyterhub-proxy.pid")
            if proxy and _alive(proxy, "configurable-http-proxy"):
                break
        except OSError:
            pass
        if time.perf_counter() - t0 > timeout:
            proc.terminate()
            raise SystemExit(f"the hub did not answer {url} within {timeout:.0f} s")
        time.sleep(0.3)
    (state / "jupyterhub.pid").write_text(f"{proc.pid}\n")
    return {"hub": proc.pid, "proxy": _read_pid(state / "jupyterhub-proxy.pid"),
            "seconds": round(time.perf_counter() - t0, 1)}


def stop_hub(state: Path, timeout: float = 60) -> list[str]:
    """SIGTERM the hub by its PID (it stops the user servers and the proxy), then the proxy by
    its PID if it is still there. Returns what was stopped."""
    done = []
    hub = _read_pid(state / "jupyterhub.pid")
    proxy = _read_pid(state / "jupyterhub-proxy.pid")
    proxy_was_up = bool(proxy and _alive(proxy, "configurable-http-proxy"))
    for pid, word in ((hub, "jupyterhub"), (proxy, "configurable-http-proxy")):
        if not pid or not _alive(pid, word):
            if word != "jupyterhub" and proxy_was_up:
                done.append(f"{word} (pid {pid}, stopped by the hub)")
            continue
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(pid, word) and time.monotonic() < deadline:
            try:                               # reap it if it is our own child
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            time.sleep(0.2)
        if _alive(pid, word):
            os.kill(pid, signal.SIGKILL)
        done.append(f"{word} (pid {pid})")
    for f in ("jupyterhub.pid", "jupyterhub-proxy.pid"):
        (state / f).unlink(missing_ok=True)
    return done


def hub_config(state: Path, ip: str, port: int, students, course, exchange, ssl_cert=None,
               ssl_key=None, token=None) -> dict:
    """What hub/jupyterhub_config.py reads (STATE/hub.json)."""
    return {"ip": ip, "port": port, "proxy": str(PROXY), "instructor": INSTRUCTOR,
            "students": list(students), "instructor_venv": str(INSTRUCTOR_VENV),
            "student_venv": str(STUDENT_VENV), "course": str(course),
            "exchange": str(exchange), "course_id": COURSE_ID,
            "users_config": str(state / "users"), "ssl_cert": ssl_cert, "ssl_key": ssl_key,
            "service_token_file": str(state / "service-token") if token else None}


def local_url(cfg: dict) -> str:
    """The hub as seen from this machine."""
    host = "127.0.0.1" if cfg["ip"] in ("0.0.0.0", "", "::") else cfg["ip"]
    return f"{'https' if cfg.get('ssl_cert') else 'http'}://{host}:{cfg['port']}"


public_url = local_url


def local_ssl_context(cfg: dict):
    """For this machine's own probes of its hub: the certificate may name the public host."""
    if not cfg.get("ssl_cert"):
        return None
    import ssl
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def main(argv=None):
    """`python hub/setup.py start|stop|status [...]`: the demo class of `make hub` (roster
    hub/demo-roster.csv), the same as `bpkit hub init --roster hub/demo-roster.csv` and
    `bpkit hub start`."""
    sys.path.insert(0, str(REPO))
    from bpkit_instructor.course import cli
    p = argparse.ArgumentParser(description=main.__doc__)
    p.add_argument("action", choices=["start", "stop", "status"])
    args, rest = p.parse_known_args(argv)
    if args.action == "start":
        state = next((rest[i + 1] for i, a in enumerate(rest[:-1]) if a == "--state"), str(HUB))
        if not (Path(state) / "roster.json").exists():
            code = cli.main(["hub", "init", "--roster", str(REPO / "hub" / "demo-roster.csv"),
                             "--state", state])
            if code:
                sys.exit(code)
    sys.exit(cli.main(["hub", args.action, *rest]))


if __name__ == "__main__":
    main()
