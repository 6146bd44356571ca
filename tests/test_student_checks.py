"""What a student sees: check cells in IPython, the function a stub names, missing data reported once."""

from __future__ import annotations

import json
import re

import pytest

from autograder.notebook_checks import CheckFailed
from tests.helpers.kit import ROOT, run_kit

# Cells as a student's kernel runs them: the release notebook's stub functions, then check cells.
IPYTHON_SESSION = '''
import json, sys
from IPython.core.interactiveshell import InteractiveShell

shell = InteractiveShell.instance()
cells = json.loads(sys.argv[1])
for index, cell in enumerate(cells):
    print(f"=== cell {index}", flush=True)
    result = shell.run_cell(cell)
    print(f"=== raised {type(result.error_in_exec).__name__ if result.error_in_exec else None}", flush=True)
'''

CHECK = 'from autograder.notebook_checks import run_check\nrun_check("gradient_descent", "predict_values", globals())'


def run_cells(cells: list[str], tmp_path) -> list[tuple[str, str]]:
    """(output, exception name) of each cell, run in a fresh IPython shell."""
    script = tmp_path / "session.py"
    script.write_text(IPYTHON_SESSION)
    done = run_kit(str(script), json.dumps(cells), cwd=tmp_path, env={"TERM": "dumb"})
    assert done.returncode == 0, done.stderr[-2000:]
    chunks = done.stdout.split("=== cell ")[1:]
    outputs = []
    for chunk in chunks:
        body, raised = chunk.split("=== raised ")
        outputs.append((body.split("\n", 1)[1], raised.strip()))
    assert len(outputs) == len(cells), done.stdout[-2000:]
    return outputs


@pytest.fixture(scope="module")
def cell_outputs(tmp_path_factory):
    stub = (ROOT / "exercises" / "gradient_descent.py").read_text()
    cells = [stub, CHECK,
             "def predict(X, m, b):\n    return m * X + b\n", CHECK,
             "def predict(X, m, b):\n    return m * X\n", CHECK,
             "def predict(X, m, b):\n    return m * X + c\n", CHECK]
    return run_cells(cells, tmp_path_factory.mktemp("ipython"))


def test_stub_check_cell_names_the_students_function_and_raises(cell_outputs):
    output, raised = cell_outputs[1]
    assert raised == "CheckFailed"  # nbgrader scores the cell by its exception
    assert "✗ predict_values: not implemented (0 of 1 point)" in output
    assert "`predict`" in output and "test_predict_values" not in output


def test_passing_check_cell_prints_its_tick(cell_outputs):
    output, raised = cell_outputs[3]
    assert raised == "None" and output.strip() == "✓ predict_values passed (1 point)"


def test_failing_check_cell_shows_expected_received_hint_only(cell_outputs):
    output, raised = cell_outputs[5]
    assert raised == "CheckFailed"
    assert "✗ predict_values: wrong answer (0 of 1 point)" in output
    assert "expected: [1.0, 3.0, 5.0, 7.0]" in output and "received:" in output and "hint:" in output
    assert re.search(r"^mistake: gradient_descent\.predict_values\.\w+$", output, re.M), output
    for internal in ("Traceback", "notebook_checks.py", "site-packages", "autograder/"):
        assert internal not in output, f"{internal!r} in what the student sees:\n{output}"


def test_error_in_students_code_shows_their_line(cell_outputs):
    output, raised = cell_outputs[7]
    assert raised == "CheckFailed"
    assert "✗ predict_values: crashed (0 of 1 point)" in output
    assert "mistake: gradient_descent.predict_values.crash" in output
    assert "raised NameError: name 'c' is not defined" in output
    assert "in your function `predict`, line 2: return m * X + c" in output
    assert "notebook_checks.py" not in output


def test_check_failed_renders_without_a_traceback():
    exc = CheckFailed("predict(...)\n  expected: 1\n  received: 2", headline="✗ x: failed", where="in your function `f`")
    assert exc._render_traceback_() == ["✗ x: failed", "predict(...)", "  expected: 1", "  received: 2",
                                        "in your function `f`"]
    assert isinstance(exc, AssertionError)


# --------------------------------------------------------------------------
# The pytest route: the stub's own function, and missing data once


STUB = '''
def predict(X, m, b):
    raise NotImplementedError("fill in this part")
'''

VISIBLE = '''
from autograder.plugin import graded

@graded("gradient_descent", "predict_values")
def test_predict_values(submission):
    submission.predict(1, 2, 3)
'''

NEEDS_DATA = '''
from autograder.datasets import load_mnist
from autograder.plugin import graded

@graded("mnist_cnn", "preprocess_flat")
def test_one(submission):
    load_mnist()

@graded("mnist_cnn", "preprocess_grid")
def test_two(submission):
    load_mnist()
'''


def test_stub_names_its_function_not_the_test_file(pytester):
    """A test file called test_gradient_descent.py must not pass for the student's gradient_descent.py."""
    pytester.makepyfile(test_gradient_descent=VISIBLE)
    (pytester.path / "mine").mkdir()
    (pytester.path / "mine" / "gradient_descent.py").write_text(STUB)
    result = pytester.runpytest_inprocess("-p", "autograder.plugin", "--target", "mine")
    result.stdout.fnmatch_lines(["*not implemented yet: `predict` in gradient_descent.py*"])
    assert "`test_predict_values`" not in result.stdout.str()


def test_missing_data_is_reported_once_by_name_with_the_fix(pytester, no_data_anywhere):
    pytester.makepyfile(test_data=NEEDS_DATA)
    (pytester.path / "mine").mkdir()
    (pytester.path / "mine" / "mnist_cnn.py").write_text("")
    result = pytester.runpytest_inprocess("-p", "autograder.plugin", "--target", "mine", "-p", "no:randomly",
                                          "--score-json", "score.json")
    result.assert_outcomes(failed=2)
    for test in json.loads((pytester.path / "score.json").read_text())["tests"]:  # what an LMS reads: the full text
        assert test["message"].startswith("The mnist dataset") and "Fix: set DL3_DATA_DIR" in test["message"]
    out = result.stdout.str()
    assert len(re.findall(r"-+ Missing data -+", out)) == 1
    assert out.count("Fix: set DL3_DATA_DIR") == 1  # the full text once, after the table
    assert out.count("The mnist dataset (mnist.npz) was not found. (how to fix it") >= 2  # each test names it in a line
    assert "see 'Missing data' after the score table" in out
    assert "Traceback" not in out and "datasets.py:" not in out
    tail = re.split(r"-+ Missing data -+", out)[1]
    assert "Fix: set DL3_DATA_DIR" in tail and "prefetch" in tail


def test_missing_data_in_a_check_cell_shows_the_fix(tmp_path, no_data_anywhere):
    cell = 'from autograder.notebook_checks import run_check\nrun_check("mnist_cnn", "dense_accuracy", globals())'
    reference = (ROOT / "solutions" / "mnist_cnn.py").read_text()
    output, raised = run_cells([reference, cell], tmp_path)[1]
    assert raised == "CheckFailed"
    assert output.count("The mnist dataset (mnist.npz) was not found.") == 1
    assert "Fix: set DL3_DATA_DIR" in output and "prefetch" in output
    assert "Traceback" not in output and "see 'Missing data'" not in output
