"""The judge: grade one answer by comparing, in a process the student's code never ran in.

Run as ``python -I -m bpkit.grading.judge EXERCISE ANSWER.pkl [--hidden]``: one JSON verdict a
line. This is the student part's judge: it grades the visible cases against the released data
(``bpkit.grading.contract``); hidden cases are deferred to the instructor's re-judge, which runs
the same ``judge()`` on the key's exercises (the instructor's judge module).

* The process starts fresh (``-I``: no current directory on sys.path, no PYTHON* variables), so
  the student's monkeypatches of numpy, numpy.testing, bpkit or sys.modules are not here.
* The answer runs only in a forked, locked-down child (``bpkit.grading.runner``) that sends back
  plain float64 arrays. This process computes nothing of the student's: it compares after the
  child is gone, names catalogued variants and automatic mutants, and probes (``diagnose``).
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import sys
import time
from typing import Callable

import numpy as np

from bpkit.grading import compare, contract, diagnose
from bpkit.grading.contract import GradedExercise, Variant
from bpkit.grading.runner import run_answer
from bpkit.grading.verdict import Verdict


def released_exercise(name: str) -> GradedExercise:
    """Exercise "NN.name" from the released data (KeyError if it is not there)."""
    prefix = name.split(".", 1)[0]
    found = contract.load(prefix)
    if name not in found:
        raise KeyError(f"unknown exercise {name!r} (not in the released data "
                       f"bpkit/grading/released/a{prefix}{contract.SUFFIX})")
    return found[name]


def judge(ex: GradedExercise, answer_path, hidden=False, seed=None, lock=None) -> Verdict:
    """Grade the pickled answer at `answer_path` against exercise `ex`. `lock`: the child's
    lock-down arguments (the instructor's judge seals the key; see bpkit.grading.runner)."""
    start = time.perf_counter()
    name = ex.name
    entropy = seed if seed is not None else int.from_bytes(os.urandom(16), "little")
    cases = ex.cases(hidden, np.random.default_rng(entropy))
    if cases is None:  # no key here (a student's machine, a sandboxed grading kernel)
        return _finish(Verdict(exercise=name, hidden=True, deferred=True, passed=True,
                               message="answer recorded: the hidden cases are judged when your "
                               "instructor grades (the answer key is not on this machine)."), start)
    protect = list(ex.protect)
    digest = _digest(cases)
    results, flags, load_error = run_answer(answer_path, cases, protect, ex.timeout, ex.within, lock)
    verdict = Verdict(exercise=name, hidden=hidden, n_cases=len(cases), flags=flags,
                      case_digest=digest)
    kind = "hidden" if hidden else "visible"
    if any(f.startswith("reference-called") for f in flags):
        verdict.message = ("your answer calls bpkit's own implementation of this function; "
                              "write it yourself from the equations.")
        return _finish(verdict, start)
    if load_error is not None:
        verdict.message = f"could not load your answer: {load_error}"
        return _finish(verdict, start)
    first_failure, failed = None, []
    for i, (case, got) in enumerate(zip(cases, results)):
        ok, msg, variant = _grade_case(ex, i, case, got, hidden,
                                       form_only=ex.value and not hidden)
        if ok:
            verdict.n_passed += 1
        else:
            failed.append(i)
            if first_failure is None:
                first_failure = (i, case, msg, variant)
    if first_failure is None and cases:
        verdict.passed = not flags
        verdict.message = f"verified {ex.what or name}: {len(cases)} {kind} case(s) passed."
        if flags:
            verdict.message = "; ".join(flags)
        return _finish(verdict, start)
    if not cases:
        verdict.message = "no cases to check"
        return _finish(verdict, start)
    i, case, msg, variant = first_failure
    if variant is not None and len(failed) > 1 and not variant.name.startswith("looks like: "):
        variant = _consistent_variant(ex, cases, results, failed, variant)
    finding = None
    if isinstance(results[i], dict) and not flags and (variant is None or _structural(case)):
        finding, probes, answers = _probe(ex, i, case, answer_path, lock)
        if finding:
            msg += f"\n  Probing: {finding[1]}."
            if not _structural(case):
                finding = None
            elif variant is not None and _agrees(ex, i, variant, probes, answers, case):
                finding = None      # the catalogue's name stands: the probes confirm it
            else:                   # designed probes outrank a variant matched on one case
                variant = None
    lines = [f"{name}: {kind} case {i + 1} of {len(cases)} failed "
             f"({verdict.n_passed} passed).",
             f"  inputs: {diagnose.describe_inputs(case, hidden)}" if isinstance(case, dict) and case else "",
             f"  {msg}"]
    if finding is not None:
        verdict.misconception, verdict.hint = finding
    elif variant is not None and variant.name.startswith("looks like: "):
        verdict.misconception, verdict.hint = variant.name, variant.hint
        lines.append(f"  It behaves exactly as if {variant.hint}.")
    elif variant is not None:
        verdict.misconception, verdict.hint = variant.name, variant.hint
        lines.append(f"  This looks like a known mistake — {variant.name}: {variant.hint}")
    lines.extend(f"  note: {f}" for f in flags)
    verdict.message = "\n".join(line for line in lines if line)
    return _finish(verdict, start)


def _structural(case) -> bool:
    """Cases whose probes are designed to separate mistakes a catalogued variant can only guess
    from one case (assignment 10's programs: seeding, accumulation, visit order, each op): there
    the probes' finding names the misconception (the same on the student's side, which has the
    probes as released data, and on the instructor's)."""
    return isinstance(case, dict) and "program" in case and "values" in case


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
    score = ex.scorer(hidden)
    if score is not None:
        ok, msg = score(copy.deepcopy(case), compare.unflatten(got))
        if ok:
            return True, "", None
        if hidden:  # a scorer speaks of the case's sizes: none of a hidden case's numbers
            msg = diagnose.scrub_numbers(msg)
    else:
        expected = ex.expected(i, case)
        if compare.same(got, expected, rtol, atol):
            return True, "", None
        msg = diagnose.explain(got, expected, case, rtol, atol, hidden,
                               names=getattr(ex, "outputs", None),
                               conv=diagnose.convention(ex.name, case))
    for v, wrong in ex.variant_outputs(i, case):
        if wrong is not None and compare.same(got, wrong, rtol, atol):
            return False, msg, v
    for what, wrong in ex.mutant_outputs(i, case):  # nobody listed it: a one-change mutant?
        if compare.same(got, wrong, rtol, atol):
            return False, msg, Variant(f"looks like: {what}", None, what)
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


def _probe(ex, i, case, answer_path, lock=None):
    """Run the answer on designed variations of the failing case: ((title, sentence) of the
    property that breaks it, bpkit.grading.diagnose.probe_finding, or None; the probes; the
    answer's outputs on them)."""
    probes = ex.probes(i, case)
    if not probes:
        return None, [], []
    got, flags, load_error = run_answer(answer_path, [p for _, p, _ in probes], ex.protect,
                                        ex.timeout, ex.within, lock)
    if flags or load_error:
        return None, [], []
    rtol, atol = compare.tolerance(case, ex.rtol, ex.atol)
    kinds = [l.get("kind") for l in case["layers"]] if isinstance(case.get("layers"), list) \
        and all(isinstance(l, dict) for l in case["layers"]) else None
    finding = diagnose.probe_finding([(k, g, e) for (k, _, e), g in zip(probes, got)], rtol, atol,
                                     diagnose.convention(ex.name, case), kinds,
                                     expected=None if ex.score is not None else ex.expected(i, case))
    return finding, probes, got


def _agrees(ex, i, variant, probes, answers, case) -> bool:
    """Does the catalogued variant also give the answer's output on every probe where its output
    is known (the key runs it; released data store it for the structural probes)?"""
    rtol, atol = compare.tolerance(case, ex.rtol, ex.atol)
    for j, ((_, probe, _), got) in enumerate(zip(probes, answers)):
        outs = [out for v, out in ex.probe_variant_outputs(i, j, probe) if v.name == variant.name]
        if not outs or outs[0] is None:
            continue
        if not isinstance(got, dict) or not compare.same(got, outs[0], rtol, atol):
            return False
    return True


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
    h = hashlib.sha256()
    for case in cases:
        for k in sorted(case):
            v = case[k]
            h.update(k.encode())
            h.update(np.asarray(v).tobytes() if isinstance(v, (np.ndarray, float, int)) else repr(v).encode())
    return h.hexdigest()[:16]


def _finish(verdict: Verdict, start) -> Verdict:
    verdict.seconds = round(time.perf_counter() - start, 4)
    return verdict


def judge_all_cases(ex: GradedExercise, answer_path, lock=None) -> Verdict:
    """Visible cases, then (if they pass) fresh hidden ones: the instructor's re-judge."""
    verdict = judge(ex, answer_path, hidden=False, lock=lock)
    return judge(ex, answer_path, hidden=True, lock=lock) if verdict.passed else verdict


def _verdicts(pairs, resolve, lock, hidden=False, all_cases=False):
    """One Verdict for each (exercise name, answer path)."""
    for name, path in pairs:
        try:
            ex = resolve(name)
            yield (judge_all_cases(ex, path, lock) if all_cases
                   else judge(ex, path, hidden=hidden, lock=lock))
        except KeyError as err:
            yield Verdict.failed(name, "unknown-exercise", str(err).strip("'\""))
        except contract.ReleaseError as err:
            yield Verdict.failed(name, "no-released-data", str(err))


def _write(verdict: Verdict):
    sys.stdout.write(json.dumps(verdict.to_dict()) + "\n")
    sys.stdout.flush()


def serve(resolve, lock):
    """A judge kept warm (``--serve``): each line read is a JSON request {"pairs": [[name, path],
    ...], "hidden": bool, "all_cases": bool}, answered by one verdict line per pair. The key's
    modules, the released data and the mutants are loaded once; every answer still runs in its
    own forked child, and nothing of the student's ever runs in this process. Ends with stdin."""
    for line in sys.stdin:
        try:
            request = json.loads(line)
            pairs = [(str(n), str(p)) for n, p in request["pairs"]]
        except (ValueError, KeyError, TypeError):
            continue  # not a request: nothing to answer
        for verdict in _verdicts(pairs, resolve, lock, bool(request.get("hidden")),
                                 bool(request.get("all_cases"))):
            _write(verdict)


def main(argv=None, resolve: Callable[[str], GradedExercise] = released_exercise, lock=None):
    """One JSON verdict a line for each EXERCISE ANSWER pair; `resolve` finds an exercise by
    name (the released data here; the key, in the instructor's judge)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("pairs", nargs="*", metavar="EXERCISE ANSWER",
                   help="one or more exercise names, each followed by its pickled answer")
    p.add_argument("--hidden", action="store_true", help="hidden cases only")
    p.add_argument("--all-cases", action="store_true", help="visible, then hidden cases")
    p.add_argument("--serve", action="store_true",
                   help="stay up: read JSON requests on stdin, one verdict line per answer")
    args = p.parse_args(argv)
    if args.serve:
        serve(resolve, lock)
        return
    if len(args.pairs) % 2 or not args.pairs:
        p.error("give EXERCISE ANSWER pairs")
    for verdict in _verdicts(zip(args.pairs[::2], args.pairs[1::2]), resolve, lock,
                             args.hidden, args.all_cases):
        _write(verdict)


if __name__ == "__main__":
    main()
