"""Never a silent gap: a declared check without a test, a test for no declared check, specs that
disagree — each refused loudly, with the file and the field to change.

- pytest route (in-process, ``pytester``): where the kit's test files are, the score table lists
  a declared check that no test grades as NOT RUN, counts its points, and the run fails; a
  mark for an undeclared check, or a hidden check's test among the visible ones, is a
  collection error; a run that deselects checks says how many.
- ``grade`` (a real run in a copy of the kit): no score, exit 3, and the instructor's log names
  the file that lacks the test; ``notebooks`` and ``gradescope-bundle`` refuse.
- Specs: exercises are found in ``autograder/specs/`` (ordered by ``order``); a module that is
  no exercise, a name that is not its module's, hidden counts that disagree, a hidden check
  after no check, a ``HIDDEN`` entry for no exercise — each a ``SpecError`` naming the files.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from dataclasses import replace

import pytest

from autograder.specs import HIDDEN_SPECS, SpecError, all_exercises, get_exercise, with_hidden
from tests.helpers.kit import ROOT, SHARED_DATA, copy_kit, run_kit

GD = get_exercise("gradient_descent")
PARTIAL_TESTS = '''
from autograder.plugin import graded

@graded("gradient_descent", "predict_values")
def test_predict(submission):
    assert submission.predict(2, 1, 1) == 3
'''
STUDENT = "def predict(X, m, b):\n    return m * X + b\n"


@pytest.fixture
def course(pytester):
    (pytester.path / "exercises").mkdir()
    (pytester.path / "exercises" / "test_gradient_descent.py").write_text(PARTIAL_TESTS)
    (pytester.path / "mine").mkdir()
    (pytester.path / "mine" / "gradient_descent.py").write_text(STUDENT)
    return pytester


def test_a_declared_check_without_a_test_is_listed_as_not_run_and_fails_the_run(course):
    result = course.runpytest_inprocess("-p", "autograder.plugin", "--target", "mine", "--score-json", "score.json")
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    missing = [c for c in GD.checks if c.name != "predict_values"]
    result.stdout.fnmatch_lines([f"*{len(missing)} check(s) NOT RUN: no test grades them (this run fails):*",
                                 "*no test grades the check gradient_descent/mse_value that autograder/specs/"
                                 "gradient_descent.py (checks) declares: add a test marked @graded("
                                 "'gradient_descent', 'mse_value') to exercises/test_gradient_descent.py*"])
    assert ("gradient_descent/gd_converges that hidden_tests/hidden_specs.py (HIDDEN['gradient_descent']['checks']) "
            "declares: add a test marked @graded('gradient_descent', 'gd_converges') to "
            "hidden_tests/test_gradient_descent_hidden.py") in result.stdout.str()
    score = json.loads((course.path / "score.json").read_text())
    assert score["total"] == 1 and score["max_total"] == GD.points   # every point counted, 1 earned
    assert sorted(t["check"] for t in score["tests"] if t["status"] == "not run") == sorted(c.name for c in missing)


def test_without_the_kits_test_files_nothing_is_a_gap(pytester):
    pytester.makepyfile(test_visible=PARTIAL_TESTS)   # no exercises/ folder: not the kit's layout
    (pytester.path / "mine").mkdir()
    (pytester.path / "mine" / "gradient_descent.py").write_text(STUDENT)
    result = pytester.runpytest_inprocess("-p", "autograder.plugin", "--target", "mine")
    assert result.ret == pytest.ExitCode.OK and "NOT RUN" not in result.stdout.str()


def test_the_kits_own_checks_all_have_their_tests():
    from autograder.graded_tests import untested_checks
    from autograder.specs import all_exercises

    assert [g.message(ROOT) for e in all_exercises().values() for g in untested_checks(ROOT, e)] == []


def test_a_mark_for_an_undeclared_check_is_a_collection_error(course):
    course.makepyfile(test_more='''
from autograder.plugin import graded

@graded("gradient_descent", "mse_values")
def test_typo(submission):
    pass
''')
    result = course.runpytest_inprocess("-p", "autograder.plugin", "--target", "mine", "test_more.py")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*test_more.py: test_typo is marked @graded('gradient_descent', 'mse_values'), "
                                 "but no spec declares that check: add Check('mse_values', ...) to the checks in "
                                 "autograder/specs/gradient_descent.py*"])


def test_a_hidden_checks_test_among_the_visible_ones_is_a_collection_error(course):
    (course.path / "exercises" / "test_gradient_descent.py").write_text(PARTIAL_TESTS.replace(
        '"predict_values"', '"gd_converges"'))
    result = course.runpytest_inprocess("-p", "autograder.plugin", "--target", "mine")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*a hidden check, among the visible tests that students receive: move it to "
                                 "hidden_tests/test_gradient_descent_hidden.py*"])


def test_a_run_that_deselects_checks_says_so(pytester):
    pytester.makepyfile(test_some='''
from autograder.plugin import graded

@graded("mnist_cnn", "dense_accuracy")
def test_slow(submission):
    pass

@graded("mnist_cnn", "one_hot")
def test_quick(submission):
    pass
''')
    result = pytester.runpytest_inprocess("-p", "autograder.plugin", "-m", "not training")
    points = get_exercise("mnist_cnn").check("dense_accuracy").points
    result.stdout.fnmatch_lines([f"1 check(s) worth {points:g} points not selected in this run (-m / -k)*"])


# --------------------------------------------------------------------------
# grade, notebooks and the Gradescope bundle, in a copy of the kit whose hidden check lost its test


@pytest.fixture(scope="module")
def gap_kit(tmp_path_factory):
    hidden = "hidden_tests/test_gradient_descent_hidden.py"
    mark = '@graded("gradient_descent", "batch_uniform")'
    assert mark in (ROOT / hidden).read_text()
    return copy_kit(tmp_path_factory.mktemp("gap_kit"), {hidden: (mark, "")})


@pytest.mark.slow
def test_grade_records_no_score_and_exits_3(gap_kit, tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "gradient_descent.py").write_text((ROOT / "solutions" / "gradient_descent.py").read_text())
    done = run_kit("-m", "autograder", "grade", str(tmp_path / "sub"), "--results", str(tmp_path / "results.json"),
                   "--quiet", cwd=gap_kit, timeout=600)
    assert done.returncode == 3, done.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    assert "score" not in results and "tests" not in results
    assert "grading could not complete" in results["output"]
    assert ("no test grades the check gradient_descent/batch_uniform that hidden_tests/hidden_specs.py "
            "(HIDDEN['gradient_descent']['checks']) declares") in done.stderr
    assert "hidden_tests/test_gradient_descent_hidden.py" in done.stderr and "fix: add the test" in done.stderr


def test_notebooks_and_the_bundle_refuse(gap_kit, tmp_path):
    for command in (["notebooks"], ["notebooks", "--check"],
                    ["gradescope-bundle", str(tmp_path / "autograder.zip"), "--data-dir", str(SHARED_DATA)]):
        done = run_kit("-m", "autograder", *command, cwd=gap_kit, timeout=300)
        assert done.returncode == 2, (command, done.stdout, done.stderr)
        assert "no test grades the check gradient_descent/batch_uniform" in done.stderr, command
    assert not (tmp_path / "autograder.zip").exists()


# --------------------------------------------------------------------------
# Specs


def test_disagreeing_hidden_counts_name_both_files_and_the_fields(tmp_path):
    bad = tmp_path / "hidden_specs.py"
    bad.write_text(HIDDEN_SPECS.read_text().replace('"gd_converges", 2,', '"gd_converges", 3,'))
    visible = replace(GD, checks=GD.visible_checks, extra={}, hidden_loaded=False)
    with pytest.raises(SpecError) as error:
        with_hidden(visible, bad)
    assert str(error.value) == (
        "autograder/specs/gradient_descent.py declares 5 hidden checks worth 9 points, hidden_tests/hidden_specs.py: "
        "HIDDEN['gradient_descent']['checks'] has 5 worth 10: set hidden_count=5, hidden_points=10 in "
        "autograder/specs/gradient_descent.py (or change the checks in hidden_tests/hidden_specs.py)")


def test_a_hidden_check_after_no_check_is_named(tmp_path):
    bad = tmp_path / "hidden_specs.py"
    bad.write_text(HIDDEN_SPECS.read_text().replace('("gd_log_history", Check(', '("gd_log_histry", Check('))
    with pytest.raises(SpecError, match=r"HIDDEN\['gradient_descent'\]\['checks'\]: 'gd_converges' is to follow "
                                        r"'gd_log_histry', which is no check of gradient_descent"):
        with_hidden(replace(GD, checks=GD.visible_checks, extra={}, hidden_loaded=False), bad)


SPEC_PROBE = "from autograder.specs import all_exercises; print(list(all_exercises()))"


def specs_in(kit, *writes: tuple[str, str]) -> subprocess.CompletedProcess:
    for name, text in writes:
        (kit / name).write_text(text)
    return subprocess.run([sys.executable, "-c", SPEC_PROBE], cwd=kit, capture_output=True, text=True, timeout=120)


@pytest.fixture
def spec_kit(tmp_path):
    return copy_kit(tmp_path)


def test_exercises_are_the_spec_modules_in_their_order(spec_kit):
    *others, last = all_exercises()   # the last exercise moved first by its order field
    spec = (spec_kit / f"autograder/specs/{last}.py").read_text()
    done = specs_in(spec_kit, ("autograder/specs/_shared.py", "X = 1\n"),   # a helper: not an exercise
                    (f"autograder/specs/{last}.py", spec.replace(f"order={get_exercise(last).order},", "order=0,")))
    assert done.returncode == 0, done.stderr
    assert ast.literal_eval(done.stdout.strip()) == [last, *others]


@pytest.mark.parametrize("name, text, message", [
    ("autograder/specs/notes.py", "X = 1\n",
     "autograder/specs/notes.py defines no EXERCISE (an Exercise): every module of autograder/specs/ is an "
     "exercise's spec; a helper module's name starts with '_'"),
    ("autograder/specs/copy_of_mnist.py", "from autograder.specs.mnist_cnn import EXERCISE\n",
     "autograder/specs/copy_of_mnist.py: EXERCISE's name is 'mnist_cnn': set name='copy_of_mnist'"),
])
def test_a_spec_module_that_is_no_exercise_is_named(spec_kit, name, text, message):
    done = specs_in(spec_kit, (name, text))
    assert done.returncode != 0 and message in done.stderr, done.stderr


def test_a_hidden_entry_for_no_exercise_is_named(spec_kit):
    hidden = spec_kit / "hidden_tests/hidden_specs.py"
    done = specs_in(spec_kit, ("hidden_tests/hidden_specs.py", hidden.read_text() + '\nHIDDEN["mnist"] = {}\n'))
    assert done.returncode != 0
    assert "hidden_tests/hidden_specs.py: HIDDEN has entries for no exercise (mnist)" in done.stderr


def test_hidden_counts_without_an_entry_are_named(spec_kit):
    hidden = spec_kit / "hidden_tests/hidden_specs.py"
    text = hidden.read_text()
    done = specs_in(spec_kit, ("hidden_tests/hidden_specs.py", text + '\ndel HIDDEN["cifar_cnn"]\n'))
    assert done.returncode != 0
    assert ("autograder/specs/cifar_cnn.py declares hidden_count=2, hidden_points=4, but "
            "hidden_tests/hidden_specs.py has no HIDDEN['cifar_cnn']") in done.stderr
