"""The kit's layout and its environment variables, in one place that every module reads.

Layout: where the kit's folders are, whether it runs from the full repo (instructor,
grader) or from a student bundle (no ``solutions/``, no ``hidden_tests/``).

Environment variables (each name is spelled here only):

| variable | read by | meaning |
| --- | --- | --- |
| ``DL3_DATA_DIR`` | data layer, grader | the offline data directory |
| ``DL3_KERAS_ORIGIN`` | data layer | a mirror of Keras' dataset storage |
| ``DL3_TARGET`` | pytest plugin | whose code the tests grade (``exercises``, ``solutions``, a folder) |
| ``DL3_SANDBOX_LIMITS`` | judge | the sandbox's limits and plan, as JSON (the grader sets it) |
| ``DL3_LEAN_KERAS`` | judge | import Keras without its optional packages first (the grader sets it in small boxes) |
| ``DL3_GRADE_ARGS`` | Gradescope's ``run_autograder`` | extra ``grade`` options (shell only) |
| ``DL3_ALLOW_SAME_USER`` | grader (``privileges.py``) | ``1``: a non-root grader grades anyway, student code as itself (``--allow-same-user``) |
| ``DL3_SANDBOX_STATE`` | grader (``users.py``) | where the sandbox users' locks and the managed Python live (default ``/var/lib/dl3-sandbox``) |
| ``DL3_SUPERVISOR_PID`` | judge (``judge/lifetime.py``) | the ``grade`` process that started it: the judge ends when it does (the grader sets it) |
"""

from __future__ import annotations

import os
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent

DATA_DIR_ENV = "DL3_DATA_DIR"
KERAS_ORIGIN_ENV = "DL3_KERAS_ORIGIN"
TARGET_ENV = "DL3_TARGET"
LIMITS_ENV = "DL3_SANDBOX_LIMITS"
GRADE_ARGS_ENV = "DL3_GRADE_ARGS"
LEAN_KERAS_ENV = "DL3_LEAN_KERAS"
ALLOW_SAME_USER_ENV = "DL3_ALLOW_SAME_USER"
SANDBOX_STATE_ENV = "DL3_SANDBOX_STATE"
SUPERVISOR_PID_ENV = "DL3_SUPERVISOR_PID"


def kit_dir(name: str, root: Path | None = None) -> Path:
    """A top-level folder of the kit (``exercises``, ``solutions``, ``hidden_tests``, ...)."""
    return (root or KIT_ROOT) / name


def data_dir(explicit: str | os.PathLike | None = None) -> str | None:
    """The data directory to use: the explicit one, else ``$DL3_DATA_DIR``, else None (caches, download)."""
    if explicit:
        return str(explicit)
    return os.environ.get(DATA_DIR_ENV) or None


def target_from_env() -> str | None:
    return os.environ.get(TARGET_ENV) or None
