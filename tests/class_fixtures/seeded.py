"""A synthetic class with known, seeded mistakes, for the class report's tests.

Each kind of submission is the reference ``solutions/gradient_descent.py`` with a patch
appended (patches from the bad-submission catalogue among them), or the stub, or no file at
all; ``KINDS`` says how many students hand it in and, check by check, the failure kind and
mistake it must produce. ``tests/test_class_report.py`` grades the class for real with
``grade-batch`` and compares the report's figures with ``expected_*`` below.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
EXERCISE = "gradient_descent"
SGD_CHECKS = ("sgd_start_point", "sgd_seed", "sgd_log_history", "sgd_fresh_batches", "sgd_converges")

GRADIENTS = '''
_reference_gradients = mse_gradients


def mse_gradients(X, y, m, b):
    dm, db = _reference_gradients(X, y, m, b)
    return {returns}
'''
SIGN_FLIPPED = GRADIENTS.replace("{returns}", "-dm, -db")
FACTOR_HALF = GRADIENTS.replace("{returns}", "dm / 2, db / 2")
MSE_SUM = '''
def mse(y, y_hat):
    residual = np.asarray(y, dtype=np.float64) - np.asarray(y_hat, dtype=np.float64)
    return float(np.sum(residual**2))
'''
NP_RANDOM = '''
def sample_batch(n_samples, batch_size, rng):
    return np.random.randint(0, n_samples, size=batch_size)
'''
PREDICT_RAISES = '''
def predict(X, m, b):
    raise ValueError("cannot multiply a line yet")
'''
CATALOGUE = ROOT / "tests" / "bad_submissions"   # tests/bad_submissions/README.md
SLEEPS = (CATALOGUE / "sleep_forever" / "patch.py").read_text()    # SGD with seed=2 sleeps: the idle limit
SYNTAX_ERROR = (CATALOGUE / "syntax_error" / "patch.py").read_text()
# The student's own id and a path of their machine in the message: the report must show neither.
NAMES_ITSELF = '''
def mse(y, y_hat):
    raise RuntimeError("/home/{student}/dl3/gradient_descent.py: {student} has not finished mse")
'''


@dataclass(frozen=True)
class Kind:
    """One kind of submission: how it is made, how many hand it in, and every check it must fail.

    ``failed``: check -> (failure kind, mistake name or None); every other check must pass.
    """

    name: str
    count: int
    patch: str | None = None            # appended to the reference
    source: str = "solution"            # "solution", "stub" or "none" (no gradient_descent.py)
    failed: dict[str, tuple[str, str | None]] = field(default_factory=dict)


def checks_of_exercise() -> list[str]:
    from autograder.specs import get_exercise

    return [c.name for c in get_exercise(EXERCISE).checks]


def every_check(kind: str, name: str | None) -> dict[str, tuple[str, str | None]]:
    return {check: (kind, name) for check in checks_of_exercise()}


def wrong(**names: str) -> dict[str, tuple[str, str | None]]:
    return {check: ("wrong_answer", name) for check, name in names.items()}


def builds_on_it(checks: tuple[str, ...], mistake: str) -> dict[str, tuple[str, str | None]]:
    """Checks that fail because a function they build on is wrong (``autograder/checks/upstream.py``)."""
    return {check: ("wrong_answer", mistake) for check in checks}


GD_CHECKS = ("gd_first_step", "gd_workshop_result", "gd_log_history", "gd_converges")
CRASHES_FROM = {check: ("crash", "crash") for check in GD_CHECKS + SGD_CHECKS}
# The checks a flipped gradient sign breaks beyond the gradient's own (GD diverges; SGD's steps differ).
GRADIENT_USERS = GD_CHECKS + ("sgd_fresh_batches", "sgd_converges")

# The mistake names are those the checks declare (autograder/specs/gradient_descent.py and the
# grader-only hidden_tests/hidden_specs.py); a change there that changes what fires shows here.
KINDS: list[Kind] = [
    Kind("reference", 8),
    # The checks that build on a wrong function name it (autograder/checks/upstream.py), not their own hints.
    Kind("sign_flipped", 4, SIGN_FLIPPED, failed={
        **wrong(gradients_numerical="sign_flipped", gradients_many_points="sign_flipped"),
        **builds_on_it(GRADIENT_USERS, "uses_wrong_gradients")}),
    Kind("factor_half", 2, FACTOR_HALF, failed={
        **wrong(gradients_numerical="factor_half", gradients_many_points="factor_half"),
        **builds_on_it(("gd_first_step", "gd_workshop_result", "sgd_fresh_batches"), "uses_wrong_gradients")}),
    Kind("mse_sum", 4, MSE_SUM, failed={
        **wrong(mse_value="not_mean_of_squares"),
        **builds_on_it(("gd_log_history", "gd_converges", "sgd_log_history"), "uses_wrong_mse")}),
    Kind("np_random", 4, NP_RANDOM, failed=wrong(
        batch_reproducible="global_np_random", sgd_seed="uses_wrong_sample_batch",
        sgd_fresh_batches="uses_wrong_sample_batch")),
    Kind("predict_raises", 2, PREDICT_RAISES, failed={"predict_values": ("crash", "crash"), **CRASHES_FROM}),
    Kind("names_itself", 1, NAMES_ITSELF, failed={"mse_value": ("crash", "crash"), **CRASHES_FROM}),
    Kind("sleeps", 1, SLEEPS, failed={"sgd_seed": ("time_limit", "time_limit"),
                                      "sgd_converges": ("time_limit", "time_limit")}),
    Kind("stub", 3, source="stub", failed=every_check("not_implemented", None)),
    Kind("syntax_error", 1, SYNTAX_ERROR, failed=every_check("crash", "import_error")),
    Kind("absent", 1, source="none", failed=every_check("not_submitted", None)),
]


def make_submission(folder: Path, kind: Kind, student: str) -> None:
    """The submission folder of one student of ``kind``."""
    folder.mkdir(parents=True)
    if kind.source == "none":
        (folder / "notes.txt").write_text("I ran out of time.\n")
        return
    if kind.source == "stub":
        text = (ROOT / "exercises" / f"{EXERCISE}.py").read_text()
    else:
        text = (ROOT / "solutions" / f"{EXERCISE}.py").read_text()
    if kind.patch:
        text += "\n" + kind.patch.replace("{student}", student)
    (folder / f"{EXERCISE}.py").write_text(text)


def students_of(kinds: list[Kind]) -> dict[str, Kind]:
    """Student id -> kind: ``<kind>_<n>`` for each of the kind's ``count`` students."""
    return {f"{kind.name}_{n}": kind for kind in kinds for n in range(1, kind.count + 1)}


def make_class(subs: Path, kinds: list[Kind]) -> dict[str, Kind]:
    """A submissions folder of the whole seeded class; returns who is which kind."""
    students = students_of(kinds)
    for student, kind in students.items():
        make_submission(subs / student, kind, student)
    return students


def grade_batch(subs: Path, out: Path, workers: int = 2, timeout: int = 900) -> subprocess.CompletedProcess:
    """``python -m autograder grade-batch SUBS --out OUT`` for real, as an instructor runs it."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-m", "autograder", "grade-batch", str(subs), "--out", str(out),
                           "--workers", str(workers)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def class_report(graded: Path, out: Path, *extra: str) -> dict:
    """``python -m autograder class-report GRADED --out OUT``; returns the written report.json."""
    done = subprocess.run([sys.executable, "-m", "autograder", "class-report", str(graded), "--out", str(out),
                           *extra], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads((out / "report.json").read_text())


def fake_failures(out: Path, like: str) -> dict[str, str]:
    """Two gradings that did not complete, written as grade-batch writes them, from ``like``'s results.

    ``grader_error``: meta status ``grader-error`` (results as ``like``'s, which must not count);
    ``part_failure``: ``like``'s results with the exercise's tests of kind ``grader_failure``.
    """
    results = json.loads((out / like / "results.json").read_text())
    meta = json.loads((out / like / "meta.json").read_text())
    made = {}
    for student, status in (("grader_error", "grader-error"), ("part_failure", "graded")):
        folder = out / student
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        copy = json.loads(json.dumps(results))
        if student == "part_failure":
            for test in copy["tests"]:
                if test["extra_data"]["exercise"] == EXERCISE:
                    test["extra_data"].update(failure="grader_failure", mistake=None)
        (folder / "results.json").write_text(json.dumps(copy))
        (folder / "meta.json").write_text(json.dumps({**meta, "student": student, "status": status,
                                                      "detail": "the grader exited with status 3"}))
        made[student] = status
    return made


# ---------------------------------------------------------------------------- what the report must say


def check_points() -> dict[str, float]:
    from autograder.specs import get_exercise

    return {c.name: c.points for c in get_exercise(EXERCISE).checks}


def expected_total(kind: Kind) -> float:
    """The points a student of ``kind`` must score: every check it does not fail."""
    return sum(points for check, points in check_points().items() if check not in kind.failed)


def expected_checks(students: dict[str, Kind]) -> dict[str, dict]:
    """Per check: students who handed the exercise in, how many passed, failures by kind."""
    table = {}
    for check in checks_of_exercise():
        handed_in = [k for k in students.values() if k.source != "none"]
        kinds = Counter(k.failed[check][0] for k in handed_in if check in k.failed)
        table[check] = {"students": len(handed_in), "passed": sum(check not in k.failed for k in handed_in),
                        "failures": dict(kinds)}
    return table


def expected_mistakes(students: dict[str, Kind]) -> dict[str, int]:
    """Mistake id -> number of students who must get it."""
    counts: Counter = Counter()
    for kind in students.values():
        counts.update({f"{EXERCISE}.{check}.{name}" for check, (_, name) in kind.failed.items() if name})
    return dict(counts)
