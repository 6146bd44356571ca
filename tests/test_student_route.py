"""The student's route on Python 3.12 and 3.13: the bundle alone, set up by its README's command.

Per interpreter: unzip the bundle, run the README's set-up command (its pinned part
reuses a cached venv, see ``tests/student_venvs.py``), then ``pytest exercises/`` on
the stubs (0 points, "not implemented") and on the reference (``solutions/*.py`` copied
over the stubs, here only), one notebook through ``jupyter nbconvert --execute`` from
another directory, and the student CLI. The reference runs ``-m "not training"`` here;
the full route with training is the kit's own suite on Python 3.11 (``.ci/run``).

Skipped when the interpreter is absent, unless ``$DL3_REQUIRE_STUDENT_PYTHONS`` is set
(``.ci/run`` sets it and prepares the venvs first).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers.kit import ROOT
from tests.helpers.student_kit import prepared_venv, setup_from_readme, sh, unzip_bundle

VERSIONS = ["3.12", "3.13"]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=VERSIONS)
def student_kit(request, tmp_path_factory) -> Path:
    """The unzipped bundle, set up on one Python version."""
    venv = prepared_venv(request.param)
    kit = unzip_bundle(tmp_path_factory.mktemp(f"py{request.param}") / "kit")
    setup_from_readme(kit, venv)
    return kit


def python(kit: Path) -> str:
    return str(kit / ".venv" / "bin" / "python")


def test_stubs_score_zero(student_kit):
    done = sh([python(student_kit), "-m", "pytest", "exercises/", "-m", "not training", "-q"], student_kit)
    assert done.returncode == 1, done.stdout[-2000:]
    assert "not implemented yet" in done.stdout and "No files were found in testpaths" not in done.stdout
    total = done.stdout.split("\ntotal")[-1].split()[0]
    assert total.startswith("0/"), done.stdout[-1500:]


def test_reference_passes(student_kit, tmp_path):
    kit = tmp_path / "kit"
    shutil.copytree(student_kit, kit, symlinks=True, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    for solution in (ROOT / "solutions").glob("*.py"):
        shutil.copy(solution, kit / "exercises" / solution.name)
    done = sh([python(kit), "-m", "pytest", "-m", "not training", "-q"], kit)  # testpaths = exercises
    assert done.returncode == 0, done.stdout[-3000:]
    assert " passed" in done.stdout and "failed" not in done.stdout.split("short test summary")[-1]


def fill_predict(notebook: Path) -> None:
    """Write a correct ``predict`` into the notebook's cell, as a student would."""
    nb = json.loads(notebook.read_text())
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and source.startswith("def predict("):
            cell["source"] = source.replace("# YOUR CODE HERE\n    raise NotImplementedError()", "return m * X + b")
            assert "NotImplementedError" not in cell["source"]
    notebook.write_text(json.dumps(nb))


def test_notebook_runs_from_any_directory(student_kit, tmp_path):
    notebook = tmp_path / "gradient_descent.ipynb"
    shutil.copy(student_kit / "release" / "dl3" / "gradient_descent.ipynb", notebook)
    fill_predict(notebook)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = sh([str(student_kit / ".venv" / "bin" / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
               "--allow-errors", str(notebook), "--output-dir", str(tmp_path / "out")], elsewhere)
    assert done.returncode == 0, done.stderr[-2000:]
    executed = json.loads((tmp_path / "out" / "gradient_descent.ipynb").read_text())
    shown = "\n".join("".join(o.get("text", "")) + "\n".join(o.get("traceback", []))
                      for c in executed["cells"] for o in c.get("outputs", []))
    assert "ModuleNotFoundError" not in shown
    assert "✓ predict_values passed (1 point)" in shown
    assert "✗ mse_value: not implemented (0 of 1 point)" in shown and "`mse`" in shown


def test_student_cli_and_nothing_else_is_importable(student_kit, tmp_path):
    helped = sh([python(student_kit), "-m", "autograder", "--help"], tmp_path)
    assert helped.returncode == 0 and "{prefetch,pack}" in helped.stdout
    probe = sh([python(student_kit), "-I", "-c", "import importlib.util as u, autograder; "
                "print(u.find_spec('solutions'), u.find_spec('hidden_tests'), autograder.__file__)"], tmp_path)
    none_solutions, none_hidden, kit_file = probe.stdout.split()
    assert (none_solutions, none_hidden) == ("None", "None") and "site-packages" in kit_file
