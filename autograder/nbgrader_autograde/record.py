"""Step 5 of the route, in an nbgrader process of its own: nbgrader records the kit's gradings.

``python -m autograder.nbgrader_autograde.record --course C --assignment A --results DIR STUDENT...``
moves into the course directory C (nbgrader reads its ``nbgrader_config.py`` there, as
``nbgrader autograde`` does). For each student it runs nbgrader's own ``Autograde`` converter — sanitize, then its
autograde preprocessors — with one change: the ``Execute`` step, which would run the student's
code as the instructor, is replaced by ``KitResults``, which writes into each cell what the
sandboxed grading found. nbgrader's ``SaveAutoGrades``, late penalties and writers then do
exactly what they do after ``nbgrader autograde``.

A student whose grading failed (``meta.json``'s status is not ``graded``: the grader's fault)
goes through the same converter, so the formgrader can show their notebooks, with each check
cell saying it was not graded; then every grade of theirs is set to no score, needing manual
grading — never an autograded 0. Prints one JSON line per student: ``{"student": ID}`` when
recorded, ``{"student": ID, "error": WHY}`` when not.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from autograder.notebook_checks import CheckFailed, failed_headline, passed_line
from autograder.notebooks import convert_cells, is_check_cell
from autograder.specs import Exercise, all_exercises

NOT_RUN = ("[Not re-run at autograde: {reason}. The kit grades the notebook's definitions (README: \"What is "
           "graded from a notebook\"); the output below, if any, is the student's own.]\n")
NOT_GRADED = ("[Not graded: the grader failed on this submission (not because of the student's code). "
              "Grade this cell by hand.]\n")


def _stream(text: str) -> dict:
    return nbformat.v4.new_output("stream", name="stdout", text=text)


class KitResults(NbGraderPreprocessor):
    """In place of nbgrader's ``Execute``: each cell's output from the kit's results of the student.

    A check cell shows what the check cell itself shows in the student's notebook (``run_check``):
    ``✓ check passed (N points)``, or an error with the failure's headline, message and named
    mistake — so nbgrader scores it as if it had run, and the class report reads it. Other code
    cells keep the outputs the student handed in; a cell with code grading left out says that it
    was not re-run. A student whose grading failed: each check cell says so, with no count.
    """

    results = Unicode("", help="the route's graded folder: <results>/<student>/results.json").tag(config=True)
    submitted = Unicode("", help="the submitted notebooks: <submitted>/<student>/<assignment>/").tag(config=True)

    def preprocess(self, nb, resources):
        student, name = resources["nbgrader"]["student"], resources["nbgrader"]["notebook"]
        exercise = next((e for e in all_exercises().values() if e.module == name), None)
        if exercise is None:
            raise ValueError(f"{name}.ipynb is not one of the kit's exercise notebooks")
        folder = Path(self.results) / student
        graded = json.loads((folder / "meta.json").read_text())["status"] == "graded"
        tests = {t["extra_data"]["check"]: t for t in json.loads((folder / "results.json").read_text()).get("tests", [])
                 if t.get("extra_data", {}).get("exercise") == exercise.name}
        handed_in = _handed_in_outputs(Path(self.submitted) / student / resources["nbgrader"]["assignment"]
                                       / f"{name}.ipynb", len(nb.cells))
        left_out = {item.cell: item.reason for item in convert_cells(nb.cells).left_out}
        count = 0
        for number, cell in enumerate(nb.cells, start=1):
            if cell.cell_type == "code":
                ran = _fill(cell, exercise, tests if graded else None, handed_in[number - 1], left_out.get(number))
                count += ran
                cell.execution_count = count if ran else None
        return nb, resources


def _fill(cell, exercise: Exercise, tests: dict | None, handed_in: list, left_out: str | None) -> bool:
    """Set a code cell's outputs; whether it counts as run. ``tests`` None: the student's grading failed."""
    if is_check_cell(cell):
        cell.outputs = ([check_output(exercise, cell, tests)] if tests is not None
                        else [_stream(NOT_GRADED)])
        return tests is not None
    cell.outputs = ([_stream(NOT_RUN.format(reason=left_out))] if left_out else []) + handed_in
    return left_out is None


def _handed_in_outputs(path: Path, cells: int) -> list[list]:
    """The outputs of each cell of the notebook the student handed in; none where its cells do not line up."""
    try:
        notebook = nbformat.read(str(path), as_version=4)
    except Exception:  # noqa: BLE001 - sanitizing read it; any later problem only loses the outputs
        return [[] for _ in range(cells)]
    if len(notebook.cells) != cells:
        return [[] for _ in range(cells)]
    return [list(cell.get("outputs", [])) if cell.cell_type == "code" else [] for cell in notebook.cells]


def check_output(exercise: Exercise, cell, tests: dict) -> dict:
    """The output of a check cell: its check's result, or an error if the kit has none (never full points)."""
    from autograder.nbsource import check_for_grade_id

    grade_id = cell.metadata["nbgrader"]["grade_id"]
    try:
        check = exercise.check(check_for_grade_id(exercise, grade_id))
    except KeyError:
        raise ValueError(f"no check of the kit grades the cell {grade_id!r}: this route grades the kit's "
                         "check cells only") from None
    test = tests.get(check.name)
    if test is None:
        raise ValueError(f"the grading has no result for the check {check.name!r}")
    if test["status"] == "passed":
        return _stream(passed_line(check.name, check.points) + "\n")
    extra = test["extra_data"]
    failed = CheckFailed(test.get("output") or "", failed_headline(check.name, extra.get("failure"), check.points),
                         mistake=extra.get("mistake"))
    return nbformat.v4.new_output("error", ename="CheckFailed", evalue=failed.message, traceback=failed.render())


def flag_for_manual_grading(db_url: str, assignment: str, student: str) -> None:
    """Every grade of the student's submission: no score, needing manual grading (never an autograded 0)."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gradebook:
        submission = gradebook.find_submission(assignment, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                grade.auto_score = None
                grade.needs_manual_grade = True
        gradebook.db.commit()


def _graded(results: str, student: str) -> bool:
    return json.loads((Path(results) / student / "meta.json").read_text()).get("status") == "graded"


def record(assignment: str, results: str, students: list[str]) -> None:
    """Run nbgrader's autograde converter for each student, the kit's results in place of its execution."""
    from nbgrader.apps.autogradeapp import AutogradeApp
    from nbgrader.converters.base import NbGraderException

    app = AutogradeApp()
    app.initialize([])   # nbgrader_config.py of the course (the working directory), as `nbgrader autograde`
    app.coursedir.assignment_id = assignment
    app.config.KitResults.results = results
    app.config.KitResults.submitted = str(Path(app.coursedir.root) / app.coursedir.submitted_directory)
    for student in students:
        try:
            _converter(app, student).start()
            if not _graded(results, student):
                flag_for_manual_grading(app.coursedir.db_url, assignment, student)
        except NbGraderException as exc:
            print(json.dumps({"student": student, "error": str(exc) or "nbgrader failed (its log is above)"}))
            continue
        print(json.dumps({"student": student}), flush=True)


def _converter(app, student: str):
    """nbgrader's ``Autograde`` for one student, forced (the route decided who needs recording), with
    ``KitResults`` in place of ``Execute`` in the course's autograde steps."""
    from nbgrader.converters import Autograde
    from nbgrader.converters.base import NbGraderException
    from nbgrader.preprocessors import Execute

    app.coursedir.student_id = glob.escape(student)
    converter = Autograde(coursedir=app.coursedir, parent=app)
    converter.force = True
    steps = list(converter.autograde_preprocessors)
    if Execute not in steps:
        raise NbGraderException("the course's Autograde.autograde_preprocessors has no Execute step for the "
                                "kit's results to replace")
    converter.autograde_preprocessors = [KitResults if step is Execute else step for step in steps]
    return converter


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--course", required=True)
    parser.add_argument("--assignment", required=True)
    parser.add_argument("--results", required=True)
    parser.add_argument("students", nargs="+")
    args = parser.parse_args(argv)
    os.chdir(args.course)
    record(args.assignment, args.results, args.students)
    return 0


if __name__ == "__main__":
    sys.exit(main())
