"""Write a report: ``report.html``, ``report.json`` (the input of ``--previous``) and the figures as CSV.

- ``scores.csv``: a row per student — status, points per exercise (empty: not handed in or
  not graded), total;
- ``checks.csv``: a row per check — pass rate and failures by kind;
- ``mistakes.csv``: the ranked mistakes with description and example;
- ``grader_failures.csv``: the gradings that did not complete.

Students' text in them (names, example messages, details) is written inert (``autograder/spreadsheet.py``).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from autograder.grade.supervisor.results import write_atomically
from autograder.report.html import page
from autograder.report.table import KINDS
from autograder.spreadsheet import inert


def write_report(report: dict, out: Path) -> list[Path]:
    """Write every file of ``report`` into ``out``; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    files = {"report.json": json.dumps(report, ensure_ascii=False) + "\n",
             "report.html": page(report),
             "scores.csv": _csv(*scores_table(report)),
             "checks.csv": _csv(*checks_table(report)),
             "mistakes.csv": _csv(*mistakes_table(report)),
             "grader_failures.csv": _csv(["student", "exercise", "status", "detail"], report["grader_failures"])}
    for name, text in files.items():
        write_atomically(out / name, text)
    return [out / name for name in files]


# Columns whose text a student chose (a folder or zip name, what their code printed or raised).
STUDENT_TEXT = ("student", "example", "detail")


def _csv(fields: list[str], rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: inert(v) if k in STUDENT_TEXT and isinstance(v, str) else v for k, v in row.items()}
                     for row in rows)
    return buffer.getvalue()


def _g(value) -> str:
    return "" if value is None else f"{value:g}"


def scores_table(report: dict) -> tuple[list[str], list[dict]]:
    exercises = list(report["exercises"])
    rows = []
    for student, s in report["students"].items():
        parts = {e: (_g(s["exercises"][e]["points"]) if s["exercises"].get(e, {}).get("submitted") else "")
                 for e in exercises}
        rows.append({"student": student, "status": s["status"], **parts, "total": _g(s["total"])})
    return ["student", "status", *exercises, "total"], rows


def checks_table(report: dict) -> tuple[list[str], list[dict]]:
    kinds = [k for k in KINDS if k != "not_submitted"]
    rows = [{"exercise": c["exercise"], "check": c["check"], "hidden": c["hidden"], "max_points": _g(c["max_points"]),
             "students": c["students"], "passed": c["passed"], "pass_rate": _g(c["pass_rate"]),
             **{k: c["failures"].get(k, 0) for k in kinds}} for c in report["checks"]]
    return ["exercise", "check", "hidden", "max_points", "students", "passed", "pass_rate", *kinds], rows


def mistakes_table(report: dict) -> tuple[list[str], list[dict]]:
    fields = ["rank", "id", "exercise", "check", "hidden", "students", "consequence", "description", "example"]
    rows = [{"rank": i, **{k: m[k] for k in fields[1:]}} for i, m in enumerate(report["mistakes"], start=1)]
    return fields, rows
