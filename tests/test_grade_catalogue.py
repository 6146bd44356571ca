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
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest

from autograder.grade.supervisor.results import validate_gradescope
from autograder.specs import get_exercise
from tests.conftest import ROOT, run_kit

CATALOGUE = Path(__file__).parent / "bad_submissions"
ENTRIES = sorted(p.name for p in CATALOGUE.iterdir() if (p / "expect.json").is_file())
SGD = ["sgd_start_point", "sgd_seed", "sgd_log_history", "sgd_fresh_batches", "sgd_converges"]
GD_ARGS = ["--time-limit", "10", "--memory-mb", "2048"]
MARKERS = ("dl3-catalogue-background", "dl3-catalogue-faker")


def expectation(name: str) -> dict:
    return json.loads((CATALOGUE / name / "expect.json").read_text())


def build_submission(name: str, where: Path) -> Path:
    """The submission directory (or file) of a catalogue entry."""
    entry = CATALOGUE / name
    spec = expectation(name)
    exercise = get_exercise(spec.get("exercise", "gradient_descent"))
    if spec.get("submit"):
        return entry / spec["submit"]
    sub = where / "submission"
    shutil.copytree(entry, sub, ignore=shutil.ignore_patterns("expect.json", "patch.py"))
    # Stored as NAME.fixture so that the kit's own pytest run never loads them (a conftest.py!).
    for path in sorted(sub.rglob("*.fixture")):
        path.rename(path.with_suffix(""))
    if (entry / "patch.py").is_file():
        reference = (ROOT / "solutions" / exercise.filename).read_text()
        (sub / exercise.filename).write_text(reference + "\n\n# ---- catalogue patch ----\n"
                                             + (entry / "patch.py").read_text())
    return sub


def grade_entry(name: str, tmp: Path) -> dict:
    tmp.mkdir(parents=True, exist_ok=True)
    sub = build_submission(name, tmp)
    # Only the entry that fakes results files gets the usual name: where the sandbox cannot drop to
    # `nobody` (this machine: Python under /root), a submission runs with the grader's uid and could
    # write other gradings' files; its own score it cannot change.
    results = tmp / "out" / ("results.json" if name == "fake_results_file" else "graded.json")
    args = expectation(name).get("args", GD_ARGS)
    started = time.monotonic()
    done = run_kit("-m", "autograder", "grade", str(sub), "--results", str(results), *args, timeout=900)
    return {"done": done, "results": results, "seconds": time.monotonic() - started}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every catalogue entry, graded once (three at a time), by name."""
    root = tmp_path_factory.mktemp("catalogue")
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {name: pool.submit(grade_entry, name, root / name) for name in ENTRIES}
        return {name: future.result() for name, future in futures.items()}


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


@pytest.mark.parametrize("name", ENTRIES)
def test_bad_submission(graded, name):
    run = graded[name]
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


def test_no_process_of_a_submission_survives(graded):
    survivors = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if any(marker in cmdline for marker in MARKERS):
            survivors.append(cmdline[:200])
    assert not survivors


def test_fake_results_file_is_overwritten_by_the_grader(graded):
    data = json.loads(graded["fake_results_file"]["results"].read_text())
    assert data["score"] < 100 and all(t["name"] != "everything" for t in data["tests"])


def test_imitated_passing_output_is_marked_as_the_students(graded):
    data = json.loads(graded["fake_pass_output"]["results"].read_text())
    assert "62/62" not in data["output"]
    for test in data["tests"]:
        assert "16 passed" not in test["output"] or "your code printed" in test["output"]


def test_corrupt_zip_says_so_in_every_check(graded):
    data = json.loads(graded["corrupt_zip"]["results"].read_text())
    assert data["score"] == 0
    assert all("not a readable zip file" in t["output"] for t in data["tests"])
