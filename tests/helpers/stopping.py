"""Helpers of the tests that stop a grading mid-way (``test_grade_signals.py``, ``test_grade.py``).

A *slow* submission is the reference ``gradient_descent.py`` whose SGD, when called with
``seed=2``, starts a daemon in a session of its own (it leaves the student process's group
and tree) and then sleeps: a grading of it is mid-way, with a process to find, for a while.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from pathlib import Path
from typing import Iterator

import psutil

from tests.helpers.kit import ROOT

MARKER = "dl3-stop-test-daemon"
SLOW_PATCH = f'''
import os as _os
import subprocess as _subprocess
import sys as _sys
import time as _time

_reference_sgd = stochastic_gradient_descent


def stochastic_gradient_descent(X, y, lr=0.05, iterations=10, batch_size=10, seed=None):
    if seed == 2:
        if _os.fork() == 0:
            _os.setsid()
            _subprocess.Popen([_sys.executable, "-c", "import time; time.sleep(600)", "{MARKER}"],
                              start_new_session=True)
            _os._exit(0)
        _time.sleep(30)
    return _reference_sgd(X, y, lr, iterations, batch_size, seed)
'''


def slow_source() -> str:
    return (ROOT / "solutions" / "gradient_descent.py").read_text() + "\n" + SLOW_PATCH


def slow_submission(where: Path) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    (where / "gradient_descent.py").write_text(slow_source())
    return where


@contextlib.contextmanager
def grading_temp_dir() -> Iterator[Path]:
    """A temporary directory for the gradings (their ``TMPDIR``) that sandbox users may pass through (0711)."""
    folder = Path(tempfile.mkdtemp(prefix="dl3-stop-test-"))
    folder.chmod(0o711)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def daemons() -> list[psutil.Process]:
    return [p for p in psutil.process_iter(["cmdline", "status"])
            if MARKER in " ".join(p.info["cmdline"] or []) and p.info["status"] != psutil.STATUS_ZOMBIE]


def tree(pid: int) -> dict[int, float]:
    """``pid`` and its descendants, each with its start time (a pid the system gives again is another process)."""
    try:
        procs = [psutil.Process(pid)] + psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return {}
    found = {}
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            found[proc.pid] = proc.create_time()
    return found


def mid_grading(roots, timeout: float = 300.0) -> dict[int, float]:
    """Wait until a slow submission's daemon runs; every process of the gradings under ``roots`` (pids, or a
    callable giving them) seen until then: their trees, and every process of the daemon's (sandbox) user."""
    seen: dict[int, float] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in (roots() if callable(roots) else roots):
            seen.update(tree(pid))
        found = daemons()
        if found:
            time.sleep(1)   # the grading goes on a little
            for pid in (roots() if callable(roots) else roots):
                seen.update(tree(pid))
            uids = {p.uids().real for p in found} - {0}
            for proc in psutil.process_iter(["uids", "create_time"]):
                if proc.info["uids"] and proc.info["uids"].real in uids:
                    seen[proc.pid] = proc.info["create_time"]
            return seen
        time.sleep(0.2)
    raise AssertionError("the slow submission's daemon never started")


def survivors(seen: dict[int, float]) -> list[str]:
    """The processes of ``seen`` still alive (not zombies), and any slow submission's daemon."""
    alive = []
    for proc in psutil.process_iter(["cmdline", "status", "create_time"]):
        if proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        ours = seen.get(proc.pid) == proc.info["create_time"]
        if ours or MARKER in " ".join(proc.info["cmdline"] or []):
            alive.append(f"{proc.pid}: {' '.join(proc.info['cmdline'] or [])[:150]}")
    return alive


def made_by_gradings(folder: Path) -> list[str]:
    """What the gradings left in their temporary directory (``dl3-*`` folders)."""
    return sorted(p.name for p in folder.glob("dl3-*"))
