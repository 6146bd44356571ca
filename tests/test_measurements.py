"""Thresholds and reference costs know what they were measured on (``autograder/fingerprints.py``).

Each threshold sweep and each exercise's reference costs record the fingerprint of the reference
(its syntax tree: docstrings and comments do not count) and of the spec fields they depend on;
when it no longer matches, the kit's tests and ``gradescope-bundle`` fail with the command to run.
"""

from __future__ import annotations

import re
from dataclasses import replace

from autograder.checks.training import TrainingSetup
from autograder.costs import measured_summary
from autograder.fingerprints import normal_source, read_json, stale_costs, stale_measurements, stale_thresholds
from autograder.grade.limits import REFERENCE_COSTS
from autograder.specs import all_exercises
from tests.helpers.kit import ROOT, SHARED_DATA, copy_kit, run_kit

SWEEP = read_json(ROOT / "benchmarks" / "sweep_thresholds.json")["cases"]


def first_cnn_layer() -> str:
    """The first layer of the reference's build_cnn_model, as its source spells it (whatever the model is)."""
    source = (ROOT / "solutions" / "mnist_cnn.py").read_text()
    builder = source[source.index("def build_cnn_model("):]
    return re.search(r"keras\.Input\(.*\),\n\s*(keras\.layers\.\w+\(.*\)),\n", builder).group(1)


def changed_cnn() -> tuple[str, str]:
    """An edit of the reference's code (its first CNN layer gets another name): a change of the model's code."""
    layer = first_cnn_layer()
    return layer, layer[:-1] + ', name="renamed")'


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
    assert normal_source(source.replace(*changed_cnn())) != normal_source(source)


def test_a_changed_model_makes_its_thresholds_and_costs_stale_with_the_command(tmp_path):
    root = copy_kit(tmp_path, {"solutions/mnist_cnn.py": changed_cnn()})
    thresholds = stale_thresholds(root)
    assert any("re-run `python benchmarks/sweep_thresholds.py --only mnist_cnn`" in p for p in thresholds), thresholds
    assert not any("cifar" in p for p in thresholds)
    costs = stale_costs(root, root / REFERENCE_COSTS.relative_to(ROOT))
    assert costs == [c for c in costs if "mnist_cnn" in c] and len(costs) == 1
    assert "re-run `python -m autograder reference-costs --exercise mnist_cnn`" in costs[0]


def test_the_bundle_is_not_built_on_stale_measurements(tmp_path):
    root = copy_kit(tmp_path / "kit", {"solutions/mnist_cnn.py": changed_cnn()})
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
    setup = all_exercises()["mnist_cnn"].extra["cnn_training"]
    bigger = with_setting("mnist_cnn", "cnn_training", n_train=setup.n_train + 1000)
    assert any("--only mnist_cnn`" in p for p in stale_thresholds(ROOT, bigger))
    runs = SWEEP["mnist_cnn"]["best_accuracy"]   # the sweep's recorded reference runs
    reachable = with_setting("mnist_cnn", "cnn_training", threshold=round(min(runs) - 0.01, 3))
    assert stale_thresholds(ROOT, reachable) == []
    above = round(min(runs) + 0.005, 3)
    (problem,) = stale_thresholds(ROOT, with_setting("mnist_cnn", "cnn_training", threshold=above))
    assert problem.startswith(f"hidden_tests/hidden_specs.py: extra['cnn_training'].threshold = {above:g} is above")
    assert f"worst of the sweep's {len(runs)} reference runs ({min(runs):.3f})" in problem


def test_a_training_setup_no_sweep_measures_is_named():
    setup = TrainingSetup(n_train=100, n_test=10, batch_size=8, max_epochs=1, threshold=0.5)
    (problem,) = stale_thresholds(ROOT, with_extra("gradient_descent", new_training=setup))
    assert problem.startswith("autograder/specs/gradient_descent.py: extra['new_training']")
    assert "add a case to benchmarks/sweep_thresholds.py" in problem


def test_costs_depend_on_the_checks_and_the_settings():
    exercises = all_exercises()
    fewer_checks = {**exercises, "gradient_descent": replace(exercises["gradient_descent"],
                                                             checks=exercises["gradient_descent"].checks[:-1])}
    longer = with_extra("gradient_descent", sgd_iterations=exercises["gradient_descent"].extra["sgd_iterations"] * 2)
    for changed in (fewer_checks, longer):
        (problem,) = stale_costs(ROOT, REFERENCE_COSTS, changed)
        assert "reference-costs --exercise gradient_descent" in problem
    points_only = replace(exercises["gradient_descent"].checks[0], points=5)
    more_points = {**exercises, "gradient_descent": replace(
        exercises["gradient_descent"], checks=(points_only, *exercises["gradient_descent"].checks[1:]))}
    assert stale_costs(ROOT, REFERENCE_COSTS, more_points) == []   # points are in no fingerprint


def test_a_tolerance_is_checked_against_the_recorded_runs_and_its_runs_settings_are_fingerprinted():
    record = SWEEP["sgd"]
    worst = record["worst"]   # (m, b): the largest deviations of the sweep's recorded runs
    assert stale_thresholds(ROOT, with_extra("gradient_descent", sgd_tolerance=tuple(w * 1.1 for w in worst))) == []
    too_tight = (round(worst[0] * 0.9, 5), round(worst[1] * 2, 5))
    (problem,) = stale_thresholds(ROOT, with_extra("gradient_descent", sgd_tolerance=too_tight))
    assert problem.startswith(f"hidden_tests/hidden_specs.py: extra['sgd_tolerance'] = {too_tight} does not "
                              f"allow the worst of the sweep's {record['seeds']} reference runs")
    faster = with_extra("gradient_descent", sgd_lr=all_exercises()["gradient_descent"].extra["sgd_lr"] * 2)
    (problem,) = stale_thresholds(ROOT, faster)
    assert "re-run `python benchmarks/sweep_thresholds.py --only sgd`" in problem


def test_reference_costs_reports_the_checks_of_the_exercise_it_measured():
    data = read_json(REFERENCE_COSTS)
    checks = len(all_exercises()["gradient_descent"].checks)   # visible and hidden: each has a measured cost
    summary = measured_summary(data, ["gradient_descent"])
    assert summary.startswith(f"wrote the reference's cost of {checks} checks of gradient_descent; the other")
    assert f"({len(data['checks'])} checks in all;" in summary and checks < len(data["checks"])
    assert measured_summary(data).startswith(f"wrote the reference's cost of {len(data['checks'])} checks (")


def test_each_exercises_judge_time_was_measured_alone():
    """The judges are balanced by these figures: one figure for all (the whole run's time) balances nothing."""
    units = read_json(REFERENCE_COSTS)["units"]
    assert set(units) == set(all_exercises())
    assert len(set(units.values())) == len(units), units
