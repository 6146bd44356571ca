"""One sandboxed interpreter with the student's module imported: how it starts, talks, and dies.

The child is forked by the judge's zygote (numpy and Keras already imported, everything else
reset to what a fresh ``python -I`` has: ``grade/zygote/server.py``), or without a zygote
started as a fresh ``python -I``; either way it runs in its own
session, whose cwd is a scratch directory and whose import path holds only the student's
exercise files and the student-facing ``autograder`` package. It starts as the judge's user,
enters temporary directories of its own and takes on the sandbox user itself
(``child/enter.py``), and dies with the judge's thread that started it. Its exit is noticed
at once, whatever its own children still hold open. Address-space, CPU,
file-size and core limits are set before the student's module is imported; its
stdout/stderr go to a pipe the judge drains and truncates. The judge and the child talk
over two other pipes (``codec.py``'s framing), never stdout.

Every wait on the child is *watched*: ``receive``/``send`` call ``watch()`` every
quarter second, which raises ``Overrun`` when the student's code has used its CPU time,
waited too long without computing, outlived the wall-clock backstop, or grown past its
memory (see ``limits.py``).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

from autograder.config import DATA_DIR_ENV, SMALL_BOX_MALLOC_ENV
from autograder.grade.child import codec
from autograder.grade.limits import Limits
from autograder.grade.child.source import child_program
from autograder.grade.forks import judge_zygote
from autograder.grade.isolation.privileges import give_to, student_python
from autograder.grade.processes import signal_name, tree_cpu, tree_usage

SLICE = 0.25

class StudentProcessDied(Exception):
    pass


class Overrun(Exception):
    """The student's code went past a limit while the judge waited for it: ``kind`` says which."""

    def __init__(self, kind: str, text: str):
        super().__init__(text)
        self.kind = kind   # "time", "idle", "wall" or "memory"
        self.text = text


class Meter:
    """Watches one stretch of the student's work (an import, or one test's calls) against its limits."""

    def __init__(self, child: "StudentProcess", cpu_limit: float, limits: Limits, memory_mb: int, used: float = 0.0):
        self.child, self.limits, self.memory_mb = child, limits, memory_mb
        self.cpu_limit = cpu_limit
        self.used_before = used              # CPU seconds this test's earlier calls used
        self.cpu_start = child.cpu()
        self.wall_start = time.monotonic()
        self.idle_mark = (self.wall_start, self.cpu_start)
        self.peak_mb = 0.0

    def cpu_used(self) -> float:
        return self.used_before + max(0.0, self.child.cpu() - self.cpu_start)

    def wall(self) -> float:
        return time.monotonic() - self.wall_start

    def __call__(self) -> None:
        if not self.child.alive:   # it exited, though its own children may still hold its pipes
            raise StudentProcessDied
        cpu, used = tree_usage(self.child.proc.pid)
        used += self.child.temp_mb()
        self.peak_mb = max(self.peak_mb, used)
        if used > self.memory_mb:
            raise Overrun("memory", f"memory limit ({self.memory_mb:,} MB) exceeded")
        used = self.used_before + max(0.0, cpu - self.cpu_start)
        if used > self.cpu_limit:
            raise Overrun("time", f"used {used:.1f} s of CPU time")
        now = time.monotonic()
        if now - self.wall_start > self.limits.wall_backstop(self.cpu_limit):
            raise Overrun("wall", f"ran {now - self.wall_start:.0f} s (wall clock) without finishing")
        mark_wall, mark_cpu = self.idle_mark
        if cpu - mark_cpu > 0.05 * max(now - mark_wall, SLICE):
            self.idle_mark = (now, cpu)
        elif now - mark_wall > self.limits.idle_seconds:
            raise Overrun("idle", f"waited {now - mark_wall:.0f} s without computing (sleeping or blocked)")


class StudentProcess:
    """One sandboxed interpreter with the student's module imported."""

    def __init__(self, root: Path, module: str, limits: Limits, user, extra_env: dict | None = None):
        self.module = module
        self.limits = limits
        self.scratch = Path(tempfile.mkdtemp(prefix="dl3-sandbox-"))
        (self.scratch / "tmp").mkdir()
        give_to(user, self.scratch, self.scratch / "tmp")
        req_r, self._req_w = os.pipe()
        self._rep_r, rep_w = os.pipe()
        out_r, out_w = os.pipe()
        source = child_program(memory_bytes=limits.address_space_mb * 2**20, cpu_seconds=int(limits.cpu_seconds),
                               file_bytes=limits.file_mb * 2**20, temp_mb=limits.temp_mb,
                               user=(user.pw_uid, user.pw_gid) if user else None, parent=os.getpid())
        zygote = judge_zygote()
        # not forked: an interpreter the sandbox user can run (issue 10: privileges.py)
        python_env = student_python(user).env if zygote is None else {}
        env = {"PATH": "/usr/bin:/bin", "HOME": str(self.scratch), "TMPDIR": str(self.scratch / "tmp"),
               "LANG": "C.UTF-8", "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONHASHSEED": "0",
               "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "tensorflow"),
               "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2"),
               # the student process builds models, it never trains: TensorFlow's thread pools (made at its
               # first op) would only spin the CPU; oneDNN's setting takes effect where Keras is imported
               # (a process that was not forked)
               "TF_ENABLE_ONEDNN_OPTS": "0", "TF_NUM_INTEROP_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1",
               **(SMALL_BOX_MALLOC_ENV if limits.lean_allocator else {}), **python_env, **(extra_env or {})}
        if limits.data_dir:
            env[DATA_DIR_ENV] = str(limits.data_dir)
        argv = ["-c", str(req_r), str(rep_w), str(root), module]
        try:
            if zygote is not None:   # forked warm (numpy, Keras loaded), then as fresh as `python -I`
                with open(os.devnull, "rb") as nothing:
                    self.proc = zygote.spawn("program", argv, env, self.scratch,
                                             {0: nothing.fileno(), 1: out_w, 2: out_w, req_r: req_r, rep_w: rep_w},
                                             source=source)
            else:   # a judge not forked by a zygote (run by hand, the plugin's own tests)
                self.proc = subprocess.Popen(
                    [student_python(user).executable, "-I", *argv[:1], source, *argv[1:]],
                    stdin=subprocess.DEVNULL, stdout=out_w, stderr=out_w, pass_fds=(req_r, rep_w),
                    cwd=self.scratch, env=env, start_new_session=True)
        except BaseException:
            for fd in (self._req_w, self._rep_r, out_r):
                os.close(fd)
            shutil.rmtree(self.scratch, ignore_errors=True)
            raise
        finally:
            for fd in (req_r, rep_w, out_w):
                os.close(fd)
        os.set_blocking(self._req_w, False)
        self.output = bytearray()
        self.output_dropped = 0
        self._out_lock = threading.Lock()
        self._drain = threading.Thread(target=self._drain_output, args=(out_r,), daemon=True)
        self._drain.start()
        self.functions: list[str] = []
        self.private_temp: list[str] = []   # its own temporary directories (tmpfs mounts), from its start message
        self.peak_mb = 0.0          # largest resident memory seen by any meter
        self.killed_for: str | None = None   # why the judge killed it, when it did

    # output -------------------------------------------------------------
    def _drain_output(self, fd: int) -> None:
        try:
            while True:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                with self._out_lock:
                    room = self.limits.output_bytes - len(self.output)
                    if room > 0:
                        self.output += chunk[:room]
                    self.output_dropped += max(0, len(chunk) - max(room, 0))
        except OSError:
            pass
        finally:
            os.close(fd)

    def take_output(self) -> str:
        with self._out_lock:
            text = self.output.decode("utf-8", "replace")
            if self.output_dropped:
                text += f"\n... ({self.output_dropped:,} more bytes of output not shown)"
            self.output = bytearray()
            self.output_dropped = 0
        return text

    # protocol -------------------------------------------------------------
    def cpu(self) -> float:
        return tree_cpu(self.proc.pid)

    def temp_mb(self) -> float:
        """MB written in its private temporary directories (tmpfs: memory that no process's RSS shows)."""
        used = 0
        for folder in self.private_temp:
            try:   # the directory as the child's own mount namespace shows it
                stats = os.statvfs(f"/proc/{self.proc.pid}/root{folder}")
            except OSError:
                continue
            used += (stats.f_blocks - stats.f_bfree) * stats.f_frsize
        return used / 2**20

    def _read_exact(self, n: int, watch: Callable[[], None]) -> bytes:
        chunks, left = [], n
        while left:
            ready, _, _ = select.select([self._rep_r], [], [], SLICE)
            if not ready:
                watch()
                continue
            chunk = os.read(self._rep_r, min(left, 1 << 20))
            if not chunk:
                raise StudentProcessDied
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _read_into(self, n: int, watch: Callable[[], None]) -> bytearray:
        """``n`` bytes read straight into one buffer (a large answer is held once, not three times)."""
        buffer = bytearray(n)
        view, at = memoryview(buffer), 0
        while at < n:
            ready, _, _ = select.select([self._rep_r], [], [], SLICE)
            if not ready:
                watch()
                continue
            got = os.readv(self._rep_r, [view[at:at + (1 << 20)]])
            if not got:
                raise StudentProcessDied
            at += got
        return buffer

    def receive(self, watch: Callable[[], None]) -> tuple[dict, list]:
        head_len, blob_len = codec.parse_header(self._read_exact(codec.HEADER.size, watch),
                                                self.limits.max_message_mb * 2**20)
        head = self._read_exact(head_len, watch)
        body = self._read_into(blob_len, watch)
        return codec.split_message(head, body)

    def send(self, header: dict, blobs: list[bytes], watch: Callable[[], None]) -> None:
        head = json.dumps({**header, "blobs": [len(b) for b in blobs]}).encode()
        pieces = [codec.HEADER.pack(len(head), sum(map(len, blobs))) + head]
        pieces += [part for blob in blobs for part in codec.blob_parts(blob)]
        for data in pieces:
            view = memoryview(data).cast("B")
            while view:
                _, ready, _ = select.select([], [self._req_w], [], SLICE)
                if not ready:
                    watch()
                    continue
                try:
                    view = view[os.write(self._req_w, view):]
                except BlockingIOError:
                    continue
                except BrokenPipeError:
                    raise StudentProcessDied from None

    def death(self) -> str:
        """Why the child is gone, in the student's terms."""
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "your code stopped answering"
        if code < 0:
            name = signal_name(-code)
            if name == "SIGKILL":
                return "your code was killed (SIGKILL) — most likely it ran out of memory"
            if name == "SIGXCPU":
                return f"CPU time limit ({self.limits.cpu_seconds} s) exceeded"
            if name == "SIGXFSZ":
                return f"file size limit ({self.limits.file_mb} MB) exceeded: your code wrote a huge file"
            return f"your code crashed the interpreter ({name})"
        return f"your code exited (exit status {code})"

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        for fd in (self._req_w, self._rep_r):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._drain.join(timeout=2)
        shutil.rmtree(self.scratch, ignore_errors=True)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None
