"""Sandbox users: student code never runs as the grader's user when the grader is root.

- A pool of real user-database entries, ``dl3-sandbox-0`` … ``dl3-sandbox-N`` (created with
  ``useradd --system`` when missing; ``getpass.getuser()`` works in student code). Each
  grading run leases one with an exclusive ``flock`` on its lock file, so concurrent
  gradings on one host — a batch's workers, or separate ``grade`` commands — always run
  under different uids: one student's code can neither read another's files nor signal
  another's processes, and none can signal the grader's (root's) processes.
- The Python that runs student code must be executable by that user. Where it is not
  (a pyenv under ``/root``, mode 700), ``sandbox_python`` builds a grader-managed copy of
  the interpreter's prefix (hard links where the file system allows, else copies; the
  base installation's own ``site-packages`` and test suite left out) in a world-readable
  directory, with ``site-packages`` pointing at the running environment's packages, and
  checks that the user can import numpy with it; when that fails too it refuses with a
  message saying what to change.
- A grader that is not root cannot switch users: it grades only with an explicit opt-in
  (``--allow-same-user``), and the results' metadata records the weaker setting
  (``privileges.probe_isolation``).
- ``private_dir`` gives a directory to one sandbox user (owner, mode 0700); ``readable_dir`` lends
  one to it to read only (owner root, the user's group, 0750);
  ``protect_grader_paths`` makes what only the grader reads (hidden tests, solutions, the
  notebooks' sources, the repository's history) unreadable to other users.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from autograder.config import sandbox_state_dir

USER_PREFIX = "dl3-sandbox-"
POOL_SIZE = 32                                  # most concurrent gradings on one host
STATE_DIR = sandbox_state_dir()
NOLOGIN = "/usr/sbin/nologin"
# What only the grader reads, relative to the kit's root: made unreadable to other users.
GRADER_ONLY_PATHS = ("hidden_tests", "solutions", "source", ".git")


class IsolationError(Exception):
    """Student code cannot be isolated as required: one message saying what to change."""


def grader_is_root() -> bool:
    return os.geteuid() == 0


def require_isolation(allow_same_user: bool) -> None:
    """Refuse to grade as a non-root user unless the instructor opted in to the weaker isolation."""
    if grader_is_root() or allow_same_user:
        return
    me = pwd.getpwuid(os.geteuid()).pw_name
    raise IsolationError(
        f"the grader runs as {me!r}, not root, so student code would run as {me!r} too and could read and "
        f"change everything {me!r} can (other submissions, results, hidden tests). Run the grader as root "
        f"(student code then runs as {USER_PREFIX}N users), or pass --allow-same-user to accept the weaker "
        f"isolation (the results' metadata records it)")


# --------------------------------------------------------------------------
# The user pool


def _user_name(index: int) -> str:
    return f"{USER_PREFIX}{index}"


def _lock_dir() -> Path:
    path = STATE_DIR / "locks"
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(STATE_DIR, 0o755)
    os.chmod(path, 0o700)
    return path


def ensure_user(name: str) -> pwd.struct_passwd:
    """The user-database entry ``name``, created (system user, own group, no home, no login) if missing."""
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(name)
    if not grader_is_root():
        raise IsolationError(f"the sandbox user {name!r} does not exist and only root can create it")
    with open(_lock_dir() / "useradd.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)        # useradd refuses to run beside another useradd
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
        shell = NOLOGIN if Path(NOLOGIN).exists() else "/bin/false"
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        done = subprocess.run([useradd, "--system", "--no-create-home", "--home-dir", "/nonexistent",
                               "--shell", shell, "--user-group", name], capture_output=True, text=True)
        if done.returncode != 0:
            raise IsolationError(f"could not create the sandbox user {name!r} with useradd: "
                                 f"{(done.stderr or done.stdout).strip()[:300]}")
    return pwd.getpwnam(name)


@contextlib.contextmanager
def lease_user(pool_size: int = POOL_SIZE) -> Iterator[pwd.struct_passwd]:
    """A sandbox user no other grading on this host holds while the block runs (root only)."""
    locks = _lock_dir()
    for index in range(pool_size):
        handle = open(locks / f"{_user_name(index)}.lock", "w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        try:
            yield ensure_user(_user_name(index))
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
        return
    raise IsolationError(f"all {pool_size} sandbox users are busy: more than {pool_size} gradings run on this "
                         f"host at once; run fewer at a time")


# --------------------------------------------------------------------------
# A Python the sandbox user can run


@dataclass(frozen=True)
class SandboxPython:
    """The interpreter a sandbox user runs, and the environment it needs (``LD_LIBRARY_PATH``)."""

    executable: str
    env: dict

    def command(self) -> list[str]:
        return [self.executable]


def can_run_python(user: pwd.struct_passwd, python: SandboxPython, probe: str = "import numpy") -> bool:
    """Whether ``user`` can start ``python`` and run ``probe`` (in ``/``, with nothing of the grader's)."""
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **python.env}
    try:
        done = subprocess.run([python.executable, "-I", "-c", probe], cwd="/", capture_output=True, timeout=120,
                              env=env, user=user.pw_uid, group=user.pw_gid, extra_groups=[])
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def _site_packages() -> Path:
    return Path(sysconfig.get_paths()["purelib"]).resolve()


def _managed_dir() -> Path:
    tag = hashlib.sha256(f"{sys.base_prefix}|{sys.prefix}|{sys.version}".encode()).hexdigest()[:12]
    return STATE_DIR / "python" / tag


def _link_tree(src: Path, dest: Path, skip: set[Path]) -> None:
    """``dest`` mirrors ``src``: hard links where possible (same file system), else copies; readable by all."""
    for folder, dirs, files in os.walk(src):
        here = Path(folder)
        dirs[:] = [d for d in dirs if (here / d) not in skip and d != "__pycache__"]
        target = dest / here.relative_to(src)
        target.mkdir(parents=True, exist_ok=True)
        os.chmod(target, 0o755)
        for name in files:
            source, copy = here / name, target / name
            if source.is_symlink():
                os.symlink(os.readlink(source), copy)
                continue
            try:
                os.link(source, copy)
            except OSError:
                shutil.copy2(source, copy)
            mode = os.stat(copy).st_mode
            if mode & 0o444 != 0o444 or (mode & 0o100 and mode & 0o011 != 0o011):
                if os.stat(copy).st_nlink > 1:   # never change the original's mode through a hard link
                    os.unlink(copy)
                    shutil.copy2(source, copy)
                os.chmod(copy, (mode | 0o444 | (0o111 if mode & 0o100 else 0)) & 0o7777)


def build_managed_python() -> SandboxPython:
    """A world-readable copy of this interpreter's prefix that uses this environment's packages.

    ``<state>/python/<tag>/`` holds ``bin/``, ``lib/`` (the shared libpython and the standard
    library) and ``include/`` of ``sys.base_prefix``, without the base installation's own
    ``site-packages`` and test suite; its ``site-packages`` is a symbolic link to the running
    environment's (which must be readable by others). Built once, atomically, and reused.
    """
    managed = _managed_dir()
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    python = SandboxPython(str(managed / "bin" / version), {"LD_LIBRARY_PATH": str(managed / "lib")})
    if (managed / ".complete").is_file():
        return python
    managed.parent.mkdir(parents=True, exist_ok=True)
    for path in (STATE_DIR, managed.parent):
        os.chmod(path, 0o755)
    with open(_lock_dir() / "python.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (managed / ".complete").is_file():
            return python
        base = Path(sys.base_prefix).resolve()
        stdlib = base / "lib" / version
        building = Path(tempfile.mkdtemp(prefix=".building-", dir=managed.parent))
        try:
            for part in ("bin", "lib", "include"):
                if (base / part).is_dir():
                    _link_tree(base / part, building / part, {stdlib / "site-packages", stdlib / "test"})
            site = building / "lib" / version / "site-packages"
            if site.exists() or site.is_symlink():
                shutil.rmtree(site) if site.is_dir() and not site.is_symlink() else site.unlink()
            os.symlink(_site_packages(), site)
            (building / ".complete").write_text(f"{sys.base_prefix}\n{sys.prefix}\n")
            os.chmod(building, 0o755)
            shutil.rmtree(managed, ignore_errors=True)
            os.rename(building, managed)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
    return python


def sandbox_python(user: pwd.struct_passwd) -> SandboxPython:
    """The interpreter ``user`` runs student code with: this one if it can, else a managed copy; else refuse."""
    current = SandboxPython(sys.executable, {})
    if can_run_python(user, current):
        return current
    managed = build_managed_python()
    if can_run_python(user, managed):
        return managed
    raise IsolationError(
        f"the sandbox user {user.pw_name!r} cannot run {sys.executable} (under {sys.base_prefix}) nor the "
        f"grader's copy of it in {_managed_dir()}: make the Python installation and its packages "
        f"({_site_packages()}) readable by all users (for example a Python under /usr/local or /opt, "
        f"a virtual environment outside /root), or pass --allow-same-user to run student code as the grader")


# --------------------------------------------------------------------------
# Files


def private_dir(path: Path, user: pwd.struct_passwd | None) -> None:
    """``path`` (and everything in it) belongs to ``user`` alone: owner ``user``, directories 0700.

    With ``user`` None (same-user grading) the modes still keep other users out.
    """
    path = Path(path)
    for item in [path, *path.rglob("*")]:
        if item.is_symlink():
            continue
        if user is not None:
            os.chown(item, user.pw_uid, user.pw_gid)
        os.chmod(item, 0o700 if item.is_dir() else 0o600)


def readable_dir(path: Path, user: pwd.struct_passwd) -> None:
    """``path`` (and everything in it) readable by ``user`` and no other user, writable by root only."""
    path = Path(path)
    for item in [path, *path.rglob("*")]:
        if item.is_symlink():
            continue
        os.chown(item, 0, user.pw_gid)
        os.chmod(item, 0o750 if item.is_dir() else 0o640)


def protect_grader_paths(kit_root: Path, extra: tuple[Path, ...] = ()) -> list[Path]:
    """Make the kit's grader-only folders (hidden tests, solutions, ...) and ``extra`` unreadable to others.

    Directories only lose their "other" and "group" bits (0700): the grader (root, their owner)
    reads them as before, and git keeps no directory modes. Returns what was changed.
    """
    changed = []
    for path in [Path(kit_root) / name for name in GRADER_ONLY_PATHS] + [Path(p) for p in extra]:
        with contextlib.suppress(FileNotFoundError):
            mode = path.stat().st_mode & 0o7777
            if mode & 0o077:
                os.chmod(path, mode & 0o700)
                changed.append(path)
    return changed


def readable_by(user: pwd.struct_passwd, path: Path) -> bool:
    """Whether ``user`` could open ``path`` for reading (a real try, as that user)."""
    done = subprocess.run(["/bin/cat", "--", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          user=user.pw_uid, group=user.pw_gid, extra_groups=[], cwd="/")
    return done.returncode == 0
