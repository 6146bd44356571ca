"""Processes of a grading run: the judge's hardening, reaping what students leave, measuring a tree.

The judge is a child subreaper, so every orphan a student's process leaves (a
double-forked daemon, a ``setsid`` child) lands under it and is killed at the end of
each test; it is non-dumpable, so a student's process cannot read its memory.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
from pathlib import Path

PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _prctl(option: int, value: int) -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def harden_judge() -> None:
    """Make this process a child subreaper (orphans of the student's processes land here) and non-dumpable."""
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    _prctl(PR_SET_DUMPABLE, 0)


def kill_descendants(keep: set[int] = frozenset()) -> int:
    """SIGKILL every descendant of this process except ``keep``; reap the orphans that land here.

    Returns how many were killed. Zombies are skipped (they are dead already); the ones
    whose parent is this process (orphans, since we are a subreaper) are reaped.
    """
    import psutil

    me = os.getpid()
    killed = 0
    for _ in range(5):
        try:
            procs = [p for p in psutil.Process(me).children(recursive=True) if p.pid not in keep]
        except psutil.Error:
            return killed
        live = []
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                if proc.status() == psutil.STATUS_ZOMBIE:
                    if proc.ppid() == me:
                        with contextlib.suppress(ChildProcessError, OSError):
                            os.waitpid(proc.pid, os.WNOHANG)
                    continue
                proc.kill()
                killed += 1
                live.append(proc)
        if not live:
            return killed
        psutil.wait_procs(live, timeout=1)
    return killed


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def tree_pids(pid: int) -> list[int]:
    """``pid`` and its live descendants."""
    import psutil

    try:
        return [pid] + [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of one process and of its children it has waited for."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    # fields[11:15] are utime, stime, cutime, cstime (stat fields 14-17)
    return sum(int(v) for v in fields[11:15]) / _TICKS


def anon_mb(pid: int) -> float:
    """Resident anonymous memory of one process (not the shared libraries it maps), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def tree_usage(pid: int) -> tuple[float, float]:
    """(CPU seconds, resident anonymous MB) of ``pid`` and its live descendants."""
    pids = tree_pids(pid)
    return sum(cpu_seconds(p) for p in pids), sum(anon_mb(p) for p in pids)

