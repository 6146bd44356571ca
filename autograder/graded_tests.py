"""Which test grades each declared check: the kit's test files, read without importing them.

The visible checks of an exercise are graded by tests in ``exercises/test_<module>.py``, its
hidden checks by tests in ``hidden_tests/test_<module>_hidden.py``; a test names the check it
grades with ``@graded("<exercise>", "<check>")``. The grader, the pytest plugin and the
notebooks' generator read the files' syntax trees here, so a declared check that no test
grades is found before anything runs: ``python -m autograder notebooks`` refuses, the pytest
score table lists the check as not run (and the run fails), and ``grade`` records no score.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from autograder.specs import HIDDEN_SPECS_NAME, Check, Exercise

VISIBLE_DIR = "exercises"
HIDDEN_DIR = "hidden_tests"
NO_TEST = "no test grades the check"


def visible_test_file(root: Path, exercise: Exercise) -> Path:
    return root / VISIBLE_DIR / f"test_{exercise.module}.py"


def hidden_test_file(root: Path, exercise: Exercise) -> Path:
    return root / HIDDEN_DIR / f"test_{exercise.module}_hidden.py"


def exercise_test_files(exercise: Exercise, root: Path) -> list[Path]:
    """The exercise's test files that exist under ``root``: the visible one, then the hidden one."""
    return [p for p in (visible_test_file(root, exercise), hidden_test_file(root, exercise)) if p.is_file()]


def home_of(root: Path, exercise: Exercise, check: Check) -> Path:
    """The file where the test of ``check`` belongs."""
    return hidden_test_file(root, exercise) if check.hidden else visible_test_file(root, exercise)


def _mark_of(decorator: ast.expr) -> tuple[str, str] | None:
    """(exercise, check) of a ``@graded("exercise", "check")`` decorator, else None."""
    if not isinstance(decorator, ast.Call):
        return None
    func = decorator.func
    if not ((isinstance(func, ast.Name) and func.id == "graded")
            or (isinstance(func, ast.Attribute) and func.attr == "graded")):
        return None
    values = [*decorator.args, *(k.value for k in decorator.keywords if k.arg in ("exercise", "check"))]
    if len(values) != 2 or not all(isinstance(v, ast.Constant) and isinstance(v.value, str) for v in values):
        return None
    return values[0].value, values[1].value


def graded_marks(path: Path) -> dict[tuple[str, str], str]:
    """``{(exercise, check): test function}`` of every test in ``path`` marked ``@graded``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    marks = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in node.decorator_list:
                mark = _mark_of(decorator)
                if mark:
                    marks[mark] = node.name
    return marks


@dataclass(frozen=True)
class Gap:
    """A declared check that no test grades."""

    exercise: Exercise
    check: Check
    file: Path   # where its test belongs

    def message(self, root: Path) -> str:
        declared = (f"{HIDDEN_SPECS_NAME} (HIDDEN[{self.exercise.name!r}]['checks'])" if self.check.hidden
                    else f"{self.exercise.spec_file} (checks)")
        return (f"{NO_TEST} {self.exercise.name}/{self.check.name} that {declared} declares: "
                f"add a test marked @graded({self.exercise.name!r}, {self.check.name!r}) to "
                f"{self.file.relative_to(root).as_posix()}, or remove the check")


def untested_checks(root: Path, exercise: Exercise) -> list[Gap]:
    """The checks of ``exercise`` (hidden ones where they are loaded) that no test under ``root`` grades."""
    marks: dict[Path, dict] = {}
    gaps = []
    for check in exercise.checks:
        file = home_of(root, exercise, check)
        if file not in marks:
            marks[file] = graded_marks(file) if file.is_file() else {}
        if (exercise.name, check.name) not in marks[file]:
            gaps.append(Gap(exercise, check, file))
    return gaps
