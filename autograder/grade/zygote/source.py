"""The text the zygote runs (``python -I -c TEXT``): ``memory_hooks.py`` (the lean Keras import), then
``server.py``. Runs in the supervisor, which starts the zygote (``grade/forks.py``)."""

from __future__ import annotations

from pathlib import Path

from autograder.config import ZYGOTE_FD_ENV
from autograder.grade.child.source import joined_text, memory_hooks_text

HERE = Path(__file__).resolve().parent


def zygote_program() -> str:
    return joined_text(memory_hooks_text(), f"_zygote_FD_ENV = {ZYGOTE_FD_ENV!r}", (HERE / "server.py").read_text())
