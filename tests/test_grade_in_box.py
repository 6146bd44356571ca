"""Grading inside the box an LMS gives (``../shared/tools/lms_box.sh``: cgroup v1 memory and CPU
limits, as root) gives the grade of the open machine, and a grader the kernel kills is never a score.

The submission is the reference's regularization and gradient descent, graded without the
training checks: a TensorFlow judge and a TensorFlow student process side by side, with the
largest model of the kit (5.4 M parameters) crossing the sandbox — the memory-heavy part of
grading. The whole reference, training included, in Gradescope's 768 MB / half-CPU box is
``benchmarks/bench_box.py``'s job (it takes minutes).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.grade.supervisor.results import INCOMPLETE, validate_gradescope
from tests.helpers.kit import ROOT

LMS_BOX = ROOT.parent / "shared" / "tools" / "lms_box.sh"
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not LMS_BOX.is_file() or os.geteuid() != 0,
                                                   reason="needs root and ../shared/tools/lms_box.sh (cgroup v1)")]
MODULES = ("regularization.py", "gradient_descent.py")


@pytest.fixture(scope="module")
def submission(tmp_path_factory) -> Path:
    sub = tmp_path_factory.mktemp("box") / "submission"
    sub.mkdir()
    for name in MODULES:
        shutil.copyfile(ROOT / "solutions" / name, sub / name)
    return sub


def grade(submission: Path, results: Path, *extra: str, box: tuple[int, int] | None = None):
    """``python -m autograder grade`` on the open machine, or inside a box of (MB, CPU %)."""
    command = [sys.executable, "-m", "autograder", "grade", str(submission), "--results", str(results),
               "--no-training", *extra]
    if box:
        command = ["bash", str(LMS_BOX), str(box[0]), str(box[1]), "--", *command]
    done = subprocess.run(command, cwd=ROOT, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
                          capture_output=True, text=True, timeout=900)
    return done, json.loads(results.read_text())


def per_test(data: dict) -> dict[str, tuple[str, float]]:
    return {t["name"]: (t["status"], t["score"]) for t in data["tests"]}


def test_the_box_grades_exactly_as_the_open_machine(submission, tmp_path):
    open_done, open_data = grade(submission, tmp_path / "open.json")
    box_done, box_data = grade(submission, tmp_path / "box.json", box=(768, 100))
    assert open_done.returncode == 0, open_done.stderr[-2000:]
    assert box_done.returncode == 0, box_done.stderr[-3000:]
    assert "oom_kill 0" in box_done.stderr, box_done.stderr[-500:]
    assert per_test(box_data) == per_test(open_data)
    assert box_data["score"] == open_data["score"] == 39 - 4   # both modules but their 4 training points
    meta = box_data["extra_data"]["dl3"]
    assert meta["box"]["memory_mb"] == 768 and meta["plan"]["units_at_once"] == 1
    assert meta["plan"]["release_before_training"] is True   # the idle student process stops before training
    assert meta["plan"]["lean_allocator"] is True
    assert meta["start"] == "warm"   # every judge and student process forked from the grading's zygote
    assert 0 < meta["peak_resident_mb"] < 768, meta   # the run's resident memory stays under the limit
    assert open_data["extra_data"]["dl3"]["plan"]["units_at_once"] >= 1


def test_a_grader_killed_for_memory_is_never_a_score(submission, tmp_path):
    # The plan is told the box has 8 GB, so it runs judges and students side by side in 384 MB — less than
    # TensorFlow's import (~200 MB), two judges and the IMDB reviews a check decodes (~230 MB at once) can fit
    # in however the grader shares its pages: the kernel's OOM killer fires, and no check may be failed for it.
    done, data = grade(submission, tmp_path / "oom.json", "--box-memory-mb", "8192", box=(384, 100))
    kills = re.search(r"oom_kill (\d+)", done.stderr)
    assert kills and int(kills.group(1)) >= 1, done.stderr[-1000:]
    assert done.returncode == 3, (done.returncode, done.stderr[-2000:])
    assert "score" not in data and "tests" not in data
    assert INCOMPLETE in data["output"] and validate_gradescope(data) == []
    assert "could not complete" in done.stderr and "memory" in done.stderr
    assert data["extra_data"]["dl3"]["incomplete"]


def test_a_box_too_small_to_grade_is_refused_without_a_score(submission, tmp_path):
    done, data = grade(submission, tmp_path / "small.json", box=(512, 100))
    assert done.returncode == 3
    assert "score" not in data and INCOMPLETE in data["output"]
    assert "at least 640 MB" in data["extra_data"]["dl3"]["incomplete"]
