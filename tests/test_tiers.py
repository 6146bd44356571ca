"""The tier guard (``tests/helpers/tiers.py``), run in-process on small test files with pytester: an unmarked test
that starts a grading or trains a model fails with a message naming the marker; marked, or cheap, it runs."""

from __future__ import annotations

import sys

import pytest

from tests.helpers.tiers import why_slow

PY = sys.executable
GRADES = '''
import subprocess, sys
{mark}
def test_grades(tmp_path):
    subprocess.run([sys.executable, "-m", "autograder", "grade", str(tmp_path / "nothing"),
                    "--results", str(tmp_path / "r.json")], capture_output=True)
'''
TRAINS_AND_CATCHES = '''
import keras, numpy as np
def test_trains():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    try:
        model.fit(np.zeros((4, 2)), np.zeros(4), epochs=1, verbose=0)
    except Exception:
        pass   # the guard's error, caught: the test must fail all the same
'''
CHECKS_STUBS = '''
import subprocess, sys
def test_stubs_are_fresh():
    done = subprocess.run([sys.executable, "-m", "autograder", "stubs", "--check"], capture_output=True)
    assert done.returncode == 0
'''
MODULE_FIXTURE_GRADES = '''
import subprocess, sys, pytest
@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subprocess.run([sys.executable, "-m", "autograder", "grade-batch", "nowhere", "--out", "x"], capture_output=True)
def test_reads_the_grading(graded):
    pass
'''


def run(pytester, source: str):
    pytester.makepyfile(test_case=source)
    return pytester.runpytest_inprocess("-p", "tests.helpers.tiers", "-W", "ignore::pytest.PytestUnknownMarkWarning")


def test_an_unmarked_test_that_grades_fails_naming_the_marker(pytester):
    result = run(pytester, GRADES.format(mark=""))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*starts a grading (python -m autograder grade)*add @pytest.mark.slow*"])


def test_the_same_test_marked_slow_runs(pytester):
    run(pytester, "import pytest\n" + GRADES.format(mark="@pytest.mark.slow")).assert_outcomes(passed=1)


def test_training_fails_an_unmarked_test_even_where_it_catches_the_error(pytester):
    result = run(pytester, TRAINS_AND_CATCHES)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*trains a Keras model (Model.fit)*add @pytest.mark.slow*"])


def test_a_module_fixture_that_grades_fails_the_test_that_asks_for_it(pytester):
    result = run(pytester, MODULE_FIXTURE_GRADES)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*starts a grading (python -m autograder grade-batch)*"])


def test_a_cheap_command_of_the_kit_stays_quick(pytester):
    run(pytester, CHECKS_STUBS).assert_outcomes(passed=1)


@pytest.mark.parametrize("argv, reason", [
    ([PY, "-m", "autograder", "grade", "sub", "--results", "r.json"], "starts a grading"),
    (["bash", "/srv/autograder/run_autograder"], "run_autograder"),
    ([PY, "-m", "pytest", "hidden_tests/x.py", "--sandbox", "--target", "s"], "starts a judge"),
    (["/venv/bin/nbgrader", "autograde", "dl3"], "nbgrader"),
    (["/venv/bin/jupyter", "lab", "--no-browser"], "Jupyter"),
    ([PY, "-m", "ipykernel_launcher", "-f", "k.json"], "kernel"),
    (["/usr/bin/chromedriver", "--port=0"], "browser"),
    (["/bin/sh", "-c", "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt"], "venv"),
    ([PY, "-m", "pytest", "exercises/", "hidden_tests/", "--target", "solutions"], "training"),
    ([PY, "-c", "m = SandboxManager(root, limits)"], "student processes"),
    ([PY, "-c", "with start_zygote(python, preload, env, cwd, log, 60) as zygote: ..."], "student processes"),
])
def test_expensive_starts_are_recognised_by_their_arguments(argv, reason):
    assert reason in (why_slow(argv) or "")


@pytest.mark.parametrize("argv", [
    [PY, "-m", "autograder", "stubs", "--check"],
    [PY, "-m", "autograder", "class-report", "graded/"],
    [PY, "-m", "pytest", "exercises/", "hidden_tests/", "--target", "solutions", "-m", "not training"],
    [PY, "-m", "pytest", "exercises/", "--target", "exercises"],
    [PY, "-m", "pytest", "exercises/test_gradient_descent.py", "--target", "sub"],
    ["git", "ls-files"],
])
def test_cheap_commands_are_not(argv):
    assert why_slow(argv) is None


def test_a_shell_command_of_os_system_is_read_word_by_word(pytester):
    source = '''
import os
def test_grades_through_a_shell():
    os.system("cd /tmp && python -m autograder grade nothing --results r.json")
'''
    result = run(pytester, source)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*starts a grading (python -m autograder grade)*"])
