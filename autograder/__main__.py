"""The kit's command line: ``python -m autograder COMMAND``. It only parses arguments and
calls the module that does the work; a known failure prints one line and exits 2."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


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


def cmd_student_bundle(args: argparse.Namespace) -> int:
    from autograder import release

    out = release.build_student_bundle(REPO_ROOT, Path(args.out))
    print(f"wrote {out}")
    return 0


def cmd_grade(args: argparse.Namespace) -> int:
    from autograder.grade import results as formats
    from autograder.grade.runner import GradeError, Options, grade
    from autograder.grade.sandbox import Limits

    limits = Limits(time_limit=args.time_limit, import_time_limit=args.time_limit, memory_mb=args.memory_mb,
                    data_dir=args.data_dir or os.environ.get("DL3_DATA_DIR"))
    options = Options(limits=limits, test_timeout=args.test_timeout, total_timeout=args.total_timeout,
                      training=not args.no_training)
    try:
        for out in [args.results] + ([args.junit] if args.junit else []):
            if Path(out).is_dir():
                raise GradeError(f"{out} is a directory, not a file to write")
        result = grade(Path(args.submission), options)
        formats.write_gradescope(result, Path(args.results))
        if args.junit:
            formats.write_atomically(Path(args.junit), formats.junit_xml(result))
    except GradeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        print(formats.summary_text(result), end="")
    return 0


def cmd_gradescope_bundle(args: argparse.Namespace) -> int:
    from autograder.grade import gradescope

    out = gradescope.build_bundle(REPO_ROOT, Path(args.out), data_dir=args.data_dir)
    print(f"wrote {out}")
    return 0


def cmd_grade_batch(args: argparse.Namespace) -> int:
    from autograder import batch

    try:
        summary = batch.run_batch(Path(args.submissions), Path(args.out), workers=args.workers,
                                  scheduler=args.scheduler, force=args.force, timeout=args.timeout)
    except batch.BatchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"graded {summary.graded}, skipped {summary.skipped} (already graded), failed {summary.failed} "
          f"in {summary.seconds:.1f} s; gradebook: {summary.gradebook}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    stubs = sub.add_parser("stubs", help="regenerate exercises/*.py from solutions/*.py")
    stubs.add_argument("--check", action="store_true", help="only report stale files (exit 1 if any)")
    stubs.set_defaults(func=cmd_stubs)

    notebooks = sub.add_parser("notebooks", help="regenerate source/dl3/*.ipynb from narrative/ and solutions/")
    notebooks.add_argument("--check", action="store_true", help="only report stale notebooks (exit 1 if any)")
    notebooks.set_defaults(func=cmd_notebooks)

    prefetch = sub.add_parser("prefetch", help="download every dataset into a data directory")
    prefetch.add_argument("--data-dir", default=None,
                          help="where to put them (default: $DL3_DATA_DIR, else ~/.keras/datasets)")
    prefetch.add_argument("--dataset", action="append",
                          choices=["mnist", "cifar10", "imdb", "california_housing"],
                          help="only this dataset (repeatable)")
    prefetch.set_defaults(func=cmd_prefetch)

    bundle = sub.add_parser("student-bundle", help="zip what students receive (stubs, visible tests, helpers)")
    bundle.add_argument("out", help="the zip file to write")
    bundle.set_defaults(func=cmd_student_bundle)

    grade = sub.add_parser("grade", help="grade a submission (directory or .zip); write Gradescope results.json")
    grade.add_argument("submission", help="the submission: a directory or a .zip (searched to any depth)")
    grade.add_argument("--results", required=True, metavar="PATH", help="where to write results.json")
    grade.add_argument("--junit", default=None, metavar="PATH", help="also write JUnit XML to PATH")
    grade.add_argument("--time-limit", type=float, default=60.0, metavar="S",
                       help="seconds of the student's code per test (default 60)")
    grade.add_argument("--memory-mb", type=int, default=4096, metavar="MB",
                       help="address-space limit of the student's process (default 4096)")
    grade.add_argument("--test-timeout", type=float, default=1800.0, metavar="S",
                       help="the grader's own cap per test, training included (default 1800)")
    grade.add_argument("--total-timeout", type=float, default=7200.0, metavar="S",
                       help="cap on the whole grading run (default 7200)")
    grade.add_argument("--data-dir", default=None, help="the offline data directory (default: $DL3_DATA_DIR)")
    grade.add_argument("--no-training", action="store_true",
                       help="skip the checks that train models (they score 0; for quick dry runs)")
    grade.add_argument("--quiet", action="store_true", help="no summary on stdout")
    grade.set_defaults(func=cmd_grade)

    gs = sub.add_parser("gradescope-bundle", help="zip the Gradescope autograder (kit, hidden tests, data)")
    gs.add_argument("out", help="the zip file to write")
    gs.add_argument("--data-dir", default=None, help="where the data comes from (default: $DL3_DATA_DIR)")
    gs.set_defaults(func=cmd_gradescope_bundle)

    many = sub.add_parser("grade-batch", help="grade a class: one subfolder or .zip per student; write a gradebook")
    many.add_argument("submissions", help="a directory with one subfolder or <student>.zip per student")
    many.add_argument("--out", required=True, help="where each student's results and gradebook.csv go")
    many.add_argument("--workers", type=int, default=None, help="local parallel gradings (default: CPU cores)")
    many.add_argument("--scheduler", default=None, metavar="ADDRESS",
                      help="grade on this Dask distributed scheduler (tcp://host:8786) instead of locally")
    many.add_argument("--force", action="store_true", help="regrade students already graded")
    many.add_argument("--timeout", type=float, default=3600.0, metavar="S",
                      help="cap on one submission's grading (default 3600)")
    many.set_defaults(func=cmd_grade_batch)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from autograder.datasets import ChecksumError, DatasetNotFoundError, SubsetError
    from autograder.nbsource import NarrativeError
    from autograder.release import StubError

    try:
        return args.func(args)
    except (DatasetNotFoundError, ChecksumError, SubsetError, StubError, NarrativeError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
