"""The class as one table: a row per student and check, whatever graded it.

Both readers (``from_batch``: a ``grade-batch`` output directory; ``from_nbgrader``: an
nbgrader course after ``nbgrader autograde``) produce a ``ClassTable``; every later step
(anonymising, figures, changes, the page) reads only this table.

A grading that did not complete is not a score: it becomes an ``IncompleteGrading`` (listed
apart) and its rows are left out of the table, so no distribution counts it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from autograder.checks.mistakes import (CRASH, GRADER_FAILURE, KIND_WORDS, NOT_IMPLEMENTED, NOT_SUBMITTED,
                                        TIME_LIMIT, WRONG_ANSWER)
from autograder.identity import Person

# Failure kinds (one per failed check; None for a passed check), as the results formats spell them.
KINDS = tuple(KIND_WORDS)
__all__ = ["CRASH", "GRADER_FAILURE", "KINDS", "KIND_WORDS", "NOT_IMPLEMENTED", "NOT_SUBMITTED", "TIME_LIMIT",
           "WRONG_ANSWER", "Row", "IncompleteGrading", "GradingRecord", "ClassTable", "drop_failed"]


@dataclass(frozen=True)
class Row:
    """One student's result on one check."""

    student: str
    exercise: str
    check: str
    hidden: bool
    points: float
    max_points: float
    passed: bool
    failure: str | None      # one of KINDS, None when passed
    mistake: str | None      # "<exercise>.<check>.<name>", None when passed or not named
    message: str             # what the student read (not yet anonymised)


@dataclass(frozen=True)
class IncompleteGrading:
    """A grading that did not complete: the student's whole submission (``exercise`` None) or one part."""

    student: str
    exercise: str | None
    status: str              # grade-batch's status (grader-error, timeout), or what nbgrader lacked
    detail: str


@dataclass(frozen=True)
class GradingRecord:
    """What identifies one grading of a student's hand-in (``--previous`` compares these), and who handed it in."""

    student: str
    digest: str
    graded_at: float | None
    people: tuple[Person, ...] = ()          # the users the grading recorded (autograder/identity.py)
    late_penalty: dict[str, float] = field(default_factory=dict)   # nbgrader's, per exercise (the gradebook's)


@dataclass
class ClassTable:
    """Rows of the graded checks, grader failures apart, one ``GradingRecord`` per student."""

    source: str                                   # "grade-batch" or "nbgrader"
    rows: list[Row] = field(default_factory=list)
    failures: list[IncompleteGrading] = field(default_factory=list)
    submissions: dict[str, GradingRecord] = field(default_factory=dict)

    @property
    def students(self) -> list[str]:
        """Every student, graded or not, sorted."""
        return sorted(self.submissions)


def drop_failed(table: ClassTable) -> ClassTable:
    """The table without the rows of any (student, exercise) whose grading did not complete.

    A row of kind ``grader_failure`` turns its part into an ``IncompleteGrading`` too.
    """
    failures = list(table.failures)
    for row in table.rows:
        if row.failure == GRADER_FAILURE and not any(
                f.student == row.student and f.exercise in (None, row.exercise) for f in failures):
            failures.append(IncompleteGrading(row.student, row.exercise, "grader-error",
                                          (row.message.strip().splitlines() or [""])[0][:300]))
    whole = {f.student for f in failures if f.exercise is None}
    parts = {(f.student, f.exercise) for f in failures if f.exercise is not None}
    rows = [r for r in table.rows if r.student not in whole and (r.student, r.exercise) not in parts]
    return ClassTable(table.source, rows, failures, table.submissions)
