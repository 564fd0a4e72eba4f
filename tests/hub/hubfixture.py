"""A class hub for the tests and benchmarks/hub_load.py: a generated roster of N students,
`bpkit hub init` (real system users, each with their own password), a self-signed certificate,
`bpkit hub start` on free ports with HTTPS; commands run as the course's users; stop by PID.
"""
from __future__ import annotations

import csv
import datetime
import os
import platform
import pwd
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bpkit_instructor.course import hub as course_hub  # noqa: E402 - after the path above

setup = course_hub.setup()
FIRST = ["Ada", "Blaise", "Carl", "Emmy", "Sofia", "Alan", "Grace", "John", "Kurt", "Srinivasa"]
LAST = ["Lovelace", "Pascal", "Gauss", "Noether", "Kovalevskaya", "Turing", "Hopper", "Neumann"]


def student_id(i: int) -> str:
    return f"bpkit-s{i:02d}"


def write_roster(path: Path, n: int) -> list[str]:
    """A roster of n students (bpkit-s01 ...), names with a comma-free first and last name."""
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["student_id", "name", "email"])
        for i in range(1, n + 1):
            w.writerow([student_id(i), f"{FIRST[i % len(FIRST)]} {LAST[i % len(LAST)]}",
                        f"{student_id(i)}@example.org"])
    return [student_id(i) for i in range(1, n + 1)]


def make_cert(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost (the `cryptography` package)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bpkit course hub (test)")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    c, k = folder / "hub-cert.pem", folder / "hub-key.pem"
    c.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    k.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    k.chmod(0o600)
    return c, k


def _free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_base_port():
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port < 65000 and all(_free(p) for p in (port, port + 1, port + 2)):
            return port
    raise RuntimeError("no three free consecutive ports")


class ClassHub:
    """The running hub: URL, certificate, passwords, and commands run as the course's users."""

    def __init__(self, state: Path, info: dict, cert: Path, key: Path):
        self.setup, self.state, self.info = setup, state, info
        self.url = info["url"]
        self.cert, self.key = cert, key
        self.course = Path(info["course"])
        self.exchange = Path(info["exchange"])
        self.instructor = setup.INSTRUCTOR
        self.students = list(info["students"])
        self.passwords = course_hub.State(state).passwords()
        self.timings = {}
        self.cores = os.cpu_count()
        from importlib.metadata import version
        self.versions = f"{version('jupyterhub')}, nbgrader {version('nbgrader')}"

    def pids(self):
        return (setup._read_pid(self.state / "jupyterhub.pid"),
                setup._read_pid(self.state / "jupyterhub-proxy.pid"))

    def home(self, user):
        return Path(pwd.getpwnam(user).pw_dir)

    def run_as(self, user, *cmd, cwd=None, check=True, timeout=900, env=None):
        """A command as `user`, with the environment the hub gives that user's JupyterLab
        (so: what they would type in its terminal)."""
        is_instructor = user == self.instructor
        venv = self.info["instructor_venv"] if is_instructor else self.info["student_venv"]
        home = self.home(user)
        full_env = {"HOME": str(home), "USER": user, "LOGNAME": user, "LANG": "C.UTF-8",
                    "PATH": f"{venv}/bin:/usr/local/bin:/usr/bin:/bin",
                    "JUPYTER_CONFIG_PATH": f"{self.info['users_config']}/{user}",
                    "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
        if is_instructor:
            full_env["BPKIT_COURSE"] = str(self.course)
        full_env.update(env or {})
        argv = ["runuser", "-u", user, "--", "env", "-i",
                *[f"{k}={v}" for k, v in full_env.items()], *map(str, cmd)]
        t0 = time.perf_counter()
        proc = subprocess.run(argv, cwd=str(cwd or (self.course if is_instructor else home)),
                              capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
        key = f"{user.replace('bpkit-', '')}: {' '.join(map(str, cmd[:3]))}"
        self.timings[key] = self.timings.get(key, 0) + time.perf_counter() - t0
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(map(str, cmd))} as {user} exited {proc.returncode}:\n"
                                 f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        return proc

    def bpkit(self, *args, **kw):
        return self.run_as(self.instructor, "bpkit", *args, **kw)

    def hub_cli(self, *args, check=True):
        """`bpkit hub ARGS --state STATE` as root (the course venv)."""
        proc = subprocess.run([str(setup.COURSE_VENV / "bin" / "bpkit"), "hub", *map(str, args),
                               "--state", str(self.state)], capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=900)
        if check and proc.returncode != 0:
            raise AssertionError(f"bpkit hub {' '.join(map(str, args))} exited "
                                 f"{proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
        return proc

    def restart(self):
        """Stop the hub and its proxy by their PIDs, start them again (same state)."""
        import json
        before = self.pids()
        setup.stop_hub(self.state)
        for pid in before:
            assert not Path(f"/proc/{pid}").exists() or b"jupyterhub" not in \
                Path(f"/proc/{pid}/cmdline").read_bytes(), f"pid {pid} still running"
        setup.start_hub(self.state, json.loads((self.state / "hub.json").read_text()))
        return before, self.pids()

    def stop(self):
        hub_pid, proxy_pid = self.pids()
        setup.stop_hub(self.state)
        for pid, word in ((hub_pid, b"jupyterhub"), (proxy_pid, b"configurable-http-proxy")):
            if pid and Path(f"/proc/{pid}").exists():
                assert word not in Path(f"/proc/{pid}/cmdline").read_bytes(), \
                    f"{word.decode()} (pid {pid}) still running after stop"

    def collected_marks(self, assignment) -> dict:
        """{student: does submitted/STUDENT/A/A.ipynb hold that student's own line}"""
        from benchmarks.hub_load import MARK
        out = {}
        for s in self.students:
            nb = self.course / "submitted" / s / assignment / f"{assignment}.ipynb"
            out[s] = nb.exists() and MARK.format(user=s) in nb.read_text() and not any(
                MARK.format(user=o) in nb.read_text() for o in self.students if o != s)
        return out


def start_class_hub(state: Path, n_students: int, course_name: str, exchange=None,
                    reset=("01-chain-rule", "02-naive-derivatives", "03-backprop")) -> ClassHub:
    """A fresh class of n students on its own hub (HTTPS, free ports), from a roster file."""
    if (pid := setup._read_pid(state / "jupyterhub.pid")) and setup._alive(pid, "jupyterhub"):
        setup.stop_hub(state)                    # left over from an interrupted run
    for f in ("roster.json", "passwords.csv", "settings.json", "hub.json", "auth_config.py"):
        (state / f).unlink(missing_ok=True)
    exchange = Path(exchange or state / "exchange")
    shutil.rmtree(exchange, ignore_errors=True)
    state.mkdir(parents=True, exist_ok=True)
    roster = state / "roster.csv"
    students = write_roster(roster, n_students)
    os.environ["PATH"] = f"{setup.COURSE_VENV / 'bin'}{os.pathsep}{os.environ['PATH']}"
    course_hub.init(roster, state, exchange=exchange, course_name=course_name, fresh=True,
                    say=lambda s: print(f"[hub] {s}", file=sys.stderr))
    for s in students:                           # a new term: nothing fetched yet
        home = Path(pwd.getpwnam(s).pw_dir)
        for a in reset:
            shutil.rmtree(home / a, ignore_errors=True)
        shutil.rmtree(home / ".local" / "share" / "jupyter" / "nbgrader_cache", ignore_errors=True)
        shutil.rmtree(home / ".jupyter" / "lab" / "workspaces", ignore_errors=True)
    cert, key = make_cert(state / "tls")
    info = course_hub.start(state, "127.0.0.1", free_base_port(), str(cert), str(key),
                            say=lambda s: print(s, file=sys.stderr))
    return ClassHub(state, info, cert, key)


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores"
