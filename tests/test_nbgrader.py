"""nbgrader: source notebooks generated from narrative + solutions, release copies, and a real
round trip through generate_assignment → autograde → generate_feedback → export."""

from __future__ import annotations

import ast
import csv
import json
from pathlib import Path

import pytest

from autograder import nbsource
from autograder.nbsource import BEGIN_HIDDEN, NarrativeError, build_notebook
from autograder.notebooks import convert_cells, is_module_cell
from autograder.specs import all_exercises, get_exercise
from tests.helpers.kit import ROOT
from tests.helpers.nbgrader_course import ASSIGNMENT, cells_by_id, make_course, nbgrader, read

# ---------------------------------------------------------------------------- generation


def test_source_notebooks_are_not_stale():
    assert nbsource.stale_notebooks(ROOT) == [], "run `python -m autograder notebooks`"


def test_every_exercise_has_a_notebook_whose_points_match_the_spec():
    for exercise in all_exercises().values():
        notebook = read(ROOT / "source" / ASSIGNMENT / f"{exercise.module}.ipynb")
        points = {nbsource.check_for_grade_id(exercise, c["metadata"]["nbgrader"]["grade_id"]):
                  c["metadata"]["nbgrader"]["points"]
                  for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("grade")}
        assert points == {c.name: c.points for c in exercise.checks}


def test_notebook_module_is_the_solution_module_and_the_demonstrations_definitions():
    """The exercise cells give the solution module; the demonstration cells add imports and defs only."""
    for exercise in all_exercises().values():
        cells = read(ROOT / "source" / ASSIGNMENT / f"{exercise.module}.ipynb")["cells"]
        solution = (ROOT / "solutions" / exercise.filename).read_text()
        assert convert_cells([c for c in cells if is_module_cell(c)]).source.split() == solution.split()
        graded = ast.parse(convert_cells(cells).source).body
        added = graded[len(ast.parse(solution).body):]
        assert all(isinstance(s, (ast.Import, ast.ImportFrom, ast.FunctionDef)) for s in added), exercise.module
        assert not any("matplotlib" in ast.dump(s) or "sklearn" in ast.dump(s) for s in added), exercise.module


def test_narrative_must_place_every_function_and_check_once():
    exercise = get_exercise("gradient_descent")
    narrative = (ROOT / "narrative" / "gradient_descent.md").read_text()
    solution = (ROOT / "solutions" / "gradient_descent.py").read_text()
    with pytest.raises(NarrativeError, match=r"missing \['mse_value'\]"):
        build_notebook(exercise, narrative.replace("%% check mse_value\n", ""), solution)
    with pytest.raises(NarrativeError, match=r"repeated \['mse'\]"):
        build_notebook(exercise, narrative + "\n%% function mse\n", solution)
    with pytest.raises(NarrativeError, match="unknown directive"):
        build_notebook(exercise, narrative + "\n%% solution mse\n", solution)


# ---------------------------------------------------------------------------- release


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    course = make_course(tmp_path_factory.mktemp("course"))
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    return course


@pytest.mark.slow
def test_committed_release_is_what_generate_assignment_produces(course):
    fresh = sorted(p.name for p in (course / "release" / ASSIGNMENT).glob("*.ipynb"))
    committed = sorted(p.name for p in (ROOT / "release" / ASSIGNMENT).glob("*.ipynb"))
    assert fresh == committed
    for name in fresh:
        assert (course / "release" / ASSIGNMENT / name).read_text() == (ROOT / "release" / ASSIGNMENT / name).read_text(), \
            f"release/{ASSIGNMENT}/{name} is stale: run `nbgrader generate_assignment {ASSIGNMENT} --force`"


def test_release_holds_no_solutions_and_no_hidden_tests():
    for path in (ROOT / "release" / ASSIGNMENT).glob("*.ipynb"):
        text = path.read_text()
        assert "BEGIN SOLUTION" not in text and BEGIN_HIDDEN not in text
        exercise = get_exercise(path.stem)
        for check in exercise.checks:
            if check.hidden:
                assert f'run_check("{exercise.name}", "{check.name}"' not in text


# ---------------------------------------------------------------------------- round trip


def complete_copy(release: dict, source: dict) -> dict:
    """The complete student hands in the solution notebook itself (top to bottom, as written)."""
    return source


PARTIAL_WRONG = {  # gradient_descent: mse sums instead of averaging
    "gradient_descent-mse": ("return float(np.mean(residual**2))", "return float(np.sum(residual**2))"),
}
PARTIAL_CORRECT = ["gradient_descent-predict", "gradient_descent-mse_gradients", "gradient_descent-sample_batch"]
PARTIAL_PASSING = ["predict_values", "gradients_numerical", "gradients_many_points", "batch_shape_range",
                   "batch_reproducible", "batch_uniform"]


def partial_copy(release: dict, source: dict) -> dict:
    answers = cells_by_id(source)
    for cell in release["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in PARTIAL_CORRECT:
            cell["source"] = answers[grade_id]["source"]
        elif grade_id in PARTIAL_WRONG:
            old, new = PARTIAL_WRONG[grade_id]
            assert old in "".join(answers[grade_id]["source"])
            cell["source"] = "".join(answers[grade_id]["source"]).replace(old, new)
    return release


@pytest.fixture(scope="module")
def graded_course(course):
    students = {"complete": complete_copy, "partial": partial_copy, "untouched": lambda release, source: release}
    for student, make in students.items():
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        for path in (course / "release" / ASSIGNMENT).glob("*.ipynb"):
            source = read(course / "source" / ASSIGNMENT / path.name)
            notebook = read(path)
            if student != "partial" or path.stem == "gradient_descent":
                notebook = make(notebook, source)
            (folder / path.name).write_text(json.dumps(notebook))
    nbgrader(course, "autograde", ASSIGNMENT, "--force")
    nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")
    nbgrader(course, "export", "--to", str(course / "grades.csv"))
    with open(course / "grades.csv") as fh:
        grades = {row["student_id"]: row for row in csv.DictReader(fh)}
    return course, grades


@pytest.mark.slow
def test_scores_complete_full_untouched_zero_partial_exact(graded_course):
    _, grades = graded_course
    total = sum(e.points for e in all_exercises().values())
    partial = sum(get_exercise("gradient_descent").check(name).points for name in PARTIAL_PASSING)
    assert float(grades["complete"]["raw_score"]) == float(grades["complete"]["max_score"]) == total
    assert float(grades["untouched"]["raw_score"]) == 0
    assert float(grades["partial"]["raw_score"]) == partial


@pytest.mark.slow
def test_feedback_exists_and_shows_no_hidden_test(graded_course):
    course, _ = graded_course
    hidden_calls = [f'run_check("{e.name}", "{c.name}"' for e in all_exercises().values() for c in e.checks
                    if c.hidden]
    for student in ("complete", "partial", "untouched"):
        pages = list((course / "feedback" / student / ASSIGNMENT).glob("*.html"))
        assert sorted(p.stem for p in pages) == sorted(e.module for e in all_exercises().values())
        for page in pages:
            html = page.read_text()
            assert "BEGIN HIDDEN TESTS" not in html
            leaked = [call for call in hidden_calls if call.replace('"', "&quot;") in html or call in html]
            assert not leaked, f"{page} shows hidden tests: {leaked}"
    partial = (course / "feedback" / "partial" / ASSIGNMENT / "gradient_descent.html").read_text()
    assert "Hidden check: its code and output are not shown" in partial
    assert "expected: 2.625" in partial  # a visible failure keeps its message


# ---------------------------------------------------------------------------- execution


@pytest.mark.slow
def test_solution_notebooks_run_top_to_bottom(graded_course):
    """The complete student's notebooks are the solution notebooks; nbgrader ran them in the kit's kernel."""
    course, _ = graded_course
    for exercise in all_exercises().values():
        executed = read(course / "autograded" / "complete" / ASSIGNMENT / f"{exercise.module}.ipynb")
        assert executed["metadata"]["kernelspec"]["name"] == "python3"
        outputs = [o for c in executed["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
        errors = [f"{o['ename']}: {o['evalue']}" for o in outputs if o["output_type"] == "error"]
        assert not errors, f"{exercise.module}: {errors}"
        printed = "".join("".join(o.get("text", "")) for o in outputs)
        for check in exercise.checks:
            assert f"✓ {check.name} passed" in printed
        assert "np.float" not in printed and "cuInit" not in printed, f"{exercise.module} prints noise"
        figures = [o for o in outputs if "image/png" in o.get("data", {})]
        plots = "plt." in (ROOT / "narrative" / f"{exercise.module}.md").read_text()
        assert figures or not plots, f"{exercise.module}: its narrative plots, its notebook shows no figure"
