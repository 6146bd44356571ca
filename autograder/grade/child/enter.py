"""The student process's first steps, while it still runs as the judge's user: its own temporary space,
then the sandbox user, then a life no longer than the judge's.

Self-contained like ``netguard.py`` and ``fsguard.py`` (standard library only, no kit imports,
private names prefixed ``_enter_``): ``child/source.py`` pastes its text into the child's
program, after the resource limits and before the guards and the student's module.

- ``private_temp_space``: as root (``CAP_SYS_ADMIN``), the process moves to a mount namespace
  and an IPC namespace of its own (every mount made private first, so nothing propagates back
  to the host) and mounts a fresh tmpfs of ``size_mb`` on each shared temporary directory
  (``TEMP_DIRS``): what it writes there, only its own process tree sees, and it is gone when that
  tree ends; ``multiprocessing`` and ``joblib`` work as usual. The folders of the grading that lie
  beneath (its import root, scratch directory, data, interpreter) are bound back at their
  paths, read-only but for ``writable``. Where it cannot (not root; root without
  ``CAP_SYS_ADMIN``, as in Gradescope's container) it changes nothing and says why: the file
  filter (``fsguard.py``) then denies writing those directories.
- ``become_user``: the sandbox user for good (all three uids and gids, no supplementary group);
  any step that fails ends the process before student code runs.
- ``die_with_parent``: the kernel kills the process when the judge's thread that started it
  ends (``PR_SET_PDEATHSIG``; set after the switch of user, which clears it).
"""

import ctypes
import os
import signal

TEMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")

_enter_CLONE_NEWNS, _enter_CLONE_NEWIPC = 0x00020000, 0x08000000
_enter_MS_RDONLY, _enter_MS_NOSUID, _enter_MS_NODEV = 1, 2, 4
_enter_MS_REMOUNT, _enter_MS_BIND, _enter_MS_REC, _enter_MS_PRIVATE = 32, 4096, 16384, 1 << 18
_enter_MNT_DETACH = 2
_enter_PR_SET_PDEATHSIG, _enter_PR_SET_DUMPABLE = 1, 4
_enter_O_PATH = getattr(os, "O_PATH", 0o10000000)


def _enter_libc():
    return ctypes.CDLL(None, use_errno=True)


def _enter_call(result, what):
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")


def _enter_beneath(path, folder):
    """Strictly beneath: a whole temporary directory is never bound back over its private tmpfs."""
    return path.startswith(folder.rstrip("/") + "/")


def _enter_bind_back(libc, path, fd, read_only):
    """Mount the folder or file open as ``fd`` (from before the tmpfs hid it) at ``path`` again."""
    if os.path.isdir(f"/proc/self/fd/{fd}"):
        os.makedirs(path, mode=0o711, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(path), mode=0o711, exist_ok=True)
        open(path, "a").close()
    _enter_call(libc.mount(f"/proc/self/fd/{fd}".encode(), path.encode(), None,
                           _enter_MS_BIND | _enter_MS_REC, None), f"bind {path}")
    if read_only:
        flags = _enter_MS_REMOUNT | _enter_MS_BIND | _enter_MS_RDONLY | _enter_MS_NOSUID | _enter_MS_NODEV
        _enter_call(libc.mount(None, path.encode(), None, flags, None), f"read-only {path}")


def private_temp_space(readable, writable, size_mb):
    """Own tmpfs mounts on ``TEMP_DIRS``, ``readable``/``writable`` paths beneath them bound back.

    Returns ``(the private directories, None)``, or ``([], why not)`` with nothing changed.
    """
    if os.geteuid() != 0:
        return [], "the grader is not root; a private mount needs CAP_SYS_ADMIN"
    libc = _enter_libc()
    try:
        _enter_call(libc.unshare(_enter_CLONE_NEWNS | _enter_CLONE_NEWIPC), "unshare(CLONE_NEWNS)")
    except OSError as exc:
        return [], f"{exc.strerror}; no CAP_SYS_ADMIN here"
    targets = []
    for folder in TEMP_DIRS:
        real = os.path.realpath(folder)
        if os.path.isdir(real) and real not in targets:
            targets.append(real)
    keep = {}
    for path, read_only in [(p, True) for p in readable] + [(p, False) for p in writable]:
        real = os.path.realpath(path) if path else ""
        if real and os.path.exists(real) and any(_enter_beneath(real, t) for t in targets):
            keep[real] = keep.get(real, True) and read_only
    fds = {path: os.open(path, _enter_O_PATH | os.O_CLOEXEC) for path in keep}
    mounted = []
    try:
        _enter_call(libc.mount(b"none", b"/", None, _enter_MS_REC | _enter_MS_PRIVATE, None), "make / private")
        options = f"size={int(size_mb)}m,mode=1777".encode()
        for target in targets:
            _enter_call(libc.mount(b"tmpfs", target.encode(), b"tmpfs", _enter_MS_NOSUID | _enter_MS_NODEV, options),
                        f"tmpfs on {target}")
            mounted.append(target)
            for path in sorted(p for p in keep if _enter_beneath(p, target)):
                _enter_bind_back(libc, path, fds[path], keep[path])
        os.chdir(os.path.realpath(os.getcwd()))   # the working directory as this namespace shows it
    except OSError as exc:
        for target in reversed(mounted):
            libc.umount2(target.encode(), _enter_MNT_DETACH)
        return [], exc.strerror or str(exc)
    finally:
        for fd in fds.values():
            os.close(fd)
    return mounted, None


def become_user(uid, gid):
    """Run as ``uid``/``gid`` for good (real, effective and saved; no other group); OSError when not so."""
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.getresuid() != (uid, uid, uid) or os.getresgid() != (gid, gid, gid) or os.getgroups():
        raise OSError("the sandbox user's ids did not all take")
    try:
        os.setuid(0)
    except PermissionError:
        pass
    else:
        raise OSError("root could be regained after the switch")
    # Switching user made the process non-dumpable (its /proc files root's): it is the sandbox user's own.
    _enter_libc().prctl(_enter_PR_SET_DUMPABLE, 1, 0, 0, 0)


def die_with_parent(parent):
    """SIGKILL when the thread that started this process ends; at once if ``parent`` is already gone."""
    _enter_libc().prctl(_enter_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)
