"""Moodle: a CSV for its gradebook's "Import → CSV file", one row per student.

The rules are those of Moodle's CSV grade import (``grade/import/csv/classes/load_data.php``
in moodle/moodle): the first row names the columns; at import the instructor maps one
column to the users ("Identify user by": ``username``, ``email`` or ``idnumber``), each
grade column to a grade item, and a feedback column to that item's feedback. Moodle stops
the whole import at a user it does not know, and reads an empty grade or ``-`` as "no
grade" (removing the one it has) — so the file holds a row only for a student the kit has a
grade for, and every other student is listed on stderr instead.

Without ``--roster`` the identifier is the submission's: its id (folder or zip name,
nbgrader student id) for ``username`` and ``idnumber``, its users' emails for ``email``.
With ``--roster`` (Moodle's grade export, or any CSV of the participants) the students are
matched as for Canvas and the identifier is written as the roster has it.

The feedback column names the failed visible checks and the parts not handed in, with
their points; hidden checks are never named.
"""

from __future__ import annotations

from autograder.gradebook.csvfile import CsvFile, Dialect, format_points, read_csv, write_csv
from autograder.gradebook.grades import ClassGrades, Missed, StudentGrade
from autograder.gradebook.matching import match
from autograder.gradebook.request import (GradebookError, Outcome, Request, grade_values, people_label,
                                          report_matches, scale, target_columns)
from autograder.spreadsheet import inert

ID_FIELDS = {"username": "Username", "email": "Email address", "idnumber": "ID number"}   # Moodle's export headers
DEFAULT_TITLE = "dl3"
FEEDBACK = "Feedback"
Rows = list[tuple[str, StudentGrade]]   # (the identifier Moodle maps the user from, the student's grade)


def write_moodle(request: Request, grades: ClassGrades) -> Outcome:
    """Write ``request.out``: identifier, grade column(s) and optionally feedback, for every graded student."""
    if request.id_field not in ID_FIELDS:
        raise GradebookError(f"--id-field must be one of {', '.join(ID_FIELDS)}")
    outcome = Outcome(request.out)
    if request.roster is not None:
        pairs, dialect = from_roster(request, grades, outcome)
    else:
        pairs, dialect = from_submissions(request, grades, outcome), Dialect()
    targets = target_columns(request, grades, request.assignment or DEFAULT_TITLE)
    exercises = [exercise for _, exercise in targets]
    header = [request.id_field] + [title for title, _ in targets] + ([FEEDBACK] if request.feedback else [])
    rows = grade_rows(pairs, exercises, scale(request, grades), dialect, request.feedback)
    if any(partly_graded(grade_values(g, exercises)) for _, g in pairs):
        outcome.notes.append("a part that did not complete is an empty cell: map that column to 'Ignore' at "
                             "import, or regrade first (Moodle reads an empty cell as 'remove the grade')")
    write_csv(request.out, CsvFile(header, rows, dialect))
    outcome.written = len({g.student for _, g in pairs if any(v is not None for v in grade_values(g, exercises))})
    return outcome


def grade_rows(pairs: Rows, exercises: list[str | None], factor: float, dialect: Dialect,
               feedback: bool) -> list[list[str]]:
    """A row per identifier with a grade; none for a grading that did not complete (Moodle would remove its grade)."""
    rows = []
    for identifier, grade in pairs:
        values = grade_values(grade, exercises)
        if any(v is not None for v in values):
            rows.append([identifier] + ["" if v is None else format_points(v * factor, dialect) for v in values]
                        + ([inert(feedback_text(grade.missed))] if feedback else []))
    return rows


def partly_graded(values: list[float | None]) -> bool:
    return None in values and any(v is not None for v in values)


def from_roster(request: Request, grades: ClassGrades, outcome: Outcome) -> tuple[Rows, Dialect]:
    """(identifier as the roster has it, grade) of every matched row, and the roster's dialect."""
    roster = read_csv(request.roster)
    column = roster.column(request.match or ID_FIELDS[request.id_field])
    if column is None:
        raise GradebookError(f"the roster has no column {request.match or ID_FIELDS[request.id_field]!r} to match "
                             f"students by (--match); its columns: {', '.join(roster.header)}")
    found = match({i: roster.cell(row, column) for i, row in enumerate(roster.rows) if any(c.strip() for c in row)},
                  grades.students)
    report_matches(outcome, found, lambda i: f"{roster.header[column]} {roster.cell(roster.rows[i], column)}")
    pairs = [(roster.cell(roster.rows[i], column).strip(), g) for i, g in sorted(found.by_row.items())]
    return pairs, roster.dialect


def from_submissions(request: Request, grades: ClassGrades, outcome: Outcome) -> Rows:
    """(identifier, grade) of every submission's user; a submission with none known is a problem."""
    pairs = []
    for grade in grades.students:
        if grade.failure:
            outcome.problems.append(f"grader failure: {people_label(grade)}: {grade.failure} — no grade written")
        identifiers = ([p.email for p in grade.people if p.email] if request.id_field == "email"
                       else [grade.student])
        if not identifiers:
            outcome.problems.append(f"no {request.id_field} recorded for {people_label(grade)} — not in the file "
                                    "(pass --roster, or --id-field username)")
        pairs += [(identifier, grade) for identifier in identifiers]
    return pairs


def feedback_text(missed: tuple[Missed, ...]) -> str:
    """What the student lost, visible checks only: ``gradient_descent.mse_value (1 point); …``."""
    checks = [f"{m.exercise}.{m.check} ({points(m.points)})" for m in missed if m.check]
    absent = [f"{m.exercise} ({points(m.points)})" for m in missed if not m.check]
    parts = ([f"Visible checks not passed: {'; '.join(checks)}."] if checks else []) + \
        ([f"Not handed in: {'; '.join(absent)}."] if absent else [])
    return " ".join(parts) or "Every visible check passed."


def points(value: float) -> str:
    return f"{value:g} point{'' if value == 1 else 's'}"
