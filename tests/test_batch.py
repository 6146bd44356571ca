"""Batch grading: a local pool and a real Dask LocalCluster, the gradebook, and a kill-and-rerun."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from autograder import batch
from autograder.grade.supervisor.results import validate_gradescope
from autograder.specs import all_exercises
from tests.helpers.kit import ROOT

pytestmark = pytest.mark.slow

GD_POINTS = all_exercises()["gradient_descent"].points


def make_class(root: Path, students: dict[str, str]) -> Path:
    """A submissions folder: each student hands in gradient_descent.py ('solution', 'stub' or 'broken')."""
    texts = {"solution": (ROOT / "solutions" / "gradient_descent.py").read_text(),
             "stub": (ROOT / "exercises" / "gradient_descent.py").read_text(),
             "broken": "def predict(X, m, b)\n    return 0\n"}
    subs = root / "submissions"
    subs.mkdir(parents=True, exist_ok=True)
    for student, kind in students.items():
        if student.endswith(".zip"):
            with zipfile.ZipFile(subs / student, "w") as zf:
                zf.writestr("hw/gradient_descent.py", texts[kind])
        else:
            (subs / student).mkdir()
            (subs / student / "gradient_descent.py").write_text(texts[kind])
    return subs


def gradebook(out: Path) -> dict[str, dict]:
    with open(out / batch.GRADEBOOK) as fh:
        return {row["student"]: row for row in csv.DictReader(fh)}


def assert_gradebook_agrees(out: Path) -> None:
    for student, row in gradebook(out).items():
        results = json.loads((out / student / batch.RESULTS).read_text())
        assert float(row["total"]) == results["score"]
        assert sum(float(row[name]) for name in all_exercises()) == pytest.approx(results["score"])


def test_local_pool_grades_everyone_and_the_gradebook_agrees(tmp_path):
    subs = make_class(tmp_path, {"alice": "solution", "bob.zip": "stub", "carol": "broken"})
    out = tmp_path / "out"
    summary = batch.run_batch(subs, out, workers=2, progress=False, log=lambda line: None)
    assert (summary.graded, summary.skipped, summary.failed) == (3, 0, 0)
    book = gradebook(out)
    assert list(book["alice"]) == ["student", *all_exercises(), "total", "status"]
    assert float(book["alice"]["gradient_descent"]) == GD_POINTS
    assert float(book["bob"]["total"]) == 0 and float(book["carol"]["total"]) == 0
    assert {row["status"] for row in book.values()} == {"graded"}
    assert_gradebook_agrees(out)


def test_rerun_skips_the_graded_and_regrades_the_changed(tmp_path):
    subs = make_class(tmp_path, {"alice": "solution", "bob": "stub"})
    out = tmp_path / "out"
    batch.run_batch(subs, out, workers=2, progress=False, log=lambda line: None)
    before = {s: (out / s / batch.RESULTS).stat().st_mtime_ns for s in ("alice", "bob")}
    shutil.copyfile(ROOT / "solutions" / "gradient_descent.py", subs / "bob" / "gradient_descent.py")
    summary = batch.run_batch(subs, out, workers=2, progress=False, log=lambda line: None)
    assert (summary.graded, summary.skipped) == (1, 1)
    assert (out / "alice" / batch.RESULTS).stat().st_mtime_ns == before["alice"]
    assert float(gradebook(out)["bob"]["total"]) == GD_POINTS
    forced = batch.run_batch(subs, out, workers=2, force=True, progress=False, log=lambda line: None)
    assert (forced.graded, forced.skipped) == (2, 0)


def test_a_submission_that_outlasts_its_time_costs_only_itself(tmp_path):
    subs = make_class(tmp_path, {"slow": "solution"})
    out = tmp_path / "out"
    summary = batch.run_batch(subs, out, workers=1, timeout=1.0, progress=False, log=lambda line: None)
    assert summary.failed == 1
    results = json.loads((out / "slow" / batch.RESULTS).read_text())
    assert "score" not in results and "longer than 1 s" in results["output"]   # a grader failure is no score
    assert validate_gradescope(results) == []
    row = gradebook(out)["slow"]
    assert (row["status"], row["total"], row["gradient_descent"]) == ("timeout", "", "")


def test_kill_midway_then_rerun_loses_nothing(tmp_path):
    students = {"s1": "solution", "s2": "stub", "s3": "solution", "s4": "broken"}
    subs = make_class(tmp_path, students)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "autograder", "grade-batch", str(subs), "--out", str(out), "--workers", "1"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not list(out.glob(f"*/{batch.META}")) and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_first = {p.parent.name: (p.parent / batch.RESULTS).stat().st_mtime_ns for p in out.glob(f"*/{batch.META}")}
    assert 1 <= len(done_first) < len(students)
    summary = batch.run_batch(subs, out, workers=2, progress=False, log=lambda line: None)
    assert summary.skipped == len(done_first) and summary.graded == len(students) - len(done_first)
    for student, mtime in done_first.items():
        assert (out / student / batch.RESULTS).stat().st_mtime_ns == mtime
    assert set(gradebook(out)) == set(students)
    assert_gradebook_agrees(out)


def test_dask_local_cluster_grades_the_same_as_the_local_pool(tmp_path, monkeypatch):
    from distributed import LocalCluster

    subs = make_class(tmp_path, {"alice": "solution", "bob.zip": "stub"})
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the workers import autograder.batch
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        summary = batch.run_batch(subs, tmp_path / "dask", scheduler=cluster.scheduler_address, progress=False,
                                  log=lambda line: None)
    assert (summary.graded, summary.failed) == (2, 0)
    book = gradebook(tmp_path / "dask")
    assert float(book["alice"]["total"]) == GD_POINTS and float(book["bob"]["total"]) == 0
    assert_gradebook_agrees(tmp_path / "dask")


def test_unreachable_scheduler_is_a_one_line_error(tmp_path):
    subs = make_class(tmp_path, {"alice": "stub"})
    with pytest.raises(batch.BatchError, match="cannot reach the Dask scheduler"):
        batch.run_batch(subs, tmp_path / "out", scheduler="tcp://127.0.0.1:9", progress=False,
                        log=lambda line: None)
