"""The kit's layout, its environment variables and its defaults, in one place that every module asks.

Layout: where the kit's folders are; whether it runs from the full repo (instructor, grader) or
from a student bundle (no grading modules, no ``solutions/``, no ``hidden_tests/``).

Environment variables (each name is spelled here only; code that cannot import the kit — the
Gradescope shell scripts, the sandboxed child's pasted source — gets the names when it is
generated):

| variable | read by | meaning |
| --- | --- | --- |
| ``DL3_DATA_DIR`` | data layer, grader | the offline data directory |
| ``DL3_KERAS_ORIGIN`` | data layer | a mirror of Keras' dataset storage |
| ``DL3_TARGET`` | pytest plugin | whose code the tests grade (``exercises``, ``solutions``, a folder) |
| ``DL3_SANDBOX_LIMITS`` | judge | the sandbox's limits and plan, as JSON (the grader sets it) |
| ``DL3_LEAN_KERAS`` | judge | import Keras without its optional packages first (the grader sets it in small boxes) |
| ``DL3_ALLOW_SAME_USER`` | grader (isolation) | ``1``: a non-root grader grades anyway, student code as itself (``--allow-same-user``) |
| ``DL3_SANDBOX_STATE`` | grader (isolation) | where the sandbox users' locks and the managed Python live (default ``/var/lib/dl3-sandbox``) |
| ``DL3_GRADE_ARGS`` | Gradescope's ``run_autograder`` | extra ``grade`` options (shell only) |
| ``DL3_PYTHON`` | Gradescope's ``run_autograder`` | the interpreter that grades (default: the bundle's venv; tests) |
| ``DL3_SETUP_NO_INSTALL``, ``DL3_SETUP_DRY_RUN`` | Gradescope's ``setup.sh`` | ``1``: install no Python / stop after picking one (tests) |
| ``DL3_SUPERVISOR_PID`` | judge (``judge/lifetime.py``) | the ``grade`` process that started it: the judge ends when it does (the grader sets it) |
| ``DL3_WARM_START`` | grader (``grade/supervisor/runner.py``) | ``0``: start every judge and student process as a fresh interpreter instead of forking it from the grading's zygote (default ``1``) |
| ``DL3_ZYGOTE_FD`` | judge (``grade/forks.py``) | ``FD:PID``: the socket of the zygote that forks this judge's student processes (its zygote sets it) |
| ``DL3_DECODED_DATA`` | the dataset loaders (``datasets.py``) | the grading's folder of decoded dataset files, which its data decoder writes and its judges read (the grader sets it: its own folder) |
| ``DL3_NBGRADER_UNSANDBOXED`` | the course's ``nbgrader_config.py`` (``nbgrader_autograde/guard.py``) | ``1``: ``nbgrader autograde`` runs students' code as the instructor, unsandboxed (the kit's tests that compare routes; docs/batch.md) |
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
KIT_ROOT = PACKAGE_DIR.parent
HIDDEN_TESTS_DIR = KIT_ROOT / "hidden_tests"
HIDDEN_SPECS = HIDDEN_TESTS_DIR / "hidden_specs.py"   # grader-only: absent from what students receive
VISIBLE_TESTS_PACKAGED = PACKAGE_DIR / "visible_tests"   # package data of a student's install

DATA_DIR_ENV = "DL3_DATA_DIR"
KERAS_ORIGIN_ENV = "DL3_KERAS_ORIGIN"
TARGET_ENV = "DL3_TARGET"
LIMITS_ENV = "DL3_SANDBOX_LIMITS"
LEAN_KERAS_ENV = "DL3_LEAN_KERAS"
ALLOW_SAME_USER_ENV = "DL3_ALLOW_SAME_USER"
SANDBOX_STATE_ENV = "DL3_SANDBOX_STATE"
GRADE_ARGS_ENV = "DL3_GRADE_ARGS"
PYTHON_ENV = "DL3_PYTHON"
SETUP_NO_INSTALL_ENV = "DL3_SETUP_NO_INSTALL"
SETUP_DRY_RUN_ENV = "DL3_SETUP_DRY_RUN"
SUPERVISOR_PID_ENV = "DL3_SUPERVISOR_PID"
DECODED_DATA_ENV = "DL3_DECODED_DATA"
WARM_START_ENV = "DL3_WARM_START"
ZYGOTE_FD_ENV = "DL3_ZYGOTE_FD"
NBGRADER_UNSANDBOXED_ENV = "DL3_NBGRADER_UNSANDBOXED"

# Grading defaults (the CLI, the grading options and the batch all take these).
TIME_LIMIT_S = 60.0        # CPU seconds of the student's code per test, and for its import
MEMORY_MB = 2048           # resident memory of the student's processes (a small box lowers it)
TEST_TIMEOUT_S = 1800.0    # the grader's own cap per test, training included
TOTAL_TIMEOUT_S = 7200.0   # the whole grading run of one submission
BATCH_TIMEOUT_S = 3600.0   # one submission's grading inside grade-batch
GRADESCOPE_TOTAL_TIMEOUT_S = 540.0   # the whole run inside Gradescope's default 600 s
# glibc's allocator in every process of a grading in a small box (the plan's ``lean_allocator``). By default each of
# TensorFlow's threads may get a heap of its own, and once a large tensor is freed the mmap threshold rises, so later
# large tensors come from those heaps and stay there. Training regularization's original and bigger models in one
# process (2-core machine, 2026-12-07) peaked at 783-883 MB of anonymous memory and kept 529-594 MB afterwards; with
# these settings 515 MB and 317 MB, for the same CPU time (16.2 vs 16.4 CPU-s) — and without them the warm start did
# not fit in Gradescope's 768 MB box. Not on a roomy machine: two gradings side by side (four judges on two cores)
# took 9-31 % longer with them (benchmarks/bench_batch_complete.txt). The allocator never changes a result.
SMALL_BOX_MALLOC_ENV = {"MALLOC_ARENA_MAX": "2", "MALLOC_MMAP_THRESHOLD_": str(4 << 20),
                        "MALLOC_TRIM_THRESHOLD_": str(32 << 20)}
ZYGOTE_READY_TIMEOUT_S = 180.0   # the zygote's imports (Keras at half a CPU: about 20 s); later, a fresh start
DECODER_TIMEOUT_S = 60.0   # how long the first judge waits for the data decoder after the zygote is ready
DEFAULT_SANDBOX_STATE = "/var/lib/dl3-sandbox"
# nbgrader-autograde's own results in a course: <course>/.dl3-autograde/<assignment>/<student>/
NBGRADER_GRADED_DIR = ".dl3-autograde"


def full_kit() -> bool:
    """Whether this is the course repo's kit (the student bundle ships without the grading modules)."""
    return (PACKAGE_DIR / "release.py").is_file() and (PACKAGE_DIR / "grade").is_dir()


def data_dir(explicit: str | os.PathLike | None = None) -> str | None:
    """The data directory to use: the explicit one, else ``$DL3_DATA_DIR``, else None (caches, download)."""
    if explicit:
        return str(explicit)
    return os.environ.get(DATA_DIR_ENV) or None


def keras_origin() -> str | None:
    """A mirror of Keras' dataset storage (``$DL3_KERAS_ORIGIN``), or None."""
    return os.environ.get(KERAS_ORIGIN_ENV) or None


def target() -> str | None:
    """Whose code the tests grade when ``--target`` is not given (``$DL3_TARGET``), or None."""
    return os.environ.get(TARGET_ENV) or None


def sandbox_limits() -> str | None:
    """The limits the grader gave this judge, as JSON text (``$DL3_SANDBOX_LIMITS``), or None."""
    return os.environ.get(LIMITS_ENV) or None


def lean_keras() -> bool:
    """Whether this judge imports Keras without its optional packages (``$DL3_LEAN_KERAS``)."""
    return bool(os.environ.get(LEAN_KERAS_ENV))


def allow_same_user() -> bool:
    """Whether a non-root grader may grade with student code as itself (``$DL3_ALLOW_SAME_USER=1``)."""
    return os.environ.get(ALLOW_SAME_USER_ENV) == "1"


def nbgrader_unsandboxed() -> bool:
    """Whether ``nbgrader autograde`` may run students' code as the instructor (``$DL3_NBGRADER_UNSANDBOXED=1``)."""
    return os.environ.get(NBGRADER_UNSANDBOXED_ENV) == "1"


def sandbox_state_dir() -> Path:
    """Where the sandbox users' locks and the managed Python live (``$DL3_SANDBOX_STATE``)."""
    return Path(os.environ.get(SANDBOX_STATE_ENV) or DEFAULT_SANDBOX_STATE)


def decoded_data_dir() -> Path | None:
    """The grading's decoded dataset files (``$DL3_DECODED_DATA``), or None outside a grading."""
    value = os.environ.get(DECODED_DATA_ENV)
    return Path(value) if value else None


def warm_start() -> tuple[bool, str]:
    """Whether a grading forks its processes from a zygote, and if not, why (``$DL3_WARM_START``, the backend).

    The zygote preloads Keras with the TensorFlow backend only; any other backend starts fresh.
    """
    if os.environ.get(WARM_START_ENV, "1").strip().lower() in ("0", "off", "no", "false"):
        return False, f"{WARM_START_ENV}={os.environ[WARM_START_ENV]}"
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend != "tensorflow":
        return False, f"KERAS_BACKEND={backend} (the warm start preloads the TensorFlow backend only)"
    return True, ""


def supervisor_pid() -> int | None:
    """The ``grade`` process that started this judge (``$DL3_SUPERVISOR_PID``), or None (a judge run by hand)."""
    value = os.environ.get(SUPERVISOR_PID_ENV, "")
    return int(value) if value.isdigit() else None
