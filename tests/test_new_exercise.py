"""A new exercise, end to end: ``docs/authoring.md``'s "Add an exercise" followed literally in a
temporary copy of the repo, then the new exercise graded on every route.

One copy for the module (the steps build on each other): its command blocks run as written,
in order, with the venv first on ``PATH``; where the recipe says "make it yours" the test
rewrites the reference's answer. Then the new exercise is graded by pytest (``--target
solutions``), by ``grade``, by ``nbgrader generate_assignment`` + ``autograde``, handed in by
``pack``, listed in both bundles (the student's without its hidden check's name), in ``grade-batch``'s gradebook, and
counted in the class report. The scaffolded exercise trains nothing, so this stays cheap.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.helpers.authoring import bash_blocks, section
from tests.helpers.kit import ROOT, copy_of_repo, shell

pytestmark = pytest.mark.slow

RECIPE = "### Add an exercise"
# The instructor's own answer, put in where the recipe says "make it yours".
SCAFFOLDED = """    values = np.asarray(values, dtype=np.float64)
    return (values - values.mean()) / values.std()
"""
MINE = """    centred = np.array(values, dtype=float) - np.mean(values)
    return centred / np.sqrt(np.mean(centred**2))
"""
WRONG = {  # two students' plausible mistakes: one fails the visible check, one only the hidden one
    "bob": "    values = np.asarray(values, dtype=np.float64)\n    return values - values.mean()\n",
    "carol": "    values -= values.mean()\n    return values / values.std()\n",
}


@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> Path:
    return copy_of_repo(tmp_path_factory.mktemp("kit"))


@pytest.fixture(scope="module")
def recipe(kit) -> list[subprocess.CompletedProcess]:
    """Each block of the recipe, run as written; the instructor's edit after the scaffold."""
    done = []
    for block in bash_blocks(section(RECIPE, kit / "docs" / "authoring.md")):
        done.append(shell(kit, block))
        assert done[-1].returncode == 0, block + done[-1].stdout[-3000:] + done[-1].stderr[-3000:]
        if "new-exercise" in block:
            solution = kit / "solutions" / "standardize.py"
            assert SCAFFOLDED in solution.read_text()
            solution.write_text(solution.read_text().replace(SCAFFOLDED, MINE))
    return done


def output_of(recipe, command: str) -> str:
    return next(d.stdout for d in recipe if command in d.args[-1])


def test_the_recipe_scaffolds_every_file_and_the_regenerated_copies_follow_the_edit(kit, recipe):
    for name in ("solutions/standardize.py", "autograder/specs/standardize.py", "exercises/test_standardize.py",
                 "hidden_tests/test_standardize_hidden.py", "narrative/standardize.md", "exercises/standardize.py",
                 "source/dl3/standardize.ipynb", "release/dl3/standardize.ipynb"):
        assert (kit / name).is_file(), name
    assert 'HIDDEN["standardize"]' in (kit / "hidden_tests" / "hidden_specs.py").read_text()
    assert "np.sqrt(np.mean(centred**2))" in (kit / "source" / "dl3" / "standardize.ipynb").read_text()
    stub = (kit / "exercises" / "standardize.py").read_text()
    assert "raise NotImplementedError" in stub and "centred" not in stub
    release = (kit / "release" / "dl3" / "standardize.ipynb").read_text()
    assert "standardize_housing" not in release and "centred" not in release
    # placed after the kit's exercises, in every list of them
    done = shell(kit, "python -c 'from autograder.specs import all_exercises; print(list(all_exercises()))'")
    assert done.stdout.split("'")[-2] == "standardize"


def test_pytest_grades_it_against_the_reference(recipe):
    table = output_of(recipe, "python -m pytest exercises/test_standardize.py")
    assert re.search(r"5\. Standardizing features\s+2/2\s+2/2", table), table
    assert "NOT RUN" not in table and "2 passed" in table


def test_its_measurements_are_recorded(kit, recipe):
    costs = json.loads((kit / "autograder" / "grade" / "reference_costs.json").read_text())
    assert {"standardize/standardize_values", "standardize/standardize_housing"} <= set(costs["checks"])
    assert set(costs["measured_on"]) == set(json.loads((ROOT / "autograder" / "grade" /
                                                        "reference_costs.json").read_text())["measured_on"]) | {
        "standardize"}


def test_grade_scores_it(kit, recipe, tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "standardize.py").write_text((kit / "solutions" / "standardize.py").read_text())
    done = shell(kit, f"python -m autograder grade {tmp_path / 'sub'} --results {tmp_path / 'results.json'} --quiet")
    assert done.returncode == 0, done.stderr
    tests = [t for t in json.loads((tmp_path / "results.json").read_text())["tests"] if "standardize" in t["tags"]]
    assert [(t["extra_data"]["check"], t["score"], t["max_score"]) for t in tests] == [
        ("standardize_values", 1.0, 1.0), ("standardize_housing", 1.0, 1.0)]


def test_nbgrader_autogrades_its_notebook(kit, recipe):
    folder = kit / "submitted" / "alice" / "dl3"
    folder.mkdir(parents=True)
    (folder / "standardize.ipynb").write_text((kit / "source" / "dl3" / "standardize.ipynb").read_text())
    # nbgrader's own command (the course refuses it without the opt-in): the scaffolded notebook grades under it
    done = shell(kit, "DL3_NBGRADER_UNSANDBOXED=1 nbgrader autograde dl3 --force && nbgrader export --to grades.csv")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with open(kit / "grades.csv") as handle:
        (row,) = list(csv.DictReader(handle))
    assert float(row["raw_score"]) == 2.0


def test_pack_hands_it_in(kit, recipe, tmp_path):
    done = shell(kit, f"python -m autograder pack --out {tmp_path / 'submission.zip'}")
    assert done.returncode == 0, done.stderr
    assert "packed exercises/standardize.py" in done.stdout or "packed release/dl3/standardize.ipynb" in done.stdout
    with zipfile.ZipFile(tmp_path / "submission.zip") as archive:
        assert {"standardize.py", "standardize.ipynb"} & set(archive.namelist())


def test_the_bundles_hold_it(kit, recipe):
    with zipfile.ZipFile(kit / "student.zip") as student:
        names = student.namelist()
        texts = {n: student.read(n).decode("utf-8", "replace") for n in names}
    assert {"exercises/standardize.py", "exercises/test_standardize.py", "release/dl3/standardize.ipynb",
            "autograder/specs/standardize.py"} <= set(names)
    assert [n for n, text in texts.items() if "standardize_housing" in text] == []
    assert not any(n.startswith(("solutions/", "hidden_tests/")) for n in names)
    with zipfile.ZipFile(kit / "autograder.zip") as bundle:
        names = set(bundle.namelist())
        costs = json.loads(bundle.read("autograder/grade/reference_costs.json"))
    assert {"exercises/test_standardize.py", "hidden_tests/test_standardize_hidden.py",
            "autograder/specs/standardize.py"} <= names
    assert "standardize/standardize_housing" in costs["checks"]


def test_the_gradebook_and_the_class_report_count_it(kit, recipe, tmp_path):
    reference = (kit / "solutions" / "standardize.py").read_text()
    for student, answer in {"alice": MINE, **WRONG}.items():
        (tmp_path / "class" / student).mkdir(parents=True)
        (tmp_path / "class" / student / "standardize.py").write_text(reference.replace(MINE, answer))
    done = shell(kit, f"python -m autograder grade-batch {tmp_path / 'class'} --out {tmp_path / 'graded'} "
                      f"&& python -m autograder class-report {tmp_path / 'graded'} --out {tmp_path / 'report'}")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with open(tmp_path / "graded" / "gradebook.csv") as handle:
        book = {row["student"]: row for row in csv.DictReader(handle)}
    assert {s: book[s]["standardize"] for s in book} == {"alice": "2", "bob": "0", "carol": "1"}
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert "standardize" in json.dumps(report["exercises"])
    mistakes = {m["id"]: m["students"] for m in report["mistakes"]}
    assert mistakes.get("standardize.standardize_values.not_scaled") == 1, mistakes
    assert mistakes.get("standardize.standardize_housing.changes_its_input") == 1, mistakes
