"""Instructor commands: ``python -m bpkit.course.cli COMMAND`` (or ``bpkit COMMAND``).

  release       regenerate exercises/ from solutions/ (nbgrader generate_assignment --force)
  simulate      write a synthetic class into submitted/
  autograde     grade every submission of an assignment (N workers, resumable)
  feedback      write leak-free feedback into feedback/
  export        write grades.csv from the gradebook (nbgrader export)
  report        write reports/ASSIGNMENT.html (score histograms, misconceptions, flags, timings)
  grade-demo    all of the above for a synthetic class, then print the class table
  publish       release an assignment to the students through nbgrader's exchange (hub)
  collect       collect the newest submission of each student from the exchange
  return        write leak-free feedback and release it to the students
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from bpkit.course import batch, feedback, paths, release, report, simulate


def export(root=None, to="grades.csv") -> str:
    root = paths.course_root(root)
    proc = subprocess.run(paths.nbgrader_cmd("export", f"--to={to}", "--log-level=WARN"), cwd=root,
                          env=paths.nbgrader_env(), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"nbgrader export failed:\n{proc.stderr[-2000:]}")
    return str(root / to)


def class_table(results_by_assignment: dict, roster=None) -> str:
    """Markdown table: student, score per assignment, misconceptions detected, flags."""
    assignments = sorted(results_by_assignment)
    students = sorted({r["student"] for rs in results_by_assignment.values() for r in rs})
    index = {(r["assignment"], r["student"]): r for rs in results_by_assignment.values() for r in rs}
    head = ["student", *assignments, "misconceptions detected", "flags"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for s in students:
        row, misc, flags = [s], [], []
        for a in assignments:
            r = index.get((a, s))
            if r is None:
                row.append("—")
                continue
            row.append("error" if r["error"] else f"{r['score']:g}/{r['max_score']:g}")
            misc += r["misconceptions"]
            flags += [f"{a[:2]}: {f}" for f in r["flags"]]
        row += ["; ".join(misc) or "—", "; ".join(f[:80] for f in flags) or "—"]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def grade_demo(n_students=30, seed=0, workers=None, assignments=None, root=None) -> str:
    root = paths.course_root(root)
    assignments = assignments or paths.assignments(root)
    workers = workers or (os.cpu_count() or 1) + 1
    t0 = time.perf_counter()
    print(f"release: {len(release.generate(root, assignments))} assignments")
    roster = simulate.simulate(n_students, seed, root, assignments)
    print(f"simulate: {n_students} students × {len(assignments)} assignments "
          f"({len(roster)} submissions)")
    results = {}
    for a in assignments:
        results[a] = batch.grade_all(a, root, workers=workers, resume=False)
        feedback.generate(a, root)
        print(f"report: {report.write_report(a, root)}")
    csv = export(root)
    table = class_table(results)
    print(table)
    print(f"\ngrades: {csv}\nfeedback: {root / 'feedback'}\n"
          f"total {time.perf_counter() - t0:.0f} s with {workers} worker(s)")
    return table


def main(argv=None):
    p = argparse.ArgumentParser(prog="bpkit", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("release")
    r.add_argument("assignments", nargs="*")
    s = sub.add_parser("simulate")
    s.add_argument("--students", type=int, default=30)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("assignments", nargs="*")
    g = sub.add_parser("autograde")
    g.add_argument("assignment")
    # kernels wait on I/O part of the time: one worker more than cores keeps the cores busy
    g.add_argument("--workers", type=int, default=(os.cpu_count() or 1) + 1)
    g.add_argument("--timeout", type=float, default=60)
    g.add_argument("--no-resume", action="store_true")
    g.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="grade on a Dask cluster (e.g. tcp://10.0.0.5:8786) instead of local processes")
    f = sub.add_parser("feedback")
    f.add_argument("assignment")
    e = sub.add_parser("export")
    e.add_argument("--to", default="grades.csv")
    rp = sub.add_parser("report")
    rp.add_argument("assignment")
    rp.add_argument("--out", default=None)
    pb = sub.add_parser("publish", help="release ASSIGNMENT to the exchange (students fetch it)")
    pb.add_argument("assignment")
    pb.add_argument("--due", default=None, help='due date, e.g. "2026-12-01 17:00:00 UTC"')
    cl = sub.add_parser("collect", help="collect ASSIGNMENT's newest submissions")
    cl.add_argument("assignment")
    rt = sub.add_parser("return", help="write and release ASSIGNMENT's feedback")
    rt.add_argument("assignment")
    d = sub.add_parser("grade-demo")
    d.add_argument("--students", type=int, default=30)
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--workers", type=int, default=None)
    d.add_argument("assignments", nargs="*")
    args = p.parse_args(argv)
    if args.cmd == "release":
        for nb in release.generate(assignments=args.assignments or None):
            print(nb)
        from bpkit.grading import released  # the visible cases' data, for students' check()
        for a in args.assignments or paths.assignments():
            print(released.write(a.split("-", 1)[0]))
    elif args.cmd == "simulate":
        roster = simulate.simulate(args.students, args.seed, assignments=args.assignments or None)
        for row in roster:
            print(f"{row['student']}\t{row['assignment']}\t{row['note']}")
    elif args.cmd == "autograde":
        executor, client = None, None
        if args.scheduler:
            from distributed import Client  # the `cluster` extra
            client = Client(args.scheduler)
            executor = client.get_executor()
        try:
            results = batch.grade_all(args.assignment, workers=args.workers, executor=executor,
                                      timeout=args.timeout, resume=not args.no_resume)
        finally:
            if client is not None:
                client.close()
        print(class_table({args.assignment: results}))
    elif args.cmd == "feedback":
        feedback.generate(args.assignment)
    elif args.cmd == "export":
        print(export(to=args.to))
    elif args.cmd == "report":
        print(report.write_report(args.assignment, out=args.out))
    elif args.cmd in ("publish", "collect", "return"):
        from bpkit.course import exchange
        try:
            if args.cmd == "publish":
                print(f"published: {exchange.publish(args.assignment, due=args.due)}")
            elif args.cmd == "collect":
                print(exchange.describe_collect(args.assignment, exchange.collect(args.assignment)))
            else:
                done = exchange.return_feedback(args.assignment)
                print(f"feedback returned to {len(done)} student(s): {', '.join(done)}")
        except exchange.ExchangeError as err:
            print(f"bpkit {args.cmd}: {err}", file=sys.stderr)
            return 2
    elif args.cmd == "grade-demo":
        grade_demo(args.students, args.seed, args.workers, args.assignments or None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
