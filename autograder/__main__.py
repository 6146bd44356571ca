"""The kit's command line: ``python -m autograder COMMAND``. It only parses arguments and
calls the module that does the work; a known failure prints one line and exits 2."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def cmd_stubs(args: argparse.Namespace) -> int:
    from autograder import release

    if args.check:
        stale = release.stale_stubs(REPO_ROOT)
        for path in stale:
            print(f"stale: {path.relative_to(REPO_ROOT)} (run `python -m autograder stubs`)")
        return 1 if stale else 0
    for path in release.write_stubs(REPO_ROOT):
        print(f"wrote {path.relative_to(REPO_ROOT)}")
    return 0


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    stubs = sub.add_parser("stubs", help="regenerate exercises/*.py from solutions/*.py")
    stubs.add_argument("--check", action="store_true", help="only report stale files (exit 1 if any)")
    stubs.set_defaults(func=cmd_stubs)

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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from autograder.datasets import ChecksumError, DatasetNotFoundError, SubsetError
    from autograder.release import StubError

    try:
        return args.func(args)
    except (DatasetNotFoundError, ChecksumError, SubsetError, StubError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
