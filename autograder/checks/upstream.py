"""A check that fails because a function it builds on is wrong names that function, not a mistake of its own.

``gradient_descent`` calls the student's ``mse_gradients``: with a flipped gradient sign,
the gradient-descent checks fail too, and their own hints ("update m and b together")
would send the student — and the class report's counts — the wrong way. Wrapped in
``builds_on(submission, "mse_gradients")``, such a check's wrong answer is filed under
``uses_wrong_gradients`` with a note to fix ``mse_gradients`` first, whenever the student's
``mse_gradients`` fails its own check's probe; otherwise the check's own mistake stands.
"""

from __future__ import annotations

import contextlib
from types import ModuleType
from typing import Callable, Iterator

import numpy as np

from autograder.checks.gradients import check_gradient
from autograder.checks.mistakes import WRONG_ANSWER
from autograder.checks.values import CheckFailure, call_student, expect_close

SMALL_X = np.array([1.0, 2.0, 3.0, 4.0])
SMALL_Y = np.array([2.0, 2.5, 4.5, 4.0])


def small_mse(m: float, b: float) -> float:
    """The MSE of the line (m, b) on the four small samples."""
    return float(np.mean((SMALL_Y - (m * SMALL_X + b)) ** 2))


def probe_mse(submission: ModuleType) -> None:
    """Raise CheckFailure unless the student's ``mse`` gives the MSE of a known case (``mse_value``'s)."""
    value = call_student(submission.mse, SMALL_Y, np.array([1.0, 3.0, 5.0, 7.0]))
    expect_close(value, 2.625, "mse on four samples")


def probe_gradients(submission: ModuleType) -> None:
    """Raise CheckFailure unless the student's ``mse_gradients`` matches the numerical gradient
    at the points ``gradients_numerical`` uses."""
    for m, b in [(0.2, 0.2), (2.0, -1.0)]:
        grads = call_student(submission.mse_gradients, SMALL_X, SMALL_Y, m, b)
        if len(grads) != 2:
            raise CheckFailure("mse_gradients does not return two numbers")
        check_gradient(grads, small_mse, (m, b), ("m", "b"), 1e-6)


def probe_sample_batch(submission: ModuleType) -> None:
    """Raise CheckFailure unless the student's ``sample_batch`` draws with the generator it is given
    (what ``batch_reproducible`` checks: the seed decides, np.random does not, each call draws anew)."""
    def draw(seed: int, global_seed: int) -> np.ndarray:
        np.random.seed(global_seed)
        return np.asarray(call_student(submission.sample_batch, 1000, 20, np.random.default_rng(seed)))

    rng = np.random.default_rng(3)
    first, second = (np.asarray(call_student(submission.sample_batch, 1000, 20, rng)) for _ in range(2))
    if not np.array_equal(draw(7, 0), draw(7, 1)) or np.array_equal(draw(7, 0), draw(8, 0)) \
            or np.array_equal(first, second):
        raise CheckFailure("sample_batch does not draw with the generator it is given")


# function -> (its probe, the mistake of a check that builds on it, the check that checks it)
UPSTREAM: dict[str, tuple[Callable[[ModuleType], None], str, str]] = {
    "mse_gradients": (probe_gradients, "uses_wrong_gradients", "gradients_numerical"),
    "mse": (probe_mse, "uses_wrong_mse", "mse_value"),
    "sample_batch": (probe_sample_batch, "uses_wrong_sample_batch", "batch_reproducible"),
}

UPSTREAM_MISTAKES = {
    "uses_wrong_gradients": "fails because mse_gradients is wrong (a consequence: fix mse_gradients first)",
    "uses_wrong_mse": "fails because mse is wrong (a consequence: fix mse first)",
    "uses_wrong_sample_batch": "fails because sample_batch does not draw with its generator "
                               "(a consequence: fix sample_batch first)",
}


def works(probe: Callable[[ModuleType], None], submission: ModuleType) -> bool:
    """Whether the probe passes; a probe the student's function fails in any way (wrong, raising, not
    implemented) says it does not work."""
    try:
        probe(submission)
    except (CheckFailure, NotImplementedError):
        return False
    return True


@contextlib.contextmanager
def builds_on(submission: ModuleType, *functions: str) -> Iterator[None]:
    """Run a check's body; file its wrong answer under the first of ``functions`` that does not work."""
    try:
        yield
    except CheckFailure as failure:
        if failure.kind != WRONG_ANSWER:
            raise
        for function in functions:
            probe, mistake, check = UPSTREAM[function]
            if not works(probe, submission):
                raise CheckFailure(
                    f"{failure}\n  note: your `{function}` does not pass the check {check} yet, and this check "
                    f"builds on it: fix `{function}` first", mistake=mistake) from failure
        raise
