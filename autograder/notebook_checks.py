"""Graded notebook cells run the same pytest tests as ``pytest exercises/``.

A graded cell calls ``run_check("gradient_descent", "mse_value", globals())``: the
notebook's own functions become the ``submission`` of the test that grades that
check (the visible test in ``exercises/`` or, at grading, the hidden one in
``hidden_tests/``). A passing check prints its ✓ line; a failed check raises
``CheckFailed``, which nbgrader scores as 0 for that cell. In IPython the failure
shows only what the student needs — the check's message (expected, received, hint)
and the line of the student's own function that raised — not the kit's internals
(IPython's ``_render_traceback_`` protocol).

The test files are found wherever the kit is installed: beside the package in the
course repo (an editable install) or, in a student's install, in the package's
``visible_tests/`` (copies of ``exercises/test_*.py`` that the student bundle ships).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import re
import tempfile
import traceback
import types
from pathlib import Path

import pytest

from autograder import config
from autograder.checks import mistakes
from autograder.graded_tests import hidden_test_file, visible_test_file
from autograder.specs import Exercise, get_exercise

ANSI = re.compile(r"\x1b\[[0-9;]*m")

CHECK_CONFIG = config.PACKAGE_DIR / "check_cell.ini"   # pytest settings of a check cell: the kit's plugin only


class CheckFailed(AssertionError):
    """The check did not pass; the message says why, in the test's own words.

    In IPython (JupyterLab, nbconvert, nbgrader) the cell shows ``render()`` instead of a
    traceback through the kit.
    """

    def __init__(self, message: str, headline: str = "", where: str = "", mistake: str | None = None):
        super().__init__(message)
        self.message = message
        self.headline = headline
        self.where = where
        self.mistake = mistake

    def render(self) -> list[str]:
        lines = [self.headline] if self.headline else []
        lines += self.message.splitlines()
        if self.where:
            lines.append(self.where)
        if self.mistake:   # the named mistake: the class report counts these (parse_check_output)
            lines.append(f"mistake: {self.mistake}")
        return lines

    def _render_traceback_(self) -> list[str]:
        return self.render()


class NamespaceTarget:
    """A pytest plugin that hands the tests a module made from the notebook's namespace.

    It also keeps, from a failed test, the frame of the student's own code that raised
    and the full text of any missing-dataset error.
    """

    dl3_module_supplier = True

    def __init__(self, module_name: str, namespace: dict):
        self.module = types.ModuleType(module_name)
        self.module.__dict__.update({k: v for k, v in namespace.items() if not k.startswith("__")})
        self.student_files = {v.__code__.co_filename for v in namespace.values() if isinstance(v, types.FunctionType)}
        self.where = ""
        self.missing_data: list[str] = []

    def module_for(self, name: str) -> types.ModuleType:
        return self.module

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        yield
        if call.excinfo is None or call.when == "teardown":
            return
        from autograder.plugin import exception_chain, missing_data_errors

        self.missing_data += missing_data_errors(call.excinfo)
        frames = [frame for exc in exception_chain(call.excinfo.value)
                  for frame in traceback.extract_tb(exc.__traceback__) if frame.filename in self.student_files]
        if frames and not self.where:
            frame = frames[-1]
            self.where = f"in your function `{frame.name}`, line {frame.lineno}: {(frame.line or '').strip()}"


def check_file_candidates(exercise: Exercise, hidden: bool) -> list[Path]:
    """Where the test file of a check may be: the course repo first, then the package data."""
    if hidden:
        return [hidden_test_file(config.KIT_ROOT, exercise)]
    visible = visible_test_file(config.KIT_ROOT, exercise)
    return [visible, config.VISIBLE_TESTS_PACKAGED / visible.name]


def test_file_for(exercise_name: str, check_name: str) -> Path:
    """The test file holding the check: exercises/test_<m>.py or hidden_tests/test_<m>_hidden.py."""
    exercise = get_exercise(exercise_name)
    try:
        hidden = exercise.check(check_name).hidden
    except KeyError:  # hidden checks' names are known only where the hidden specs are
        hidden = True
    for path in check_file_candidates(exercise, hidden):
        if path.is_file():
            return path
    raise CheckFailed(f"the {'hidden ' if hidden else ''}check {check_name!r} is not available here; "
                      "it runs when your notebook is graded")


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


def _points(points: float) -> str:
    return f"{points:g} point{'s' if points != 1 else ''}"


def passed_line(check_name: str, points: float) -> str:
    """What a check cell prints when its check passed (the class report and nbgrader read it)."""
    return f"✓ {check_name} passed ({_points(points)})"


def failed_headline(check_name: str, failure: str | None, points: float) -> str:
    """The first line a failed check cell shows (``HEADLINE`` parses it back)."""
    failure = failure or mistakes.WRONG_ANSWER
    return f"✗ {check_name}: {mistakes.KIND_WORDS.get(failure, failure)} (0 of {_points(points)})"


def run_check(exercise_name: str, check_name: str, namespace: dict) -> None:
    """Run one graded check against the functions defined in ``namespace``; print the result.

    Raises CheckFailed (so nbgrader gives the cell 0 points) unless the check passed.
    """
    exercise = get_exercise(exercise_name)
    path = test_file_for(exercise_name, check_name)
    check = exercise.check(check_name)
    nodeid = f"{path}::{test_name_for(path, exercise_name, check_name)}"
    target = NamespaceTarget(exercise.module, namespace)
    with tempfile.TemporaryDirectory() as tmp:
        score = Path(tmp) / "score.json"
        with contextlib.redirect_stdout(io.StringIO()):  # pytest's own report is not for students
            pytest.main([nodeid, "-q", "--no-header", "--tb=no", f"--rootdir={path.parent}",
                         "-c", str(CHECK_CONFIG), "--score-json", str(score)], plugins=[target])
        results = json.loads(score.read_text())["tests"] if score.is_file() else []
    if not results:
        raise CheckFailed(f"the check {check_name!r} did not run")
    result = results[0]
    if result["status"] != "passed":
        headline = failed_headline(check_name, result.get("failure"), check.points)
        message = "\n\n".join(dict.fromkeys(target.missing_data)) or result["message"]
        where = target.where if result["status"] == "failed" else ""  # "not implemented" names it already
        raise CheckFailed(message, headline=headline, where=where, mistake=result.get("mistake"))
    print(passed_line(check_name, check.points))


HEADLINE = re.compile(r"^✗ (?P<check>\w+): (?P<words>.+) \(0 of [\d.]+ points?\)$")
MISTAKE_LINE = re.compile(r"^mistake: (?P<id>[\w]+\.[\w]+\.[\w]+)$")


def parse_check_output(lines: list[str]) -> tuple[str | None, str | None]:
    """(failure kind, mistake id) from the lines a failed check cell showed (its traceback); (None, None)
    when they are not a check's failure. The class report reads autograded notebooks with it."""
    clean = [ANSI.sub("", line).strip() for text in lines for line in str(text).splitlines()]
    kind = mistake = None
    words = {w: k for k, w in mistakes.KIND_WORDS.items()}
    for line in clean:
        head, tail = HEADLINE.match(line), MISTAKE_LINE.match(line)
        if head and kind is None:
            kind = words.get(head.group("words"), mistakes.WRONG_ANSWER)
        if tail:
            mistake = tail.group("id")
    return kind, mistake
