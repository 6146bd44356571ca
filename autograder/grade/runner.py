"""``python -m autograder grade``: grade one submission end to end.

1. ``submission.read_submission`` finds the exercise files (nothing else is used).
2. They are written to a private scratch directory, and a *judge* — ``pytest`` with
   the kit's plugin in ``--sandbox`` mode, in a fresh process — runs every visible and
   hidden test of the parts present. The judge never imports the student's code: each
   call runs in a sandboxed worker (``sandbox.py``).
3. After the judge has exited and every process it left has been killed, this
   process (the only one that writes results) merges the judge's scores with the
   exercise specs: every check of every exercise gets an entry; absent parts score
   0 with a message saying so; a check the judge did not report scores 0.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from autograder.grade.results import Results, TestResult
from autograder.grade.sandbox import Limits, harden_judge, kill_descendants
from autograder.grade.submission import Submission, SubmissionError, read_submission
from autograder.specs import Exercise, all_exercises

KIT_ROOT = Path(__file__).resolve().parent.parent.parent


class GradeError(Exception):
    """The grader could not run (bad arguments, unreadable path): one line for the user."""


@dataclass
class Options:
    limits: Limits
    test_timeout: float = 1800.0     # judge-side cap per test (training included), pytest-timeout
    total_timeout: float = 7200.0    # the whole judge run
    kit_root: Path = KIT_ROOT
    keep: bool = False               # keep the scratch directory (debugging)
    training: bool = True            # False: skip the checks that train models (they score 0, "not run")


def test_files(exercise: Exercise, kit_root: Path) -> list[Path]:
    """The visible and hidden test files of an exercise (``test_<module>*.py``)."""
    files = []
    for folder in ("exercises", "hidden_tests"):
        files += sorted((kit_root / folder).glob(f"test_{exercise.module}.py"))
        files += sorted((kit_root / folder).glob(f"test_{exercise.module}_*.py"))
    return files


def _name(exercise: Exercise, index: int, check) -> tuple[str, str]:
    title = exercise.title
    number = title.split(".", 1)[0] if title[:1].isdigit() else ""
    label = f"{title} — {check.name}" + (f": {check.describe}" if check.describe else "")
    return label, f"{number}.{index}" if number else str(index)


def _run_judge(files: list[Path], student_dir: Path, scratch: Path, options: Options) -> tuple[dict | None, str]:
    """Run the judge; its score JSON (or None) and, when it failed, why.

    The judge writes its scores into a pipe this process reads (``--score-json /dev/fd/N``),
    not into a file a student's process could find and rewrite.
    """
    read_fd, write_fd = os.pipe()
    args = [sys.executable, "-m", "pytest", *map(str, files), "--rootdir", str(options.kit_root),
            "-c", str(options.kit_root / "pyproject.toml"), "--sandbox", "--target", str(student_dir),
            "--score-json", f"/dev/fd/{write_fd}", "-q", "-p", "no:cacheprovider",
            "--timeout", str(int(options.test_timeout)), "-W", "ignore"] + \
        ([] if options.training else ["-m", "not training"])
    env = {k: v for k, v in os.environ.items() if k not in ("DL3_TARGET", "PYTEST_ADDOPTS", "PYTHONPATH")}
    env.update({"DL3_SANDBOX_LIMITS": options.limits.to_env(), "TF_CPP_MIN_LOG_LEVEL": "3",
                "PYTHONDONTWRITEBYTECODE": "1"})
    log = scratch / "judge.log"
    received = bytearray()

    def read_scores() -> None:
        with os.fdopen(read_fd, "rb") as pipe:
            while chunk := pipe.read(65536):
                received.extend(chunk)

    reader = threading.Thread(target=read_scores, daemon=True)
    with open(log, "wb") as out:
        try:
            proc = subprocess.Popen(args, cwd=options.kit_root, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True, pass_fds=(write_fd,))
        finally:
            os.close(write_fd)
        reader.start()
        try:
            code = proc.wait(timeout=options.total_timeout)
            why = ""
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            code, why = None, f"the grading run exceeded its overall time limit ({options.total_timeout:g} s)"
    kill_descendants()  # whatever the judge or the student's code left behind (we are their subreaper)
    reader.join(timeout=10)
    if code not in (0, 1):   # pytest: 0 all passed, 1 some failed; anything else is not a finished run
        tail = log.read_text(errors="replace")[-3000:]
        return None, why or f"the grader's test run failed (exit status {code}):\n{tail}"
    try:
        return json.loads(received.decode("utf-8")), ""
    except ValueError as exc:
        return None, f"the grader's test run left no readable scores ({exc})"


def grade(path: Path, options: Options) -> Results:
    """Grade the submission at ``path``; raises GradeError when it cannot be read at all."""
    started = time.monotonic()
    harden_judge()
    try:
        sub = read_submission(Path(path))
    except SubmissionError as exc:
        raise GradeError(str(exc)) from None
    exercises = all_exercises()
    scratch = Path(tempfile.mkdtemp(prefix="dl3-grade-"))
    os.chmod(scratch, 0o700)
    try:
        student_dir = scratch / "submission"
        student_dir.mkdir()
        gradable = [e for e in exercises.values()
                    if e.module in sub.parts and sub.parts[e.module].source is not None]
        for exercise in gradable:
            (student_dir / exercise.filename).write_bytes(sub.parts[exercise.module].source)
        files = [f for e in gradable for f in test_files(e, options.kit_root)]
        judged, failure = ({"tests": []}, "") if not files else _run_judge(files, student_dir, scratch, options)
        results = _merge(sub, exercises, judged, failure, options.training)
    finally:
        if not options.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    results.execution_time = time.monotonic() - started
    return results


def _merge(sub: Submission, exercises: dict[str, Exercise], judged: dict | None, failure: str,
           options_training: bool = True) -> Results:
    results = Results(notes=list(sub.notes))
    if sub.problem:
        results.notes.append(sub.problem)
    by_check: dict[tuple[str, str], dict] = {}
    for test in (judged or {}).get("tests", []):
        by_check.setdefault((test.get("exercise"), test.get("check")), test)
    for exercise in exercises.values():
        part = sub.parts.get(exercise.module)
        if part is not None:
            results.graded_files[exercise.module] = part.origin + (" (unreadable)" if part.problem else "")
        for index, check in enumerate(exercise.checks, start=1):
            name, number = _name(exercise, index, check)
            entry = TestResult(exercise=exercise.name, check=check.name, name=name, number=number, score=0.0,
                               max_score=float(check.points), status="failed", output="", hidden=check.hidden)
            if sub.problem:
                entry.kind, entry.output = "unreadable", f"{sub.problem}: this check scores 0"
            elif part is None:
                entry.kind = "absent"
                entry.output = (f"{exercise.filename} (or {exercise.module}.ipynb) is not in your submission: "
                                f"this part scores 0")
            elif part.problem:
                entry.kind, entry.output = "unreadable", f"{part.problem}: this part scores 0"
            elif judged is None:
                entry.kind = "not run"
                entry.output = f"this check could not be run: {failure}".strip()
            else:
                test = by_check.get((exercise.name, check.name))
                if test is None:
                    entry.kind = "not run"
                    entry.output = ("this check did not run (training checks were skipped in this grading run)"
                                    if check.training and not options_training else
                                    "this check did not run (the grader has no test for it); it scores 0")
                else:
                    passed = test.get("status") == "passed"
                    entry.status = "passed" if passed else "failed"
                    entry.score = float(check.points) if passed else 0.0
                    entry.kind = "graded" if test.get("status") in ("passed", "failed") else str(test.get("status"))
                    entry.output = clean_message(str(test.get("message") or ""))
                    entry.duration = float(test.get("duration") or 0.0)
                    if test.get("status") == "skipped":
                        entry.output = f"skipped: {entry.output}"
            results.tests.append(entry)
    return results


def clean_message(message: str) -> str:
    """A check's message for students: a raw pytest traceback is cut down to its ``E`` lines."""
    if "\nE   " not in "\n" + message:
        return message
    lines = [line[1:].strip() for line in message.splitlines() if line.startswith("E ")]
    text = "\n".join(line for line in lines if line)
    if "Timeout" in text and "Failed: Timeout" in text:
        return "the grader's time limit for this check was exceeded"
    return text or "this check failed"
