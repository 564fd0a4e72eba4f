"""Grading kernels in a sandbox: bubblewrap, the student part only, no network, limits.

``bpkit autograde`` runs nbgrader with the kernelspec ``bpkit-sandbox`` (written into a private
JUPYTER_PATH, never into the one JupyterLab shows). Its argv starts this module's launcher, which
runs the real ipykernel inside ``bwrap``:

* the file system holds only /usr, /lib*, /bin, /etc, the interpreter and the course venv (read
  only), the student part ``bpkit/`` (read only), the submission's own folder (read only) with
  its ``.bpkit-answers/`` (writable: check() records answers there for the re-judge), the
  kernel's runtime folder (its connection file and ipc sockets), and a small private /tmp. Not
  there: ``bpkit_instructor/`` (the key), ``solutions/``, ``gradebook.db``, other students'
  submissions and feedback, ``.git``;
* no network (``--unshare-net``; the kernel talks to nbgrader over ipc sockets), its own pid,
  ipc and uts namespaces, no capabilities;
* limits per kernel: address space (memory), CPU time, size of any file written, number of
  processes and threads (a pids cgroup where the machine offers one), bytes of output, and the
  size of the answers folder (watched; the kernel is stopped past it). A kernel that hits a limit
  leaves a note (``.bpkit-sandbox-ASSIGNMENT.json`` beside its folder) that autograde turns into a named flag.

The re-judge runs outside the sandbox, with the key, in bpkit.grading.judge.
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import bpkit
from bpkit.grading.checker import ANSWERS_DIR, JUDGE_ENV
from bpkit.grading.kernel import MARK, OUTPUT_LIMIT_ENV

KERNEL_NAME = "bpkit-sandbox"
NOTE = ".bpkit-sandbox.json"
BWRAP = os.environ.get("BPKIT_BWRAP", "bwrap")

# per grading kernel
LIMITS = {
    "memory_bytes": 3 << 30,      # address space; numpy + ipykernel reserve ~1 GiB of it
    "cpu_seconds": 600,           # CPU time for the whole notebook (cells also have a wall timeout)
    "file_bytes": 64 << 20,       # any one file written
    "processes": 128,             # processes + threads (ipykernel alone runs ~10 threads)
    "output_bytes": 2 << 20,      # stdout + stderr text the kernel sends back
    "answers_bytes": 64 << 20,    # the writable answers folder
    "tmp_bytes": 64 << 20,        # the private /tmp
}


def problem() -> str | None:
    """None if sandboxed grading works here, else what is missing and how to get it (a probe
    that starts bubblewrap once: autograde calls it once per run)."""
    if shutil.which(BWRAP) is None:
        return ("the grading sandbox needs bubblewrap: `apt-get install -y bubblewrap` "
                "(or pass --no-sandbox to grade without it, knowingly)")
    proc = subprocess.run([BWRAP, "--ro-bind", "/", "/", "--unshare-net", "--unshare-pid",
                           "--die-with-parent", "true"], capture_output=True, text=True)
    if proc.returncode != 0:
        return (f"bubblewrap cannot create a sandbox here ({proc.stderr.strip()[:200]}); "
                "run as root or enable unprivileged user namespaces, or pass --no-sandbox")
    return None


def kernelspec_path(root) -> Path:
    """Write the bpkit-sandbox kernelspec under ROOT/.bpkit-sandbox; return that JUPYTER_PATH."""
    base = Path(root) / ".bpkit-sandbox"
    spec = base / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    text = json.dumps({
        "argv": [sys.executable, "-m", "bpkit_instructor.course.sandbox", "launch", "{connection_file}"],
        "display_name": "Python 3 (bpkit grading sandbox)", "language": "python",
        "interrupt_mode": "message", "metadata": {"debugger": False}}, indent=1)
    if not (spec / "kernel.json").exists() or (spec / "kernel.json").read_text() != text:
        (spec / "kernel.json").write_text(text)
    return base


def _kernel_manager():
    # jupyter_client costs its import time: only when a sandboxed kernel is started
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class SandboxKernelManager(AsyncKernelManager):
        """Talks to the sandboxed kernel over ipc sockets (it has no network), each kernel
        under its own absolute prefix in the runtime folder (kernels start in parallel)."""
        transport = "ipc"

        @default("ip")
        def _ip_default(self):
            from jupyter_core.paths import jupyter_runtime_dir  # with jupyter_client, above
            os.makedirs(jupyter_runtime_dir(), exist_ok=True)
            # a folder of its own: the only host folder the sandbox may write besides the answers
            return os.path.join(tempfile.mkdtemp(prefix="k", dir=jupyter_runtime_dir()), "ipc")

        def cleanup_ipc_files(self):
            super().cleanup_ipc_files()
            shutil.rmtree(os.path.dirname(self.ip), ignore_errors=True)

    return SandboxKernelManager


def __getattr__(name):  # the class is built on first use: importing jupyter_client costs time
    if name == "SandboxKernelManager":
        return _kernel_manager()
    raise AttributeError(name)


def configure(cfg) -> None:
    """Point an nbgrader/nbclient config at the sandbox."""
    cfg.Execute.kernel_name = KERNEL_NAME
    cfg.Execute.kernel_manager_class = "bpkit_instructor.course.sandbox.SandboxKernelManager"


def grading_env(root) -> dict:
    """Environment variables that make nbgrader's kernels start in the sandbox."""
    jpath = kernelspec_path(root)
    # ipc socket paths must stay under ~107 bytes: a short folder of our own in /tmp, not the
    # course folder (whose path can be long)
    runtime = Path(tempfile.gettempdir()) / f"bpkit-rt-{os.getuid()}"
    runtime.mkdir(mode=0o700, exist_ok=True)
    return {"JUPYTER_PATH": str(jpath), "JUPYTER_RUNTIME_DIR": str(runtime)}


# ------------------------------------------------------------------------------ the launcher
def _bwrap_argv(connection_file: str, cwd: str, answers: str) -> list[str]:
    """bwrap's argv; `connection_file` lies in the kernel's own ipc folder (bound writable)."""
    student_part = os.path.dirname(os.path.abspath(bpkit.__file__))
    venv = sys.prefix
    ro = ["/usr", "/etc", sys.base_prefix, venv, student_part, cwd]
    argv = [BWRAP, "--die-with-parent", "--unshare-net", "--unshare-pid", "--unshare-ipc",
            "--unshare-uts", "--unshare-cgroup-try", "--cap-drop", "ALL",
            # the private /tmp first: a course, a venv or a pytest folder may live under /tmp,
            # and a tmpfs mounted after their binds would hide them
            "--size", str(LIMITS["tmp_bytes"]), "--tmpfs", "/tmp",
            "--proc", "/proc", "--dev", "/dev"]
    for path in ro:
        argv += ["--ro-bind", path, path]
    for path in ("/lib", "/lib64", "/lib32", "/bin", "/sbin"):
        argv += ["--ro-bind-try", path, path]
    runtime = os.path.dirname(connection_file)
    argv += ["--bind", answers, answers, "--bind", runtime, runtime, "--chdir", cwd,
             "--setenv", "HOME", "/tmp", "--setenv", "MPLCONFIGDIR", "/tmp",
             "--setenv", "IPYTHONDIR", "/tmp/.ipython", "--setenv", "BPKIT_SANDBOX", "1",
             # the key is not in here: check() judges with the student part's judge
             "--unsetenv", JUDGE_ENV,
             # in its own pid namespace the kernel must not poll its parent (it would see pid 0
             # and exit); "1" means "no parent to watch" to ipykernel, and keeps it quiet
             "--setenv", "JPY_PARENT_PID", "1",
             "--setenv", OUTPUT_LIMIT_ENV, str(LIMITS["output_bytes"]),
             sys.executable, "-m", "bpkit.grading.kernel", "-f", connection_file]
    return argv


def _set_limits(cgroup=None):
    """In the child, before bwrap: rlimits (and the pids cgroup) that bwrap and the kernel
    inherit."""
    os.setsid()
    if cgroup is not None:
        cgroup.join()
    for lim, value in ((resource.RLIMIT_AS, LIMITS["memory_bytes"]),
                       (resource.RLIMIT_CPU, LIMITS["cpu_seconds"]),
                       (resource.RLIMIT_FSIZE, LIMITS["file_bytes"]),
                       (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(lim, (value, value))


class _PidsCgroup:
    """A pids cgroup (v1 or v2) that caps processes + threads, where the machine lets us."""

    def __init__(self):
        self.path = None
        for base in ("/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"):
            limit = "pids.max"
            if not os.path.isdir(base) or not os.access(base, os.W_OK):
                continue
            path = os.path.join(base, f"bpkit-sandbox-{os.getpid()}")
            try:
                os.mkdir(path)
                with open(os.path.join(path, limit), "w") as f:
                    f.write(str(LIMITS["processes"]))
                self.path = path
                return
            except OSError:
                try:
                    os.rmdir(path)
                except OSError:
                    pass

    def join(self):
        """Move the calling process into the cgroup (its children follow)."""
        if self.path:
            with open(os.path.join(self.path, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))

    def close(self):
        if self.path:
            for _ in range(50):
                try:
                    os.rmdir(self.path)
                    return
                except OSError:
                    time.sleep(0.05)


def _folder_bytes(path) -> int:
    total = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total


def note_path(folder) -> Path:
    """Where a kernel's limit note goes: beside the autograded folder, which nbgrader removes
    when grading fails."""
    folder = Path(folder)
    return folder.parent / f"{NOTE[:-5]}-{folder.name}.json"


def _note(cwd, limit, detail):
    try:
        with open(note_path(cwd), "w") as f:
            json.dump({"limit": limit, "detail": detail}, f)
    except OSError:
        pass


def _parent() -> int:
    """The grading process that started this kernel: jupyter_client names it in JPY_PARENT_PID
    (read before anything else, so a parent that died while we started is still noticed)."""
    try:
        return int(os.environ.get("JPY_PARENT_PID") or os.getppid())
    except ValueError:
        return os.getppid()


def launch(connection_file: str) -> int:
    """Run the kernel in bwrap; forward signals; watch the answers folder and the grading
    process (the kernel dies with it: Ctrl-C, a killed worker); report limits."""
    parent = _parent()
    cwd = os.getcwd()
    answers = os.path.join(cwd, ANSWERS_DIR)
    os.makedirs(answers, exist_ok=True)
    with open(connection_file) as f:
        info = json.load(f)
    if info.get("transport") != "ipc" or not os.path.isabs(info.get("ip", "")):
        sys.exit("bpkit-sandbox: the kernel has no network; start it with "
                 "bpkit_instructor.course.sandbox.SandboxKernelManager (ipc transport)")
    ipc_dir = os.path.dirname(info["ip"])
    inner = os.path.join(ipc_dir, "connection.json")
    shutil.copyfile(connection_file, inner)
    if os.getppid() != parent:  # the grading process is already gone: no kernel to start
        return 1
    cgroup = _PidsCgroup()
    child = subprocess.Popen(_bwrap_argv(inner, cwd, answers),
                             preexec_fn=lambda: _set_limits(cgroup), stdin=subprocess.DEVNULL)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda s, _f: _forward(child, s))
    stop = threading.Event()

    def watch():
        while not stop.wait(0.25):
            if os.getppid() != parent:
                _forward(child, signal.SIGKILL)
                return
            if _folder_bytes(answers) > LIMITS["answers_bytes"]:
                _note(cwd, "disk", f"more than {LIMITS['answers_bytes'] >> 20} MiB written")
                _forward(child, signal.SIGKILL)
                child.wait()
                shutil.rmtree(answers, ignore_errors=True)  # the junk goes; the answers were void
                return

    threading.Thread(target=watch, daemon=True).start()
    code = child.wait()
    stop.set()
    if code in (-signal.SIGXCPU, 128 + signal.SIGXCPU) and not note_path(cwd).exists():
        _note(cwd, "cpu", f"more than {LIMITS['cpu_seconds']} s of CPU time")
    cgroup.close()
    return code if code >= 0 else 128 - code


def _forward(child, sig):
    try:
        os.killpg(child.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["launch"]:
        sys.exit(launch(argv[1]))
    sys.exit("usage: python -m bpkit_instructor.course.sandbox launch CONNECTION_FILE")


if __name__ == "__main__":
    main()


# ------------------------------------------------------------------- what autograde reports
def limits_hit(folder, nb=None) -> list[str]:
    """Named flags for the limits a grading kernel ran into (its note, and its outputs)."""
    flags = []
    note = note_path(folder)
    if note.exists():
        try:
            info = json.loads(note.read_text())
            flags.append(f"{info['limit']}-limit: {info['detail']}")
        except (ValueError, KeyError):
            flags.append("sandbox-limit: the kernel was stopped")
    for cell in (nb.cells if nb is not None else []):
        for out in cell.get("outputs", []):
            text = out.get("text", "") if out.get("output_type") == "stream" else ""
            ename, evalue = out.get("ename", ""), out.get("evalue", "")
            if ename == "MemoryError":
                flags.append(f"memory-limit: more than {LIMITS['memory_bytes'] >> 30} GiB allocated")
            elif ename == "BlockingIOError" or "Resource temporarily unavailable" in evalue:
                flags.append(f"process-limit: more than {LIMITS['processes']} processes/threads")
            elif "File too large" in evalue or ename == "OSError" and "[Errno 27]" in evalue:
                flags.append(f"file-limit: a file larger than {LIMITS['file_bytes'] >> 20} MiB")
            elif "No space left on device" in evalue:
                flags.append(f"disk-limit: more than {LIMITS['tmp_bytes'] >> 20} MiB in /tmp")
            if MARK in text:
                flags.append(f"output-limit: more than {LIMITS['output_bytes'] >> 20} MiB printed")
    return list(dict.fromkeys(flags))
