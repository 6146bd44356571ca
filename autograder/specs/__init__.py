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
    from autograder.specs import gradient_descent

    found = [gradient_descent.EXERCISE]
    for optional in ("regularization", "mnist_cnn", "cifar_cnn"):
        try:
            module = __import__(f"autograder.specs.{optional}", fromlist=["EXERCISE"])
        except ModuleNotFoundError:
            continue
        found.append(module.EXERCISE)
    order = {"regularization": 1, "gradient_descent": 2, "mnist_cnn": 3, "cifar_cnn": 4}
    return {e.name: e for e in sorted(found, key=lambda e: order.get(e.name, 99))}


def get_exercise(name: str) -> Exercise:
    exercises = all_exercises()
    if name not in exercises:
        raise KeyError(f"unknown exercise {name!r}; the kit has {', '.join(exercises)}")
    return exercises[name]
