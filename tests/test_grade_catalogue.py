"""The catalogue of bad submissions (tests/bad_submissions/): each is graded for real by
``python -m autograder grade`` in a fresh process. For every one: grading finishes with
exit status 0, the results file is valid Gradescope JSON, every affected check scores 0
with a clear message, and every unaffected check still gets its points.

Most entries are the reference ``gradient_descent.py`` plus a ``patch.py`` appended to it
(so only the functions the patch breaks lose points); the others are literal files.
``expect.json`` names the affected checks ("all", "sgd" or a list), a regular
expression their messages must match, and the failure kind and the named mistake each
must carry (``extra_data`` and ``tags``); every other check carries none. The gradings
run three at a time.
"""

from __future__ import annotations

import json
import re

import psutil
import pytest

from autograder.grade.supervisor.results import validate_gradescope
from autograder.specs import get_exercise
from tests.helpers.catalogue import ENTRIES, MARKERS, SGD, expectation

def named(spec: dict, check: str) -> tuple[str, str]:
    """The failure kind and the mistake pattern ``expect.json`` gives ``check`` ("*": every other affected check)."""
    failures = spec["failure"] if isinstance(spec["failure"], dict) else {"*": spec["failure"]}
    return failures.get(check, failures.get("*")), spec["mistakes"].get(check, spec["mistakes"].get("*"))


def assert_named(test: dict, failure: str | None, mistake: str | None) -> None:
    """The test's failure kind and mistake id (a literal or a regular expression), in extra_data and tags."""
    extra = test["extra_data"]
    assert extra["failure"] == failure, (test["name"], extra)
    if mistake is None:
        assert extra["mistake"] is None, (test["name"], extra)
        return
    assert extra["mistake"] == mistake or re.fullmatch(mistake, extra["mistake"] or ""), (test["name"], extra)
    assert extra["mistake"] in test["tags"]


def _affected(spec: dict, exercise) -> set[str]:
    if spec["affected"] == "all":
        return {c.name for c in exercise.checks}
    if spec["affected"] == "sgd":
        return set(SGD)
    return set(spec["affected"])


def test_catalogue_is_complete():
    wanted = {"syntax_error", "import_exception", "missing_functions", "wrong_types", "wrong_shapes", "nan_inf",
              "infinite_loop", "sleep_forever", "memory_bomb", "sys_exit_import", "os_exit_import",
              "sys_exit_function", "os_exit_function", "fork_exit_function", "keyboard_interrupt", "crash_recursion",
              "fake_pass_output", "fake_results_file", "conftest_marks_passed", "monkeypatch_comparisons",
              "keras_lying_model", "huge_stdout", "background_process", "corrupt_zip", "corrupt_notebook"}
    assert wanted <= set(ENTRIES), sorted(wanted - set(ENTRIES))


@pytest.mark.slow
@pytest.mark.parametrize("name", ENTRIES)
def test_bad_submission(catalogue_graded, name):
    run = catalogue_graded[name]
    done = run["done"]
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    data = json.loads(run["results"].read_text())
    assert validate_gradescope(data) == []
    spec = expectation(name)
    exercise = get_exercise(spec.get("exercise", "gradient_descent"))
    affected = _affected(spec, exercise)
    not_run = set(spec.get("not_run", []))
    tests = [t for t in data["tests"] if t["tags"][0] == exercise.name]
    assert len(tests) == len(exercise.checks)
    expected_score = 0.0
    for check, test in zip(exercise.checks, tests):
        assert check.name in test["name"]
        if check.name in affected or check.name in not_run:
            assert test["score"] == 0 and test["status"] == "failed", (check.name, test)
            pattern = spec["message"] if check.name in affected else "did not run"
            assert re.search(pattern, test["output"]), f"{check.name}: {test['output']!r} !~ {pattern!r}"
            assert "Traceback" not in test["output"], test["output"]
            assert_named(test, *(named(spec, check.name) if check.name in affected else (None, None)))
        else:
            assert test["status"] == "passed" and test["score"] == check.points, (check.name, test["output"])
            assert_named(test, None, None)
            expected_score += check.points
    # No unearned points anywhere: the other exercises are absent and score 0.
    assert all(t["score"] == 0 for t in data["tests"] if t["tags"][0] != exercise.name)
    assert data["score"] == expected_score
    assert len(run["results"].read_text()) < 300_000  # huge output is truncated, never copied whole


def test_every_entry_records_the_mistakes_it_must_produce():
    for name in ENTRIES:
        spec = expectation(name)
        if spec["affected"]:
            assert {"failure", "mistakes"} <= set(spec), f"{name}/expect.json: no failure kind or mistakes"


@pytest.mark.slow
def test_no_process_of_a_submission_survives(catalogue_graded):
    survivors = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if any(marker in cmdline for marker in MARKERS):
            survivors.append(cmdline[:200])
    assert not survivors


@pytest.mark.slow
def test_fake_results_file_is_overwritten_by_the_grader(catalogue_graded):
    data = json.loads(catalogue_graded["fake_results_file"]["results"].read_text())
    assert data["score"] < 100 and all(t["name"] != "everything" for t in data["tests"])


@pytest.mark.slow
def test_imitated_passing_output_is_marked_as_the_students(catalogue_graded):
    data = json.loads(catalogue_graded["fake_pass_output"]["results"].read_text())
    assert "62/62" not in data["output"]
    for test in data["tests"]:
        assert "16 passed" not in test["output"] or "your code printed" in test["output"]


@pytest.mark.slow
def test_corrupt_zip_says_so_in_every_check(catalogue_graded):
    data = json.loads(catalogue_graded["corrupt_zip"]["results"].read_text())
    assert data["score"] == 0
    assert all("not a readable zip file" in t["output"] for t in data["tests"])
