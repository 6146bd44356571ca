"""Thresholds and reference costs know what they were measured on (``autograder/fingerprints.py``).

Each threshold sweep and each exercise's reference costs record the fingerprint of the reference
(its syntax tree: docstrings and comments do not count) and of the spec fields they depend on;
when it no longer matches, the kit's tests and ``gradescope-bundle`` fail with the command to run.
"""

from __future__ import annotations

from dataclasses import replace

from autograder.checks.training import TrainingSetup
from autograder.fingerprints import normal_source, stale_costs, stale_measurements, stale_thresholds
from autograder.grade.limits import REFERENCE_COSTS
from autograder.specs import all_exercises
from tests.helpers.kit import ROOT, SHARED_DATA, copy_kit, run_kit

MNIST_CONV = "keras.layers.Conv2D(25, kernel_size=(3, 3)"


def test_the_kits_thresholds_and_costs_are_fresh():
    assert stale_measurements(ROOT) == []


def test_the_check_commands_report_nothing_stale():
    for command in (["benchmarks/sweep_thresholds.py", "--check"], ["-m", "autograder", "reference-costs", "--check"]):
        done = run_kit(*command, timeout=300)
        assert done.returncode == 0 and "stale" not in done.stdout, done.stdout + done.stderr


def test_docstrings_comments_and_layout_do_not_count_code_does():
    source = (ROOT / "solutions" / "mnist_cnn.py").read_text()
    reworded = source.replace('"""The workshop\'s CNN', '"""A reworded docstring: the CNN').replace(
        "    ### BEGIN SOLUTION\n", "    ### BEGIN SOLUTION\n    # a comment\n\n")
    assert reworded != source and normal_source(reworded) == normal_source(source)
    assert normal_source(source.replace(MNIST_CONV, MNIST_CONV.replace("25", "64"))) != normal_source(source)


def test_a_changed_model_makes_its_thresholds_and_costs_stale_with_the_command(tmp_path):
    root = copy_kit(tmp_path, {"solutions/mnist_cnn.py": (MNIST_CONV, MNIST_CONV.replace("25", "64"))})
    thresholds = stale_thresholds(root)
    assert any("re-run `python benchmarks/sweep_thresholds.py --only mnist_cnn`" in p for p in thresholds), thresholds
    assert not any("cifar" in p for p in thresholds)
    costs = stale_costs(root, root / REFERENCE_COSTS.relative_to(ROOT))
    assert costs == [c for c in costs if "mnist_cnn" in c] and len(costs) == 1
    assert "re-run `python -m autograder reference-costs --exercise mnist_cnn`" in costs[0]


def test_the_bundle_is_not_built_on_stale_measurements(tmp_path):
    root = copy_kit(tmp_path / "kit", {"solutions/mnist_cnn.py": (MNIST_CONV, MNIST_CONV.replace("25", "64"))})
    out = tmp_path / "autograder.zip"
    done = run_kit("-m", "autograder", "gradescope-bundle", str(out), "--data-dir", str(SHARED_DATA), cwd=root,
                   timeout=300)
    assert done.returncode == 2 and not out.exists()
    assert "python benchmarks/sweep_thresholds.py --only mnist_cnn" in done.stderr
    assert "python -m autograder reference-costs --exercise mnist_cnn" in done.stderr


def with_extra(exercise_name: str, **settings) -> dict:
    exercises = all_exercises()
    exercise = exercises[exercise_name]
    return {**exercises, exercise_name: replace(exercise, extra={**exercise.extra, **settings})}


def with_setting(exercise_name: str, key: str, **changes) -> dict:
    return with_extra(exercise_name, **{key: replace(all_exercises()[exercise_name].extra[key], **changes)})


def test_a_changed_training_setup_is_stale_the_threshold_alone_is_checked_against_the_runs():
    bigger = with_setting("mnist_cnn", "cnn_training", n_train=6000)
    assert any("--only mnist_cnn`" in p for p in stale_thresholds(ROOT, bigger))
    reachable = with_setting("mnist_cnn", "cnn_training", threshold=0.88)
    assert stale_thresholds(ROOT, reachable) == []
    too_high = with_setting("mnist_cnn", "cnn_training", threshold=0.95)
    (problem,) = stale_thresholds(ROOT, too_high)
    assert problem.startswith("hidden_tests/hidden_specs.py: extra['cnn_training'].threshold = 0.95 is above")
    assert "worst of the sweep's 20 reference runs (0.890)" in problem


def test_a_training_setup_no_sweep_measures_is_named():
    setup = TrainingSetup(n_train=100, n_test=10, batch_size=8, max_epochs=1, threshold=0.5)
    (problem,) = stale_thresholds(ROOT, with_extra("gradient_descent", new_training=setup))
    assert problem.startswith("autograder/specs/gradient_descent.py: extra['new_training']")
    assert "add a case to benchmarks/sweep_thresholds.py" in problem


def test_costs_depend_on_the_checks_and_the_settings():
    exercises = all_exercises()
    fewer_checks = {**exercises, "gradient_descent": replace(exercises["gradient_descent"],
                                                             checks=exercises["gradient_descent"].checks[:-1])}
    for changed in (fewer_checks, with_extra("gradient_descent", sgd_iterations=6000)):
        (problem,) = stale_costs(ROOT, REFERENCE_COSTS, changed)
        assert "reference-costs --exercise gradient_descent" in problem
    points_only = replace(exercises["gradient_descent"].checks[0], points=5)
    more_points = {**exercises, "gradient_descent": replace(
        exercises["gradient_descent"], checks=(points_only, *exercises["gradient_descent"].checks[1:]))}
    assert stale_costs(ROOT, REFERENCE_COSTS, more_points) == []   # points are in no fingerprint


def test_a_tolerance_is_checked_against_the_recorded_runs_and_its_runs_settings_are_fingerprinted():
    assert stale_thresholds(ROOT, with_extra("gradient_descent", sgd_tolerance=(0.004, 0.013))) == []
    (problem,) = stale_thresholds(ROOT, with_extra("gradient_descent", sgd_tolerance=(0.003, 0.025)))
    assert problem.startswith("hidden_tests/hidden_specs.py: extra['sgd_tolerance'] = (0.003, 0.025) does not "
                              "allow the worst of the sweep's 40 reference runs")
    (problem,) = stale_thresholds(ROOT, with_extra("gradient_descent", sgd_lr=0.02))
    assert "re-run `python benchmarks/sweep_thresholds.py --only sgd`" in problem
