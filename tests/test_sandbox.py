"""Grading kernels run in the sandbox: attacks on the answer key earn nothing, limits are named.

Through `bpkit autograde`'s own code (batch.grade_all: real nbgrader, then the re-judge), on the
self-test course, once in the sandbox (the default) and once with BPKIT_SANDBOX_MODE=off. The
attacks earn full marks without the sandbox — that is what makes them attacks — and nothing in
it; honest and buggy students get identical results either way.
"""
import json
import random
import socket
import sys
import threading
from pathlib import Path

import nbformat
import pytest

from bpkit_instructor.course import autograde, batch, cells, release, sandbox, simulate

sys.path.insert(0, str(Path(__file__).parent))
import selftest_course  # noqa: E402

A = selftest_course.ASSIGNMENT
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(sandbox.problem() is not None, reason=str(sandbox.problem()))]

# a solution cell for delta_L that does not derive anything: it takes the key
ATTACKS = {
    "copy-reference-source": '''
import importlib, inspect
_mod = importlib.import_module("bpkit_instructor.exercises.a00")
_ns = {}
exec(compile(inspect.getsource(_mod), "<mine>", "exec"), _ns)
delta_L = _ns["reference_delta_L"]
''',
    "read-solutions": '''
import json, os
_src = json.load(open(os.path.join("..", "..", "..", "solutions", "00-selftest", "00-selftest.ipynb")))
_cell = next(c for c in _src["cells"] if "def delta_L" in "".join(c["source"]))
exec("".join(_cell["source"]))
''',
    # the gradebook holds the release's cells, not the solutions: reading it at all is the breach
    "read-gradebook": '''
import sqlite3, os
_db = sqlite3.connect("file:" + os.path.join("..", "..", "..", "gradebook.db") + "?mode=ro", uri=True)
_n = _db.execute("select count(*) from grade").fetchone()[0]
def delta_L(z, a, y):
    return a * (1 - a) * (a - y)
''',
    "import-key-by-path": '''
import os, bpkit, numpy
_path = os.path.join(os.path.dirname(os.path.dirname(bpkit.__file__)), "bpkit_instructor", "exercises", "a00.py")
_src = open(_path).read()
np = numpy  # the key's helpers, run as this notebook's own code (no key function is called)
exec(compile(_src[_src.index("def _sig("):_src.index("def _cases(")], "<mine>", "exec"), globals())
delta_L = lambda z, a, y: _sigmoid_prime(z) * (a - y)  # noqa: F821 - defined by the exec above
''',
}
HONEST = '''
def delta_L(z, a, y):
    return a * (1 - a) * (a - y)
'''
BUGGY = '''
def delta_L(z, a, y):
    return a - y
'''
# harm to others, each followed by an honest answer: it must not matter to anyone else
HARM = {
    "write-other-student": '''
import os, glob
for _p in (glob.glob(os.path.join("..", "..", "*", "00-selftest", "*.ipynb"))
           + glob.glob(os.path.join("..", "..", "..", "submitted", "*", "00-selftest", "*.ipynb"))):
    try:
        open(_p, "a").write("tampered")
    except OSError:
        pass
''',
    "network": '''
import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=3).sendall(b"stolen")
except OSError:
    pass
''',
}
LIMITS = {
    "memory": ("import numpy as _np\n_hog = []\nwhile True:\n    _hog.append(_np.ones(1 << 27))",
               "memory-limit"),
    "output": ("for _ in range(300):\n    print('x' * 1_000_000)", "output-limit"),
    "disk": ("import os\nfor _i in range(200):\n"
             "    open(os.path.join('.bpkit-answers', f'junk{_i}'), 'wb').write(bytes(16 << 20))",
             "disk-limit"),
    "processes": ("import os, time\nfor _ in range(400):\n    if os.fork() == 0:\n"
                  "        time.sleep(20)\n        os._exit(0)", "process-limit"),
}


def _submission(root, src_delta):
    nb, _ = simulate.make_submission(A, "correct", random.Random(0), root)
    for cell in nb.cells:
        if cells.grade_id(cell) == "delta_L":
            cell.source = src_delta
    return nb


class _Listener:
    """A TCP server on 127.0.0.1 that counts connections (the network attack's target)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port, self.hits, self.stop = self.sock.getsockname()[1], 0, False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
                self.hits += 1
                conn.close()
            except OSError:
                continue


def _grade(tmp_path_factory, mode, monkeypatch_env):
    root = selftest_course.build(tmp_path_factory.mktemp(f"course-{mode}"))
    release.generate(root)
    listener = _Listener()
    students = {"honest": HONEST, "buggy": BUGGY}
    students.update({f"attack-{k}": v for k, v in ATTACKS.items()})
    # writing into others' folders would spoil the unsandboxed run's honest students: sandbox only
    students.update({f"harm-{k}": v.replace("{port}", str(listener.port)) + HONEST
                     for k, v in HARM.items() if mode == "sandbox" or k == "network"})
    if mode == "sandbox":
        students.update({f"limit-{k}": src + "\n" + HONEST for k, (src, _) in LIMITS.items()})
    for student, src in students.items():
        folder = root / "submitted" / student / A
        folder.mkdir(parents=True)
        nbformat.write(_submission(root, src), str(folder / f"{A}.ipynb"))
    before = {s: (root / "submitted" / s / A / f"{A}.ipynb").read_bytes() for s in students}
    monkeypatch_env(mode)
    results = {r["student"]: r for r in batch.grade_all(A, root, workers=2, timeout=40,
                                                        progress=False)}
    listener.stop = True
    return root, results, listener.hits, before


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    mp = pytest.MonkeyPatch()

    def set_mode(mode):
        mp.setenv(autograde.SANDBOX_ENV, "on" if mode == "sandbox" else "off")
    try:
        yield {mode: _grade(tmp_path_factory, mode, set_mode) for mode in ("sandbox", "off")}
    finally:
        mp.undo()


def _delta_points(result):
    return result["cells"]["test_delta_L"]["final"]


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_an_attack_on_the_key_earns_nothing_in_the_sandbox(graded, attack):
    student = f"attack-{attack}"
    assert _delta_points(graded["off"][1][student]) == 3, \
        f"without the sandbox the attack works (so this test can fail): {graded['off'][1][student]}"
    r = graded["sandbox"][1][student]
    assert _delta_points(r) == 0, r
    assert r["cells"]["test_square"]["final"] == 2, "the honest item keeps its points"


def test_honest_and_buggy_students_get_identical_results_with_and_without_sandbox(graded):
    for student in ("honest", "buggy"):
        a, b = graded["sandbox"][1][student], graded["off"][1][student]
        assert (a["score"], a["flags"], a["misconceptions"]) == \
               (b["score"], b["flags"], b["misconceptions"]), (a, b)
    assert graded["sandbox"][1]["honest"]["score"] == graded["sandbox"][1]["honest"]["max_score"]
    assert graded["sandbox"][1]["buggy"]["cells"]["test_delta_L"]["final"] == 0


def test_no_student_can_write_into_another_students_folder(graded):
    root, results, _, before = graded["sandbox"]
    for student, blob in before.items():
        assert (root / "submitted" / student / A / f"{A}.ipynb").read_bytes() == blob, student
    for student in before:
        nb = root / "autograded" / student / A / f"{A}.ipynb"
        if nb.exists():
            assert not nb.read_text().rstrip().endswith("tampered"), student
    assert results["harm-write-other-student"]["score"] == 5


def test_the_network_is_unreachable_from_a_grading_kernel(graded):
    assert graded["off"][2] >= 1, "without the sandbox the connection goes through"
    assert graded["sandbox"][2] == 0
    assert graded["sandbox"][1]["harm-network"]["score"] == 5


@pytest.mark.parametrize("limit", sorted(LIMITS))
def test_a_runaway_submission_gets_a_named_limit_and_the_class_is_graded(graded, limit):
    cgroup = sandbox._PidsCgroup()
    enforced = cgroup.path is not None
    cgroup.close()
    if limit == "processes" and not enforced:
        pytest.skip("no writable pids cgroup on this machine: the process limit is not enforced")
    root, results, _, _ = graded["sandbox"]
    r = results[f"limit-{limit}"]
    flag = LIMITS[limit][1]
    assert any(f.startswith(flag) for f in r["flags"]) or (r["error"] or "").startswith(flag), r
    honest = results["honest"]
    assert honest["score"] == honest["max_score"] and not honest["flags"]
    assert len(results) == len(json.loads(json.dumps(list(results))))  # everyone has a result
