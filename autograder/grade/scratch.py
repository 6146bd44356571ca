"""The folders a grading makes in the temporary directory, and the sweep of those a killed grading left.

``owned_dir(prefix)`` makes one (``dl3-grade-…`` for ``grade``, ``dl3-batch-…`` for each of
``grade-batch``'s gradings) holding an ``.dl3-owner`` file that its maker keeps locked
(``flock``) for as long as it lives; the lock goes with the maker however it ends. At the
end the folder is removed; when its maker was killed first (SIGKILL, a machine lost),
``remove_stale`` — which every grading runs as it starts — finds the lock free and removes
it. A folder without that file is not one of these (or is being made right now): it is left
alone.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path
from typing import Iterator

OWNER = ".dl3-owner"
PREFIX = "dl3-"


def remove_tree(path: Path) -> None:
    """Remove ``path`` and everything in it, even folders a student's code made unreadable (under its uid)."""
    def loosen(function, name, error) -> None:
        for item in (os.path.dirname(name), name):
            with contextlib.suppress(OSError):
                if not os.path.islink(item):
                    os.chmod(item, stat.S_IRWXU)

    handler = {"onexc": loosen} if sys.version_info >= (3, 12) else {"onerror": loosen}
    for _ in range(5):   # each pass loosens what stopped the last one
        if not os.path.lexists(path):
            return
        shutil.rmtree(path, **handler)


@contextlib.contextmanager
def owned_dir(prefix: str, mode: int = 0o700, keep: bool = False, parent: Path | None = None) -> Iterator[Path]:
    """A new folder ``<parent>/<prefix>XXXX`` (default: in the temporary directory) owned by this process while
    the block runs; removed after it (unless ``keep``). The owner file appears only once locked, so a sweep never
    takes a folder being made."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    os.chmod(path, mode)
    lock = open(path / f"{OWNER}.new", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    os.rename(path / f"{OWNER}.new", path / OWNER)
    try:
        yield path
    finally:
        try:
            if keep:   # kept on purpose (debugging): no longer a folder the sweep may take
                (path / OWNER).unlink(missing_ok=True)
            else:
                remove_tree(path)
        finally:
            lock.close()


def remove_stale(parent: Path | None = None) -> list[Path]:
    """Remove the ``dl3-*`` folders of ``parent`` (default: the temporary directory) whose owner is gone."""
    removed = []
    for path in sorted(Path(parent or tempfile.gettempdir()).glob(f"{PREFIX}*")):
        try:
            if path.is_symlink() or not path.is_dir() or path.stat().st_uid != os.geteuid():
                continue
            handle = open(path / OWNER)
        except OSError:
            continue
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue   # its owner lives
            remove_tree(path)
            removed.append(path)
    return removed
