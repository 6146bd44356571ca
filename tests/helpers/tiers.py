"""The guard that keeps the quick tier quick (``docs/testing.md``); a pytest plugin (``tests/conftest.py`` loads it).

A test without the ``slow`` marker may not start a grading process, an nbgrader app, a Jupyter
server or kernel, a browser or a student venv, nor train a Keras model: the first such start
raises at once (so the quick tier stays quick even while it fails) and the test fails at its end
with a message that names the marker to add, even where the test caught the error.

Starts are recognised by their arguments (Python's ``subprocess.Popen`` audit event), not by
being subprocesses: ``python -m autograder stubs --check`` and other cheap commands stay quick.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Sequence

import keras
import pytest

from autograder.specs import all_exercises


SLOW = "slow"   # the markers are registered in pyproject.toml
GRADING_VERBS = {"grade", "grade-batch", "reference-costs"}
SHELLS = {"sh", "bash", "dash", "zsh"}
BROWSERS = {"chromium", "chromedriver", "chrome", "google-chrome"}
JUPYTER_MODULES = {"jupyterlab", "jupyter", "jupyter_server", "notebook", "nbclassic"}
# Text of a ``python -c`` program that starts the grading engine's processes itself (or their zygote).
ENGINE_STARTS = ("SandboxManager(", "StudentProcess(", "autograder.grade.runner", "run_judge(", "zygote_serve(",
                 "start_zygote(")


class UnmarkedSlowTest(Exception):
    """Raised where a test without the slow marker starts expensive work."""


def _tokens(argv: Sequence[str]) -> list[str]:
    """The words of a command line, a shell's command text (``sh -c TEXT``) split into its words."""
    words: list[str] = []
    for arg in argv:
        if words and words[-1] == "-c" and Path(words[0]).name in SHELLS:
            try:
                words.extend(shlex.split(arg))
            except ValueError:
                words.extend(arg.split())
            continue
        words.append(arg)
    return words


def _after(words: list[str], i: int) -> str:
    return words[i + 1] if i + 1 < len(words) else ""


def why_slow(argv: Sequence[str]) -> str | None:
    """Why starting ``argv`` belongs in the slow tier, or None for a cheap command."""
    words = _tokens([str(a) for a in argv])
    names = [Path(w).name for w in words]
    for i, (word, name) in enumerate(zip(words, names)):
        following = _after(words, i)
        if word == "-m" and following == "autograder" and _after(words, i + 1) in GRADING_VERBS \
                and "--check" not in words:
            return f"starts a grading (python -m autograder {_after(words, i + 1)})"
        if name == "run_autograder":
            return "starts Gradescope's run_autograder"
        if name == "nbgrader" or (word == "-m" and following == "nbgrader"):
            return "starts an nbgrader app"
        if name.startswith("jupyter") or (word == "-m" and following in JUPYTER_MODULES):
            return f"starts Jupyter ({' '.join(words[i:i + 2])})"
        if word == "-m" and following.startswith("ipykernel"):
            return "starts a Jupyter kernel"
        if name in BROWSERS:
            return f"starts a browser ({name})"
        if (word == "-m" and following in ("venv", "virtualenv")) or name == "virtualenv":
            return "creates a venv"
        if name.startswith("pip") and following == "install" or (word == "-m" and following == "pip"
                                                                 and _after(words, i + 1) == "install"):
            return "installs packages (a student venv)"
        if word == "--sandbox":
            return "starts a judge (pytest --sandbox)"
        if word == "-c" and any(start in following for start in ENGINE_STARTS):
            return "starts the grading engine's student processes"
    if _runs_training_checks(words):
        return "runs the exercises' checks with the training ones (add -m 'not training' or mark it slow)"
    return None


def _runs_training_checks(words: list[str]) -> bool:
    """``python -m pytest`` over a test file of an exercise that trains, its training checks not deselected
    (the stubs, ``--target exercises``, train nothing)."""
    if "pytest" not in words or "not training" in words or "-k" in words or "--checks" in words:
        return False
    if "--target" in words and _after(words, words.index("--target")).rstrip("/") == "exercises":
        return False
    trains = {e.module for e in all_exercises().values() if any(c.training for c in e.checks)}
    for word in words:
        path = Path(word)
        if path.parts[:1] not in (("exercises",), ("hidden_tests",)):
            continue
        if len(path.parts) == 1 or any(path.stem in (f"test_{m}", f"test_{m}_hidden") for m in trains):
            return True
    return False


class Guard:
    """Audit hook and ``Model.fit`` wrapper; active only while an unmarked test runs."""

    def __init__(self) -> None:
        self.test: str | None = None
        self.found: list[str] = []
        sys.addaudithook(self._audit)

    def watch(self, test: str | None) -> None:
        """Guard ``test`` (its node id) from now on, or nothing (None)."""
        self.test, self.found = test, []

    def _audit(self, event: str, args: tuple) -> None:
        if self.test is None or event not in ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn"):
            return
        argv = ["/bin/sh", "-c", args[0]] if event == "os.system" else args[1]   # os.system runs a shell
        if isinstance(argv, (str, bytes)):
            argv = [argv]
        reason = why_slow([a.decode() if isinstance(a, bytes) else str(a) for a in (argv or [])])
        if reason:
            self._refuse(reason)

    def _refuse(self, reason: str) -> None:
        self.found.append(reason)
        raise UnmarkedSlowTest(message(self.test, [reason]))

    def guard_fit(self, model_class: type) -> None:
        fit = model_class.fit

        def guarded_fit(model, *args, **kwargs):
            if self.test is not None:
                self._refuse("trains a Keras model (Model.fit)")
            return fit(model, *args, **kwargs)

        guarded_fit.__wrapped__ = fit
        model_class.fit = guarded_fit


def message(test: str, reasons: list[str]) -> str:
    return (f"{test} {'; '.join(dict.fromkeys(reasons))}, but has no tier marker: add "
            f"@pytest.mark.{SLOW} (or pytestmark = pytest.mark.{SLOW} for the whole file) so that the quick "
            f"tier (python -m pytest -m 'not {SLOW}') stays quick; see docs/testing.md")


GUARD = Guard()
GUARD.guard_fit(keras.Model)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Before the test's fixtures are set up: a module-scoped fixture that grades counts too.
    GUARD.watch(None if item.get_closest_marker(SLOW) else item.nodeid)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = (yield).get_result()
    if GUARD.found and report.when in ("setup", "call"):
        # Fails the test even where it caught the guard's error and passed.
        report.outcome, report.longrepr = "failed", message(item.nodeid, GUARD.found)
        GUARD.found = []
    if report.when == "teardown":
        GUARD.watch(None)
