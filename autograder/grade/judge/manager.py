"""The judge's side of the sandbox: student processes for one judge run, per-test limits, calls, cleanup.

A judge grades one or more exercise modules; each module's student code runs in one
student process (``judge/student_process.py``), reused across that module's tests like the in-process
plugin imports the module once. The plan (``box.py``) decides whether a student process is
started before its first test (a roomy box) or only when a test needs it, with every
other module's student process stopped first (a small box: one TensorFlow student process at a time), and
whether an idle student process is stopped before the judge trains a model.

Blame: the student's process is killed by the judge when it passes its own limits (its
time, its memory): that is the student's. A student's process that the kernel killed
while it was within its memory limit was killed for the box, not for its own use: the
plan did not leave room, so that is the grader's failure (``GraderFailure``), never a
failed check.
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from autograder import memory_hooks
from autograder.checks.values import CheckFailure
from autograder.grade.child import codec
from autograder.grade.limits import Limits, load_reference_costs
from autograder.grade.judge.models import apply_compile_config, rebuild_model
from autograder.grade.forks import ZygoteError, judge_zygote, judge_zygote_pid
from autograder.grade.isolation.privileges import give_to, sandbox_user
from autograder.grade.processes import harden_judge, kill_descendants, tree_pids
from autograder.memory_hooks import release_memory
from autograder.grade.judge.student_process import Meter, Overrun, StudentProcess, StudentProcessDied
from autograder.tensorflow_logs import strip_tensorflow_logs

START_TIMEOUT = 300.0   # wall seconds for the student process's interpreter to start (before the student's import)


class SandboxFailure(CheckFailure):
    """The student's process timed out, ran out of memory, exited, crashed or sent something unreadable.

    Its failure kind is ``crash`` unless given (``time_limit``); its mistake one of the generic names.
    """

    def __init__(self, message: str, mistake: str = "crash", kind: str = "crash"):
        super().__init__(message, mistake=mistake, kind=kind)


class GraderFailure(RuntimeError):
    """The grader itself could not go on (its box ran out of room, a student process could not start): not a score."""


def overrun_mistake(over: Overrun) -> tuple[str, str]:
    """(mistake, failure kind) of a limit the student's process ran past."""
    return ("memory_limit", "crash") if over.kind == "memory" else ("time_limit", "time_limit")


class StudentException(Exception):
    """An exception raised by the student's code, re-raised in the judge under the same class name."""


def short_args(args: tuple, kwargs: dict) -> str:
    """A call's arguments in a few words (arrays by their shape)."""
    def one(value: Any) -> str:
        if isinstance(value, np.ndarray):
            return f"array{value.shape}"
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "..."
    return ", ".join([one(a) for a in args] + [f"{k}={one(v)}" for k, v in kwargs.items()])


def _is_model(value: Any) -> bool:
    keras = sys.modules.get("keras")
    return keras is not None and isinstance(value, keras.Model)


def apply_state(original: Any, tree: Any, decoder: codec.Decoder) -> None:
    """Write the state the student's process left in an argument back into the judge's object."""
    if _is_model(original):
        compiled = tree.get("compile") if isinstance(tree, dict) and tree.get("$") == "model" else None
        if compiled:
            apply_compile_config(original, compiled)
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


def output_note(output: str) -> str:
    output = strip_tensorflow_logs(output)
    if not output.strip():
        return ""
    return "\n  your code printed (shown as printed, it is not the grader's output):\n" + \
        "\n".join("    | " + line for line in output.splitlines()[:40])


class SandboxManager:
    """Student processes for one judge run; ``begin_test``/``end_test`` bracket each graded test."""

    def __init__(self, target: Path, limits: Limits | None = None):
        self.limits = limits or Limits.from_env()
        self.target = Path(target).resolve()
        harden_judge()
        # forked by the zygote, the judge runs the interpreter the supervisor checked the sandbox user can run
        self.user = sandbox_user(self.limits.user, check_python=judge_zygote() is None)
        self.root = self._make_root()
        self.children: dict[str, StudentProcess] = {}
        self.ready: set[str] = set()   # modules whose student process has imported the student's module
        self.functions: dict[tuple[str, str], "RemoteFunction"] = {}  # noqa: F821 - proxy.py
        self.import_failures: dict[str, BaseException] = {}
        self.costs = load_reference_costs(self.limits.costs_file)
        self.check_key: str | None = None     # "exercise/check" of the running test
        self.test_cpu = 0.0                   # CPU seconds the running test's calls have used
        self.peak_mb = 0.0                    # largest resident memory of any student process
        self.cpu_by_test: dict[str, float] = {}
        if self.limits.release_before_training:
            memory_hooks.before_heavy_work(self.release_idle_children)

    def _make_root(self) -> Path:
        """A directory with only the target's exercise files and the student-facing ``autograder`` package."""
        import shutil
        import tempfile

        from autograder.config import KIT_ROOT
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
        # The sandbox user's to read, not to write (its modules' processes share it); no other user's.
        give_to(self.user, root, writable=False)
        return root

    # tests ----------------------------------------------------------------
    def begin_test(self, check_key: str | None = None) -> None:
        self.check_key = check_key
        self.test_cpu = 0.0
        for child in self.children.values():
            child.take_output()

    def end_test(self) -> None:
        if self.check_key:
            self.cpu_by_test[self.check_key] = round(self.test_cpu, 3)
        for name, child in list(self.children.items()):
            if not child.alive and name in self.ready:
                self._discard(name)
        kill_descendants(keep=self._keep())
        if self.limits.release_before_training:
            release_memory()   # small box: what this test's models and data held goes back now

    def _keep(self) -> set[int]:
        """The live student processes, and whatever a student process still importing its module has started."""
        keep = {w.proc.pid for w in self.children.values()} | judge_zygote_pid()
        for name, child in self.children.items():
            if name not in self.ready:
                keep |= set(tree_pids(child.proc.pid))
        return keep

    def close(self) -> None:
        import shutil

        memory_hooks.forget(self.release_idle_children)
        for child in self.children.values():
            child.kill()
        self.children.clear()
        kill_descendants()
        shutil.rmtree(self.root, ignore_errors=True)

    def _discard(self, module: str) -> str:
        self.ready.discard(module)
        child = self.children.pop(module, None)
        if child is None:
            return ""
        self.peak_mb = max(self.peak_mb, child.peak_mb)
        child.kill()
        kill_descendants(keep=self._keep())
        return child.take_output()

    def release_idle_children(self) -> None:
        """Stop every student process now (the judge is about to train: the memory goes to it); they restart on demand."""
        for module in list(self.children):
            self._discard(module)

    # student processes --------------------------------------------------------------
    def prestart(self, modules: set[str] | None = None) -> None:
        """Start a student process for each exercise file this judge grades (``modules``; None: every one) now,
        so the imports overlap with grading (roomy boxes only)."""
        if not self.limits.prestart:
            return
        for path in sorted(self.root.glob("*.py")):
            wanted = modules is None or path.stem in modules
            if wanted and path.stem not in self.children and path.stem not in self.import_failures:
                self._spawn(path.stem)

    def _spawn(self, module: str) -> StudentProcess:
        if not self.limits.prestart:
            # One student process at a time in a small box: the others go first (they restart when needed).
            for other in [m for m in self.children if m != module]:
                self._discard(other)
        try:
            child = StudentProcess(self.root, module, self.limits, self.user)
        except ZygoteError as exc:
            raise GraderFailure(f"the grader's sandbox did not start: {exc}") from None
        self.children[module] = child
        return child

    def _meter(self, child: StudentProcess, cpu_limit: float, used: float = 0.0) -> Meter:
        return Meter(child, cpu_limit, self.limits, self.limits.memory_mb, used)

    def child(self, module: str) -> StudentProcess:
        if module in self.import_failures:
            raise self.import_failures[module]
        child = self.children.get(module)
        if child is not None and module in self.ready:
            if child.alive:
                return child
            self._discard(module)
            child = None
        filename = f"{module}.py"
        if child is None:
            if not (self.root / filename).is_file():
                failure = SandboxFailure(f"{filename} is missing: there is no such file in the submission",
                                         mistake="import_error")
                self.import_failures[module] = failure
                raise failure
            child = self._spawn(module)
        self._await_start(module, child)
        meter = self._meter(child, self.limits.import_time_limit)
        mistake, kind = "import_error", "crash"
        try:
            header, _ = child.receive(meter)
        except Overrun as over:
            why = self._overrun_text(over, "importing it", self.limits.import_time_limit, None, meter)
            mistake, kind = overrun_mistake(over)
        except (StudentProcessDied, codec.CodecError):
            why = self._death(child, meter)
        else:
            child.peak_mb = max(child.peak_mb, meter.peak_mb)
            if header.get("ready") is True:
                child.functions = [f for f in header.get("functions", []) if isinstance(f, str)]
                self.ready.add(module)
                return child
            why = self._import_error_text(header)
        child.peak_mb = max(child.peak_mb, meter.peak_mb)
        output = self._discard(module)
        failure = SandboxFailure(f"could not import {filename}: {why}"   # what it printed last, as for calls
                                 f"\n  hint: run `python {filename}` and fix the first error it shows"
                                 + output_note(output), mistake=mistake, kind=kind)
        self.import_failures[module] = failure
        raise failure

    def _await_start(self, module: str, child: StudentProcess) -> None:
        """The interpreter's own start (before the student's import): a failure here is the grader's."""
        deadline = time.monotonic() + START_TIMEOUT

        def watch() -> None:
            if time.monotonic() > deadline:
                raise TimeoutError
            if not child.alive:
                raise StudentProcessDied

        try:
            started, _ = child.receive(watch)
            if started.get("started") is not True:
                raise codec.CodecError("no start message")
            child.private_temp = [d for d in started.get("temp") or [] if isinstance(d, str) and d.startswith("/")]
        except (TimeoutError, StudentProcessDied, codec.CodecError) as exc:
            output = self._discard(module)
            raise GraderFailure(f"the grader's sandbox did not start ({type(exc).__name__}): "
                                f"{output[-2000:]}") from None

    def _death(self, child: StudentProcess, meter: Meter) -> str:
        """Why the student process died; a kernel kill within the student's memory limit is the grader's failure."""
        why = child.death()
        if why.startswith("your code was killed (SIGKILL)"):
            if meter.peak_mb >= 0.9 * self.limits.memory_mb:
                return f"memory limit ({self.limits.memory_mb:,} MB) exceeded"
            raise GraderFailure(
                f"the box ran out of memory while the student's process used {meter.peak_mb:.0f} MB "
                f"(within its {self.limits.memory_mb:,} MB): the grading plan left too little room; "
                f"give the grader more memory")
        return why

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

    def _overrun_text(self, over: Overrun, what: str, limit: float, reference: float | None, meter: Meter) -> str:
        if over.kind == "memory":
            return f"{over.text} while {what}"
        ref = f"; the reference solution needs {reference:.2f} s of CPU for this check" if reference else ""
        return (f"time limit ({limit:g} s) exceeded while {what}: your code {over.text} "
                f"(CPU time so far: {meter.cpu_used():.1f} s{ref})")

    # calls -----------------------------------------------------------------
    def call(self, module: str, function: str, args: tuple, kwargs: dict) -> Any:
        child = self.child(module)
        what = f"{function}({short_args(args, kwargs)})"
        encoder = codec.Encoder()
        try:
            tree_args = encoder.encode(list(args))
            tree_kwargs = encoder.encode(dict(kwargs))
            np_state = encoder.encode(tuple(np.random.get_state()))
        except codec.CodecError as exc:
            raise SandboxFailure(f"the grader could not send the arguments of {what}: {exc}",
                                 mistake="unreadable_answer") from None
        header = {"op": "call", "function": function, "args": tree_args, "kwargs": tree_kwargs,
                  "np_random": np_state, "keras_seed": _keras_seed_to_forward()}
        reference = self.costs.get(self.check_key or "")
        limit = self.limits.check_limit(reference)
        meter = self._meter(child, limit, used=self.test_cpu)
        try:
            child.send(header, encoder.blobs, meter)
            reply, blobs = child.receive(meter)
        except Overrun as over:
            self.test_cpu = meter.cpu_used()
            child.peak_mb = max(child.peak_mb, meter.peak_mb)
            output = self._discard(module)
            text = self._overrun_text(over, f"running {what}", limit, reference, meter)
            raise SandboxFailure(text + output_note(output), *overrun_mistake(over)) from None
        except BaseException as exc:  # noqa: BLE001 - e.g. pytest-timeout firing: the child is mid-call
            self.test_cpu = meter.cpu_used()
            child.peak_mb = max(child.peak_mb, meter.peak_mb)
            if not isinstance(exc, (StudentProcessDied, codec.CodecError)):
                self._discard(module)
                raise
            why = self._death(child, meter) if isinstance(exc, StudentProcessDied) or not child.alive else \
                f"the grader could not read the answer ({exc})"
            output = self._discard(module)
            hint = "\n  hint: do not call sys.exit, os._exit or quit()" if why.startswith("your code exited") else ""
            mistake = "memory_limit" if why.startswith("memory limit") else \
                "unreadable_answer" if why.startswith("the grader could not read") else "crash"
            raise SandboxFailure(f"{why} during {what}" + hint + output_note(output), mistake=mistake) from None
        self.test_cpu = meter.cpu_used()
        child.peak_mb = max(child.peak_mb, meter.peak_mb)
        targets = list(args) + list(kwargs.values())
        big = sum(len(b) for b in blobs) > (4 << 20)
        if big and self.limits.release_before_training:
            # Small box: decoding a large answer (a big model to rebuild) needs the room the
            # idle student process holds; it restarts when the next call comes.
            self._discard(module)
        decoder = codec.Decoder(blobs, args=targets, rebuild_model=rebuild_model)
        del blobs
        if reply.get("ok") is True:
            try:
                return self._decode_result(reply, decoder, targets)
            except codec.CodecError as exc:
                raise SandboxFailure(f"the grader could not read what {what} returned: {exc}",
                                     mistake="unreadable_answer") from None
            finally:
                decoder.blobs = []
                if big:
                    release_memory()
        return self._raise_failure(module, function, what, reply)

    def _decode_result(self, reply: dict, decoder: codec.Decoder, targets: list) -> Any:
        for item in reply.get("writeback") or []:
            if isinstance(item, list) and len(item) == 2 and isinstance(item[0], int) and 0 <= item[0] < len(targets):
                apply_state(targets[item[0]], item[1], decoder)
        state = reply.get("np_random")
        if state is not None:
            with contextlib.suppress(Exception):
                np.random.set_state(decoder.decode(state))
        result = decoder.decode(reply.get("result"))
        return codec.resolve_refs(result, targets, lambda original, ref: apply_state(original, ref.state, decoder))

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
            raise SandboxFailure(f"memory limit ({self.limits.memory_mb:,} MB) exceeded during {what}",
                                 mistake="memory_limit")
        if kind == "exit":
            raise SandboxFailure(f"{what} raised {name}({message}): your code must return a value, "
                                 "not exit or interrupt the grader")
        if kind == "codec":
            raise SandboxFailure(f"the grader could not send the arguments of {what}: {message}",
                                 mistake="unreadable_answer")
        if kind == "unsendable":
            raise SandboxFailure(f"the grader could not read what {what} returned: {name}: {message}",
                                 mistake="unreadable_answer")
        text = message + (f"  [{where[-1]}]" if where else "")
        raise _exception_class(name)(text)
