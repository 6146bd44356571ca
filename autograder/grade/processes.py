"""Processes of a grading run: the judge's hardening, reaping what students leave, measuring a tree,
and a clean stop on a signal.

The judge is a child subreaper, so every orphan a student's process leaves (a
double-forked daemon, a ``setsid`` child) lands under it and is killed at the end of
each test; it is non-dumpable, so a student's process cannot read its memory.

A stop signal (SIGTERM, SIGINT, SIGHUP) to ``grade`` or ``grade-batch`` trips the run's
``StopSwitch``: what it must end is ended there and then (its process tree, the sandbox
user's processes), no process starts after it, and ``Stopped`` unwinds the main thread.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import threading
from pathlib import Path
from typing import Callable, Iterator

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def prctl(option: int, value: int) -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def harden_judge() -> None:
    """Make this process a child subreaper (orphans of the student's processes land here) and non-dumpable."""
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    prctl(PR_SET_DUMPABLE, 0)


def kill_descendants(keep: set[int] = frozenset()) -> int:
    """SIGKILL every descendant of this process except ``keep``; reap the orphans that land here.

    Returns how many were killed. Zombies are skipped (they are dead already); the ones
    whose parent is this process (orphans, since we are a subreaper) are reaped.
    """
    import psutil

    me = os.getpid()
    killed = 0
    for _ in range(5):
        procs = []
        for pid in tree_pids(me)[1:]:
            if pid not in keep:
                with contextlib.suppress(psutil.Error):
                    procs.append(psutil.Process(pid))
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


def kill_processes_of(uid: int) -> int:
    """SIGKILL every live process of ``uid`` (a sandbox user: none of its processes may outlive the grading).

    Never root's nor this process's own uid. Returns how many were killed.
    """
    import psutil

    if uid in (0, os.geteuid(), os.getuid()):
        return 0
    killed = 0
    for _ in range(5):
        live = []
        for proc in psutil.process_iter(["uids", "status"]):
            uids = proc.info["uids"]
            if uids and uid in uids and proc.info["status"] != psutil.STATUS_ZOMBIE:
                with contextlib.suppress(psutil.Error):
                    proc.kill()
                    live.append(proc)
        if not live:
            return killed
        killed += len(live)
        psutil.wait_procs(live, timeout=1)
    return killed


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class Stopped(Exception):
    """A stop signal ended the run before it completed."""

    def __init__(self, signum: int):
        super().__init__(f"stopped by {signal_name(signum)}")
        self.signum = signum


class StopSwitch:
    """One run's stop, tripped once: then what it must end is ended, and no process starts (``starting``)."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._endings: list[Callable[[], None]] = []
        self._lock = threading.RLock()
        self._deferring = 0
        self._pending = False
        self._held = False

    @property
    def tripped(self) -> bool:
        return self.signum is not None

    def on_stop(self, ending: Callable[[], None]) -> None:
        """Run ``ending`` when the switch trips (at once, if it has)."""
        self._endings.append(ending)
        if self.tripped:
            ending()

    def trip(self, signum: int) -> bool:
        """Stop; True the first time (later signals change nothing)."""
        with self._lock:     # waits for a process being started: the endings below then see it
            if self.tripped:
                return False
            self.signum = signum
        for ending in list(self._endings):
            with contextlib.suppress(Exception):
                ending()
        return True

    @contextlib.contextmanager
    def starting(self) -> Iterator[None]:
        """Around starting a process: raises ``Stopped`` once tripped, and a stop waits until it has started."""
        with self._lock:
            if self.tripped:
                raise Stopped(self.signum)
            yield

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """A stretch a stop must not cut (writing a result): a stop meanwhile raises ``Stopped`` at its end."""
        self._deferring += 1
        try:
            yield
        finally:
            self._deferring -= 1
        if self._pending and not self._deferring:
            self._pending = False
            raise Stopped(self.signum)

    def hold(self) -> None:
        """From now on a stop ends processes but raises nothing (the run is writing its last results)."""
        self._held = True

    def _on_signal(self, signum: int, frame) -> None:
        if not self.trip(signum) or self._held:
            return
        if self._deferring:
            self._pending = True
            return
        raise Stopped(signum)


@contextlib.contextmanager
def stop_on_signals(switch: StopSwitch) -> Iterator[StopSwitch]:
    """SIGTERM, SIGINT and SIGHUP trip ``switch`` (handled in the main thread; elsewhere nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield switch
        return
    previous = {number: signal.signal(number, switch._on_signal) for number in STOP_SIGNALS}
    try:
        yield switch
    finally:
        if not switch.tripped:   # once stopped, later signals stay ignored until the process ends
            for number, handler in previous.items():
                signal.signal(number, handler)


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def tree_pids(pid: int) -> list[int]:
    """``pid`` and its live descendants ([] when ``pid`` is gone).

    From each thread's ``/proc/PID/task/TID/children`` (a few reads, where psutil reads every process's
    ``stat`` on the machine: a judge meters its student's tree many times a test); psutil where the kernel
    has no such file.
    """
    if not _HAS_CHILDREN_FILES:
        return _tree_pids_psutil(pid)
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            if current == pid:
                return []
            continue   # exited meanwhile: its children are someone's orphans now, found on the next walk
        found.append(current)
        for task in tasks:
            with contextlib.suppress(OSError):
                todo.extend(int(c) for c in Path(f"/proc/{current}/task/{task}/children").read_text().split())
    return found


def _tree_pids_psutil(pid: int) -> list[int]:
    import psutil

    try:
        return [pid] + [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


_HAS_CHILDREN_FILES = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists()


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of one process and of its children it has waited for."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    # fields[11:15] are utime, stime, cutime, cstime (stat fields 14-17)
    return sum(int(v) for v in fields[11:15]) / _TICKS


def _rss_anon_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def _rollup_mb(pid: int, field: str) -> float | None:
    """One field of ``/proc/PID/smaps_rollup`` in MB (None: not readable here)."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return None


def own_mb(pid: int) -> float:
    """The memory one process adds: its private dirty pages, in MB.

    A process forked by the zygote shares the zygote's pages (numpy, Keras) copy-on-write until it
    writes them; ``RssAnon`` would count those in every child, ``Private_Dirty`` counts only what the
    process itself wrote (and, for a process that was not forked, is its anonymous memory). Where
    ``smaps_rollup`` cannot be read, ``RssAnon``.
    """
    value = _rollup_mb(pid, "Private_Dirty")
    return _rss_anon_mb(pid) if value is None else value


def anon_share_mb(pid: int) -> float:
    """One process's share of the anonymous memory it maps (``Pss_Anon``): shares of a tree add up to its total."""
    value = _rollup_mb(pid, "Pss_Anon")
    return _rss_anon_mb(pid) if value is None else value


def tree_usage(pid: int) -> tuple[float, float]:
    """(CPU seconds, MB of memory it adds: ``own_mb``) of ``pid`` and its live descendants."""
    pids = tree_pids(pid)
    return sum(cpu_seconds(p) for p in pids), sum(own_mb(p) for p in pids)


def tree_cpu(pid: int) -> float:
    """CPU seconds of ``pid`` and its live descendants (without ``tree_usage``'s memory: a walk of every mapping)."""
    return sum(cpu_seconds(p) for p in tree_pids(pid))
