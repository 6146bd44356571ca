"""The class report: what a graded class got right and wrong, from the named mistakes.

``python -m autograder class-report GRADED [--out DIR] [--previous OLD/report.json]`` reads a
graded class and writes ``DIR/report.html`` (self-contained), ``DIR/report.json`` and CSVs
(``docs/class_report.md``); without ``--out``, into ``GRADED/report/``. The pipeline, one module per step:

1. read — ``from_batch`` (a ``grade-batch`` output directory) or ``from_nbgrader`` (an
   nbgrader course after ``nbgrader autograde``) into one ``table.ClassTable``;
2. set apart — ``table.drop_failed``: gradings that did not complete leave every figure;
3. compute — ``figures.compute`` (``anonymise`` cleans the example messages);
4. compare — ``changes.changes`` against the previous report's JSON, when given;
5. write — ``write.write_report`` (``html`` draws the page, ``svg`` its plots).
"""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path

from autograder.report.changes import PreviousReportError, changes, load_previous
from autograder.report.figures import compute
from autograder.report.from_batch import is_batch_output, read_batch
from autograder.report.from_nbgrader import is_nbgrader_course, read_nbgrader
from autograder.report.table import ClassTable, drop_failed
from autograder.report.write import write_report

__all__ = ["ReportError", "PreviousReportError", "read_class", "build_report", "default_out", "make_report"]


class ReportError(ValueError):
    """GRADED is neither a grade-batch output directory nor an nbgrader course: one line for the user."""


def read_class(graded: Path, assignment: str) -> ClassTable:
    """The graded class as a table, whichever tool graded it."""
    if is_nbgrader_course(graded):
        return read_nbgrader(graded, assignment)
    if is_batch_output(graded):
        return read_batch(graded)
    raise ReportError(f"{graded} is neither a grade-batch output directory (<student>/meta.json) nor an "
                      "nbgrader course directory (gradebook.db, nbgrader_config.py)")


def build_report(table: ClassTable, previous: dict | None = None, **about: str) -> dict:
    """Every figure of the report, the rows without their messages, and the changes since ``previous``."""
    table = drop_failed(table)
    report = {"version": 1, **about, "generated_at": time.strftime("%Y-%m-%d %H:%M:%S %Z"), **compute(table),
              "rows": [{k: v for k, v in asdict(row).items() if k != "message"} for row in table.rows]}
    report["changes"] = changes(previous, report) if previous is not None else None
    return report


def default_out(graded: Path) -> Path:
    """Where the report goes without ``--out``: ``GRADED/report/`` (unless a student is called ``report``)."""
    out = Path(graded) / "report"
    if (out / "meta.json").is_file():
        raise ReportError(f"{out} is a graded student's folder, not a place for the report: pass --out")
    return out


def make_report(graded: Path, out: Path, previous: Path | None = None, assignment: str = "dl3") -> list[Path]:
    """Read ``graded``, compute the report (and its changes since ``previous``), write it into ``out``."""
    old = load_previous(previous) if previous else None
    table = read_class(Path(graded), assignment)
    report = build_report(table, old, assignment=assignment, graded=str(graded))
    return write_report(report, Path(out))
