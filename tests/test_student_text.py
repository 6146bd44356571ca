"""Students' text is inert in what instructors open: CSV cells that a student chose and that a spreadsheet
would run as a formula are written with a leading quote (OWASP), and HTML escapes their markup."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from autograder import batch
from autograder.report import build_report
from autograder.report.from_batch import read_batch
from autograder.report.write import write_report
from autograder.specs import all_exercises, get_exercise
from autograder.spreadsheet import inert

GD = get_exercise("gradient_descent")
FORMULA_FOLDER = '=HYPERLINK("evil.example","click")'
MARKUP_FOLDER = "<img src=x onerror=alert(1)>"
PRINTED = "=cmd|' /C calc'!A0 and <script>alert('printed')</script>"


@pytest.mark.parametrize("text", ["=1+2", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1"])
def test_a_cell_that_would_run_as_a_formula_is_quoted(text):
    assert inert(text) == "'" + text


@pytest.mark.parametrize("text", ["alice", "1.5", "", "a=b", " =not at the start", "'already quoted"])
def test_other_text_is_written_as_it_is(text):
    assert inert(text) == text


def graded_student(out: Path, student: str, output: str) -> None:
    """A grade-batch folder of one graded student, one failed check with ``output`` as its message."""
    folder = out / student
    folder.mkdir(parents=True)
    check = GD.checks[0]
    test = {"name": f"{GD.title} — {check.name}", "score": 0.0, "max_score": float(check.points), "status": "failed",
            "output": output, "tags": [GD.name],
            "extra_data": {"exercise": GD.name, "check": check.name, "hidden": False, "failure": "crash",
                           "mistake": f"{GD.name}.{check.name}.crash"}}
    (folder / batch.RESULTS).write_text(json.dumps({"score": 0.0, "tests": [test]}))
    (folder / batch.META).write_text(json.dumps({"student": student, "digest": "d", "status": "graded"}))


def rows(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_gradebook_csv_quotes_a_folder_name_that_is_a_formula(tmp_path):
    graded_student(tmp_path, FORMULA_FOLDER, "mse raised ValueError")
    graded_student(tmp_path, "alice", "mse raised ValueError")
    book = {row["student"]: row for row in rows(batch.write_gradebook(tmp_path))}
    assert set(book) == {"'" + FORMULA_FOLDER, "alice"}
    assert book["alice"]["total"] == "0" and list(book["alice"])[1:-2] == list(all_exercises())


def test_the_class_reports_tables_quote_names_and_printed_text_and_its_page_escapes_them(tmp_path):
    graded = tmp_path / "graded"
    graded_student(graded, FORMULA_FOLDER, PRINTED)
    graded_student(graded, MARKUP_FOLDER, PRINTED)
    files = write_report(build_report(read_batch(graded), source="grade-batch", graded=str(graded)), tmp_path / "r")
    scores = {row["student"] for row in rows(tmp_path / "r" / "scores.csv")}
    assert "'" + FORMULA_FOLDER in scores and MARKUP_FOLDER in scores
    examples = [row["example"] for row in rows(tmp_path / "r" / "mistakes.csv")]
    assert len(examples) == 1 and examples[0].startswith("'=cmd|'")   # (the report cuts paths: "/C" → "C")
    page = (tmp_path / "r" / "report.html").read_text()
    assert "<script>alert(" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(" in page
    assert len(files) == 6
