"""Visible checks for gradient_descent.py — run them with ``pytest exercises/test_gradient_descent.py``.

Passing these is not your grade: hidden checks of the same functions run at grading.
"""

import numpy as np

from autograder.checks import call_student, expect, expect_array, expect_close, expect_equal, expect_type
from autograder.checks.data import housing_xy
from autograder.checks.gradients import check_gradient
from autograder.checks.upstream import builds_on
from autograder.plugin import graded
from autograder.specs.gradient_descent import EXERCISE

SPEC = EXERCISE.extra
SMALL_X = np.array([1.0, 2.0, 3.0, 4.0])
SMALL_Y = np.array([2.0, 2.5, 4.5, 4.0])


def oracle_mse(X, y, m, b):
    """The loss as the workshop defines it (scikit-learn's mean_squared_error)."""
    from sklearn.metrics import mean_squared_error

    return mean_squared_error(y, m * X + b)


@graded("gradient_descent", "predict_values")
def test_predict_values(submission):
    y_hat = call_student(submission.predict, SMALL_X, 2.0, -1.0)
    y_hat = expect_array(np.asarray(y_hat) if isinstance(y_hat, list) else y_hat,
                         "predict(X, 2.0, -1.0)", shape=SMALL_X.shape)
    expect_close(y_hat, [1.0, 3.0, 5.0, 7.0], "predict(X=[1, 2, 3, 4], m=2, b=-1)",
                 hint="the prediction is m * x + b for each sample", mistake="not_m_x_plus_b")


@graded("gradient_descent", "mse_value")
def test_mse_value(submission):
    value = call_student(submission.mse, SMALL_Y, np.array([1.0, 3.0, 5.0, 7.0]))
    expect_type(value, (float, np.floating), "mse(...) should return a number")
    expect_close(value, 2.625, "mse(y=[2, 2.5, 4.5, 4], y_hat=[1, 3, 5, 7])",
                 hint="average the squared differences: (1 + 0.25 + 0.25 + 9) / 4",
                 mistake="not_mean_of_squares")


@graded("gradient_descent", "gradients_numerical")
def test_gradients_numerical(submission):
    for m, b in [(0.2, 0.2), (2.0, -1.0)]:
        grads = call_student(submission.mse_gradients, SMALL_X, SMALL_Y, m, b)
        expect(len(grads) == 2, "mse_gradients should return two numbers (dm, db)", 2, len(grads),
               mistake="wrong_shape")
        check_gradient(grads, lambda mm, bb: oracle_mse(SMALL_X, SMALL_Y, mm, bb), (m, b), ("m", "b"),
                       SPEC["gradient_rel_error"], where=f"at m={m}, b={b} on four samples")


@graded("gradient_descent", "gd_first_step")
def test_gd_first_step(submission):
    with builds_on(submission, "mse_gradients"):
        X, y = housing_xy()
        lr = 0.01
        m, b, log, _ = call_student(submission.gradient_descent, X, y, lr=lr, iterations=1)
        m0, b0 = SPEC["start_gd"]
        from autograder.checks.gradients import numerical_gradient

        dm, db = numerical_gradient(lambda mm, bb: oracle_mse(X, y, mm, bb), (m0, b0))
        expect_close((m, b), (m0 - lr * dm, b0 - lr * db), "(m, b) after one step from m = b = 0.2 at lr=0.01",
                     rtol=1e-6, hint="start at m = b = 0.2 and update both with the gradients at the start point",
                     mistake="wrong_first_step")


@graded("gradient_descent", "gd_workshop_result")
def test_gd_workshop_result(submission):
    with builds_on(submission, "mse_gradients"):
        X, y = housing_xy()
        m, b, _, _ = call_student(submission.gradient_descent, X, y, lr=SPEC["workshop_lr"],
                                  iterations=SPEC["workshop_iterations"])
        expect_close((m, b), SPEC["workshop_result"], "(m, b) after 1,000 steps at lr=0.01 (the workshop's In [13])",
                     rtol=1e-6, hint="update m and b together from the same gradients, every step",
                     mistake="not_simultaneous_update")


@graded("gradient_descent", "gd_log_history")
def test_gd_log_history(submission):
    with builds_on(submission, "mse_gradients", "mse"):
        X, y = housing_xy()
        m, b, log, history = call_student(submission.gradient_descent, X, y, lr=0.01, iterations=7)
        expect_equal(len(log), 7, "len(log) after 7 iterations", hint="append (m, b) once per step",
                     mistake="log_length")
        expect_equal(len(history), 7, "len(mse_history) after 7 iterations", hint="append the MSE once per step",
                     mistake="history_length")
        expect_close(log[-1], (m, b), "the last entry of log", hint="log holds (m, b) after each step",
                     mistake="log_before_step")
        expected = [oracle_mse(X, y, mm, bb) for mm, bb in log]
        expect_close(history, expected, "mse_history[i] (the MSE on all the data at log[i])", rtol=1e-9,
                     hint="after each step, compute the MSE of the updated line on the whole data",
                     mistake="history_wrong_line")
        expect(history[-1] < history[0], "the MSE should fall during gradient descent at lr=0.01",
               "mse_history[-1] < mse_history[0]", f"{history[0]:.5g} → {history[-1]:.5g}")


@graded("gradient_descent", "batch_shape_range")
def test_batch_shape_range(submission):
    for n, size in [(100, 10), (5, 40), (1, 3)]:
        batch = call_student(submission.sample_batch, n, size, np.random.default_rng(0))
        batch = expect_array(np.asarray(batch), f"sample_batch({n}, {size}, rng)", shape=(size,))
        expect(np.issubdtype(batch.dtype, np.integer), f"sample_batch({n}, {size}, rng): dtype",
               "integer indices", batch.dtype)
        expect(bool(np.all((batch >= 0) & (batch < n))), f"sample_batch({n}, {size}, rng): index range",
               f"indices in range(0, {n})", f"from {batch.min()} to {batch.max()}",
               hint="draw with replacement, so a batch may be larger than n_samples", mistake="index_out_of_range")


@graded("gradient_descent", "batch_reproducible")
def test_batch_reproducible(submission):
    def draw(seed, global_seed):
        np.random.seed(global_seed)
        return np.asarray(call_student(submission.sample_batch, 1000, 20, np.random.default_rng(seed)))

    expect(np.array_equal(draw(7, 0), draw(7, 1)), "two generators seeded with 7 give the same batch",
           "the same indices", "different indices",
           hint="draw with the generator `rng` you are given, not np.random", mistake="global_np_random")
    expect(not np.array_equal(draw(7, 0), draw(8, 0)), "generators seeded 7 and 8 give different batches",
           "different indices", "the same indices", hint="use rng to draw the indices",
           mistake="ignores_rng")
    rng = np.random.default_rng(3)
    first, second = (np.asarray(submission.sample_batch(1000, 20, rng)) for _ in range(2))
    expect(not np.array_equal(first, second), "two calls with the same generator give two batches",
           "different indices", "the same indices", hint="draw from rng itself; do not re-seed it",
           mistake="reseeds_generator")


@graded("gradient_descent", "sgd_start_point")
def test_sgd_start_point(submission):
    X, y = housing_xy()
    m, b, log, _ = call_student(submission.stochastic_gradient_descent, X, y, lr=0.0, iterations=3, seed=0)
    expect_close((m, b), SPEC["start_sgd"], "(m, b) after 3 steps with lr=0 (so: the start point)",
                 hint="stochastic gradient descent starts at m = b = 0.5", mistake="wrong_start_point")
    expect_close(np.asarray(log, dtype=float), [SPEC["start_sgd"]] * 3, "log with lr=0")


@graded("gradient_descent", "sgd_seed")
def test_sgd_seed(submission):
    with builds_on(submission, "sample_batch"):
        X, y = housing_xy()

        def run(seed):
            return call_student(submission.stochastic_gradient_descent, X, y, lr=0.01, iterations=20,
                                batch_size=10, seed=seed)[:2]

        expect_close(run(1), run(1), "two runs with seed=1", rtol=0,
                     hint="make the generator with np.random.default_rng(seed)", mistake="not_reproducible")
        expect(not np.allclose(run(1), run(2)), "runs with seed=1 and seed=2", "different (m, b)",
               f"the same (m, b) = {run(1)}", hint="the seed must decide which batches are drawn",
               mistake="seed_ignored")
        run(None)


@graded("gradient_descent", "sgd_log_history")
def test_sgd_log_history(submission):
    with builds_on(submission, "mse"):
        X, y = housing_xy()
        m, b, log, history = call_student(submission.stochastic_gradient_descent, X, y, lr=0.01, iterations=5,
                                          batch_size=10, seed=0)
        expect_equal((len(log), len(history)), (5, 5), "(len(log), len(mse_history)) after 5 steps")
        expect_close(log[-1], (m, b), "the last entry of log")
        expected = [oracle_mse(X, y, mm, bb) for mm, bb in log]
        expect_close(history, expected, "mse_history[i] (the MSE on ALL the data at log[i])", rtol=1e-9,
                     hint="measure the MSE on the whole data set, not on the batch", mistake="history_on_batch")
