"""A hook between the checks and the grader: "the judge is about to need its memory".

``checks/training.py`` calls ``heavy_work_starts()`` before it trains a model. In a small
box the sandbox (``grade/judge/manager.py``) registers a callback that stops the idle student
process, so the judge's training and the student's TensorFlow never hold memory at once.
In-process runs register nothing, and the call does nothing.

Self-contained (standard library only): the sandboxed child's program includes this file's text
(``grade/child/source.py``) for the lean Keras import and the memory release.
"""

from __future__ import annotations

import ctypes
import gc
from typing import Callable

_CALLBACKS: list[Callable[[], None]] = []


def before_heavy_work(callback: Callable[[], None]) -> None:
    """Run ``callback`` whenever heavy work is about to start."""
    _CALLBACKS.append(callback)


def forget(callback: Callable[[], None]) -> None:
    if callback in _CALLBACKS:
        _CALLBACKS.remove(callback)


def heavy_work_starts() -> None:
    for callback in list(_CALLBACKS):
        callback()


# Packages Keras imports at start-up only for optional features (plots, image files, pandas
# frames, scikit-learn wrappers) the checks never use: about 75 MB of a small box's memory.
KERAS_OPTIONAL = ("sklearn", "matplotlib", "IPython", "pandas", "PIL")


class _Without:
    """An import hook under which the KERAS_OPTIONAL packages are not there (while Keras starts)."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in KERAS_OPTIONAL:
            raise ModuleNotFoundError(f"{name} is not loaded while Keras starts", name=name)
        return None


def import_keras_lean() -> None:
    """Import Keras now, without its optional packages (later imports of them still work)."""
    import sys

    if "keras" in sys.modules:
        return
    hook = _Without()
    sys.meta_path.insert(0, hook)
    try:
        import keras  # noqa: F401
    finally:
        sys.meta_path.remove(hook)


def release_memory() -> None:
    """Collect garbage and hand freed heap back to the OS (glibc's malloc_trim, where there is one)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
