"""The ``check("NN.name", function)`` calls of a test cell: the one pattern that finds them."""
from __future__ import annotations

import re

# check("03.delta_L", delta_L) / check('03.delta_L', delta_L, hidden=True)
CHECK_CALL = re.compile(r"""\bcheck\(\s*["']([^"']+)["']""")
CHECK_WITH_FN = re.compile(r"""\bcheck\(\s*["']([^"']+)["']\s*,\s*([A-Za-z_][A-Za-z0-9_]*)""")


def names(source: str) -> list[str]:
    """The exercise names checked in `source`, first occurrence first, each once."""
    return list(dict.fromkeys(CHECK_CALL.findall(source)))


def with_functions(source: str) -> list[tuple[str, str]]:
    """(exercise name, name of the function passed to check()) for each call in `source`."""
    return CHECK_WITH_FN.findall(source)


def line_of(source: str, name: str) -> int:
    """1-based line of the first check() of `name` in `source` (1 if not found)."""
    for i, line in enumerate(source.splitlines(), 1):
        if name in CHECK_CALL.findall(line):
            return i
    return 1
