"""What the instructor asked for, what came of it, and what both LMS formats share.

Nothing is silent: every roster row no submission names, every graded submission no row
names, every ambiguous row and every grading that did not complete becomes a line of
``Outcome.problems`` (printed on stderr; any makes the exit status 1), and none of them
gets a grade in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from autograder.gradebook.grades import ClassGrades, StudentGrade
from autograder.gradebook.matching import Matches

FORMATS = ("canvas", "moodle")
COLUMNS = ("total", "exercises")


class GradebookError(ValueError):
    """The gradebook cannot be written (bad roster, contradicting points): one line for the user."""


@dataclass(frozen=True)
class Request:
    graded: Path                          # a grade-batch output directory or an nbgrader course
    format: str                           # one of FORMATS
    out: Path
    roster: Path | None = None            # the LMS's exported gradebook / participants CSV
    match: str | None = None              # the roster's column that names each student
    assignment: str | None = None         # the LMS assignment (Canvas: its name or id; Moodle: the column title)
    columns: str = "total"                # one of COLUMNS
    points_possible: float | None = None  # the LMS's maximum for the whole assignment
    id_field: str = "username"            # Moodle: username, email or idnumber
    feedback: bool = False                # Moodle: a feedback column
    nbgrader_assignment: str = "dl3"


@dataclass
class Outcome:
    out: Path
    written: int = 0                                    # students given a grade in the file
    problems: list[str] = field(default_factory=list)  # each makes the exit status 1
    notes: list[str] = field(default_factory=list)     # warnings that change no grade

    @property
    def complete(self) -> bool:
        return not self.problems


def target_columns(request: Request, grades: ClassGrades, title: str) -> list[tuple[str, str | None]]:
    """(column title, exercise — None for the total) of each grade column to write."""
    if request.columns == "exercises":
        return [(f"{title}: {exercise}", exercise) for exercise in grades.maximum]
    return [(title, None)]


def grade_values(grade: StudentGrade, exercises: list[str | None]) -> list[float | None]:
    """The student's points for each column (None: not graded — the cell is not written)."""
    return [grade.total if exercise is None else grade.points.get(exercise) for exercise in exercises]


def scale(request: Request, grades: ClassGrades) -> float:
    """The factor from the kit's points to the LMS's: ``--points-possible`` over the kit's maximum."""
    if request.points_possible is None or not grades.max_total:
        return 1.0
    return request.points_possible / grades.max_total


def people_label(grade: StudentGrade) -> str:
    """``alice`` or ``alice (Alice Liddell <alice@uni.edu>, Bob <bob@uni.edu>)``: for the instructor's stderr."""
    named = [f"{p.name} <{p.email}>".replace(" <>", "").strip() for p in grade.people if p.name or p.email]
    return f"{grade.student} ({', '.join(named)})" if named else grade.student


def report_matches(outcome: Outcome, found: Matches, label: Callable[[int], str]) -> None:
    """One problem line per unmatched or ambiguous roster row, grader failure and submission without a row."""
    outcome.problems += [f"no submission: {label(i)} — left as the roster has it" for i in found.without_submission]
    outcome.problems += [f"ambiguous: {label(i)} names {', '.join(names)} — left as the roster has it"
                         for i, names in found.ambiguous.items()]
    failed = {g.student: g for g in found.by_row.values() if g.failure}
    outcome.problems += [f"grader failure: {people_label(g)}: {g.failure} — no grade written (regrade it)"
                         for g in failed.values()]
    outcome.problems += [f"no roster row: {people_label(g)} (total {describe_total(g)}) — not in the file"
                         for g in found.without_roster]


def describe_total(grade: StudentGrade) -> str:
    return f"{grade.total:g}" if grade.total is not None else f"none: {grade.failure}"
