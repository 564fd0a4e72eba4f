"""The roster becomes the class (make test-hub, as root): `bpkit hub init --roster` made one
system user per student with their own generated password (a file only root reads), the
gradebook's students with their names and emails, the instructor as the only admin; logins go
over HTTPS with the certificate checked; a student added mid-term logs in at once; the
authentication examples load as the hub's config; `bpkit hub` answers bad input in one line.
"""
from __future__ import annotations

import csv
import grp
import json
import os
import pwd
import shutil
import subprocess
import urllib.request

import httpx
import pytest
from conftest import CLASS_SIZE, ROOT

from benchmarks.hub_load import Student, Timings
from bpkit_instructor.course import hub as course_hub

pytestmark = pytest.mark.hub


def session(hub, user, password=None):
    return Student(hub.url, user, password or hub.passwords[user], str(hub.cert), Timings())


def test_the_roster_becomes_accounts_and_gradebook_students(hub):
    roster = {r["student_id"]: r for r in csv.DictReader(open(hub.state / "roster.csv"))}
    assert sorted(roster) == sorted(hub.students) and len(roster) == CLASS_SIZE
    members = set(grp.getgrnam(course_hub.STUDENTS_GROUP).gr_mem)
    for s in hub.students:
        home = hub.home(s)
        assert s in members and home.stat().st_uid == pwd.getpwnam(s).pw_uid, s
        assert home.stat().st_mode & 0o777 == 0o700, (s, oct(home.stat().st_mode))
    # one password per account, in a file only root can read
    f = hub.state / "passwords.csv"
    assert f.stat().st_uid == 0 and f.stat().st_mode & 0o777 == 0o600, oct(f.stat().st_mode)
    assert set(hub.passwords) == {*hub.students, hub.instructor}
    assert len(set(hub.passwords.values())) == len(hub.passwords)     # no shared password
    p = hub.run_as(hub.students[0], "cat", f, check=False)
    assert p.returncode != 0 and "Permission denied" in p.stderr, p.stderr
    # the gradebook: the roster's students, names and emails
    out = hub.run_as(hub.instructor, "python", "-c",
                     "import json; from nbgrader.api import Gradebook; "
                     f"gb = Gradebook('sqlite:///{hub.course / 'gradebook.db'}'); "
                     "print(json.dumps({s.id: [s.first_name, s.last_name, s.email] "
                     "for s in gb.students}))").stdout
    book = json.loads(out)
    assert sorted(book) == sorted(hub.students), book
    for s, (first, last, email) in book.items():
        assert f"{first} {last}" == roster[s]["name"] and email == roster[s]["email"], (s, book[s])


def test_each_student_logs_in_with_their_own_password_over_https(hub):
    a, b = hub.students[3], hub.students[4]
    assert hub.url.startswith("https://")
    with pytest.raises(httpx.ConnectError):               # a certificate nobody vouches for
        httpx.get(f"{hub.url}/hub/login", verify=True, timeout=30)
    with pytest.raises(httpx.TransportError):             # plain HTTP is not served
        httpx.get(hub.url.replace("https://", "http://") + "/hub/login", timeout=30)
    own = session(hub, a)
    assert own.login()                                    # the test's certificate: checked
    r = own.http.get("/hub/admin")
    assert r.status_code == 403, r.status_code            # a student is no admin
    own.close()
    other = session(hub, a, password=hub.passwords[b])
    assert not other.login()                              # another student's password: refused
    other.close()
    wrong = session(hub, a, password="not-the-password")
    assert not wrong.login()
    wrong.close()


def test_the_instructor_is_the_only_admin(hub):
    token = (hub.state / "service-token").read_text().strip()
    req = urllib.request.Request(f"{hub.url}/hub/api/users",
                                 headers={"Authorization": f"token {token}"})
    import ssl
    with urllib.request.urlopen(req, context=ssl.create_default_context(cafile=str(hub.cert)),
                                timeout=60) as r:
        users = json.loads(r.read())
    names = {u["name"] for u in users}
    assert names >= set(hub.students) | {hub.instructor}, names
    assert {u["name"] for u in users if u["admin"]} == {hub.instructor}
    inst = session(hub, hub.instructor)
    assert inst.login()
    assert inst.http.get("/hub/admin").status_code == 200
    inst.close()


def test_a_student_added_mid_term_logs_in_at_once(hub):
    new = "bpkit-s99"
    out = hub.hub_cli("add-student", new, "--name", "Late Comer", "--email",
                      "late@example.org").stdout
    assert f"added {new}" in out and "the running hub" in out, out
    pw = course_hub.State(hub.state).passwords()[new]
    s = session(hub, new, pw)
    assert s.login(), f"{new} cannot log in"
    s.close()
    book = hub.run_as(hub.instructor, "python", "-c",
                      "from nbgrader.api import Gradebook; "
                      f"gb = Gradebook('sqlite:///{hub.course / 'gradebook.db'}'); "
                      f"print(gb.find_student({new!r}).email)").stdout.strip()
    assert book == "late@example.org"
    out = hub.hub_cli("remove-student", new).stdout      # and gone again: locked out
    assert "account locked" in out, out
    s = session(hub, new, pw)
    assert not s.login()
    s.close()
    assert hub.home(new).is_dir()                         # the home is kept


def test_bad_input_is_one_line_and_exit_2(hub, tmp_path):
    bpkit = str(hub.setup.COURSE_VENV / "bin" / "bpkit")
    bad = tmp_path / "roster.csv"
    # (the roster's format and its mistakes: tests/test_hub_roster.py; here what needs the
    # machine's users)
    cases = {
        "student_id,name,email\nroot,Super User,root@example.org\n":
            "already a user of this machine who is not one of the course's students",
        f"student_id,name,email\n{hub.instructor},I,i@example.org\n": "is the instructor's login",
    }
    for text, expected in cases.items():
        bad.write_text(text)
        p = subprocess.run([bpkit, "hub", "init", "--roster", bad, "--state", tmp_path / "st"],
                           capture_output=True, text=True)
        assert p.returncode == 2, (text, p.stdout, p.stderr)
        assert expected in p.stderr and str(bad) in p.stderr, (text, p.stderr)
        assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr
    # TLS: a key that is not the certificate's
    other_cert, other_key = __import__("hubfixture").make_cert(tmp_path / "other")
    p = subprocess.run([bpkit, "hub", "start", "--state", hub.state, "--port", "1",
                        "--ssl-cert", hub.cert, "--ssl-key", other_key],
                       capture_output=True, text=True)
    assert p.returncode == 2 and "is not the key of --ssl-cert" in p.stderr, p.stderr


@pytest.mark.parametrize("example", sorted(p.name for p in (ROOT / "hub" / "auth").glob("*.py")))
def test_campus_login_is_a_config_only_switch(hub, tmp_path, example, monkeypatch):
    """hub/auth/EXAMPLE.py as STATE/auth_config.py: the hub's config loads it, the
    authenticator it names is built from that config, and the roster and the admin stand."""
    from jupyterhub.app import JupyterHub
    from traitlets.config.loader import PyFileConfigLoader
    state = tmp_path / "state"
    state.mkdir()
    shutil.copy(hub.state / "hub.json", state / "hub.json")
    shutil.copy(ROOT / "hub" / "auth" / example, state / "auth_config.py")
    monkeypatch.setenv("BPKIT_HUB_STATE", str(state))
    for name, value in {"BPKIT_OAUTH_CLIENT_ID": "bpkit-course",
                        "BPKIT_OAUTH_CLIENT_SECRET": "s3cret",
                        "BPKIT_LTI_CLIENT_ID": "12345"}.items():
        monkeypatch.setenv(name, value)
    config = PyFileConfigLoader("jupyterhub_config.py", path=str(ROOT / "hub")).load_config()
    app = JupyterHub(config=config)
    cls = app.authenticator_class
    assert cls.__module__.split(".")[0] in ("oauthenticator", "ltiauthenticator"), cls
    auth = cls(config=config)
    assert auth.admin_users == {hub.instructor}
    assert auth.allowed_users >= set(hub.students)
    assert os.environ["BPKIT_HUB_STATE"] == str(state)
