"""What a student's code may use while it is graded, and the reference's own cost of each check.

Time limits count the CPU time of the student's processes, not the wall clock: a slow
or busy machine (half a CPU, other work beside it) stretches the wall time of every
submission alike but leaves the CPU time of the same work nearly unchanged, so a
correct submission cannot run out of time because the box is small. A deadline
starts when the student's own work starts (the import of their module, or a call),
never when the grading run starts. Two backstops end code that does not compute:
a generous wall-clock limit (the CPU limit, stretched by the CPUs the box gives),
and an idle limit (a call that used almost no CPU for ``idle_seconds`` is waiting —
sleeping, blocked — and ends).

Each check's reference cost (CPU seconds of the reference solution's code in that
check, measured when the Gradescope bundle is built: ``reference_costs.json``) is
shown beside a time-limit failure, and a check whose reference needs more than a
tenth of the limit gets ten times the reference's cost instead.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from autograder.config import MEMORY_MB, PACKAGE_DIR, TIME_LIMIT_S, data_dir, sandbox_limits

REFERENCE_COSTS = PACKAGE_DIR / "grade" / "reference_costs.json"
COST_FACTOR = 10.0


@dataclass
class Limits:
    """What a student's code may use; every figure is per test unless it says otherwise."""

    time_limit: float = TIME_LIMIT_S          # CPU seconds of the student's code per test (all its calls together)
    import_time_limit: float = TIME_LIMIT_S   # CPU seconds to import the student's module
    idle_seconds: float = 20.0        # wall seconds a call may wait without computing
    wall_factor: float = 3.0          # wall backstop = limit × this ÷ the box's CPUs (at most 1)
    memory_mb: int = MEMORY_MB        # resident memory of the student's process tree (the plan may lower it)
    cpu_seconds: int = 3600           # CPU seconds of one student process over its life (RLIMIT_CPU)
    file_mb: int = 64                 # largest file the student's process may write (RLIMIT_FSIZE)
    temp_mb: int = 64                 # each private temporary directory of a student process (a tmpfs, in its memory)
    output_bytes: int = 4000          # student output kept per test (the rest is counted, not kept)
    max_message_mb: int = 512         # largest answer the judge reads from the student's process
    user: str | None = "nobody"       # run the student's code as this user when the judge is root
    data_dir: str | None = None       # DL3_DATA_DIR for the judge and the student's process
    cpus: float = 1.0                 # the box's CPUs (from the plan), for the wall backstop
    prestart: bool = True             # from the plan: start the student process before its first test
    release_before_training: bool = False  # from the plan: stop an idle student process before the judge trains
    lean_allocator: bool = False      # from the plan: glibc's allocator gives large blocks back (config.SMALL_BOX_MALLOC_ENV)
    costs_file: str | None = None     # reference costs (default: the kit's reference_costs.json)
    run_deadline: float | None = None  # time.time() by which the student's calls must end (the run's own limit)

    @classmethod
    def from_env(cls) -> "Limits":
        raw = sandbox_limits()
        given = json.loads(raw) if raw else {}
        names = {f.name for f in fields(cls)}
        limits = cls(**{k: v for k, v in given.items() if k in names})
        limits.data_dir = data_dir(limits.data_dir)
        return limits

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @property
    def address_space_mb(self) -> int:
        """RLIMIT_AS of the student's process: TensorFlow maps ~1.7 GB of address space at import."""
        return self.memory_mb + 3072

    def wall_backstop(self, cpu_limit: float) -> float:
        backstop = max(cpu_limit * self.wall_factor / min(1.0, max(self.cpus, 0.05)), cpu_limit + 30.0)
        if self.run_deadline is not None:
            backstop = min(backstop, max(1.0, self.run_deadline - time.time()))
        return backstop

    def check_limit(self, reference_cpu: float | None) -> float:
        """The CPU seconds a test's student code may use, given the reference's cost of that test."""
        return max(self.time_limit, COST_FACTOR * (reference_cpu or 0.0))


def _costs_section(path: str | os.PathLike | None, section: str) -> dict[str, float]:
    file = Path(path) if path else REFERENCE_COSTS
    try:
        data = json.loads(file.read_text())
    except (OSError, ValueError):
        return {}
    values = data.get(section, {}) if isinstance(data, dict) else {}
    return {str(k): float(v) for k, v in values.items() if isinstance(v, (int, float))}


def load_reference_costs(path: str | os.PathLike | None = None) -> dict[str, float]:
    """``{"exercise/check": CPU seconds}`` of the reference solution (empty when not measured)."""
    return _costs_section(path, "checks")


def load_unit_seconds(path: str | os.PathLike | None = None) -> dict[str, float]:
    """``{exercise: wall seconds}`` the reference took per exercise when measured (to balance judges)."""
    return _costs_section(path, "units")
