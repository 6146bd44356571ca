"""A hook between the checks and the grader: "the judge is about to need its memory".

``checks/training.py`` calls ``heavy_work_starts()`` before it trains a model. In a small
box the sandbox (``grade/manager.py``) registers a callback that stops the idle student
process, so the judge's training and the student's TensorFlow never hold memory at once.
In-process runs register nothing, and the call does nothing.
"""

from __future__ import annotations

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
