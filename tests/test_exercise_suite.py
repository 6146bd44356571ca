"""The exercise suite end to end, in-process (``pytest --target``): the reference scores full marks, the stubs zero.

The quick tier runs the reference's checks that train no model; the whole suite runs them all.
"""

from __future__ import annotations

import json

import pytest

from autograder.specs import all_exercises
from tests.helpers.kit import ROOT, run_kit


def grade(target: str, tmp_path, *args: str) -> tuple[dict, str]:
    score = tmp_path / f"{target}.json"
    done = run_kit("-m", "pytest", *args, "--target", target, "--score-json", str(score), "-q", cwd=ROOT,
                   timeout=1800)
    return json.loads(score.read_text()), done.stdout


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return grade("solutions", tmp_path_factory.mktemp("ref"), "exercises/", "hidden_tests/")


@pytest.fixture(scope="module")
def reference_untrained(tmp_path_factory):
    return grade("solutions", tmp_path_factory.mktemp("ref_quick"), "exercises/", "hidden_tests/", "-m", "not training")


@pytest.fixture(scope="module")
def stubs(tmp_path_factory):
    return grade("exercises", tmp_path_factory.mktemp("stubs"), "exercises/", "hidden_tests/")


@pytest.mark.slow
def test_reference_scores_full_marks(reference):
    score, out = reference
    failed = [t["nodeid"] + ": " + t["message"] for t in score["tests"] if t["status"] != "passed"]
    assert not failed, "\n".join(failed)
    assert score["total"] == score["max_total"] == sum(e.points for e in all_exercises().values())


def test_reference_passes_every_check_that_trains_no_model(reference_untrained):
    score, _ = reference_untrained
    ran = {(t["exercise"], t["check"]): t for t in score["tests"]}
    assert set(ran) == {(e.name, c.name) for e in all_exercises().values() for c in e.checks if not c.training}
    failed = [t["nodeid"] + ": " + t["message"] for t in ran.values() if t["status"] != "passed"]
    assert not failed, "\n".join(failed)
    assert not [t["nodeid"] for t in ran.values() if t["failure"] is not None or t["mistake"] is not None]


@pytest.mark.slow
def test_reference_names_no_mistake(reference):
    score, _ = reference
    named = [(t["nodeid"], t["failure"], t["mistake"]) for t in score["tests"]
             if t["failure"] is not None or t["mistake"] is not None]
    assert not named


def test_every_check_in_the_specs_is_graded_by_exactly_one_test(stubs):
    score, _ = stubs
    ran = sorted((t["exercise"], t["check"]) for t in score["tests"])
    declared = sorted((e.name, c.name) for e in all_exercises().values() for c in e.checks)
    assert ran == declared


def test_hidden_checks_live_only_outside_exercises(stubs):
    score, _ = stubs
    for test in score["tests"]:
        in_hidden_dir = test["nodeid"].startswith("hidden_tests/")
        assert test["hidden"] == in_hidden_dir, test["nodeid"]


def test_stubs_score_zero_and_every_check_reads_not_implemented(stubs):
    score, out = stubs
    assert score["total"] == 0
    assert {t["status"] for t in score["tests"]} == {"not implemented"}
    assert {(t["failure"], t["mistake"]) for t in score["tests"]} == {("not_implemented", None)}
    assert len(score["tests"]) == sum(len(e.checks) for e in all_exercises().values())
