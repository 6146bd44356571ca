"""The judge's side of the sandbox: the student's module as a proxy whose calls run in a child process.

``pytest --sandbox`` (see ``autograder/plugin.py``) makes the ``submission`` fixture a
``SubmissionProxy``: ``submission.predict(X, 2.0, -1.0)`` sends the arguments to a
worker process (``worker.py``) through the safe codec (``codec.py``), waits for the
answer within the test's time limit, and returns the decoded result. The judge never
imports the student's code, so nothing the student's process does to numpy, Keras,
pytest or the kit changes the judge's checks.

The worker: a fresh interpreter (``python -I``, no site or environment hooks) in its
own session, whose cwd is a scratch directory and whose import path holds only the
student's exercise files and the student-facing ``autograder`` package (never
``solutions`` or ``hidden_tests``); memory (RLIMIT_AS), CPU, file-size and core limits
are set before the student's module is imported; its stdout/stderr go to a pipe the
judge drains and truncates; it runs as ``nobody`` when the judge is root. One worker
per exercise module is reused across that module's tests (like the in-process
plugin imports the module once per session); it is killed and replaced after any
test where it timed out, crashed or exited, and every other process the student's
code started is killed at the end of each test (the judge is a child subreaper, so
orphans cannot escape it).

Limits come from ``$DL3_SANDBOX_LIMITS`` (JSON; the grader sets it), see ``Limits``.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import pwd
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from autograder.checks.values import CheckFailure
from autograder.grade import codec

LIMITS_ENV = "DL3_SANDBOX_LIMITS"
KIT_ROOT = Path(__file__).resolve().parent.parent.parent
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36


@dataclass
class Limits:
    """What a student's code may use; every figure is per test unless it says otherwise."""

    time_limit: float = 60.0          # wall seconds of student code per test (all its calls together)
    import_time_limit: float = 60.0   # wall seconds to import the student's module
    memory_mb: int = 4096             # address space of the student's process (RLIMIT_AS)
    cpu_seconds: int = 3600           # CPU seconds of one worker process over its life (RLIMIT_CPU)
    file_mb: int = 64                 # largest file the student's process may write (RLIMIT_FSIZE)
    output_bytes: int = 4000          # student output kept per test (the rest is counted, not kept)
    max_message_mb: int = 512         # largest answer the judge reads from the student's process
    user: str | None = "nobody"       # run the student's code as this user when the judge is root
    data_dir: str | None = None       # DL3_DATA_DIR for the student's process

    @classmethod
    def from_env(cls) -> "Limits":
        raw = os.environ.get(LIMITS_ENV)
        if not raw:
            return cls(data_dir=os.environ.get("DL3_DATA_DIR"))
        given = json.loads(raw)
        names = {f.name for f in fields(cls)}
        limits = cls(**{k: v for k, v in given.items() if k in names})
        if limits.data_dir is None:
            limits.data_dir = os.environ.get("DL3_DATA_DIR")
        return limits

    def to_env(self) -> str:
        return json.dumps(asdict(self))


class SandboxFailure(CheckFailure):
    """The student's process timed out, ran out of memory, exited, crashed or sent something unreadable."""


class StudentException(Exception):
    """An exception raised by the student's code, re-raised in the judge under the same class name."""


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


_CAN_RUN: dict[int, bool] = {}


def user_can_run_python(user: pwd.struct_passwd) -> bool:
    """Whether ``user`` can run this interpreter with numpy (else the sandbox keeps the judge's uid)."""
    if user.pw_uid not in _CAN_RUN:
        try:
            done = subprocess.run([sys.executable, "-I", "-c", "import numpy"], cwd="/", capture_output=True,
                                  timeout=60, user=user.pw_uid, group=user.pw_gid, extra_groups=[])
            _CAN_RUN[user.pw_uid] = done.returncode == 0
        except (OSError, subprocess.SubprocessError):
            _CAN_RUN[user.pw_uid] = False
    return _CAN_RUN[user.pw_uid]


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _short_args(args: tuple, kwargs: dict) -> str:
    def one(value: Any) -> str:
        if isinstance(value, np.ndarray):
            return f"array{value.shape}"
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "..."
    return ", ".join([one(a) for a in args] + [f"{k}={one(v)}" for k, v in kwargs.items()])


# --------------------------------------------------------------------------
# Rebuilding a student's Keras model in the judge, in safe mode


def _check_config(tree: Any, depth: int = 0) -> None:
    """Refuse configs that name anything outside Keras (custom classes, functions, modules)."""
    if depth > 200:
        raise codec.CodecError("the model's configuration is nested too deeply")
    if isinstance(tree, dict):
        module = tree.get("module")
        if module is not None and not (module in ("keras", "builtins") or str(module).startswith("keras.")):
            raise codec.CodecError(f"it uses {tree.get('class_name', 'an object')!r} from module {module!r}, "
                                   "which is not part of Keras")
        if tree.get("registered_name") not in (None, tree.get("class_name")) and \
                ">" in str(tree.get("registered_name")):
            raise codec.CodecError(f"it uses the custom object {tree.get('registered_name')!r}")
        if tree.get("class_name") in ("Lambda", "TFSMLayer", "TorchModuleWrapper", "JaxLayer", "FlaxLayer"):
            raise codec.CodecError(f"it uses a {tree['class_name']} layer, which runs arbitrary code")
        for value in tree.values():
            _check_config(value, depth + 1)
    elif isinstance(tree, list):
        for value in tree:
            _check_config(value, depth + 1)


def rebuild_model(config: Any, weights: list[np.ndarray], compile_config: Any):
    """A Keras model from the student's ``to_json()``, weights and compile config; never the student's classes."""
    import keras
    from keras.src.saving import serialization_lib

    if not isinstance(config, str):
        raise codec.CodecError("the model's configuration is not text")
    try:
        data = json.loads(config)
        _check_config(data)
        if compile_config is not None:
            _check_config(compile_config)
        with serialization_lib.SafeModeScope(True):
            model = serialization_lib.deserialize_keras_object(data, safe_mode=True)
            if not isinstance(model, keras.Model):
                raise codec.CodecError(f"it rebuilt as a {type(model).__name__}, not a Keras model")
            if weights:
                model.set_weights(weights)
            if compile_config:
                model.compile_from_config(compile_config)
    except codec.CodecError as exc:
        raise codec.CodecError(f"your model could not be rebuilt for grading: {exc}\n"
                               f"  hint: build it with keras.Sequential([...]) (or keras.Model(inputs, outputs)) "
                               f"and Keras' own layers, not a class of your own") from None
    except Exception as exc:  # noqa: BLE001 - Keras' errors on a bad config
        raise codec.CodecError(
            f"your model could not be rebuilt for grading: {type(exc).__name__}: {str(exc)[:300]}; "
            "use Keras' built-in layers only (no custom classes or Lambda layers)") from None
    return model


def _is_model(value: Any) -> bool:
    keras = sys.modules.get("keras")
    return keras is not None and isinstance(value, keras.Model)


def _apply_state(original: Any, tree: Any, decoder: codec.Decoder) -> None:
    """Write the state the student's process left in an argument back into the judge's object."""
    if _is_model(original):
        compiled = tree.get("compile") if isinstance(tree, dict) and tree.get("$") == "model" else None
        if compiled:
            try:
                _check_config(compiled)
                from keras.src.saving import serialization_lib

                with serialization_lib.SafeModeScope(True):
                    original.compile_from_config(compiled)
            except Exception as exc:  # noqa: BLE001
                raise codec.CodecError(f"the model's compile settings could not be rebuilt: "
                                       f"{type(exc).__name__}: {str(exc)[:300]}") from None
        return
    new = decoder.decode(tree)
    if isinstance(original, np.random.Generator) and isinstance(new, np.random.Generator):
        if type(original.bit_generator) is type(new.bit_generator):
            original.bit_generator.state = new.bit_generator.state
    elif isinstance(original, list) and isinstance(new, list):
        original[:] = new
    elif isinstance(original, dict) and isinstance(new, dict):
        original.clear()
        original.update(new)
    elif isinstance(original, np.ndarray) and isinstance(new, np.ndarray):
        if original.flags.writeable and original.shape == new.shape:
            with contextlib.suppress(TypeError, ValueError):
                original[...] = new


def _keras_seed_to_forward() -> int | None:
    """The judge's Keras seed when it was just set (so the student's builder draws the same weights)."""
    if "keras" not in sys.modules:
        return None
    try:
        from keras.src.backend.common import global_state

        seed = global_state.get_global_attribute("global_random_seed")
        fresh = global_state.get_global_attribute("global_seed_generator") is None
    except Exception:  # noqa: BLE001
        return None
    return int(seed) if seed is not None and fresh else None


# --------------------------------------------------------------------------
# The worker process


def _worker_source() -> str:
    here = Path(__file__).resolve().parent
    text = (here / "codec.py").read_text() + "\n\n" + (here / "worker.py").read_text()
    return "\n".join(line for line in text.splitlines() if not line.startswith("from __future__"))


BOOTSTRAP = """
import resource as _r, sys as _s
def _lim(kind, value):
    try:
        _r.setrlimit(kind, (value, value))
    except (ValueError, OSError):
        pass
_lim(_r.RLIMIT_CORE, 0)
_lim(_r.RLIMIT_AS, {memory})
_lim(_r.RLIMIT_CPU, {cpu})
_lim(_r.RLIMIT_FSIZE, {fsize})
del _lim, _r, _s
"""


class WorkerDied(Exception):
    pass


class Worker:
    """One sandboxed interpreter with the student's module imported."""

    def __init__(self, root: Path, module: str, limits: Limits, user: pwd.struct_passwd | None):
        self.module = module
        self.limits = limits
        self.scratch = Path(tempfile.mkdtemp(prefix="dl3-sandbox-"))
        (self.scratch / "tmp").mkdir()
        if user is not None:
            for path in (self.scratch, self.scratch / "tmp"):
                os.chown(path, user.pw_uid, user.pw_gid)
        req_r, self._req_w = os.pipe()
        self._rep_r, rep_w = os.pipe()
        out_r, out_w = os.pipe()
        source = BOOTSTRAP.format(memory=limits.memory_mb * 2**20, cpu=int(limits.cpu_seconds),
                                  fsize=limits.file_mb * 2**20) + _worker_source()
        env = {"PATH": "/usr/bin:/bin", "HOME": str(self.scratch), "TMPDIR": str(self.scratch / "tmp"),
               "LANG": "C.UTF-8", "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONHASHSEED": "0",
               "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "tensorflow"),
               "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2")}
        if limits.data_dir:
            env["DL3_DATA_DIR"] = str(limits.data_dir)
        extra = {}
        if user is not None:
            extra = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-c", source, str(req_r), str(rep_w), str(root), module],
                stdin=subprocess.DEVNULL, stdout=out_w, stderr=out_w, pass_fds=(req_r, rep_w),
                cwd=self.scratch, env=env, start_new_session=True, **extra)
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
    def _read_exact(self, n: int, deadline: float) -> bytes:
        chunks, left = [], n
        while left:
            wait = deadline - time.monotonic()
            if wait <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self._rep_r], [], [], wait)
            if not ready:
                raise TimeoutError
            chunk = os.read(self._rep_r, min(left, 1 << 20))
            if not chunk:
                raise WorkerDied
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def receive(self, deadline: float) -> tuple[dict, list[bytes]]:
        head_len, blob_len = codec.parse_header(self._read_exact(codec.HEADER.size, deadline),
                                                self.limits.max_message_mb * 2**20)
        head = self._read_exact(head_len, deadline)
        body = self._read_exact(blob_len, deadline)
        return codec.split_message(head, body)

    def send(self, header: dict, blobs: list[bytes], deadline: float) -> None:
        head = json.dumps({**header, "blobs": [len(b) for b in blobs]}).encode()
        for data in [codec.HEADER.pack(len(head), sum(map(len, blobs))) + head, *blobs]:
            view = memoryview(data)
            while view:
                wait = deadline - time.monotonic()
                if wait <= 0:
                    raise TimeoutError
                _, ready, _ = select.select([], [self._req_w], [], wait)
                if not ready:
                    raise TimeoutError
                try:
                    view = view[os.write(self._req_w, view):]
                except BlockingIOError:
                    continue
                except BrokenPipeError:
                    raise WorkerDied from None

    def death(self) -> str:
        """Why the worker is gone, in the student's terms."""
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "your code stopped answering"
        if code < 0:
            name = _signal_name(-code)
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


# --------------------------------------------------------------------------
# The manager: workers per module, per-test budgets, cleanup


def _fake_frame_error(exc: BaseException, filename: str, function: str) -> BaseException:
    """``exc`` raised from a frame named ``function`` in ``filename`` (so reports name the student's function)."""
    name = function if function and function.isidentifier() else "student_function"
    scope: dict[str, Any] = {}
    code = compile(f"def {name}(exc):\n    raise exc\n", filename, "exec")
    exec(code, scope)  # noqa: S102 - our own two-line function, given the student's file name only
    try:
        scope[name](exc)
    except BaseException as raised:  # noqa: BLE001
        return raised.with_traceback(raised.__traceback__)
    return exc


def _exception_class(name: str) -> type:
    clean = name if isinstance(name, str) and name.isidentifier() else "Exception"
    return type(clean, (StudentException,), {"__module__": "student"})


class SandboxManager:
    """Workers for one pytest session; ``begin_test``/``end_test`` bracket each graded test."""

    def __init__(self, target: Path, limits: Limits | None = None):
        self.limits = limits or Limits.from_env()
        self.target = Path(target).resolve()
        harden_judge()
        self.user = self._sandbox_user()
        self.root = self._make_root()
        self.workers: dict[str, Worker] = {}
        self.ready: set[str] = set()   # modules whose worker has imported the student's module
        self.functions: dict[tuple[str, str], RemoteFunction] = {}
        self.import_failures: dict[str, SandboxFailure | BaseException] = {}
        self.budget = self.limits.time_limit
        self.output: list[str] = []

    def _sandbox_user(self) -> pwd.struct_passwd | None:
        if os.geteuid() != 0 or not self.limits.user:
            return None
        try:
            user = pwd.getpwnam(self.limits.user)
        except KeyError:
            return None
        return user if user_can_run_python(user) else None

    def _make_root(self) -> Path:
        """A directory with only the target's exercise files and the student-facing ``autograder`` package."""
        from autograder.release import student_files
        from autograder.specs import all_exercises

        root = Path(tempfile.mkdtemp(prefix="dl3-submission-"))
        for exercise in all_exercises().values():
            source = self.target / exercise.filename
            if source.is_file() and not source.is_symlink():
                shutil.copyfile(source, root / exercise.filename)
        for rel in student_files(KIT_ROOT):
            if rel.startswith("autograder/"):
                (root / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(KIT_ROOT / rel, root / rel)
        for path in [root, *root.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        return root

    # tests ----------------------------------------------------------------
    def begin_test(self) -> None:
        self.budget = self.limits.time_limit
        self._check_pending()
        for worker in self.workers.values():
            worker.take_output()

    def end_test(self) -> None:
        for name, worker in list(self.workers.items()):
            if not worker.alive and name in self.ready:
                self._discard(name)
        kill_descendants(keep=self._keep())

    def _keep(self) -> set[int]:
        """The live workers, and whatever a worker still importing its module has started."""
        import psutil

        keep = {w.proc.pid for w in self.workers.values()}
        for name, worker in self.workers.items():
            if name not in self.ready:
                with contextlib.suppress(psutil.Error):
                    keep |= {c.pid for c in psutil.Process(worker.proc.pid).children(recursive=True)}
        return keep

    def close(self) -> None:
        for worker in self.workers.values():
            worker.kill()
        self.workers.clear()
        kill_descendants()
        shutil.rmtree(self.root, ignore_errors=True)

    def _discard(self, module: str) -> str:
        self.ready.discard(module)
        worker = self.workers.pop(module, None)
        if worker is None:
            return ""
        worker.kill()
        kill_descendants(keep=self._keep())
        return worker.take_output()

    # workers --------------------------------------------------------------
    def prestart(self) -> None:
        """Start a worker for every exercise file now, so the imports (Keras: seconds) overlap with grading."""
        for path in sorted(self.root.glob("*.py")):
            if path.stem not in self.workers and path.stem not in self.import_failures:
                self._spawn(path.stem)

    def _spawn(self, module: str) -> Worker:
        worker = Worker(self.root, module, self.limits, self.user)
        worker.import_deadline = time.monotonic() + self.limits.import_time_limit
        self.workers[module] = worker
        return worker

    def _check_pending(self) -> None:
        """Fail (and kill) the prestarted workers whose import ran past its limit."""
        for module, worker in list(self.workers.items()):
            if module not in self.ready and time.monotonic() > worker.import_deadline:
                with contextlib.suppress(SandboxFailure, RuntimeError):
                    self.worker(module)

    def worker(self, module: str) -> Worker:
        if module in self.import_failures:
            raise self.import_failures[module]
        worker = self.workers.get(module)
        if worker is not None and module in self.ready:
            if worker.alive:
                return worker
            self._discard(module)
            worker = None
        filename = f"{module}.py"
        if worker is None:
            if not (self.root / filename).is_file():
                failure = SandboxFailure(f"{filename} is missing: there is no such file in the submission")
                self.import_failures[module] = failure
                raise failure
            worker = self._spawn(module)
        try:
            started, _ = worker.receive(time.monotonic() + 120)
            if started.get("started") is not True:
                raise codec.CodecError("no start message")
        except (TimeoutError, WorkerDied, codec.CodecError) as exc:
            output = self._discard(module)
            raise RuntimeError(f"the grader's sandbox did not start ({type(exc).__name__}): {output[-2000:]}") from None
        try:
            header, _ = worker.receive(worker.import_deadline)
        except TimeoutError:
            why = f"time limit ({self.limits.import_time_limit:g} s) exceeded while importing it"
        except (WorkerDied, codec.CodecError):
            why = worker.death()
        else:
            if header.get("ready") is True:
                worker.functions = [f for f in header.get("functions", []) if isinstance(f, str)]
                self.ready.add(module)
                return worker
            why = self._import_error_text(header)
        output = self._discard(module)
        failure = SandboxFailure(f"could not import {filename}: {why}" + _output_note(output)
                                 + f"\n  hint: run `python {filename}` and fix the first error it shows")
        self.import_failures[module] = failure
        raise failure

    @staticmethod
    def _import_error_text(header: dict) -> str:
        kind = header.get("kind")
        text = f"{header.get('type', 'error')}: {str(header.get('message', ''))[:500]}"
        where = header.get("where") or []
        if where and isinstance(where, list):
            text += f" ({str(where[-1])[:200]})"
        if kind == "exit":
            text += " — do not call sys.exit() or exit() in the module"
        if kind == "memory":
            text = "memory limit exceeded while importing it"
        return text

    # calls -----------------------------------------------------------------
    def call(self, module: str, function: str, args: tuple, kwargs: dict) -> Any:
        worker = self.worker(module)
        what = f"{function}({_short_args(args, kwargs)})"
        encoder = codec.Encoder()
        try:
            tree_args = encoder.encode(list(args))
            tree_kwargs = encoder.encode(dict(kwargs))
            np_state = encoder.encode(tuple(np.random.get_state()))
        except codec.CodecError as exc:
            raise SandboxFailure(f"the grader could not send the arguments of {what}: {exc}") from None
        header = {"op": "call", "function": function, "args": tree_args, "kwargs": tree_kwargs,
                  "np_random": np_state, "keras_seed": _keras_seed_to_forward()}
        started = time.monotonic()
        deadline = started + max(self.budget, 0.001)
        try:
            worker.send(header, encoder.blobs, deadline)
            reply, blobs = worker.receive(deadline)
        except TimeoutError:
            output = self._discard(module)
            raise SandboxFailure(f"time limit ({self.limits.time_limit:g} s) exceeded: {what} was still "
                                 f"running when the test's time for your code ran out" + _output_note(output)) from None
        except BaseException as exc:  # noqa: BLE001 - e.g. pytest-timeout firing: the worker is mid-call
            if not isinstance(exc, (WorkerDied, codec.CodecError)):
                self._discard(module)
                raise
            why = worker.death() if isinstance(exc, WorkerDied) or not worker.alive else \
                f"the grader could not read the answer ({exc})"
            output = self._discard(module)
            hint = "\n  hint: do not call sys.exit, os._exit or quit()" if why.startswith("your code exited") else ""
            raise SandboxFailure(f"{why} during {what}" + hint + _output_note(output)) from None
        finally:
            self.budget -= time.monotonic() - started
        targets = list(args) + list(kwargs.values())
        decoder = codec.Decoder(blobs, args=targets, rebuild_model=rebuild_model)
        if reply.get("ok") is True:
            try:
                return self._decode_result(reply, decoder, targets)
            except codec.CodecError as exc:
                raise SandboxFailure(f"the grader could not read what {what} returned: {exc}") from None
        return self._raise_failure(module, function, what, reply)

    def _decode_result(self, reply: dict, decoder: codec.Decoder, targets: list) -> Any:
        for item in reply.get("writeback") or []:
            if isinstance(item, list) and len(item) == 2 and isinstance(item[0], int) and 0 <= item[0] < len(targets):
                _apply_state(targets[item[0]], item[1], decoder)
        state = reply.get("np_random")
        if state is not None:
            with contextlib.suppress(Exception):
                np.random.set_state(decoder.decode(state))
        result = decoder.decode(reply.get("result"))
        return self._resolve_refs(result, targets, decoder)

    def _resolve_refs(self, value: Any, targets: list, decoder: codec.Decoder, depth: int = 0) -> Any:
        if depth > codec.MAX_DEPTH:
            raise codec.CodecError("a value nested too deeply")
        if isinstance(value, codec.ArgRef):
            original = targets[value.index]
            _apply_state(original, value.state, decoder)
            return original
        if type(value) is list:
            return [self._resolve_refs(v, targets, decoder, depth + 1) for v in value]
        if type(value) is tuple:
            return tuple(self._resolve_refs(v, targets, decoder, depth + 1) for v in value)
        if type(value) is dict:
            return {k: self._resolve_refs(v, targets, decoder, depth + 1) for k, v in value.items()}
        return value

    def _raise_failure(self, module: str, function: str, what: str, reply: dict) -> Any:
        kind = reply.get("kind")
        name = str(reply.get("type", "Exception"))
        message = str(reply.get("message", ""))[:1000]
        where = [str(w)[:200] for w in (reply.get("where") or []) if isinstance(w, str)]
        if kind == "not_implemented":
            inner = reply.get("function") if isinstance(reply.get("function"), str) else function
            raise _fake_frame_error(NotImplementedError(message), str(self.root / f"{module}.py"), inner)
        if kind == "memory":
            self._discard(module)
            raise SandboxFailure(f"memory limit ({self.limits.memory_mb:,} MB) exceeded during {what}")
        if kind == "exit":
            raise SandboxFailure(f"{what} raised {name}({message}): your code must return a value, "
                                 "not exit or interrupt the grader")
        if kind == "codec":
            raise SandboxFailure(f"the grader could not send the arguments of {what}: {message}")
        if kind == "unsendable":
            raise SandboxFailure(f"the grader could not read what {what} returned: {name}: {message}")
        text = message + (f"  [{where[-1]}]" if where else "")
        raise _exception_class(name)(text)


def _output_note(output: str) -> str:
    if not output.strip():
        return ""
    return "\n  your code printed (shown as printed, it is not the grader's output):\n" + \
        "\n".join("    | " + line for line in output.splitlines()[:40])


# --------------------------------------------------------------------------
# The proxy module and the pytest glue


class RemoteFunction:
    def __init__(self, manager: SandboxManager, module: str, name: str):
        self._manager, self._module, self.__name__ = manager, module, name
        self.__qualname__ = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._manager.call(self._module, self.__name__, args, kwargs)

    def __repr__(self) -> str:
        return f"<student function {self._module}.{self.__name__} (sandboxed)>"


class SubmissionProxy(ModuleType):
    """Looks like the student's module to a test; every function call runs in the sandbox."""

    def __init__(self, manager: SandboxManager, module: str):
        super().__init__(module)
        self.__file__ = str(manager.root / f"{module}.py")
        self._manager = manager
        self._module = module

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        worker = self._manager.worker(self._module)
        if name not in worker.functions:
            raise SandboxFailure(f"{self._module}.py has no function `{name}`\n"
                                 f"  hint: keep the function names of the exercise file")
        # One object per function for the session, like a module's attribute (the kit caches on it).
        key = (self._module, name)
        if key not in self._manager.functions:
            self._manager.functions[key] = RemoteFunction(self._manager, self._module, name)
        return self._manager.functions[key]


_MANAGERS: dict[int, SandboxManager] = {}


@contextlib.contextmanager
def open_submission(config, exercise):
    """The ``submission`` fixture's sandboxed branch: a proxy for ``exercise``'s module during one test."""
    manager = _MANAGERS.get(id(config))
    if manager is None:
        from autograder.plugin import target_dir

        manager = _MANAGERS[id(config)] = SandboxManager(target_dir(config))
        manager.prestart()

        def close():
            _MANAGERS.pop(id(config), None)
            manager.close()

        config.add_cleanup(close)
    manager.begin_test()
    try:
        yield SubmissionProxy(manager, exercise.module)
    finally:
        manager.end_test()
