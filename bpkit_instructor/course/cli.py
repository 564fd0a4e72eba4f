"""Instructor commands: ``python -m bpkit_instructor.course.cli COMMAND`` (or ``bpkit COMMAND``).

  release       regenerate exercises/ from solutions/ (nbgrader generate_assignment --force)
  simulate      write a synthetic class into submitted/
  autograde     grade new, changed and stale submissions (N workers; says what and why)
  hand-grade    give a manually graded answer its points (as nbgrader's formgrader does)
  feedback      write leak-free feedback into feedback/
  export        write grades.csv from the gradebook, with a state per row
  report        write reports/ASSIGNMENT.html (score histograms, misconceptions, flags, timings)
  grade-demo    all of the above for a synthetic class, then print the class table
  publish       release an assignment to the students through nbgrader's exchange (hub)
  collect       collect the newest submission of each student from the exchange
  return        write leak-free feedback and release it to the students
  bundle        write the student distribution into dist/student/ (no answer key in it)
  new-exercise  start a new assignment (or add exercises to one): key, nbgrader source, lecture
  hub           a real class on JupyterHub: roster, accounts, start/stop, sync (`bpkit hub -h`)

Every mistake is answered with one line that names the file and what to do, and exit status 2;
`--debug` (before the command) shows the traceback instead.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import time
import traceback
import warnings

from bpkit_instructor import release_data, spec
from bpkit_instructor.course import (
    batch,
    bundle,
    config,
    exchange,
    exports,
    feedback,
    handgrade,
    hub,
    paths,
    preflight,
    release,
    report,
    scaffold,
    simulate,
    states,
)
from bpkit_instructor.course.autograde import SANDBOX_ENV
from bpkit_instructor.course.errors import CourseError, known_assignment


class Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (`bpkit autograde: error: ...`), exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
        return value
    parse.__name__ = kind.__name__
    return parse


def export(root=None, to="grades.csv", assignments=None) -> str:
    """grades.csv: nbgrader's export plus a state column (bpkit_instructor.course.exports)."""
    return str(exports.export(root, to, assignments)[0])


def class_table(assignments, root=None, results_by_assignment: dict | None = None) -> str:
    """Markdown table: student, state and score per assignment, misconceptions, flags."""
    found = {a: states.assess(a, root) for a in sorted(assignments)}
    records = {(r["assignment"], r["student"]): r
               for rs in (results_by_assignment or {}).values() for r in rs}
    students = sorted({s for by in found.values() for s in by})
    head = ["student", *sorted(found), "misconceptions detected", "flags"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for s in students:
        row, misc, flags = [s], [], []
        for a, by in found.items():
            st = by.get(s)
            if st is None:
                row.append("—")
                continue
            row.append(f"{st.score:g}/{st.max_score:g} {st.label}" if st.counts else st.label)
            r = records.get((a, s)) or {}
            misc += r.get("misconceptions", [])
            flags += [f"{a[:2]}: {f}" for f in r.get("flags", [])]
        row += ["; ".join(misc) or "—", "; ".join(f[:80] for f in flags) or "—"]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def grade_demo(n_students=30, seed=0, workers=None, assignments=None, root=None) -> str:
    root = paths.course_root(root)
    assignments = assignments or config.released(root)
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
    table = class_table(assignments, root, results)
    print(table)
    print(f"\ngrades: {csv}\nfeedback: {root / 'feedback'}\n"
          f"total {time.perf_counter() - t0:.0f} s with {workers} worker(s)")
    return table


def parser() -> argparse.ArgumentParser:
    p = Parser(prog="bpkit", description=__doc__,
               formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--debug", action="store_true",
                   help="show the full traceback of an error (default: one line that says "
                        "what to do)")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=Parser)
    ids = "assignment id, a folder of solutions/ (e.g. 03-backprop)"
    r = sub.add_parser("release", help="regenerate exercises/ from solutions/",
                       description="Check the key (preflight), then build exercises/NN from "
                       "solutions/NN with nbgrader (in a temporary folder, swapped in only on "
                       "success) and write the released data of the visible cases.")
    r.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                   help=f"{ids}; default: every assignment")
    s = sub.add_parser("simulate", help="write a synthetic class into submitted/")
    s.add_argument("--students", type=_positive(int), default=30, metavar="N",
                   help="number of synthetic students (default: %(default)s)")
    s.add_argument("--seed", type=int, default=0,
                   help="random seed that picks each student's kind (default: %(default)s)")
    s.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                   help=f"{ids}; default: every assignment")
    g = sub.add_parser("autograde", help="grade the new, changed and stale submissions",
                       description="Check the key and the release (preflight), then grade "
                       "ASSIGNMENT's submissions with nbgrader and re-judge them. A stored grade "
                       "is reused only while the release and the submission it was graded from "
                       "are unchanged; the rest are regraded and the command says why. Ctrl-C "
                       "stops within seconds and keeps what was graded.")
    g.add_argument("assignment", metavar="ASSIGNMENT", help=ids)
    # kernels wait on I/O part of the time: one worker more than cores keeps the cores busy
    g.add_argument("--workers", type=_positive(int), default=(os.cpu_count() or 1) + 1,
                   metavar="N",
                   help="grading processes run at once, at least 1 (default: cores + 1 = "
                        "%(default)s)")
    g.add_argument("--timeout", type=_positive(float), default=60, metavar="SECONDS",
                   help="time one notebook cell may run before it is stopped, in seconds, more "
                        "than 0 (default: %(default)g)")
    g.add_argument("--no-resume", action="store_true",
                   help="regrade every submission (default: only those without a valid grade)")
    g.add_argument("--student", action="append", default=None, metavar="ID",
                   help="regrade only this student, whatever is stored; repeat for several "
                        "(default: every student who needs it)")
    g.add_argument("--no-sandbox", action="store_true",
                   help="run the students' kernels without the bubblewrap sandbox, with read "
                        "access to the answer key and your files (default: sandboxed; autograde "
                        "refuses, and says how to fix it, where no sandbox can be had)")
    g.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="grade on a Dask cluster (e.g. tcp://10.0.0.5:8786) instead of local "
                        "processes (default: local processes)")
    h = sub.add_parser("hand-grade", help="give a manually graded answer its points",
                       description=handgrade.__doc__.split("\n\n")[2].replace("\n", " "))
    h.add_argument("assignment", metavar="ASSIGNMENT", help=ids)
    h.add_argument("student", metavar="STUDENT", help="the student's id (a folder of submitted/)")
    h.add_argument("cell", metavar="CELL", help="grade id of the manually graded cell")
    h.add_argument("points", type=float, metavar="POINTS", help="the points it earns")
    h.add_argument("--comment", default=None,
                   help="a comment the student reads in the feedback (default: none)")
    f = sub.add_parser("feedback", help="write leak-free feedback into feedback/")
    f.add_argument("assignment", metavar="ASSIGNMENT", help=ids)
    e = sub.add_parser("export", help="write grades.csv with a state per row",
                       description="grades.csv: nbgrader's export plus `status` and `note`. "
                       "States: " + "; ".join(f"{k}: {v}" for k, v in exports.STATUSES.items()))
    e.add_argument("--to", default="grades.csv", metavar="FILE",
                   help="CSV file to write, relative to the course folder (default: %(default)s)")
    e.add_argument("--assignment", action="append", default=None, metavar="ASSIGNMENT",
                   help=f"only this {ids}; repeat for several (default: every released one)")
    rp = sub.add_parser("report", help="write the class report (HTML) of a graded assignment")
    rp.add_argument("assignment", metavar="ASSIGNMENT", help=ids)
    rp.add_argument("--out", default=None, metavar="FILE",
                    help="HTML file to write (default: reports/ASSIGNMENT.html)")
    pb = sub.add_parser("publish", help="release ASSIGNMENT to the exchange (students fetch it)")
    pb.add_argument("assignment", help=f"{ids}, listed as released in course.toml")
    pb.add_argument("--due", default=None,
                    help='due date, e.g. "2026-12-01 17:00:00 UTC" (default: course.toml\'s)')
    cl = sub.add_parser("collect", help="collect ASSIGNMENT's newest submissions")
    cl.add_argument("assignment", help=ids)
    rt = sub.add_parser("return", help="write and release ASSIGNMENT's feedback")
    rt.add_argument("assignment", help=ids)
    d = sub.add_parser("grade-demo", help="release, simulate, grade, feedback, reports, export")
    d.add_argument("--students", type=_positive(int), default=30, metavar="N",
                   help="number of synthetic students (default: %(default)s)")
    d.add_argument("--seed", type=int, default=0,
                   help="random seed of the synthetic class (default: %(default)s)")
    d.add_argument("--workers", type=_positive(int), default=None, metavar="N",
                   help="grading processes run at once (default: cores + 1)")
    d.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                   help=f"{ids}; default: every assignment released in course.toml")
    d.add_argument("--no-sandbox", action="store_true",
                   help="grade without the bubblewrap sandbox (default: sandboxed)")
    b = sub.add_parser("bundle", help="write the student distribution (lectures, the "
                       "assignments released in course.toml, a wheel of bpkit's student part) "
                       "into dist/student/")
    b.add_argument("--out", default=None, metavar="FOLDER",
                   help="where to write it (default: dist/student under the course root)")
    n = sub.add_parser("new-exercise", help="write the skeleton of a new assignment, or add "
                       "exercises to an existing one (README: Writing your own exercise)")
    n.add_argument("new_assignment", metavar="NN-topic",
                   help="the assignment's id, e.g. 12-attention (new, or existing: its key and "
                        "source notebook get the new exercises)")
    n.add_argument("names", nargs="+", metavar="NAME",
                   help="one graded function per name (the exercise NN.NAME); one or more, "
                        "no default")
    n.add_argument("--title", default=None, help="the assignment's title (default: from the id)")
    n.add_argument("--points", type=_positive(int), default=3,
                   help="points per test cell (default: %(default)s)")
    hub.add_parser(sub)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    if args.cmd == "hub":
        return hub.run(args)
    if getattr(args, "no_sandbox", False):
        os.environ[SANDBOX_ENV] = "off"
    try:
        for a in ([args.assignment] if isinstance(getattr(args, "assignment", None), str)
                  else getattr(args, "assignment", None) or []) + \
                (getattr(args, "assignments", None) or []):
            known_assignment(a)
        return _run(args)
    except batch.Interrupted as stop:
        print(f"bpkit {args.cmd}: {stop}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print(f"bpkit {args.cmd}: interrupted", file=sys.stderr)
        return 130
    except CourseError as err:
        if args.debug:
            traceback.print_exc()
        print(f"bpkit {args.cmd}: error: {err}", file=sys.stderr)
        return 2
    except exchange.ExchangeError as err:
        if args.debug:
            traceback.print_exc()
        print(f"bpkit {args.cmd}: {err}", file=sys.stderr)
        return 2
    except Exception as err:  # noqa: BLE001 - never a traceback unless asked: one line, the way on
        if args.debug:
            raise
        where = traceback.extract_tb(err.__traceback__)[-1]
        print(f"bpkit {args.cmd}: error: {type(err).__name__}: {str(err).splitlines()[0][:300] if str(err) else ''} "
              f"(in {where.filename}:{where.lineno}; run `bpkit --debug {args.cmd} ...` for the "
              "traceback)", file=sys.stderr)
        return 1


def _terminate(signum, _frame):
    """SIGTERM stops a command as Ctrl-C does (graded work kept, no worker left)."""
    raise KeyboardInterrupt


def _release(assignments) -> None:
    chosen = assignments or paths.assignments()
    for nb in release.generate(assignments=chosen, say=print):
        print(nb)
    if paths.course_root().resolve() != paths.ROOT.resolve():
        # another course folder must not rewrite the installed package's data
        print("released data not written: the course is not bpkit's own repository")
        return
    prefixes = [a.split("-", 1)[0] for a in chosen]
    if not assignments:  # everything: the keys without a notebook too (a00, the grader's own)
        prefixes += sorted({name.split(".")[0] for name in spec.all_exercises()} - set(prefixes))
    for a in prefixes:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            print(release_data.write(a))
        if caught:  # one line, not one per warning: the key's numerics are the author's news
            w = caught[0]
            print(f"note: {len(caught)} warning(s) while writing the released data of {a}, "
                  f"first: {os.path.relpath(w.filename)}:{w.lineno}: {w.category.__name__}: "
                  f"{w.message}")


def _run(args) -> int:
    if args.cmd == "release":
        _release(args.assignments)
    elif args.cmd == "simulate":
        for a in args.assignments or paths.assignments():
            if not paths.notebook("exercises", a).exists():
                raise CourseError(f"{a} is not released yet: run `bpkit release {a}` first "
                                  "(the synthetic class starts from exercises/)")
            preflight.load_key(a)  # the class is made from the key's variants: it must import
        roster = simulate.simulate(args.students, args.seed, assignments=args.assignments or None)
        for row in roster:
            print(f"{row['student']}\t{row['assignment']}\t{row['note']}")
    elif args.cmd == "autograde":
        executor, client = None, None
        if args.scheduler:
            try:
                from distributed import Client  # the optional `cluster` extra
            except ImportError:
                raise CourseError("--scheduler needs dask.distributed: "
                                  "pip install -e '.[cluster]'") from None
            client = Client(args.scheduler)
            executor = client.get_executor()
        previous = signal.signal(signal.SIGTERM, _terminate)
        try:
            results = batch.grade_all(args.assignment, workers=args.workers, executor=executor,
                                      timeout=args.timeout, resume=not args.no_resume,
                                      only=args.student, announce=print)
        finally:
            signal.signal(signal.SIGTERM, previous)
            if client is not None:
                client.close()
        print(class_table([args.assignment], None, {args.assignment: results}))
    elif args.cmd == "hand-grade":
        print(handgrade.give(args.assignment, args.student, args.cell, args.points, args.comment))
        st = states.assess(args.assignment).get(args.student)
        if st is not None:
            print(f"{args.student}: {st.score:g}/{st.max_score:g} {st.label}")
    elif args.cmd == "feedback":
        out = feedback.generate(args.assignment)
        print(f"feedback written for {len(out['written'])} student(s) in "
              f"{paths.course_root() / 'feedback'}/STUDENT/{args.assignment}/")
        if out["not_written"]:
            print(f"no feedback for {len(out['not_written'])} student(s):")
            for student, why in sorted(out["not_written"].items()):
                print(f"  {student}: {why}")
    elif args.cmd == "export":
        path, counts = exports.export(to=args.to, assignments=args.assignment)
        print(f"{path}: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    elif args.cmd == "report":
        print(report.write_report(args.assignment, out=args.out))
    elif args.cmd == "publish":
        config.require_released(args.assignment)
        due = args.due or config.load().due.get(args.assignment)
        print(f"published: {exchange.publish(args.assignment, due=due)}")
    elif args.cmd == "collect":
        print(exchange.describe_collect(args.assignment, exchange.collect(args.assignment)))
    elif args.cmd == "return":
        done = exchange.return_feedback(args.assignment)
        print(f"feedback returned to {len(done)} student(s): {', '.join(done)}")
    elif args.cmd == "grade-demo":
        grade_demo(args.students, args.seed, args.workers, args.assignments or None)
    elif args.cmd == "bundle":
        print(bundle.bundle(out=args.out))
    elif args.cmd == "new-exercise":
        for path in scaffold.new_exercise(args.new_assignment, args.names, args.title, args.points):
            print(f"wrote {path}")
        print(f"next: edit them, then `bpkit release {args.new_assignment}` and "
              f"`pytest -n 0 tests/test_course.py tests/test_registry.py tests/test_consistency.py "
              f"-k {args.new_assignment[:2]}`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
