"""The one place that assembles the text the sandboxed child runs (``python -I -c TEXT``).

The child cannot import the kit (its import path holds only the student's files), so each of
its programs is pasted together from the self-contained modules of this folder (and the kit's
``memory_hooks.py``), in an order
that matters: the resource limits first, then the definitions of the guards and of the first
steps (``enter.py``), the calls that take the process into its own temporary space and to the
sandbox user, the calls that put the guards on it (before numpy or the student's module is
imported), then the codec, then the main loop. Runs in whichever process starts a child: the
judge (``judge/student_process.py``) and the supervisor's isolation probe (``isolation/privileges.py``).
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

# While the child still runs as the judge's user: its own temporary space (the grading's folders
# beneath bound back: the interpreter, the import root and the data read-only, the scratch directory
# writable), then the sandbox user, then a life bound to the judge's. argv of the child: -c,
# request fd, reply fd, import root, module; its working directory is its scratch directory.
ENTER_CALLS = """
import os as _e_os, sys as _e_sys
DL3_TEMP_DIRS, DL3_TEMP_WHY = private_temp_space(
    python_paths() + [_e_sys.argv[3], _e_os.environ.get({data_env!r}) or ""], [_e_os.getcwd()], {temp_mb})
_e_user = {user!r}
if _e_user is not None:
    try:
        become_user(*_e_user)
    except OSError as _e_exc:
        _e_os.write(2, ("dl3 sandbox: could not run as the sandbox user: " + str(_e_exc) + "\\n").encode())
        _e_os._exit(70)
die_with_parent({parent})
del _e_os, _e_sys, _e_user
"""

# After the guards' definitions: both filters before the codec (numpy) and the student's module
# are imported.
GUARD_CALLS = f"""
import os as _g_os, sys as _g_sys
_network_guard = install_network_filter()
_file_guard = student_file_filter(_g_sys.argv[3], _g_os.getcwd(), _g_os.environ.get({DATA_DIR_ENV!r}),
                                  DL3_TEMP_DIRS)
del _g_os, _g_sys
"""

# What the isolation probe runs instead of the main loop: what this host grants, as one JSON line.
PROBE = """
import json, socket
temp, temp_why = private_temp_space([], [], 1)
user = {user!r}
if user is not None:
    become_user(*user)
network = install_network_filter()
try:
    socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
    network = network or "a socket could still be opened"
except PermissionError:
    pass
abi = landlock_abi()
files = install_file_filter(["/usr"], [])
print(json.dumps({{"network": network, "files": files, "landlock_abi": abi, "temp": temp, "temp_why": temp_why}}))
"""


def _modules(*names: str) -> str:
    return "\n\n".join((HERE / f"{name}.py").read_text() for name in names)


def memory_hooks_text() -> str:
    """The kit's ``memory_hooks.py`` (standard library only): lean Keras import, memory release."""
    return (PACKAGE_DIR / "memory_hooks.py").read_text()


def joined_text(*parts: str) -> str:
    """Program parts as one text (``from __future__`` lines dropped: they may only open a file)."""
    text = "\n".join(parts)
    return "\n".join(line for line in text.splitlines() if not line.startswith("from __future__")) + "\n"


def child_program(memory_bytes: int, cpu_seconds: int, file_bytes: int, temp_mb: int,
                  user: tuple[int, int] | None, parent: int) -> str:
    """The student's process: limits, its own temporary space, the sandbox user (``(uid, gid)``; None: stay
    the judge's user), a life bound to ``parent``'s, the guards, the codec, then the main loop (``main.py``)."""
    limits = LIMITS.format(memory=memory_bytes, cpu=cpu_seconds, fsize=file_bytes)
    enter = ENTER_CALLS.format(data_env=DATA_DIR_ENV, temp_mb=int(temp_mb), user=user, parent=int(parent))
    return joined_text(limits, _modules("netguard", "fsguard", "enter"), enter, GUARD_CALLS, _modules("codec"),
                   memory_hooks_text(), _modules("main"))


def probe_program(user: tuple[int, int] | None) -> str:
    """The isolation probe: the guards' definitions, then ``PROBE`` (as ``user`` after the temporary space)."""
    return joined_text(_modules("netguard", "fsguard", "enter"), PROBE.format(user=user))
