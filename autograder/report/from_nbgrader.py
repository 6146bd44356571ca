"""Read an nbgrader course after ``nbgrader autograde``: scores from its gradebook, why from the notebooks.

The gradebook (``gradebook.db``, read with ``nbgrader.api.Gradebook``) gives each check
cell's points; the autograded notebook (``autograded/<student>/<assignment>/<module>.ipynb``)
gives the cell's output, whose first line names the failure's kind and last line the
mistake (``autograder.notebook_checks``). A grade id maps to its check through
``autograder.nbsource.check_for_grade_id``.

- a notebook the student did not hand in: its checks are ``not_submitted`` (0 points);
- who: the gradebook's student (id, name, email); late penalties: nbgrader's, per notebook;
- a handed-in notebook with no autograded copy, a check cell that did not execute, or a
  grade nbgrader did not set: an ``IncompleteGrading`` for that part.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from autograder.identity import Person
from autograder.report.table import CRASH, NOT_SUBMITTED, ClassTable, IncompleteGrading, Row, GradingRecord

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def is_nbgrader_course(path: Path) -> bool:
    """Whether ``path`` is an nbgrader course directory."""
    return (path / "gradebook.db").is_file() or (path / "nbgrader_config.py").is_file()


def parse_output(lines: list[str]) -> tuple[str, str | None]:
    """(failure kind, mistake id) of a failed check cell's traceback lines (``parse_check_output``).

    An error that is not a check's failure (the cell raised before the check ran) is a crash.
    """
    from autograder.notebook_checks import parse_check_output   # imports pytest: only for notebooks

    kind, mistake = parse_check_output(lines)
    return kind or CRASH, mistake


def read_nbgrader(course: Path, assignment: str) -> ClassTable:
    """Every submission of ``assignment`` in the course's gradebook, as rows."""
    from nbgrader.api import Gradebook, MissingEntry

    database = course / "gradebook.db"
    if not database.is_file():
        raise FileNotFoundError(f"{database} does not exist: run `nbgrader autograde {assignment}` first")
    table = ClassTable("nbgrader")
    with Gradebook(f"sqlite:///{database}", course_id="") as gradebook:
        try:
            submissions = gradebook.find_assignment(assignment).submissions
        except MissingEntry:
            raise FileNotFoundError(f"the gradebook {database} has no assignment {assignment!r}") from None
        for submission in sorted(submissions, key=lambda s: s.student_id):
            read_submission(course, assignment, submission, table)
    return table


def read_submission(course: Path, assignment: str, submission, table: ClassTable) -> None:
    """One student's notebooks into ``table``."""
    from autograder.specs import all_exercises

    student = submission.student_id
    by_module = {e.module: e for e in all_exercises().values()}
    submitted = course / "submitted" / student / assignment
    autograded = course / "autograded" / student / assignment
    table.submissions[student] = GradingRecord(student, _digest(submitted), _graded_at(autograded),
                                            (_person(submission.student),), _late_penalties(submission, by_module))
    for notebook in sorted(submission.notebooks, key=lambda n: n.name):
        exercise = by_module.get(notebook.name)
        if exercise is None:
            continue
        grades = {g.name: g for g in notebook.grades}
        if not (submitted / f"{notebook.name}.ipynb").is_file():
            table.rows += [_row(student, exercise, gid, g, None) for gid, g in grades.items()
                           if _check_name(exercise, gid)]
            continue
        cells = _cells_by_grade_id(autograded / f"{notebook.name}.ipynb")
        if cells is None:
            table.failures.append(IncompleteGrading(student, exercise.name, "not autograded",
                                                f"autograded/{student}/{assignment}/{notebook.name}.ipynb is "
                                                "missing or unreadable"))
            continue
        rows, why = _notebook_rows(student, exercise, grades, cells)
        if why:
            table.failures.append(IncompleteGrading(student, exercise.name, "not executed", why))
        else:
            table.rows += rows


def _person(student) -> Person:
    """An nbgrader student (id, first and last name, email) as a ``Person``."""
    name = " ".join(part for part in (student.first_name, student.last_name) if part)
    return Person(student.id, name, student.email or "")


def _late_penalties(submission, by_module: dict) -> dict[str, float]:
    """nbgrader's late-submission penalty of each notebook, by exercise (0 when on time)."""
    return {by_module[n.name].name: float(n.late_submission_penalty or 0.0) for n in submission.notebooks
            if n.name in by_module}


def _notebook_rows(student: str, exercise, grades: dict, cells: dict) -> tuple[list[Row], str]:
    """(rows of the notebook's check cells, why they cannot be trusted — '' when they can)."""
    rows = []
    for grade_id, grade in grades.items():
        if not _check_name(exercise, grade_id):
            continue
        cell = cells.get(grade_id)
        if cell is None or cell.get("execution_count") is None:
            return [], f"the check cell {grade_id} did not execute"
        if grade.auto_score is None and grade.manual_score is None:
            return [], f"nbgrader set no score for {grade_id}"
        rows.append(_row(student, exercise, grade_id, grade, cell))
    return rows, ""


def _check_name(exercise, grade_id: str) -> str | None:
    from autograder.nbsource import check_for_grade_id

    try:
        return check_for_grade_id(exercise, grade_id)
    except KeyError:
        return None


def _row(student: str, exercise, grade_id: str, grade, cell: dict | None) -> Row:
    """A check cell's row; ``cell`` None: the notebook was not handed in."""
    check = exercise.check(_check_name(exercise, grade_id))
    points, max_points = float(grade.score or 0.0), float(grade.max_score or check.points)
    if cell is None:
        return Row(student, exercise.name, check.name, check.hidden, 0.0, max_points, False, NOT_SUBMITTED, None,
                   f"{exercise.module}.ipynb was not handed in")
    error = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
    if error is None:
        return Row(student, exercise.name, check.name, check.hidden, points, max_points, True, None, None, "")
    lines = [ANSI.sub("", line) for line in error.get("traceback", [])]
    kind, mistake = parse_output(lines)
    message = "\n".join(line for line in lines[1:] if not line.startswith("mistake: "))
    return Row(student, exercise.name, check.name, check.hidden, points, max_points, False, kind, mistake, message)


def _cells_by_grade_id(path: Path) -> dict[str, dict] | None:
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return {c["metadata"]["nbgrader"]["grade_id"]: c for c in notebook.get("cells", [])
            if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")}


def _digest(folder: Path) -> str:
    """SHA-256 over the handed-in notebooks (names and bytes)."""
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.ipynb")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _graded_at(folder: Path) -> float | None:
    """When nbgrader last wrote an autograded notebook of the student."""
    times = [p.stat().st_mtime for p in folder.glob("*.ipynb")]
    return max(times) if times else None
