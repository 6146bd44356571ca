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
- Never a silent gap: where the kit's test files are (``exercises/test_<module>.py``), a
  check the specs declare that no test grades is a "not run" row of the score table, its
  points counted, and the run fails; a test marked for an undeclared check, or a hidden
  check's test among the visible ones, is a collection error. Deselected checks (``-m``,
  ``-k``) are counted under the table.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Callable

import pytest

from autograder.checks import mistakes
from autograder.checks.architecture import ModelSpecError
from autograder.checks.values import CheckFailure
from autograder.datasets import DatasetNotFoundError
from autograder import config as kit
from autograder.graded_tests import HIDDEN_DIR, VISIBLE_DIR, untested_checks, visible_test_file
from autograder.specs import HIDDEN_SPECS_NAME, Check, Exercise, SpecError, all_exercises, get_exercise
from autograder.tensorflow_logs import strip_tensorflow_logs

# A plugin object with this attribute set (see autograder.notebook_checks) supplies
# the submission modules itself through its module_for(name), e.g. from a notebook.
MODULE_SUPPLIER = "dl3_module_supplier"
VISIBLE_ONLY = "visible checks only — hidden checks run at grading"

_GRADED = pytest.StashKey[tuple]()
_RESULTS = pytest.StashKey[dict]()
_MODULES = pytest.StashKey[set]()
_MISSING_DATA = pytest.StashKey[dict]()  # first line -> the full error, printed once after the score table
_GAPS = pytest.StashKey[list]()           # the messages of declared checks that no test grades
_DESELECTED = pytest.StashKey[dict]()     # nodeid -> points of graded tests deselected (-m, -k)
NOT_RUN = "not run"
MISSING_DATA_NOTE = "(how to fix it: see 'Missing data' after the score table)"


def graded(exercise: str, check: str) -> Callable:
    """Decorator: this test grades ``check`` of ``exercise`` (points and markers from the spec).

    A mark for a check no spec declares, or a hidden check's test among the visible tests
    (``exercises/``, which students receive), is an error when the test file is collected.
    """
    def apply(test):
        spec = _declared(exercise, check, test)
        marks = [pytest.mark.graded(exercise=exercise, check=check)] + ([pytest.mark.training] if spec.training else [])
        for mark in marks:
            test = mark(test)
        return test

    return apply


def _declared(exercise: str, check: str, test: Callable) -> Check:
    """The spec's check that ``test`` is marked for; a SpecError that names the file and the field otherwise."""
    where = f"{Path(test.__code__.co_filename).name}: {test.__name__} is marked @graded({exercise!r}, {check!r})"
    try:
        spec = get_exercise(exercise)
    except KeyError as exc:
        raise SpecError(f"{where}, but {exc.args[0]}") from None
    try:
        found = spec.check(check)
    except KeyError:
        raise SpecError(f"{where}, but no spec declares that check: add Check({check!r}, ...) to the checks in "
                        f"{spec.spec_file} (a hidden one to HIDDEN[{exercise!r}]['checks'] in {HIDDEN_SPECS_NAME}), "
                        f"or fix the mark") from None
    if found.hidden and Path(test.__code__.co_filename).parent.name == VISIBLE_DIR:
        raise SpecError(f"{where}, a hidden check, among the visible tests that students receive: move it to "
                        f"{HIDDEN_DIR}/test_{spec.module}_hidden.py")
    return found


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
    status: str  # "passed", "failed", "not implemented", "grader failure", "skipped", "not run" (no test)
    message: str
    duration: float = 0.0
    failure: str | None = None   # the kind of failure (autograder/checks/mistakes.py); None when passed
    mistake: str | None = None   # "<exercise>.<check>.<name>": the named mistake, where the kind has one


# --------------------------------------------------------------------------
# Options and the target


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dl3", "Deep Learning 3 exercise kit")
    group.addoption(
        "--target", default=None,
        help="whose code the exercise tests grade: 'exercises' (default, the student's), "
             f"'solutions' (the reference), or a directory. Default from ${kit.TARGET_ENV}.")
    group.addoption("--score-json", default=None, metavar="PATH",
                    help="also write every graded result to PATH as JSON")
    group.addoption("--checks", default=None, metavar="NAME[,NAME...]",
                    help="run only the graded tests of these checks (the grader's judges use it)")
    group.addoption("--sandbox", action="store_true", default=False,
                    help="run the target's code in a sandboxed child process (grading: autograder/grade/judge/proxy.py)")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--sandbox"):   # a judge: it ends when its supervisor does
        from autograder.grade.judge.proxy import outlive_no_supervisor

        outlive_no_supervisor()
    if config.getoption("--sandbox") and kit.lean_keras():
        from autograder.memory_hooks import import_keras_lean

        import_keras_lean()   # a judge in a small box: Keras without its optional packages
    config.addinivalue_line("markers", "graded(exercise, check): a graded check (use autograder.plugin.graded)")
    config.addinivalue_line("markers", "training: trains a model; deselect with -m 'not training'")
    config.stash[_RESULTS] = {}
    config.stash[_MISSING_DATA] = {}
    config.stash[_GAPS] = []
    config.stash[_DESELECTED] = {}


def target_dir(config: pytest.Config) -> Path:
    """The directory whose exercise files are graded."""
    value = config.getoption("--target") or kit.target() or "exercises"
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
    supplier = _module_supplier(request.config)

    def load(module: str) -> ModuleType:
        if supplier is not None:
            return supplier.module_for(module)
        if module not in cache:
            try:
                # Under its own name, as the sandbox imports it (messages naming its classes then agree).
                cache[module] = import_file(root / f"{module}.py", module)
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
        from autograder.grade.judge.proxy import open_submission

        key = f"{exercise[0].name}/{exercise[1].name}"
        modules = request.config.stash.get(_MODULES, None)
        with open_submission(request.config, exercise[0], target_dir(request.config), key, modules) as proxy:
            yield proxy
        return
    yield _crossing(request.config, exercise[0].module, load_target(exercise[0].module))


_CROSSING = pytest.StashKey[dict]()


def _crossing(config: pytest.Config, name: str, module: ModuleType) -> ModuleType:
    """The module whose functions' results cross the sandbox's codec, so both routes give one verdict.

    The student's bundle has no grading package (``autograder/grade``): there the module is used as is.
    """
    try:
        from autograder.grade.judge.crossing import CrossingModule
    except ImportError:
        return module
    wrapped = config.stash.setdefault(_CROSSING, {})
    if id(module) not in wrapped:
        wrapped[id(module)] = (module, CrossingModule(module, name))
    return wrapped[id(module)][1]


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


def _module_supplier(config: pytest.Config):
    return next((p for p in config.pluginmanager.get_plugins() if getattr(p, MODULE_SUPPLIER, False)), None)


@pytest.hookimpl(tryfirst=True)   # before -k / -m deselect: a deselected test is not a missing one
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        _graded_info(item)
    if not config.getoption("--sandbox") and _module_supplier(config) is None:
        record_gaps(config, items)   # the grader and the notebooks' cells judge gaps themselves
    wanted = config.getoption("--checks")
    if wanted:   # the grader runs some checks in a judge of their own (see autograder/grade/supervisor/runner.py)
        names = set(wanted.split(","))
        chosen = [i for i in items if _graded_info(i) is not None and _graded_info(i)[1].name in names]
        config.hook.pytest_deselected(items=[i for i in items if i not in chosen])
        items[:] = chosen
    # the exercise modules this run grades (the sandbox starts their processes, and no others)
    config.stash[_MODULES] = {info[0].module for info in map(_graded_info, items) if info is not None}


def record_gaps(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each declared check of the exercises in this run that no test grades: a "not run" result.

    Only where the kit has its test files (``exercises/test_<module>.py`` under the root
    directory: an instructor's checkout, a student's copy); a student's copy has no hidden
    checks to miss, since its specs hold the visible ones alone.
    """
    root = config.rootpath
    exercises = {info[0].name: info[0] for info in map(_graded_info, items) if info is not None}
    for exercise in exercises.values():
        if not visible_test_file(root, exercise).is_file():
            continue
        for gap in untested_checks(root, exercise):
            nodeid = f"{gap.file.relative_to(root).as_posix()}::(no test for {gap.check.name})"
            config.stash[_RESULTS][nodeid] = Result(
                nodeid=nodeid, exercise=exercise.name, check=gap.check.name, points=0.0,
                max_points=gap.check.points, hidden=gap.check.hidden, status=NOT_RUN, message=gap.message(root))
            config.stash[_GAPS].append(gap.message(root))


def pytest_deselected(items: list[pytest.Item]) -> None:
    for item in items:
        info = _graded_info(item)
        if info is not None:
            item.config.stash[_DESELECTED][item.nodeid] = info[1].points


def exception_chain(exc: BaseException | None):
    """``exc`` and the exceptions it was raised from or during, each once."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _unimplemented_function(excinfo: pytest.ExceptionInfo, exercise: Exercise) -> str | None:
    """The student's function that raised: the last frame in the exercise file itself (compared by
    name, so ``test_<module>.py`` never matches) or, for a notebook's cells, an exercise function."""
    names = [entry.name for entry in excinfo.traceback
             if Path(str(entry.path)).name == exercise.filename
             or (entry.name in exercise.functions and not Path(str(entry.path)).name.startswith("test_")
                 and not Path(str(entry.path)).resolve().is_relative_to(kit.PACKAGE_DIR))]
    return names[-1] if names else None


@dataclass(frozen=True)
class Verdict:
    """What a failed test means: its status, the student's text, the kind of failure and the mistake's name."""

    status: str
    message: str
    failure: str | None
    mistake: str | None = None   # a name declared with the check (or a generic one); None: no named mistake


def describe_failure(excinfo: pytest.ExceptionInfo, exercise: Exercise) -> Verdict | None:
    """The verdict for the kit's known kinds of failure; None for others (a raw traceback)."""
    chain = list(exception_chain(excinfo.value))
    for exc in chain:
        if type(exc).__name__ == "GraderFailure" and type(exc).__module__ == "autograder.grade.judge.manager":
            # the grader's own failure: never the student's score
            return Verdict("grader failure", str(exc), mistakes.GRADER_FAILURE)
        if isinstance(exc, ModelSpecError):   # the exercise's spec is wrong: the kit's error, never the student's
            return Verdict("grader failure", f"the exercise's spec is wrong: {exc}", mistakes.GRADER_FAILURE)
    if any(isinstance(e, NotImplementedError) for e in chain):
        func = _unimplemented_function(excinfo, exercise)
        what = f"`{func}`" if func else "a function this check calls"
        return Verdict("not implemented",
                       f"not implemented yet: {what} in {exercise.filename} still raises NotImplementedError",
                       mistakes.NOT_IMPLEMENTED)
    for exc in chain:
        if isinstance(exc, CheckFailure):
            return Verdict("failed", str(exc), exc.kind, exc.mistake or "other")
        if isinstance(exc, SubmissionImportError):
            return Verdict("failed", str(exc), mistakes.CRASH, "import_error")
    for exc in chain:
        if isinstance(exc, DatasetNotFoundError):   # the student's machine lacks data: not a mistake of theirs
            return Verdict("failed", f"{str(exc).splitlines()[0].split(' Looked in:')[0]} {MISSING_DATA_NOTE}",
                           mistakes.GRADER_FAILURE)
    return None


def unexplained_failure(excinfo: pytest.ExceptionInfo | None) -> Verdict:
    """A failure the kit's checks did not word: a time limit (pytest-timeout) or an exception escaping a test."""
    text = str(excinfo.value) if excinfo is not None else ""
    if excinfo is not None and "Timeout" in type(excinfo.value).__name__ + text[:40]:
        return Verdict("failed", "", mistakes.TIME_LIMIT, "time_limit")
    return Verdict("failed", "", mistakes.CRASH, "crash")


def missing_data_errors(excinfo: pytest.ExceptionInfo | None) -> list[str]:
    """The full text (where the kit looked, the fix) of each missing-dataset error behind a failure."""
    return [str(e) for e in exception_chain(excinfo.value)
            if isinstance(e, DatasetNotFoundError)] if excinfo is not None else []


def _strip_captured_tensorflow_logs(report: pytest.TestReport) -> None:
    """The test's captured output without TensorFlow's log lines (a section left empty goes)."""
    def kept(sections: list[tuple]) -> list[tuple]:
        cleaned = [(title, strip_tensorflow_logs(text), *rest) for title, text, *rest in sections]
        return [s for s in cleaned if s[1].strip() or not s[0].startswith("Captured")]

    report.sections = kept(report.sections)
    if isinstance(getattr(report.longrepr, "sections", None), list):
        report.longrepr.sections[:] = kept(report.longrepr.sections)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    info = _graded_info(item)
    known = describe_failure(call.excinfo, info[0]) if info and call.excinfo else None
    if known:
        # The report's text will be the kit's message: pytest need not format the traceback with its
        # source (a third of a judge's time when every check meets a stub).
        item.repr_failure = item._repr_failure_py = lambda *args, **kwargs: known.message
    try:
        outcome = yield
    finally:
        if known:
            del item.repr_failure, item._repr_failure_py
    report: pytest.TestReport = outcome.get_result()
    if info is None:
        return
    _strip_captured_tensorflow_logs(report)
    if report.when == "teardown":
        return
    exercise, check = info
    results = item.config.stash[_RESULTS]
    if report.when == "setup" and report.passed:
        return
    verdict = Verdict("passed", "", None)
    if report.skipped:
        verdict = Verdict("skipped", str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else "", None)
    elif report.failed:
        missing = missing_data_errors(call.excinfo)
        for text in missing:
            item.config.stash[_MISSING_DATA].setdefault(text.splitlines()[0], text)
        if known:
            verdict = known
            report.longrepr = f"{known.message}\n  [{exercise.name} · {check.name}, {check.points:g} pt]"
            if missing and known.message.endswith(MISSING_DATA_NOTE):
                # a JSON reader has no score table to look at
                verdict = replace(known, message="\n\n".join(dict.fromkeys(missing)))
        else:
            verdict = replace(unexplained_failure(call.excinfo), message=str(report.longrepr))
    results[item.nodeid] = Result(
        nodeid=item.nodeid, exercise=exercise.name, check=check.name,
        points=check.points if verdict.status == "passed" else 0.0, max_points=check.points,
        hidden=check.hidden, status=verdict.status, message=verdict.message, duration=report.duration,
        failure=verdict.failure,
        mistake=mistakes.mistake_id(exercise.name, check.name, verdict.mistake) if verdict.mistake else None,
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
    hidden_ran = any(r.hidden and r.status != NOT_RUN for r in results)
    hidden_gaps = sum(r.max_points for r in results if r.hidden and r.status == NOT_RUN)   # in the table already
    hidden_left = sum(e.hidden_points for n, e in exercises.items() if n in per) - hidden_gaps if not hidden_ran else 0
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
    not_run = [r for r in results if r.status == NOT_RUN]
    if not_run:
        lines.append(f"{len(not_run)} check(s) NOT RUN: no test grades them (this run fails):")
        lines += [f"  {r.message}" for r in not_run]
    if not summary["hidden_ran"] and summary["hidden_points_not_run"]:
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
    deselected = config.stash[_DESELECTED]
    if deselected and not config.getoption("--checks"):
        terminalreporter.write_line(f"{len(deselected)} check(s) worth {sum(deselected.values()):g} points not "
                                    "selected in this run (-m / -k): they are not in the table.")
    missing = config.stash[_MISSING_DATA]
    if missing:
        terminalreporter.section("Missing data", sep="-")
        for text in missing.values():
            terminalreporter.write_line(text)


def pytest_sessionfinish(session: pytest.Session, exitstatus) -> None:
    if session.config.stash.get(_GAPS, None) and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED   # a check without a test is never a pass
    path = session.config.getoption("--score-json", None)
    if not path:
        return
    results = list(session.config.stash[_RESULTS].values())
    payload = {"target": str(target_dir(session.config)), **score_summary(results),
               "tests": [asdict(r) for r in results]}
    if session.config.getoption("--sandbox"):
        from autograder.grade.judge.proxy import session_manager

        manager = session_manager(session.config)
        if manager is not None:   # CPU seconds of the student's code per check (reference costs)
            payload["student_cpu"] = dict(manager.cpu_by_test)
    Path(path).write_text(json.dumps(payload, indent=2))
