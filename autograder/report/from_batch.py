"""Read a ``grade-batch`` output directory: ``OUT/<student>/results.json`` and ``meta.json``.

Who handed it in comes from the results' ``extra_data.dl3.users`` (``autograder.identity``).
Each test of a Gradescope ``results.json`` carries, in ``extra_data``, its exercise, check,
whether it is hidden, its failure kind and its mistake id (``autograder.grade.supervisor.results``).
Results written before the kit named its mistakes lack those fields: the exercise then
comes from the test's first tag, the check from its name, the kind from its output, and
the mistake is unknown.
"""

from __future__ import annotations

import json
from pathlib import Path

from autograder.identity import people_of
from autograder.report.table import (CRASH, NOT_IMPLEMENTED, NOT_SUBMITTED, TIME_LIMIT, WRONG_ANSWER, ClassTable,
                                     IncompleteGrading, Row, GradingRecord)

RESULTS = "results.json"
META = "meta.json"


def is_batch_output(path: Path) -> bool:
    """Whether ``path`` looks like a ``grade-batch`` output directory (a ``<student>/meta.json``)."""
    return path.is_dir() and any(path.glob(f"*/{META}"))


def read_batch(out: Path) -> ClassTable:
    """Every student of ``out`` as rows; an unfinished or unreadable grading as an ``IncompleteGrading``."""
    table = ClassTable("grade-batch")
    for meta_path in sorted(out.glob(f"*/{META}")):
        student = meta_path.parent.name
        meta = _read_json(meta_path) or {}
        results = _read_json(meta_path.parent / RESULTS)
        table.submissions[student] = GradingRecord(student, str(meta.get("digest", "")), meta.get("graded_at"),
                                                people_of(results))
        status = meta.get("status", "unreadable meta.json")
        if status == "graded" and isinstance(results, dict) and isinstance(results.get("tests"), list):
            table.rows += [test_row(student, test) for test in results["tests"]]
        else:
            detail = meta.get("detail") or ("results.json is unreadable" if results is None
                                            else str(results.get("output", ""))[:300])
            table.failures.append(IncompleteGrading(student, None, "grader-error" if status == "graded" else status,
                                                detail))
    return table


def _read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def test_row(student: str, test: dict) -> Row:
    """One Gradescope test as a row."""
    extra = test.get("extra_data") or {}
    tags = test.get("tags") or []
    passed = test.get("status") == "passed"
    output = str(test.get("output") or "")
    failure = extra["failure"] if "failure" in extra else (None if passed else legacy_kind(output))
    return Row(student=student,
               exercise=extra.get("exercise") or (tags[0] if tags else "?"),
               check=extra.get("check") or check_from_name(str(test.get("name", ""))),
               hidden=bool(extra.get("hidden", "hidden" in tags)),
               points=float(test.get("score") or 0.0),
               max_points=float(test.get("max_score") or 0.0),
               passed=passed, failure=None if passed else failure,
               mistake=None if passed else extra.get("mistake"),
               message="" if passed else output)


def check_from_name(name: str) -> str:
    """``"2. Gradient descent — mse_value: mse matches ..."`` → ``"mse_value"``."""
    return name.split(" — ", 1)[-1].split(":", 1)[0].strip()


def legacy_kind(output: str) -> str:
    """The failure kind of a results file written before kinds were recorded, from its text."""
    text = output.lower()
    if "is not in your submission" in text:
        return NOT_SUBMITTED
    if "not implemented" in text:
        return NOT_IMPLEMENTED
    if "time limit" in text:
        return TIME_LIMIT
    if "raised" in text or "could not import" in text or "crashed" in text:
        return CRASH
    return WRONG_ANSWER
