"""Hints carry no formula (issue 25): what a student is shown about a mistake is words.

A catalogued variant's name and hint, and an automatic mutant's description, reach the student
(the released data in ``bpkit/grading/released/``, and the check's feedback). They say what the
mistake is and where the lecture teaches the idea ("lecture 06, section 3: the three paths into
x̂"), never an expression or code a student could paste into the answer.

The rule, applied by ``expressions(text)`` (which returns the offending fragments):

Allowed
  * words, numbers (``0.1``, ``1e-7``, ``10⁻¹²``, ``½``), lecture and equation references
    ("lecture 05, section 3", "eq. (23)");
  * ONE symbol at a time, decorated as the lecture writes it: ``σ′(z)``, ``δ^[L]``, ``W^[l+1]``,
    ``a^[l−1]`` (arithmetic inside a layer index ``^[…]`` or a subscript ``_{…}`` is part of the
    symbol's name), ``Wᵀ``, ``x̂``, ``w*``, ``λ_max``, ``m₁``, ``∇C``, a function applied to one symbol
    (``softmax(z^[L])``), and a Leibniz derivative ``∂C/∂W`` (it names one quantity);
  * shapes and axis numbers in words or tuples: "shape (n, 1)", "over axis 0";
  * a single identifier in backticks (an argument's name: ```patience```);
  * word hyphens ("look-ahead", "one-sided").

Forbidden (each is an expression, or code)
  * relations: ``=`` (and ``==``, ``+=``), ``≠ < > ≤ ≥ ≈ →``;
  * operators: ``+ − * · × ÷ ∘ / ** ^ √ Σ ∏ |…| ‖…‖ ⌊…⌋`` outside a layer index or subscript —
    one exception: the batch mean's factor ``1/B`` (or ``1/N``) is one named symbol, as the course
    names it ("δ^[L] is per example, no 1/B"; "the 1/B of the batch mean"), while ``1/u``,
    ``1/(1 − p)``, ``1/B²`` are expressions; an ASCII ``-`` counts as minus unless a word of
    two letters or more follows it ("one-sided", "σ′-style", "n_l-vector"; not "a-y", "n-1");
  * powers: superscript digits and letters (``x²``, ``eᶻ``, ``10⁻¹²`` only as a number) — the
    transpose ``ᵀ`` and the prime ``′`` are decorations, not powers;
  * two symbols side by side (a product by juxtaposition: ``η ∇C``, ``γ x̂``, ``δ aᵀ``) and a
    coefficient glued to a symbol (``2h``);
  * code: ``np.``, a dotted name (``rng.permutation``, ``x.__rsub__``), a dunder, a slice
    ``[i:j]``, a keyword argument (``axis=0`` — caught as ``=``), a backticked expression.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from bpkit.grading import contract
from bpkit_instructor import spec

PREFIXES = sorted(p.stem[1:] for p in (Path(spec.__file__).parent / "exercises").glob("a[0-9][0-9].py"))

GREEK = "α-ωΑ-Ωϵϑϕ"
# the parts of a symbol's NAME that may hold arithmetic: a layer index ^[l−1], a subscript _{l−1}
INDEX = re.compile(r"\^\[[^\]\s]*\]|_\{[^}\s]*\}")
# numbers: 1e-7, 2.5e−3, 10⁻¹², 10^6 (a count) — replaced by a plain "0"
NUMBER = re.compile(r"\b\d+(?:\.\d+)?[eE][-−+]?\d+\b|\b10[⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+|\b10\^\d+\b")
LEIBNIZ = re.compile(rf"∂[\w{GREEK}̂̃′]+(?:\^\[[^\]]*\])?(?:_\w+)?/∂[\w{GREEK}̂̃′]+(?:\^\[[^\]]*\])?(?:_\w+)?")
RELATIONS = re.compile(r"[=≠<>≤≥≈→⇒↦]")
OPERATORS = re.compile(r"[+−*·×÷∘/√Σ∏|‖⌊⌋⌈⌉^]")
SUPERSCRIPT = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺ⁿⁱᵃᵇᶜᵈᵉᶠᵍʰʲᵏˡᵐᵒᵖʳˢᵗᵘᵛʷˣʸᶻ]")
CODE = re.compile(r"\bnp\.|\b(?!e\.g|i\.e)[A-Za-z_]\w*\.[A-Za-z_]\w*|__\w+__|\[[^\]]*:[^\]]*\]")
BACKTICKED = re.compile(r"`([^`]*)`")
HYPHEN = re.compile(r"-")
BATCH_FACTOR = re.compile(r"(?<![\w)])1/[BN]\b(?![\w(^²])")   # the batch mean's factor, one symbol
STARRED = re.compile(r"(?<=[\w′])\*(?=[\s),.;:]|$)")   # w*, t*: a decorated symbol (the optimum)
WORD_HYPHEN = re.compile(r"(?<=\S)-(?=[A-Za-z]{2})")
COEFFICIENT = re.compile(rf"\b\d+(?:\.\d+)?[A-Za-z{GREEK}](?<!\d(?:st|nd|rd|th))\b")
ORDINAL = re.compile(r"^\d+(st|nd|rd|th|D)$")
MATH_TOKEN = re.compile(rf"[{GREEK}∇∂̂̃′ᵀ^_]|^[b-zB-HJ-Z]$")


def _strip(text: str) -> str:
    """The text with the allowed symbol names reduced to a placeholder letter-free token."""
    text = NUMBER.sub("0", text)
    text = BATCH_FACTOR.sub("0", text)
    text = STARRED.sub("", text)
    text = LEIBNIZ.sub("∂", text)
    text = INDEX.sub("", text)
    return text


def expressions(text: str) -> list[str]:
    """The fragments of `text` that are an expression or code (the module docstring's rule)."""
    found = []
    for code in BACKTICKED.findall(text):
        if not re.fullmatch(r"[A-Za-z_]\w*", code):
            found.append(f"`{code}`")
    text = BACKTICKED.sub("x", text)
    found += CODE.findall(text)
    plain = _strip(text)
    for pattern in (RELATIONS, OPERATORS, SUPERSCRIPT):
        found += [plain[max(0, m.start() - 12):m.end() + 12] for m in pattern.finditer(plain)]
    for m in HYPHEN.finditer(plain):
        if not WORD_HYPHEN.match(plain, m.start()):
            found.append(plain[max(0, m.start() - 12):m.end() + 12])
    for word in plain.split():
        core = word.strip(".,;:!?()[]'\"")
        if COEFFICIENT.fullmatch(core) and not ORDINAL.match(core):
            found.append(core)
    tokens = plain.split()
    for left, right in zip(tokens, tokens[1:]):
        if left[-1:] in ",;:.!?" or right[:1] in "(":
            continue
        l, r = left.strip("()[]'\""), right.strip(",;:.!?()[]'\"")
        if MATH_TOKEN.search(l) and MATH_TOKEN.search(r) and l and r:
            found.append(f"{left} {right}")
    return found


# ----------------------------------------------------------------------------- what students see
def _key_texts():
    for prefix in PREFIXES:
        for name, ex in sorted(spec.key_module(prefix).items()):
            for v in ex.variants:
                yield prefix, f"{name} variant name", v.name
                yield prefix, f"{name} hint of {v.name!r}", v.hint


def _released_texts():
    for path in sorted(contract.FOLDER.glob("a*" + contract.SUFFIX)):
        released = contract.ReleasedAssignment.from_bytes(path.read_bytes(), where=str(path))
        for ex in released.exercises:
            for v in ex.get("variants", []):
                yield path.name, f"{ex['name']} variant name", v["name"]
                yield path.name, f"{ex['name']} hint of {v['name']!r}", v["hint"]
            for m in ex.get("mutants", []):
                yield path.name, f"{ex['name']} mutant", m["what"]


def _report(offences):
    return "\n".join(f"{where}: {what}\n    {text!r}\n    -> {found}" for where, what, text, found in offences)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_key_hints_and_variant_names_carry_no_expression(prefix):
    offences = [(p, what, text, found) for p, what, text in _key_texts() if p == prefix
                for found in [expressions(text)] if found]
    assert not offences, f"{len(offences)} hint(s)/name(s) hold an expression:\n" + _report(offences)


def test_released_hints_names_and_mutant_descriptions_carry_no_expression():
    offences = [(p, what, text, found) for p, what, text in _released_texts()
                for found in [expressions(text)] if found]
    assert not offences, f"{len(offences)} released text(s) hold an expression:\n" + _report(offences)


# ----------------------------------------------------------------------------- the rule itself
@pytest.mark.parametrize("text", [
    "δ^[L] = σ′(z^[L]) ∘ (a^[L] − y)", "x² is x·x, not 2x.", "multiply by 1/(1 − p)",
    "statistics over axis=0", "use np.std", "rng.permutation", "wait > patience",
    "divide by √variance", "(1 − σ)", "x * y", "a**2", "a*b", "t*x", "slice perm[i:i + B]", "returns η ∇C",
    "γ x̂", "α eᶻ", "a - y", "n-1 rows", "`wait >= patience`", "x.__rsub__(2.0)",
    "the penalty ‖W‖", "1/u", "1/B²", "the edge m₁ → m₂", "divided by h instead of 2h", "Σ over columns",
    "σ′-style factor s(1 − s)", "the factor 1/(1 − p)", "drop^⌊e / every⌋",
])
def test_the_rule_flags_expressions_and_code(text):
    assert expressions(text), text


@pytest.mark.parametrize("text", [
    "missing σ′(z) in δ^[L] (eq. 22)", "W instead of Wᵀ", "the error goes back through W^[l+1]",
    "the activation a^[l−1] of the layer below (Applied Mathematics lecture 5, eq. (25))",
    "the 1/B of the batch mean is applied twice", "∂C/∂W has the shape of W, (n_l, n_{l−1})",
    "the look-ahead point; a one-sided difference; a σ′-style factor", "a threshold of 1e-7, a step of 10⁻¹²",
    "the ½ of the penalty is missing", "stop after `patience` bad epochs", "over axis 0",
    "lecture 06, section 3: the three paths into x̂", "λ_max, the largest eigenvalue",
    "restore the copy kept at t*.", "the 2nd layer",
    "e.g. a kink, i.e. a corner", "softmax(z^[L]) is a probability vector",
])
def test_the_rule_allows_words_and_single_symbols(text):
    assert expressions(text) == [], expressions(text)
