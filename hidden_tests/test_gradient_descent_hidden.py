"""Hidden checks for gradient_descent.py: run at grading, never shipped to students."""

import numpy as np

from autograder.checks import call_student, expect, expect_close, expect_equal, expect_finite
from autograder.checks.data import housing_xy
from autograder.checks.gradients import check_gradient
from autograder.checks.upstream import builds_on
from autograder.plugin import graded
from autograder.specs.gradient_descent import EXERCISE

SPEC = EXERCISE.extra


# scikit-learn is imported where a check first needs it: the grader preloads only what test files import at
# their top, and its import (1.5 CPU-s) is wasted on a submission whose functions are still stubs.

def least_squares(X, y):
    from sklearn.linear_model import LinearRegression

    reg = LinearRegression().fit(X.reshape(-1, 1), y)
    return float(reg.coef_[0]), float(reg.intercept_)


def sklearn_mse(y, predicted):
    from sklearn.metrics import mean_squared_error

    return mean_squared_error(y, predicted)


def gradient_points(X, y):
    """Where the gradients are checked; scikit-learn's solution only once the first points have passed."""
    yield from [(0.2, 0.2), (0.5, 0.5)]
    yield least_squares(X, y)
    rng = np.random.default_rng(2024)
    yield from (tuple(rng.normal(0, 2, 2)) for _ in range(6))


@graded("gradient_descent", "gradients_many_points")
def test_gradients_many_points(submission):
    X, y = housing_xy()
    for m, b in gradient_points(X, y):
        grads = call_student(submission.mse_gradients, X, y, m, b)
        check_gradient(grads, lambda mm, bb: sklearn_mse(y, mm * X + bb), (m, b), ("m", "b"),
                       SPEC["gradient_rel_error"], where=f"at m={m:.3g}, b={b:.3g} on the housing data")


@graded("gradient_descent", "gd_converges")
def test_gd_converges(submission):
    with builds_on(submission, "mse_gradients", "mse"):
        X, y = housing_xy()
        m, b, _, history = call_student(submission.gradient_descent, X, y, lr=SPEC["converge_lr"],
                                        iterations=SPEC["converge_iterations"])
        expect_close((m, b), least_squares(X, y), f"(m, b) after {SPEC['converge_iterations']} steps at "
                     f"lr={SPEC['converge_lr']} vs. the least-squares line", atol=SPEC["converge_tol"],
                     hint="gradient descent on the MSE should end at scikit-learn's LinearRegression solution",
                     mistake="not_converged")
        expect(bool(np.all(np.diff(history) <= 1e-12)), "the MSE should never rise at this small learning rate",
               "mse_history falling at every step", "a step where it rose", mistake="mse_rises")


@graded("gradient_descent", "batch_uniform")
def test_batch_uniform(submission):
    n, size = 10, 100_000
    batch = np.asarray(call_student(submission.sample_batch, n, size, np.random.default_rng(11)))
    counts = np.bincount(batch.astype(int), minlength=n)
    expected = size / n
    sigma = np.sqrt(size * (1 / n) * (1 - 1 / n))
    worst = float(np.max(np.abs(counts - expected)) / sigma)
    expect(worst < 5, f"counts of each index in {size:,} draws from range({n})",
           f"about {expected:,.0f} each (within 5 standard deviations)", counts.tolist(),
           hint="draw uniformly: every index equally likely", mistake="not_uniform")
    small = np.asarray(call_student(submission.sample_batch, 3, 30, np.random.default_rng(0)))
    expect(len(np.unique(small)) <= 3 and len(small) == 30, "sample_batch(3, 30, rng)",
           "30 indices with repeats (drawn with replacement)", small.tolist())


@graded("gradient_descent", "sgd_fresh_batches")
def test_sgd_fresh_batches(submission):
    with builds_on(submission, "mse_gradients", "sample_batch"):
        X, y = housing_xy()
        steps, size, seed, lr = 12, 7, 5, 0.01
        m, b, log, _ = call_student(submission.stochastic_gradient_descent, X, y, lr=lr, iterations=steps,
                                    batch_size=size, seed=seed)
        expect_equal(len(log), steps, f"len(log) after {steps} steps")
        # Replay: one generator seeded with `seed`, a fresh batch from the student's own
        # sample_batch at each step, gradients on that batch, both parameters updated together.
        rng = np.random.default_rng(seed)
        batches = [np.asarray(call_student(submission.sample_batch, len(X), size, rng)) for _ in range(steps)]
        expect(len({tuple(batch) for batch in batches}) > 1, "batches drawn with one generator",
               "a different batch at each step", "the same batch every time")
        mm, bb = SPEC["start_sgd"]
        for step, batch in enumerate(batches):
            residual = y[batch] - (mm * X[batch] + bb)
            mm, bb = mm - lr * -2 * np.mean(X[batch] * residual), bb - lr * -2 * np.mean(residual)
            expect_close(log[step], (mm, bb), f"(m, b) after step {step + 1} of SGD with seed={seed}", rtol=1e-6,
                         hint="make one generator np.random.default_rng(seed), draw a fresh batch with "
                              "sample_batch(len(X), batch_size, rng) at every step, and compute the gradients "
                              "on that batch only", mistake="not_fresh_batches")


@graded("gradient_descent", "sgd_converges")
def test_sgd_converges(submission):
    with builds_on(submission, "mse_gradients"):
        X, y = housing_xy()
        tol = np.array(SPEC["sgd_tolerance"])
        steps = SPEC["sgd_iterations"]
        for seed in (0, 1, 2):
            _, _, log, _ = call_student(submission.stochastic_gradient_descent, X, y, lr=SPEC["sgd_lr"],
                                        iterations=steps, batch_size=SPEC["sgd_batch_size"], seed=seed)
            expect_equal(len(log), steps, f"len(log) after {steps} steps")
            tail = np.asarray(log[steps // 2:], dtype=np.float64)
            expect_finite(tail, f"(m, b) during the second half of {steps} SGD steps (seed {seed})",
                          hint="the parameters blew up: is the update m -= lr * dm?", mistake="not_finite")
            average, target = tail.mean(axis=0), np.array(least_squares(X, y))
            expect(bool(np.all(np.abs(average - target) <= tol)),
                   f"the average (m, b) over the last {steps // 2} of {steps} SGD steps (seed {seed})",
                   f"within ±{tol[0]} / ±{tol[1]} of the least-squares line {tuple(np.round(target, 4))}",
                   tuple(np.round(average, 4)), hint="SGD should hover around the least-squares line",
                   mistake="not_near_least_squares")
