"""The one place that assembles the text the sandboxed child runs (``python -I -c TEXT``).

The child cannot import the kit (its import path holds only the student's files), so each of
its programs is pasted together from the self-contained modules of this folder (and the kit's
``memory_hooks.py``), in an order
that matters: the resource limits first, then the guards' definitions and the calls that put
them on the process (before numpy or the student's module is imported), then the codec, then
the main loop. Runs in whichever process starts a child: the judge (``judge/student_process.py``)
and the supervisor's isolation probe (``isolation/privileges.py``).
"""

from __future__ import annotations

from pathlib import Path

from autograder.config import DATA_DIR_ENV, PACKAGE_DIR

HERE = Path(__file__).resolve().parent

LIMITS = """
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

# After the guards' definitions: both filters before the codec (numpy) and the student's module
# are imported. argv of the child: -c, request fd, reply fd, import root, module.
GUARD_CALLS = f"""
import os as _g_os, sys as _g_sys
_network_guard = install_network_filter()
_file_guard = student_file_filter(_g_sys.argv[3], _g_os.getcwd(), _g_os.environ.get({DATA_DIR_ENV!r}))
del _g_os, _g_sys
"""

# What the isolation probe runs instead of the main loop: what this host grants, as one JSON line.
PROBE = """
import json, socket
network = install_network_filter()
try:
    socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
    network = network or "a socket could still be opened"
except PermissionError:
    pass
abi = landlock_abi()
files = install_file_filter(["/usr"], [])
print(json.dumps({"network": network, "files": files, "landlock_abi": abi}))
"""


def _modules(*names: str) -> str:
    return "\n\n".join((HERE / f"{name}.py").read_text() for name in names)


def _memory_hooks() -> str:
    """The kit's ``memory_hooks.py`` (standard library only): lean Keras import, memory release."""
    return (PACKAGE_DIR / "memory_hooks.py").read_text()


def _joined(*parts: str) -> str:
    text = "\n".join(parts)
    return "\n".join(line for line in text.splitlines() if not line.startswith("from __future__")) + "\n"


def child_program(memory_bytes: int, cpu_seconds: int, file_bytes: int) -> str:
    """The student's process: limits, guards, codec, memory hooks, then the main loop (``main.py``)."""
    limits = LIMITS.format(memory=memory_bytes, cpu=cpu_seconds, fsize=file_bytes)
    return _joined(limits, _modules("netguard", "fsguard"), GUARD_CALLS, _modules("codec"), _memory_hooks(),
                   _modules("main"))


def probe_program() -> str:
    """The isolation probe: the guards' definitions, then ``PROBE``."""
    return _joined(_modules("netguard", "fsguard"), PROBE)
