"""A notebook is graded as the student ran it: one filled-in notebook, one score per check, three routes.

The catalogue (``CATALOGUE``): the release notebook with every exercise cell filled in, then
edited the way students work: a helper in an added cell above its use, an import and plain
values in an added cell, and — together in one notebook, since each must change nothing — a
slow demonstration cell (a sleep, then training on the full data), a demonstration cell that
raises, one that does not parse, magics and shell escapes, an exercise cell that prints at
the top level. Each notebook is graded by

1. ``python -m autograder grade`` (the LMS route: the module ``autograder.notebooks`` builds),
2. ``jupyter nbconvert --execute --allow-errors`` on the student's copy (the student's view:
   each visible check cell's output; the hidden ones are empty there),
3. ``nbgrader autograde`` (every cell, top to bottom, hidden checks restored),

and every check scores the same: (1) and (3) on every check, (2) on the visible ones.

``PINNED``: where a run from the top differs by nature from the finished notebook graded,
the test pins what ``grade`` gives and what the run from the top gives. A helper defined
*below* the check cell that needs it: that check cell fails when run from the top (the
helper does not exist yet), and ``grade`` gives the points (the finished notebook defines it).
A function redefined after its check cell: that check cell passed with the first definition,
and ``grade`` grades the last one, as every later cell sees it (docs/grading.md).

The gradient descent notebook needs no model training; one MNIST case (a CNN builder calling
a helper from an added cell, the issue's own example) trains and is marked ``training``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from autograder.nbsource import ASSIGNMENT, check_for_grade_id
from autograder.report.from_nbgrader import read_nbgrader
from autograder.specs import get_exercise
from tests.helpers.nbgrader_course import VENV_BIN, make_course, nbgrader
from tests.helpers.notebooks import filled_notebook
from tests.helpers.routes import through_grade

pytestmark = pytest.mark.slow

SLEEP = 30   # seconds the slow demonstration cell sleeps; grading does not wait for it


def new_cell(source: str) -> dict:
    return {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": source}


def find(cells: list[dict], text: str) -> int:
    """The index of the first code cell whose source holds ``text``."""
    return next(i for i, c in enumerate(cells) if c["cell_type"] == "code" and text in "".join(c["source"]))


def check_cell(cells: list[dict], check: str) -> int:
    return find(cells, f'run_check("gradient_descent", "{check}"')


def edit(cells: list[dict], text: str, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` in the cell holding ``text``."""
    cell = cells[find(cells, text)]
    source = "".join(cell["source"])
    assert old in source, (old, source)
    cell["source"] = source.replace(old, new)


MEAN_SQUARE = "def _mean_square(residual: np.ndarray) -> float:\n    return float(np.mean(residual**2))\n"


def helper_above(cells):
    edit(cells, "def mse(", "float(np.mean(residual**2))", "_mean_square(residual)")
    cells.insert(find(cells, "def mse("), new_cell(f"from __future__ import annotations\n\n\n{MEAN_SQUARE}"))


def import_added(cells):
    cells.insert(find(cells, "def mse("), new_cell("import math\n\nDTYPE = np.float64\nZERO = np.float64(0.0)\n"))
    edit(cells, "def mse(", "dtype=np.float64) - np.asarray(y_hat, dtype=np.float64)",
         "dtype=DTYPE) - np.asarray(y_hat, dtype=DTYPE)")
    edit(cells, "def mse(", "float(np.mean(residual**2))", "float(np.mean(residual**2) + ZERO)")
    edit(cells, "def gradient_descent(", "m, b = 0.2, 0.2", "m = b = math.fsum([0.1, 0.1])")


def slow_demo(cells):
    cells.insert(find(cells, "np.polyfit(") + 1, new_cell(
        f"import time\n\ntime.sleep({SLEEP})   # a slow demonstration\n"
        "m_full, b_full, _, _ = gradient_descent(X, y, lr=0.01, iterations=3000)   # the full data, again\n"
        "print(m_full, b_full)\n"))


def demo_raises(cells):
    cells.insert(find(cells, "np.polyfit(") + 1, new_cell("m, b = gradient_descent(X, y)\nprint(m, b)\n"))


def demo_unparsable(cells):
    cells.insert(find(cells, "np.polyfit(") + 1, new_cell('print("gradient descent gives" m_gd)\n'))


def magics(cells):
    cells.insert(find(cells, "X, y = load_housing()") + 1, new_cell(
        "%matplotlib inline\n!echo a shell escape\nhere = !pwd\n"
        "%time m_t, b_t, _, _ = gradient_descent(X, y, iterations=100)\npredict?\n"))
    cells.insert(find(cells, "np.polyfit(") + 1, new_cell("%%time\nprint(mse(y, predict(X, 0.42, 0.45)))\n"))
    edit(cells, "def predict(", "    ### END SOLUTION", "    ### END SOLUTION\n\n\n%time predict(X, 1.0, 0.0)")


def exercise_prints(cells):
    edit(cells, "def mse(", "    ### END SOLUTION",
         '    ### END SOLUTION\n\n\nprint("a perfect fit:", mse(np.array([1.0, 2.0]), np.array([1.0, 2.0])))')


def helper_below(cells):
    edit(cells, "def mse(", "float(np.mean(residual**2))", "_mean_square(residual)")
    cells.insert(check_cell(cells, "mse_value") + 1, new_cell(MEAN_SQUARE))


def redefined_after(cells):
    cells.insert(check_cell(cells, "mse_value") + 1, new_cell(
        "def mse(y, y_hat):   # trying the sum instead of the mean\n"
        "    return float(np.sum((np.asarray(y) - np.asarray(y_hat)) ** 2))\n"))


# Each kind of cell, with the notes its cells get in the grading output (cell numbers vary).
NOTES = {
    helper_above: [], import_added: [],
    slow_demo: [r"\d+ \(`time\.sleep\(30\)"],
    demo_raises: [r"\d+ \(`m, b = gradient_descent\(X, y\)`\)"],
    demo_unparsable: [r"cell \d+ does not parse \(line 1: .*\): not graded"],
    magics: [r"\d+ \(`%matplotlib inline`\)", r"\d+ \(`%%time`\)", r"\d+ \(`%time predict\(X, 1\.0, 0\.0\)`\)"],
    exercise_prints: [r"\d+ \(`print\(\"a perfect fit:\""],
}
# The catalogue: the notebooks, each made by its edits. The demonstration cells share one notebook
# (each must change nothing, and a notebook costs each route a kernel): fewer runs, the same cases.
CATALOGUE = {
    "helper_above": [helper_above],
    "import_added": [import_added],
    "demonstrations": [slow_demo, demo_raises, demo_unparsable, magics, exercise_prints],
}
# Pinned: (check, score by grade, score from the top) for every visible check where they differ.
PINNED = {
    "helper_below": ([helper_below], [("mse_value", 1.0, 0.0)]),
    "redefined_after": ([redefined_after], [("mse_value", 0.0, 1.0)]),
}


def build(edits: list, module: str = "gradient_descent") -> dict:
    notebook = filled_notebook(module)
    for edit_cells in edits:
        edit_cells(notebook["cells"])
    return notebook


# --------------------------------------------------------------------------
# The three routes


def grade_case(notebook: Path, training: bool) -> tuple[dict, dict]:
    """(route 1's score of every check, results.json) of the notebook."""
    results = notebook.parent.parent / f"{notebook.parent.name}-results.json"
    graded = through_grade(notebook.parent, training, results, [])
    exercise = notebook.stem
    return {check: score for (name, check), (_, score, _) in graded.items() if name == exercise}, \
        json.loads(results.read_text())


def run_from_the_top(notebook: Path, out: Path) -> dict:
    """Route 2: the score of every visible check cell when the notebook runs top to bottom."""
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}", "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([str(VENV_BIN / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
                           "--allow-errors", "--ExecutePreprocessor.timeout=600", str(notebook),
                           "--output-dir", str(out)], env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    executed = json.loads((out / notebook.name).read_text())
    exercise = get_exercise(notebook.stem)
    scores = {}
    for cell in executed["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id", "")
        if not cell["metadata"].get("nbgrader", {}).get("grade") or "-check-hidden" in grade_id:
            continue
        check = exercise.check(check_for_grade_id(exercise, grade_id))
        outputs = cell.get("outputs", [])
        printed = "".join("".join(o.get("text", "")) for o in outputs)
        passed = not any(o["output_type"] == "error" for o in outputs) and f"✓ {check.name} passed" in printed
        scores[check.name] = float(check.points) if passed else 0.0
    return scores


def autograde(course: Path, notebooks: dict[str, Path]) -> dict[str, dict]:
    """Route 3: {student: the score of every check} after ``nbgrader autograde`` of each notebook."""
    for student, notebook in notebooks.items():
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        shutil.copy(notebook, folder / notebook.name)
    nbgrader(course, "autograde", ASSIGNMENT, "--force")
    table = read_nbgrader(course, ASSIGNMENT)
    assert not table.failures, table.failures
    scores: dict[str, dict] = {}
    for row in table.rows:
        if row.exercise == get_exercise(notebooks[row.student].stem).name:
            scores.setdefault(row.student, {})[row.check] = row.points
    return scores


def three_routes(notebooks: dict[str, Path], course: Path, where: Path, training: bool) -> dict[str, tuple]:
    """{case: (grade's scores, results.json, scores from the top, nbgrader's scores)}, the routes run side by side."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        nbgraded = pool.submit(autograde, course, notebooks)
        tops = {name: pool.submit(run_from_the_top, path, where / "executed" / name)
                for name, path in notebooks.items()}
        grades = {name: grade_case(path, training) for name, path in notebooks.items()}
        autograded = nbgraded.result()
        return {name: (*grades[name], tops[name].result(), autograded[name]) for name in notebooks}


def write_cases(cases: dict[str, list], where: Path, module: str = "gradient_descent") -> dict[str, Path]:
    """Each case's notebook, in a folder of its own (its submission)."""
    paths = {}
    for name, edits in cases.items():
        path = where / "cases" / name / f"{module}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(build(edits, module)))
        paths[name] = path
    return paths


@pytest.fixture(scope="module")
def routes(tmp_path_factory) -> tuple[dict, dict]:
    where = tmp_path_factory.mktemp("routes")
    course = make_course(where / "course")
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    notebooks = write_cases({**CATALOGUE, **{name: edits for name, (edits, _) in PINNED.items()}}, where)
    return notebooks, three_routes(notebooks, course, where, training=False)


def disagreements(graded: dict, top: dict, autograded: dict, exercise) -> list[str]:
    problems = []
    for check in exercise.checks:
        wanted = [graded[check.name], autograded.get(check.name)] + ([] if check.hidden else [top.get(check.name)])
        if len(set(wanted)) != 1:
            problems.append(f"{check.name}: grade {graded[check.name]}, nbgrader {autograded.get(check.name)}"
                            + ("" if check.hidden else f", from the top {top.get(check.name)}"))
    return problems


# --------------------------------------------------------------------------
# The tests


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_a_filled_in_notebook_scores_the_same_on_all_three_routes(routes, name):
    notebooks, results = routes
    graded, data, top, autograded = results[name]
    exercise = get_exercise("gradient_descent")
    problems = disagreements(graded, top, autograded, exercise)
    assert not problems, "\n".join(problems)
    assert sum(graded.values()) == exercise.points, graded   # every case is a right answer
    notes = [line for line in data["output"].splitlines() if line.startswith("  note: gradient_descent.ipynb, ")]
    for wanted in (pattern for edit_cells in CATALOGUE[name] for pattern in NOTES[edit_cells]):
        assert any(re.search(wanted, note) for note in notes), (wanted, notes)


def test_a_slow_demonstration_cell_does_not_slow_grading_down(routes):
    from autograder.grade.supervisor.submission import read_submission

    notebooks, results = routes
    graded_module = read_submission(notebooks["demonstrations"]).parts["gradient_descent"].source.decode()
    assert "sleep" not in graded_module and "iterations=3000" not in graded_module   # what the sandbox imports
    # And in time: no longer than grading a notebook without the slow cell, give or take the sleep (the
    # routes run side by side on a shared machine, so each grading's own time varies by seconds).
    others = [results[name][1]["execution_time"] for name in CATALOGUE if name != "demonstrations"]
    took = results["demonstrations"][1]["execution_time"]
    assert took < max(others) + SLEEP, (took, others)


@pytest.mark.parametrize("name", list(PINNED))
def test_where_a_run_from_the_top_differs_by_nature_grade_grades_the_finished_notebook(routes, name):
    _, results = routes
    graded, _, top, autograded = results[name]
    exercise = get_exercise("gradient_descent")
    differ = [(c.name, graded[c.name], top.get(c.name)) for c in exercise.checks
              if not c.hidden and graded[c.name] != top.get(c.name)]
    assert differ == PINNED[name][1]
    # nbgrader runs from the top too
    assert all(autograded[c.name] == top[c.name] for c in exercise.checks if not c.hidden)


def mnist_helper(cells):
    """The reference's first layer of build_cnn_model, whatever it is, built by a helper in an added cell."""
    source = "".join(cells[find(cells, "def build_cnn_model(")]["source"])
    first = re.search(r"keras\.Input\(.*\),\n\s*(keras\.layers\.\w+\(.*\)),\n", source).group(1)
    edit(cells, "def build_cnn_model(", first, "my_first_layer()")
    cells.insert(find(cells, "def build_cnn_model("), new_cell(
        f"def my_first_layer() -> keras.layers.Layer:\n    return {first}\n"))


@pytest.mark.training
def test_a_keras_notebook_with_a_helper_in_an_added_cell_scores_the_same_on_all_three_routes(tmp_path):
    course = make_course(tmp_path / "course")
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    notebooks = write_cases({"mnist_helper": [mnist_helper]}, tmp_path, "mnist_cnn")
    graded, _, top, autograded = three_routes(notebooks, course, tmp_path, training=True)["mnist_helper"]
    exercise = get_exercise("mnist_cnn")
    assert not disagreements(graded, top, autograded, exercise), disagreements(graded, top, autograded, exercise)
    assert sum(graded.values()) == exercise.points, graded
