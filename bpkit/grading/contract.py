"""The contract between the answer key and the student part: the released-data format.

The only things that cross from the answer key (the instructor's package, on the instructor's machine) to a
student are the files ``bpkit/grading/released/aNN.json.gz`` that ``bpkit release`` writes. Each
holds one ``ReleasedAssignment``:

* ``format``: this module's ``FORMAT`` (a reader refuses any other version, with the fix);
* ``fingerprint``: a hash of the key's source that the release was made from (the instructor's
  tools compare it with the key they have, so a release older than the key is noticed);
* ``exercises``: one record per exercise — its visible cases' inputs, the reference's outputs on
  them, each catalogued variant's outputs with its name and hint (a hint names the mistake and
  where the lecture teaches the idea; never an expression), the automatic mutants' outputs with
  their descriptions, the probes, and whether the reference changes its inputs. Data, no code.

Arrays are stored as base64 of their little-endian bytes with dtype and shape; an output of a
variant or mutant stores only the entries where it differs from the reference's output, in
float32 when the exercise's tolerance is 1e-7 or looser (``encode_flat``). The JSON
is gzip-compressed with a fixed timestamp, so the same data give the same bytes.

Values computed by the key are compared across machines with a tolerance that fits float
rounding (``same_data``), never bit for bit: a release made on one CPU holds on every other.

``GradedExercise`` is the reading interface the judge grades against; ``ReleasedExercise``
(here) and the key's ``ExerciseSpec`` both implement it.
"""
from __future__ import annotations

import base64
import functools
import gzip
import importlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol

import numpy as np

FOLDER = Path(__file__).with_name("released")
FORMAT = 2
SUFFIX = ".json.gz"
# two stored values of the key are the same release if they agree this closely (float rounding
# of another CPU's BLAS or vector kernels; training loops amplify it to ~1e-6 relative)
RELEASE_RTOL, RELEASE_ATOL = 1e-5, 1e-9


class ReleaseError(Exception):
    """The released data are missing, unreadable or of another format; the message says why."""


@dataclass(frozen=True)
class Variant:
    """A catalogued misconception: its name, a hint that names the mistake (never the formula),
    and, on the key side only, the wrong implementation (``fn``)."""
    name: str
    fn: Callable | Any | None
    hint: str


class GradedExercise(Protocol):
    """What the judge reads of an exercise, from the key or from released data."""
    name: str
    what: str
    rtol: float
    atol: float
    timeout: float
    protect: list
    value: bool
    choices: tuple | None
    score: Callable | None
    within: Callable | None
    outputs: tuple | None    # names of the returned tuple's outputs, where the exercise has them

    def scorer(self, hidden: bool) -> Callable | None: ...
    def cases(self, hidden: bool, rng) -> list[dict] | None: ...
    def expected(self, i: int, case: dict) -> dict | None: ...
    def variant_outputs(self, i: int, case: dict) -> Iterator[tuple[Variant, dict | None]]: ...
    def mutant_outputs(self, i: int, case: dict) -> Iterator[tuple[str, dict]]: ...
    def mutates(self, i: int, case: dict) -> bool: ...
    def probes(self, i: int, case: dict) -> list[tuple[str, dict, dict]]: ...
    def probe_variant_outputs(self, i: int, j: int, probe: dict) -> list[tuple[Variant, dict | None]]: ...


# ----------------------------------------------------------------------------- plain-data codec
def encode(value):
    """Case inputs/outputs -> JSON-able data (arrays, numbers, strings, lists, tuples, dicts,
    numpy ufuncs and Generators, student-part objects with to_data()). Anything else is refused:
    a visible case must be plain data."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise TypeError(f"arrays of dtype {value.dtype} are not released data")
        little = value.astype(value.dtype.newbyteorder("<"), copy=False)  # 0-d stays 0-d
        return {"__ndarray__": base64.b64encode(little.tobytes(order="C")).decode("ascii"),
                "dtype": little.dtype.str, "shape": list(value.shape)}
    if isinstance(value, np.generic):
        return encode(value.item())
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError(f"dict keys must be strings, got {list(value)!r}")
        return {"__dict__": {k: encode(v) for k, v in value.items()}}
    if isinstance(value, np.ufunc):
        return {"__ufunc__": value.__name__}
    if isinstance(value, np.random.Generator):
        return {"__generator__": type(value.bit_generator).__name__,
                "state": encode(value.bit_generator.state)}
    cls = type(value)
    if hasattr(value, "to_data") and cls.__module__.startswith("bpkit."):
        return {"__object__": f"{cls.__module__}:{cls.__qualname__}", "data": encode(value.to_data())}
    raise TypeError(f"a visible case must be plain data (arrays, numbers, strings, lists, dicts, "
                    f"numpy Generators, or an object of the student part with to_data()/from_data());"
                    f" got {cls.__name__}")


def decode(data):
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if "__ndarray__" in data:
        raw = base64.b64decode(data["__ndarray__"])
        return np.frombuffer(raw, dtype=np.dtype(data["dtype"])).reshape(data["shape"]).copy()
    if "__tuple__" in data:
        return tuple(decode(v) for v in data["__tuple__"])
    if "__dict__" in data:
        return {k: decode(v) for k, v in data["__dict__"].items()}
    if "__ufunc__" in data:
        return getattr(np, data["__ufunc__"])
    if "__generator__" in data:
        bit = getattr(np.random, data["__generator__"])()
        bit.state = decode(data["state"])
        return np.random.Generator(bit)
    if "__object__" in data:
        mod, _, qual = data["__object__"].partition(":")
        return getattr(importlib.import_module(mod), qual).from_data(decode(data["data"]))
    raise ReleaseError(f"unknown encoded value {sorted(data)}")


# float32 keeps a value within 6e-8 of itself: enough to recognise a wrong answer at a relative
# tolerance of 1e-7 or looser, in half the bytes (finite values well inside float32's range only)
COMPACT_RTOL = 1e-7


def encode_flat(flat: dict | None, base: dict | None = None, compact: bool = False):
    """A flattened output ({"out/0": float64 array}) as data; with `base`, only the entries
    whose array differs from base's (a variant's output stored against the reference's);
    `compact`: in float32 where that loses nothing a comparison at COMPACT_RTOL could see."""
    if flat is None:
        return None
    keep = {k: v for k, v in flat.items()
            if base is None or k not in base or v.shape != base[k].shape
            or not np.array_equal(v, base[k], equal_nan=True)}

    def stored(v):
        v = np.asarray(v, np.float64)
        if compact and np.all(np.isfinite(v)) and np.all(np.abs(v) < 1e30):
            return v.astype(np.float32)
        return v
    return {"keys": list(flat), "arrays": {k: encode(stored(v)) for k, v in keep.items()}}


def decode_flat(data, base: dict | None = None) -> dict | None:
    if data is None:
        return None
    arrays = data["arrays"]
    return {k: decode(arrays[k]).astype(np.float64) if k in arrays else base[k] for k in data["keys"]}


# ----------------------------------------------------------------------------- the file
@dataclass
class ReleasedAssignment:
    """One released file: the format version, the key's fingerprint, the exercises' records."""
    prefix: str
    fingerprint: str
    exercises: list[dict] = field(default_factory=list)
    format: int = FORMAT

    def to_bytes(self) -> bytes:
        text = json.dumps({"format": self.format, "prefix": self.prefix,
                           "fingerprint": self.fingerprint, "exercises": self.exercises},
                          sort_keys=True, separators=(",", ":"), allow_nan=True)
        return gzip.compress(text.encode(), compresslevel=9, mtime=0)

    @classmethod
    def from_bytes(cls, raw: bytes, where: str = "released data") -> "ReleasedAssignment":
        try:
            data = json.loads(gzip.decompress(raw))
        except (OSError, ValueError, EOFError) as err:
            raise ReleaseError(f"{where}: not readable released data ({err}); the instructor "
                               "re-runs `bpkit release`") from None
        if data.get("format") != FORMAT:
            raise ReleaseError(f"{where}: released-data format {data.get('format')}, this bpkit "
                               f"reads format {FORMAT}; install the bpkit that came with the course")
        return cls(prefix=data["prefix"], fingerprint=data["fingerprint"],
                   exercises=data["exercises"], format=data["format"])


def path_of(prefix: str, folder: Path = FOLDER) -> Path:
    return Path(folder) / f"a{prefix}{SUFFIX}"


def read(prefix: str, folder: Path = FOLDER) -> ReleasedAssignment | None:
    """The released file of assignment `prefix`, or None if there is none."""
    path = path_of(prefix, folder)
    if not path.exists():
        return None
    return ReleasedAssignment.from_bytes(path.read_bytes(), where=str(path))


@functools.lru_cache(maxsize=None)
def load(prefix: str, folder: Path = FOLDER) -> dict[str, "ReleasedExercise"]:
    """The released exercises of assignment `prefix`, parsed once per process (a judge that
    grades several answers of one assignment reads the file once)."""
    found = read(prefix, folder)
    return {} if found is None else {r["name"]: ReleasedExercise(r) for r in found.exercises}


def same_data(a, b) -> bool:
    """Two decoded-or-encoded released values equal up to float rounding (another CPU)."""
    if isinstance(a, dict) and "__ndarray__" in a and isinstance(b, dict) and "__ndarray__" in b:
        return a["dtype"] == b["dtype"] and a["shape"] == b["shape"] and \
            _close(decode(a).astype(np.float64), decode(b).astype(np.float64))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_data(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_data(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, (int, float)):
        return _close(np.float64(a), np.float64(b))
    return a == b


def _close(a, b) -> bool:
    if np.shape(a) != np.shape(b):
        return False
    return bool(np.all(np.isfinite(a) == np.isfinite(b))) and bool(
        np.allclose(a, b, rtol=RELEASE_RTOL, atol=RELEASE_ATOL, equal_nan=True))


# ----------------------------------------------------------------------------- the student's view
class ReleasedExercise:
    """An exercise as the student part knows it: visible cases and stored outputs, no code."""

    within = None
    reference = None

    def __init__(self, record: dict):
        self.name = record["name"]
        self.what = record["what"]
        self.rtol, self.atol = record["rtol"], record["atol"]
        self.timeout = record["timeout"]
        self.protect = record["protect"]
        self.has_hidden = record["hidden"]
        self.value = record.get("value", False)
        self.choices = record.get("choices")
        self.outputs = tuple(record["outputs"]) if record.get("outputs") else None
        self._record = record
        self.score = None
        if record["score"]:
            mod, _, qual = record["score"].partition(":")
            self.score = getattr(importlib.import_module(mod), qual)

    def scorer(self, hidden: bool):
        return self.score

    def cases(self, hidden: bool, rng):
        """The visible cases; hidden ones are drawn only where the key is (None: not here)."""
        return None if hidden else [decode(c) for c in self._record["cases"]]

    def expected(self, i, case):
        return decode_flat(self._record["expected"][i])

    def mutates(self, i, case) -> bool:
        flags = self._record.get("mutates", [])
        return i >= len(flags) or bool(flags[i])

    def probes(self, i, case):
        probes = self._record.get("probes", [])
        if i >= len(probes):
            return []
        return [(p["kind"], decode(p["case"]), decode_flat(p["expected"])) for p in probes[i]]

    def probe_variant_outputs(self, i, j, probe):
        """The catalogued variants' outputs on probe `j` of visible case `i`, where the release
        stored them (the structural probes of assignment 10); [] elsewhere."""
        probes = self._record.get("probes", [])
        if i >= len(probes) or j >= len(probes[i]) or "variants" not in probes[i][j]:
            return []
        base = decode_flat(probes[i][j]["expected"])
        return [(Variant(v["name"], None, v["hint"]), decode_flat(out, base))
                for v, out in zip(self._record["variants"], probes[i][j]["variants"])]

    def mutant_outputs(self, i, case):
        base = self.expected(i, case)
        for m in self._record.get("mutants", []):
            if m["outputs"][i] is not None:
                yield m["what"], decode_flat(m["outputs"][i], base)

    def variant_outputs(self, i, case):
        base = self.expected(i, case)
        for v in self._record["variants"]:
            yield Variant(v["name"], None, v["hint"]), decode_flat(v["outputs"][i], base)
