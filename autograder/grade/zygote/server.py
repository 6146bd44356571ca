"""The zygote: one interpreter that has imported numpy (and Keras, when the grading needs it) and
forks every judge and student process of a grading, so that each starts warm instead of importing
TensorFlow again (4-7 CPU seconds a process on the kit's machine; see ``docs/grading.md``).

Never imported: ``zygote/source.py`` pastes this file after ``memory_hooks.py`` (the lean Keras
import) and the name of the variable it passes to judges (``_zygote_FD_ENV``, from ``config``),
and the supervisor runs the text as ``python -I -c TEXT CONTROL_FD PRELOAD [PARENT]``
with the interpreter the sandbox user can run. It holds nothing of the kit: no solutions, hidden
tests or specs are ever in its memory, only the standard library, numpy and Keras. It never runs
a TensorFlow op: the first op starts TensorFlow's thread pools, which a fork does not copy
(``tests/test_zygote.py`` proves the zygote has one thread and none of the kit in its memory).

Protocol, over a ``SOCK_SEQPACKET`` socket (one JSON request a packet, its file descriptors
attached): ``{"kind": "judge" | "program", "argv": [...], "env": {...}, "cwd": ..., "fds":
[the numbers the attached descriptors get], "path": [folders before the base import path],
"source": the program's text (``program``)}``; the reply is ``{"pid": N}`` or ``{"error": ...}``.
An empty packet (the requester is gone) ends the zygote.

Each process is forked twice, so that it becomes the child of the requester (the nearest child
subreaper above the zygote: the supervisor for judges, the judge for student processes), which
waits for it, measures its tree and reaps its orphans as it does for a process it started itself.
The forked process resets what a fresh interpreter would not have — its session, file
descriptors, signal handlers, environment, working directory, ``sys.argv``/``sys.path``/
``sys.modules`` beyond the preloaded ones, random state — and then runs: a judge first forks a
zygote of its own (its student processes' parent-to-be, before any of the kit is imported), then
runs ``pytest``; a program is the text ``source`` (the student process's, ``child/source.py``),
which sets its limits, takes on the sandbox user and installs its guards as a fresh child does.
"""

import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

_zygote_BASE_PATH = list(sys.path)
_zygote_PACKET = 1 << 22
_zygote_MAX_FDS = 16
_zygote_PR_SET_PDEATHSIG = 1
_zygote_PR_SET_NAME = 15
_zygote_PRELOADABLE = ("numpy", "keras", "sklearn", "scipy")


def _zygote_preload(names):
    """Import what every forked process shares, then freeze it (the collector never touches those pages).

    Third-party packages only (``_zygote_PRELOADABLE``): numpy, then Keras (lean: without its optional
    packages), then the scikit-learn modules the grading's tests import.
    """
    import importlib

    import numpy  # noqa: F401

    if "keras" in names:
        import_keras_lean()   # memory_hooks.py's, pasted above this file
    for name in names:
        if name.split(".")[0] in _zygote_PRELOADABLE and name != "keras":
            importlib.import_module(name)
    gc.collect()
    gc.freeze()


def _zygote_prctl(*args):
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(*args)


def _zygote_name(name):
    """The process's name in ``ps`` and ``/proc/PID/comm`` (a forked process keeps its zygote's command line)."""
    _zygote_prctl(_zygote_PR_SET_NAME, name.encode()[:15], 0, 0, 0)


def _zygote_die_with_parent(parent):
    _zygote_prctl(_zygote_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def _zygote_reply(sock, reply):
    try:
        sock.send(json.dumps(reply).encode())
    except OSError:
        os._exit(0)


def zygote_serve(sock, kept_modules, kind):
    """Fork a process of ``kind`` ("judge" or "program") on each request until the requester hangs up."""
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(sock, _zygote_PACKET, _zygote_MAX_FDS)
        except InterruptedError:
            continue
        except OSError:
            os._exit(0)
        if not data:
            os._exit(0)
        try:
            request = json.loads(data)
            if request.get("kind") != kind:
                raise ValueError(f"this zygote forks {kind} processes only")
            _zygote_reply(sock, {"pid": _zygote_fork(request, fds, sock, kept_modules)})
        except Exception as exc:  # noqa: BLE001 - the requester is told, the zygote goes on
            _zygote_reply(sock, {"error": f"{type(exc).__name__}: {exc}"})
        finally:
            for fd in fds:
                os.close(fd)


def _zygote_fork(request, fds, sock, kept_modules):
    """Fork twice: the grandchild becomes the requester's child once the middle process has exited."""
    if len(fds) != len(request["fds"]):
        raise ValueError("the request's descriptors did not all arrive")
    read_end, write_end = os.pipe()
    middle = os.fork()
    if middle == 0:
        try:
            os.close(read_end)
            me = os.getpid()
            pid = os.fork()
            if pid == 0:
                os.close(write_end)
                _zygote_become(request, fds, me, kept_modules)   # never returns
            os.write(write_end, str(pid).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    os.waitpid(middle, 0)
    with os.fdopen(read_end, "rb") as pipe:
        text = pipe.read()
    if not text:
        raise OSError("the forked process did not start")
    return int(text)


def _zygote_await_new_parent(middle):
    """Wait until the ``middle`` process has exited: the requester is the parent from then on."""
    deadline = time.monotonic() + 10
    while os.getppid() == middle:
        if time.monotonic() > deadline:
            os._exit(71)
        time.sleep(0.0005)


def _zygote_place_fds(targets, fds):
    """The received descriptors at the numbers the request names; every other one closed."""
    high = max([100] + [t + 1 for t in targets])
    moved = [os.dup2(fd, high + i) for i, fd in enumerate(fds)]
    for target, fd in zip(targets, moved):
        os.dup2(fd, target)
    for name in os.listdir("/proc/self/fd"):
        if int(name) not in targets:
            try:
                os.close(int(name))
            except OSError:
                pass


def _zygote_reset_signals():
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    for number in range(1, signal.NSIG):
        if number in (signal.SIGKILL, signal.SIGSTOP):
            continue
        try:
            signal.signal(number, signal.SIG_DFL)
        except (OSError, ValueError, RuntimeError):
            pass
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)   # as a fresh interpreter has them
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _zygote_reset_modules(kept_modules):
    import importlib

    mine = sys.modules.get("__main__")   # this text's module, under whichever names (``__mp_main__``)
    for name in [n for n, m in sys.modules.items() if n not in kept_modules or m is mine]:
        del sys.modules[name]
    sys.path_importer_cache.clear()
    importlib.invalidate_caches()


def _zygote_reseed():
    import random

    random.seed()
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()


def _zygote_become(request, fds, middle, kept_modules):
    """In the forked process: a fresh start as the request says, then the judge or the program."""
    code = 70
    try:
        _zygote_await_new_parent(middle)
        os.setsid()
        _zygote_place_fds(list(request["fds"]), fds)   # the zygote's socket is closed here too
        _zygote_reset_signals()
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.umask(0o022)
        sys.argv = list(request["argv"])
        sys.path[:] = list(request.get("path") or []) + _zygote_BASE_PATH
        _zygote_reset_modules(kept_modules)
        _zygote_reseed()
        _zygote_name(f"dl3-{request['kind']}")
        if request["kind"] == "judge":
            code = _zygote_run_judge(kept_modules)
        else:
            code = _zygote_run_program(request["source"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - said on stderr; never back into the zygote's loop
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _zygote_fresh_main():
    import types

    main = types.ModuleType("__main__")
    main.__dict__["__builtins__"] = __builtins__
    sys.modules["__main__"] = main
    return main


def _zygote_run_program(source):
    main = _zygote_fresh_main()
    exec(compile(source, "<string>", "exec"), main.__dict__)  # noqa: S102 - the kit's own program text
    return 0


def _zygote_run_judge(kept_modules):
    """A zygote of the judge's own (forked now, before the kit is imported), then pytest."""
    import atexit
    import runpy

    mine, its = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    judge = os.getpid()
    child = os.fork()
    if child == 0:
        try:
            mine.close()
            _zygote_name("dl3-zygote")
            _zygote_die_with_parent(judge)
            os.closerange(3, its.fileno())
            os.closerange(its.fileno() + 1, 65536)
            zygote_serve(its, kept_modules, "program")
        finally:
            os._exit(0)
    its.close()
    os.set_inheritable(mine.fileno(), True)
    os.environ[_zygote_FD_ENV] = f"{mine.fileno()}:{child}"
    sys.dont_write_bytecode = True
    _zygote_fresh_main()
    try:
        runpy.run_module("pytest", run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    atexit._run_exitfuncs()
    return code


def zygote_main():
    control, preload = int(sys.argv[1]), sys.argv[2].split(",")
    if len(sys.argv) > 3:
        _zygote_die_with_parent(int(sys.argv[3]))
    sock = socket.socket(fileno=control)
    _zygote_name("dl3-zygote")
    _zygote_preload(preload)
    sock.send(b"ready")   # forks.READY
    # Forked processes keep what is loaded now (the start-up modules, numpy, Keras) and nothing later.
    zygote_serve(sock, frozenset(sys.modules), "judge")


zygote_main()
