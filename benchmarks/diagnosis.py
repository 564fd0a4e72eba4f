"""How well the checker explains wrong answers nobody catalogued (issue 11, the metric).

    python -m benchmarks.diagnosis [--corpus heldout] [--only 03 04] [--no-leaks] [--verbose] [--markdown FILE]

Every answer of benchmarks/diagnosis_corpus.py is recorded with ``bpkit.grading.checker.record``
and judged by the real judge the way the instructor's re-judge does it (``run_judge_many``:
visible cases, then fresh hidden ones), one judge process per assignment. Printed:

* correct answers accepted (goal 100 %), wrong answers rejected (goal 100 %);
* wrong answers whose diagnosis — the judge's message and the misconception it names — matches
  the entry's description of the actual mistake (goal ≥ 95 %), and by which kind of diagnosis:
  the catalogue, an automatic mutant, a probe, the structure of the difference, or none;
* misleading lines (goal 0): generic lines of a message (a factor, a kink, a transpose, an
  off-by-one, ...: ``bpkit.grading.diagnose.LINE_KINDS``) that name a kind of mistake the entry
  does not make (its ``kinds``; issue 22);
* per assignment and overall, then every miss;
* a leak scan: every wrong answer judged once more on hidden cases drawn from a known seed, and
  its message searched for the hidden inputs' scalars and array entries and the reference's
  outputs on them, printed at 4 or more significant digits. The judge must show shapes and kinds only.

``--corpus heldout`` measures benchmarks/diagnosis_heldout.py instead, a corpus for assignments
01–09 written by a second author who read only the notebooks (not the catalogue, the diagnosis or
the first corpus); with ``--markdown`` it writes only the "Held-out corpus" section of the file.
"""
from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
import tempfile
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import diagnosis_corpus as corpus  # noqa: E402
from benchmarks.common import markdown_table, row  # noqa: E402
from bpkit.grading import checker, judge  # noqa: E402
from bpkit_instructor import judge as kjudge  # noqa: E402
from bpkit_instructor import spec  # noqa: E402

KEY_JUDGE = "bpkit_instructor.judge"   # the instructor's re-judge: visible, then hidden cases
CORPORA = {"main": "benchmarks.diagnosis_corpus", "heldout": "benchmarks.diagnosis_heldout"}
HELDOUT_HEADING = "## Held-out corpus"
GOALS = {"accepted": 1.0, "rejected": 1.0, "diagnosed": 0.95, "misleading": 0}


def entries(only=None, source="main"):
    """Corpus entries whose exercise exists in the key now (others are reported as dropped).
    source: a key of CORPORA (the corpus module; each has WRONG, CORRECT, FUNCTION, SETUP)."""
    module = importlib.import_module(CORPORA[source])
    known = spec.all_exercises()
    kept, dropped = [], []
    for kind, group in (("wrong", module.WRONG), ("correct", module.CORRECT)):
        for i, e in enumerate(group):
            if only and e["ex"].split(".")[0] not in only:
                continue
            item = dict(e, kind=kind, id=f"{kind}{i:03d}", corpus=module)
            (kept if e["ex"] in known and e["ex"] in module.FUNCTION else dropped).append(item)
    return kept, dropped


def define(entry):
    """Run the assignment's setup cell and the answer's cell; the graded function."""
    module = entry.get("corpus") or corpus
    ns = {"__name__": f"student_{entry['id']}"}
    exec(compile(module.SETUP[entry["ex"][:2]], "<setup cell>", "exec"), ns)
    exec(compile(entry["code"], f"<{entry['id']}>", "exec"), ns)
    return ns[entry.get("fn") or module.FUNCTION[entry["ex"]]]


def record_all(items):
    for e in items:
        e["path"] = checker.record(f"{e['ex']}.{e['id']}", define(e))


def judge_all(items, workers=2):
    """One judge process per assignment (visible, then hidden cases), two at a time."""
    by_assignment = defaultdict(list)
    for e in items:
        by_assignment[e["ex"][:2]].append(e)

    def run(group):
        verdicts = checker.run_judge_many([(e["ex"], e["path"]) for e in group], timeout=1800,
                                           module=kjudge.MODULE)
        for e, v in zip(group, verdicts):
            e["verdict"] = v
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(run, by_assignment.values()))


def how(verdict) -> str:
    """Which part of the diagnosis spoke: catalogue, mutant, probe, structure or none."""
    mis = verdict.misconception or ""
    msg = verdict.message or ""
    from bpkit.grading import diagnose
    if "Probing:" in msg and (not mis or mis in diagnose.PROBE_TITLES.values()
                              or mis.startswith("wrong local derivative")):
        return "probe"
    if mis and not mis.startswith("looks like: "):
        return "catalogue"
    if mis:
        return "mutant"
    if "Probing:" in msg:
        return "probe"
    if "nothing in the pattern of the difference points at one mistake" in msg and "right;" not in msg:
        return "none"
    return "structure"


def diagnosis_text(verdict):
    """The judge's words about the mistake: its message without the header line and the inputs
    line (which name the inputs, e.g. eta), plus the misconception's name and hint."""
    lines = [line for line in str(verdict.message or "").split("\n")
             if not re.match(r"\s*inputs: |\d\d\.\w+: (visible|hidden) case", line)]
    return "\n".join(lines + [str(getattr(verdict, k) or "") for k in ("misconception", "hint")])


def score(items):
    for e in items:
        v = e["verdict"]
        if e["kind"] == "correct":
            e["ok"] = bool(v.passed)
            continue
        e["rejected"] = not v.passed
        e["how"] = how(v) if e["rejected"] else "accepted"
        e["diagnosed"] = e["rejected"] and bool(re.search(e["mistake"], diagnosis_text(v), re.I))
        e["misleading"] = misleading(e)


def misleading(entry) -> list[str]:
    """The generic lines of an entry's message that name a kind of mistake the entry does not
    make (bpkit.grading.diagnose.LINE_KINDS against the entry's `kinds`)."""
    from bpkit.grading import diagnose
    made = set(entry.get("kinds") or ())
    out = []
    for line in str(entry["verdict"].message or "").split("\n"):
        for kinds in diagnose.line_kinds(line):
            if not kinds & made:
                out.append(f"{'/'.join(sorted(kinds))}: {line.strip()[:160]}")
    return out


# ------------------------------------------------------------------------------ leaks
def _value_strings(x):
    """How the judge could print a float: full precision and 6..4 significant digits."""
    x = float(x)
    if not np.isfinite(x) or x == round(x):
        return set()
    out = {repr(x), f"{x:.6g}", f"{x:.5g}", f"{x:.4g}", f"{x:.5f}".rstrip("0")}
    return {s for s in out if len(re.sub(r"[^0-9]", "", s).lstrip("0")) >= 4}


def _secrets(case, expected):
    found = {}
    def walk(key, v):
        if isinstance(v, dict):
            for k, vv in v.items():
                walk(f"{key}.{k}", vv)
        elif isinstance(v, (list, tuple)):
            for i, vv in enumerate(v):
                walk(f"{key}[{i}]", vv)
        elif isinstance(v, np.ndarray) and v.dtype.kind == "f":
            for x in v.ravel()[:400]:
                for s in _value_strings(x):
                    found[s] = key
        elif isinstance(v, float):
            for s in _value_strings(v):
                found[s] = key
        elif isinstance(v, (int, np.integer)) and not isinstance(v, bool) and abs(v) >= 1000:
            found[str(v)] = key
    for k, v in case.items():
        walk(k, v)
    for k, v in (expected or {}).items():
        walk("expected " + k, v)
    return found


def leak_scan(items):
    """Judge each wrong answer on hidden cases from a known seed; look for their values."""
    leaks, scanned = [], 0
    for n, e in enumerate(x for x in items if x["kind"] == "wrong"):
        seed = 1_000_003 * (n + 1)
        verdict = judge.judge(spec.get(e["ex"]), e["path"], hidden=True, seed=seed, lock=kjudge.lock())
        if verdict.passed:
            continue
        scanned += 1
        ex = spec.get(e["ex"])
        cases = ex.cases(True, np.random.default_rng(seed))
        text = verdict.message or ""
        for i, case in enumerate(cases):
            try:
                expected = ex.expected(i, case)
            except Exception:  # noqa: BLE001 - scored exercises have no reference
                expected = None
            scalars = {k: v for k, v in case.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
            hits = [f"{k} = {v}" for k, v in scalars.items() if re.search(rf"\b{re.escape(k)}\s*=\s*-?\d", text)]
            hits += [f"{s} ({where})" for s, where in _secrets(case, expected).items() if s in text]
            if hits:
                leaks.append((e, hits[:3], text))
                break
    return scanned, leaks


# ------------------------------------------------------------------------------ report
def pct(a, b):
    return f"{100 * a / b:.1f} %" if b else "—"


def table(items):
    lines, by = [], defaultdict(list)
    for e in items:
        by[e["ex"][:2]].append(e)
    head = ("| assignment | correct accepted | wrong rejected | wrong diagnosed | misleading lines "
            "| catalogue | mutant | probe | structure | none |")
    lines += [head, "|" + "---|" * 10]
    for key in sorted(by) + ["all"]:
        group = items if key == "all" else by[key]
        c = [e for e in group if e["kind"] == "correct"]
        w = [e for e in group if e["kind"] == "wrong"]
        kinds = defaultdict(int)
        for e in w:
            kinds[e["how"]] += 1
        lines.append(
            f"| {key} | {sum(e['ok'] for e in c)}/{len(c)} ({pct(sum(e['ok'] for e in c), len(c))}) "
            f"| {sum(e['rejected'] for e in w)}/{len(w)} ({pct(sum(e['rejected'] for e in w), len(w))}) "
            f"| {sum(e['diagnosed'] for e in w)}/{len(w)} ({pct(sum(e['diagnosed'] for e in w), len(w))}) "
            f"| {sum(len(e['misleading']) for e in w)} "
            + " ".join(f"| {kinds[k]}" for k in ("catalogue", "mutant", "probe", "structure", "none")) + " |")
    return "\n".join(lines)


def misses(items, verbose=False):
    out = []
    for e in items:
        if e["kind"] == "correct" and not e["ok"]:
            out.append(f"- REJECTED CORRECT {e['ex']} ({e['what']}): "
                       + (e["verdict"].message or "").replace("\n", " ⏎ ")[:400])
        elif e["kind"] == "wrong" and not e["rejected"]:
            out.append(f"- ACCEPTED WRONG {e['ex']} ({e['what']})")
        if e["kind"] == "wrong" and e.get("misleading"):
            out.append(f"- MISLEADING {e['ex']} ({e['what']}): " + " | ".join(e["misleading"]))
        if e["kind"] == "wrong" and e["rejected"] and not e["diagnosed"]:
            msg = diagnosis_text(e["verdict"]).strip().replace("\n", " ⏎ ")
            out.append(f"- NOT DIAGNOSED {e['ex']} ({e['what']}; wanted /{e['mistake']}/): "
                       + (msg if verbose else msg[:300]))
    return out


def evaluate(only=None, leaks=True, workers=2, source="main"):
    items, dropped = entries(only, source)
    with tempfile.TemporaryDirectory(prefix="bpkit-diagnosis-") as tmp:
        old = os.environ.get("BPKIT_ANSWERS")
        os.environ["BPKIT_ANSWERS"] = tmp
        try:
            record_all(items)
            judge_all(items, workers)
            score(items)
            scanned, found = leak_scan(items) if leaks else (0, [])
        finally:
            if old is None:
                os.environ.pop("BPKIT_ANSWERS", None)
            else:
                os.environ["BPKIT_ANSWERS"] = old
    return items, dropped, scanned, found


def rows(quick=False):
    """Rows for benchmarks/run.py."""
    items, dropped, scanned, found = evaluate(leaks=True)
    c = [e for e in items if e["kind"] == "correct"]
    w = [e for e in items if e["kind"] == "wrong"]
    first, last = min(e["ex"][:2] for e in items), max(e["ex"][:2] for e in items)
    what = f"diagnosis corpus ({len(w)} wrong, {len(c)} correct answers, assignments {first}–{last})"
    acc, rej, dia = (sum(e["ok"] for e in c), sum(e["rejected"] for e in w),
                     sum(e["diagnosed"] for e in w))
    lines = sum(len(e["misleading"]) for e in w)
    return [
        row(f"{what}: correct answers accepted", pct(acc, len(c)), f"{acc}/{len(c)}", "", "100 %"),
        row(f"{what}: wrong answers rejected", pct(rej, len(w)), f"{rej}/{len(w)}", "", "100 %"),
        row(f"{what}: wrong answers whose diagnosis names the actual mistake", pct(dia, len(w)),
            f"{dia}/{len(w)}", "", "≥ 95 %"),
        row("diagnosis corpus: generic lines naming a mistake the answer does not make",
            str(lines), f"{len(w)} wrong answers' messages", "", "0"),
        row("diagnosis corpus: hidden-case messages showing a hidden value",
            f"{len(found)}", f"{scanned} failing hidden verdicts scanned", "", "0"),
    ]


def figures(items, scanned, found, leaks):
    """The summary table: accepted, rejected, diagnosed, misleading lines, leaks."""
    c = [e for e in items if e["kind"] == "correct"]
    w = [e for e in items if e["kind"] == "wrong"]
    return markdown_table([
        row("correct answers accepted", pct(sum(e["ok"] for e in c), len(c)),
            f"{sum(e['ok'] for e in c)}/{len(c)}", "", "100 %"),
        row("wrong answers rejected", pct(sum(e["rejected"] for e in w), len(w)),
            f"{sum(e['rejected'] for e in w)}/{len(w)}", "", "100 %"),
        row("wrong answers diagnosed (the actual mistake named)",
            pct(sum(e["diagnosed"] for e in w), len(w)),
            f"{sum(e['diagnosed'] for e in w)}/{len(w)}", "", "≥ 95 %"),
        row("generic lines naming a mistake the answer does not make",
            str(sum(len(e["misleading"]) for e in w)), "", "", "0"),
        row("hidden-case messages showing a hidden value", str(len(found)),
            f"{scanned} scanned" if leaks else "not scanned", "", "0")])


def split_heldout(text):
    """(the page before the held-out section, the held-out section or '')."""
    at = text.find("\n" + HELDOUT_HEADING)
    return (text, "") if at < 0 else (text[:at + 1], text[at + 1:])


def heldout_section(items, scanned, found, leaks):
    """The "Held-out corpus" section of benchmarks/DIAGNOSIS.md."""
    text = [HELDOUT_HEADING, "",
            "Written by `python -m benchmarks.diagnosis --corpus heldout --markdown benchmarks/DIAGNOSIS.md` "
            "(which rewrites this section only): every answer of benchmarks/diagnosis_heldout.py, a "
            "second corpus for assignments 01–09 written by another author from the notebooks alone "
            "(the task text, the docstrings, the solution), without reading the catalogue, the "
            "diagnosis or the first corpus. Its `mistake` patterns were written before it was first "
            "judged and not tuned afterwards, so this is the figure to quote for mistakes nobody "
            "anticipated; the table above measures a corpus written by the diagnosis's own author. "
            "After the first run two entries' `kinds` were completed (the two generic lines then "
            "counted as misleading were true of those answers: layer 2's gradients right, an output "
            "close to the expected one); no entry's code or `mistake` pattern was changed.",
            "", table(items), "", figures(items, scanned, found, leaks), ""]
    listed = misses(items)
    if listed:
        text += [f"### Held-out misses ({len(listed)})", ""] + listed + [""]
    return "\n".join(text)


def write_heldout(path, items, scanned, found, leaks):
    """Replace (or add) the held-out section of the page; the rest of it is left as it is."""
    page = Path(path).read_text() if Path(path).exists() else ""
    before, _ = split_heldout(page)
    Path(path).write_text(before.rstrip("\n") + "\n\n" + heldout_section(items, scanned, found, leaks))


def write_markdown(path, items, scanned, found, leaks):
    """The printout as a page of benchmarks/ (per assignment, the figures, every miss); a
    held-out section already on the page is kept."""
    _, kept = split_heldout(Path(path).read_text()) if Path(path).exists() else ("", "")
    text = ["# The diagnosis corpus (benchmarks/diagnosis.py)", "",
            "Written by `python -m benchmarks.diagnosis --markdown benchmarks/DIAGNOSIS.md`: every "
            "answer of benchmarks/diagnosis_corpus.py judged by the instructor's re-judge (visible, "
            "then hidden cases). *Diagnosed*: the message names the entry's actual mistake (its "
            "`mistake` pattern). *Misleading lines*: generic lines (a factor, a kink, a transpose, "
            "an off-by-one, ...; `bpkit.grading.diagnose.LINE_KINDS`) that name a kind of mistake "
            "the entry does not make (its `kinds`).", "", table(items), "",
            figures(items, scanned, found, leaks), ""]
    listed = misses(items)
    if listed:
        text += [f"## Misses ({len(listed)})", ""] + listed + [""]
    if kept:
        text += [kept.rstrip("\n"), ""]
    Path(path).write_text("\n".join(text))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", choices=sorted(CORPORA), default="main",
                    help="main: benchmarks/diagnosis_corpus.py; heldout: benchmarks/diagnosis_heldout.py")
    ap.add_argument("--only", nargs="*", help="assignments, e.g. 03 04")
    ap.add_argument("--no-leaks", action="store_true", help="skip the hidden-value scan")
    ap.add_argument("--verbose", action="store_true", help="whole messages in the list of misses")
    ap.add_argument("--all", action="store_true", help="every wrong answer's diagnosis, not only the misses")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--markdown", help="also write the printout to this file (benchmarks/DIAGNOSIS.md)")
    args = ap.parse_args(argv)
    items, dropped, scanned, found = evaluate(args.only, not args.no_leaks, args.workers, args.corpus)
    if args.markdown and args.corpus == "heldout":
        write_heldout(args.markdown, items, scanned, found, not args.no_leaks)
    elif args.markdown:
        write_markdown(args.markdown, items, scanned, found, not args.no_leaks)
    print(table(items))
    c = [e for e in items if e["kind"] == "correct"]
    w = [e for e in items if e["kind"] == "wrong"]
    print()
    print(markdown_table([
        row("correct answers accepted", pct(sum(e["ok"] for e in c), len(c)), "", "", "100 %"),
        row("wrong answers rejected", pct(sum(e["rejected"] for e in w), len(w)), "", "", "100 %"),
        row("wrong answers diagnosed (the actual mistake named)",
            pct(sum(e["diagnosed"] for e in w), len(w)), "", "", "≥ 95 %"),
        row("generic lines naming a mistake the answer does not make",
            str(sum(len(e["misleading"]) for e in w)), "", "", "0"),
        row("hidden-case messages showing a hidden value", str(len(found)),
            f"{scanned} scanned" if not args.no_leaks else "not scanned", "", "0")]))
    if dropped:
        print(f"\n{len(dropped)} corpus entries skipped: their exercise is not in the key now "
              f"({', '.join(sorted({e['ex'] for e in dropped}))}).")
    listed = misses(items, args.verbose)
    if listed:
        print(f"\nMisses ({len(listed)}):")
        print("\n".join(listed))
    if args.all:
        print("\nEvery wrong answer (what it is → how it was diagnosed):")
        for e in w:
            text = diagnosis_text(e["verdict"]).strip().split("\n")
            print(f"- {e['ex']} ({e['what']}) [{e['how']}{'' if e['diagnosed'] else ', MISS'}]: "
                  + " ⏎ ".join(line.strip() for line in text[2:] if line.strip())[:400])
    for e, hits, text in found:
        print(f"\nLEAK {e['ex']} ({e['what']}): {', '.join(hits)}\n    " + text.replace("\n", "\n    "))
    return 0


if __name__ == "__main__":
    sys.exit(main())
