"""Each exercise's spec in one place: its file, functions, graded checks and points.

Tests mark themselves with ``@graded(exercise, check)``; points, visibility and
the ``training`` marker come from here, so pytest, the notebooks and the grader
all read the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Check:
    """One graded check: its name, its points, whether students see it, whether it trains a model."""

    name: str
    points: float
    hidden: bool = False
    training: bool = False
    describe: str = ""


@dataclass(frozen=True)
class Exercise:
    """An exercise: the student's file ``<module>.py`` and the checks that grade it."""

    name: str
    title: str
    module: str
    functions: tuple[str, ...]
    checks: tuple[Check, ...]
    extra: dict = field(default_factory=dict)

    def check(self, name: str) -> Check:
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(f"exercise {self.name!r} has no check named {name!r}")

    @property
    def points(self) -> float:
        return sum(c.points for c in self.checks)

    @property
    def visible_points(self) -> float:
        return sum(c.points for c in self.checks if not c.hidden)

    @property
    def filename(self) -> str:
        return f"{self.module}.py"


def all_exercises() -> dict[str, Exercise]:
    """Every exercise of the kit, by name, in workshop order."""
    from autograder.specs import cifar_cnn, gradient_descent, mnist_cnn, regularization

    return {e.name: e for e in (regularization.EXERCISE, gradient_descent.EXERCISE, mnist_cnn.EXERCISE,
                                cifar_cnn.EXERCISE)}


def get_exercise(name: str) -> Exercise:
    exercises = all_exercises()
    if name not in exercises:
        raise KeyError(f"unknown exercise {name!r}; the kit has {', '.join(exercises)}")
    return exercises[name]
