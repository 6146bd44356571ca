"""``python -m autograder nbgrader-autograde``: a seeded nbgrader class graded in the sandbox, recorded by nbgrader.

Six students hand in ``gradient_descent.ipynb``: complete, untouched, plausible mistakes, a helper
in an added cell, one whose grading fails (the batch's cap stops it: the grader's failure), and a
hostile one whose ``predict`` reads the solutions and the gradebook, lists the other students'
folders, writes into the course, connects to a socket and forks a daemon — and answers right only
if one of those worked. The assignment has a due date and nbgrader's "zero" late penalty; ``mistakes``
handed in late, ``complete`` on time, and no student is in the gradebook beforehand. The honest
students' per-cell scores, timestamps, late penalties and totals are compared with what
``nbgrader autograde`` gives the same notebooks, in a copy of the course — the copy's opt-in
(``DL3_NBGRADER_UNSANDBOXED=1``): without it, the course's config refuses ``nbgrader autograde``.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Iterator

import psutil
import pytest

from autograder import batch
from autograder.checks import mistakes
from autograder.gradebook.grades import read_grades
from autograder.nbgrader_autograde import AutogradeSummary, autograde_course, graded_dir
from autograder.notebook_checks import parse_check_output
from autograder.specs import get_exercise
from tests.helpers.kit import ROOT, run_kit
from tests.helpers.nbgrader_course import ASSIGNMENT, make_course, nbgrader, read
from tests.helpers.notebooks import filled_notebook

pytestmark = pytest.mark.slow

NOTEBOOK = "gradient_descent.ipynb"
MARKER = "dl3-nbgrader-autograde-daemon"
HONEST = ("complete", "untouched", "mistakes", "helper")
FAILS = "grader_fails"
HOSTILE = "hostile"
PREDICT = "return m * np.asarray(X, dtype=np.float64) + b"
GD_POINTS = get_exercise("gradient_descent").points
DUE = "2024-01-10 12:00:00 UTC"
HANDED_IN = {"complete": "2024-01-09 10:00:00 UTC", "mistakes": "2024-01-11 09:00:00 UTC"}   # mistakes: late

ATTACK = '''def predict(X, m, b):
    import os, socket, subprocess, sys
    won = []
    for path in ({solution!r}, {gradebook!r}):
        try:
            with open(path, "rb") as fh:
                won.append(fh.read(1))
        except Exception:
            pass
    try:
        won += os.listdir({submitted!r})
    except Exception:
        pass
    try:
        with open({planted!r}, "w") as fh:
            fh.write("pwned")
        won.append("write")
    except Exception:
        pass
    try:
        socket.create_connection(("127.0.0.1", {port}), timeout=1).close()
        won.append("socket")
    except Exception:
        pass
    if not _forked:
        _forked.append(1)
        try:
            if os.fork() == 0:
                os.setsid()
                subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", {marker!r}],
                                 start_new_session=True)
                os._exit(0)
        except Exception:
            pass
    return m * np.asarray(X, dtype=np.float64) + (b if won else 0.0)
'''


def code_cell(source: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}


def cell_of(notebook: dict, grade_id: str) -> dict:
    return next(c for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)


def with_outputs(notebook: dict) -> dict:
    """As a student hands it in: what each demonstration cell showed when they ran it."""
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code" and not cell["metadata"].get("nbgrader"):
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "shown when the student ran it\n"}]
    return notebook


def edited(grade_id: str, old: str, new: str) -> dict:
    notebook = filled_notebook("gradient_descent")
    cell = cell_of(notebook, grade_id)
    assert old in "".join(cell["source"])
    cell["source"] = "".join(cell["source"]).replace(old, new)
    return notebook


def helper_notebook() -> dict:
    notebook = edited("gradient_descent-predict", PREDICT, "return affine(X, m, b)")
    at = notebook["cells"].index(cell_of(notebook, "gradient_descent-predict"))
    notebook["cells"].insert(at, code_cell(f"def affine(X, m, b):\n    {PREDICT}\n"))
    return notebook


def hostile_notebook(course: Path, port: int) -> dict:
    notebook = filled_notebook("gradient_descent")
    attack = ATTACK.format(solution=str(ROOT / "solutions" / "gradient_descent.py"),
                           gradebook=str(course / "gradebook.db"), submitted=str(course / "submitted"),
                           planted=str(course / "planted.txt"), port=port, marker=MARKER)
    cell_of(notebook, "gradient_descent-predict")["source"] = attack
    at = notebook["cells"].index(cell_of(notebook, "gradient_descent-predict"))
    notebook["cells"].insert(at, code_cell("_forked = []\n"))
    # demonstration code: nbgrader autograde would run it as the instructor; this route never does
    notebook["cells"].insert(at, code_cell(f"open({str(course / 'planted-by-demo.txt')!r}, 'w').write('pwned')\n"))
    return notebook


def seed(course: Path, port: int) -> None:
    notebooks = {
        "complete": filled_notebook("gradient_descent"),
        "untouched": read(course / "release" / ASSIGNMENT / NOTEBOOK),
        "mistakes": edited("gradient_descent-mse", "np.mean(residual**2)", "np.sum(residual**2)"),
        "helper": helper_notebook(),
        FAILS: filled_notebook("gradient_descent"),
        HOSTILE: hostile_notebook(course, port),
    }
    for student, notebook in notebooks.items():
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / NOTEBOOK).write_text(json.dumps(with_outputs(notebook)))
        if student in HANDED_IN:
            (folder / "timestamp.txt").write_text(HANDED_IN[student])


def checksums(course: Path, leave_out: tuple[str, ...]) -> dict[str, str]:
    """SHA-256 of every file of the course but those under ``leave_out`` (relative paths)."""
    return {p.relative_to(course).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(course.rglob("*")) if p.is_file() and "__pycache__" not in p.parts
            and not any(p.relative_to(course).as_posix().startswith(prefix) for prefix in leave_out)}


def gradebook_rows(course: Path) -> dict[str, list[tuple]]:
    """{student: [(notebook, grade id, auto score, manual score, needs manual grade)]} from nbgrader's gradebook."""
    from nbgrader.api import Gradebook

    rows = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for submission in gradebook.find_assignment(ASSIGNMENT).submissions:
            rows[submission.student_id] = sorted(
                (notebook.name, grade.name, grade.auto_score, grade.manual_score, grade.needs_manual_grade)
                for notebook in submission.notebooks for grade in notebook.grades)
    return rows


def bookkeeping(course: Path) -> dict[str, tuple]:
    """{student: (names and email, timestamp, seconds late, late penalty, score)} from nbgrader's gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {s.student_id: ((s.student.first_name, s.student.last_name, s.student.email), s.timestamp,
                               s.total_seconds_late, s.late_submission_penalty, s.score)
                for s in gradebook.find_assignment(ASSIGNMENT).submissions}


def cell_scores(rows: list[tuple]) -> dict[str, float | None]:
    return {grade_id: auto for notebook, grade_id, auto, _, _ in rows if notebook == "gradient_descent"}


def failures(course: Path, student: str) -> dict[str, tuple]:
    """{grade id: (failure kind, mistake)} of each failed check cell of the student's autograded notebook."""
    notebook = read(course / "autograded" / student / ASSIGNMENT / NOTEBOOK)
    return {c["metadata"]["nbgrader"]["grade_id"]: parse_check_output(o["traceback"])
            for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("grade")
            for o in c["outputs"] if o["output_type"] == "error"}


def children() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True)}


def leftovers(known: set[int]) -> list[str]:
    """Processes the route left: any of the hostile daemon, any child of this test process not in ``known``
    (those earlier tests of the session started, such as multiprocessing's resource tracker)."""
    mine = sorted(children() - known)
    daemons = [p.pid for p in psutil.process_iter(["cmdline"]) if MARKER in " ".join(p.info["cmdline"] or [])]
    return [f"pid {pid}" for pid in mine + daemons]


def autograde(course: Path, **kwargs) -> AutogradeSummary:
    """The route in this process, with the grading of ``grader_fails`` capped at 0.5 s: the grader's failure."""
    real = batch.grade_one

    def grade_one(student, submission, digest, timeout, *args, **more):
        return real(student, submission, digest, 0.5 if student == FAILS else timeout, *args, **more)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(batch, "grade_one", grade_one)
        return autograde_course(course, ASSIGNMENT, workers=2, progress=False, log=lambda line: None, **kwargs)


@contextlib.contextmanager
def listening() -> Iterator[socket.socket]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.setblocking(False)
        yield server


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    # a course any user may read, as an instructor's often is: only the sandbox keeps the hostile student out
    course = Path(tempfile.mkdtemp(prefix="dl3-nbgrader-course-"))
    course.chmod(0o755)
    known = children()
    try:
        make_course(course)
        with open(course / "nbgrader_config.py", "a") as fh:
            fh.write("\nc.LateSubmissionPlugin.penalty_method = 'zero'\n")
        nbgrader(course, "db", "assignment", "add", ASSIGNMENT, "--duedate", DUE)
        nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
        with listening() as server:
            seed(course, server.getsockname()[1])
            reference = shutil.copytree(course, tmp_path_factory.mktemp("reference") / "course", symlinks=True)
            before = checksums(course, ("autograded/", "gradebook.db", ".dl3-autograde/"))
            summary = autograde(course)
            with pytest.raises(BlockingIOError):
                server.accept()
        yield {"course": course, "reference": reference, "summary": summary, "before": before,
               "rows": gradebook_rows(course), "left": leftovers(known), "known": known}
    finally:
        shutil.rmtree(course, ignore_errors=True)


def test_everyone_is_graded_and_recorded_but_the_grader_failure_flagged(graded):
    summary = graded["summary"]
    assert (summary.graded, summary.skipped, summary.stopped) == (5, 0, None)   # and one failure
    assert sorted(summary.recorded) == sorted([*HONEST, FAILS, HOSTILE])
    assert list(summary.failed) == [FAILS] and "flagged for manual grading" in summary.failed[FAILS]
    rows = graded["rows"]
    assert sum(cell_scores(rows["complete"]).values()) == GD_POINTS
    assert sum(cell_scores(rows["untouched"]).values()) == 0
    assert all(auto is None and needs for _, _, auto, _, needs in rows[FAILS])   # never an autograded 0
    notebook = read(graded["course"] / "autograded" / FAILS / ASSIGNMENT / NOTEBOOK)
    checks = [c for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
    assert all(c["execution_count"] is None and "Not graded: the grader failed" in "".join(c["outputs"][0]["text"])
               for c in checks)
    assert graded["left"] == []


@pytest.fixture(scope="module")
def by_nbgrader(graded):
    """The reference copy after ``nbgrader autograde`` of ``mistakes`` (late) and ``helper`` (as nbgrader's --create)."""
    reference = graded["reference"]
    for student in ("mistakes", "helper"):
        nbgrader(reference, "autograde", ASSIGNMENT, f"--student={student}", "--create")
    return reference


def test_honest_scores_and_failures_equal_nbgrader_autograde(graded, by_nbgrader):
    reference = by_nbgrader
    for student in ("mistakes", "helper"):
        assert cell_scores(gradebook_rows(reference)[student]) == cell_scores(graded["rows"][student]), student
        assert failures(reference, student) == failures(graded["course"], student), student
    assert 0 < sum(cell_scores(graded["rows"]["mistakes"]).values()) < GD_POINTS


def test_a_late_students_total_and_a_created_student_equal_nbgrader_autograde(graded, by_nbgrader, tmp_path):
    course, reference = graded["course"], by_nbgrader
    ours, theirs = bookkeeping(course), bookkeeping(reference)
    for student in ("mistakes", "helper"):   # neither in the gradebook before: both created by the autograde
        assert ours[student] == theirs[student], student
    late = ours["mistakes"]
    assert late[2] > 0 and late[3] == late[4] > 0   # nbgrader's "zero" penalty: all its points
    assert ours["complete"][2:] == (0, 0, GD_POINTS)
    for where in (course, reference):
        nbgrader(where, "export", "--to", str(tmp_path / f"{where.name}.csv"))
    exports = [{r["student_id"]: (r["score"], r["late_submission_penalty"], r["timestamp"])
                for r in csv.DictReader(open(tmp_path / f"{where.name}.csv"))} for where in (course, reference)]
    assert exports[0]["mistakes"] == exports[1]["mistakes"] and float(exports[0]["mistakes"][1]) > 0
    kit = {g.student: g.total for g in read_grades(course, ASSIGNMENT).students}
    assert kit["mistakes"] == 0 and kit["complete"] == GD_POINTS


def test_nbgrader_autograde_itself_refuses_naming_the_safe_command(graded, tmp_path):
    """Without the opt-in, the course's config stops ``nbgrader autograde`` before it reads a submission."""
    reference = shutil.copytree(graded["reference"], tmp_path / "course", symlinks=True)
    before = checksums(reference, (".nbgrader.log",))   # nbgrader's own log, written by the instructor's process
    done = nbgrader(reference, "autograde", ASSIGNMENT, "--force", "--create", unsandboxed=False, check=False)
    assert done.returncode != 0
    assert "python -m autograder nbgrader-autograde dl3" in done.stdout + done.stderr
    assert checksums(reference, (".nbgrader.log",)) == before
    assert not (reference / "planted.txt").exists() and not (reference / "planted-by-demo.txt").exists()


def test_check_cells_print_the_kits_lines_and_demonstrations_keep_the_students_outputs(graded):
    notebook = read(graded["course"] / "autograded" / "complete" / ASSIGNMENT / NOTEBOOK)
    printed = ["".join(o["text"]) for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("grade")
               for o in c["outputs"]]
    assert printed and all(text.startswith("✓ ") and " passed (" in text for text in printed)
    demos = [c for c in notebook["cells"] if c["cell_type"] == "code" and c["execution_count"] is None]
    assert demos and all("Not re-run at autograde" in "".join(c["outputs"][0]["text"]) for c in demos)
    assert all("shown when the student ran it" in "".join(c["outputs"][-1]["text"]) for c in demos)


def test_the_hostile_predict_answers_right_where_an_attack_works(tmp_path):
    """The other way round: run unsandboxed (here, as this test), it reads the solution and scores."""
    import numpy as np

    with listening() as server:
        namespace = {"np": np, "_forked": [1]}   # as if it had forked already
        exec(ATTACK.format(solution=str(ROOT / "solutions" / "gradient_descent.py"), gradebook="/nonexistent",
                           submitted="/nonexistent", planted=str(tmp_path / "planted.txt"),
                           port=server.getsockname()[1], marker=MARKER), namespace)
        assert namespace["predict"](np.array([1.0, 2.0]), 2.0, 3.0).tolist() == [5.0, 7.0]
        assert server.accept()[0] is not None and (tmp_path / "planted.txt").read_text() == "pwned"


def test_the_hostile_student_earns_nothing_and_changes_nothing(graded):
    course, rows = graded["course"], graded["rows"]
    assert rows[HOSTILE] and cell_scores(rows[HOSTILE])["gradient_descent-check-predict_values"] == 0
    # its predict ran to the end, every attack failing: a wrong answer (b left out), not a crash
    assert failures(course, HOSTILE)["gradient_descent-check-predict_values"][0] == mistakes.WRONG_ANSWER
    assert sum(cell_scores(rows[HOSTILE]).values()) < GD_POINTS
    assert checksums(course, ("autograded/", "gradebook.db", ".dl3-autograde/")) == graded["before"]
    assert not (course / "planted.txt").exists() and not (course / "planted-by-demo.txt").exists()


def test_regrading_one_student_leaves_everyone_else_as_it_was(graded):
    course = graded["course"]
    others = ("autograded/" + s for s in (*HONEST, FAILS))
    before = checksums(course, (f"autograded/{HOSTILE}/", "gradebook.db", f".dl3-autograde/{ASSIGNMENT}/"))
    summary = autograde(course, only=[HOSTILE], force=True)
    assert (summary.graded, summary.recorded, summary.failed) == (1, [HOSTILE], {})
    after = gradebook_rows(course)
    assert {s: r for s, r in after.items() if s != HOSTILE} == {s: r for s, r in graded["rows"].items() if s != HOSTILE}
    assert checksums(course, (f"autograded/{HOSTILE}/", "gradebook.db", f".dl3-autograde/{ASSIGNMENT}/")) == before
    assert all(course.joinpath(folder).is_dir() for folder in others)
    assert leftovers(graded["known"]) == []


def test_a_rerun_skips_the_unchanged_and_retries_the_failure(graded):
    course = graded["course"]
    stamps = {p: p.stat().st_mtime_ns for p in (course / "autograded").rglob("*.ipynb")}
    summary = autograde(course)
    assert (summary.graded, summary.skipped, summary.recorded) == (0, 5, [])   # grader_fails again: still failing
    assert {p: p.stat().st_mtime_ns for p in (course / "autograded").rglob("*.ipynb")} == stamps
    assert (graded_dir(course, ASSIGNMENT) / FAILS / batch.META).is_file()
    done = run_kit("-m", "autograder", "nbgrader-autograde", ASSIGNMENT, "--course", str(course), "--student", "nobody")
    assert done.returncode == 2 and done.stderr.strip().splitlines() == [
        f"error: no submitted notebooks for nobody in {course / 'submitted'}/<student>/{ASSIGNMENT}/"]


def test_a_new_timestamp_alone_is_recorded_again_without_regrading(graded):
    course = graded["course"]
    (course / "submitted" / "complete" / ASSIGNMENT / "timestamp.txt").write_text("2024-01-10 11:00:00 UTC")
    summary = autograde(course)
    assert (summary.graded, summary.recorded) == (0, ["complete"])
    assert str(bookkeeping(course)["complete"][1]) == "2024-01-10 11:00:00"


def test_feedback_export_and_class_report_work_on_the_result(graded, tmp_path):
    course = graded["course"]
    nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")
    for student in (*HONEST, FAILS, HOSTILE):
        assert (course / "feedback" / student / ASSIGNMENT / "gradient_descent.html").is_file(), student
    nbgrader(course, "export", "--to", str(tmp_path / "grades.csv"))
    with open(tmp_path / "grades.csv") as fh:
        export = {row["student_id"]: row for row in csv.DictReader(fh)}
    assert float(export["complete"]["raw_score"]) == GD_POINTS
    assert float(export[FAILS]["raw_score"]) == 0   # nbgrader's export counts no score as 0: docs/batch.md says so
    done = run_kit("-m", "autograder", "class-report", str(course), "--out", str(tmp_path / "report"))
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert [row["student"] for row in report["grader_failures"]] == [FAILS]
