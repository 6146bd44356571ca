"""The report's figures, computed from a ``ClassTable`` (grader failures already set apart).

Every figure counts students, never submissions' rows twice:

- totals and each exercise's points: the values and their histogram (an exercise over
  the students who handed it in; a student with a grader failure counts in no total);
- each check's pass rate over the students who handed its exercise in, with the kinds of
  the failures (``time_limit`` and ``crash`` again in their own list);
- the named mistakes, ranked by how many students made them, with the declared
  description and one anonymised example message; the consequences (a check that failed
  because a function it builds on is wrong: ``uses_wrong_gradients``) rank after every
  mistake of the students' own, so the list opens with what to teach, not what follows from it;
- per exercise, who scored nothing: not handed in, or handed in and scored 0.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict

from autograder.specs import describe_mistake
from autograder.checks.upstream import UPSTREAM_MISTAKES
from autograder.report.anonymise import aliases, anonymise, example
from autograder.report.table import CRASH, NOT_SUBMITTED, TIME_LIMIT, ClassTable, Row


def exercise_order() -> list[str]:
    """The kit's exercises in workshop order."""
    from autograder.specs import all_exercises

    return list(all_exercises())


def exercise_titles() -> dict[str, str]:
    from autograder.specs import all_exercises

    return {name: e.title for name, e in all_exercises().items()}


def histogram(values: list[float], maximum: float) -> list[dict]:
    """Bins from 0 to ``maximum``: width 1 up to 30 points, else about 20 bins; the last bin holds ``maximum``."""
    top = max([maximum, *values, 1.0])
    width = 1.0 if top <= 30 else float(math.ceil(top / 20))
    count = int(math.floor(top / width)) + 1
    bins = [{"from": i * width, "to": (i + 1) * width, "count": 0} for i in range(count)]
    for value in values:
        bins[min(int(math.floor(value / width + 1e-9)), count - 1)]["count"] += 1
    return bins


def summary(values: list[float], maximum: float) -> dict:
    """Count, mean, median, min, max and histogram of some points."""
    return {"students": len(values), "max_points": maximum,
            "mean": round(statistics.fmean(values), 4) if values else None,
            "median": statistics.median(values) if values else None,
            "lowest": min(values) if values else None, "highest": max(values) if values else None,
            "histogram": histogram(values, maximum)}


def by_student_exercise(rows: list[Row]) -> dict[tuple[str, str], list[Row]]:
    groups: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in rows:
        groups[(row.student, row.exercise)].append(row)
    return groups


def submitted(rows: list[Row]) -> bool:
    """Whether the student handed the exercise in (some check ran on it)."""
    return any(r.failure != NOT_SUBMITTED for r in rows)


def student_scores(table: ClassTable, exercises: list[str]) -> dict[str, dict]:
    """Per student: status, points and maximum per exercise, total (None with a grader failure)."""
    groups = by_student_exercise(table.rows)
    failed_parts = {(f.student, f.exercise) for f in table.failures}
    failed_any = {f.student for f in table.failures}
    scores = {}
    for student in table.students:
        parts = {}
        for exercise in exercises:
            rows = groups.get((student, exercise))
            if rows:
                parts[exercise] = {"points": round(sum(r.points for r in rows), 6),
                                   "max_points": round(sum(r.max_points for r in rows), 6),
                                   "submitted": submitted(rows)}
            elif (student, exercise) in failed_parts or (student, None) in failed_parts:
                parts[exercise] = {"points": None, "max_points": None, "submitted": None}
        complete = student not in failed_any
        scores[student] = {
            "status": "graded" if complete else "grader failure",
            "exercises": parts,
            "total": round(sum(p["points"] for p in parts.values()), 6) if complete else None,
            "max_total": round(sum(p["max_points"] for p in parts.values()), 6) if complete else None,
        }
    return scores


def distributions(scores: dict[str, dict], exercises: list[str]) -> tuple[dict, dict]:
    """(totals, {exercise: points of those who handed it in}) as ``summary`` dicts."""
    graded = [s for s in scores.values() if s["total"] is not None]
    maximum = max([s["max_total"] for s in graded], default=0.0)
    totals = summary([s["total"] for s in graded], maximum)
    per_exercise = {}
    for exercise in exercises:
        parts = [s["exercises"][exercise] for s in scores.values()
                 if s["exercises"].get(exercise, {}).get("points") is not None]
        handed_in = [p for p in parts if p["submitted"]]
        maximum = max([p["max_points"] for p in parts], default=0.0)
        per_exercise[exercise] = {**summary([p["points"] for p in handed_in], maximum),
                                  "not_submitted": len(parts) - len(handed_in)}
    return totals, per_exercise


def check_rates(rows: list[Row], exercises: list[str]) -> list[dict]:
    """Each check's pass rate over the students who handed its exercise in, and its failures by kind."""
    checks: dict[tuple[str, str], dict] = {}   # in the grader's order (dicts keep insertion order)
    for row in rows:
        entry = checks.setdefault((row.exercise, row.check), {
            "exercise": row.exercise, "check": row.check, "hidden": row.hidden, "max_points": row.max_points,
            "students": 0, "passed": 0, "failures": defaultdict(int)})
        if row.failure == NOT_SUBMITTED:
            continue
        entry["students"] += 1
        entry["passed"] += row.passed
        if not row.passed and row.failure:
            entry["failures"][row.failure] += 1
    rank = {name: i for i, name in enumerate(exercises)}
    order = sorted(checks.values(), key=lambda c: rank.get(c["exercise"], len(rank)))
    for entry in order:
        entry["failures"] = dict(sorted(entry["failures"].items()))
        entry["pass_rate"] = round(entry["passed"] / entry["students"], 6) if entry["students"] else None
    return order


def ranked_mistakes(rows: list[Row], names: dict[str, list[str]] | None = None) -> list[dict]:
    """The named mistakes, most students first, each with its description and one anonymised example.

    ``names``: per student, what else names them in a message (``anonymise.aliases``).
    """
    names = names or {}
    students: dict[str, set[str]] = defaultdict(set)
    messages: dict[str, list[str]] = defaultdict(list)
    first: dict[str, Row] = {}
    for row in rows:
        if row.mistake:
            students[row.mistake].add(row.student)
            messages[row.mistake].append(anonymise(row.message, row.student, *names.get(row.student, [])))
            first.setdefault(row.mistake, row)
    ranked = []
    for mistake in sorted(students, key=lambda m: (is_consequence(m), -len(students[m]), m)):
        row = first[mistake]
        ranked.append({"id": mistake, "exercise": row.exercise, "check": row.check, "hidden": row.hidden,
                       "name": mistake.split(".", 2)[-1], "students": len(students[mistake]),
                       "consequence": is_consequence(mistake),
                       "description": describe_mistake(mistake), "example": example(messages[mistake])})
    return ranked


def is_consequence(mistake: str) -> bool:
    """Whether the mistake is a consequence of another (the check builds on a function that is wrong)."""
    return mistake.rsplit(".", 1)[-1] in UPSTREAM_MISTAKES


def limits_and_crashes(checks: list[dict]) -> list[dict]:
    """The checks some student's code timed out or crashed in, with the counts."""
    return [{"exercise": c["exercise"], "check": c["check"], "hidden": c["hidden"], "students": c["students"],
             TIME_LIMIT: c["failures"].get(TIME_LIMIT, 0), CRASH: c["failures"].get(CRASH, 0)}
            for c in checks if c["failures"].get(TIME_LIMIT) or c["failures"].get(CRASH)]


def scored_nothing(scores: dict[str, dict], exercises: list[str]) -> dict[str, dict]:
    """Per exercise: students who did not hand it in, and those who did and scored 0."""
    zero = {}
    for exercise in exercises:
        parts = {s: v["exercises"].get(exercise) for s, v in scores.items()}
        zero[exercise] = {
            "not_submitted": sorted(s for s, p in parts.items() if p and p["submitted"] is False),
            "submitted_zero": sorted(s for s, p in parts.items() if p and p["submitted"] and p["points"] == 0),
        }
    return zero


def compute(table: ClassTable) -> dict:
    """Every figure of the report (the body of ``report.json`` without the changes)."""
    known = exercise_order()
    seen = {r.exercise for r in table.rows}
    exercises = [e for e in known if e in seen] + sorted(seen - set(known))
    scores = student_scores(table, exercises)
    totals, per_exercise = distributions(scores, exercises)
    checks = check_rates(table.rows, exercises)
    titles = exercise_titles()
    return {
        "source": table.source,
        "exercises": {e: {"title": titles.get(e, e), **per_exercise[e]} for e in exercises},
        "students": {s: {**scores[s], "digest": table.submissions[s].digest,
                         "graded_at": table.submissions[s].graded_at} for s in table.students},
        "totals": totals,
        "checks": checks,
        "mistakes": ranked_mistakes(table.rows, {s: aliases(sub.people) for s, sub in table.submissions.items()}),
        "limits_and_crashes": limits_and_crashes(checks),
        "scored_nothing": scored_nothing(scores, exercises),
        "grader_failures": [{"student": f.student, "exercise": f.exercise, "status": f.status, "detail": f.detail}
                            for f in table.failures],
    }
