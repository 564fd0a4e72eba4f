"""The student part of bpkit grades visible cases with no answer key: the released data.

`bpkit release` writes bpkit/grading/released/aNN.json.gz (bpkit.grading.contract: visible
inputs, the reference's outputs, every variant's and mutant's outputs, the key's fingerprint).
These tests prove the committed data are current on any CPU (compared within float rounding,
regenerated under another BLAS kernel, other numpy vector code and one thread), that they hold
no code, that the student part never imports the key, and that a student's check() (the student
judge, bpkit.grading.judge) gives the same verdicts and names the same misconceptions as the
instructor's judge, while hidden cases are deferred.
"""
import gzip
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from bpkit.grading import contract
from bpkit.grading import judge as student_judge
from bpkit.grading.checker import STUDENT_JUDGE, record, run_judge_many
from bpkit_instructor import judge, release_data, spec
from bpkit_instructor.course import paths, simulate

PREFIXES = sorted({a.split("-", 1)[0] for a in paths.assignments()} | {"00"})  # 00: tests/selftest_course.py
ROOT = paths.ROOT
# another BLAS kernel, numpy without its AVX-512 loops, one thread: a different CPU's arithmetic
OTHER_CPUS = {
    "haswell-blas": {"OPENBLAS_CORETYPE": "Haswell"},
    "no-avx512-numpy": {"NPY_DISABLE_CPU_FEATURES": "X86_V4,AVX512_ICL,AVX512_SPR"},
    "one-thread": {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"},
}


def test_released_data_match_the_key():
    assert release_data.out_of_sync(PREFIXES) == [], "run `make release` and commit bpkit/grading/released/"


@pytest.mark.parametrize("cpu", sorted(OTHER_CPUS))
def test_a_release_on_another_cpu_rewrites_nothing(cpu, tmp_path):
    """`bpkit release` with other arithmetic leaves every committed file as it is."""
    folder = tmp_path / "released"
    shutil.copytree(contract.FOLDER, folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    code = ("import sys; from bpkit_instructor import release_data\n"
            f"for p in {PREFIXES!r}: release_data.write(p, folder=sys.argv[1])")
    env = {**os.environ, **OTHER_CPUS[cpu], "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run([sys.executable, "-c", code, str(folder)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    after = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert [n for n in before if after.get(n) != before[n]] == [] and after.keys() == before.keys()


def test_released_data_are_one_versioned_format_and_hold_no_code():
    total = 0
    for prefix in PREFIXES:
        path = contract.path_of(prefix)
        raw = path.read_bytes()
        total += len(raw)
        found = contract.ReleasedAssignment.from_bytes(raw)
        assert found.format == contract.FORMAT and found.prefix == prefix
        assert found.fingerprint == release_data.fingerprint(prefix)
        text = gzip.decompress(raw).decode()
        for word in ("lambda", "def ", "import ", "__code__", "cloudpickle"):
            assert word not in text, (path.name, word)
    assert total <= 1 << 20, f"released data {total} bytes: keep the course under 1 MB"


def test_a_reader_refuses_another_format_with_the_fix(tmp_path):
    bad = contract.ReleasedAssignment(prefix="77", fingerprint="x", format=contract.FORMAT + 1)
    contract.path_of("77", tmp_path).write_bytes(bad.to_bytes())
    with pytest.raises(contract.ReleaseError, match="install the bpkit that came with the course"):
        contract.read("77", tmp_path)
    contract.path_of("77", tmp_path).write_bytes(b"not gzip")
    with pytest.raises(contract.ReleaseError, match="bpkit release"):
        contract.read("77", tmp_path)


def test_the_student_part_never_names_the_key():
    """Static: no file of bpkit/ mentions bpkit_instructor (so it imports nothing of it)."""
    hits = [str(p.relative_to(ROOT)) for p in (ROOT / "bpkit").rglob("*")
            if p.is_file() and p.suffix in (".py", ".json", ".toml", ".txt", ".md")
            and "bpkit_instructor" in p.read_text(errors="replace")]
    assert hits == []


BLOCK_KEY = r"""
import importlib, pkgutil, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "bpkit_instructor" or name.startswith("bpkit_instructor."):
            raise ImportError("the key is not here")
sys.meta_path.insert(0, Block())
import bpkit
for mod in pkgutil.walk_packages(bpkit.__path__, "bpkit."):
    if mod.name != "bpkit.grading.kernel" and not mod.name.endswith("__main__"):
        importlib.import_module(mod.name)
import numpy as np
from bpkit.grading import judge
from bpkit.grading.checker import record
ex = judge.released_exercise("01.softplus_prime")
v = judge.judge(ex, record("01.softplus_prime", lambda z: 1 / (1 + np.exp(-z))))
w = judge.judge(ex, record("01.softplus_prime", lambda z: 1 / (1 + np.exp(-z))), hidden=True)
assert v.passed and w.deferred, (v, w)
print(sorted(n for n in sys.modules if n.startswith("bpkit_instructor")))
"""


def test_the_student_part_works_with_the_key_absent(tmp_path):
    """Dynamic: every module of bpkit imports, and a check passes, with bpkit_instructor
    unimportable; no bpkit_instructor module is loaded."""
    proc = subprocess.run([sys.executable, "-c", BLOCK_KEY], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "BPKIT_ANSWERS": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]"


def _verdicts(pairs, module):
    return run_judge_many(pairs, timeout=900, module=module) if pairs else []


@pytest.mark.parametrize("prefix", PREFIXES)
def test_student_check_names_what_the_key_names(prefix, tmp_path, monkeypatch):
    """Every catalogued variant (pasted as a student would, from its source) gets the same
    verdict and the same misconception name with and without the key, on the visible cases —
    but for a variant whose outputs are too large to release (release_data.MAX_VARIANT_NUMBERS:
    a trained network), which fails without the key and is named with it."""
    exercises = spec.key_module(prefix)
    pairs, unreleased = [], set()
    for name, ex in sorted(exercises.items()):
        released = student_judge.released_exercise(name)
        for i, v in enumerate(ex.variants):
            ns = {}
            exec(compile(simulate.variant_source(name, v.name, "answer"), "<student>", "exec"), ns)
            monkeypatch.setenv("BPKIT_ANSWERS", str(tmp_path / f"{name}-{i}"))
            pairs.append((name, record(name, ns["answer"])))
            # no stored output: too large (or the variant raises on the visible cases); none at
            # all is stored for a value answer
            stored = released._record["variants"]
            if i < len(stored) and all(out is None for out in stored[i]["outputs"]):
                unreleased.add(len(pairs) - 1)
    monkeypatch.setenv("BPKIT_ANSWERS", str(tmp_path))
    key = _verdicts(pairs, judge.MODULE)
    student = _verdicts(pairs, STUDENT_JUDGE)
    compared = 0
    for n, ((name, _), k, s) in enumerate(zip(pairs, key, student)):
        # --all-cases judges visible, then hidden; the student side defers the hidden part
        if k.hidden:
            assert s.passed and s.deferred, (name, s)
            continue
        compared += 1
        assert not k.passed and not s.passed, (name, k.message, s.message)
        assert s.misconception == (None if n in unreleased else k.misconception), \
            (name, k.message, s.message)
    assert compared >= len(pairs) // 2, "most variants must be caught on the visible cases"


def test_hidden_cases_are_never_drawn_without_the_key():
    ex = student_judge.released_exercise("03.delta_L")
    assert ex.reference is None and ex.cases(True, None) is None
    with pytest.raises(KeyError, match="unknown exercise"):
        student_judge.released_exercise("03.no_such_thing")


ON_ANOTHER_CPU = r"""
import json, sys, cloudpickle
from bpkit.grading import judge
from bpkit.grading.checker import record
from bpkit_instructor import spec
failed = []
for name, ex in sorted(spec.all_exercises().items()):
    if ex.reference is None or ex.value:
        continue
    cloudpickle.register_pickle_by_value(sys.modules[ex.reference.__module__])
    v = judge.judge(judge.released_exercise(name), record(name, ex.reference))
    if not v.passed:
        failed.append((name, v.message[:400]))
print(json.dumps(failed))
"""


@pytest.mark.parametrize("cpu", sorted(OTHER_CPUS))
def test_the_key_passes_its_released_visible_cases_on_another_cpu(cpu, tmp_path):
    """A student's machine computes with other BLAS kernels and vector code than the one that
    released the course: the reference, run there and judged against the released data (the
    student judge), passes every visible case — the tolerances fit float rounding, training
    loops included."""
    env = {**os.environ, **OTHER_CPUS[cpu], "PYTHONWARNINGS": "ignore", "BPKIT_ANSWERS": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", ON_ANOTHER_CPU], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


@pytest.mark.parametrize("value", [np.float64(3.5), np.array(2.0), np.arange(6.0).reshape(2, 3).T,
                                   np.array([[1]], np.int64), np.zeros((0, 3)), np.float32([1.5, -2.0])],
                         ids=["scalar", "0-d", "transposed", "int", "empty", "float32"])
def test_the_codec_keeps_shape_dtype_and_values(value):
    value = np.asarray(value)
    back = contract.decode(contract.encode(value))
    assert back.shape == value.shape and back.dtype == value.dtype and np.array_equal(back, value)
