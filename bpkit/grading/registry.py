"""The exercise registry: what the checker knows about each graded function.

An exercise "NN.name" lives in ``bpkit_instructor/exercises/aNN.py`` and holds the reference, the
fixed visible cases, a generator of random hidden cases (drawn at grading time from the
operating system's entropy, never from a seed shipped with the release), a dtype-aware
tolerance and a catalogue of named wrong variants with hints.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable

_EXERCISES: dict[str, "Exercise"] = {}


@dataclass(frozen=True)
class Variant:
    """A catalogued misconception: a wrong implementation, its name and a plain-words hint."""
    name: str
    fn: Callable
    hint: str


@dataclass
class Exercise:
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
    what: str = ""
    timeout: float = 10.0

    def cases(self, hidden: bool, rng):
        """Visible cases, or freshly drawn hidden ones."""
        if not hidden:
            return [dict(c) for c in self.visible]
        if self.hidden is None:
            return []
        return [self.hidden(rng) for _ in range(self.n_hidden)]


def variant(name: str, fn: Callable, hint: str) -> Variant:
    return Variant(name, fn, hint)


def exercise(name: str, **kwargs) -> Exercise:
    """Register (or replace) an exercise; returns it."""
    ex = Exercise(name=name, **kwargs)
    if ex.reference is None and ex.score is None:
        raise ValueError(f"exercise {name!r} needs a reference or a score function")
    _EXERCISES[name] = ex
    return ex


def get(name: str) -> Exercise:
    """Find exercise "NN.name", importing bpkit_instructor.exercises.aNN on first use."""
    if name not in _EXERCISES:
        prefix = name.split(".", 1)[0]
        try:
            importlib.import_module(f"bpkit_instructor.exercises.a{prefix}")
        except ModuleNotFoundError as err:
            raise KeyError(f"no exercise module for {name!r} ({err})") from None
    try:
        return _EXERCISES[name]
    except KeyError:
        raise KeyError(f"unknown exercise {name!r}") from None


def all_exercises() -> dict[str, Exercise]:
    """Import every exercise module and return the registry."""
    import pkgutil
    from bpkit_instructor import exercises
    for mod in pkgutil.iter_modules(exercises.__path__):
        importlib.import_module(f"bpkit_instructor.exercises.{mod.name}")
    return dict(_EXERCISES)
