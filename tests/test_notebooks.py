"""What is graded from a notebook (``autograder.notebooks``), and what ``pack`` says about it.

Each rule both ways: what counts is in the graded module and works there; what does not
count is absent and named in the notes. The graded module is executed here (it is the
tests' own code) to show what it leaves defined.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest

from autograder import pack
from autograder.notebooks import NotebookError, convert_cells, convert_notebook, is_plain, Names, parse_cell
from autograder.tensorflow_logs import strip_tensorflow_logs
from tests.helpers.notebooks import filled_notebook
from tests.helpers.kit import ROOT, run_kit

MODULE = {"dl3": {"module": True}}
CHECK = {"nbgrader": {"grade": True, "solution": False, "grade_id": "x-check", "points": 1}}


def code(source: str, metadata: dict | None = None) -> dict:
    return {"cell_type": "code", "metadata": metadata or {}, "execution_count": None, "outputs": [],
            "source": source}


def text(source: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def run_module(source: str) -> dict:
    namespace: dict = {"__name__": "graded"}
    exec(compile(source, "graded.py", "exec"), namespace)  # noqa: S102 - the test's own cells
    return namespace


# --------------------------------------------------------------------------
# Every cell's definitions count; demonstration code does not


def test_definitions_from_every_cell_count_and_demonstrations_do_not():
    cells = [text("# Exercise"),
             code('"""The module."""\nimport numpy as np', MODULE),
             code("import math\nSCALE = 2.0\nLR = np.float32(0.1)\nSHAPE = (28, 28)\n\n"
                  "def _double(v):\n    return SCALE * v\n"),
             code("data = np.loadtxt('no-such-file.txt')\nprint('training…')\nfor i in range(3):\n    print(i)"),
             code("def answer(v):\n    return _double(v) + math.floor(LR)\n", MODULE),
             code("from autograder.notebook_checks import run_check\nrun_check('x', 'y', globals())", CHECK),
             code("answer(3)\nimport time\ntime.sleep(100)")]
    conversion = convert_cells(cells)
    namespace = run_module(conversion.source)
    assert namespace["answer"](3) == 6.0 and namespace["__doc__"] == "The module."
    assert namespace["LR"] == pytest.approx(0.1) and namespace["SHAPE"] == (28, 28)
    assert "data" not in namespace and "i" not in namespace and "run_check" not in namespace
    assert "time" in namespace and "sleep" not in conversion.source
    assert conversion.notes("nb.ipynb") == [
        "nb.ipynb, cells 4 (`data = np.loadtxt('no-such-file.txt')`) and 7 (`answer(3)`): "
        "demonstration code, not graded"]
    assert conversion.defined_only_in_left_out() == {"data": 4, "i": 4}


CONTEXT = "import numpy as np\nfrom numpy import float32\nN = 3\ndef f():\n    return 1\n"
PLAIN = ["1", "'a'", "(1, 2.5)", "[N, N * 2]", "{'a': N, **{}}", "-N", "N if N > 1 else 0", "np.pi", "np.float32(0.1)",
         "float32(2)", "np.array([1, 2], dtype=np.int64)", "np.zeros((2, 3))", "float('inf')", "lambda x: x + N",
         "f", "f'{N}'", "len", "(1, 2)[N - 3]", "range(N)", "np.linspace(0, 1, num=N)"]
NOT_PLAIN = ["f()", "np.random.default_rng(0)", "load()", "undefined_name", "[i for i in range(3)]",
             "np.float32(f())", "open('x')", "float(f())", "N.bit_length()", "print(1)", "np.loadtxt('x')",
             "lambda x=f(): x", "(n := 3)"]


@pytest.mark.parametrize("expression", PLAIN)
def test_plain_values_are_graded(expression):
    conversion = convert_cells([code(CONTEXT), code(f"VALUE = {expression}")])
    assert "VALUE" in run_module(conversion.source) and not conversion.left_out


@pytest.mark.parametrize("expression", NOT_PLAIN)
def test_anything_else_assigned_is_demonstration(expression):
    conversion = convert_cells([code(CONTEXT), code(f"VALUE = {expression}")])
    assert "VALUE" not in conversion.source and [i.reason for i in conversion.left_out] == ["demonstration code"]


def test_a_constructor_the_student_redefined_is_not_plain():
    names = Names()
    parsed = parse_cell(1, "def float(x):\n    return x\n", False).tree.body[0]
    names.bind(parsed.name)
    assert not is_plain(parse_cell(2, "float(2)", False).tree.body[0].value, names)


def test_assignments_to_attributes_or_items_and_unknown_augmented_names_are_demonstration():
    conversion = convert_cells([code("import numpy as np\nCONFIG = {}\nN = 1"),
                                code("CONFIG['lr'] = 0.1\nnp.seed = 3\nN += 1\nM += 1")])
    assert "CONFIG['lr']" not in conversion.source and "np.seed" not in conversion.source
    assert "N += 1" in conversion.source and "M += 1" not in conversion.source


# --------------------------------------------------------------------------
# The settled cases


def test_a_future_import_in_a_later_cell_moves_to_the_top_after_the_docstring():
    cells = [code('"""Doc."""\nimport numpy as np', MODULE),
             code("from __future__ import annotations\n\ndef f(x: Undefined) -> Undefined:\n    return x")]
    source = convert_cells(cells).source
    assert source.index('"""Doc."""') < source.index("from __future__") < source.index("import numpy")
    assert run_module(source)["f"](2) == 2   # the lazy annotations name a class nobody defined


def test_a_future_import_that_is_not_first_in_its_cell_does_not_parse_there_either():
    conversion = convert_cells([code("import math\nfrom __future__ import annotations\nX = 1")])
    assert conversion.source.strip() == ""
    assert conversion.notes("nb.ipynb") == ["nb.ipynb, cell 1 does not parse (line 2: from __future__ imports "
                                            "must occur at the beginning of the file): not graded"]


def test_a_demonstration_cell_that_does_not_parse_is_left_out():
    conversion = convert_cells([code("def f():\n    return 1\n", MODULE), text("Try it:"),
                                code("print('the answer is' f())")])
    assert run_module(conversion.source)["f"]() == 1
    assert conversion.notes("nb.ipynb") == [
        "nb.ipynb, cell 3 does not parse (line 1: invalid syntax. Perhaps you forgot a comma?): not graded"]


def test_an_exercise_cell_that_does_not_parse_is_graded_as_written():
    conversion = convert_cells([code("import math", MODULE), code("def f():\n    return (1\n", MODULE)])
    with pytest.raises(SyntaxError):
        compile(conversion.source, "graded.py", "exec")
    assert conversion.unparsable_exercise_cell().cell == 2
    assert conversion.notes("nb.ipynb") == ["nb.ipynb, cell 2 does not parse (line 2: '(' was never closed): "
                                            "it is an exercise cell, so this exercise scores 0"]


def test_magics_and_shell_escapes_never_run_even_in_a_function():
    cells = [code("%matplotlib inline\n!pip list\nfiles = !ls\n%time x = 1\nimport math\nmath?"),
             code("%%time\ndef timed():\n    return 1\n"),
             code("def f():\n    !echo hi\n    return 2\n", MODULE),
             code("PATTERN = ('%d'\n           '%s')\n")]
    conversion = convert_cells(cells)
    namespace = run_module(conversion.source)
    assert namespace["f"]() == 2 and "math" in namespace and "timed" not in namespace
    assert "files" not in namespace and namespace["PATTERN"] == "%d%s"
    assert conversion.notes("nb.ipynb") == ["nb.ipynb, cells 1 (`%matplotlib inline`) and 2 (`%%time`): "
                                            "demonstration code, not graded"]


def test_display_imports_are_demonstration_and_missing_modules_are_left_out_with_a_note():
    cells = [code("import matplotlib.pyplot as plt\nfrom IPython.display import display\nimport numpy"),
             code("import no_such_module_dl3 as nsm\nfrom .sibling import helper")]
    conversion = convert_cells(cells)
    assert "matplotlib" not in conversion.source and "IPython" not in conversion.source
    assert conversion.source.strip() == "import numpy"
    assert conversion.notes("nb.ipynb") == [
        "nb.ipynb, cell 1 (`import matplotlib.pyplot as plt`): demonstration code, not graded",
        "nb.ipynb, cell 2: `import no_such_module_dl3 as nsm` not graded: no_such_module_dl3 is not installed "
        "where notebooks are graded",
        "nb.ipynb, cell 2: `from .sibling import helper` not graded: a relative import has no package to import "
        "from where notebooks are graded"]


def test_a_definition_that_needs_demonstration_results_is_left_out():
    cells = [code("import numpy as np\ndata = np.loadtxt('x.txt')"),
             code("def f(x=data):\n    return x\n\ndef g(x: Shape):\n    return x\n\nclass C(Base):\n    pass\n"
                  "\ndef h(x=np.pi, y: int = 1):\n    return x\n")]
    conversion = convert_cells(cells)
    namespace = run_module(conversion.source)
    assert "h" in namespace and not {"f", "g", "C"} & set(namespace)
    assert conversion.notes("nb.ipynb")[1:] == [
        f"nb.ipynb, cell 2: `{head}` not graded: its definition uses `{name}`, which no graded code defines above it"
        for head, name in [("def f(x=data):", "data"), ("def g(x: Shape):", "Shape"), ("class C(Base):", "Base")]]
    lazy = convert_cells([code("from __future__ import annotations"), code("def g(x: Shape):\n    return x")])
    assert "g" in run_module(lazy.source)


def test_statements_sharing_a_line_are_judged_one_by_one():
    conversion = convert_cells([code("import math; print(math.pi); TAU = 6.28")])
    assert run_module(conversion.source)["TAU"] == 6.28 and "print" not in conversion.source


def test_a_notebook_without_code_cells_or_unreadable_cannot_be_graded(tmp_path):
    path = tmp_path / "gradient_descent.ipynb"
    path.write_text(json.dumps({"cells": [text("nothing")]}))
    with pytest.raises(NotebookError, match="gradient_descent.ipynb: it has no code cells"):
        convert_notebook(path)
    path.write_text("{not json")
    with pytest.raises(NotebookError, match="gradient_descent.ipynb is not a readable notebook"):
        convert_notebook(path)


# --------------------------------------------------------------------------
# pack: names used and never defined, and which file it took


def uses(source: str, functions=("mse",)) -> list[str]:
    return pack.undefined_warnings(source, functions, "gradient_descent.ipynb")


def test_pack_warns_about_a_name_an_exercise_function_uses_and_nothing_defines():
    assert uses("import numpy as np\ndef mse(y, z):\n    return _mean_square(y - z)\n") == [
        "`mse` uses `_mean_square`, which gradient_descent.ipynb never defines: a NameError when it is graded"]
    through = uses("def _helper(r):\n    return _mean_square(r)\ndef mse(y, z):\n    return _helper(y - z)\n")
    assert through == ["`mse` uses `_mean_square` (through `_helper`), which gradient_descent.ipynb never defines: "
                       "a NameError when it is graded"]
    assert uses("def _mean_square(r):\n    return r\ndef mse(y, z):\n    return _mean_square(y - z)\n") == []


@pytest.mark.parametrize("source", [
    "def mse(y, z):\n    return len(y) + abs(z) + float(max(y))\n",                        # builtins
    "from math import *\ndef mse(y, z):\n    return sqrt(y)\n",                             # import *
    "globals()['sq'] = abs\ndef mse(y, z):\n    return sq(y)\n",                            # globals() writes
    "def setup():\n    global SQ\n    SQ = abs\ndef mse(y, z):\n    return SQ(y)\n",       # a `global` statement
    "def mse(y, z):\n    def inner(v):\n        return v + y\n    return [inner(k) for k in z]\n",   # local scopes
])
def test_pack_stays_quiet_about_names_it_cannot_resolve_statically(source):
    assert uses(source) == []


def test_pack_says_when_a_name_is_defined_only_in_demonstration_code():
    conversion = convert_cells([code("import numpy as np\nX, y = np.loadtxt('d.txt'), None"),
                                code("def mse(a, b):\n    return float(np.mean((a - b) ** 2)) / len(X)\n", MODULE)])
    assert pack.undefined_warnings(conversion.source, ("mse",), "gradient_descent.ipynb", conversion) == [
        "`mse` uses `X`, which gradient_descent.ipynb defines only in code that is not graded (cell 1): "
        "a NameError when it is graded"]


@pytest.fixture
def student_folder(tmp_path):
    """A student's folder as the bundle unzips it: stubs and release notebooks."""
    shutil.copytree(ROOT / "exercises", tmp_path / "exercises")
    shutil.copytree(ROOT / "release", tmp_path / "release")
    return tmp_path


def test_pack_says_which_file_it_took_and_why(student_folder):
    module_file = student_folder / "exercises" / "gradient_descent.py"
    notebook = student_folder / "release" / "dl3" / "gradient_descent.ipynb"
    functions = ("predict", "mse", "mse_gradients", "gradient_descent", "sample_batch", "stochastic_gradient_descent")
    untouched = pack.choose(student_folder, "gradient_descent", functions)
    assert untouched.reason == ""   # two stubs: nothing to choose between
    shutil.copy(ROOT / "solutions" / "gradient_descent.py", module_file)
    assert pack.choose(student_folder, "gradient_descent", functions).reason == (
        "packed exercises/gradient_descent.py rather than release/dl3/gradient_descent.ipynb: fewer functions "
        "still raise NotImplementedError (0 against 6)")
    notebook.write_text(json.dumps(filled_notebook("gradient_descent")))
    os.utime(module_file, (1_700_000_000, 1_700_000_000))
    os.utime(notebook, (1_700_000_600, 1_700_000_600))
    choice = pack.choose(student_folder, "gradient_descent", functions)
    assert choice.path == notebook
    assert choice.reason.startswith("release/dl3/gradient_descent.ipynb and exercises/gradient_descent.py are both "
                                    "complete: packed release/dl3/gradient_descent.ipynb, saved last (")


def test_pack_command_warns_per_exercise_and_refuses_a_broken_exercise_cell(student_folder):
    notebook = filled_notebook("gradient_descent")
    for cell in notebook["cells"]:
        if "def mse(" in "".join(cell["source"]):
            cell["source"] = "".join(cell["source"]).replace("float(np.mean(residual**2))", "_mean_square(residual)")
    path = student_folder / "release" / "dl3" / "gradient_descent.ipynb"
    path.write_text(json.dumps(notebook))
    done = run_kit("-m", "autograder", "pack", cwd=student_folder)
    assert done.returncode == 0, done.stderr
    assert "packed release/dl3/gradient_descent.ipynb" in done.stdout
    assert ("  warning: `mse` uses `_mean_square`, which gradient_descent.ipynb never defines: "
            "a NameError when it is graded") in done.stdout
    assert "  note: release/dl3/gradient_descent.ipynb, cells 4 (`X, y = load_housing()`)" in done.stdout
    for cell in notebook["cells"]:
        if "def mse(" in "".join(cell["source"]):
            cell["source"] = "".join(cell["source"]).replace("def mse(", "def mse(:")
    path.write_text(json.dumps(notebook))
    done = run_kit("-m", "autograder", "pack", cwd=student_folder)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("error: release/dl3/gradient_descent.ipynb: cell ")
    assert "does not parse" in done.stderr


# --------------------------------------------------------------------------
# TensorFlow's log lines


def test_tensorflow_log_lines_are_removed_and_the_rest_kept():
    real = run_kit("-c", "import keras; keras.ops.ones(1)", env={"TF_CPP_MIN_LOG_LEVEL": "0"})
    assert real.returncode == 0 and real.stderr.strip(), "TensorFlow logged nothing to test against"
    issue = ("E0000 00:00:1796352166.171124    7579 cuda_platform.cc:52] failed call to cuInit: INTERNAL: "
             "CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)\n")
    mine = "my own line\nE1 is not a log line\n"
    assert strip_tensorflow_logs(real.stderr + issue + mine) == mine
    from autograder.grade.judge.manager import output_note   # what `grade` shows of a crashed import's output

    assert output_note(real.stderr + issue) == "" and "    | my own line" in output_note(issue + mine)
