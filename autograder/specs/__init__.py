"""Each exercise's spec in one place: its file, functions, graded checks and points.

The exercises are the modules of this package: each ``autograder/specs/<name>.py`` defines
``EXERCISE`` (an ``Exercise`` named ``<name>``); ``all_exercises()`` finds them and orders
them by their ``order`` field (modules whose name starts with ``_`` are helpers, not
exercises). What else an exercise consists of: ``docs/authoring.md``.

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

import importlib
import importlib.util
import pkgutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import Mapping

from autograder.checks import mistakes
from autograder.config import HIDDEN_SPECS

HIDDEN_SPECS_NAME = "hidden_tests/hidden_specs.py"   # as messages name it


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
    order: int                       # its place among the exercises (workshop order)
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

    @property
    def spec_file(self) -> str:
        """Where the visible spec is, as messages name it."""
        return spec_file(self.name)


def spec_file(name: str) -> str:
    return f"autograder/specs/{name}.py"


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


def hidden_specs_available(path: Path | None = None) -> bool:
    """Whether the grader-only hidden specs can be read here."""
    return _load_hidden_module(path or HIDDEN_SPECS) is not None


def forget_hidden_specs() -> None:
    """Read the hidden specs again at their next use (after a command has changed the file)."""
    _HIDDEN_MODULES.clear()


def hidden_entries(path: Path | None = None) -> dict:
    """The hidden specs' ``HIDDEN`` table (empty where the file is absent or unreadable)."""
    module = _load_hidden_module(path or HIDDEN_SPECS)
    return getattr(module, "HIDDEN", {}) if module is not None else {}


def with_hidden(exercise: Exercise, path: Path | None = None) -> Exercise:
    """``exercise`` with its hidden checks and settings merged in, when the hidden specs are readable.

    The hidden spec of an exercise is ``HIDDEN[name] = {"checks": [(after, Check), ...], "extra": {...}}``:
    each hidden check is placed right after the visible check named ``after`` (None: first), so
    check numbers are the same with and without the split.
    """
    if not hidden_specs_available(path):
        return exercise
    where = f"{HIDDEN_SPECS_NAME}: HIDDEN[{exercise.name!r}]"
    hidden = hidden_entries(path).get(exercise.name)
    if hidden is None:
        if exercise.hidden_count or exercise.hidden_points:
            raise SpecError(f"{exercise.spec_file} declares hidden_count={exercise.hidden_count}, "
                            f"hidden_points={exercise.hidden_points:g}, but {HIDDEN_SPECS_NAME} has no "
                            f"HIDDEN[{exercise.name!r}]: add that entry, or set both to 0")
        return exercise
    checks = list(exercise.checks)
    for after, check in hidden.get("checks", []):
        if not check.hidden:
            raise SpecError(f"{where}['checks']: the check {check.name!r} is not marked hidden "
                            f"(give it hidden=True)")
        names = [c.name for c in checks]
        if after is not None and after not in names:
            raise SpecError(f"{where}['checks']: {check.name!r} is to follow {after!r}, which is no check "
                            f"of {exercise.name} (its checks: {', '.join(names)})")
        checks.insert(0 if after is None else names.index(after) + 1, check)
    added = [c for c in checks if c.hidden]
    points = sum(c.points for c in added)
    if len(added) != exercise.hidden_count or abs(points - exercise.hidden_points) > 1e-9:
        raise SpecError(f"{exercise.spec_file} declares {exercise.hidden_count} hidden checks worth "
                        f"{exercise.hidden_points:g} points, {where}['checks'] has {len(added)} worth {points:g}: "
                        f"set hidden_count={len(added)}, hidden_points={points:g} in {exercise.spec_file} "
                        f"(or change the checks in {HIDDEN_SPECS_NAME})")
    repeated = sorted({c.name for c in checks if [d.name for d in checks].count(c.name) > 1})
    if repeated:
        raise SpecError(f"{where}['checks']: a hidden check has the name of another check of "
                        f"{exercise.name} ({', '.join(repeated)}): rename it")
    return replace(exercise, checks=tuple(checks), extra={**exercise.extra, **hidden.get("extra", {})},
                   hidden_loaded=True)


def setting_file(exercise: Exercise, key: str) -> str:
    """The file that sets ``exercise.extra[key]``: the hidden specs for a hidden setting, else the spec."""
    return HIDDEN_SPECS_NAME if key in hidden_entries().get(exercise.name, {}).get("extra", {}) else exercise.spec_file


def exercise_modules() -> list[str]:
    """The names of this package's exercise modules (every module not starting with ``_``)."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def _exercise_of(name: str) -> Exercise:
    module = importlib.import_module(f"{__name__}.{name}")
    exercise = getattr(module, "EXERCISE", None)
    if not isinstance(exercise, Exercise):
        raise SpecError(f"{spec_file(name)} defines no EXERCISE (an Exercise): every module of autograder/specs/ "
                        f"is an exercise's spec; a helper module's name starts with '_'")
    if exercise.name != name:
        raise SpecError(f"{spec_file(name)}: EXERCISE's name is {exercise.name!r}: set name={name!r} "
                        f"(an exercise's spec module is named after it)")
    return exercise


def all_exercises() -> dict[str, Exercise]:
    """Every exercise of the kit, by name, in the order of their ``order`` field (hidden checks merged
    where available); a hidden spec for no exercise is an error."""
    exercises = sorted((_exercise_of(name) for name in exercise_modules()), key=lambda e: (e.order, e.name))
    unknown = sorted(set(hidden_entries()) - {e.name for e in exercises})
    if unknown:
        raise SpecError(f"{HIDDEN_SPECS_NAME}: HIDDEN has entries for no exercise ({', '.join(unknown)}); "
                        f"the exercises are {', '.join(e.name for e in exercises)} (autograder/specs/)")
    return {e.name: e for e in exercises}


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
