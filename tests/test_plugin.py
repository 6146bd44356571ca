"""The scoring plugin, run in-process on small files with pytester."""

from __future__ import annotations

import json

import pytest

from autograder.plugin import VISIBLE_ONLY

STUDENT = '''
def predict(X, m, b):
    return m * X + b

def mse(y, y_hat):
    raise NotImplementedError("fill in this part")
'''

VISIBLE_TESTS = '''
from autograder.checks import expect_equal
from autograder.plugin import graded

@graded("gradient_descent", "predict_values")       # 1 point
def test_predict(submission):
    assert submission.predict(2, 1, 1) == 3

@graded("gradient_descent", "mse_value")            # 1 point, stub
def test_mse(submission):
    submission.mse(1, 1)

@graded("gradient_descent", "gradients_numerical")  # 2 points, wrong answer
def test_wrong(submission):
    expect_equal(submission.predict(1, 1, 1), 3, "predict(1, 1, 1)", hint="add b")
'''

HIDDEN_TESTS = '''
from autograder.plugin import graded

@graded("gradient_descent", "gd_converges")         # 2 points, hidden
def test_hidden(submission):
    assert submission.predict(0, 1, 5) == 5
'''


@pytest.fixture
def course(pytester):
    pytester.makepyfile(test_visible=VISIBLE_TESTS)
    (pytester.path / "mine").mkdir()
    (pytester.path / "mine" / "gradient_descent.py").write_text(STUDENT)
    return pytester


def run(course, *args):
    return course.runpytest_inprocess("-p", "autograder.plugin", "--target", "mine", *args)


def test_points_and_score_table(course):
    result = run(course, "test_visible.py", "--score-json", "score.json")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.re_match_lines([r"2\. Gradient descent on California housing\s+1/3\s+1/4", r"total\s+1/4"])
    score = json.loads((course.path / "score.json").read_text())
    assert score["total"] == 1 and score["max_total"] == 4
    assert {t["check"]: t["points"] for t in score["tests"]} == {
        "predict_values": 1, "mse_value": 0, "gradients_numerical": 0}


def test_stub_reads_not_implemented_and_others_still_run(course):
    result = run(course, "test_visible.py")
    result.stdout.fnmatch_lines(["*not implemented yet: `mse` in gradient_descent.py still raises NotImplementedError*",
                                 "*1 check(s) not implemented yet (0 points each).*"])
    result.stdout.no_fnmatch_line("*Traceback*")
    result.assert_outcomes(passed=1, failed=2)


def test_failure_text_says_expected_received_and_hint(course):
    result = run(course, "test_visible.py")
    result.stdout.fnmatch_lines(["predict(1, 1, 1)", "  expected: 3", "  received: 2", "  hint: add b"])


def test_visible_only_run_says_so(course):
    result = run(course, "test_visible.py")
    result.stdout.fnmatch_lines([f"{VISIBLE_ONLY} (worth * more points); this is not your grade."])


def test_run_with_hidden_checks_does_not_say_visible_only(course):
    course.makepyfile(test_hidden=HIDDEN_TESTS)
    result = run(course)
    result.assert_outcomes(passed=2, failed=2)
    assert VISIBLE_ONLY not in result.stdout.str()
    result.stdout.re_match_lines([r"total\s+3/6"])


def test_target_switch_by_option_and_environment(course, monkeypatch):
    (course.path / "other").mkdir()
    (course.path / "other" / "gradient_descent.py").write_text(
        "def predict(X, m, b):\n    return m * X + b + 1\n\ndef mse(y, y_hat):\n    return 0.0\n")
    by_option = course.runpytest_inprocess("-p", "autograder.plugin", "--target", "other", "test_visible.py")
    by_option.assert_outcomes(passed=2, failed=1)
    monkeypatch.setenv("DL3_TARGET", "other")
    by_env = course.runpytest_inprocess("-p", "autograder.plugin", "test_visible.py")
    by_env.assert_outcomes(passed=2, failed=1)
    by_env.stdout.fnmatch_lines(["*score (other)*"])


def test_unimportable_submission_fails_each_test_with_the_reason(course):
    (course.path / "mine" / "gradient_descent.py").write_text("def predict(X, m, b)\n    return 1\n")
    result = run(course, "test_visible.py")
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines(["*could not import gradient_descent.py: SyntaxError*"])
    result.stdout.re_match_lines([r"total\s+0/4"])


def test_missing_submission_file_is_reported(course):
    (course.path / "mine" / "gradient_descent.py").unlink()
    result = run(course, "test_visible.py")
    result.stdout.fnmatch_lines(["*gradient_descent.py does not exist: the exercise file is missing*"])


def test_quick_checks_alone_deselects_training(pytester):
    from autograder.specs import all_exercises

    training = [(e.name, c.name) for e in all_exercises().values() for c in e.checks if c.training]
    exercise, check = training[0]
    pytester.makepyfile(f'''
from autograder.plugin import graded

@graded("{exercise}", "{check}")
def test_slow():
    pass

@graded("gradient_descent", "mse_value")
def test_quick():
    pass
''')
    result = pytester.runpytest_inprocess("-p", "autograder.plugin", "-m", "not training")
    result.assert_outcomes(passed=1, deselected=1)


CUINIT = ("E0000 00:00:1796352166.171124    7579 cuda_platform.cc:52] failed call to cuInit: INTERNAL: "
          "CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)")


def test_failed_checks_show_what_the_code_printed_but_not_tensorflows_log_lines(course):
    noise = CUINIT.replace("cuInit", 'cu" "Init')   # the test's source, shown in its traceback, is not noise
    course.makepyfile(test_noise=f'''
import os
from autograder.checks import expect_equal
from autograder.plugin import graded

NOISE = "{noise}\\n".encode()

@graded("gradient_descent", "predict_values")   # a failure the kit words
def test_known(submission):
    os.write(2, NOISE)
    expect_equal(submission.predict(1, 1, 1), 3, "predict(1, 1, 1)")

@graded("gradient_descent", "mse_value")        # an exception escaping the test
def test_unexplained(submission):
    os.write(2, NOISE + b"my own stderr line\\n")
    raise KeyError("boom")
''')
    result = run(course, "test_noise.py", "--score-json", "score.json")
    result.assert_outcomes(failed=2)
    result.stdout.no_fnmatch_line("*cuInit*")
    result.stdout.fnmatch_lines(["*Captured stderr call*", "my own stderr line"])
    assert result.stdout.str().count("Captured stderr call") == 1   # the known failure's section was only noise
    messages = [t["message"] for t in json.loads((course.path / "score.json").read_text())["tests"]]
    assert not any("cuInit" in m for m in messages) and "my own stderr line" in messages[1]


def test_a_wrong_model_spec_is_a_grader_failure_never_the_students_mistake(course):
    course.makepyfile(test_spec='''
from autograder.checks.architecture import ModelSpec, compare_model, dense
from autograder.plugin import graded

@graded("gradient_descent", "predict_values")
def test_spec(submission):   # Dense(2) on 3 inputs has 8 parameters, not the 9 the spec states
    compare_model(None, ModelSpec((3,), (dense(2, "relu"),), total_params=9), "the model")
''')
    result = run(course, "test_spec.py", "--score-json", "score.json")
    result.assert_outcomes(failed=1)
    (test,) = json.loads((course.path / "score.json").read_text())["tests"]
    assert test["failure"] == "grader_failure", test
    assert "the exercise's spec is wrong" in test["message"] and "total_params=9" in test["message"], test
