"""The kit's pytest plugin: points per check, a score table, and the target switch.

Loaded by ``-p autograder.plugin`` (the repo's pytest configuration does this).

- ``@graded("gradient_descent", "mse_value")`` ties a test to a check of an exercise's
  spec; the spec gives its points, whether it is hidden, and whether it trains a model
  (those get the ``training`` marker: ``pytest exercises/ -m "not training"`` runs
  the quick checks alone).
- The ``submission`` fixture is the student's module for the test's exercise, loaded
  from the target directory: ``--target exercises`` (default), ``--target solutions``
  (the reference), or any directory. ``$DL3_TARGET`` sets the default.
- A stub that raises ``NotImplementedError`` reads "not implemented yet" and scores 0;
  a ``CheckFailure`` shows only its expected/received text.
- ``--score-json PATH`` writes every graded result as JSON (the grader reads it).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType
from typing import Callable

import pytest

from autograder.checks.values import CheckFailure
from autograder.specs import Check, Exercise, all_exercises, get_exercise

TARGET_ENV = "DL3_TARGET"
# A plugin object with this attribute set (see autograder.notebook_checks) supplies
# the submission modules itself through its module_for(name), e.g. from a notebook.
MODULE_SUPPLIER = "dl3_module_supplier"
VISIBLE_ONLY = "visible checks only — hidden checks run at grading"

_GRADED = pytest.StashKey[tuple]()
_RESULTS = pytest.StashKey[dict]()


def graded(exercise: str, check: str) -> Callable:
    """Decorator: this test grades ``check`` of ``exercise`` (points and markers from the spec)."""
    spec = get_exercise(exercise).check(check)
    marks = [pytest.mark.graded(exercise=exercise, check=check)]
    if spec.training:
        marks.append(pytest.mark.training)

    def apply(test):
        for mark in marks:
            test = mark(test)
        return test

    return apply


class SubmissionImportError(Exception):
    """The student's file could not be imported; every test of that exercise reports it."""


@dataclass
class Result:
    nodeid: str
    exercise: str
    check: str
    points: float
    max_points: float
    hidden: bool
    status: str  # "passed", "failed", "not implemented", "skipped"
    message: str
    duration: float = 0.0


# --------------------------------------------------------------------------
# Options and the target


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dl3", "Deep Learning 3 exercise kit")
    group.addoption(
        "--target", default=None,
        help="whose code the exercise tests grade: 'exercises' (default, the student's), "
             f"'solutions' (the reference), or a directory. Default from ${TARGET_ENV}.")
    group.addoption("--score-json", default=None, metavar="PATH",
                    help="also write every graded result to PATH as JSON")
    group.addoption("--sandbox", action="store_true", default=False,
                    help="run the target's code in a sandboxed child process (grading: autograder/grade/sandbox.py)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "graded(exercise, check): a graded check (use autograder.plugin.graded)")
    config.addinivalue_line("markers", "training: trains a model; deselect with -m 'not training'")
    config.stash[_RESULTS] = {}


def target_dir(config: pytest.Config) -> Path:
    """The directory whose exercise files are graded."""
    value = config.getoption("--target") or os.environ.get(TARGET_ENV) or "exercises"
    path = Path(value)
    return path if path.is_absolute() else (config.rootpath / path)


def import_file(path: Path, module_name: str) -> ModuleType:
    """Import ``path`` as a fresh module called ``module_name``."""
    if not path.is_file():
        raise SubmissionImportError(f"{path} does not exist: the exercise file is missing")
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:
        sys.modules.pop(module_name, None)
        where = ""
        if isinstance(exc, SyntaxError):
            where = f" (line {exc.lineno}: {(exc.text or '').strip()})"
        raise SubmissionImportError(
            f"could not import {path.name}: {type(exc).__name__}: {exc}{where}\n"
            f"  hint: run `python {path}` and fix the first error it shows"
        ) from None
    return module


@pytest.fixture(scope="session")
def load_target(request: pytest.FixtureRequest) -> Callable[[str], ModuleType]:
    """``load_target("gradient_descent")`` → the target's module (imported once per session)."""
    root = target_dir(request.config)
    cache: dict[str, ModuleType | SubmissionImportError] = {}
    supplier = next((p for p in request.config.pluginmanager.get_plugins()
                     if getattr(p, MODULE_SUPPLIER, False)), None)

    def load(module: str) -> ModuleType:
        if supplier is not None:
            return supplier.module_for(module)
        if module not in cache:
            try:
                cache[module] = import_file(root / f"{module}.py", f"dl3_target_{module}")
            except SubmissionImportError as exc:
                cache[module] = exc
        found = cache[module]
        if isinstance(found, SubmissionImportError):
            raise SubmissionImportError(str(found))
        return found

    return load


@pytest.fixture
def submission(request: pytest.FixtureRequest, load_target) -> ModuleType:
    """The student's module for this test's exercise."""
    exercise = _graded_info(request.node)
    if exercise is None:
        raise pytest.UsageError("the submission fixture needs a test marked with @graded(...)")
    if request.config.getoption("--sandbox"):
        from autograder.grade.sandbox import open_submission

        with open_submission(request.config, exercise[0]) as proxy:
            yield proxy
        return
    yield load_target(exercise[0].module)


# --------------------------------------------------------------------------
# Collection and reports


def _graded_info(item: pytest.Item) -> tuple[Exercise, Check] | None:
    if _GRADED in item.stash:
        return item.stash[_GRADED]
    mark = item.get_closest_marker("graded")
    if mark is None:
        return None
    exercise = get_exercise(mark.kwargs["exercise"])
    info = (exercise, exercise.check(mark.kwargs["check"]))
    item.stash[_GRADED] = info
    return info


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        _graded_info(item)


def _chain(exc: BaseException | None):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _unimplemented_function(excinfo: pytest.ExceptionInfo, module_file: str) -> str | None:
    names = [entry.name for entry in excinfo.traceback if str(entry.path).endswith(module_file)]
    return names[-1] if names else None


def describe_failure(excinfo: pytest.ExceptionInfo, exercise: Exercise) -> tuple[str, str] | None:
    """(status, student-facing text) for the kit's known kinds of failure; None for others."""
    chain = list(_chain(excinfo.value))
    if any(isinstance(e, NotImplementedError) for e in chain):
        func = _unimplemented_function(excinfo, exercise.filename)
        what = f"`{func}`" if func else "a function this check calls"
        return ("not implemented",
                f"not implemented yet: {what} in {exercise.filename} still raises NotImplementedError")
    for exc in chain:
        if isinstance(exc, (CheckFailure, SubmissionImportError)):
            return "failed", str(exc)
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    info = _graded_info(item)
    if info is None or report.when == "teardown":
        return
    exercise, check = info
    results = item.config.stash[_RESULTS]
    if report.when == "setup" and report.passed:
        return
    status, message = "passed", ""
    if report.skipped:
        status = "skipped"
        message = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else ""
    elif report.failed:
        status, message = "failed", ""
        known = describe_failure(call.excinfo, exercise) if call.excinfo else None
        if known:
            status, message = known
            report.longrepr = f"{message}\n  [{exercise.name} · {check.name}, {check.points:g} pt]"
        else:
            message = str(report.longrepr)
    results[item.nodeid] = Result(
        nodeid=item.nodeid, exercise=exercise.name, check=check.name,
        points=check.points if status == "passed" else 0.0, max_points=check.points,
        hidden=check.hidden, status=status, message=message, duration=report.duration,
    )


# --------------------------------------------------------------------------
# The score table


def score_summary(results: list[Result]) -> dict:
    """Per-exercise and total points of a run, and whether any hidden check ran."""
    exercises = all_exercises()
    per = {}
    for res in results:
        row = per.setdefault(res.exercise, {"points": 0.0, "max_points": 0.0, "passed": 0, "checks": 0})
        row["points"] += res.points
        row["max_points"] += res.max_points
        row["passed"] += res.status == "passed"
        row["checks"] += 1
    ordered = {name: per[name] for name in exercises if name in per}
    hidden_ran = any(r.hidden for r in results)
    hidden_left = sum(e.points - e.visible_points for n, e in exercises.items() if n in per) if not hidden_ran else 0
    return {
        "exercises": ordered,
        "total": sum(r["points"] for r in ordered.values()),
        "max_total": sum(r["max_points"] for r in ordered.values()),
        "hidden_ran": hidden_ran,
        "hidden_points_not_run": hidden_left,
    }


def format_score_table(results: list[Result]) -> list[str]:
    summary = score_summary(results)
    exercises = all_exercises()
    width = max([len(exercises[n].title) for n in summary["exercises"]] + [8])
    lines = [f"{'exercise':<{width}}  {'checks passed':>13}  {'points':>11}"]
    for name, row in summary["exercises"].items():
        lines.append(f"{exercises[name].title:<{width}}  {row['passed']:>6}/{row['checks']:<6}  "
                     f"{row['points']:>5g}/{row['max_points']:<5g}")
    lines.append("-" * len(lines[0]))
    lines.append(f"{'total':<{width}}  {'':>13}  {summary['total']:>5g}/{summary['max_total']:<5g}")
    not_impl = sum(r.status == "not implemented" for r in results)
    if not_impl:
        lines.append(f"{not_impl} check(s) not implemented yet (0 points each).")
    if not summary["hidden_ran"]:
        lines.append(f"{VISIBLE_ONLY} (worth {summary['hidden_points_not_run']:g} more points); "
                     "this is not your grade.")
    return lines


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    results = list(config.stash[_RESULTS].values())
    if not results:
        return
    terminalreporter.section(f"Deep Learning 3 — score ({target_dir(config).name})")
    for line in format_score_table(results):
        terminalreporter.write_line(line)


def pytest_sessionfinish(session: pytest.Session, exitstatus) -> None:
    path = session.config.getoption("--score-json", None)
    if not path:
        return
    results = list(session.config.stash[_RESULTS].values())
    payload = {"target": str(target_dir(session.config)), **score_summary(results),
               "tests": [asdict(r) for r in results]}
    Path(path).write_text(json.dumps(payload, indent=2))
