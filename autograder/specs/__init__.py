"""Each exercise's spec in one place: its file, functions, graded checks and points.

Tests mark themselves with ``@graded(exercise, check)``; points, visibility and
the ``training`` marker come from here, so pytest, the notebooks and the grader
all read the same numbers.

Hidden checks are split off: a visible spec (``autograder/specs/<exercise>.py``, shipped
to students) says only how many hidden checks there are and how many points they carry
(``hidden_count``, ``hidden_points``). Their names, descriptions, thresholds and settings
live in the grader-only ``hidden_tests/hidden_specs.py``, merged into each exercise when
that file is present (instructors, the grader); without it (a student's copy) an exercise
holds its visible checks only, and ``points`` still counts the hidden points.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import Mapping

from autograder.checks import mistakes
from autograder.config import HIDDEN_SPECS


class SpecError(ValueError):
    """A hidden spec does not match what the visible spec declares."""


@dataclass(frozen=True)
class Check:
    """One graded check: its name, its points, whether students see it, whether it trains a model.

    ``mistakes`` maps each mistake name the check's hints can give to a one-line description
    (its full identifier is ``<exercise>.<check>.<name>``; see ``autograder/checks/mistakes.py``).
    """

    name: str
    points: float
    hidden: bool = False
    training: bool = False
    describe: str = ""
    mistakes: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Exercise:
    """An exercise: the student's file ``<module>.py`` and the checks that grade it.

    ``hidden_count``/``hidden_points`` are what a student may know of the hidden checks;
    ``hidden_loaded`` says whether the hidden checks themselves are in ``checks``.
    """

    name: str
    title: str
    module: str
    functions: tuple[str, ...]
    checks: tuple[Check, ...]
    extra: dict = field(default_factory=dict)
    hidden_count: int = 0
    hidden_points: float = 0.0
    hidden_loaded: bool = False

    def check(self, name: str) -> Check:
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(f"exercise {self.name!r} has no check named {name!r}")

    @property
    def points(self) -> float:
        """Every point of the exercise, hidden ones included (loaded or not)."""
        return self.visible_points + self.hidden_points

    @property
    def visible_points(self) -> float:
        return sum(c.points for c in self.checks if not c.hidden)

    @property
    def visible_checks(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.hidden)

    @property
    def filename(self) -> str:
        return f"{self.module}.py"


_HIDDEN_MODULES: dict[Path, ModuleType | None] = {}


def _load_hidden_module(path: Path) -> ModuleType | None:
    if path not in _HIDDEN_MODULES:
        _HIDDEN_MODULES[path] = _read_hidden_module(path)
    return _HIDDEN_MODULES[path]


def _read_hidden_module(path: Path) -> ModuleType | None:
    try:
        if not path.is_file():
            return None
    except OSError:       # unreadable (a sandbox user): the same as absent
        return None
    spec = importlib.util.spec_from_file_location("dl3_hidden_specs", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except PermissionError:
        return None
    return module


def with_hidden(exercise: Exercise, path: Path | None = None) -> Exercise:
    """``exercise`` with its hidden checks and settings merged in, when the hidden specs are readable.

    The hidden spec of an exercise is ``HIDDEN[name] = {"checks": [(after, Check), ...], "extra": {...}}``:
    each hidden check is placed right after the visible check named ``after`` (None: first), so
    check numbers are the same with and without the split.
    """
    module = _load_hidden_module(path or HIDDEN_SPECS)
    hidden = getattr(module, "HIDDEN", {}).get(exercise.name) if module is not None else None
    if hidden is None:
        return exercise
    checks = list(exercise.checks)
    for after, check in hidden.get("checks", []):
        if not check.hidden:
            raise SpecError(f"{exercise.name}: hidden spec's check {check.name!r} is not marked hidden")
        position = 0 if after is None else [c.name for c in checks].index(after) + 1
        checks.insert(position, check)
    added = [c for c in checks if c.hidden]
    if len(added) != exercise.hidden_count or abs(sum(c.points for c in added) - exercise.hidden_points) > 1e-9:
        raise SpecError(f"{exercise.name}: the visible spec declares {exercise.hidden_count} hidden checks worth "
                        f"{exercise.hidden_points:g} points, the hidden spec has {len(added)} worth "
                        f"{sum(c.points for c in added):g}")
    if len({c.name for c in checks}) != len(checks):
        raise SpecError(f"{exercise.name}: a hidden check has the name of another check")
    return replace(exercise, checks=tuple(checks), extra={**exercise.extra, **hidden.get("extra", {})},
                   hidden_loaded=True)


def all_exercises() -> dict[str, Exercise]:
    """Every exercise of the kit, by name, in workshop order (hidden checks merged where available)."""
    from autograder.specs import cifar_cnn, gradient_descent, mnist_cnn, regularization

    return {e.name: e for e in (regularization.EXERCISE, gradient_descent.EXERCISE, mnist_cnn.EXERCISE,
                                cifar_cnn.EXERCISE)}


def get_exercise(name: str) -> Exercise:
    exercises = all_exercises()
    if name not in exercises:
        raise KeyError(f"unknown exercise {name!r}; the kit has {', '.join(exercises)}")
    return exercises[name]


def declared_mistakes(check: Check) -> dict[str, str]:
    """Every mistake name ``check`` may produce, with its description: the generic ones, then its own."""
    return {**mistakes.GENERIC, **dict(check.mistakes)}


def describe_mistake(full_id: str) -> str:
    """The description of a full mistake identifier ('' when the check or the name is unknown here)."""
    exercise_name, _, rest = full_id.partition(".")
    check_name, _, name = rest.partition(".")
    exercise = all_exercises().get(exercise_name)
    try:
        check = exercise.check(check_name) if exercise else None
    except KeyError:
        return ""
    return declared_mistakes(check).get(name, "") if check else mistakes.GENERIC.get(name, "")
