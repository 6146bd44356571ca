"""Named mistakes and failure kinds reach every results format, and both routes agree on them.

One gradient-descent submission carries four mistakes of different kinds: a flipped
gradient sign (a named wrong answer), an ``mse`` that crashes, a stub (not implemented)
and the other exercises left out (not submitted). It is graded by the LMS route
(``python -m autograder grade``: results.json and JUnit) and by the student's route
(``pytest --score-json``); both must file every check under the same kind and mistake.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from autograder.checks.mistakes import NAMED_KINDS
from autograder.grade.supervisor.results import validate_gradescope
from autograder.specs import get_exercise
from tests.helpers.kit import ROOT, run_kit

pytestmark = pytest.mark.slow

PATCH = '''

_right_gradients = mse_gradients


def mse_gradients(X, y, m, b):
    dm, db = _right_gradients(X, y, m, b)
    return -dm, -db


def mse(y, y_hat):
    raise ValueError("not today")


def sample_batch(n_samples, batch_size, rng):
    raise NotImplementedError
'''


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("mistake_formats")
    sub = tmp / "submission"
    sub.mkdir()
    (sub / "gradient_descent.py").write_text((ROOT / "solutions" / "gradient_descent.py").read_text() + PATCH)
    done = run_kit("-m", "autograder", "grade", str(sub), "--results", str(tmp / "results.json"),
                   "--junit", str(tmp / "junit.xml"))
    assert done.returncode == 0, done.stderr[-3000:]
    pytest_run = run_kit("-m", "pytest", "exercises/test_gradient_descent.py",
                         "hidden_tests/test_gradient_descent_hidden.py", "--target", str(sub),
                         "--score-json", str(tmp / "score.json"), "-q", "-p", "no:cacheprovider")
    assert (tmp / "score.json").is_file(), pytest_run.stdout[-3000:]
    return {"results": json.loads((tmp / "results.json").read_text()),
            "junit": ET.parse(tmp / "junit.xml").getroot(),
            "score": json.loads((tmp / "score.json").read_text())}


def by_check(results: dict) -> dict[tuple[str, str], dict]:
    return {(t["extra_data"]["exercise"], t["extra_data"]["check"]): t for t in results["tests"]}


def test_results_json_carries_kind_and_mistake_of_each_check(graded):
    results = graded["results"]
    assert validate_gradescope(results) == []
    tests = by_check(results)
    flipped = tests[("gradient_descent", "gradients_numerical")]
    assert flipped["extra_data"]["failure"] == "wrong_answer"
    assert flipped["extra_data"]["mistake"] == "gradient_descent.gradients_numerical.sign_flipped"
    assert "gradient_descent.gradients_numerical.sign_flipped" in flipped["tags"]
    crashed = tests[("gradient_descent", "mse_value")]
    assert (crashed["extra_data"]["failure"], crashed["extra_data"]["mistake"]) == \
        ("crash", "gradient_descent.mse_value.crash")
    stub = tests[("gradient_descent", "batch_shape_range")]
    assert (stub["extra_data"]["failure"], stub["extra_data"]["mistake"]) == ("not_implemented", None)
    right = tests[("gradient_descent", "predict_values")]
    assert right["status"] == "passed"
    assert (right["extra_data"]["failure"], right["extra_data"]["mistake"]) == (None, None)
    for check in get_exercise("mnist_cnn").checks:
        absent = tests[("mnist_cnn", check.name)]["extra_data"]
        assert (absent["failure"], absent["mistake"]) == ("not_submitted", None)


def test_every_named_failure_has_a_mistake_of_its_own_check(graded):
    for test in graded["results"]["tests"]:
        data = test["extra_data"]
        if test["status"] == "passed":
            assert data["failure"] is None and data["mistake"] is None
        elif data["failure"] in NAMED_KINDS:
            assert data["mistake"].startswith(f"{data['exercise']}.{data['check']}."), test
        else:
            assert data["mistake"] is None, test


def test_junit_names_kind_and_mistake(graded):
    results = by_check(graded["results"])
    for case in graded["junit"].iter("testcase"):
        test = results[(case.get("classname"), case.get("name"))]
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        assert props["mistake"] == (test["extra_data"]["mistake"] or "")
        assert props["failure"] == (test["extra_data"]["failure"] or "")
        failure = case.find("failure")
        if test["status"] != "passed":
            assert failure.get("type") == test["extra_data"]["failure"]


def test_student_route_files_the_same_mistakes_as_the_grader(graded):
    grader = by_check(graded["results"])
    student = {(t["exercise"], t["check"]): t for t in graded["score"]["tests"]}
    assert student, "the pytest route graded nothing"
    for key, test in student.items():
        expected = grader[key]["extra_data"]
        assert (test["failure"], test["mistake"]) == (expected["failure"], expected["mistake"]), key
