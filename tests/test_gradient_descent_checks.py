"""Every gradient-descent check, both ways: the reference passes it, a plausible wrong answer fails it.

Each mutant is the reference solution with one realistic mistake; the exercise's
visible and hidden tests are run against it and the checks that must catch the
mistake must score 0.
"""

from __future__ import annotations

import json

import pytest

from autograder.specs.gradient_descent import EXERCISE
from tests.helpers.kit import ROOT

SOLUTION = (ROOT / "solutions" / "gradient_descent.py").read_text()
TEST_FILES = [str(ROOT / "exercises" / "test_gradient_descent.py"),
              str(ROOT / "hidden_tests" / "test_gradient_descent_hidden.py")]

# name: (text in the solution, replacement, checks that must fail)
MUTANTS = {
    "predict_without_intercept": ("return m * np.asarray(X, dtype=np.float64) + b",
                                  "return m * np.asarray(X, dtype=np.float64)", {"predict_values"}),
    "mse_as_sum": ("return float(np.mean(residual**2))", "return float(np.sum(residual**2))", {"mse_value"}),
    "mse_as_rmse": ("return float(np.mean(residual**2))", "return float(np.sqrt(np.mean(residual**2)))",
                    {"mse_value"}),
    "gradient_wrong_sign": ("dm = -2.0 * np.mean(X * residual)\n    db = -2.0 * np.mean(residual)",
                            "dm = 2.0 * np.mean(X * residual)\n    db = 2.0 * np.mean(residual)",
                            {"gradients_numerical", "gradients_many_points", "gd_first_step",
                             "gd_workshop_result", "gd_converges"}),
    "gradient_missing_1_over_n": ("dm = -2.0 * np.mean(X * residual)\n    db = -2.0 * np.mean(residual)",
                                  "dm = -2.0 * np.sum(X * residual)\n    db = -2.0 * np.sum(residual)",
                                  {"gradients_numerical", "gradients_many_points", "gd_first_step"}),
    "gradient_missing_factor_2": ("dm = -2.0 * np.mean(X * residual)\n    db = -2.0 * np.mean(residual)",
                                  "dm = -np.mean(X * residual)\n    db = -np.mean(residual)",
                                  {"gradients_numerical", "gradients_many_points", "gd_workshop_result"}),
    "gradient_without_y": ("residual = np.asarray(y, dtype=np.float64) - (m * X + b)",
                           "residual = -(m * X + b)",  # the workshop's comment, taken literally
                           {"gradients_numerical", "gradients_many_points", "gd_workshop_result"}),
    "gd_sequential_update": ("        m, b = m - lr * dm, b - lr * db\n        log.append((m, b))\n"
                             "        mse_history.append(mse(y, predict(X, m, b)))\n    return m, b, log, mse_history\n"
                             "    ### END SOLUTION\n\n\ndef sample_batch",
                             "        m = m - lr * dm\n        b = b - lr * mse_gradients(X, y, m, b)[1]\n"
                             "        log.append((m, b))\n        mse_history.append(mse(y, predict(X, m, b)))\n"
                             "    return m, b, log, mse_history\n    ### END SOLUTION\n\n\ndef sample_batch",
                             {"gd_first_step", "gd_workshop_result"}),
    "gd_starts_at_zero": ("m, b = 0.2, 0.2", "m, b = 0.0, 0.0", {"gd_first_step", "gd_workshop_result"}),
    "gd_logs_before_update": ("        dm, db = mse_gradients(X, y, m, b)\n        m, b = m - lr * dm, b - lr * db\n"
                              "        log.append((m, b))\n        mse_history.append(mse(y, predict(X, m, b)))\n"
                              "    return m, b, log, mse_history\n    ### END SOLUTION\n\n\ndef sample_batch",
                              "        log.append((m, b))\n        mse_history.append(mse(y, predict(X, m, b)))\n"
                              "        dm, db = mse_gradients(X, y, m, b)\n        m, b = m - lr * dm, b - lr * db\n"
                              "    return m, b, log, mse_history\n    ### END SOLUTION\n\n\ndef sample_batch",
                              {"gd_log_history"}),
    "gd_stops_early": ("    m, b = 0.2, 0.2\n    log, mse_history = [], []\n    for _ in range(iterations):",
                       "    m, b = 0.2, 0.2\n    log, mse_history = [], []\n    for _ in range(min(iterations, 300)):",
                       {"gd_converges"}),
    "batch_without_replacement": ("return rng.integers(0, n_samples, size=batch_size)",
                                  "return rng.choice(n_samples, size=batch_size, replace=False)",
                                  {"batch_shape_range", "batch_uniform"}),
    "batch_from_global_random": ("return rng.integers(0, n_samples, size=batch_size)",
                                 "return np.random.randint(0, n_samples, size=batch_size)",
                                 {"batch_reproducible", "sgd_seed"}),
    "batch_reseeds": ("return rng.integers(0, n_samples, size=batch_size)",
                      "return np.random.default_rng(0).integers(0, n_samples, size=batch_size)",
                      {"batch_reproducible", "sgd_fresh_batches", "sgd_seed"}),
    "batch_not_uniform": ("return rng.integers(0, n_samples, size=batch_size)",
                          "return np.minimum(rng.integers(0, n_samples + 1, size=batch_size), n_samples - 1)",
                          {"batch_uniform"}),
    "batch_off_by_one": ("return rng.integers(0, n_samples, size=batch_size)",
                         "return rng.integers(1, n_samples + 1, size=batch_size)",
                         {"batch_shape_range"}),
    "sgd_ignores_seed": ("rng = np.random.default_rng(seed)", "rng = np.random.default_rng()",
                         {"sgd_seed", "sgd_fresh_batches"}),
    "sgd_starts_at_gd_point": ("m, b = 0.5, 0.5", "m, b = 0.2, 0.2", {"sgd_start_point", "sgd_fresh_batches"}),
    "sgd_one_batch_for_all_steps": ("    for _ in range(iterations):\n        batch = sample_batch(len(X), batch_size, rng)\n",
                                    "    batch = sample_batch(len(X), batch_size, rng)\n    for _ in range(iterations):\n",
                                    {"sgd_fresh_batches"}),
    "sgd_generator_per_step": ("        batch = sample_batch(len(X), batch_size, rng)\n",
                               "        batch = sample_batch(len(X), batch_size, np.random.default_rng(seed))\n",
                               {"sgd_fresh_batches"}),
    "sgd_full_data_gradients": ("dm, db = mse_gradients(X[batch], y[batch], m, b)", "dm, db = mse_gradients(X, y, m, b)",
                                {"sgd_fresh_batches"}),
    "sgd_history_on_batch": ("y[batch], m, b)\n        m, b = m - lr * dm, b - lr * db\n        log.append((m, b))\n"
                             "        mse_history.append(mse(y, predict(X, m, b)))\n    return m, b, log, mse_history\n"
                             "    ### END SOLUTION\n",
                             "y[batch], m, b)\n        m, b = m - lr * dm, b - lr * db\n        log.append((m, b))\n"
                             "        mse_history.append(mse(y[batch], predict(X[batch], m, b)))\n"
                             "    return m, b, log, mse_history\n    ### END SOLUTION\n",
                             {"sgd_log_history"}),
    "sgd_update_wrong_sign": ("dm, db = mse_gradients(X[batch], y[batch], m, b)\n        m, b = m - lr * dm, b - lr * db",
                              "dm, db = mse_gradients(X[batch], y[batch], m, b)\n        m, b = m + lr * dm, b + lr * db",
                              {"sgd_fresh_batches", "sgd_converges"}),
}


def grade(pytester, source: str) -> dict[str, float]:
    target = pytester.path / "submission"
    target.mkdir(exist_ok=True)
    (target / "gradient_descent.py").write_text(source)
    score = pytester.path / "score.json"
    pytester.runpytest_inprocess(*TEST_FILES, "--target", str(target), "--score-json", str(score), "-q")
    return {t["check"]: t["points"] for t in json.loads(score.read_text())["tests"]}


def test_every_check_has_a_mutant_that_it_catches():
    caught = set().union(*(checks for _, _, checks in MUTANTS.values()))
    assert caught == {c.name for c in EXERCISE.checks}


def test_reference_scores_full_marks(pytester):
    points = grade(pytester, SOLUTION)
    assert points == {c.name: c.points for c in EXERCISE.checks}


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_mutant_is_caught(pytester, name):
    old, new, must_fail = MUTANTS[name]
    assert SOLUTION.count(old) == 1, f"mutant {name} no longer applies to the solution"
    points = grade(pytester, SOLUTION.replace(old, new))
    failed = {check for check, pts in points.items() if pts == 0}
    assert must_fail <= failed, f"{name}: these checks let the mistake through: {sorted(must_fail - failed)}"
    assert failed != set(points), f"{name}: the mutant should still earn some points"
