"""Processes the grading's zygote forks (``zygote/server.py``), as the process that asks for them sees them.

The supervisor starts the zygote (``start_zygote``: the interpreter the sandbox user runs, numpy and,
when the grading needs it, Keras imported once) and asks it for each judge; each judge asks its own
zygote, forked at the judge's start and named in ``$DL3_ZYGOTE_FD`` (``judge_zygote``), for each
student process. A forked process is the asker's own child: ``ForkedProcess`` is the part of
``subprocess.Popen`` the grader uses (``pid``, ``poll``, ``wait``, ``kill``, ``returncode``).
Without a warm start (``config.warm_start``, or a zygote that did not start) ``FreshStart`` starts
each judge as a new interpreter, as the grader did before the zygote, and the judge then starts
its student processes fresh too.
Runs in the supervisor and in the judge.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

from autograder.config import ZYGOTE_FD_ENV

REPLY_BYTES = 65536
READY = b"ready"   # the zygote's first packet: its imports are done


class ZygoteError(RuntimeError):
    """The zygote could not fork the process asked for (the grader's failure, never a score)."""


class ForkedProcess:
    """A child of this process that a zygote forked (reparented here: this process is a child subreaper)."""

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:   # reaped elsewhere: as subprocess.Popen reads it
                self.returncode = 0
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.01)
        return self.returncode

    def send_signal(self, number: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, number)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class FreshStart:
    """Judges started as new interpreters (``python -m pytest``): the start without a zygote."""

    def spawn(self, kind: str, argv: list[str], env: dict, cwd: str | Path, fds: dict[int, int],
              path: list[str] = (), source: str | None = None) -> subprocess.Popen:
        """Start a judge as ``Zygote.spawn`` forks one (``argv[0]`` is ``pytest``; ``cwd`` is first on its path)."""
        if kind != "judge" or argv[:1] != ["pytest"]:
            raise ZygoteError(f"a fresh start runs judges only, not {kind} {argv[:1]}")
        passed = {n: fd for n, fd in fds.items() if n > 2}
        if any(n != fd for n, fd in passed.items()):
            raise ZygoteError("a fresh judge keeps its descriptors' numbers")
        return subprocess.Popen([sys.executable, "-m", *argv], cwd=cwd, env=env, stdin=fds.get(0, subprocess.DEVNULL),
                                stdout=fds.get(1), stderr=fds.get(2), pass_fds=tuple(passed), start_new_session=True)


class Zygote:
    """The asking end of a zygote's socket."""

    def __init__(self, sock: socket.socket, pid: int, process: subprocess.Popen | None = None):
        self.sock, self.pid, self.process = sock, pid, process
        self._lock = threading.Lock()

    def spawn(self, kind: str, argv: list[str], env: dict, cwd: str | Path, fds: dict[int, int],
              path: list[str] = (), source: str | None = None) -> ForkedProcess:
        """Fork a ``kind`` process ("judge", "program") with ``fds`` ({its number: this process's fd})."""
        request = {"kind": kind, "argv": list(argv), "env": dict(env), "cwd": str(cwd), "fds": list(fds),
                   "path": [str(p) for p in path], "source": source}
        with self._lock:
            try:
                socket.send_fds(self.sock, [json.dumps(request).encode()], list(fds.values()))
                data = self.sock.recv(REPLY_BYTES)
            except OSError as exc:
                raise ZygoteError(f"the grader's zygote is gone ({exc})") from None
        if not data:
            raise ZygoteError("the grader's zygote is gone")
        reply = json.loads(data)
        if "pid" not in reply:
            raise ZygoteError(f"the grader's zygote could not fork a {kind} process: {reply.get('error')}")
        return ForkedProcess(int(reply["pid"]))

    def await_ready(self, timeout: float, log: Path) -> None:
        """Wait for the zygote's ``READY`` packet (its imports done)."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(REPLY_BYTES)
        except OSError as exc:   # socket.timeout included
            data = f"{exc or 'timed out'}".encode()
        finally:
            self.sock.settimeout(None)
        if data != READY:
            tail = log.read_text(errors="replace")[-2000:].strip() if log.is_file() else ""
            raise ZygoteError(f"the grader's zygote did not start ({data.decode(errors='replace') or 'it exited'})"
                              + (f": {tail}" if tail else ""))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()
        if self.process is not None:
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextlib.contextmanager
def start_zygote(python: str, preload: list[str], env: dict, cwd: Path, log: Path,
                 ready_timeout: float) -> Iterator[Zygote]:
    """The supervisor's zygote (``python``: the sandbox user's interpreter), ended with the block.

    Raises ``ZygoteError`` when it has not imported ``preload`` within ``ready_timeout`` seconds.
    Started from the calling thread, which must outlive it (it dies with that thread: ``PR_SET_PDEATHSIG``).
    """
    from autograder.grade.zygote.source import zygote_program

    mine, its = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        with open(log, "wb") as out:
            process = subprocess.Popen([python, "-I", "-c", zygote_program(), str(its.fileno()), ",".join(preload),
                                        str(os.getpid())],
                                       pass_fds=(its.fileno(),), env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                       stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        its.close()
    zygote = Zygote(mine, process.pid, process)
    try:
        zygote.await_ready(ready_timeout, log)
        yield zygote
    finally:
        zygote.close()


_JUDGE_ZYGOTE: list[Zygote] = []


def judge_zygote() -> Zygote | None:
    """The zygote this judge's start forked for its student processes (None: a judge not forked by one)."""
    if not _JUDGE_ZYGOTE:
        fd, _, pid = os.environ.get(ZYGOTE_FD_ENV, "").partition(":")
        if not (fd.isdigit() and pid.isdigit()):
            return None
        with contextlib.suppress(OSError):
            _JUDGE_ZYGOTE.append(Zygote(socket.socket(fileno=int(fd)), int(pid)))
    return _JUDGE_ZYGOTE[0] if _JUDGE_ZYGOTE else None


def judge_zygote_pid() -> set[int]:
    """The judge's own zygote, as a pid to keep when the judge ends what its student processes left."""
    zygote = judge_zygote()
    return {zygote.pid} if zygote else set()
