"""``python -m autograder nbgrader-autograde ASSIGNMENT``: nbgrader's autograde, sandboxed and in parallel.

``nbgrader autograde`` runs every student's notebook top to bottom as the instructor: their
code can read the solutions, rewrite ``gradebook.db`` and the other students' folders, and
every demonstration cell re-trains its models. This route grades the same notebooks with the
kit's isolation and batch engine, then has nbgrader itself record the result, so the gradebook,
``autograded/``, ``generate_feedback``, the formgrader, ``nbgrader export`` and ``class-report``
see what ``nbgrader autograde`` would have written. The steps, in order:

1. ``find_submissions``: ``submitted/<student>/<assignment>/`` of each student (or of those named).
2. ``stage``: each exercise notebook, sanitized as nbgrader's autograde sanitizes it (outputs
   cleared, locked and graded cells restored from the gradebook), copied into a private folder:
   grading reads exactly what nbgrader would have run. A notebook nbgrader would refuse (tampered
   cell metadata) is reported, and its student neither graded nor recorded — as nbgrader does.
3. ``batch.run_batch`` on those folders (``autograder/batch.py``): each student graded by
   ``python -m autograder grade`` — sandbox user, seccomp and Landlock, limits — on the local
   pool or Dask. Nothing of a student's code ever runs in this process or as the instructor, and
   demonstration code is not run at all (``autograder/notebooks.py``). Results stay in
   ``<course>/.dl3-autograde/<assignment>/`` (the grader's, 0700); a rerun skips students whose
   sanitized notebooks did not change and grades again those whose grading failed
   (``retry_failures``).
4. ``to_record``: the students whose latest grading (or ``timestamp.txt``) nbgrader has not recorded yet.
5. ``record_in_nbgrader``: ``record.py`` in an nbgrader process of its own runs nbgrader's
   ``Autograde`` converter for them, with its ``Execute`` step replaced by the kit's results
   (``KitResults``): nbgrader writes the gradebook and the autograded notebooks itself. A student
   whose grading failed (the grader's fault) is recorded with no score, flagged for manual
   grading — never an autograded 0 — and reported.

Stopped by SIGTERM or Ctrl-C during grading: the gradings in flight stop, nothing is recorded
in nbgrader, results already written stay; the next run records them without regrading.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from autograder import batch, config
from autograder.grade.scratch import owned_dir
from autograder.grade.supervisor.results import write_atomically
from autograder.specs import all_exercises

RECORDED = "recorded.json"   # beside batch's meta.json: the digest nbgrader has recorded for the student


class AutogradeError(Exception):
    """The course or assignment cannot be autograded (one line for the instructor)."""


@dataclass
class AutogradeSummary:
    graded: int = 0           # graded now (batch)
    skipped: int = 0          # unchanged since the last run: not regraded
    recorded: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)   # student -> why it has no score
    stopped: str | None = None
    seconds: float = 0.0


def autograde_course(course: Path, assignment: str, *, only: list[str] | None = None, workers: int | None = None,
                     scheduler: str | None = None, force: bool = False, timeout: float = config.BATCH_TIMEOUT_S,
                     log: Callable[[str], None] = print, progress: bool = True) -> AutogradeSummary:
    """Grade the submitted students of ``assignment`` (``only`` these) in the sandbox; record them in nbgrader."""
    course = course.resolve()
    students = find_submissions(course, assignment, only)
    out = graded_dir(course, assignment)
    out.mkdir(parents=True, exist_ok=True)
    os.chmod(out.parent, 0o700)
    retry_failures(out, students)
    with owned_dir("dl3-nbgrader-") as staged:   # the grader's (0700); a killed run's is swept by the next
        summary = AutogradeSummary(failed=stage(course, assignment, students, staged))
        try:
            result = batch.run_batch(staged, out, workers=workers, scheduler=scheduler, force=force,
                                     timeout=timeout, progress=progress, log=log)
        except batch.BatchError as exc:   # an unreachable scheduler
            raise AutogradeError(str(exc)) from None
    summary.graded, summary.skipped, summary.seconds, summary.stopped = (result.graded, result.skipped,
                                                                         result.seconds, result.stopped)
    if summary.stopped:   # nothing recorded: the next run records what was graded, without regrading
        return summary
    todo = to_record(out, students, summary.failed, force)
    summary.failed.update(grading_failures(out, students))
    if todo:
        summary.recorded, failures = record_in_nbgrader(course, assignment, out, {s: students[s] for s in todo})
        summary.failed.update(failures)
    return summary


def graded_dir(course: Path, assignment: str) -> Path:
    return course / config.NBGRADER_GRADED_DIR / assignment


def find_submissions(course: Path, assignment: str, only: list[str] | None = None) -> dict[str, Path]:
    """{student: submitted/<student>/<assignment>/} for each student who handed in a notebook (``only`` these)."""
    if not (course / "gradebook.db").is_file():
        raise AutogradeError(f"{course} has no gradebook.db: run `nbgrader generate_assignment {assignment}` "
                             "in the course directory first")
    found = {folder.parent.name: folder for folder in sorted((course / "submitted").glob(f"*/{assignment}"))
             if folder.is_dir() and any(folder.glob("*.ipynb"))}
    if not found:
        raise AutogradeError(f"no submitted notebooks in {course / 'submitted'}/<student>/{assignment}/")
    if only is None:
        return found
    unknown = sorted(set(only) - set(found))
    if unknown:
        raise AutogradeError(f"no submitted notebooks for {', '.join(unknown)} in "
                             f"{course / 'submitted'}/<student>/{assignment}/")
    return {student: found[student] for student in sorted(set(only))}


def retry_failures(out: Path, students: dict[str, Path]) -> None:
    """Forget the gradings that failed (the grader's fault), so that this run grades those students again."""
    for student in students:
        meta = _read_json(out / student / batch.META)
        if meta is not None and meta.get("status") != "graded":
            (out / student / batch.META).unlink()


def stage(course: Path, assignment: str, students: dict[str, Path], staged: Path) -> dict[str, str]:
    """Each student's exercise notebooks, sanitized as nbgrader's autograde does, in ``staged/<student>/``.

    Returns {student: why} for students with a notebook nbgrader would refuse: they are not graded.
    """
    from autograder.nbgrader_autograde.sanitize import SanitizeError, sanitized_notebook

    modules = {e.module for e in all_exercises().values()}
    refused = {}
    for student, folder in students.items():
        texts = {}
        try:
            for notebook in sorted(folder.glob("*.ipynb")):
                if notebook.stem in modules:
                    texts[notebook.name] = sanitized_notebook(course, assignment, student, notebook)
        except SanitizeError as exc:
            refused[student] = str(exc)
            continue
        (staged / student).mkdir()
        for name, text in texts.items():
            (staged / student / name).write_text(text, encoding="utf-8")
    return refused


def grading_failures(out: Path, students: dict[str, Path]) -> dict[str, str]:
    """{student: why} for each student whose latest grading did not complete (flagged for manual grading)."""
    failures = {}
    for student in students:
        meta = _read_json(out / student / batch.META)
        if meta is not None and meta.get("status") != "graded":
            failures[student] = (f"the grader failed ({meta.get('status')}: {meta.get('detail')}); flagged for "
                                 "manual grading in the gradebook, no score recorded")
    return failures


def to_record(out: Path, students: dict[str, Path], refused: dict[str, str], force: bool) -> list[str]:
    """Students graded (or whose grading failed) that nbgrader has not recorded as such (all of them with ``force``)."""
    todo = []
    for student in students:
        meta = _read_json(out / student / batch.META)
        if student in refused or meta is None:
            continue
        if force or (_read_json(out / student / RECORDED) or {}) != recorded_as(meta, students[student]):
            todo.append(student)
    return todo


def recorded_as(meta: dict, submitted: Path) -> dict:
    """What nbgrader records of a grading: the sanitized notebooks' digest, the status, the submission's timestamp.

    A new ``timestamp.txt`` alone (handed in again, unchanged) is recorded again: nbgrader's late penalty follows it.
    """
    try:
        timestamp = (submitted / "timestamp.txt").read_text(encoding="utf-8").strip()
    except (OSError, ValueError):
        timestamp = None
    return {"digest": meta.get("digest"), "status": meta.get("status"), "timestamp": timestamp}


def record_in_nbgrader(course: Path, assignment: str, out: Path, students: dict[str, Path]) -> tuple[list[str], dict]:
    """Run ``record.py`` (nbgrader's converter, in its own process) for ``students``; mark who was recorded.

    It starts in the kit (this kit records, whatever copy of it the course holds) and moves into the course.
    """
    command = [sys.executable, "-m", "autograder.nbgrader_autograde.record", "--course", str(course),
               "--assignment", assignment, "--results", str(out), *students]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(config.KIT_ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(command, cwd=config.KIT_ROOT, env=env, capture_output=True, text=True)
    outcome = {}
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            outcome[entry["student"]] = entry.get("error")
    recorded, failures = [], {}
    for student in students:
        if student in outcome and outcome[student] is None:
            meta = _read_json(out / student / batch.META) or {}
            write_atomically(out / student / RECORDED, json.dumps(recorded_as(meta, students[student])))
            recorded.append(student)
        else:
            why = outcome.get(student) or (done.stderr.strip().splitlines() or ["nbgrader did not run"])[-1]
            failures[student] = f"nbgrader could not record the grading: {why}"
    return recorded, failures


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
