"""Graded notebook cells run the same pytest tests as ``pytest exercises/``.

A graded cell calls ``run_check("gradient_descent", "mse_value", globals())``: the
notebook's own functions become the ``submission`` of the test that grades that
check (the visible test in ``exercises/`` or, at grading, the hidden one in
``hidden_tests/``). The cell prints the result; a failed check raises
``CheckFailed``, which nbgrader scores as 0 for that cell.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import tempfile
import types
from pathlib import Path

import pytest

from autograder.specs import get_exercise

REPO_ROOT = Path(__file__).resolve().parent.parent


class CheckFailed(AssertionError):
    """The check did not pass; the message says why, in the test's own words."""


class NamespaceTarget:
    """A pytest plugin that hands the tests a module made from the notebook's namespace."""

    dl3_module_supplier = True

    def __init__(self, module_name: str, namespace: dict):
        self.module = types.ModuleType(module_name)
        self.module.__dict__.update({k: v for k, v in namespace.items() if not k.startswith("__")})

    def module_for(self, name: str) -> types.ModuleType:
        return self.module


def test_file_for(exercise_name: str, check_name: str) -> Path:
    """The test file holding the check: exercises/test_<m>.py or hidden_tests/test_<m>_hidden.py."""
    exercise = get_exercise(exercise_name)
    hidden = exercise.check(check_name).hidden
    path = (REPO_ROOT / "hidden_tests" / f"test_{exercise.module}_hidden.py" if hidden
            else REPO_ROOT / "exercises" / f"test_{exercise.module}.py")
    if not path.is_file():
        raise CheckFailed(f"the {'hidden ' if hidden else ''}check {check_name!r} is not available here "
                          f"({path.relative_to(REPO_ROOT)} is missing); it runs when your notebook is graded")
    return path


def test_name_for(path: Path, exercise_name: str, check_name: str) -> str:
    """The name of the test function in ``path`` marked ``@graded(exercise_name, check_name)``."""
    spec = importlib.util.spec_from_file_location(f"_dl3_checks_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, obj in vars(module).items():
        for mark in getattr(obj, "pytestmark", []):
            if mark.name == "graded" and mark.kwargs == {"exercise": exercise_name, "check": check_name}:
                return name
    raise LookupError(f"no test in {path} grades {exercise_name}/{check_name}")


def run_check(exercise_name: str, check_name: str, namespace: dict) -> None:
    """Run one graded check against the functions defined in ``namespace``; print the result.

    Raises CheckFailed (so nbgrader gives the cell 0 points) unless the check passed.
    """
    exercise = get_exercise(exercise_name)
    check = exercise.check(check_name)
    path = test_file_for(exercise_name, check_name)
    nodeid = f"{path}::{test_name_for(path, exercise_name, check_name)}"
    with tempfile.TemporaryDirectory() as tmp:
        score = Path(tmp) / "score.json"
        with contextlib.redirect_stdout(io.StringIO()):  # pytest's own report is not for students
            pytest.main([nodeid, "-q", "--no-header", "--tb=no", "-p", "no:cacheprovider", "-p", "no:warnings",
                         f"--rootdir={REPO_ROOT}", "-c", str(REPO_ROOT / "pyproject.toml"),
                         "--score-json", str(score)],
                        plugins=[NamespaceTarget(exercise.module, namespace)])
        results = json.loads(score.read_text())["tests"] if score.is_file() else []
    if not results:
        raise CheckFailed(f"the check {check_name!r} did not run")
    result = results[0]
    if result["status"] != "passed":
        raise CheckFailed(f"{check_name}: {result['message']}")
    print(f"✓ {check_name} passed ({check.points:g} point{'s' if check.points != 1 else ''})")
