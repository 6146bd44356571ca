"""The class's grades as the gradebook writes them, read with the class report's readers.

``autograder.report.read_class`` reads a ``grade-batch`` output directory or an nbgrader
course into one table; ``drop_failed`` sets the gradings that did not complete apart and
``figures.student_scores`` adds up each student's points. From an nbgrader course the
points are nbgrader's (its cells' scores) less its late-submission penalties, as
``nbgrader export`` computes them: ``max(0, score - penalty)``.

A student whose grading did not complete has no total (``None``, never 0); a part that did
not complete has no points.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autograder.identity import Person
from autograder.report import read_class
from autograder.report.figures import exercise_order, student_scores
from autograder.report.table import NOT_SUBMITTED, ClassTable, drop_failed


@dataclass(frozen=True)
class Missed:
    """Points a student did not get, as their feedback names them: a failed visible check, or a part not handed in."""

    exercise: str
    check: str | None      # None: the part was not handed in
    points: float


@dataclass(frozen=True)
class StudentGrade:
    student: str                       # the kit's id: folder or zip name, nbgrader student id
    people: tuple[Person, ...]         # who handed it in, as the grading recorded
    points: dict[str, float | None]    # per exercise; None: that part's grading did not complete
    total: float | None                # None: the grading did not complete (some part of it)
    missed: tuple[Missed, ...] = ()    # never a hidden check
    failure: str = ""                  # why the grading did not complete ('' when it did)

    @property
    def keys(self) -> set[str]:
        """What a roster's cell may hold to name this submission: its id and its users' emails and ids.

        A Gradescope user's numeric id is not one: it is not the LMS's and could equal another's.
        """
        keys = {self.student} | {p.email for p in self.people}
        keys |= {p.id for p in self.people if not p.id.isdigit()}
        return {normal(k) for k in keys if k.strip()}


@dataclass(frozen=True)
class ClassGrades:
    source: str                        # "grade-batch" or "nbgrader"
    maximum: dict[str, float]          # per exercise, in workshop order
    students: list[StudentGrade]

    @property
    def max_total(self) -> float:
        return round(sum(self.maximum.values()), 6)


def normal(key: str) -> str:
    """How identifiers compare: spaces around them and case do not count."""
    return key.strip().casefold()


def read_grades(graded: Path, nbgrader_assignment: str) -> ClassGrades:
    """Every student's grade in ``graded`` (a grade-batch output directory or an nbgrader course)."""
    table = read_class(Path(graded), nbgrader_assignment)
    clean = drop_failed(table)
    seen = {r.exercise for r in clean.rows}
    exercises = [e for e in exercise_order() if e in seen]
    scores = student_scores(clean, exercises)
    maximum = {e: max((s["exercises"][e]["max_points"] or 0.0 for s in scores.values() if e in s["exercises"]),
                      default=0.0) for e in exercises}
    why = failure_details(clean)
    students = [student_grade(clean, student, scores[student], why.get(student, "")) for student in clean.students]
    return ClassGrades(clean.source, maximum, students)


def failure_details(table: ClassTable) -> dict[str, str]:
    """Per student, what did not complete (for the instructor's list)."""
    details: dict[str, list[str]] = {}
    for failure in table.failures:
        where = f"{failure.exercise}: " if failure.exercise else ""
        details.setdefault(failure.student, []).append(f"{where}{failure.status} — {failure.detail}")
    return {student: "; ".join(lines) for student, lines in details.items()}


def student_grade(table: ClassTable, student: str, score: dict, failure: str) -> StudentGrade:
    """One student's points per exercise and total, nbgrader's late penalties taken off."""
    submission = table.submissions[student]
    penalty = submission.late_penalty
    points = {e: (None if p["points"] is None else max(0.0, p["points"] - penalty.get(e, 0.0)))
              for e, p in score["exercises"].items()}
    total = None if score["total"] is None else max(0.0, score["total"] - sum(penalty.values()))
    return StudentGrade(student, submission.people, points, total, missed_points(table, student), failure)


def missed_points(table: ClassTable, student: str) -> tuple[Missed, ...]:
    """The visible checks the student failed, and the parts not handed in (with their points)."""
    missed, absent = [], {}
    for row in table.rows:
        if row.student != student or row.passed:
            continue
        if row.failure == NOT_SUBMITTED:
            absent[row.exercise] = absent.get(row.exercise, 0.0) + row.max_points
        elif not row.hidden:
            missed.append(Missed(row.exercise, row.check, row.max_points - row.points))
    return tuple(missed) + tuple(Missed(e, None, p) for e, p in absent.items())
