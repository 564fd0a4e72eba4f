"""The class roster of `bpkit hub init --roster` (bpkit_instructor/course/hub.py), without a hub:
what a roster may hold, and each mistake answered with the file, the line and the fix (exit 2,
one line, no traceback unless --debug). The accounts themselves: tests/hub/test_hub_accounts.py.
"""
from __future__ import annotations

import subprocess
import sys

import pytest

from bpkit_instructor.course import hub
from bpkit_instructor.course.errors import CourseError


def roster(tmp_path, text, name="roster.csv", encoding="utf-8"):
    f = tmp_path / name
    f.write_text(text, encoding=encoding)
    return f


def test_a_roster_with_quoted_names_a_bom_and_blank_lines(tmp_path):
    f = roster(tmp_path, "\ufeffStudent ID,Name,Email\n\ns001,Ada Lovelace,ada@uni.example\n"
                         's002,"Pascal, Blaise",\n  s003 , Carl Friedrich Gauss , carl@uni.example\n')
    got = hub.read_roster(f)
    assert [s.id for s in got] == ["s001", "s002", "s003"]
    assert got[1].name == "Pascal, Blaise" and got[1].email == ""
    assert got[2].first_last == ("Carl Friedrich", "Gauss")
    assert got[2].email == "carl@uni.example"


@pytest.mark.parametrize("text, message", [
    ("s001,Ada,ada@uni.example\n", "line 1: no header"),
    ("student_id,name,email\ns001,Ada Lovelace\n", "line 2: 2 column(s), expected 3"),
    ("student_id,name,email\ns001,Ada,Lovelace,ada@uni.example\n", "line 2: 4 column(s)"),
    ("student_id,name,email\nAda.Lovelace,Ada,ada@uni.example\n", "cannot be a login name"),
    ("student_id,name,email\n1abc,Ada,ada@uni.example\n", "cannot be a login name"),
    ("student_id,name,email\ns001,Ada,a@u.org\ns002,Bo,b@u.org\ns001,Cy,c@u.org\n",
     "line 4: student id 's001' is already on line 2"),
    ("student_id,name,email\ns001,,ada@uni.example\n", "line 2: s001 has no name"),
    ("student_id,name,email\ns001,Ada,not-an-address\n", "is not an email address"),
    ("student_id,name,email\n", "a header and no students"),
    ("", "the roster is empty"),
])
def test_each_mistake_names_the_file_the_line_and_the_fix(tmp_path, text, message):
    f = roster(tmp_path, text)
    with pytest.raises(CourseError) as err:
        hub.read_roster(f)
    assert message in str(err.value) and str(f) in str(err.value), str(err.value)


def test_a_missing_or_binary_roster(tmp_path):
    with pytest.raises(CourseError, match="no such roster file"):
        hub.read_roster(tmp_path / "nope.csv")
    f = tmp_path / "roster.xlsx"
    f.write_bytes(b"PK\x03\x04\xff\xfe\x00binary")
    with pytest.raises(CourseError, match="not UTF-8 text: save the roster as a UTF-8 CSV"):
        hub.read_roster(f)


def test_the_cli_answers_in_one_line_with_exit_2(tmp_path):
    f = roster(tmp_path, "student_id,name,email\nBad Id,Ada,ada@uni.example\n")
    cmd = [sys.executable, "-m", "bpkit_instructor.course.cli", "hub", "init", "--roster", str(f),
           "--state", str(tmp_path / "state")]
    p = subprocess.run(cmd, capture_output=True, text=True)
    assert p.returncode == 2, p.stderr
    assert p.stderr.count("\n") == 1 and p.stderr.startswith("bpkit hub init: error: "), p.stderr
    assert f"{f} line 2: student id 'Bad Id' cannot be a login name" in p.stderr
    p = subprocess.run(cmd + ["--debug"], capture_output=True, text=True)
    assert "Traceback" in p.stderr and "CourseError" in p.stderr
    assert not (tmp_path / "state").exists()          # nothing made from a bad roster


def test_commands_on_a_hub_never_initialised(tmp_path):
    for args in (["sync"], ["add-student", "s001", "--name", "Ada"], ["remove-student", "s001"],
                 ["start"], ["passwords"]):
        p = subprocess.run([sys.executable, "-m", "bpkit_instructor.course.cli", "hub", *args,
                            "--state", str(tmp_path / "none")], capture_output=True, text=True)
        assert p.returncode == 2, (args, p.stderr)
        assert "run `bpkit hub init --roster roster.csv" in p.stderr, (args, p.stderr)


def test_tls_files_are_checked(tmp_path):
    pytest.importorskip("cryptography")
    sys.path.insert(0, str(hub.REPO / "tests" / "hub"))
    from hubfixture import make_cert
    cert, key = make_cert(tmp_path / "a")
    cert2, key2 = make_cert(tmp_path / "b")
    assert hub.check_tls(cert, key) == (str(cert), str(key))
    with pytest.raises(CourseError, match="is not the key of --ssl-cert"):
        hub.check_tls(cert, key2)
    with pytest.raises(CourseError, match="not a PEM certificate"):
        hub.check_tls(key, key)
    with pytest.raises(CourseError, match="not an unencrypted PEM private key"):
        hub.check_tls(cert, cert2)
    with pytest.raises(CourseError, match="no such file"):
        hub.check_tls(tmp_path / "none.pem", key)
