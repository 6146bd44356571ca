"""``python -m autograder grade``: grade one submission end to end.

This process is the *supervisor*: it never imports TensorFlow or the student's code,
so it stays small and outlives whatever else the box's kernel kills. Its steps, in order:

1. ``read_submission`` finds the exercise files (nothing else is used).
2. ``plan_run`` reads the box (``box.py``: memory limit, CPU quota, affinity) and makes
   the plan: how many exercise modules are graded at once, whether student processes start early,
   how much memory the student's process gets.
3. ``judge_units``: each exercise module present is one *unit*: a judge — ``pytest`` with
   the kit's plugin in ``--sandbox`` mode, forked from the grading's zygote (``process_starter``:
   numpy and Keras imported once, while the data decoder decodes the datasets the tests read: ``decoding.py``;
   a fresh interpreter without the warm start) — runs that module's visible and hidden tests; the student's code runs in a sandboxed student process beside it. Units run
   one at a time in a small box (a judge's memory is returned to the box when it exits),
   several at once where memory and CPUs allow.
4. After every judge has exited and every process left behind has been killed, the
   supervisor (the only process that writes results) merges the scores with the specs.

A failure of the grader — a judge killed by the kernel, a sandbox that cannot start,
TensorFlow that cannot load — is never the student's score: the results say "grading
could not complete — this is not your score" and carry no score (``Results.incomplete``),
and the command exits non-zero.

Nothing of a grading outlives it. Its files live in one folder, ``<tmp>/dl3-grade-XXXX``
(``grade/scratch.py``): the supervisor's own (``grader/``, root's alone) and the judges'
temporary directory (``tmp/``, where their import roots and student scratch directories go).
A stop signal — SIGTERM, SIGINT, SIGHUP — ends every process of the grading (this process's
tree, of which it is the subreaper, and every process of the sandbox user), removes that
folder and writes results saying grading could not complete (exit 3). Against SIGKILL the
judges and student processes die with their parent (``judge/lifetime.py``, ``child/enter.py``),
and the next grading removes the folder and ends what is left of the sandbox user.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

from autograder import config
from autograder.config import (DATA_DIR_ENV, KIT_ROOT, LEAN_KERAS_ENV, LIMITS_ENV, DECODED_DATA_ENV, SUPERVISOR_PID_ENV,
                               TARGET_ENV, data_dir)
from autograder.grade.supervisor.box import Box, Plan, cgroup_peak_mb, make_plan, read_box
from autograder.grade.supervisor.decoding import BY_JUDGES, datasets_read, decoding_ahead, decoding_warnings
from autograder.grade.limits import Limits, load_unit_seconds
from autograder.grade.forks import FreshStart, Zygote, ZygoteError, start_zygote
from autograder.grade.isolation.privileges import (IsolationError, isolated_run, isolation_warnings, sandbox_user,
                                                   student_python)
from autograder.grade.processes import (StopSwitch, Stopped, anon_share_mb, harden_judge, kill_descendants,
                                        kill_processes_of, signal_name, stop_on_signals, tree_pids)
from autograder.grade.scratch import owned_dir, remove_stale
from autograder.grade.supervisor.results import Results, TestResult
from autograder.grade.supervisor.submission import SubmittedFiles, SubmissionError, read_submission
from autograder.checks import mistakes
from autograder.identity import USERS
from autograder.graded_tests import NO_TEST, Gap, exercise_test_files, home_of
from autograder.specs import Exercise, all_exercises

TIMEOUT_TEXT = "the grader's time limit for this check was exceeded"
RESULTS_MARGIN = 30.0   # seconds kept at the end of the run for the supervisor


class GradeError(Exception):
    """The grader could not run (bad arguments, unreadable path): one line for the user."""


@dataclass
class Options:
    limits: Limits
    test_timeout: float = config.TEST_TIMEOUT_S     # judge-side cap per test (training included), pytest-timeout
    total_timeout: float = config.TOTAL_TIMEOUT_S   # the whole grading run
    kit_root: Path = KIT_ROOT
    keep: bool = False               # keep the scratch directory (debugging)
    training: bool = True            # False: skip the checks that train models (they score 0, "not run")
    units: int | None = None         # exercise modules graded at once (default: from the plan)
    box_memory_mb: int | None = None   # plan for this memory instead of the detected limit (a batch's share)
    allow_same_user: bool = False    # not root: grade anyway, student code as this user (issue 10)
    users: tuple[dict, ...] = ()     # who the submission is (autograder/identity.py): into the results


@dataclass
class UnitOutcome:
    exercise: Exercise
    judged: dict | None              # the judge's score JSON, or None when the judge did not finish
    failure: str = ""                # why not (the grader's failure)
    seconds: float = 0.0


def _name(exercise: Exercise, index: int, check) -> tuple[str, str]:
    title = exercise.title
    number = title.split(".", 1)[0] if title[:1].isdigit() else ""
    label = f"{title} — {check.name}" + (f": {check.describe}" if check.describe else "")
    return label, f"{number}.{index}" if number else str(index)


# --------------------------------------------------------------------------
# Plan


def plan_run(options: Options, box: Box | None = None) -> tuple[Plan, Limits]:
    """The plan for this box, and the limits the judges get (the plan may lower the student's memory)."""
    box = box or read_box()
    if options.box_memory_mb:
        box = replace(box, memory_bytes=options.box_memory_mb * 2**20)
    plan = make_plan(box, options.limits.memory_mb, options.units)
    limits = replace(options.limits, memory_mb=plan.student_memory_mb, cpus=plan.cpus, prestart=plan.prestart,
                     release_before_training=plan.release_before_training, lean_allocator=plan.lean_allocator,
                     data_dir=data_dir(options.limits.data_dir),
                     # the student's calls end in time for the supervisor to write the results
                     run_deadline=time.time() + max(options.total_timeout - RESULTS_MARGIN, 1.0))
    return plan, limits


class PeakSampler:
    """Samples the anonymous memory of this process and all its descendants (pages shared copy-on-write once)."""

    def __init__(self, every: float = 1.0):   # smaps_rollup of a TensorFlow process costs ~10 ms to read
        self.every, self.peak_mb = every, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, sum(anon_share_mb(p) for p in tree_pids(os.getpid())))
            self._stop.wait(self.every)

    def __enter__(self) -> "PeakSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


# --------------------------------------------------------------------------
# Judges


def _judge_args(files: list[Path], student_dir: Path, options: Options, score_fd: int) -> list[str]:
    """``pytest``'s command line for one judge (``argv[0]`` included)."""
    return ["pytest", "-p", "pytest_timeout", *map(str, files), "--rootdir", str(options.kit_root),
            "-c", str(options.kit_root / "pyproject.toml"), "--sandbox", "--target", str(student_dir),
            "--score-json", f"/dev/fd/{score_fd}", "-q", "-p", "no:cacheprovider",
            "--timeout", str(int(options.test_timeout)), "-W", "ignore"] + \
        ([] if options.training else ["-m", "not training"])


def _judge_env(limits: Limits, files: list[Path], tmp: Path) -> dict:
    env = _grader_env(tmp, limits.lean_allocator)
    # Only the plugins a judge uses (the kit's, pytest-timeout): the installed ones' entry points cost
    # a judge about 0.8 CPU seconds (anyio's looks for every async backend).
    env.update({LIMITS_ENV: limits.to_env(), SUPERVISOR_PID_ENV: str(os.getpid()), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
                **_data_env(limits, tmp)})
    if any("import keras" in f.read_text() for f in files):
        env[LEAN_KERAS_ENV] = "1"
    return env


def _data_env(limits: Limits, tmp: Path) -> dict:
    """Where the judges and the data decoder find the datasets, and the grading's decoded copies of them."""
    return {DECODED_DATA_ENV: str(tmp.parent / "grader" / "decoded"),
            **({DATA_DIR_ENV: str(limits.data_dir)} if limits.data_dir else {})}


def _grader_env(tmp: Path, lean_allocator: bool) -> dict:
    """The supervisor's environment as the zygote and the judges get it."""
    env = {k: v for k, v in os.environ.items() if k not in (TARGET_ENV, "PYTEST_ADDOPTS", "PYTHONPATH")}
    env.update({"TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONDONTWRITEBYTECODE": "1", "TMPDIR": str(tmp),
                **(config.SMALL_BOX_MALLOC_ENV if lean_allocator else {})})
    return env


def run_judge(files: list[Path], student_dir: Path, scratch: Path, options: Options, limits: Limits,
              timeout: float, switch: StopSwitch, starter: Zygote | FreshStart) -> tuple[dict | None, str]:
    """Run one judge, started by ``starter``; its score JSON (or None) and, when it failed, why.

    The judge writes its scores into a pipe this process reads (``--score-json /dev/fd/N``),
    not into a file a student's process could find and rewrite. Its temporary directory is the
    grading's ``tmp/``, beside ``scratch``; no judge starts once ``switch`` has tripped.
    """
    read_fd, write_fd = os.pipe()
    log = scratch / f"judge-{files[0].stem}.log"
    received = bytearray()

    def read_scores() -> None:
        with os.fdopen(read_fd, "rb") as pipe:
            while chunk := pipe.read(65536):
                received.extend(chunk)

    reader = threading.Thread(target=read_scores, daemon=True)
    with open(log, "wb") as out, open(os.devnull, "rb") as nothing:
        try:
            with switch.starting():
                proc = starter.spawn("judge", _judge_args(_args_file(files, scratch), student_dir, options, write_fd),
                                    _judge_env(limits, files, scratch.parent / "tmp"), options.kit_root,
                                    {0: nothing.fileno(), 1: out.fileno(), 2: out.fileno(), write_fd: write_fd},
                                    path=[str(options.kit_root)])
        except ZygoteError as exc:
            os.close(read_fd)
            return None, f"{exc}: {_tail(zygote_log(scratch))}"
        finally:
            os.close(write_fd)
        reader.start()
        try:
            code = proc.wait(timeout=max(timeout, 1.0))
            why = ""
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            code, why = None, f"the grading run exceeded its overall time limit ({options.total_timeout:g} s)"
    reader.join(timeout=10)
    if code not in (0, 1, 5):   # pytest: 0 all passed, 1 some failed, 5 no test selected; else not finished
        tail = _tail(log)
        if code is not None and code < 0:
            why = (f"the grader's judge process was killed ({signal.Signals(-code).name}"
                   f"{' — most likely the box ran out of memory' if code == -signal.SIGKILL else ''})")
        return None, why or f"the grader's test run failed (exit status {code}):\n{tail}"
    try:
        return json.loads(received.decode("utf-8")), ""
    except ValueError as exc:
        return None, f"the grader's test run left no readable scores ({exc})"


def _tail(log: Path) -> str:
    try:
        return log.read_text(errors="replace")[-3000:]
    except OSError:
        return ""


def zygote_log(scratch: Path) -> Path:
    return scratch / "zygote.log"


def _args_file(files: list[Path], scratch: Path) -> list[str]:
    """The test files as pytest's ``@file`` argument: hidden tests' paths stay off ``/proc/*/cmdline``."""
    fd, path = tempfile.mkstemp(prefix="judge-", suffix=".args", dir=scratch)
    with os.fdopen(fd, "w") as handle:
        handle.write("".join(f"{f}\n" for f in files))
    return [f"@{path}"]


def group_units(units: list[Exercise], groups: int, weights: dict[str, float]) -> list[list[Exercise]]:
    """``units`` in ``groups`` judges of about equal cost (longest first, each to the lightest group)."""
    bins: list[list[Exercise]] = [[] for _ in range(max(1, min(groups, len(units))))]
    load = [0.0] * len(bins)
    for exercise in sorted(units, key=lambda e: -weights.get(e.name, 1.0)):
        lightest = load.index(min(load))
        bins[lightest].append(exercise)
        load[lightest] += weights.get(exercise.name, 1.0)
    order = {e.name: i for i, e in enumerate(units)}
    return [sorted(b, key=lambda e: order[e.name]) for b in bins if b]


def judge_units(units: list[Exercise], student_dir: Path, scratch: Path, options: Options, limits: Limits,
                plan: Plan, switch: StopSwitch, starter: Zygote | FreshStart) -> list[UnitOutcome]:
    """Grade every unit; the run's overall deadline bounds them all.

    A small box grades one module per judge, one judge at a time: each judge's memory goes
    back to the box when it exits, and the next one is forked warm. A roomy box runs
    ``units_at_once`` judges side by side, each grading a share of the modules, balanced by
    their measured costs.
    """
    deadline = time.monotonic() + options.total_timeout
    if plan.release_before_training:   # a small box
        groups = [[e] for e in units]
    else:
        groups = group_units(units, plan.units_at_once, load_unit_seconds(limits.costs_file))

    def one(group: list[Exercise]) -> list[UnitOutcome]:
        started = time.monotonic()
        files = [f for e in group for f in exercise_test_files(e, options.kit_root)]
        if not files:
            return [UnitOutcome(e, {"tests": []}) for e in group]
        judged, failure = run_judge(files, student_dir, scratch, options, limits, deadline - time.monotonic(),
                                    switch, starter)
        return [UnitOutcome(e, judged, failure, time.monotonic() - started) for e in group]

    with ThreadPoolExecutor(max_workers=max(1, plan.units_at_once)) as pool:
        outcomes = [o for batch in pool.map(one, groups) for o in batch]
    end_every_process(limits.user)   # whatever the judges or the student's code left behind
    return outcomes


def end_every_process(user: str | None) -> None:
    """Kill this process's descendants (it is their subreaper) and every process of the sandbox ``user``."""
    kill_descendants()
    if user:
        kill_processes_of(pwd.getpwnam(user).pw_uid)


# --------------------------------------------------------------------------
# The run


def grade(path: Path, options: Options, switch: StopSwitch | None = None) -> Results:
    """Grade the submission at ``path``; raises GradeError when it cannot be read at all.

    ``switch``: the grading's stop (``Stopped`` unwinds it once tripped; its processes are ended then).
    """
    started, cpu_started = time.monotonic(), _cpu_of_run()
    switch = switch or StopSwitch()
    harden_judge()
    remove_stale()   # the folders of gradings that were killed before they could remove them
    switch.on_stop(kill_descendants)
    try:
        sub = read_submission(Path(path))
    except SubmissionError as exc:
        raise GradeError(str(exc)) from None
    box = read_box()
    plan, limits = plan_run(options, box)
    exercises = all_exercises()
    try:
        with isolated_run(options.allow_same_user, options.kit_root) as (user, isolation):
            switch.on_stop(lambda: end_every_process(user))
            results, sampler, outcomes, starts = _grade_isolated(sub, exercises, options, replace(limits, user=user),
                                                                 plan, switch)
    except IsolationError as exc:
        raise GradeError(str(exc)) from None
    results.execution_time = time.monotonic() - started
    results.metadata = _metadata(box, plan, limits, sampler.peak_mb, outcomes, cpu_started)
    results.metadata["isolation"] = isolation
    results.metadata.update(starts)   # "start": warm or fresh; "decoding": who decoded the data
    results.metadata[USERS] = list(options.users)
    return results


def _grade_isolated(sub: SubmittedFiles, exercises: dict[str, Exercise], options: Options, limits: Limits,
                    plan: Plan, switch: StopSwitch) -> tuple[Results, "PeakSampler", list[UnitOutcome], dict]:
    """Grade ``sub`` with the run's isolation in force (``limits.user``: its sandbox user).

    The grading's folder: ``grader/`` (0700: the submission's copy, the judges' logs and test lists)
    and ``tmp/``, which the sandbox user may pass through (0711) to its own folders in it.
    """
    with owned_dir("dl3-grade-", mode=0o711, keep=options.keep) as folder:
        scratch = folder / "grader"
        scratch.mkdir(mode=0o700)
        (folder / "tmp").mkdir()
        os.chmod(folder / "tmp", 0o711)
        student_dir = scratch / "submission"
        student_dir.mkdir()
        units = [e for e in exercises.values() if e.module in sub.parts and sub.parts[e.module].source is not None]
        for exercise in units:
            (student_dir / exercise.filename).write_bytes(sub.parts[exercise.module].source)
        starts = {"start": "", "decoding": BY_JUDGES}
        with PeakSampler() as sampler:
            if plan.too_small:   # refuse up front: a run that cannot fit would only be killed midway
                outcomes = [UnitOutcome(e, None, plan.too_small) for e in units]
            elif not units:   # nothing to judge: no process to start
                outcomes = []
            else:
                with process_starter(units, sub, options, limits, plan, folder) as (starter, starts):
                    outcomes = judge_units(units, student_dir, scratch, options, limits, plan, switch, starter)
        results = merge(sub, exercises, outcomes, options.training)
    return results, sampler, outcomes, starts


@contextlib.contextmanager
def process_starter(units: list[Exercise], sub: SubmittedFiles, options: Options, limits: Limits, plan: Plan,
                    folder: Path) -> Iterator[tuple[Zygote | FreshStart, dict]]:
    """What starts this grading's judges, and how, as the metadata says it: ``start`` ("warm", or "fresh: why")
    and ``decoding`` (who decoded the data: ``decoding.AHEAD``, or each judge, and why).

    The zygote (``preload``: what it imports once) when the warm start is on (``config.warm_start``);
    fresh interpreters when it is off, or when the zygote did not start (the instructor's log says why).
    While the zygote imports, the data decoder decodes the datasets the tests read (``plan.decode_ahead``).
    """
    warm, why = config.warm_start()
    with contextlib.ExitStack() as stack:
        starter, start, decoding = FreshStart(), f"fresh: {why}", BY_JUDGES
        if warm:
            tmp, files = folder / "tmp", [f for e in units for f in exercise_test_files(e, options.kit_root)]
            grader_env = _grader_env(tmp, limits.lean_allocator)
            decoder = stack.enter_context(decoding_ahead(
                datasets_read(files) if plan.decode_ahead else [], {**grader_env, **_data_env(limits, tmp)},
                options.kit_root, folder / "grader" / "decoder.log"))
            python = student_python(sandbox_user(limits.user))
            env = {**grader_env, **python.env}
            try:
                starter = stack.enter_context(start_zygote(python.executable, preload(units, sub, options.kit_root),
                                                           env, options.kit_root, zygote_log(folder / "grader"),
                                                           config.ZYGOTE_READY_TIMEOUT_S))
                start = "warm"
            except ZygoteError as exc:
                start = f"fresh: {exc}"
            decoding = decoder.wait(config.DECODER_TIMEOUT_S)   # the judges read its copies: none starts before
        yield starter, {"start": start, "decoding": decoding}


def start_warnings(start: str) -> list[str]:
    """The instructor's log when a grading's processes started fresh (slower, the same grades)."""
    if not start.startswith("fresh: "):
        return []
    return [f"dl3 grader: every judge and student process started as a new interpreter, not forked warm "
            f"(the same grades, more CPU time): {start.removeprefix('fresh: ')}"]


def preload(units: list[Exercise], sub: SubmittedFiles, kit_root: Path) -> list[str]:
    """numpy; Keras when a test or a submitted file uses it; the scikit-learn modules the tests import."""
    texts = [f.read_text() for e in units for f in exercise_test_files(e, kit_root)]
    uses_keras = any("import keras" in t for t in texts) or any(b"keras" in sub.parts[e.module].source for e in units)
    sklearn = sorted({m for t in texts for m in re.findall(r"^(?:from|import) (sklearn[\w.]*)", t, re.MULTILINE)})
    return ["numpy"] + (["keras"] if uses_keras else []) + sklearn


def _cpu_of_run() -> float:
    usage = os.times()
    return usage.user + usage.system + usage.children_user + usage.children_system


def _metadata(box: Box, plan: Plan, limits: Limits, peak_mb: float, outcomes: list[UnitOutcome],
              cpu_started: float) -> dict:
    return {
        "box": {"memory_mb": box.memory_mb, "cpu_quota": box.cpu_quota, "affinity": box.affinity,
                "cgroup_version": box.cgroup_version, "described": box.describe()},
        "plan": {"units_at_once": plan.units_at_once, "prestart": plan.prestart,
                 "release_before_training": plan.release_before_training, "lean_allocator": plan.lean_allocator,
                 "decode_ahead": plan.decode_ahead,
                 "student_memory_mb": plan.student_memory_mb},
        "limits": {"time_limit_cpu_s": limits.time_limit, "import_time_limit_cpu_s": limits.import_time_limit,
                   "idle_seconds": limits.idle_seconds, "student_memory_mb": limits.memory_mb},
        "peak_resident_mb": round(peak_mb, 1),
        "box_memory": cgroup_peak_mb(box),
        "cpu_seconds": round(_cpu_of_run() - cpu_started, 1),
        "units": {o.exercise.name: round(o.seconds, 1) for o in outcomes},
        "student_cpu": {k: v for o in outcomes for k, v in ((o.judged or {}).get("student_cpu") or {}).items()},
    }


def merge(sub: SubmittedFiles, exercises: dict[str, Exercise], outcomes: list[UnitOutcome],
          training: bool = True) -> Results:
    """Every check of every exercise gets an entry; a grader failure anywhere makes the run incomplete."""
    results = Results(notes=list(sub.notes))
    if sub.problem:
        results.notes.append(sub.problem)
    by_exercise = {o.exercise.name: o for o in outcomes}
    by_check: dict[tuple[str, str], dict] = {}
    for outcome in outcomes:
        for test in (outcome.judged or {}).get("tests", []):
            by_check.setdefault((test.get("exercise"), test.get("check")), test)
    for exercise in exercises.values():
        part = sub.parts.get(exercise.module)
        if part is not None:
            results.graded_files[exercise.module] = part.origin + (" (unreadable)" if part.problem else "")
        for index, check in enumerate(exercise.checks, start=1):
            results.tests.append(_entry(sub, exercise, index, check, by_exercise.get(exercise.name),
                                        by_check.get((exercise.name, check.name)), training))
    failures = [f"{o.exercise.title}: {o.failure}" for o in outcomes if o.judged is None]
    not_judged = {o.exercise.name for o in outcomes if o.judged is None}
    failures += [f"{t.name}: {t.output}" for t in results.tests
                 if t.failure == mistakes.GRADER_FAILURE and t.exercise not in not_judged]
    if failures:
        results.incomplete = "\n".join(failures)
    return results


def _entry(sub: SubmittedFiles, exercise: Exercise, index: int, check, outcome: UnitOutcome | None,
           test: dict | None, training: bool) -> TestResult:
    name, number = _name(exercise, index, check)
    entry = TestResult(exercise=exercise.name, check=check.name, name=name, number=number, score=0.0,
                       max_score=float(check.points), status="failed", output="", hidden=check.hidden)
    part = sub.parts.get(exercise.module)
    unreadable = mistakes.mistake_id(exercise.name, check.name, "unreadable_file")
    if sub.problem:
        entry.kind, entry.output = "unreadable", f"{sub.problem}: this check scores 0"
        entry.failure, entry.mistake = mistakes.CRASH, unreadable
    elif part is None:
        entry.kind, entry.failure = "absent", mistakes.NOT_SUBMITTED
        entry.output = (f"{exercise.filename} (or {exercise.module}.ipynb) is not in your submission: "
                        f"this part scores 0")
    elif part.problem:
        entry.kind, entry.output = "unreadable", f"{part.problem}: this part scores 0"
        entry.failure, entry.mistake = mistakes.CRASH, unreadable
    elif outcome is None or outcome.judged is None:
        entry.kind, entry.failure = "not run", mistakes.GRADER_FAILURE
        entry.output = "this check could not be run: grading did not complete (the grader's failure)"
    elif test is None and check.training and not training:
        entry.kind = "not run"
        entry.output = "this check did not run (training checks were skipped in this grading run)"
    elif test is None:   # a declared check without a test: the kit's gap, never a score
        entry.kind, entry.failure = "not run", mistakes.GRADER_FAILURE
        gap = Gap(exercise, check, home_of(Path(), exercise, check))
        entry.output = f"this check did not run: {gap.message(Path())}"
    else:
        passed = test.get("status") == "passed"
        entry.status = "passed" if passed else "failed"
        entry.score = float(check.points) if passed else 0.0
        entry.kind = "graded" if test.get("status") in ("passed", "failed") else str(test.get("status"))
        entry.output = clean_message(str(test.get("message") or ""))
        entry.duration = float(test.get("duration") or 0.0)
        entry.failure, entry.mistake = _failure_of(test, passed, entry.output)
        if test.get("status") == "skipped":
            entry.output = f"skipped: {entry.output}"
    return entry


def _failure_of(test: dict, passed: bool, output: str) -> tuple[str | None, str | None]:
    """The failure kind and mistake id the judge recorded (the judge's pytest-timeout reads as a time limit)."""
    if passed:
        return None, None
    failure, mistake = test.get("failure"), test.get("mistake")
    if output == TIMEOUT_TEXT:
        return mistakes.TIME_LIMIT, mistakes.mistake_id(test.get("exercise", ""), test.get("check", ""), "time_limit")
    return (str(failure) if failure else mistakes.WRONG_ANSWER), (str(mistake) if mistake else None)


def clean_message(message: str) -> str:
    """A check's message for students: a raw pytest traceback is cut down to its ``E`` lines."""
    if "\nE   " not in "\n" + message:
        return message
    lines = [line[1:].strip() for line in message.splitlines() if line.startswith("E ")]
    text = "\n".join(line for line in lines if line)
    if "Timeout" in text and "Failed: Timeout" in text:
        return TIMEOUT_TEXT
    return text or "this check failed"


def grade_and_write(submission: Path, results_path: Path, junit_path: Path | None, options: Options,
                    quiet: bool = False) -> int:
    """Grade, write the results file(s), print the student's summary; the command's exit status.

    0 when grading completed (whatever the score); 3 when it could not complete (the grader's
    failure, or a stop signal: the results file then says so and carries no score, and stderr
    tells the instructor the cause and what to do).
    """
    from autograder.grade.supervisor import results as formats

    for out in [results_path] + ([junit_path] if junit_path else []):
        if Path(out).is_dir():
            raise GradeError(f"{out} is a directory, not a file to write")
    started = time.monotonic()
    with stop_on_signals(StopSwitch()) as switch:
        try:
            result = grade(submission, options, switch)
        except Stopped as stop:
            result = stopped_results(stop.signum, time.monotonic() - started)
        switch.hold()   # the results are written whatever comes now
        formats.write_gradescope(result, results_path)
        if junit_path:
            formats.write_atomically(junit_path, formats.junit_xml(result))
        if not quiet:
            print(formats.INCOMPLETE if result.incomplete else formats.summary_text(result), end="\n")
        if "isolation" in result.metadata:
            for line in isolation_warnings(result.metadata["isolation"]):
                print(line, file=sys.stderr)
        for line in start_warnings(result.metadata.get("start", "")) + \
                decoding_warnings(result.metadata.get("decoding", "")):
            print(line, file=sys.stderr)
        if result.incomplete:
            print(instructor_log(result), file=sys.stderr)
            return 3
        return 0


def stopped_results(signum: int, seconds: float) -> Results:
    """The results of a grading a signal stopped: it did not complete, so no score."""
    name = signal_name(signum)
    results = Results(incomplete=f"the grading was stopped by {name} before it completed", execution_time=seconds)
    results.metadata = {"stopped": name}
    return results


def instructor_log(result: Results) -> str:
    """What the instructor's log says when grading could not complete: the cause and what to change."""
    meta = result.metadata
    if meta.get("stopped"):
        return (f"dl3 grader: grading could not complete — no score was recorded.\n"
                f"  cause: {result.incomplete} (every process of the grading was ended, its files removed)\n"
                f"  fix: regrade this submission; if a time limit sent the signal, allow the grader more time")
    box = meta.get("box", {}).get("described", "unknown box")
    peak = meta.get("peak_resident_mb")
    fix = ("add the test named above (then rebuild the Gradescope bundle) and regrade" if NO_TEST in result.incomplete
           else "give the autograder more memory (the kit grades in 768 MB with half a CPU; pick 1 GB or more if "
                "this repeats) and regrade this submission")
    return (f"dl3 grader: grading could not complete — no score was recorded.\n"
            f"  cause: {result.incomplete}\n"
            f"  box: {box}; peak resident memory of the run: {peak} MB\n"
            f"  fix: {fix}")
