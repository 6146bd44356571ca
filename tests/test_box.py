"""The grader knows its box: cgroup v1 and v2 limits, CPU quota and affinity, and the plan it makes.

cgroup v2 cannot be exercised on these machines (they run cgroup v1): its parsing is
tested against a fake cgroup tree, and so is v1's nesting; the real box is read inside
``lms_box.sh`` (cgroup v1, as root).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.grade.supervisor.box import Box, make_plan, read_box
from tests.helpers.kit import ROOT

LMS_BOX = ROOT.parent / "shared" / "tools" / "lms_box.sh"
MB = 2**20


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")


def test_cgroup_v2_limits_are_the_tightest_along_the_path(tmp_path):
    root, proc = tmp_path / "cgroup", tmp_path / "proc"
    write(proc / "cgroup", "0::/system.slice/grader")
    write(root / "cgroup.controllers", "cpu memory pids")
    write(root / "system.slice" / "memory.max", str(2048 * MB))
    write(root / "system.slice" / "cpu.max", "max 100000")
    write(root / "system.slice" / "grader" / "memory.max", str(768 * MB))
    write(root / "system.slice" / "grader" / "memory.current", str(10 * MB))
    write(root / "system.slice" / "grader" / "cpu.max", "50000 100000")
    box = read_box(root, proc)
    assert (box.memory_mb, box.cpu_quota, box.cgroup_version) == (768, 0.5, 2)
    assert box.memory_cgroup == str(root / "system.slice" / "grader")


def test_cgroup_v2_without_limits_is_unlimited(tmp_path):
    root, proc = tmp_path / "cgroup", tmp_path / "proc"
    write(proc / "cgroup", "0::/")
    write(root / "cgroup.controllers", "cpu memory")
    write(root / "memory.max", "max")
    write(root / "cpu.max", "max 100000")
    box = read_box(root, proc)
    assert (box.memory_bytes, box.cpu_quota, box.cgroup_version) == (None, None, 2)


def test_cgroup_v1_takes_the_parent_limit_and_ignores_unlimited(tmp_path):
    root, proc = tmp_path / "cgroup", tmp_path / "proc"
    write(proc / "cgroup", "11:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc")
    write(root / "memory" / "docker" / "abc" / "memory.limit_in_bytes", "9223372036854771712")
    write(root / "memory" / "docker" / "memory.limit_in_bytes", str(1536 * MB))
    write(root / "cpu,cpuacct" / "docker" / "abc" / "cpu.cfs_quota_us", "150000")
    write(root / "cpu,cpuacct" / "docker" / "abc" / "cpu.cfs_period_us", "100000")
    write(root / "cpu,cpuacct" / "docker" / "cpu.cfs_quota_us", "-1")
    write(root / "cpu,cpuacct" / "docker" / "cpu.cfs_period_us", "100000")
    box = read_box(root, proc)
    assert (box.memory_mb, box.cpu_quota, box.cgroup_version) == (1536, 1.5, 1)


def test_no_cgroup_means_no_limits(tmp_path):
    write(tmp_path / "proc" / "cgroup", "")
    box = read_box(tmp_path / "cgroup", tmp_path / "proc")
    assert (box.memory_bytes, box.cpu_quota, box.cgroup_version) == (None, None, None)
    assert box.affinity == len(os.sched_getaffinity(0))


def test_a_small_box_grades_one_module_at_a_time_and_frees_the_student_before_training():
    plan = make_plan(Box(768 * MB, 0.5, 2, 1), student_memory_mb=2048)
    assert (plan.units_at_once, plan.prestart, plan.release_before_training) == (1, False, True)
    assert plan.lean_allocator   # memory before speed: glibc gives large blocks back
    assert not plan.decode_ahead   # no data decoder beside the zygote: each judge decodes what it reads
    # the student's process gets what the judge's own TensorFlow leaves, never more than asked
    assert 256 <= plan.student_memory_mb < 768 - 300
    assert plan.cpus == 0.5


def test_a_roomy_box_grades_modules_side_by_side():
    plan = make_plan(Box(16 * 1024 * MB, None, 2, 1), student_memory_mb=2048)
    assert (plan.units_at_once, plan.prestart, plan.release_before_training) == (2, True, False)
    assert not plan.lean_allocator   # judges sharing the cores: the allocator's defaults are faster
    assert plan.decode_ahead   # the data decoder on the second CPU while the zygote imports Keras
    assert not make_plan(Box(16 * 1024 * MB, 1.0, 2, 1)).decode_ahead   # one CPU: nothing to run it beside
    assert plan.student_memory_mb == 2048
    # memory, not only cores, bounds the units: 2 GB holds one
    assert make_plan(Box(2048 * MB, None, 8, 1)).units_at_once == 1


def test_batch_plans_submissions_from_memory_and_cpus():
    from autograder.batch import plan_workers

    assert plan_workers(None, Box(24 * 1024 * MB, None, 2, 1))[0] == 2
    assert plan_workers(8, Box(24 * 1024 * MB, None, 2, 1))[0] == 8      # asked for: as many as memory holds
    assert plan_workers(8, Box(3 * 1024 * MB, None, 8, 1))[0] == 2      # memory caps the request
    assert plan_workers(None, Box(768 * MB, 0.5, 2, 1)) == (1, 768)


@pytest.mark.skipif(not LMS_BOX.is_file() or os.geteuid() != 0, reason="needs root and ../shared/tools/lms_box.sh")
def test_the_grader_reads_the_real_box_it_runs_in():
    code = ("import json; from autograder.grade.supervisor.box import read_box; b = read_box(); "
            "print(json.dumps([b.memory_mb, b.cpu_quota, b.cgroup_version]))")
    done = subprocess.run(["bash", str(LMS_BOX), "512", "25", "--", sys.executable, "-c", code], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [512, 0.25, 1]


def test_only_a_small_box_changes_the_allocator_of_every_grading_process(tmp_path, monkeypatch):
    from autograder.config import SMALL_BOX_MALLOC_ENV
    from autograder.grade.limits import Limits
    from autograder.grade.supervisor.runner import Options, _judge_env, plan_run

    for name in SMALL_BOX_MALLOC_ENV:   # a Dask worker sets MALLOC_TRIM_THRESHOLD_ in its own environment
        monkeypatch.delenv(name, raising=False)
    for memory_mb, lean in ((768, True), (16 * 1024, False)):
        plan, limits = plan_run(Options(Limits()), Box(memory_mb * MB, 0.5, 2, 1))
        env = _judge_env(limits, [], tmp_path)
        assert plan.lean_allocator is lean and limits.lean_allocator is lean
        assert all(env.get(k) == (v if lean else None) for k, v in SMALL_BOX_MALLOC_ENV.items()), env
