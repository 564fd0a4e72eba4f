"""The answer key's typed spec of an exercise, and the key's registry.

An exercise "NN.name" is declared once, in ``bpkit_instructor/exercises/aNN.py``, as an
``ExerciseSpec``: the reference, the fixed visible cases, a generator of random hidden cases
(drawn at grading time from the operating system's entropy, never from a seed shipped with the
release), a dtype-aware tolerance and a catalogue of named wrong variants with hints. It
implements ``bpkit.grading.contract.GradedExercise``, the same reading interface as the student
side's ``ReleasedExercise``, so one judge grades both.
"""
from __future__ import annotations

import copy
import importlib
import pkgutil
import sys
from dataclasses import dataclass, field
from typing import Callable

from bpkit.grading import compare, diagnose
from bpkit.grading.contract import Variant
from bpkit_instructor import mutants

_EXERCISES: dict[str, "ExerciseSpec"] = {}


@dataclass
class ExerciseSpec:
    """One graded exercise as the key knows it (see the module docstring)."""
    name: str
    reference: Callable | None
    visible: list = field(default_factory=list)
    hidden: Callable | None = None
    n_hidden: int = 5
    variants: list = field(default_factory=list)
    protect: list = field(default_factory=list)
    rtol: float = 1e-7
    atol: float = 1e-10
    score: Callable | None = None
    # hidden_score(case, output) -> (ok, message): grades hidden cases where the student part's
    # scorer must not (e.g. the capstone's held-out set, drawn with a salt only the key holds)
    hidden_score: Callable | None = None
    what: str = ""
    timeout: float = 10.0
    # value=True: the answer is a value (a multiple-choice number, a numeric result), not a
    # function. Its visible case checks only the form (shape, finite, one of `choices`), so
    # Validate never reveals the answer; the hidden case grades it. Variants may be plain values.
    value: bool = False
    choices: tuple | None = None
    # within(answer, case) -> a context manager the answer is called in, in the judge's child
    # (the key's code, so for hidden cases only): e.g. 09.grad_check extends the student's own
    # network_forward to a layer no backward pass of theirs knows.
    within: Callable | None = None
    # the names of the returned tuple's outputs, as the notebook's docstring calls them (e.g.
    # ("dx", "dgamma")): feedback says "output 2 (dgamma)"; released with the data
    outputs: tuple | None = None

    def scorer(self, hidden: bool) -> Callable | None:
        """The scorer of visible or hidden cases (None: compare with the reference)."""
        return self.hidden_score if hidden and self.hidden_score is not None else self.score

    def cases(self, hidden: bool, rng):
        """Visible cases, or freshly drawn hidden ones."""
        if not hidden:
            return [dict(c) for c in self.visible]
        if self.hidden is None:
            return []
        return [self.hidden(rng) for _ in range(self.n_hidden)]

    def expected(self, i, case):
        """The reference's flattened output on case `i` (None for scored exercises)."""
        if self.reference is None:
            return None
        return compare.flatten(self.reference(**copy.deepcopy(case)))

    def variant_outputs(self, i, case):
        """(variant, its flattened output or None) for each catalogued variant."""
        for v in self.variants:
            try:
                out = v.fn(**copy.deepcopy(case)) if callable(v.fn) else v.fn  # a value variant
                yield v, compare.flatten(out)
            except Exception:  # noqa: BLE001 - a variant that cannot run on this case does not match
                yield v, None

    def mutates(self, i, case) -> bool:
        """Does the reference itself change its inputs on this case (then an answer may too)?"""
        if self.reference is None or self.value:
            return True
        work = copy.deepcopy(case)
        try:
            self.reference(**work)
        except Exception:  # noqa: BLE001
            return True
        return not compare.unchanged(case, work)

    def probes(self, i, case):
        """[(kind, probe case, the reference's flattened output)] (bpkit.grading.diagnose)."""
        if self.reference is None or self.score is not None or self.value:
            return []
        out = []
        for kind, probe in diagnose.probe_cases(case):
            try:
                out.append((kind, probe, compare.flatten(self.reference(**copy.deepcopy(probe)))))
            except Exception:  # noqa: BLE001 - a probe the reference does not take is no probe
                continue
        return out

    def probe_variant_outputs(self, i, j, probe):
        """(variant, its flattened output on probe `j` of case `i`, or None) for each catalogued
        variant: a variant matched on a case is named only if the probes do not contradict it."""
        return list(self.variant_outputs(i, probe))

    def mutant_outputs(self, i, case):
        """(description, flattened output) of each automatic mutant of the reference that
        is not clearly the reference on this case (bpkit_instructor.mutants): "clearly" is
        1e-3 of the tolerance, so another CPU's rounding cannot move a mutant in or out."""
        if self.reference is None or self.score is not None or self.value:
            return
        if "_mutants" not in self.__dict__:
            module = sys.modules.get(getattr(self.reference, "__module__", ""), None)
            self.__dict__["_mutants"] = mutants.mutants(self.reference, module) if module else []
        expected = self.expected(i, case)
        for what, fn in self.__dict__["_mutants"]:
            out = mutants.run(fn, case)
            if out is None:
                continue
            try:
                flat = compare.flatten(out)
            except Exception:  # noqa: BLE001 - not numbers: not a match for anything
                continue
            if not compare.same(flat, expected, self.rtol * 1e-3, self.atol * 1e-3):
                yield what, flat


def variant(name: str, fn: Callable, hint: str) -> Variant:
    return Variant(name, fn, hint)


def exercise(name: str, **kwargs) -> ExerciseSpec:
    """Register (or replace) an exercise; returns it."""
    ex = ExerciseSpec(name=name, **kwargs)
    if ex.reference is None and ex.score is None:
        raise ValueError(f"exercise {name!r} needs a reference or a score function")
    _EXERCISES[name] = ex
    return ex


KEY_PACKAGE = "bpkit_instructor.exercises"


def key_module(prefix: str) -> dict[str, ExerciseSpec]:
    """Import bpkit_instructor/exercises/a{prefix}.py; its exercises by name."""
    importlib.import_module(f"{KEY_PACKAGE}.a{prefix}")
    return {n: ex for n, ex in _EXERCISES.items() if n.split(".", 1)[0] == prefix}


def get(name: str) -> ExerciseSpec:
    """Exercise "NN.name" of the key (KeyError if there is none)."""
    prefix = name.split(".", 1)[0]
    if name not in _EXERCISES:
        try:
            importlib.import_module(f"{KEY_PACKAGE}.a{prefix}")
        except ModuleNotFoundError as err:
            raise KeyError(f"no exercise module for {name!r} ({err})") from None
    try:
        return _EXERCISES[name]
    except KeyError:
        raise KeyError(f"unknown exercise {name!r}") from None


def all_exercises() -> dict[str, ExerciseSpec]:
    """Import every exercise module of the key and return the registry."""
    exercises = importlib.import_module(KEY_PACKAGE)
    for mod in pkgutil.iter_modules(exercises.__path__):
        importlib.import_module(f"{KEY_PACKAGE}.{mod.name}")
    return dict(_EXERCISES)


def forget() -> None:
    """Drop every registered exercise (the judge's child does, before the answer runs)."""
    _EXERCISES.clear()
