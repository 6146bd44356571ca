"""A clean stop on every signal (docs/grading.md, "Nothing of a grading outlives it").

Each test starts a grading of a slow submission (``tests/helpers/stopping.py``: its SGD starts a
daemon in a session of its own, then sleeps), stops it mid-way with a signal, and checks
5 s later that no process of that grading is alive — its tree and every process of its
sandbox user, as seen before the signal — and that nothing it made is left in its temporary
directory (for SIGKILL: once the next grading has run). A stop is never a score: the
results say grading could not complete, and the command exits 3.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from autograder import batch
from autograder.grade.scratch import owned_dir, remove_stale
from autograder.grade.supervisor.results import INCOMPLETE, validate_gradescope
from tests.helpers.kit import ROOT, run_kit
from tests.helpers.stopping import grading_temp_dir, made_by_gradings, mid_grading, slow_submission, survivors

ARGS = ["--time-limit", "60", "--memory-mb", "2048"]


@pytest.fixture
def temp_dir():
    with grading_temp_dir() as folder:
        yield folder


def start(args: list[str], temp_dir: Path) -> subprocess.Popen:
    """``python -m autograder ARGS`` with ``temp_dir`` as its temporary directory."""
    env = {**os.environ, "TMPDIR": str(temp_dir), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.Popen([sys.executable, "-m", "autograder", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def assert_could_not_complete(path: Path, signum: int) -> None:
    data = json.loads(path.read_text())
    assert validate_gradescope(data) == [] and "score" not in data and "tests" not in data
    assert INCOMPLETE in data["output"]
    assert data["extra_data"]["dl3"]["stopped"] == signal.Signals(signum).name


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=lambda s: s.name)
def test_a_stop_signal_ends_every_process_of_the_grading_and_removes_its_folders(tmp_path, temp_dir, signum):
    results = tmp_path / "results.json"
    grading = start(["grade", str(slow_submission(tmp_path / "sub")), "--results", str(results), *ARGS], temp_dir)
    seen = mid_grading([grading.pid])
    assert made_by_gradings(temp_dir)      # its folder is there while it runs
    grading.send_signal(signum)
    _, stderr = grading.communicate(timeout=60)
    assert grading.returncode == 3, stderr[-2000:]
    assert "grading could not complete" in stderr and signal.Signals(signum).name in stderr
    assert_could_not_complete(results, signum)
    time.sleep(5)
    assert survivors(seen) == []
    assert list(temp_dir.iterdir()) == []


@pytest.mark.slow
def test_after_sigkill_the_children_die_and_the_next_grading_removes_the_folder(tmp_path, temp_dir):
    grading = start(["grade", str(slow_submission(tmp_path / "sub")), "--results", str(tmp_path / "r.json"), *ARGS],
                    temp_dir)
    seen = mid_grading([grading.pid])
    grading.kill()
    grading.communicate(timeout=60)
    time.sleep(5)
    assert survivors(seen) == []                          # the judges and student processes died with it
    assert [name[:10] for name in made_by_gradings(temp_dir)] == ["dl3-grade-"]   # its folder waits ...
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("nothing")
    done = run_kit("-m", "autograder", "grade", str(tmp_path / "empty"), "--results", str(tmp_path / "next.json"),
                   "--quiet", env={"TMPDIR": str(temp_dir)})
    assert done.returncode == 0, done.stderr
    assert list(temp_dir.iterdir()) == []                 # ... for the next grading, which removes it


@pytest.mark.slow
def test_sigterm_to_grade_batch_ends_its_gradings_and_keeps_what_was_written(tmp_path, temp_dir):
    subs = tmp_path / "class"
    (subs / "a-done").mkdir(parents=True)
    (subs / "a-done" / "gradient_descent.py").write_text((ROOT / "solutions" / "gradient_descent.py").read_text())
    for student in ("b-slow", "c-slow"):
        slow_submission(subs / student)
    out = tmp_path / "out"
    runner = start(["grade-batch", str(subs), "--out", str(out), "--workers", "2"], temp_dir)
    deadline = time.monotonic() + 300
    while not (out / "a-done" / batch.META).is_file() and time.monotonic() < deadline:
        time.sleep(0.2)
    seen = mid_grading([runner.pid])
    runner.send_signal(signal.SIGTERM)
    _, stderr = runner.communicate(timeout=90)
    assert runner.returncode == 3, stderr[-2000:]
    assert "stopped by SIGTERM" in stderr
    time.sleep(5)
    assert survivors(seen) == []
    assert list(temp_dir.iterdir()) == []
    tasks = {t.student: t for t in batch.discover(subs)}
    assert batch.already_graded(out, tasks["a-done"])     # kept, so its rerun skips it ...
    assert json.loads((out / "a-done" / batch.RESULTS).read_text())["score"] > 0
    for student in ("b-slow", "c-slow"):                  # ... and grades the others: nothing recorded for them
        assert not batch.already_graded(out, tasks[student]) and not (out / student).exists()
    assert [row.split(",")[0] for row in (out / batch.GRADEBOOK).read_text().splitlines()[1:]] == ["a-done"]


@pytest.mark.slow
def test_a_stopped_batch_stops_the_gradings_of_its_dask_tasks(tmp_path, temp_dir, monkeypatch):
    """Dask's cancel() does not stop a running task: the task asks the batch's own Dask Event."""
    from distributed import LocalCluster

    subs = tmp_path / "class"
    for student in ("a-slow", "b-slow"):
        slow_submission(subs / student)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))   # the workers import autograder.batch
    monkeypatch.setenv("TMPDIR", str(temp_dir))   # ... and make their gradings' folders there
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None) as cluster:
        runner = start(["grade-batch", str(subs), "--out", str(tmp_path / "out"), "--scheduler",
                        cluster.scheduler_address], temp_dir)
        # the batch, and the gradings its tasks run on the Dask worker (their command lines name the class)
        seen = mid_grading(lambda: [p.pid for p in psutil.process_iter(["cmdline"])
                                    if str(subs) in " ".join(p.info["cmdline"] or [])])
        runner.send_signal(signal.SIGTERM)
        _, stderr = runner.communicate(timeout=90)
        assert runner.returncode == 3, stderr[-2000:]
        time.sleep(5)
        assert survivors(seen) == []
        assert made_by_gradings(temp_dir) == []
    assert not (tmp_path / "out" / "a-slow").exists() and not (tmp_path / "out" / "b-slow").exists()


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None, reason="needs root and unshare(1)")
def test_a_completed_grading_leaves_nothing_on_the_machine(tmp_path, temp_dir):
    """A grading that completes leaves no process, and nothing in the temporary directory or /dev/shm.

    The grading runs with a /dev/shm of its own (an empty tmpfs), so what is in it afterwards is the
    grading's; Keras runs in a judge and in a student process (regularization, without training).
    """
    sub = tmp_path / "sub"
    sub.mkdir()
    for module in ("gradient_descent", "regularization"):
        (sub / f"{module}.py").write_text((ROOT / "solutions" / f"{module}.py").read_text())
    results = tmp_path / "results.json"
    script = ('mount -t tmpfs -o size=64m tmpfs /dev/shm && "$@"; status=$?; '
              'echo "left in /dev/shm: [$(ls -A /dev/shm)]"; exit $status')
    done = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
                           sys.executable, "-m", "autograder", "grade", str(sub), "--results", str(results),
                           "--no-training", "--quiet", *ARGS],
                          cwd=ROOT, env={**os.environ, "TMPDIR": str(temp_dir)}, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "left in /dev/shm: []" in done.stdout
    assert list(temp_dir.iterdir()) == []
    assert json.loads(results.read_text())["score"] > 0
    # every process of the grading ran in the temporary directory or named the submission
    assert [p.pid for p in psutil.process_iter(["cmdline", "cwd"])
            if str(temp_dir) in (p.info["cwd"] or "") + " ".join(p.info["cmdline"] or [])
            or str(sub) in " ".join(p.info["cmdline"] or [])] == []


def test_the_sweep_removes_only_folders_whose_owner_is_gone(temp_dir):
    made = subprocess.run([sys.executable, "-c", "import os\nfrom autograder.grade.scratch import owned_dir\n"
                           f"with owned_dir('dl3-grade-', parent={str(temp_dir)!r}) as path:\n"
                           "    print(path)\n    os._exit(0)\n"],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    dead = Path(made.stdout.strip())                       # its maker died without removing it
    foreign = temp_dir / "dl3-not-a-grading"               # no owner file: not the kit's
    foreign.mkdir()
    with owned_dir("dl3-grade-", parent=temp_dir) as live, owned_dir("dl3-kept-", keep=True, parent=temp_dir) as kept:
        assert dead.is_dir() and remove_stale(temp_dir) == [dead]
        assert live.is_dir() and kept.is_dir() and foreign.is_dir()
    assert not live.exists() and kept.is_dir()
    assert remove_stale(temp_dir) == [] and kept.is_dir()   # kept on purpose: the sweep leaves it


STOP_IN_A_CHILD = """
import os, signal
from autograder.grade.processes import StopSwitch, Stopped, stop_on_signals
ended = []
switch = StopSwitch()
switch.on_stop(lambda: ended.append("ended"))
with stop_on_signals(switch):
    try:
        with switch.deferred():
            os.kill(os.getpid(), signal.SIGHUP)
            os.kill(os.getpid(), signal.SIGTERM)   # a second signal changes nothing
            ended.append("wrote")                  # the deferred stretch runs to its end
    except Stopped as stop:
        ended.append(signal.Signals(stop.signum).name)
    switch.hold()
    os.kill(os.getpid(), signal.SIGINT)            # held: nothing more is raised
try:
    with switch.starting():
        ended.append("started")
except Stopped:
    ended.append("nothing starts")
print(ended)
"""


def test_a_stop_switch_ends_once_defers_a_stretch_and_lets_nothing_start():
    done = subprocess.run([sys.executable, "-c", STOP_IN_A_CHILD], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['ended', 'wrote', 'SIGHUP', 'nothing starts']"
