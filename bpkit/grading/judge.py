"""The judge: grade one answer where the student's code cannot reach the comparison.

Run as ``python -I -m bpkit.grading.judge EXERCISE ANSWER.pkl [--hidden]``; prints one JSON verdict.

* The process starts fresh (``-I``: no current directory on sys.path, no PYTHON* variables), so
  the student's monkeypatches of numpy, numpy.testing, bpkit or sys.modules are not here.
* Cases are drawn here: visible ones from the registry, hidden ones from ``os.urandom``.
* The answer is unpickled and called only in a forked child, after the child has dropped the
  references, planted tripwires on the protected bpkit functions and installed an audit hook that
  refuses to read bpkit's source, rebuild its code, walk frames or start processes. The child
  sends back plain float64 arrays (``np.load(..., allow_pickle=False)``), nothing else.
* The parent (this process) computes the reference *after* the child is gone, compares, and
  diagnoses: named misconceptions from the catalogue, shape and transpose hints.
* A child that loops is killed after the exercise's timeout; one that exits is reported.
"""
from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import select
import signal
import struct
import sys
import time
import types
import zipfile  # noqa: F401 - np.savez needs it; imported before the lock-down

import numpy as np

from bpkit.grading import compare, diagnose, registry

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
    import importlib
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
    __import__("bpkit.grading.judge", fromlist=["_tripped"])._tripped()


def _lock_down(protect, fd):
    """Tripwires and an audit hook; from here on the process is the student's."""
    global _TRIP_FD
    _TRIP_FD = fd
    import bpkit
    bpkit_dir = os.path.dirname(os.path.abspath(bpkit.__file__))

    for mod, attr, obj in _protected_functions(protect):
        setattr(mod, attr, _tripwire)
        # aliases taken before grading trip too: plant the tripwire in the code itself
        targets = vars(obj).values() if isinstance(obj, type) else [obj]
        for fn in targets:
            code = getattr(fn, "__code__", None)
            if code is not None and not code.co_freevars:
                fn.__code__ = _tripwire.__code__
    # the registry and its reference functions leave this process
    registry._EXERCISES.clear()
    secret = _secret_paths()
    for name in [n for n in sys.modules if n == "bpkit_instructor" or n.startswith("bpkit_instructor.")]:
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


def _secret_paths():
    """The instructor's files: the key, the nbgrader source and state, other students' work."""
    try:
        from bpkit.course import paths  # the instructor's side; a student's bpkit has no course
        root = str(paths.course_root())
    except ImportError:
        root = os.getcwd()
    found = [os.path.join(root, d) for d in ("solutions", "submitted", "autograded", "feedback",
                                             "reports", "source", "release", ".git",
                                             "bpkit_instructor", "gradebook.db")]
    spec = sys.modules.get("bpkit_instructor")
    if spec is not None and getattr(spec, "__file__", None):
        found.append(os.path.dirname(os.path.abspath(spec.__file__)))
    return tuple(found)


def _inside(path, prefixes):
    return any(path == p or path.startswith(p + os.sep) for p in prefixes)


def _run_child(answer_path, cases, protect, fd, within=None):
    """In the forked child: load the answer, call it on every case, send float64 arrays back."""
    try:
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (_MEMORY_LIMIT, _MEMORY_LIMIT))
    except (ImportError, ValueError, OSError):
        pass
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    import cloudpickle
    import numpy.lib.format  # noqa: F401 - everything the child needs is imported before lock-down
    with open(answer_path, "rb") as f:
        blob = f.read()
    _lock_down(protect, fd)
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


def run_answer(answer_path, cases, protect, timeout, within=None):
    """Fork, run the answer on the cases in the child; return per-case results and flags."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child is measured through its messages
        os.close(read_fd)
        try:
            _run_child(answer_path, cases, protect, write_fd, within)
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


def judge(name, answer_path, hidden=False, seed=None):
    """Grade the pickled answer at `answer_path` against exercise `name`; return a verdict dict."""
    start = time.perf_counter()
    ex = registry.get(name)
    entropy = seed if seed is not None else int.from_bytes(os.urandom(16), "little")
    cases = ex.cases(hidden, np.random.default_rng(entropy))
    if cases is None:  # no key here (a student's machine, a sandboxed grading kernel)
        return _finish({"exercise": name, "hidden": True, "deferred": True, "passed": True,
                        "n_cases": 0, "n_passed": 0, "misconception": None, "hint": None,
                        "flags": [], "message": "answer recorded: the hidden cases are judged "
                        "when your instructor grades (the answer key is not on this machine)."},
                       start)
    protect = list(ex.protect)
    digest = _digest(cases)
    results, flags, load_error = run_answer(answer_path, cases, protect, ex.timeout,
                                            getattr(ex, "within", None))
    verdict = {"exercise": name, "hidden": hidden, "n_cases": len(cases), "n_passed": 0,
               "passed": False, "misconception": None, "hint": None, "flags": flags,
               "message": "", "case_digest": digest}
    kind = "hidden" if hidden else "visible"
    if any(f.startswith("reference-called") for f in flags):
        verdict["message"] = ("your answer calls bpkit's own implementation of this function; "
                              "write it yourself from the equations.")
        return _finish(verdict, start)
    if load_error is not None:
        verdict["message"] = f"could not load your answer: {load_error}"
        return _finish(verdict, start)
    first_failure, failed = None, []
    for i, (case, got) in enumerate(zip(cases, results)):
        ok, msg, variant = _grade_case(ex, i, case, got, hidden,
                                       form_only=getattr(ex, "value", False) and not hidden)
        if ok:
            verdict["n_passed"] += 1
        else:
            failed.append(i)
            if first_failure is None:
                first_failure = (i, case, msg, variant)
    if first_failure is None and cases:
        verdict["passed"] = not flags
        verdict["message"] = f"verified {ex.what or name}: {len(cases)} {kind} case(s) passed."
        if flags:
            verdict["message"] = "; ".join(flags)
        return _finish(verdict, start)
    if not cases:
        verdict["message"] = "no cases to check"
        return _finish(verdict, start)
    i, case, msg, variant = first_failure
    if variant is not None and len(failed) > 1 and not variant.name.startswith("looks like: "):
        variant = _consistent_variant(ex, cases, results, failed, variant)
    if variant is None and isinstance(results[i], dict) and not flags:
        msg += _probe(ex, i, case, answer_path)
    lines = [f"{name}: {kind} case {i + 1} of {len(cases)} failed "
             f"({verdict['n_passed']} passed).",
             f"  inputs: {diagnose.describe_inputs(case, hidden)}" if isinstance(case, dict) and case else "",
             f"  {msg}"]
    if variant is not None and variant.name.startswith("looks like: "):
        verdict["misconception"], verdict["hint"] = variant.name, variant.hint
        lines.append(f"  It behaves exactly as if {variant.hint}.")
    elif variant is not None:
        verdict["misconception"], verdict["hint"] = variant.name, variant.hint
        lines.append(f"  This looks like a known mistake — {variant.name}: {variant.hint}")
    lines.extend(f"  note: {f}" for f in flags)
    verdict["message"] = "\n".join(line for line in lines if line)
    return _finish(verdict, start)


def _grade_case(ex, i, case, got, hidden, form_only=False):
    """(ok, message, matching variant or None) for case `i`."""
    if got is None:
        return False, "no answer (the process was stopped)", None
    if isinstance(got, str):
        return False, f"your function raised {got}", None
    if isinstance(got, tuple) and got[0] == "mutated":
        if not ex.mutates(i, case):
            return False, ("your function changed its inputs: it must leave its arguments as they "
                           "were and return new values (copy before you modify)"), None
        got = got[1]
    if isinstance(got, tuple):
        return False, (f"your function returned {got[1]}, not numbers: return arrays (or numbers) "
                       "as the contract says"), None
    if form_only:
        return _check_form(ex, i, case, got)
    rtol, atol = compare.tolerance(case, ex.rtol, ex.atol)
    if ex.score is not None:
        ok, msg = ex.score(copy.deepcopy(case), compare.unflatten(got))
        if ok:
            return True, "", None
        if hidden:  # a scorer speaks of the case's sizes: none of a hidden case's numbers
            msg = diagnose.scrub_numbers(msg)
    else:
        expected = ex.expected(i, case)
        if compare.same(got, expected, rtol, atol):
            return True, "", None
        msg = diagnose.explain(got, expected, case, rtol, atol, hidden)
    for v, wrong in ex.variant_outputs(i, case):
        if wrong is not None and compare.same(got, wrong, rtol, atol):
            return False, msg, v
    for what, wrong in ex.mutant_outputs(i, case):  # nobody listed it: a one-change mutant?
        if compare.same(got, wrong, rtol, atol):
            return False, msg, registry.Variant(f"looks like: {what}", None, what)
    return False, msg, None


def _consistent_variant(ex, cases, results, failed, first):
    """The catalogued variant that reproduces the answer on EVERY failing case (two variants
    can coincide on one case); the first case's match if none does."""
    names = None
    for j in failed:
        got = results[j][1] if isinstance(results[j], tuple) and results[j][0] == "mutated" \
            else results[j]
        if not isinstance(got, dict):
            return first
        rtol, atol = compare.tolerance(cases[j], ex.rtol, ex.atol)
        hits = {v.name for v, wrong in ex.variant_outputs(j, cases[j])
                if wrong is not None and compare.same(got, wrong, rtol, atol)}
        names = hits if names is None else names & hits
        if not names:
            return first
    if first.name in names:
        return first
    return next(v for v, _ in ex.variant_outputs(failed[0], cases[failed[0]]) if v.name in names)


def _probe(ex, i, case, answer_path) -> str:
    """Run the answer on designed variations of the failing case; the property that breaks it."""
    probes = ex.probes(i, case)
    if not probes:
        return ""
    got, flags, load_error = run_answer(answer_path, [p for _, p, _ in probes], ex.protect,
                                        ex.timeout, getattr(ex, "within", None))
    if flags or load_error:
        return ""
    rtol, atol = compare.tolerance(case, ex.rtol, ex.atol)
    found = diagnose.probe_verdict([(k, g, e) for (k, _, e), g in zip(probes, got)], rtol, atol)
    return f"\n  Probing: your answer is {found}." if found else ""


def _check_form(ex, i, case, got):
    """A value answer's visible check: its form only, never its value nor the expected one."""
    expected = ex.expected(i, case)  # for a value exercise, the released data keep shapes only
    if set(got) != set(expected) or any(got[k].shape != expected[k].shape for k in expected):
        return False, (f"give {len(expected)} value(s) shaped {', '.join(_shapes(expected))}; "
                       f"got {len(got)} shaped {', '.join(_shapes(got))}."), None
    if not all(np.all(np.isfinite(g)) for g in got.values()):
        return False, "your answer contains NaN or inf.", None
    if ex.choices is not None and not all(np.isin(g, list(ex.choices)).all() for g in got.values()):
        return False, f"each answer must be one of the choices {list(ex.choices)}.", None
    return True, "", None


def _shapes(flat):
    return [str(v.shape) for v in flat.values()]


def _digest(cases) -> str:
    """A fingerprint of the inputs (so tests can see hidden cases change from run to run)."""
    import hashlib
    h = hashlib.sha256()
    for case in cases:
        for k in sorted(case):
            v = case[k]
            h.update(k.encode())
            h.update(np.asarray(v).tobytes() if isinstance(v, (np.ndarray, float, int)) else repr(v).encode())
    return h.hexdigest()[:16]


def _finish(verdict, start):
    verdict["seconds"] = round(time.perf_counter() - start, 4)
    return verdict


def judge_all_cases(name, answer_path):
    """Visible cases, then (if they pass) fresh hidden ones: the instructor's re-judge."""
    verdict = judge(name, answer_path, hidden=False)
    return judge(name, answer_path, hidden=True) if verdict["passed"] else verdict


def main(argv=None):
    import argparse
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("pairs", nargs="+", metavar="EXERCISE ANSWER",
                   help="one or more exercise names, each followed by its pickled answer")
    p.add_argument("--hidden", action="store_true", help="hidden cases only")
    p.add_argument("--all-cases", action="store_true", help="visible, then hidden cases")
    args = p.parse_args(argv)
    if len(args.pairs) % 2:
        p.error("give EXERCISE ANSWER pairs")
    for name, path in zip(args.pairs[::2], args.pairs[1::2]):  # one JSON line per pair
        try:
            verdict = (judge_all_cases(name, path) if args.all_cases
                       else judge(name, path, hidden=args.hidden))
        except KeyError as err:
            verdict = {"exercise": name, "passed": False, "flags": ["unknown-exercise"],
                       "message": str(err), "n_cases": 0, "n_passed": 0}
        sys.stdout.write(json.dumps(verdict) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    # run as the importable module, so that planted tripwires find this module by name
    from bpkit.grading.judge import main as _main
    _main()
