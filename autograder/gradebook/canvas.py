"""Canvas: the instructor's exported gradebook CSV, written back with the assignment's grades filled in.

The rules are those of Canvas's gradebook importer (``app/models/gradebook_importer.rb``
in instructure/canvas-lms) and exporter (``lib/gradebook_exporter.rb``):

- the header starts ``Student, ID``; the optional student columns follow (``SIS User ID``,
  ``SIS Login ID``, ``Integration ID``, ``Root Account``) and ``Section`` ends them;
- an assignment column is titled ``Name (assignment id)``; a column without an id is a new
  assignment, which Canvas creates on import (with the points of the ``Points Possible`` row);
- a row whose first cell holds ``Points Possible`` gives each assignment's points; rows of
  only ``Muted`` / ``Manual Posting…`` cells are not students; columns named like
  ``Current Score``, ``Final Points``, ``Override Grade`` (and their ``Unposted`` forms) and
  those whose points cell says ``(read only)`` are Canvas's own and never imported;
- the Student View user (``Student, Test``) is not a student; ``EX`` (excused) and ``N/A``
  (not assigned to the student) are Canvas's marks, kept.

Every cell but the assignment's own is written back as the export has it. A student with no
grade from the kit (no submission, a grader failure) keeps the cell the export gave them:
an empty cell imports as no change where Canvas has no grade, and the importer would remove
a grade that a blank replaced (its preview marks such cells).
"""

from __future__ import annotations

import re

from autograder.gradebook.csvfile import CsvFile, format_points, parse_points, read_csv, write_csv
from autograder.gradebook.grades import ClassGrades, StudentGrade
from autograder.gradebook.matching import match
from autograder.gradebook.request import (GradebookError, Outcome, Request, grade_values, report_matches, scale,
                                          target_columns)

DEFAULT_MATCH = "SIS Login ID"
POINTS_POSSIBLE = "Points Possible"
POSTING_ROW = re.compile(r"\s*(Muted|Manual Posting.*)?\s*", re.IGNORECASE)
READ_ONLY = re.compile(r"read\s+only", re.IGNORECASE)
CANVAS_TOTALS = ("Current Score", "Current Points", "Current Grade", "Final Score", "Final Points", "Final Grade",
                 "Override Score", "Override Grade", "Override Status")
TITLE_AND_ID = re.compile(r"(.*)\s\((\d+)\)", re.DOTALL)
TEST_STUDENTS = ("student, test", "test student")
SCALE_TOLERANCE = 0.005
KEPT_MARKS = ("EX", "N/A")   # excused, not assigned: the instructor's word in Canvas, never overwritten


def write_canvas(request: Request, grades: ClassGrades) -> Outcome:
    """Fill the assignment's column(s) of the roster export with the kit's grades; write ``request.out``."""
    if request.roster is None:
        raise GradebookError("--format canvas needs --roster: the gradebook CSV exported from Canvas "
                             "(Grades → Export → Export Entire Gradebook)")
    if not request.assignment:
        raise GradebookError("--format canvas needs --assignment: the Canvas assignment's name (or id)")
    export = read_csv(request.roster)
    section = student_columns_end(export, request.roster)
    key_column = export.column(request.match or DEFAULT_MATCH)
    if key_column is None:
        raise GradebookError(f"the export has no column {request.match or DEFAULT_MATCH!r} to match students by "
                             f"(--match); its student columns: {', '.join(export.header[:section + 1])}")
    outcome = Outcome(request.out)
    points_row = next((i for i, row in enumerate(export.rows) if is_points_row(row)), None)
    factor = scale(request, grades)
    columns = {exercise: column_for(export, title, points_row, outcome)
               for title, exercise in target_columns(request, grades, request.assignment)}
    check_points(export, points_row, columns, grades, factor)
    outcome.notes += [f"skipped Canvas's test student (Student View): {row[0]!r}" for row in export.rows
                      if is_test_student(row)]
    found = match({i: export.cell(row, key_column) for i, row in enumerate(export.rows) if is_student_row(row)},
                  grades.students)
    for index, grade in found.by_row.items():
        kept = fill(export.rows[index], columns, grade, factor, export)
        outcome.notes += [f"kept Canvas's {value!r} (excused / not assigned) for {grade.student} in "
                          f"{export.header[column]!r}" for column, value in kept]
    report_matches(outcome, found, lambda i: row_label(export, export.rows[i], key_column))
    write_csv(request.out, export)
    outcome.written = sum(any(v is not None for v in grade_values(g, list(columns))) for g in found.by_row.values())
    return outcome


def student_columns_end(export: CsvFile, path) -> int:
    """The index of ``Section``, the last student column; a file without ``Student, ID`` … ``Section`` is refused."""
    header = export.header
    if not (len(header) > 3 and "Student" in header[0] and "ID" in header[1] and "Section" in header):
        raise GradebookError(f"{path} is not a Canvas gradebook export: its header must start 'Student, ID' and "
                             f"name a 'Section' column (it starts {', '.join(header[:4])!r})")
    return header.index("Section")


def is_points_row(row: list[str]) -> bool:
    return bool(row) and POINTS_POSSIBLE in row[0]


def is_student_row(row: list[str]) -> bool:
    if is_points_row(row) or all(POSTING_ROW.fullmatch(cell) for cell in row):
        return False
    return not is_test_student(row)


def is_test_student(row: list[str]) -> bool:
    return bool(row) and row[0].strip().casefold() in TEST_STUDENTS


def is_canvas_total(title: str) -> bool:
    """Canvas drops every column whose title contains one of its totals' names (the importer's regexp)."""
    return any(name in title for name in CANVAS_TOTALS)


def column_for(export: CsvFile, title: str, points_row: int | None, outcome: Outcome) -> int:
    """The column of the assignment ``title`` (``Name (id)``, the id alone, or the name); a new one when absent."""
    found = [i for i, header in enumerate(export.header) if names_assignment(header, title)]
    if len(found) > 1:
        raise GradebookError(f"{len(found)} columns of the export name {title!r}: "
                             f"{', '.join(export.header[i] for i in found)}; pass --assignment with the id")
    if found:
        index = found[0]
        points = export.cell(export.rows[points_row], index) if points_row is not None else ""
        if is_canvas_total(export.header[index]) or READ_ONLY.search(points):
            raise GradebookError(f"the column {export.header[index]!r} is read-only in Canvas: name an assignment")
        return index
    if is_canvas_total(title):
        raise GradebookError(f"Canvas ignores a column titled {title!r} (it holds one of {', '.join(CANVAS_TOTALS)}): "
                             "choose another --assignment")
    export.header.append(title)
    for row in export.rows:
        set_cell(row, len(export.header) - 1, "")
    outcome.notes.append(f"warning: the export has no assignment {title!r}: Canvas will create a new assignment "
                         "of that name when you import this file")
    return len(export.header) - 1


def names_assignment(header: str, title: str) -> bool:
    parsed = TITLE_AND_ID.fullmatch(header.strip())
    name, canvas_id = (parsed.group(1), parsed.group(2)) if parsed else (header.strip(), None)
    return title.strip() in (header.strip(), name, canvas_id)


def check_points(export: CsvFile, points_row: int | None, columns: dict[str | None, int], grades: ClassGrades,
                 factor: float) -> None:
    """The Points Possible row says each column's maximum: it must be what the grades are out of.

    A new column gets the scaled maximum there; an existing one that disagrees stops the run
    (a grade out of 62 in a 100-point assignment is a wrong grade).
    """
    if points_row is None:
        return
    row = export.rows[points_row]
    for exercise, index in columns.items():
        expected = factor * (grades.max_total if exercise is None else grades.maximum[exercise])
        stated = parse_points(export.cell(row, index))
        if stated is None:
            set_cell(row, index, format_points(expected, export.dialect))
        elif abs(stated - expected) > SCALE_TOLERANCE:
            raise GradebookError(f"Canvas's {export.header[index]!r} is worth {stated:g} points, the kit's grades "
                                 f"for it are out of {expected:g}: pass --points-possible with the assignment's "
                                 "points to scale them (or change the assignment's points in Canvas)")


def fill(row: list[str], columns: dict[str | None, int], grade: StudentGrade, factor: float,
         export: CsvFile) -> list[tuple[int, str]]:
    """Write the student's grade into their row; the (column, cell) pairs kept as Canvas had them.

    A grade the kit does not have leaves the cell as exported; so does Canvas's ``EX``
    (excused) and ``N/A`` (the assignment is not assigned to this student).
    """
    kept = []
    for index, value in zip(columns.values(), grade_values(grade, list(columns))):
        if export.cell(row, index).strip().upper() in KEPT_MARKS:
            kept.append((index, export.cell(row, index)))
        elif value is not None:
            set_cell(row, index, format_points(value * factor, export.dialect))
    return kept


def set_cell(row: list[str], index: int, value: str) -> None:
    row.extend([""] * (index + 1 - len(row)))
    row[index] = value


def row_label(export: CsvFile, row: list[str], key_column: int) -> str:
    return f"{export.cell(row, 0)} ({export.header[key_column]} {export.cell(row, key_column) or '(empty)'})"

