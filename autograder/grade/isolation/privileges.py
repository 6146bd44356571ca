"""Whose uid the student's code runs as, with which Python, and what it may reach.

The engine's side of the isolation (see docs/isolation.md for what each setup gets):

- ``sandbox_user(name)``: when the judge is root, the user the student's code runs as
  (the grading run's leased ``dl3-sandbox-N``, see ``users.py``); never the judge's own
  uid: a user that cannot run Python gets a grader-managed copy of the interpreter, and
  where even that fails ``IsolationError`` says what to change. None when not root.
- ``student_python``/``give_to``: the interpreter the student's process runs and the directories
  only its user can read (the child takes on that user itself: ``child/enter.py``);
  ``spawn_options``: ``Popen`` arguments that start a helper process as a user.
- ``probe_isolation``: what this host grants (seccomp, Landlock), found by a real child
  as the sandbox user, for the results' metadata and the instructor's log.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import pwd
import subprocess
from pathlib import Path
from typing import Iterator

from autograder.config import allow_same_user as config_allows_same_user
from autograder.grade.child.source import probe_program
from autograder.grade.processes import kill_processes_of
from autograder.grade.isolation.users import (IsolationError, SandboxPython, grader_is_root, private_dir,
                                              readable_dir, sandbox_python)

__all__ = ["IsolationError", "sandbox_user", "spawn_options", "student_python", "give_to",
           "probe_isolation"]

def sandbox_user(name: str | None, check_python: bool = True) -> pwd.struct_passwd | None:
    """The user the student's code runs as, or None (the judge is not root, or no user is asked for).

    Raises ``IsolationError`` when the user does not exist or cannot be given a Python it can run
    (``check_python=False``: a judge forked by the zygote, which runs that Python already):
    a root judge never falls back to running student code as itself.
    """
    if not grader_is_root() or not name:
        return None
    try:
        user = pwd.getpwnam(name)
    except KeyError:
        raise IsolationError(f"the sandbox user {name!r} does not exist (create it, or let the grader "
                             f"lease one of its dl3-sandbox-N users)") from None
    if user.pw_uid == 0:
        raise IsolationError(f"the sandbox user {name!r} is root: student code would run with every privilege")
    if check_python:
        student_python(user)
    return user


@functools.lru_cache(maxsize=None)
def _python_for_uid(uid: int) -> SandboxPython:
    return sandbox_python(pwd.getpwuid(uid))


def student_python(user: pwd.struct_passwd | None) -> SandboxPython:
    """The interpreter (and the environment it needs) the student's process runs with."""
    import sys

    if user is None:   # this interpreter, with the library path it may need (a managed copy does)
        library_path = os.environ.get("LD_LIBRARY_PATH")
        return SandboxPython(sys.executable, {"LD_LIBRARY_PATH": library_path} if library_path else {})
    return _python_for_uid(user.pw_uid)


def spawn_options(user: pwd.struct_passwd | None) -> dict:
    """``subprocess.Popen`` keyword arguments that start a process as ``user``."""
    if user is None:
        return {}
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


def give_to(user: pwd.struct_passwd | None, *paths, writable: bool = True) -> None:
    """Make ``paths`` (the student's import root and scratch directories) ``user``'s alone (0700).

    ``writable=False``: ``user`` may read them and not write them (owner root, ``user``'s group, 0750);
    for the grader's own user (same-user grading) that makes no difference, they stay 0700.
    """
    for path in paths:
        if writable or user is None:
            private_dir(Path(path), user)
        else:
            readable_dir(Path(path), user)


def probe_isolation(user: pwd.struct_passwd | None) -> dict:
    """What this host grants a student process: ``{"network": ..., "files": ...}`` in words, by a real try."""
    python = student_python(user)
    # Started as the student process is: as the grader, taking on the sandbox user itself (child/enter.py).
    source = probe_program((user.pw_uid, user.pw_gid) if user else None)
    try:
        done = subprocess.run([python.executable, "-I", "-c", source], capture_output=True, text=True, timeout=60,
                              cwd="/", env={"PATH": "/usr/bin:/bin", **python.env})
        found = json.loads(done.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError) as exc:
        found = {"network": f"the probe failed ({exc})", "files": "the probe failed", "landlock_abi": 0,
                 "temp": [], "temp_why": "the probe failed"}
    me = pwd.getpwuid(os.geteuid()).pw_name
    return {
        "user": user.pw_name if user else f"{me} (the grader's own user: weaker isolation)",
        "uid": user.pw_uid if user else os.geteuid(),
        "separate_user": user is not None,
        "python": python.executable,
        "network": "blocked (seccomp filter)" if found["network"] is None else f"OFF: {found['network']}",
        "files": ("own files only (Landlock ABI {}{})".format(found.get("landlock_abi"),
                                                             " + a separate user" if user else "")
                  if found["files"] is None else
                  (f"a separate user and permissions (Landlock: {found['files']})" if user else
                   f"OFF: same user as the grader, no Landlock ({found['files']})")),
        "temporary": _temporary_space(found),
    }


def _temporary_space(found: dict) -> str:
    """What the student's processes get of /tmp, /var/tmp, /dev/shm, in words (docs/isolation.md)."""
    if found.get("temp"):
        return f"private: a tmpfs of its own on {', '.join(found['temp'])} for each student process"
    why = found.get("temp_why") or "unknown"
    if found.get("files") is None:
        return (f"closed: student code can neither read nor write /tmp, /var/tmp, /dev/shm, so multiprocessing's "
                f"locks fail (no private mount: {why})")
    return f"OFF: /tmp, /var/tmp and /dev/shm are shared and writable (no private mount: {why}; no Landlock)"


def isolation_warnings(isolation: dict) -> list[str]:
    """Lines for the instructor's log when the isolation is weaker than the full setting."""
    lines = []
    if str(isolation.get("network", "")).startswith("OFF"):
        lines.append(f"dl3 grader: network isolation was OFF for student code — {isolation['network'][5:]}")
    if not isolation.get("separate_user"):
        lines.append("dl3 grader: student code ran as the grader's own user (--allow-same-user)")
    if str(isolation.get("files", "")).startswith("OFF"):
        lines.append(f"dl3 grader: file isolation was OFF — {isolation['files'][5:]}")
    temporary = str(isolation.get("temporary", ""))
    if temporary.startswith("OFF"):
        lines.append(f"dl3 grader: temporary space was shared between student processes — {temporary[5:]}")
    elif temporary.startswith("closed"):
        lines.append(f"dl3 grader: no private temporary space — {temporary[8:]}")
    return lines


@contextlib.contextmanager
def isolated_run(allow_same_user: bool = False, kit_root: Path | None = None) -> Iterator[tuple[str | None, dict]]:
    """The isolation of one grading run: ``(sandbox user name or None, what it gets, for the metadata)``.

    As root: leases a ``dl3-sandbox-N`` user for the whole run (held until the block ends, so no
    concurrent grading on this host gets the same uid), makes sure it can run Python, makes the
    kit's grader-only folders unreadable to others. Not root: only with ``allow_same_user`` (or
    ``$DL3_ALLOW_SAME_USER=1``), else ``IsolationError``.
    """
    from autograder.grade.isolation.users import lease_user, protect_grader_paths, require_isolation

    allow = allow_same_user or config_allows_same_user()
    require_isolation(allow)
    if not grader_is_root():
        yield None, probe_isolation(None)
        return
    with lease_user() as user:
        kill_processes_of(user.pw_uid)   # left by a grading that was killed: no grading holds this user now
        student_python(user)
        if kit_root is not None:
            protect_grader_paths(kit_root)
        yield user.pw_name, probe_isolation(user)
