"""nbgrader's exchange with every submission closed to the other students.

nbgrader 0.9's `submit` leaves a submission's files readable by everybody (0644) and its folder
open to everybody (0777, "so the instructor can delete later"): a student who learns the folder's
name (``inbound/STUDENT+ASSIGNMENT+TIME+RANDOM``) can read, or change, another's work. Its
``inbound/`` folder is owned by the instructor and set-group-ID (nbgrader's
``release_assignment``), so every submission made in it already carries the instructor's group.
`PrivateSubmit` keeps nbgrader's permissions for the student and that group and takes every
permission from the others: another student's ``cat`` or ``ls`` ends in "Permission denied",
while the instructor's ``collect`` reads as before.

The course hub configures it for every user (hub/setup.py writes it into the per-user
nbgrader_config.py)::

    c.ExchangeFactory.submit = "bpkit.exchange.PrivateSubmit"

If ``inbound/`` is not set-group-ID (an exchange made by hand), closing the submission would
lock the instructor out too: then nbgrader's permissions are kept and a warning says how to fix
the folder.
"""
from __future__ import annotations

import os
import stat
import tempfile

from nbgrader.exchange.default.submit import ExchangeSubmit

OTHERS = stat.S_IRWXO


class PrivateSubmit(ExchangeSubmit):
    """`nbgrader submit`, readable by the student and the instructor's group only."""

    def _group_is_the_instructors(self) -> bool:
        return bool(os.stat(self.inbound_path).st_mode & stat.S_ISGID)

    def set_perms(self, dest, fileperms, dirperms):
        if self._group_is_the_instructors():
            fileperms, dirperms = fileperms & ~OTHERS, dirperms & ~OTHERS
        super().set_perms(dest, fileperms, dirperms)

    def copy_files(self):
        super().copy_files()
        if not self._group_is_the_instructors():
            self.log.warning(
                "%s is not set-group-ID: the submission stays readable by every user. Fix: "
                "chmod 2733 %s (as the instructor, its owner)", self.inbound_path,
                self.inbound_path)
            return
        dest = os.path.join(self.inbound_path, self.assignment_filename)
        # copytree's last step copied the student's folder's mode onto `dest`, which took away
        # its set-group-ID bit: nbgrader's timestamp.txt and submission_secret.txt, written
        # after it, got the student's own group. A student may not give a file the instructor's
        # group, but a file made in inbound/ gets it: each is made there and moved in.
        group = os.stat(self.inbound_path).st_gid
        for folder, _, files in os.walk(dest):
            for name in files:
                path = os.path.join(folder, name)
                if os.stat(path).st_gid != group:
                    self._regroup(path)
        # nbgrader's last step opened the submission's folder to all (0777); the instructor's
        # group keeps what nbgrader wanted it to have (it may delete the folder's files)
        os.chmod(dest, stat.S_IRWXU | stat.S_IRWXG)

    def _regroup(self, path: str) -> None:
        """`path` again, made in inbound/ (so: the instructor's group) and moved in place."""
        with open(path, "rb") as f:
            data = f.read()
        fd, fresh = tempfile.mkstemp(dir=self.inbound_path, prefix=".bpkit-regroup-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            os.fchmod(f.fileno(), stat.S_IMODE(os.stat(path).st_mode))
        os.replace(fresh, path)
