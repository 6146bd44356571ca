"""The kit's command line: ``python -m autograder COMMAND``. It only parses arguments and
calls the module that does the work; a known failure prints one line and exits 2.

Student commands (``prefetch``, ``pack``) work wherever the kit is, the student bundle
included. Instructor commands need the full kit (the course repo): in a student's copy
they are not listed and say so when called."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from autograder import config

REPO_ROOT = config.KIT_ROOT
STUDENT_COMMANDS = ("prefetch", "pack")
INSTRUCTOR_COMMANDS = ("stubs", "notebooks", "student-bundle", "grade", "gradescope-bundle", "grade-batch",
                       "reference-costs", "class-report", "gradebook", "new-exercise", "nbgrader-autograde")


def regenerate(check: bool, stale, write, command: str) -> int:
    """Report (``check``) or rewrite the generated files; exit 1 when checking finds stale ones."""
    if check:
        found = stale(REPO_ROOT)
        for path in found:
            print(f"stale: {path.relative_to(REPO_ROOT)} (run `python -m autograder {command}`)")
        return 1 if found else 0
    for path in write(REPO_ROOT):
        print(f"wrote {path.relative_to(REPO_ROOT)}")
    return 0


def cmd_stubs(args: argparse.Namespace) -> int:
    from autograder import release

    return regenerate(args.check, release.stale_stubs, release.write_stubs, "stubs")


def cmd_notebooks(args: argparse.Namespace) -> int:
    from autograder import nbsource

    return regenerate(args.check, nbsource.stale_notebooks, nbsource.write_notebooks, "notebooks")


def cmd_prefetch(args: argparse.Namespace) -> int:
    from autograder import datasets

    root = datasets.prefetch(args.data_dir, args.dataset or None)
    print(f"data directory ready: {root}  (set {datasets.DATA_DIR_ENV}={root} to use it)")
    return 0


def cmd_pack(args: argparse.Namespace) -> int:
    from autograder import pack

    try:
        chosen = pack.pack(Path(args.root), Path(args.out))
    except pack.PackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    root = Path(args.root).resolve()
    for choice in chosen:
        print(f"packed {choice.path.resolve().relative_to(root)}")
        for line in ([choice.reason] if choice.reason else []) + [f"note: {n}" for n in choice.notes]:
            print(f"  {line}")
        for warning in choice.undefined:
            print(f"  warning: {warning}")
        for name in choice.unimplemented:
            print(f"  warning: `{name}` in {choice.path.name} still raises NotImplementedError (0 points)")
    print(f"wrote {args.out}: hand in this file")
    return 0


def cmd_student_bundle(args: argparse.Namespace) -> int:
    from autograder import release

    out = release.build_student_bundle(REPO_ROOT, Path(args.out))
    print(f"wrote {out}")
    return 0


def cmd_grade(args: argparse.Namespace) -> int:
    from autograder import identity
    from autograder.grade.limits import Limits
    from autograder.grade.supervisor.runner import GradeError, Options, grade_and_write

    try:
        users = identity.users_for(args.student, Path(args.submission_metadata) if args.submission_metadata else None)
    except identity.IdentityError as exc:
        print(f"warning: {exc}; grading anyway, but the results will not say who handed it in", file=sys.stderr)
        users = []
    limits = Limits(time_limit=args.time_limit, import_time_limit=args.time_limit, memory_mb=args.memory_mb,
                    data_dir=args.data_dir)
    options = Options(limits=limits, test_timeout=args.test_timeout, total_timeout=args.total_timeout,
                      training=not args.no_training, units=args.units, allow_same_user=args.allow_same_user,
                      box_memory_mb=args.box_memory_mb, users=tuple(users))
    try:
        return grade_and_write(Path(args.submission), Path(args.results), Path(args.junit) if args.junit else None,
                               options, quiet=args.quiet)
    except GradeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2


def cmd_gradescope_bundle(args: argparse.Namespace) -> int:
    from autograder import gradescope

    if args.measure_costs:
        from autograder.costs import measure_reference_costs

        print("measuring the reference's cost of each check on this machine (about a minute)...")
        measure_reference_costs()
    grade_args = f"--time-limit {args.time_limit:g} --memory-mb {args.memory_mb} --total-timeout {args.total_timeout:g}"
    out = gradescope.build_bundle(REPO_ROOT, Path(args.out), data_dir=args.data_dir, grade_args=grade_args)
    print(f"wrote {out}  (grading options: {grade_args})")
    print(gradescope.SETTINGS)
    return 0


def cmd_reference_costs(args: argparse.Namespace) -> int:
    if args.check:
        from autograder.fingerprints import stale_costs

        problems = stale_costs(REPO_ROOT)
        for problem in problems:
            print(f"stale: {problem}")
        return 1 if problems else 0
    from autograder.costs import measure_reference_costs, measured_summary

    data = measure_reference_costs(only=args.exercise)
    print(measured_summary(data, args.exercise))
    return 0


def cmd_new_exercise(args: argparse.Namespace) -> int:
    from autograder import scaffold

    for path in scaffold.new_exercise(REPO_ROOT, args.name, args.title):
        print(f"wrote {path.relative_to(REPO_ROOT)}")
    print(scaffold.next_steps(args.name))
    return 0


def cmd_grade_batch(args: argparse.Namespace) -> int:
    from autograder import batch

    if args.allow_same_user:   # each grading is a `grade` child: it reads this (config.allow_same_user)
        os.environ[config.ALLOW_SAME_USER_ENV] = "1"
    try:
        summary = batch.run_batch(Path(args.submissions), Path(args.out), workers=args.workers,
                                  scheduler=args.scheduler, force=args.force, timeout=args.timeout,
                                  only=args.only.split(",") if args.only is not None else None)
    except batch.BatchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"graded {summary.graded}, skipped {summary.skipped} (already graded), failed {summary.failed} "
          f"in {summary.seconds:.1f} s; gradebook: {summary.gradebook}")
    if summary.stopped:
        print(f"stopped by {summary.stopped}: the results written so far are kept; run the same command again "
              f"to grade the rest", file=sys.stderr)
        return 3
    return 0


def cmd_nbgrader_autograde(args: argparse.Namespace) -> int:
    from autograder import nbgrader_autograde

    try:
        summary = nbgrader_autograde.autograde_course(Path(args.course), args.assignment, only=args.student,
                                                      workers=args.workers, scheduler=args.scheduler,
                                                      force=args.force, timeout=args.timeout)
    except nbgrader_autograde.AutogradeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for student, why in sorted(summary.failed.items()):
        print(f"{student}: not scored — {why}", file=sys.stderr)
    print(f"graded {summary.graded}, skipped {summary.skipped} (unchanged), recorded in nbgrader "
          f"{len(summary.recorded)}, not scored {len(summary.failed)} in {summary.seconds:.1f} s")
    if summary.stopped:
        print(f"stopped by {summary.stopped}: nothing was recorded in nbgrader; the gradings written so far are "
              "kept: run the same command again to grade the rest and record everyone", file=sys.stderr)
        return 3
    return 1 if summary.failed else 0


def cmd_class_report(args: argparse.Namespace) -> int:
    from autograder import report

    try:
        out = Path(args.out) if args.out else report.default_out(Path(args.graded))
        if not args.out:
            print(f"no --out given: writing the report into {out}")
        files = report.make_report(Path(args.graded), out, Path(args.previous) if args.previous else None,
                                   args.assignment)
    except (report.ReportError, report.PreviousReportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {', '.join(p.name for p in files)} in {out}; open {out / 'report.html'} in a browser")
    return 0


def cmd_gradebook(args: argparse.Namespace) -> int:
    from autograder import gradebook

    request = gradebook.Request(
        graded=Path(args.graded), format=args.format, out=Path(args.out),
        roster=Path(args.roster) if args.roster else None, match=args.match, assignment=args.assignment,
        columns=args.columns, points_possible=args.points_possible, id_field=args.id_field, feedback=args.feedback,
        nbgrader_assignment=args.nbgrader_assignment)
    try:
        outcome = gradebook.make_gradebook(request)
    except gradebook.GradebookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in outcome.notes + outcome.problems:
        print(line, file=sys.stderr)
    print(f"wrote {outcome.out}: {outcome.written} student(s) graded"
          + ("" if outcome.complete else f"; {len(outcome.problems)} problem(s) listed above, not in the file"))
    return 0 if outcome.complete else 1


def build_parser(instructor: bool | None = None) -> argparse.ArgumentParser:
    """The parser: student commands always, instructor commands in the full kit only."""
    instructor = config.full_kit() if instructor is None else instructor
    description = ("The Deep Learning 3 kit: student and instructor commands." if instructor else
                   "The Deep Learning 3 kit: student commands (instructor commands need the full kit, "
                   "the course repo).")
    parser = argparse.ArgumentParser(prog="python -m autograder", description=description)
    sub = parser.add_subparsers(dest="command", required=True)
    add_student_commands(sub)
    if instructor:
        add_instructor_commands(sub)
    return parser


def add_student_commands(sub) -> None:
    from autograder.datasets import DATASET_FILES

    prefetch = sub.add_parser("prefetch", help="download every dataset into a data directory")
    prefetch.add_argument("--data-dir", default=None,
                          help="where to put them (default: $DL3_DATA_DIR, else ~/.keras/datasets)")
    prefetch.add_argument("--dataset", action="append", choices=list(DATASET_FILES),
                          help="only this dataset (repeatable)")
    prefetch.set_defaults(func=cmd_prefetch)

    pack = sub.add_parser("pack", help="zip the files you hand in (one per exercise: your module or notebook)")
    pack.add_argument("--out", default="submission.zip", help="the zip to write (default: submission.zip)")
    pack.add_argument("--root", default=".", help="the folder you unzipped the exercises into (default: .)")
    pack.set_defaults(func=cmd_pack)


def add_instructor_commands(sub) -> None:
    stubs = sub.add_parser("stubs", help="regenerate exercises/*.py from solutions/*.py")
    stubs.add_argument("--check", action="store_true", help="only report stale files (exit 1 if any)")
    stubs.set_defaults(func=cmd_stubs)

    notebooks = sub.add_parser("notebooks", help="regenerate source/dl3/*.ipynb from narrative/ and solutions/")
    notebooks.add_argument("--check", action="store_true", help="only report stale notebooks (exit 1 if any)")
    notebooks.set_defaults(func=cmd_notebooks)

    bundle = sub.add_parser("student-bundle", help="zip what students receive (stubs, visible tests, helpers)")
    bundle.add_argument("out", help="the zip file to write")
    bundle.set_defaults(func=cmd_student_bundle)

    grade = sub.add_parser("grade", help="grade a submission (directory or .zip); write Gradescope results.json")
    grade.add_argument("submission", help="the submission: a directory or a .zip (searched to any depth)")
    grade.add_argument("--results", required=True, metavar="PATH", help="where to write results.json")
    grade.add_argument("--junit", default=None, metavar="PATH", help="also write JUnit XML to PATH")
    grade.add_argument("--time-limit", type=float, default=config.TIME_LIMIT_S, metavar="S",
                       help=f"CPU seconds of the student's code per test, and for its import (default {config.TIME_LIMIT_S:g})")
    grade.add_argument("--memory-mb", type=int, default=config.MEMORY_MB, metavar="MB",
                       help=f"resident memory of the student's processes (default {config.MEMORY_MB}; a small box lowers it)")
    grade.add_argument("--units", type=int, default=None, metavar="N",
                       help="exercise modules graded at once (default: as the box's memory and CPUs allow)")
    grade.add_argument("--box-memory-mb", type=int, default=None, metavar="MB",
                       help="plan for this much memory instead of the limit the grader detects (where the "
                            "container's limit is not visible; grade-batch sets each grading's share)")
    grade.add_argument("--test-timeout", type=float, default=config.TEST_TIMEOUT_S, metavar="S",
                       help=f"the grader's own cap per test, training included (default {config.TEST_TIMEOUT_S:g})")
    grade.add_argument("--total-timeout", type=float, default=config.TOTAL_TIMEOUT_S, metavar="S",
                       help=f"cap on the whole grading run (default {config.TOTAL_TIMEOUT_S:g})")
    grade.add_argument("--data-dir", default=None, help="the offline data directory (default: $DL3_DATA_DIR)")
    grade.add_argument("--no-training", action="store_true",
                       help="skip the checks that train models (they score 0; for quick dry runs)")
    grade.add_argument("--quiet", action="store_true", help="no summary on stdout")
    who = grade.add_mutually_exclusive_group()
    who.add_argument("--student", default=None, metavar="ID",
                     help="who handed it in, recorded in the results (extra_data.dl3.users) for the gradebook")
    who.add_argument("--submission-metadata", default=None, metavar="PATH",
                     help="Gradescope's submission_metadata.json: its users (a group's too) go into the results "
                          "(run_autograder passes it)")
    grade.add_argument("--allow-same-user", action="store_true",
                       help="grade as a non-root user: student code then runs as you (weaker isolation, "
                            "recorded in the results' metadata); see docs/isolation.md")
    grade.set_defaults(func=cmd_grade)

    gs = sub.add_parser("gradescope-bundle", help="zip the Gradescope autograder (kit, hidden tests, data)")
    gs.add_argument("out", help="the zip file to write")
    gs.add_argument("--data-dir", default=None, help="where the data comes from (default: $DL3_DATA_DIR)")
    gs.add_argument("--time-limit", type=float, default=config.TIME_LIMIT_S, metavar="S",
                    help=f"CPU seconds of the student's code per test (default {config.TIME_LIMIT_S:g})")
    gs.add_argument("--memory-mb", type=int, default=config.MEMORY_MB, metavar="MB",
                    help=f"the student's memory; a small box lowers it to what it can give (default {config.MEMORY_MB})")
    gs.add_argument("--total-timeout", type=float, default=config.GRADESCOPE_TOTAL_TIMEOUT_S, metavar="S",
                    help=f"the whole grading run, inside Gradescope's own timeout "
                         f"(default {config.GRADESCOPE_TOTAL_TIMEOUT_S:g} of its 600)")
    gs.add_argument("--measure-costs", action="store_true",
                    help="first measure the reference's cost of each check on this machine (reference-costs)")
    gs.set_defaults(func=cmd_gradescope_bundle)

    costs = sub.add_parser("reference-costs",
                           help="measure the reference's CPU cost of each check (shipped in the Gradescope bundle)")
    costs.add_argument("--exercise", action="append", metavar="NAME",
                       help="measure only this exercise, keeping the others' figures (repeatable)")
    costs.add_argument("--check", action="store_true",
                       help="only report costs measured on another reference or spec (exit 1 if any)")
    costs.set_defaults(func=cmd_reference_costs)

    new = sub.add_parser("new-exercise", help="scaffold a new, gradable exercise (see docs/authoring.md)")
    new.add_argument("name", help="the exercise's name: a Python module name, e.g. standardize")
    new.add_argument("--title", required=True, help='its title in tables and notebooks, e.g. "5. Standardizing"')
    new.set_defaults(func=cmd_new_exercise)

    many = sub.add_parser("grade-batch", help="grade a class: one subfolder or .zip per student; write a gradebook")
    many.add_argument("submissions", help="a directory with one subfolder or <student>.zip per student")
    many.add_argument("--out", required=True, help="where each student's results and gradebook.csv go")
    many.add_argument("--workers", type=int, default=None, help="local parallel gradings (default: CPU cores)")
    many.add_argument("--scheduler", default=None, metavar="ADDRESS",
                      help="grade on this Dask distributed scheduler (tcp://host:8786) instead of locally")
    many.add_argument("--force", action="store_true", help="regrade students already graded")
    many.add_argument("--only", default=None, metavar="ALICE,BOB",
                      help="grade these students only (folder or zip names; with --force, even if unchanged)")
    many.add_argument("--allow-same-user", action="store_true",
                      help="grade as a non-root user (weaker isolation; see docs/isolation.md)")
    many.add_argument("--timeout", type=float, default=config.BATCH_TIMEOUT_S, metavar="S",
                      help=f"cap on one submission's grading (default {config.BATCH_TIMEOUT_S:g})")
    many.set_defaults(func=cmd_grade_batch)

    nbg = sub.add_parser("nbgrader-autograde",
                         help="nbgrader's autograde, safe: grade the submitted notebooks in the sandbox, in "
                              "parallel, and record the results in the gradebook and autograded/")
    nbg.add_argument("assignment", help="the nbgrader assignment (dl3)")
    nbg.add_argument("--course", default=".", help="the nbgrader course directory (default: the current one)")
    nbg.add_argument("--student", nargs="+", action="extend", default=None, metavar="ID",
                     help="grade these students only (default: every student who handed in notebooks)")
    nbg.add_argument("--workers", type=int, default=None, help="local parallel gradings (default: CPU cores)")
    nbg.add_argument("--scheduler", default=None, metavar="ADDRESS",
                     help="grade on this Dask distributed scheduler (tcp://host:8786) instead of locally")
    nbg.add_argument("--force", action="store_true", help="regrade students whose notebooks did not change")
    nbg.add_argument("--timeout", type=float, default=config.BATCH_TIMEOUT_S, metavar="S",
                     help=f"cap on one student's grading (default {config.BATCH_TIMEOUT_S:g})")
    nbg.set_defaults(func=cmd_nbgrader_autograde)

    report = sub.add_parser("class-report", help="what a graded class got wrong: report.html, report.json, CSVs")
    report.add_argument("graded", help="a grade-batch output directory, or an nbgrader course after autograde")
    report.add_argument("--out", default=None,
                        help="where report.html, report.json and the CSVs go (default: GRADED/report/)")
    report.add_argument("--previous", default=None, metavar="REPORT_JSON",
                        help="an earlier report.json: also show what changed since then")
    report.add_argument("--assignment", default="dl3", help="the nbgrader assignment (default dl3)")
    report.set_defaults(func=cmd_class_report)

    book = sub.add_parser("gradebook", help="the grades as Canvas or Moodle imports them (exit 1: some student "
                                            "unmatched or not graded, listed on stderr)")
    book.add_argument("graded", help="a grade-batch output directory, or an nbgrader course after autograde")
    book.add_argument("--format", required=True, choices=["canvas", "moodle"])
    book.add_argument("--out", required=True, metavar="FILE", help="the CSV to write")
    book.add_argument("--roster", default=None, metavar="CSV",
                      help="Canvas: the gradebook exported from Canvas (required); Moodle: its grade export or "
                           "any participants CSV (optional), to check every student is known")
    book.add_argument("--match", default=None, metavar="COLUMN",
                      help="the roster's column that names each student (Canvas default 'SIS Login ID'; Moodle: "
                           "the export's column for --id-field)")
    book.add_argument("--assignment", default=None, metavar="NAME",
                      help="Canvas: the assignment's name or id (a new one is created when the export has none); "
                           "Moodle: the grade column's title (default dl3)")
    book.add_argument("--columns", choices=["total", "exercises"], default="total",
                      help="one column for the total (default), or one per exercise ('NAME: exercise')")
    book.add_argument("--points-possible", type=float, default=None, metavar="N",
                      help="the LMS's maximum for the assignment: the kit's points are scaled to it")
    book.add_argument("--id-field", choices=["username", "email", "idnumber"], default="username",
                      help="Moodle: how the file identifies users (map it at import; default username)")
    book.add_argument("--feedback", action="store_true",
                      help="Moodle: add a feedback column (failed visible checks and their points, never hidden ones)")
    book.add_argument("--nbgrader-assignment", default="dl3", help="the nbgrader assignment (default dl3)")
    book.set_defaults(func=cmd_gradebook)


def known_errors() -> tuple[type[Exception], ...]:
    """The failures reported in one line: the data layer's, and the instructor modules' where present."""
    from autograder.datasets import ChecksumError, DatasetNotFoundError, SubsetError

    errors: list[type[Exception]] = [DatasetNotFoundError, ChecksumError, SubsetError, OSError]
    if config.full_kit():
        from autograder.costs import CostsError
        from autograder.nbsource import NarrativeError
        from autograder.release import StubError
        from autograder.scaffold import ScaffoldError
        from autograder.specs import SpecError

        errors += [StubError, NarrativeError, CostsError, ScaffoldError, SpecError]
    return tuple(errors)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in INSTRUCTOR_COMMANDS and not config.full_kit():
        print(f"error: `{argv[0]}` is an instructor command: it needs the full kit (the course repo), "
              f"not the student bundle. Student commands: {', '.join(STUDENT_COMMANDS)}.", file=sys.stderr)
        return 2
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except known_errors() as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
