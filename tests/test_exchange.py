"""bpkit.exchange.PrivateSubmit: a submission in nbgrader's exchange is closed to other users.

Real `nbgrader submit` runs into an exchange laid out as nbgrader's release_assignment lays it
out (inbound/ owned by the instructor, mode 2733). As root (CI), the student is a real other
user (`nobody`) who is not in the instructor's group (root's here), and a third user (`daemon`)
tries to read the submission; plain nbgrader's submission, beside it, is readable by that same
user: the denial is the permissions', not the path's. (tests/hub/test_hub_failures.py does the
same between two students of a real hub, where the instructor's collect then reads it.)
"""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import nbformat
import pytest

# other users cannot run this venv's interpreter when it lives in root's home (pyenv): they run
# the system's Python of the same version with this venv's packages, as the hub's users do
USERS_PYTHON = os.environ.get("BPKIT_HUB_PYTHON", "/usr/bin/python3")
SITE = sysconfig.get_paths()["purelib"]
ROOT = Path(__file__).resolve().parents[1]


def _same_python() -> bool:
    try:
        out = subprocess.run([USERS_PYTHON, "-c", "import sys; print(sys.version_info[:2])"],
                             capture_output=True, text=True).stdout.strip()
    except OSError:
        return False
    return out == str(sys.version_info[:2])


AS_ROOT = os.geteuid() == 0 and shutil.which("runuser") is not None and _same_python()
STUDENT, OTHER = ("nobody", "daemon") if AS_ROOT else (None, None)


@pytest.fixture
def exchange():
    """An exchange every user can reach (pytest's tmp_path is 0700: useless for a denial)."""
    root = Path(tempfile.mkdtemp(prefix="bpkit-exchange-", dir="/tmp"))
    root.chmod(0o755)
    release = root / "ex" / "c" / "outbound" / "a1"
    release.mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), str(release / "a1.ipynb"))
    (root / "ex").chmod(0o777)                          # nbgrader's documented exchange root
    (root / "ex" / "c" / "inbound").mkdir()
    (root / "ex" / "c" / "inbound").chmod(0o2733)      # as nbgrader's release_assignment does
    yield root
    shutil.rmtree(root)


def as_user(user, *cmd, cwd=None, home=None):
    prefix = ["runuser", "-u", user, "--", "env", f"HOME={home or '/tmp'}",
              f"PYTHONPATH={SITE}:{ROOT}"] if user else []
    return subprocess.run([*prefix, *map(str, cmd)], cwd=cwd, capture_output=True, text=True)


def submit(root: Path, who: str, private: bool) -> tuple[Path, str]:
    """`nbgrader submit` by the student (`nobody` as root): the folder and nbgrader's log."""
    work = root / "work" / who
    (work / "a1").mkdir(parents=True)
    shutil.copy(root / "ex" / "c" / "outbound" / "a1" / "a1.ipynb", work / "a1")
    if STUDENT:
        shutil.chown(work.parent, STUDENT)
        subprocess.run(["chown", "-R", STUDENT, work], check=True)
    cmd = [USERS_PYTHON if STUDENT else sys.executable, "-m", "nbgrader", "submit", "a1", "--course", "c",
           f"--Exchange.root={root / 'ex'}", f"--Exchange.cache={work / 'cache'}",
           f"--CourseDirectory.student_id={who}"]
    if private:
        cmd.append("--ExchangeFactory.submit=bpkit.exchange.PrivateSubmit")
    p = as_user(STUDENT, *cmd, cwd=work, home=work)
    assert p.returncode == 0, p.stderr
    [folder] = (root / "ex" / "c" / "inbound").glob(f"{who}+a1+*")
    return folder, p.stderr


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_private_submission_is_the_students_and_the_instructors_group_only(exchange):
    folder, _ = submit(exchange, "alice", private=True)
    plain, _ = submit(exchange, "bob", private=False)
    inbound = exchange / "ex" / "c" / "inbound"
    assert mode(folder) == 0o770, oct(mode(folder))
    files = sorted(folder.iterdir())
    assert {f.name for f in files} == {"a1.ipynb", "timestamp.txt", "submission_secret.txt"}
    for f in files:
        assert mode(f) == 0o640, (f.name, oct(mode(f)))
        # the instructor's group (the set-gid inbound/'s), even for the files nbgrader writes
        # after copying, which a student's process makes with the student's own group
        assert f.stat().st_gid == inbound.stat().st_gid, f.name
    assert [p.name for p in inbound.iterdir() if not p.name.startswith(("alice+", "bob+"))] == []
    # plain nbgrader, for contrast: everybody reads its files, everybody writes its folder
    assert mode(plain) == 0o777 and mode(plain / "a1.ipynb") == 0o644
    if STUDENT:   # and its late files keep the student's group: the instructor could not read
        assert (plain / "timestamp.txt").stat().st_gid != inbound.stat().st_gid


@pytest.mark.skipif(not AS_ROOT, reason="needs root (and the system's Python of this version) "
                    "to act as other users")
def test_another_user_gets_permission_denied(exchange):
    folder, _ = submit(exchange, "alice", private=True)
    plain, _ = submit(exchange, "bob", private=False)
    readable = as_user(OTHER, "cat", plain / "submission_secret.txt")
    assert readable.returncode == 0 and readable.stdout, readable.stderr   # a reachable path
    for cmd in (("cat", folder / "a1.ipynb"), ("cat", folder / "submission_secret.txt"),
                ("ls", folder), ("touch", folder / "planted.txt")):
        p = as_user(OTHER, *cmd)
        assert p.returncode != 0 and "Permission denied" in p.stderr, (cmd, p.stderr)
    assert not (folder / "planted.txt").exists()


def test_an_inbound_folder_without_set_gid_keeps_nbgraders_permissions_and_says_why(exchange):
    inbound = exchange / "ex" / "c" / "inbound"
    inbound.chmod(0o733)                     # made by hand: its group is not the instructor's
    folder, log = submit(exchange, "alice", private=True)
    assert mode(folder / "a1.ipynb") == 0o644            # else the instructor could not read it
    assert "is not set-group-ID" in log and f"chmod 2733 {inbound}" in log, log
