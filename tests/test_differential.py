"""One grade, whichever way it is graded: the same submission, run in-process (``pytest --target``)
and through the sandbox (``python -m autograder grade``), gets the same result check by check —
pass/fail, points, and the message once what differs by design is normalised (line annotations,
the "your code printed" note, timings, file paths).

Submissions: the catalogue of right answers written differently (``tests/right_answers/``; each
must also score full marks, except the "strict" variants, which fail the named checks on both
routes) and an allow-list of the bad-submission catalogue (those that neither hang, kill nor
subvert an in-process run). Both routes of a right answer run at the same time, in fresh processes;
a bad submission's grade route is the catalogue's own grading of it (the session's ``catalogue_graded``).
"""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from autograder.specs import all_exercises
from tests.helpers.catalogue import GD_ARGS, build_submission
from tests.helpers.catalogue import expectation as bad_expectation
from tests.helpers.kit import ROOT
from tests.helpers.routes import graded_checks, in_process, through_grade

RIGHT = Path(__file__).parent / "right_answers"
CATALOGUE = json.loads((RIGHT / "catalogue.json").read_text())
SUBMISSIONS = CATALOGUE["submissions"]
STRICT = CATALOGUE["strict"]
# Bad submissions an in-process run survives unchanged (not: hangs, exits, crashes, memory bombs,
# leftover processes, patches of the test process, files a zip or a notebook).
BAD_ALLOWED = ["syntax_error", "import_exception", "missing_functions", "wrong_types", "wrong_shapes", "nan_inf",
               "keras_lying_model", "huge_stdout", "fake_pass_output", "conftest_marks_passed"]
QUICK = [name for name, sub in SUBMISSIONS.items() if not sub["training"]]
TRAINED = [name for name, sub in SUBMISSIONS.items() if sub["training"]]


# --------------------------------------------------------------------------
# Building and running


def build_right_answer(name: str, where: Path) -> Path:
    """A submission directory: each variant appended to the reference solution of its module."""
    sub = where / "submission"
    sub.mkdir(parents=True)
    for module, variant in SUBMISSIONS[name]["variants"].items():
        reference = (ROOT / "solutions" / f"{module}.py").read_text()
        patch = (RIGHT / module / f"{variant}.py").read_text()
        (sub / f"{module}.py").write_text(f"{reference}\n\n# ---- right answer: {variant} ----\n{patch}")
    return sub


def both_routes(sub: Path, modules: list[str], training: bool, where: Path, grade_args: list[str]) -> tuple:
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=2) as pool:
        local = pool.submit(in_process, sub, modules, training, where / "in_process.json")
        graded = pool.submit(through_grade, sub, training, where / "results.json", grade_args)
        return local.result(), graded.result(), time.monotonic() - started


# --------------------------------------------------------------------------
# Comparing


def normalise(text: str) -> str:
    """A check's message without what differs between the routes by design."""
    text = re.split(r"\n\s*your code printed", text)[0]                 # the student's output, shown by grade
    text = re.sub(r"\s*\[line \d+, in [^\n]*\]", "", text)               # the sandbox's line annotations
    text = re.sub(r"\s*\(line \d+[,:][^\n]*\)(?=\n|$)", "", text)       # ... and the import error's
    text = re.sub(r"(?<![\w.])/[^\s`'\"]*/([\w.-]+\.py)", r"\1", text)   # paths of the copies graded
    text = re.sub(r"\d+(\.\d+)? ?(s|seconds)\b", "<time>", text)         # timings
    return text.strip()


def differences(local: dict, graded: dict) -> list[str]:
    """Every check whose result differs between the routes (the in-process run decides which checks ran)."""
    problems = []
    for key, (status, points, message) in sorted(local.items()):
        if status not in ("passed", "failed", "not implemented"):
            problems.append(f"{key}: in-process status {status!r}")
            continue
        g_status, g_points, g_message = graded[key]
        wanted = "passed" if status == "passed" else "failed"
        if (g_status, g_points) != (wanted, points):
            problems.append(f"{key}: in-process {status} {points} pt, grade {g_status} {g_points} pt\n"
                            f"    in-process: {message[:500]!r}\n    grade:      {g_message[:500]!r}")
        elif normalise(message) != normalise(g_message):
            problems.append(f"{key}: messages differ\n    in-process: {normalise(message)[:800]!r}\n"
                            f"    grade:      {normalise(g_message)[:800]!r}")
    return problems


def expected_checks(modules: list[str], training: bool) -> set:
    exercises = {e.module: e for e in all_exercises().values()}
    return {(exercises[m].name, c.name) for m in modules for c in exercises[m].checks if training or not c.training}


# --------------------------------------------------------------------------
# The tests


def _right_answers(name: str, tmp_path: Path) -> None:
    spec = SUBMISSIONS[name]
    modules = list(spec["variants"])
    sub = build_right_answer(name, tmp_path)
    local, graded, seconds = both_routes(sub, modules, spec["training"], tmp_path, [])
    print(f"{name}: both routes in {seconds:.1f} s")
    assert set(local) == expected_checks(modules, spec["training"])
    problems = differences(local, graded)
    assert not problems, "\n".join(problems)
    exercises = {e.module: e for e in all_exercises().values()}
    for module, variant in spec["variants"].items():
        strict = STRICT.get(f"{module}/{variant}", {"fails": [], "message": ""})
        for (exercise, check), (status, points, message) in local.items():
            if exercise != exercises[module].name:
                continue
            if check in strict["fails"]:
                assert status == "failed" and re.search(strict["message"], message), (variant, check, message)
            else:
                assert status == "passed" and points == exercises[module].check(check).points, \
                    (variant, check, message)


@pytest.mark.slow
@pytest.mark.parametrize("name", QUICK)
def test_right_answers_score_the_same_on_both_routes(name, tmp_path):
    _right_answers(name, tmp_path)


@pytest.mark.slow
@pytest.mark.training
@pytest.mark.parametrize("name", TRAINED)
def test_right_answers_that_train_score_the_same_on_both_routes(name, tmp_path):
    _right_answers(name, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("name", BAD_ALLOWED)
def test_bad_submissions_score_the_same_on_both_routes(catalogue_graded, name, tmp_path):
    """The grade route is the catalogue's own grading of the entry (``catalogue_graded``), graded once."""
    spec = bad_expectation(name)
    module = all_exercises()[spec.get("exercise", "gradient_descent")].module
    sub = build_submission(name, tmp_path)
    training = "--no-training" not in spec.get("args", GD_ARGS)
    local = in_process(sub, [module], training, tmp_path / "in_process.json")
    assert catalogue_graded[name]["done"].returncode == 0, catalogue_graded[name]["done"].stderr[-3000:]
    problems = differences(local, graded_checks(catalogue_graded[name]["results"]))
    assert not problems, "\n".join(problems)


def test_the_catalogue_covers_every_exercise_and_each_variant_once():
    used = [f"{m}/{v}" for sub in SUBMISSIONS.values() for m, v in sub["variants"].items()]
    files = sorted(f"{p.parent.name}/{p.stem}" for p in RIGHT.glob("*/*.py"))
    assert sorted(used) == files and len(set(used)) == len(used)
    right = [u for u in used if u not in STRICT]
    assert len(right) >= 15
    assert {u.split("/")[0] for u in right} == {e.module for e in all_exercises().values()}
    assert set(STRICT) <= set(used)
