"""A grading run's results, and their three formats: Gradescope's results.json, plain text, JUnit XML.

Gradescope's format (https://gradescope-autograders.readthedocs.io/en/latest/specs/):
top-level ``score``, ``execution_time``, ``output``, ``tests``; each test has ``name``,
``score``, ``max_score``, ``status`` ("passed"/"failed"), ``output`` and ``visibility``.
Hidden checks are ``"after_due_date"``: students see them once the due date has passed.
"""

from __future__ import annotations

import json
import os
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

MAX_TEST_OUTPUT = 8000


@dataclass
class TestResult:
    exercise: str
    check: str
    name: str
    number: str
    score: float
    max_score: float
    status: str           # "passed" or "failed"
    output: str
    hidden: bool
    kind: str = "graded"  # "graded", "not implemented", "absent", "unreadable", "not run"
    duration: float = 0.0
    failure: str | None = None   # the kind of failure (autograder/checks/mistakes.py); None when passed
    mistake: str | None = None   # the named mistake "<exercise>.<check>.<name>", where the failure has one

    def extra_data(self) -> dict:
        """What a machine reads of this test (the class report): which check, and what went wrong."""
        return {"exercise": self.exercise, "check": self.check, "hidden": self.hidden,
                "failure": self.failure, "mistake": self.mistake}


@dataclass
class Results:
    tests: list[TestResult] = field(default_factory=list)
    execution_time: float = 0.0
    notes: list[str] = field(default_factory=list)
    graded_files: dict[str, str] = field(default_factory=dict)   # module -> where it came from
    metadata: dict = field(default_factory=dict)   # the box, the plan, the peak memory (runner.py)
    incomplete: str | None = None   # why grading could not complete (the grader's failure): no score then

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tests), 6)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_score for t in self.tests), 6)

    def per_exercise(self, include_hidden: bool = True) -> dict[str, dict]:
        """Score, points, checks passed and checks run per exercise; ``include_hidden=False``: visible checks only."""
        rows: dict[str, dict] = {}
        for test in self.tests:
            if test.hidden and not include_hidden:
                continue
            row = rows.setdefault(test.exercise, {"score": 0.0, "max_score": 0.0, "passed": 0, "checks": 0})
            row["score"] += test.score
            row["max_score"] += test.max_score
            row["passed"] += test.status == "passed"
            row["checks"] += 1
        return rows

    def hidden_summary(self) -> dict[str, dict]:
        """What a student may know of the hidden checks before the due date: how many, how many points."""
        rows: dict[str, dict] = {}
        for test in self.tests:
            if test.hidden:
                row = rows.setdefault(test.exercise, {"checks": 0, "max_score": 0.0})
                row["checks"] += 1
                row["max_score"] += test.max_score
        return rows


def _clip(text: str, limit: int = MAX_TEST_OUTPUT) -> str:
    return text if len(text) <= limit else text[:limit] + f"\n... ({len(text) - limit:,} more characters)"


def summary_text(results: Results, include_hidden: bool = False) -> str:
    """The plain-text summary: files graded, notes, a table per exercise, then each failed check.

    Students see it (Gradescope's top-level ``output``, the grading command's stdout), so by
    default it names visible checks only: the tables count visible checks and points, and the
    hidden checks appear as one line per exercise saying how many there are and what they are
    worth, never their names, messages or scores. ``include_hidden=True`` is the instructor's view.
    """
    from autograder.specs import all_exercises

    exercises = all_exercises()
    lines = ["Deep Learning 3 — grading results", ""]
    for name in exercises:
        module = exercises[name].module
        lines.append(f"  {exercises[name].filename:<22} "
                     f"{results.graded_files.get(module, 'not in the submission')}")
    lines += [f"  note: {n}" for n in results.notes]
    lines.append("")
    width = max(len(e.title) for e in exercises.values())
    rows = results.per_exercise(include_hidden)
    hidden = {} if include_hidden else results.hidden_summary()
    for name in [n for n in exercises if n in rows or n in hidden]:
        row = rows.get(name, {"score": 0.0, "max_score": 0.0, "passed": 0, "checks": 0})
        line = (f"{exercises[name].title:<{width}}  {row['passed']:>3}/{row['checks']:<3} checks  "
                f"{row['score']:>6g}/{row['max_score']:<6g}")
        if name in hidden:
            line += f"  + {_hidden_phrase(hidden[name]['checks'], hidden[name]['max_score'])}"
        lines.append(line)
    total = sum(r["score"] for r in rows.values())
    max_total = sum(r["max_score"] for r in rows.values())
    if include_hidden:
        lines.append(f"{'total':<{width}}  {'':>14}  {results.score:>6g}/{results.max_score:<6g}")
    else:
        lines.append(f"{'visible total':<{width}}  {'':>14}  {total:>6g}/{max_total:<6g}")
        if hidden:
            phrase = _hidden_phrase(sum(h["checks"] for h in hidden.values()),
                                    sum(h["max_score"] for h in hidden.values()))
            lines.append(f"and {phrase}: their results are shown after the due date")
    whole = {}
    for test in results.tests:
        if test.kind in ("absent", "unreadable"):
            whole.setdefault(test.exercise, test.output)
    for exercise, why in whole.items():
        lines.append(f"  {exercises[exercise].title}: {why.splitlines()[0][:200]}")
    failed = [t for t in results.tests if t.status != "passed" and t.exercise not in whole
              and (include_hidden or not t.hidden)]
    if failed:
        lines += ["", "Checks not passed:"]
        for test in failed:
            first = (test.output.strip().splitlines() or [""])[0]
            lines.append(f"  - {test.name}{' (hidden)' if test.hidden else ''}: {first[:160]}")
    lines.append(f"\ngraded in {results.execution_time:.1f} s")
    return "\n".join(lines) + "\n"


def _hidden_phrase(checks: int, points: float) -> str:
    return (f"{checks} hidden check{'s' if checks != 1 else ''} "
            f"worth {points:g} point{'s' if points != 1 else ''}")


INCOMPLETE = "grading could not complete — this is not your score"


def incomplete_json(results: Results) -> dict:
    """The results of a run the grader could not complete: no score, no tests, on purpose.

    Gradescope records no grade from a results file without a score and flags the
    submission as an autograder failure (the instructor sees it, the student keeps the
    previous score and can resubmit); a score of 0 here would be recorded as a grade.
    """
    return {
        "execution_time": int(round(results.execution_time)),
        "output": f"{INCOMPLETE}.\n" + ("The grading was stopped before it finished (not because of your code); "
                                        "your instructor has been told." if results.metadata.get("stopped") else
                                        "The grader itself failed (not your code); your instructor has been told "
                                        "the cause."),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {"dl3": {**results.metadata, "incomplete": results.incomplete}},
    }


def gradescope_json(results: Results) -> dict:
    """Gradescope's results.json; hidden checks only in their own ``after_due_date`` tests."""
    if results.incomplete:
        return incomplete_json(results)
    return {
        "extra_data": {"dl3": results.metadata},
        "score": results.score,
        "execution_time": int(round(results.execution_time)),
        "output": summary_text(results),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [
            {
                "name": t.name,
                "number": t.number,
                "score": t.score,
                "max_score": t.max_score,
                "status": t.status,
                "output": _clip(t.output),
                "visibility": "after_due_date" if t.hidden else "visible",
                "tags": [t.exercise] + (["hidden"] if t.hidden else []) + ([t.mistake] if t.mistake else []),
                "extra_data": t.extra_data(),
            }
            for t in results.tests
        ],
    }


def junit_xml(results: Results) -> str:
    suites = ET.Element("testsuites", name="dl3-grading", tests=str(len(results.tests)),
                        failures=str(sum(t.status != "passed" for t in results.tests)),
                        time=f"{results.execution_time:.3f}")
    by_exercise: dict[str, list[TestResult]] = {}
    for test in results.tests:
        by_exercise.setdefault(test.exercise, []).append(test)
    for exercise, tests in by_exercise.items():
        suite = ET.SubElement(suites, "testsuite", name=exercise, tests=str(len(tests)),
                              failures=str(sum(t.status != "passed" for t in tests)),
                              time=f"{sum(t.duration for t in tests):.3f}")
        for test in tests:
            case = ET.SubElement(suite, "testcase", classname=exercise, name=test.check,
                                 time=f"{test.duration:.3f}")
            props = ET.SubElement(case, "properties")
            for key, value in (("score", test.score), ("max_score", test.max_score), ("hidden", test.hidden),
                               ("kind", test.kind), ("failure", test.failure or ""), ("mistake", test.mistake or "")):
                ET.SubElement(props, "property", name=key, value=str(value))
            if test.status != "passed":
                failure = ET.SubElement(case, "failure", message=(test.output.splitlines() or [test.kind])[0][:300],
                                        type=test.failure or test.kind)
                failure.text = _clip(test.output)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same directory, synced, and a rename.

    A reader sees the old file or the new one, never a part; a failure removes the temporary file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_gradescope(results: Results, path: Path) -> None:
    write_atomically(path, json.dumps(gradescope_json(results), indent=2) + "\n")


def validate_gradescope(data: dict) -> list[str]:
    """Problems with a results.json document (empty when it is valid); the kit's tests use it."""
    problems = []
    if "score" not in data and "tests" not in data and INCOMPLETE in str(data.get("output")):
        return []   # the kit's "grading could not complete" form: no score on purpose
    for key, types in (("score", (int, float)), ("execution_time", (int, float)), ("output", str),
                       ("tests", list)):
        if not isinstance(data.get(key), types):
            problems.append(f"top-level {key!r} missing or of the wrong type")
    for i, test in enumerate(data.get("tests") or []):
        for key, types in (("name", str), ("score", (int, float)), ("max_score", (int, float)),
                           ("status", str), ("output", str), ("visibility", str)):
            if not isinstance(test.get(key), types):
                problems.append(f"test {i}: {key!r} missing or of the wrong type")
        if test.get("status") not in ("passed", "failed"):
            problems.append(f"test {i}: status {test.get('status')!r}")
        if test.get("visibility") not in ("hidden", "after_due_date", "after_published", "visible"):
            problems.append(f"test {i}: visibility {test.get('visibility')!r}")
        if isinstance(test.get("score"), (int, float)) and isinstance(test.get("max_score"), (int, float)) \
                and not 0 <= test["score"] <= test["max_score"]:
            problems.append(f"test {i}: score {test['score']} outside 0..{test['max_score']}")
    if isinstance(data.get("tests"), list) and isinstance(data.get("score"), (int, float)):
        total = sum(t.get("score", 0) for t in data["tests"] if isinstance(t.get("score"), (int, float)))
        if abs(total - data["score"]) > 1e-6:
            problems.append(f"score {data['score']} is not the sum of the tests' scores {total}")
    return problems
