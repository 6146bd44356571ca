"""``python -m autograder gradebook GRADED --format canvas|moodle --out FILE``: grades where the LMS reads them.

GRADED is a ``grade-batch`` output directory or an nbgrader course after ``nbgrader
autograde`` (``docs/batch.md``). The pipeline, one module per step:

1. read — ``grades.read_grades``: the class report's readers, each student's points per
   exercise and total (nbgrader's late penalties taken off), who handed it in;
2. match — ``matching.match``: each roster row to the submission its identifier names;
3. write — ``canvas.write_canvas`` (the instructor's exported Canvas gradebook, written
   back with the assignment filled in) or ``moodle.write_moodle`` (a CSV for Moodle's
   grade import);
4. tell — ``request.Outcome``: what did not match, what did not complete (never a 0).
"""

from __future__ import annotations

from autograder.gradebook.canvas import write_canvas
from autograder.gradebook.csvfile import CsvFileError
from autograder.gradebook.grades import read_grades
from autograder.gradebook.moodle import write_moodle
from autograder.gradebook.request import COLUMNS, FORMATS, GradebookError, Outcome, Request
from autograder.report import ReportError

__all__ = ["COLUMNS", "FORMATS", "GradebookError", "Outcome", "Request", "make_gradebook"]

WRITERS = {"canvas": write_canvas, "moodle": write_moodle}


def make_gradebook(request: Request) -> Outcome:
    """Read the graded class, write the LMS's file; raises GradebookError when it cannot run."""
    if request.format not in WRITERS:
        raise GradebookError(f"--format must be one of {', '.join(FORMATS)}")
    if request.points_possible is not None and request.points_possible <= 0:
        raise GradebookError("--points-possible must be more than 0")
    try:
        grades = read_grades(request.graded, request.nbgrader_assignment)
    except (ReportError, FileNotFoundError) as exc:
        raise GradebookError(str(exc)) from None
    if not grades.students:
        raise GradebookError(f"{request.graded} holds no graded submission")
    try:
        return WRITERS[request.format](request, grades)
    except CsvFileError as exc:
        raise GradebookError(str(exc)) from None
