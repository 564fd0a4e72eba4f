"""bpkit.exchange.PrivateSubmit: a submission in nbgrader's exchange is closed to other users.

Real `nbgrader submit` runs into an exchange laid out as nbgrader's release_assignment lays it
out (inbound/ mode 2733); another user of this machine (`nobody`, via runuser, as root) tries
to read the submission. Plain nbgrader's submission, beside it, is readable by that same user:
the denial is the permissions', not the path's. (tests/hub/test_hub_failures.py does the same
between two students of a real hub, and the instructor's collect reads it there.)
"""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

NBGRADER = [sys.executable, "-m", "nbgrader"]
OTHER = "nobody"


@pytest.fixture
def exchange():
    """An exchange every user can reach (pytest's tmp_path is 0700: useless for a denial)."""
    root = Path(tempfile.mkdtemp(prefix="bpkit-exchange-", dir="/tmp"))
    root.chmod(0o755)
    (root / "ex" / "c" / "outbound" / "a1").mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), str(root / "ex" / "c" / "outbound" / "a1" / "a1.ipynb"))
    (root / "ex" / "c" / "inbound").mkdir()
    (root / "ex" / "c" / "inbound").chmod(0o2733)      # as nbgrader's release_assignment does
    yield root
    shutil.rmtree(root)


def submit(root: Path, who: str, private: bool) -> tuple[Path, str]:
    work = root / "work" / who
    (work / "a1").mkdir(parents=True)
    shutil.copy(root / "ex" / "c" / "outbound" / "a1" / "a1.ipynb", work / "a1")
    cmd = [*NBGRADER, "submit", "a1", "--course", "c", f"--Exchange.root={root / 'ex'}",
           f"--Exchange.cache={root / 'cache' / who}", f"--CourseDirectory.student_id={who}"]
    if private:
        cmd.append("--ExchangeFactory.submit=bpkit.exchange.PrivateSubmit")
    p = subprocess.run(cmd, cwd=work, capture_output=True, text=True, check=True)
    [folder] = (root / "ex" / "c" / "inbound").glob(f"{who}+a1+*")
    return folder, p.stderr


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_private_submission_keeps_the_owner_and_group_and_shuts_out_others(exchange):
    folder, _ = submit(exchange, "alice", private=True)
    plain, _ = submit(exchange, "bob", private=False)
    inbound = exchange / "ex" / "c" / "inbound"
    assert mode(folder) == 0o770, oct(mode(folder))
    files = sorted(folder.iterdir())
    assert {f.name for f in files} == {"a1.ipynb", "timestamp.txt", "submission_secret.txt"}
    for f in files:
        assert mode(f) == 0o640, (f.name, oct(mode(f)))
        assert f.stat().st_gid == inbound.stat().st_gid     # the instructor's group (set-gid)
    # plain nbgrader, for contrast: everybody reads its files, everybody writes its folder
    assert mode(plain) == 0o777 and mode(plain / "a1.ipynb") == 0o644


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("runuser"),
                    reason="needs root to act as another user")
def test_another_user_gets_permission_denied(exchange):
    folder, _ = submit(exchange, "alice", private=True)
    plain, _ = submit(exchange, "bob", private=False)

    def as_other(*cmd):
        return subprocess.run(["runuser", "-u", OTHER, "--", *map(str, cmd)],
                              capture_output=True, text=True)
    readable = as_other("cat", plain / "submission_secret.txt")
    assert readable.returncode == 0 and readable.stdout, readable.stderr   # reachable path
    for cmd in (("cat", folder / "a1.ipynb"), ("cat", folder / "submission_secret.txt"),
                ("ls", folder), ("touch", folder / "planted.txt")):
        p = as_other(*cmd)
        assert p.returncode != 0 and "Permission denied" in p.stderr, (cmd, p.stderr)
    assert not (folder / "planted.txt").exists()


def test_an_inbound_folder_without_set_gid_keeps_nbgraders_permissions_and_says_why(exchange):
    inbound = exchange / "ex" / "c" / "inbound"
    inbound.chmod(0o733)                     # made by hand: its group is not the instructor's
    folder, log = submit(exchange, "alice", private=True)
    assert mode(folder / "a1.ipynb") == 0o644            # else the instructor could not read it
    assert "is not set-group-ID" in log and f"chmod 2733 {inbound}" in log, log
