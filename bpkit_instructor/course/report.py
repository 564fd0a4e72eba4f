"""The class report: one self-contained HTML page per assignment, for the instructor.

    python -m bpkit_instructor.course.report ASSIGNMENT [--out FILE]      (default: reports/ASSIGNMENT.html)

It reads nbgrader's gradebook (the score of each graded cell, our re-judge's manual override
included) and the result records stored by bpkit_instructor.course.autograde (misconceptions, flags,
errors, timings), and shows: the score distribution of every graded cell, the misconceptions
found across the class ranked by frequency with their hints, the students flagged and why, and
the grading time per submission. Styles are inline and figures are inline PNG: the file can be
mailed or opened offline.
"""
from __future__ import annotations

import argparse
import base64
import html
import io
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from bpkit_instructor import spec
from bpkit_instructor.course import autograde, paths, preflight, states
from bpkit_instructor.course.errors import CourseError, known_assignment

# what each flag means, in the instructor's words (the key is the flag's first word)
REASONS = {
    "deleted-cell": "a graded test cell was deleted or its id changed; that cell scores 0",
    "judge-disagrees": "a check passed inside the notebook but failed in the isolated judge: "
                       "look for tampering (monkeypatching, rigged objects, sys.modules)",
    "timeout": "the student's function ran past the time limit (an infinite loop?)",
    "judge-timeout": "the isolated judge ran past its time limit",
    "judge-crashed": "the isolated judge crashed on this answer",
    "crashed": "the student's function crashed the judge's child process",
    "exited": "the student's function exited the process (sys.exit / os._exit)",
    "kernel-died": "the notebook's kernel died during grading (exit() or os._exit() in a cell?)",
    "corrupt-notebook": "the notebook could not be read (not valid notebook JSON)",
    "missing-notebook": "no notebook with the expected name was submitted",
    "nbgrader-error": "nbgrader could not grade this submission",
    "no-answer-recorded": "a check never ran (an error earlier in the notebook?)",
    "reference-called": "the answer called bpkit's own reference implementation",
}

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:70rem;
     color:#1d2430;line-height:1.45;padding:0 1rem}
h1{margin-bottom:.2rem} h2{border-bottom:2px solid #d8dee9;padding-bottom:.2rem;margin-top:2rem}
.sub{color:#5b6472} .cards{display:flex;flex-wrap:wrap;gap:.8rem;margin:1rem 0}
.card{background:#f4f6fa;border-radius:8px;padding:.6rem 1rem;min-width:9rem}
.card b{display:block;font-size:1.4rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.92rem}
th,td{border:1px solid #d8dee9;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#eef1f6} td.num{text-align:right;font-variant-numeric:tabular-nums}
.figs{display:flex;flex-wrap:wrap;gap:1rem} figure{margin:0}
figcaption{font-size:.85rem;color:#5b6472;text-align:center}
.flag{display:inline-block;background:#fde8e8;color:#8a1c1c;border-radius:4px;padding:0 .35rem;
      margin:.1rem .2rem .1rem 0;font-size:.85rem}
.none{color:#5b6472;font-style:italic}
"""


# ----------------------------------------------------------------------------- gathering
def flag_kind(flag: str) -> str:
    """'00.square: timeout' -> 'timeout'; 'deleted-cell: test_x' -> 'deleted-cell'."""
    head, _, tail = flag.partition(":")
    return tail.strip().split()[0] if ("." in head and tail.strip()) else head.strip()


def gather(assignment: str, root=None) -> dict:
    root = paths.course_root(root)
    results = autograde.load_results(assignment, root)
    try:
        cells = autograde.grade_cells(assignment, root)
        cells.update({gid: {"points": p, "checks": [], "manual": True}
                      for gid, p in autograde.manual_cells(assignment, root).items()})
    except CourseError:
        cells = {}
    for r in results:  # cells known only from the records (source notebook gone)
        for gid, entry in r["cells"].items():
            cells.setdefault(gid, {"points": entry["points"], "checks": []})
    found = states.assess(assignment, root)
    scores = defaultdict(dict)  # grade_id -> {student: the score that counts now}
    for r in results:
        st = found.get(r["student"])
        for gid in cells:
            scores[gid][r["student"]] = float(st.cells.get(gid, 0.0)) if st and st.counts else 0.0
    misconceptions = Counter()
    who = defaultdict(list)
    for r in results:
        for m in dict.fromkeys(r["misconceptions"]):
            misconceptions[m] += 1
            who[m].append(r["student"])
    flagged = []
    for r in results:
        reasons = list(dict.fromkeys(r["flags"]))
        if r.get("error"):  # the full error message instead of its bare name
            reasons = [r["error"]] + [f for f in reasons if f != r["error"].split(":")[0]]
        if reasons:
            flagged.append({"student": r["student"], "flags": reasons, "error": r.get("error")})
    status = {s: (st.label, st.note) for s, st in found.items()}
    return {"assignment": assignment, "root": root, "results": results, "cells": cells,
            "scores": dict(scores), "misconceptions": misconceptions.most_common(),
            "who": dict(who), "flagged": flagged, "status": status, "states": found}


def hint_for(label: str) -> str:
    """'00.delta_L: missing σ′' -> the catalogue's hint for that variant ('' if unknown)."""
    exercise, _, name = label.partition(": ")
    try:
        ex = spec.get(exercise)
    except KeyError:
        return ""
    return next((v.hint for v in ex.variants if v.name == name), "")


# ----------------------------------------------------------------------------- figures
def histogram_png(values, points: float, title: str) -> str:
    """A small histogram of cell scores as a base64 PNG data URI."""
    # matplotlib only when a figure is drawn: it costs every other command its import time
    import matplotlib
    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure  # (see above)

    fig = Figure(figsize=(3.6, 2.4), dpi=100)
    ax = fig.add_subplot()
    top = max(points, max(values, default=0.0), 1e-9)
    distinct = sorted(set(values) | {0.0, top})
    if len(distinct) <= 12:  # a bar per score that occurs (cells are usually all-or-nothing)
        counts = Counter(values)
        xs = sorted(set(distinct))
        width = 0.8 * min((b - a for a, b in zip(xs, xs[1:])), default=1.0)
        ax.bar(xs, [counts.get(x, 0) for x in xs], width=width, color="#4c72b0")
        ax.set_xticks(xs)
        ax.set_xticklabels([f"{x:g}" for x in xs])
    else:
        ax.hist(values, bins=min(10, len(distinct)), range=(0, top), color="#4c72b0")
    ax.set_xlabel(f"score (of {points:g})")
    ax.set_ylabel("students")
    ax.set_title(title, fontsize=10)
    ax.yaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


# ----------------------------------------------------------------------------- HTML
def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _table(head, rows, numeric=()) -> str:
    out = ["<table><thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr></thead><tbody>"]
    for row in rows:
        out.append("<tr>" + "".join(
            f'<td class="num">{cell}</td>' if i in numeric else f"<td>{cell}</td>"
            for i, cell in enumerate(row)) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def student_table(data: dict, totals: list) -> str:
    """Every student's total and per-question scores, with the status of the submission
    (blank, corrupt, missing notebook and flagged ones marked, never a bare 0)."""
    cells = data["cells"]
    head = ["student", "status", "total", *cells]
    rows = []
    for r, total in zip(data["results"], totals):
        status, note = data["status"].get(r["student"], ("graded", ""))
        mark = (f'<span class=flag title="{_e(note)}">{_e(status)}</span>' if status != "graded"
                else _e(status))
        st = data["states"].get(r["student"])
        per_cell = [f"{data['scores'].get(gid, {}).get(r['student'], 0.0):g} / {info['points']:g}"
                    for gid, info in cells.items()]
        top = st.max_score if st else r["max_score"]
        rows.append([_e(r["student"]), mark, f"{total:g} / {top:g}", *per_cell])
    max_score = sum(c["points"] for c in cells.values())
    return (f"<h3 id=students>Score per student (of {max_score:g})</h3>\n"
            + _table(head, rows, numeric=tuple(range(2, len(head)))))


def render(data: dict) -> str:
    a, results, cells = data["assignment"], data["results"], data["cells"]
    n = len(results)
    max_score = sum(c["points"] for c in cells.values())
    totals = [sum(data["scores"].get(gid, {}).get(r["student"], 0.0) for gid in cells)
              for r in results]
    seconds = [r.get("seconds", 0.0) for r in results]
    parts = [f"<h1>Class report — {_e(a)}</h1>",
             f'<p class="sub">{n} submission(s), generated {_e(time.strftime("%Y-%m-%d %H:%M"))} '
             f"from nbgrader's gradebook and bpkit's re-judged results.</p>",
             *([f'<p><span class=flag>{stale} stale grade(s)</span> graded from an older '
                f"release or submission: run <code>bpkit autograde {_e(a)}</code> and write "
                "this report again.</p>"] if (stale := sum(
                    st == "error (stale)" for st, _ in data["status"].values())) else []),
             '<div class="cards">'
             f"<div class=card>submissions<b>{n}</b></div>"
             f"<div class=card>median score<b>{statistics.median(totals) if totals else 0:g} / "
             f"{max_score:g}</b></div>"
             f"<div class=card>flagged<b>{len(data['flagged'])}</b></div>"
             f"<div class=card>misconceptions seen<b>{sum(c for _, c in data['misconceptions'])}</b></div>"
             f"<div class=card>median grading time<b>{statistics.median(seconds) if seconds else 0:.1f} s</b></div>"
             "</div>"]

    parts.append("<h2 id=scores>Score distribution per question</h2>")
    figs = ['<div class="figs">']
    if totals:
        figs.append(f'<figure><img alt="histogram of total scores" src="'
                    f'{histogram_png(totals, max_score, "total score")}"><figcaption>total '
                    f"(mean {statistics.fmean(totals):.2f})</figcaption></figure>")
    for gid, info in cells.items():
        values = list(data["scores"].get(gid, {}).values())
        if not values:
            continue
        full = sum(v >= info["points"] for v in values)
        figs.append(f'<figure><img alt="histogram of {_e(gid)}" src="'
                    f'{histogram_png(values, info["points"], gid)}"><figcaption>{_e(gid)}: '
                    f"{full}/{len(values)} full marks</figcaption></figure>")
    figs.append("</div>")
    parts.append("\n".join(figs))
    parts.append(student_table(data, totals))

    parts.append("<h2 id=misconceptions>Misconceptions, most frequent first</h2>")
    if data["misconceptions"]:
        rows = [[f"{rank}", _e(label), f"{count}", _e(hint_for(label)) or '<span class=none>—</span>',
                 _e(", ".join(data["who"][label]))]
                for rank, (label, count) in enumerate(data["misconceptions"], 1)]
        parts.append(_table(["#", "misconception", "students", "hint", "who"], rows, numeric=(0, 2)))
    else:
        parts.append("<p class=none>No catalogued misconception was detected.</p>")

    parts.append("<h2 id=flagged>Flagged students</h2>")
    if data["flagged"]:
        rows = []
        for f in data["flagged"]:
            kinds = list(dict.fromkeys(flag_kind(x) for x in f["flags"]))
            rows.append([_e(f["student"]),
                         "".join(f"<span class=flag>{_e(x)}</span>" for x in f["flags"]),
                         "<br>".join(_e(REASONS.get(k, k)) for k in kinds)])
        parts.append(_table(["student", "flags", "reason"], rows))
    else:
        parts.append("<p class=none>No student was flagged.</p>")

    parts.append("<h2 id=timing>Grading time per submission</h2>")
    if seconds:
        parts.append(f"<p>median {statistics.median(seconds):.2f} s, max {max(seconds):.2f} s, "
                     f"total {sum(seconds):.1f} s of worker time for {n} submission(s) "
                     "(nbgrader run + isolated re-judge).</p>")
    rows = [[_e(r["student"]), f"{r.get('seconds', 0.0):.2f}",
             "error" if r.get("error") else f"{tot:g} / {r['max_score']:g}"]
            for r, tot in sorted(zip(results, totals), key=lambda p: -p[0].get("seconds", 0.0))]
    parts.append(_table(["student", "seconds", "score"], rows, numeric=(1,)))
    body = "\n".join(parts)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>bpkit class report — {_e(a)}</title><style>{CSS}</style></head>"
            f"<body>\n{body}\n</body></html>\n")


def write_report(assignment: str, root=None, out=None) -> Path:
    """Write the class report for `assignment`; returns its path (default reports/<a>.html)."""
    root = paths.course_root(root)
    known_assignment(assignment, root)
    preflight.load_key(assignment)  # the hints come from the key: a broken key is one line
    data = gather(assignment, root)
    if not data["results"]:
        raise CourseError(f"no graded submission of {assignment} yet: run "
                          f"`bpkit autograde {assignment}` first")
    out = Path(out) if out is not None else root / "reports" / f"{assignment}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(data), encoding="utf-8")
    return out


def main_report(argv=None) -> int:
    p = argparse.ArgumentParser(prog="bpkit report", description=__doc__.splitlines()[0])
    p.add_argument("assignment")
    p.add_argument("--out", default=None, help="output file (default reports/ASSIGNMENT.html)")
    args = p.parse_args(argv)
    try:
        print(write_report(args.assignment, out=args.out))
    except CourseError as err:
        print(f"bpkit report: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main_report())
