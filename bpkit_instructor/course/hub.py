"""A real class on this machine's JupyterHub: ``bpkit hub COMMAND`` (as root).

  init            the roster becomes the hub's accounts and the gradebook's students
  add-student     one more student, later in the term (the hub may be running)
  remove-student  lock a student's account; their grades and home stay
  start | stop | status   the hub (JupyterHub behind configurable-http-proxy), HTTPS with
                  --ssl-cert/--ssl-key
  sync            copy the repository's solutions/, exercises/, lectures/ into the course folder
                  the hub serves, say what changed; submissions and grades are not touched
  passwords       where the students' passwords are (a file only root can read)

The roster is a CSV file with a header and three columns: student id, name, email. The student
id is the login name on the hub, the system user, and nbgrader's student id. Each account gets a
generated password (PAM checks it), written to STATE/passwords.csv, mode 0600, owner root: the
instructor hands them out. The campus login (OAuth, LTI 1.3) is a config-only switch:
STATE/auth_config.py (examples in hub/auth/), README "Running a real class".

The machine's side (the two Python environments, the exchange, the course folder, starting and
stopping the hub by PID) is hub/setup.py; this module holds the roster, the accounts and the
commands.
"""
from __future__ import annotations

import csv
import filecmp
import grp
import importlib.util
import json
import os
import pwd
import re
import secrets
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from nbgrader.api import Gradebook

from bpkit_instructor.course import paths
from bpkit_instructor.course.errors import CourseError

REPO = paths.ROOT
STUDENTS_GROUP = "bpkit-students"       # marks the accounts this course created
LOGIN = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
ID_HEADERS = {"student id", "student_id", "studentid", "id", "login", "username"}
SYNCED = ("solutions", "exercises", "lectures")
SYNCED_FILES = ("course.toml",)
DEMO_ROSTER = REPO / "hub" / "demo-roster.csv"


def setup():
    """hub/setup.py, the machine's side (loaded once)."""
    mod = sys.modules.get("bpkit_hub_setup")
    if mod is None:
        spec = importlib.util.spec_from_file_location("bpkit_hub_setup", REPO / "hub" / "setup.py")
        mod = importlib.util.module_from_spec(spec)
        sys.modules["bpkit_hub_setup"] = mod
        spec.loader.exec_module(mod)
    return mod


# --------------------------------------------------------------------------------- the roster
@dataclass
class Student:
    id: str
    name: str
    email: str
    active: bool = True

    @property
    def first_last(self):
        parts = self.name.split()
        return (" ".join(parts[:-1]) or None, parts[-1] if parts else None)


def read_roster(path) -> list[Student]:
    """The roster's students; a CourseError naming the file, the line and the fix otherwise."""
    path = Path(path)
    fix = "a CSV file with a header line and three columns: student id, name, email"
    if not path.is_file():
        raise CourseError(f"{path}: no such roster file (expected {fix})")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise CourseError(f"{path}: not UTF-8 text: save the roster as a UTF-8 CSV ({fix})") from None
    rows = [(n, r) for n, r in enumerate(csv.reader(text.splitlines()), start=1)
            if any(cell.strip() for cell in r)]
    if not rows:
        raise CourseError(f"{path}: the roster is empty (expected {fix})")
    n, head = rows[0]
    if head[0].strip().lower() not in ID_HEADERS:
        raise CourseError(f"{path} line {n}: no header: start the file with the line "
                          f"`student_id,name,email`")
    students, seen = [], {}
    for n, row in rows[1:]:
        if len(row) != 3:
            raise CourseError(f"{path} line {n}: {len(row)} column(s), expected 3 "
                              "(student id, name, email): quote a name that holds a comma")
        sid, name, email = (c.strip() for c in row)
        if not LOGIN.match(sid):
            raise CourseError(f"{path} line {n}: student id {sid!r} cannot be a login name: use "
                              "lower-case letters, digits, - and _, starting with a letter, "
                              "at most 32 characters")
        if sid in seen:
            raise CourseError(f"{path} line {n}: student id {sid!r} is already on line "
                              f"{seen[sid]}: each student once")
        if not name:
            raise CourseError(f"{path} line {n}: {sid} has no name: fill in the second column")
        if email and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
            raise CourseError(f"{path} line {n}: {email!r} is not an email address: fix it or "
                              "leave the third column empty")
        seen[sid] = n
        students.append(Student(sid, name, email))
    if not students:
        raise CourseError(f"{path}: the roster has a header and no students (expected {fix})")
    return students


# ---------------------------------------------------------------------------------- the state
class State:
    """STATE/roster.json (every student ever on the roster, active or removed),
    STATE/passwords.csv (0600) and STATE/settings.json (exchange, course folder)."""

    def __init__(self, folder):
        self.folder = Path(folder).resolve()

    @property
    def initialised(self) -> bool:
        return (self.folder / "roster.json").exists()

    def require(self):
        if not self.initialised:
            raise CourseError(f"no class in {self.folder}: run `bpkit hub init --roster "
                              f"roster.csv --state {self.folder}` first")
        return self

    def roster(self) -> dict[str, Student]:
        f = self.folder / "roster.json"
        if not f.exists():
            return {}
        return {s["id"]: Student(**s) for s in json.loads(f.read_text())["students"]}

    def save_roster(self, students: dict[str, Student]):
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o755)
        f = self.folder / "roster.json"
        f.write_text(json.dumps({"students": [asdict(s) for s in students.values()]}, indent=1))
        f.chmod(0o600)

    def settings(self) -> dict:
        f = self.folder / "settings.json"
        return json.loads(f.read_text()) if f.exists() else {}

    def save_settings(self, settings: dict):
        (self.folder / "settings.json").write_text(json.dumps(settings, indent=1))

    @property
    def password_file(self) -> Path:
        return self.folder / "passwords.csv"

    def passwords(self) -> dict[str, str]:
        if not self.password_file.exists():
            return {}
        with open(self.password_file, newline="") as fh:
            return {r["login"]: r["password"] for r in csv.DictReader(fh)}

    def save_passwords(self, passwords: dict[str, str], roster: dict[str, Student]):
        f = self.password_file
        f.touch(mode=0o600, exist_ok=True)
        os.chown(f, 0, 0)
        f.chmod(0o600)                 # root only: the instructor hands the passwords out
        with open(f, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["login", "name", "email", "password"])
            for login, pw in passwords.items():
                s = roster.get(login)
                w.writerow([login, s.name if s else "(instructor)", s.email if s else "", pw])

    def service_token(self) -> str:
        f = self.folder / "service-token"
        if not f.exists():
            f.write_text(secrets.token_hex(32) + "\n")
            f.chmod(0o600)
        return f.read_text().strip()


def require_root(what: str):
    if os.geteuid() != 0:
        raise CourseError(f"bpkit hub {what} creates system users and runs JupyterHub: run it "
                          f"as root (sudo .venv/bin/bpkit hub {what} ...)")


# -------------------------------------------------------------------------------- accounts
def _run(cmd, **kw):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        raise CourseError(f"`{' '.join(map(str, cmd))}` failed: {proc.stderr.strip()[-300:]}")
    return proc


def _in_group(user: str, group: str) -> bool:
    try:
        g = grp.getgrnam(group)
    except KeyError:
        return False
    return user in g.gr_mem or pwd.getpwnam(user).pw_gid == g.gr_gid


def check_accounts(students, instructor: str, roster_file) -> None:
    """No student id may be the instructor or a user of this machine the course did not make."""
    for s in students:
        if s.id == instructor:
            raise CourseError(f"{roster_file}: student id {s.id!r} is the instructor's login: "
                              "rename the student")
        try:
            pwd.getpwnam(s.id)
        except KeyError:
            continue
        if not _in_group(s.id, STUDENTS_GROUP):
            raise CourseError(f"{roster_file}: student id {s.id!r} is already a user of this "
                              f"machine who is not one of the course's students: give the "
                              f"student another id (e.g. {s.id}-student)")


def ensure_account(login: str, password: str | None, group: str | None) -> bool:
    """A system user `login` (home 0700: nobody reads another's home); the password set when
    given. True if it was created."""
    created = False
    try:
        pwd.getpwnam(login)
    except KeyError:
        _run(["useradd", "--create-home", "--shell", "/bin/bash", "--user-group", login])
        created = True
    if group:
        try:
            grp.getgrnam(group)
        except KeyError:
            _run(["groupadd", "--system", group])
        _run(["usermod", "--append", "--groups", group, login])
    Path(pwd.getpwnam(login).pw_dir).chmod(0o700)
    _run(["usermod", "--unlock", "--expiredate", "", login])   # a re-added student logs in again
    if password is not None:
        _run(["chpasswd"], input=f"{login}:{password}\n")
    return created


def lock_account(login: str) -> None:
    """PAM refuses the login from now on; the home and the grades stay."""
    _run(["usermod", "--lock", "--expiredate", "1", login])


def roster_to_gradebook(course: Path, students, instructor: str) -> None:
    db = course / "gradebook.db"
    with Gradebook(f"sqlite:///{db}") as gb:
        for s in students:
            first, last = s.first_last
            gb.update_or_create_student(s.id, first_name=first, last_name=last,
                                        email=s.email or None)
    shutil.chown(db, instructor, instructor)


def give_lectures(student: str) -> None:
    home = Path(pwd.getpwnam(student).pw_dir)
    if not (home / "lectures").exists():
        shutil.copytree(REPO / "lectures", home / "lectures",
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        _run(["chown", "-R", f"{student}:{student}", home / "lectures"])


# --------------------------------------------------------------------------------- commands
def _course(settings: dict) -> Path:
    return Path(settings["course"])


def init(roster_file, state_dir, exchange="/srv/nbgrader/exchange", course_name="bpkit-course",
         fresh=False, say=print) -> dict:
    """The roster becomes accounts (new ones get a password) and gradebook students. Students
    of an earlier roster who are not on this one stay as they are (grades, account): `bpkit hub
    remove-student ID` locks an account. Idempotent."""
    students = read_roster(roster_file)
    require_root("init")
    su = setup()
    check_accounts(students, su.INSTRUCTOR, roster_file)
    state = State(state_dir)
    roster = state.roster()
    passwords = state.passwords()
    created = []
    for login, group in [(su.INSTRUCTOR, su.STAFF)] + [(s.id, STUDENTS_GROUP) for s in students]:
        new_password = None if login in passwords else secrets.token_urlsafe(9)
        if ensure_account(login, new_password, group):
            created.append(login)
        if new_password:
            passwords[login] = new_password
    for s in students:
        roster[s.id] = s
    state.save_roster(roster)
    state.save_passwords(passwords, roster)
    su.protect_key()
    exchange = Path(exchange).resolve()
    su.ensure_exchange(exchange)
    course = Path(pwd.getpwnam(su.INSTRUCTOR).pw_dir) / course_name
    su.ensure_course(course, exchange, fresh)
    active = [s for s in roster.values() if s.active]
    roster_to_gradebook(course, active, su.INSTRUCTOR)
    for s in active:
        give_lectures(s.id)
    su.write_user_configs(state.folder, exchange, course, [su.INSTRUCTOR, *(s.id for s in active)])
    state.save_settings({"exchange": str(exchange), "course": str(course),
                         "course_name": course_name})
    state.service_token()
    gone = sorted(set(roster) - {s.id for s in students})
    say(f"roster {roster_file}: {len(students)} student(s); accounts created: "
        f"{len(created)} ({', '.join(created[:5])}{', ...' if len(created) > 5 else ''})")
    if gone:
        say(f"not on this roster but kept (accounts, homes, grades): {', '.join(gone)} "
            f"(`bpkit hub remove-student ID` locks an account)")
    say(f"gradebook {course / 'gradebook.db'}: {len(active)} student(s)")
    say(f"passwords: {state.password_file} (root only, mode 0600): hand each student theirs")
    return {"created": created, "students": [s.id for s in students], "course": str(course),
            "exchange": str(exchange), "kept": gone}


def _api(state: State, method: str, path: str):
    """A call to the running hub's REST API with the bpkit-roster service's token, or None if
    no hub runs from this state."""
    cfg_file = state.folder / "hub.json"
    su = setup()
    pid = su._read_pid(state.folder / "jupyterhub.pid")
    if not (cfg_file.exists() and pid and su._alive(pid, "jupyterhub")):
        return None
    cfg = json.loads(cfg_file.read_text())
    req = urllib.request.Request(f"{su.local_url(cfg)}/hub/api{path}", method=method,
                                 headers={"Authorization": f"token {state.service_token()}"})
    try:
        with urllib.request.urlopen(req, timeout=60, context=su.local_ssl_context(cfg)) as r:
            return r.status
    except urllib.error.HTTPError as err:    # 409: the hub has the user; 404: it has not
        return err.code


def _update_hub_users(state: State) -> None:
    """hub.json's list of students (the hub's allowed users at its next start)."""
    f = state.folder / "hub.json"
    if f.exists():
        cfg = json.loads(f.read_text())
        cfg["students"] = [s.id for s in state.roster().values() if s.active]
        f.write_text(json.dumps(cfg, indent=1))


def add_student(state_dir, sid: str, name: str, email: str = "", say=print) -> str:
    """One more student: account, password, gradebook, and the running hub (if any)."""
    state = State(state_dir).require()
    if not LOGIN.match(sid):
        raise CourseError(f"student id {sid!r} cannot be a login name: use lower-case letters, "
                          "digits, - and _, starting with a letter, at most 32 characters")
    if not name.strip():
        raise CourseError("--name is empty: give the student's name")
    require_root("add-student")
    su = setup()
    student = Student(sid, name.strip(), email.strip())
    check_accounts([student], su.INSTRUCTOR, "add-student")
    roster, passwords = state.roster(), state.passwords()
    new_password = None if sid in passwords else secrets.token_urlsafe(9)
    ensure_account(sid, new_password, STUDENTS_GROUP)
    if new_password:
        passwords[sid] = new_password
    roster[sid] = student
    state.save_roster(roster)
    state.save_passwords(passwords, roster)
    settings = state.settings()
    course = _course(settings)
    roster_to_gradebook(course, [student], su.INSTRUCTOR)
    give_lectures(sid)
    su.write_user_configs(state.folder, Path(settings["exchange"]), course, [sid])
    _update_hub_users(state)
    live = _api(state, "POST", f"/users/{sid}") in (201, 409)
    say(f"added {sid} ({student.name}): account, gradebook"
        + (", the running hub" if live else "") + f"; password in {state.password_file}")
    return passwords[sid]


def remove_student(state_dir, sid: str, say=print) -> None:
    """Lock the account and take the student off the hub; the gradebook keeps their grades,
    the home stays."""
    state = State(state_dir).require()
    roster = state.roster()
    if sid not in roster:
        raise CourseError(f"{sid!r} is not on the roster in {state.folder}: the students are "
                          f"{', '.join(sorted(roster)[:10])}{', ...' if len(roster) > 10 else ''}")
    require_root("remove-student")
    lock_account(sid)
    roster[sid].active = False
    state.save_roster(roster)
    _update_hub_users(state)
    live = _api(state, "DELETE", f"/users/{sid}") in (204, 404)
    say(f"removed {sid}: account locked" + (", taken off the running hub" if live else "")
        + "; grades and home kept (`bpkit hub add-student` brings them back)")


def _synced_files(root: Path) -> set[Path]:
    """What `sync` copies, relative to `root`: course.toml and the files under SYNCED."""
    skip = {".ipynb_checkpoints", "__pycache__", ".bpkit-answers"}
    out = {Path(f) for f in SYNCED_FILES if (root / f).is_file()}
    for folder in SYNCED:
        out |= {p.relative_to(root) for p in (root / folder).rglob("*")
                if p.is_file() and not skip & set(p.relative_to(root).parts)}
    return out


def sync(state_dir, say=print) -> dict:
    """Copy solutions/, exercises/, lectures/ and course.toml (released assignments, due dates)
    from the repository into the course folder; returns {"added": [...], "changed": [...],
    "removed": [...]} (paths in the course folder). submitted/, autograded/, feedback/, the
    gradebook and the hub's nbgrader settings are not touched; a published assignment whose
    source changed is named (`bpkit publish` it again)."""
    state = State(state_dir).require()
    require_root("sync")
    settings = state.settings()
    course = _course(settings)
    su = setup()
    out = {"added": [], "changed": [], "removed": []}
    wanted, have = _synced_files(REPO), _synced_files(course)
    for rel in sorted(wanted):
        target = course / rel
        if rel not in have:
            out["added"].append(str(rel))
        elif not filecmp.cmp(REPO / rel, target, shallow=False):
            out["changed"].append(str(rel))
        else:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, target)
    for rel in sorted(have - wanted):
        (course / rel).unlink()
        out["removed"].append(str(rel))
    if any(out.values()):
        _run(["chown", "-R", f"{su.INSTRUCTOR}:{su.INSTRUCTOR}",
              *(course / f for f in SYNCED + SYNCED_FILES if (course / f).exists())])
    published = set()
    outbound = Path(settings["exchange"]) / su.COURSE_ID / "outbound"
    if outbound.is_dir():
        published = {p.name for p in outbound.iterdir()}
    republish = sorted({p.split("/")[1] for p in out["added"] + out["changed"] + out["removed"]
                        if p.startswith("solutions/") and p.count("/") >= 2} & published)
    total = sum(map(len, out.values()))
    say(f"sync {REPO} -> {course}: " + (f"{len(out['added'])} added, {len(out['changed'])} "
                                         f"changed, {len(out['removed'])} removed" if total
                                         else "nothing changed"))
    for kind, mark in (("added", "+"), ("changed", "~"), ("removed", "-")):
        for p in out[kind]:
            say(f"  {mark} {p}")
    for a in republish:
        say(f"published before and changed: run `bpkit publish {a}` as the instructor "
            "to release it again (students who fetched keep their copy)")
    if "course.toml" in out["added"] + out["changed"]:
        say("course.toml changed: its released list and due dates apply from the next "
            "`bpkit publish`")
    out["republish"] = republish
    return out


def start(state_dir, ip="127.0.0.1", port=8000, ssl_cert=None, ssl_key=None, say=print) -> dict:
    state = State(state_dir).require()
    require_root("start")
    su = setup()
    if bool(ssl_cert) != bool(ssl_key):
        raise CourseError("give both --ssl-cert and --ssl-key (a certificate and its key, PEM), "
                          "or neither")
    if ssl_cert:
        ssl_cert, ssl_key = check_tls(ssl_cert, ssl_key)
    if not su.PROXY.exists():
        raise CourseError(f"{su.PROXY} is missing: `npm install --prefix .hub "
                          "configurable-http-proxy` (make hub does it)")
    settings = state.settings()
    for venv in (su.ensure_student_venv(), su.ensure_instructor_venv()):
        su.write_lab_overrides(venv)
    active = [s.id for s in state.roster().values() if s.active]
    # current on every start (a hub made by an older bpkit gets today's settings, e.g. the
    # private submissions of bpkit.exchange)
    su.write_user_configs(state.folder, Path(settings["exchange"]), Path(settings["course"]),
                          [su.INSTRUCTOR, *active])
    cfg = su.hub_config(state.folder, ip=ip, port=port, students=active,
                        course=settings["course"], exchange=settings["exchange"],
                        ssl_cert=ssl_cert, ssl_key=ssl_key, token=state.service_token())
    pids = su.start_hub(state.folder, cfg)
    url = su.public_url(cfg)
    say(f"""
The bpkit course hub is running.

  URL        {url}/
  instructor {su.INSTRUCTOR} (admin; Formgrader; a terminal with `bpkit publish|collect|autograde|return`)
  students   {len(active)} ({', '.join(active[:4])}{', ...' if len(active) > 4 else ''})
  passwords  {state.password_file} (root only)
  course     {settings['course']}
  exchange   {settings['exchange']}
  PIDs       jupyterhub {pids['hub']}, configurable-http-proxy {pids['proxy']}  ({state.folder})
""" + ("" if ssl_cert else "  TLS        none: passwords cross the network in clear text "
       "(--ssl-cert/--ssl-key, README \"Running a real class\")\n")
        + "\nStop it with `bpkit hub stop` (ends these two PIDs; the hub stops the users' servers).")
    return {**pids, "url": url, **cfg}


def check_tls(cert, key) -> tuple[str, str]:
    """Both files readable PEM, the key the certificate's; else a CourseError with the fix."""
    # the hub extra's (pip install -e '.[hub]'): imported only when a certificate is checked
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    cert, key = Path(cert).resolve(), Path(key).resolve()
    for f, what in ((cert, "--ssl-cert"), (key, "--ssl-key")):
        if not f.is_file():
            raise CourseError(f"{what} {f}: no such file")
    try:
        c = x509.load_pem_x509_certificate(cert.read_bytes())
    except ValueError:
        raise CourseError(f"--ssl-cert {cert}: not a PEM certificate (-----BEGIN CERTIFICATE-----)"
                          ": give the certificate file, not the key") from None
    try:
        k = serialization.load_pem_private_key(key.read_bytes(), password=None)
    except (ValueError, TypeError):
        raise CourseError(f"--ssl-key {key}: not an unencrypted PEM private key: give the key "
                          "file (openssl rsa -in KEY -out KEY.plain removes a passphrase)") from None
    pub = serialization.PublicFormat.SubjectPublicKeyInfo
    enc = serialization.Encoding.PEM
    if c.public_key().public_bytes(enc, pub) != k.public_key().public_bytes(enc, pub):
        raise CourseError(f"--ssl-key {key} is not the key of --ssl-cert {cert}: give the pair")
    return str(cert), str(key)


# -------------------------------------------------------------------------------------- CLI
def add_parser(sub) -> None:
    """The `hub` command group of bpkit's CLI."""
    h = sub.add_parser("hub", help="a real class on this machine's JupyterHub (as root): "
                       "roster, accounts, start/stop, sync",
                       description=__doc__, formatter_class=__import__("argparse")
                       .RawDescriptionHelpFormatter)
    hs = h.add_subparsers(dest="hub_cmd", required=True)
    state_help = ("the hub's state folder: its roster, passwords, PIDs, logs, database "
                  "(default: %(default)s)")
    default_state = str(REPO / ".hub")

    def with_state(p):
        p.add_argument("--state", default=default_state, metavar="DIR", help=state_help)
        p.add_argument("--debug", action="store_true", help="show the traceback of an error")
        return p
    i = with_state(hs.add_parser("init", help="create the accounts and gradebook students of "
                                 "a roster"))
    i.add_argument("--roster", required=True, metavar="CSV",
                   help="the class roster: a header line, then student id, name, email per line")
    i.add_argument("--exchange", default="/srv/nbgrader/exchange", metavar="DIR",
                   help="nbgrader's exchange, a folder every user can write "
                        "(default: %(default)s)")
    i.add_argument("--course-name", default="bpkit-course", metavar="NAME",
                   help="the course folder, in the instructor's home (default: %(default)s)")
    i.add_argument("--fresh", action="store_true",
                   help="start the course folder (gradebook, submissions, grades) from scratch; "
                        "default: keep it")
    a = with_state(hs.add_parser("add-student", help="add one student (account, password, "
                                 "gradebook; the running hub too)"))
    a.add_argument("student_id", metavar="ID", help="the student's login name")
    a.add_argument("--name", required=True, help="the student's name")
    a.add_argument("--email", default="", help="the student's email (default: none)")
    r = with_state(hs.add_parser("remove-student", help="lock a student's account; grades and "
                                 "home are kept"))
    r.add_argument("student_id", metavar="ID", help="the student's login name")
    s = with_state(hs.add_parser("start", help="start the hub (after init)"))
    s.add_argument("--ip", default="127.0.0.1",
                   help="address the hub listens on: 0.0.0.0 serves other machines "
                        "(default: %(default)s, this machine only)")
    s.add_argument("--port", type=int, default=8000,
                   help="the hub's public port; the next two are its internal API and the "
                        "proxy's API (default: %(default)s)")
    s.add_argument("--ssl-cert", default=None, metavar="PEM",
                   help="TLS certificate (PEM, full chain): serve HTTPS (default: plain HTTP)")
    s.add_argument("--ssl-key", default=None, metavar="PEM",
                   help="the certificate's private key (PEM, unencrypted)")
    with_state(hs.add_parser("stop", help="stop the hub and its proxy (by their PIDs)"))
    with_state(hs.add_parser("status", help="is the hub running, and its PIDs"))
    with_state(hs.add_parser("sync", help="copy the repository's solutions, exercises and "
                             "lectures into the course folder, say what changed"))
    with_state(hs.add_parser("passwords", help="print where the students' passwords are"))


def run(args) -> int:
    """`bpkit hub ...`: CourseError -> one line, exit 2 (a traceback with --debug)."""
    try:
        return _run_cmd(args)
    except CourseError as err:
        if getattr(args, "debug", False):
            raise
        print(f"bpkit hub {args.hub_cmd}: error: {err}", file=sys.stderr)
        return 2
    except SystemExit as err:         # hub/setup.py's machine-side errors are one line too
        if isinstance(err.code, str):
            if getattr(args, "debug", False):
                raise
            print(f"bpkit hub {args.hub_cmd}: error: {err.code}", file=sys.stderr)
            return 2
        raise


def _run_cmd(args) -> int:
    state = Path(args.state)
    cmd = args.hub_cmd
    # nbgrader runs `alembic` by name
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    if cmd == "init":
        init(args.roster, state, args.exchange, args.course_name, args.fresh)
    elif cmd == "add-student":
        add_student(state, args.student_id, args.name, args.email)
    elif cmd == "remove-student":
        remove_student(state, args.student_id)
    elif cmd == "start":
        start(state, args.ip, args.port, args.ssl_cert, args.ssl_key)
    elif cmd == "stop":
        stopped = setup().stop_hub(state.resolve())
        print("stopped " + (", ".join(stopped) if stopped else f"nothing (no hub running from {state})"))
    elif cmd == "status":
        su = setup()
        hub = su._read_pid(state / "jupyterhub.pid")
        proxy = su._read_pid(state / "jupyterhub-proxy.pid")
        print(f"jupyterhub: {hub if hub and su._alive(hub, 'jupyterhub') else 'not running'}; "
              f"proxy: {proxy if proxy and su._alive(proxy, 'configurable-http-proxy') else 'not running'}")
    elif cmd == "sync":
        sync(state)
    elif cmd == "passwords":
        st = State(state).require()
        print(f"{st.password_file} (mode {st.password_file.stat().st_mode & 0o777:o}, root "
              "only): login,name,email,password")
    return 0
