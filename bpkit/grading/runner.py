"""Run a student's answer where it cannot reach the comparison: a forked, locked-down child.

The child unpickles the answer only after it has dropped the caller's references (``forget``),
emptied the modules the caller seals (the key's, on the instructor's machine), planted tripwires
on the protected bpkit functions, and installed an audit hook that refuses to read bpkit's
source or the instructor's files, rebuild code, walk frames or start processes. It calls the
answer on each case and sends back plain float64 arrays (``np.load(..., allow_pickle=False)``),
or an error's text, nothing else. A child that loops is killed at the timeout; one that exits is
reported. The parent (``bpkit.grading.judge``) compares after the child is gone.
"""
from __future__ import annotations

import contextlib
import copy
import importlib
import io
import json
import os
import resource
import select
import signal
import struct
import sys
import time
import types
import zipfile  # noqa: F401 - np.savez needs it; imported before the lock-down

import cloudpickle
import numpy as np
import numpy.lib.format  # noqa: F401 - everything the child needs is imported before lock-down

import bpkit
from bpkit.grading import compare

_MEMORY_LIMIT = 4 << 30


# ----------------------------------------------------------------------------- the child side
class ReferenceCalled(BaseException):
    """Raised when a graded answer calls bpkit's own implementation of the graded function."""


def _send(fd, kind: bytes, payload: bytes):
    os.write(fd, kind + struct.pack("<Q", len(payload)))
    view = memoryview(payload)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _protected_functions(names):
    found = []
    for dotted in names:
        mod_name, _, attr = dotted.rpartition(".")
        try:
            mod = importlib.import_module(mod_name)
            found.append((mod, attr, getattr(mod, attr)))
        except (ImportError, AttributeError):
            continue
    return found


class _Sealed(types.ModuleType):
    """Stands in for an exercise module inside the child: its contents are not an answer."""

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        _tripped()


_TRIP_FD = None


def _tripped():
    _send(_TRIP_FD, b"T", b"called bpkit's own implementation of the graded function")
    raise ReferenceCalled("calling bpkit's reference implementation is not an answer")


def _tripwire(*args, **kwargs):
    # only builtins here: this code object is planted into bpkit functions of other modules
    __import__("bpkit.grading.runner", fromlist=["_tripped"])._tripped()


def _lock_down(protect, fd, seal=(), secret=(), forget=None):
    """Tripwires and an audit hook; from here on the process is the student's. `seal`: module
    name prefixes whose modules are emptied (the key's); `secret`: paths the answer may not open
    or list; `forget()`: drops what the caller registered (the key's exercises)."""
    global _TRIP_FD
    _TRIP_FD = fd
    bpkit_dir = os.path.dirname(os.path.abspath(bpkit.__file__))

    for mod, attr, obj in _protected_functions(protect):
        setattr(mod, attr, _tripwire)
        # aliases taken before grading trip too: plant the tripwire in the code itself
        targets = vars(obj).values() if isinstance(obj, type) else [obj]
        for fn in targets:
            code = getattr(fn, "__code__", None)
            if code is not None and not code.co_freevars:
                fn.__code__ = _tripwire.__code__
    # the caller's registry and its reference functions leave this process
    if forget is not None:
        forget()
    secret = tuple(secret)
    for name in [n for n in sys.modules if any(n == s or n.startswith(s + ".") for s in seal)]:
        sys.modules[name].__dict__.clear()
        sys.modules[name] = _Sealed(name)

    blocked = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
               "os.fork", "os.forkpty", "os.kill", "ctypes.dlopen", "gc.get_objects",
               "gc.get_referrers", "gc.get_referents", "sys._getframe", "sys.setprofile",
               "sys.settrace", "os.putenv", "os.chdir"}
    bpkit_bytes = bpkit_dir.encode()
    frames = {"tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_back", "f_globals", "f_locals"}

    def hook(event, args):
        if event in blocked:
            raise PermissionError(f"{event} is not available while grading")
        if event == "object.__getattr__" and args[1] in frames:
            raise PermissionError(f"{args[1]} is not available while grading")
        if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
            path = os.path.abspath(os.fsdecode(args[0]))
            if path.startswith(bpkit_dir + os.sep):
                raise PermissionError("bpkit's source is not readable while grading")
            if _inside(path, secret):
                raise PermissionError("the instructor's files are not readable while grading")
        if event in ("os.listdir", "os.scandir") and args and args[0] is not None \
                and not isinstance(args[0], int):
            if _inside(os.path.abspath(os.fsdecode(args[0])), secret):
                raise PermissionError("the instructor's files are not readable while grading")
        if event == "compile" and isinstance(args[1], str) and args[1].startswith(bpkit_dir):
            raise PermissionError("recompiling bpkit is not an answer")
        if event in ("marshal.loads", "marshal.load") and args and isinstance(args[0], bytes) \
                and bpkit_bytes in args[0]:
            raise PermissionError("unmarshalling bpkit's code is not an answer")
        if event == "code.__new__":
            if isinstance(args[1], str) and args[1].startswith(bpkit_dir):
                _send(fd, b"T", b"rebuilt the code of a bpkit reference function")
                raise ReferenceCalled("copying bpkit's reference implementation is not an answer")
    sys.addaudithook(hook)


def _inside(path, prefixes):
    return any(path == p or path.startswith(p + os.sep) for p in prefixes)


def _run_child(answer_path, cases, protect, fd, within=None, lock=None):
    """In the forked child: load the answer, call it on every case, send float64 arrays back."""
    try:
        resource.setrlimit(resource.RLIMIT_AS, (_MEMORY_LIMIT, _MEMORY_LIMIT))
    except (ImportError, ValueError, OSError):
        pass
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    with open(answer_path, "rb") as f:
        blob = f.read()
    _lock_down(protect, fd, **(lock or {}))
    try:
        answer = cloudpickle.loads(blob)
    except BaseException as err:  # noqa: BLE001 - anything the pickle raises is the student's
        _send(fd, b"E", json.dumps({"case": -1, "error": f"{type(err).__name__}: {err}"}).encode())
        os._exit(0)
    for i, case in enumerate(cases):
        try:
            before = copy.deepcopy(case)
        except BaseException:  # noqa: BLE001 - a case that cannot be copied is not compared
            before = None
        try:
            if not callable(answer):
                out = answer
            else:
                with within(answer, case) if within is not None else contextlib.nullcontext():
                    out = answer(**case)
            if hasattr(out, "__next__") or (hasattr(out, "__iter__") and
                                             not isinstance(out, (np.ndarray, tuple, list, dict))):
                out = list(out)
        except BaseException as err:  # noqa: BLE001 - SystemExit, KeyboardInterrupt included
            _send(fd, b"E", json.dumps({"case": i, "error": _error_text(err)}).encode())
            continue
        if before is not None and not compare.unchanged(before, case):
            _send(fd, b"M", str(i).encode())  # the answer changed its own inputs
        try:
            flat = compare.flatten(out)
            buf = io.BytesIO()
            np.savez(buf, **{k.replace("/", "|"): v for k, v in flat.items()})
            _send(fd, b"R", buf.getvalue())
        except BaseException:  # noqa: BLE001 - what came back is not numbers
            _send(fd, b"E", json.dumps({"case": i, "returned": _kind_of(out)}).encode())
    os._exit(0)


def _kind_of(out):
    """What a non-numeric answer is, in words (no values)."""
    if isinstance(out, (list, tuple)):
        inner = sorted({type(v).__name__ for v in out})[:3]
        return f"a {type(out).__name__} of {', '.join(inner) or 'nothing'}"
    if isinstance(out, dict):
        return f"a dict of {', '.join(sorted({type(v).__name__ for v in out.values()})[:3])}"
    return f"a {type(out).__name__}"


def _error_text(err):
    tb, line = err.__traceback__, None
    while tb is not None:
        line = tb.tb_lineno
        tb = tb.tb_next
    where = f" (line {line} of your code)" if line else ""
    return f"{type(err).__name__}: {err}{where}"


# ---------------------------------------------------------------------------- the parent side
def _read_messages(fd, deadline):
    """Yield (kind, payload) from the child until EOF or the deadline."""
    buf = b""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            yield b"X", b"timeout"
            return
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return
        buf += chunk
        while len(buf) >= 9:
            kind, (size,) = buf[:1], struct.unpack("<Q", buf[1:9])
            if len(buf) < 9 + size:
                break
            yield kind, buf[9:9 + size]
            buf = buf[9 + size:]


def run_answer(answer_path, cases, protect, timeout, within=None, lock=None):
    """Fork, run the answer on the cases in the child; return per-case results and flags.
    `lock`: keyword arguments of the child's lock-down (seal, secret, forget)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child is measured through its messages
        os.close(read_fd)
        try:
            _run_child(answer_path, cases, protect, write_fd, within, lock)
        finally:
            os._exit(0)
    os.close(write_fd)
    results, flags, mutated = [None] * len(cases), [], set()
    load_error = None
    n = 0
    deadline = time.monotonic() + timeout
    for kind, payload in _read_messages(read_fd, deadline):
        if kind == b"R" and n < len(cases):
            with np.load(io.BytesIO(payload), allow_pickle=False) as z:
                results[n] = {k.replace("|", "/"): np.array(z[k], dtype=np.float64) for k in z.files}
            n += 1
        elif kind == b"E":
            info = json.loads(payload)
            if info["case"] < 0:
                load_error = info["error"]
                break
            if n < len(cases):
                results[n] = (info["error"] if "error" in info else
                              ("returned", info["returned"]))
                n += 1
        elif kind == b"M":
            mutated.add(int(payload))
        elif kind == b"T":
            flags.append("reference-called: " + payload.decode())
        elif kind == b"X":
            flags.append(f"timeout: no answer within {timeout:g} s (an infinite loop?)")
            os.kill(pid, signal.SIGKILL)
            break
    os.close(read_fd)
    _, status = os.waitpid(pid, 0)
    if n < len(cases) and load_error is None and not any(f.startswith("timeout") for f in flags):
        code = os.waitstatus_to_exitcode(status)
        flags.append(f"exited: the process ended (exit code {code}) before all cases were answered; "
                     "do not call exit() or os._exit() in your answer")
    for i in mutated:
        if isinstance(results[i], dict):
            results[i] = ("mutated", results[i])
    return results, flags, load_error
