"""The two routes of a submission: in-process (``pytest --target``) and through ``python -m autograder grade``."""

from __future__ import annotations

import json
from pathlib import Path

from autograder.specs import all_exercises
from tests.helpers.kit import ROOT, run_kit


def files_of(module: str) -> list[str]:
    return [str(p.relative_to(ROOT)) for folder in ("exercises", "hidden_tests")
            for p in sorted((ROOT / folder).glob(f"test_{module}.py")) + sorted((ROOT / folder).glob(f"test_{module}_*.py"))]


def in_process(sub: Path, modules: list[str], training: bool, out: Path) -> dict:
    """Every check of ``modules`` run by pytest in one process: {(exercise, check): (status, points, message)}."""
    files = [f for m in modules for f in files_of(m)]
    args = ["-m", "pytest", *files, "--target", str(sub), "--score-json", str(out), "-q", "-p", "no:cacheprovider",
            "-W", "ignore"] + ([] if training else ["-m", "not training"])
    done = run_kit(*args, timeout=1800)
    assert done.returncode in (0, 1), f"in-process run failed ({done.returncode}):\n{done.stdout[-3000:]}"
    data = json.loads(out.read_text())
    return {(t["exercise"], t["check"]): (t["status"], t["points"], t["message"]) for t in data["tests"]}


def through_grade(sub: Path, training: bool, out: Path, args: list[str]) -> dict:
    """The same through ``python -m autograder grade``; only the exercises that were present."""
    done = run_kit("-m", "autograder", "grade", str(sub), "--results", str(out), "--quiet", *args,
                   *([] if training else ["--no-training"]), timeout=1800)
    assert done.returncode == 0, f"grade failed ({done.returncode}):\n{done.stderr[-3000:]}"
    return graded_checks(out)


def graded_checks(results_file: Path) -> dict:
    """A ``grade`` results file as {(exercise, check): (status, points, message)}."""
    data = json.loads(results_file.read_text())
    results = {}
    exercises = all_exercises()
    for name, exercise in exercises.items():
        tests = [t for t in data["tests"] if t["tags"][0] == name]
        for check, test in zip(exercise.checks, tests):
            results[(name, check.name)] = (test["status"], test["score"], test["output"])
    return results
