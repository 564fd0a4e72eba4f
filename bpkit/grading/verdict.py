"""A verdict: what the judge says of one answer, one shape everywhere (checker, re-judge,
grades, report)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields


@dataclass
class Verdict:
    exercise: str
    passed: bool = False
    hidden: bool = False
    n_cases: int = 0
    n_passed: int = 0
    misconception: str | None = None
    hint: str | None = None
    flags: list[str] = field(default_factory=list)
    message: str = ""
    case_digest: str = ""
    deferred: bool = False   # hidden cases not judged here (no key): the instructor's re-judge does
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Verdict":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    @classmethod
    def failed(cls, exercise: str, flag: str, message: str) -> "Verdict":
        """A verdict for an answer that could not be judged at all."""
        return cls(exercise=exercise, flags=[flag], message=message)
