"""``python -m autograder grade-batch``: grade a whole class, nothing lost.

Each student's submission (a subfolder or a ``.zip`` named by the student) is graded
by the single-submission command, ``python -m autograder grade``, in its own process,
so it is isolated exactly as that command isolates it. Grading runs on a local pool
of workers, or as tasks on an existing Dask distributed cluster (``--scheduler``).

Nothing is lost:

- a student's ``results.json`` is written (atomically) the moment it is graded, then
  a ``meta.json`` recording the submission's digest — together they mark it done;
- a rerun skips students whose submission digest matches their ``meta.json`` (unless
  ``force``) and regrades those whose submission changed;
- killing the batch loses at most the submissions in flight;
- SIGTERM, SIGINT or SIGHUP stops it cleanly: each grading in flight is sent SIGTERM (so
  it ends its own processes and folders), nothing more starts, every result already
  written stays, and the command exits 3; its rerun grades the rest. A Dask task learns of
  the stop through a Dask ``Event`` of the batch's own (Dask's ``cancel()`` does not stop a
  running task) and stops its grading the same way;
- a submission that hangs or crashes its grader costs that submission only
  (``status`` says which).

The gradebook (``gradebook.csv``) is rebuilt from the per-student files after every
student, so it always agrees with them.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from autograder import identity
from autograder.config import BATCH_TIMEOUT_S, KIT_ROOT
from autograder.grade.processes import StopSwitch, Stopped, signal_name, stop_on_signals
from autograder.grade.scratch import owned_dir, remove_stale
from autograder.grade.supervisor.results import INCOMPLETE, write_atomically
from autograder.identity import USERS
from autograder.specs import all_exercises
from autograder.spreadsheet import inert

RESULTS = "results.json"
META = "meta.json"
GRADEBOOK = "gradebook.csv"
STOPPED = "stopped"        # the status of a grading the batch's stop ended: never recorded
POLL_SECONDS = 1.0         # how often a grading's waiter looks at the clock and at the batch's stop
STOP_GRACE_SECONDS = 15.0  # a stopped grading's time to end its processes and write "could not complete"


class BatchError(Exception):
    """The batch could not start (bad directory, bad scheduler address): one line for the user."""


@dataclass(frozen=True)
class Task:
    student: str
    path: Path
    digest: str


@dataclass
class Outcome:
    student: str
    digest: str
    status: str  # graded, grader-error, timeout (or STOPPED, never recorded)
    seconds: float
    results: dict | None
    detail: str = ""


# --------------------------------------------------------------------------
# Finding the submissions


def submission_digest(path: Path) -> str:
    """SHA-256 over a submission's files (relative names and bytes), or over the zip's bytes."""
    digest = hashlib.sha256()
    if path.is_file():
        digest.update(path.read_bytes())
        return digest.hexdigest()
    for file in sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink()):
        digest.update(file.relative_to(path).as_posix().encode() + b"\0")
        digest.update(file.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def discover(submissions: Path) -> list[Task]:
    """One task per student: each subfolder, or ``<student>.zip``, of ``submissions``."""
    if not submissions.is_dir():
        raise BatchError(f"{submissions} is not a directory of submissions")
    tasks = []
    for entry in sorted(submissions.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir() or entry.suffix.lower() == ".zip":
            student = entry.stem if entry.is_file() else entry.name
            tasks.append(Task(student, entry, submission_digest(entry)))
    names = [t.student for t in tasks]
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        raise BatchError(f"two submissions for the same student (a folder and a zip?): {', '.join(clashes)}")
    return tasks


def only_these(tasks: list[Task], students: Iterable[str]) -> list[Task]:
    """The tasks of ``students``; a name with no submission is an error (a typo would regrade nobody)."""
    wanted = {s.strip() for s in students if s.strip()}
    unknown = sorted(wanted - {t.student for t in tasks})
    if unknown or not wanted:
        raise BatchError(f"no submission for {', '.join(unknown) or '(no student named)'} in the submissions "
                         "directory (--only takes students' folder or zip names, comma-separated)")
    return [t for t in tasks if t.student in wanted]


def already_graded(out: Path, task: Task) -> bool:
    """True when ``out/<student>`` holds results for exactly this submission."""
    meta, results = out / task.student / META, out / task.student / RESULTS
    if not (meta.is_file() and results.is_file()):
        return False
    try:
        return json.loads(meta.read_text()).get("digest") == task.digest
    except (OSError, json.JSONDecodeError):
        return False


# --------------------------------------------------------------------------
# Grading one submission (runs on a local thread or on a Dask worker)


def grade_one(student: str, submission: str, digest: str, timeout: float, kit_root: str = str(KIT_ROOT),
              box_memory_mb: int | None = None, stopped: Callable[[], bool] | None = None) -> Outcome:
    """Grade one submission with ``python -m autograder grade`` in a fresh process group.

    ``box_memory_mb``: this grading's share of the host when several run at once (it then
    grades its modules one at a time and plans its memory from the share). ``stopped``: whether
    the batch was stopped; then the grading is sent SIGTERM and its outcome is ``STOPPED``.
    """
    start = time.monotonic()
    with owned_dir("dl3-batch-") as tmp:
        results_path = tmp / RESULTS
        command = [sys.executable, "-m", "autograder", "grade", submission, "--results", str(results_path),
                   "--student", student]
        if box_memory_mb:
            command += ["--units", "1", "--box-memory-mb", str(box_memory_mb)]
        env = {**os.environ, "PYTHONPATH": kit_root, "TF_CPP_MIN_LOG_LEVEL": "3"}
        if stopped is not None and stopped():
            return Outcome(student, digest, STOPPED, 0.0, None, "the batch was stopped")
        proc = subprocess.Popen(command, cwd=kit_root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)
        try:
            stderr = _wait_for(proc, start + timeout, stopped)
        except subprocess.TimeoutExpired:
            return Outcome(student, digest, "timeout", time.monotonic() - start, None,
                           f"grading took longer than {timeout:g} s and was stopped")
        except Stopped:
            return Outcome(student, digest, STOPPED, time.monotonic() - start, None, "the batch was stopped")
        finally:
            _kill_group(proc)
        seconds = time.monotonic() - start
        results = _read_results(results_path)
        if proc.returncode != 0 or results is None:
            reason = (stderr or b"").decode(errors="replace").strip().splitlines()[-1:] or ["no results file"]
            return Outcome(student, digest, "grader-error", seconds, None,
                           f"the grader exited with status {proc.returncode}: {reason[0]}")
        return Outcome(student, digest, "graded", seconds, results)


def _wait_for(proc: subprocess.Popen, deadline: float, stopped: Callable[[], bool] | None) -> bytes:
    """The grading's stderr once it exits; TimeoutExpired past ``deadline``; Stopped once the batch is stopped
    (the grading was sent SIGTERM and given ``STOP_GRACE_SECONDS`` to end its processes and folders)."""
    while True:
        try:
            return proc.communicate(timeout=max(0.01, min(POLL_SECONDS, deadline - time.monotonic())))[1]
        except subprocess.TimeoutExpired:
            if time.monotonic() >= deadline:
                raise
        if stopped is not None and stopped():
            proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.communicate(timeout=STOP_GRACE_SECONDS)
            raise Stopped(signal.SIGTERM)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _read_results(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) and "tests" in data else None


# --------------------------------------------------------------------------
# Writing what was graded


def record(out: Path, outcome: Outcome) -> None:
    """Write a student's results, then the meta that marks them done (in that order)."""
    folder = out / outcome.student
    results = outcome.results if outcome.results is not None else failed_results(outcome)
    write_atomically(folder / RESULTS, json.dumps(results, indent=2))
    meta = {"student": outcome.student, "digest": outcome.digest, "status": outcome.status,
            "seconds": round(outcome.seconds, 2), "detail": outcome.detail, "graded_at": time.time()}
    write_atomically(folder / META, json.dumps(meta, indent=2))


def failed_results(outcome: Outcome) -> dict:
    """Gradescope-format results for a submission the grader could not finish: no score (never a 0), and why."""
    return {"execution_time": round(outcome.seconds, 2),
            "output": f"{INCOMPLETE} ({outcome.status}): {outcome.detail}",
            "extra_data": {"dl3": {USERS: identity.users_for(outcome.student), "incomplete": outcome.detail}}}


def part_points(results: dict) -> dict[str, float]:
    """Points per exercise from a results file (each test is tagged with its exercise)."""
    points = {name: 0.0 for name in all_exercises()}
    for test in results.get("tests", []):
        tags = [t for t in test.get("tags", []) if t in points]
        if tags:
            points[tags[0]] += float(test.get("score") or 0)
    return points


def gradebook_rows(out: Path) -> list[dict]:
    rows = []
    for meta_path in sorted(out.glob(f"*/{META}")):
        try:
            meta = json.loads(meta_path.read_text())
            results = json.loads((meta_path.parent / RESULTS).read_text())
        except (OSError, json.JSONDecodeError):
            continue
        graded = meta["status"] == "graded" and results.get("score") is not None
        parts = part_points(results)
        rows.append({"student": inert(meta["student"]), **{k: f"{v:g}" if graded else "" for k, v in parts.items()},
                     "total": f"{float(results['score']):g}" if graded else "", "status": meta["status"]})
    return rows


def write_gradebook(out: Path) -> Path:
    """``gradebook.csv``: student, points per part, total, status — rebuilt from the per-student files.

    The student's name is the folder's or zip's, a student's choice: written inert (``autograder/spreadsheet.py``).

    A grading that did not complete has empty points and total: nothing is its truth, not 0.
    """
    fields = ["student", *all_exercises(), "total", "status"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields)
    writer.writeheader()
    writer.writerows(gradebook_rows(out))
    write_atomically(out / GRADEBOOK, buffer.getvalue())
    return out / GRADEBOOK


# --------------------------------------------------------------------------
# Running the batch


@dataclass
class BatchSummary:
    graded: int
    skipped: int
    failed: int
    seconds: float
    gradebook: Path
    stopped: str | None = None   # the signal that stopped the batch (its rerun grades the rest)


def run_batch(submissions: Path, out: Path, *, workers: int | None = None, scheduler: str | None = None,
              force: bool = False, timeout: float = BATCH_TIMEOUT_S, progress: bool = True,
              log: Callable[[str], None] = print, only: Iterable[str] | None = None) -> BatchSummary:
    """Grade every submission in ``submissions`` into ``out``; see the module docstring.

    ``only``: these students alone (a regrade of one or a few); the gradebook still holds everyone.
    """
    start = time.monotonic()
    tasks = discover(submissions)
    if only is not None:
        tasks = only_these(tasks, only)
    out.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:   # results are the grader's: no sandbox user may read another student's (issue 10)
        os.chmod(out, 0o700)
    remove_stale()   # the folders of a batch that was killed
    todo = [t for t in tasks if force or not already_graded(out, t)]
    skipped = len(tasks) - len(todo)
    if skipped:
        log(f"{skipped} student(s) already graded with the same submission: skipped (use --force to regrade)")
    bar = _progress(len(todo), progress)
    graded = failed = 0
    stopped = None
    switch = StopSwitch()
    outcomes = _outcomes(todo, workers, scheduler, timeout, switch)
    with stop_on_signals(switch):
        try:
            for outcome in outcomes:
                if outcome.status == STOPPED:
                    continue
                with switch.deferred():   # a stop waits until this student's files are written
                    record(out, outcome)
                    write_gradebook(out)
                graded += outcome.status == "graded"
                failed += outcome.status != "graded"
                bar.update(1)
                if outcome.status != "graded":
                    bar.write(f"{outcome.student}: {outcome.status} — {outcome.detail}")
        except Stopped as stop:
            stopped = signal_name(stop.signum)
            outcomes.close()   # the gradings in flight end theirs; none starts
        switch.hold()
        bar.close()
        book = write_gradebook(out)
    return BatchSummary(graded, skipped, failed, time.monotonic() - start, book, stopped)


def _progress(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="submission", disable=not enabled, file=sys.stderr,
                bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_fmt}]")


def plan_workers(requested: int | None, box=None) -> tuple[int, int]:
    """(submissions graded at once on this host, memory in MB each may plan with).

    As many as ``requested`` (default: the CPUs this host gives), never more than its
    memory holds: each grading needs room for one judge and one student process.
    """
    from autograder.grade.supervisor.box import SUPERVISOR_MB, UNIT_MB, host_memory_bytes, read_box

    box = box or read_box()
    memory_mb = box.memory_mb or host_memory_bytes() // 2**20
    by_cpu = max(1, int(box.cpus + 0.5))
    by_memory = max(1, memory_mb // (UNIT_MB + SUPERVISOR_MB))
    at_once = max(1, min(requested or by_cpu, by_memory))
    return at_once, memory_mb // at_once


def _outcomes(tasks: list[Task], workers: int | None, scheduler: str | None, timeout: float,
              switch: StopSwitch) -> Iterable[Outcome]:
    if not tasks:
        return
    if scheduler:
        yield from _on_dask(tasks, scheduler, timeout)
        return
    at_once, share_mb = plan_workers(workers)
    yield from _on_local_pool(tasks, at_once, timeout, switch, share_mb)


def _settle(task: Task, future) -> Outcome:
    """The future's outcome; a task whose worker itself failed costs that submission only."""
    try:
        return future.result()
    except Exception as exc:  # a dead Dask worker (KilledWorker), an OSError starting the grader …
        return Outcome(task.student, task.digest, "grader-error", 0.0, None, f"{type(exc).__name__}: {exc}")


def _on_local_pool(tasks: list[Task], workers: int, timeout: float, switch: StopSwitch,
                   share_mb: int | None = None) -> Iterable[Outcome]:
    # Threads only wait: each grading runs in its own process group. A stop (the generator closed by
    # ``Stopped``) lets no queued grading start and waits for those in flight to end theirs.
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        pending: dict[Future, Task] = {
            pool.submit(grade_one, t.student, str(t.path.resolve()), t.digest, timeout,
                        box_memory_mb=share_mb if workers > 1 else None, stopped=lambda: switch.tripped): t
            for t in tasks}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield _settle(pending.pop(future), future)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@dataclass(frozen=True)
class DaskStop:
    """Whether the batch that sent a Dask task was stopped: a Dask ``Event`` named for that batch.

    Dask's ``cancel()`` does not stop a running task; the task asks this (``grade_one``'s
    ``stopped``) while it waits for its grading, and stops that grading itself.
    """

    name: str

    def __call__(self) -> bool:
        from distributed import Event

        try:
            return Event(self.name).is_set()
        except Exception:  # noqa: BLE001 - no scheduler to ask: the batch is gone
            return False


def _on_dask(tasks: list[Task], scheduler: str, timeout: float) -> Iterable[Outcome]:
    from distributed import Client, Event, as_completed

    try:
        client = Client(scheduler, timeout="10s")
    except OSError as exc:
        raise BatchError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    stop = DaskStop(f"dl3-batch-stop-{uuid.uuid4().hex}")
    futures: dict = {}
    finished = False
    try:
        futures = {client.submit(grade_one, t.student, str(t.path.resolve()), t.digest, timeout, stopped=stop,
                                 key=f"grade-{t.student}-{t.digest[:12]}", pure=False): t for t in tasks}
        for future in as_completed(futures):
            yield _settle(futures[future], future)
        finished = True
    finally:
        if not finished:   # stopped: the running tasks stop their gradings, the queued ones never start
            Event(stop.name, client=client).set()
            client.cancel(list(futures))
        client.close()
