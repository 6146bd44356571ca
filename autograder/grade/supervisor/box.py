"""The box the grader runs in, and the plan it grades by.

An LMS grades in a small container (Gradescope's default: 768 MB, half a CPU). The
grader reads the limits it runs under — cgroup v1 and v2 memory limit and CPU quota,
along the whole path of its cgroup, and its CPU affinity — and plans from them:

- how many exercise modules are graded at once (each by its own judge process with at
  most one sandboxed student process beside it);
- whether student processes are started ahead of time, or only when a test needs one;
- whether an idle student process is stopped before the judge trains a model or loads a
  dataset (in a small box; it is forked again, warm, when the next call needs it);
- how much memory the student's process may use;
- whether glibc's allocator is told to give large blocks back (a small box: memory before
  speed; on a roomy machine it costs CPU time when judges share the cores).
- whether the datasets the tests read are decoded by a process of their own while the zygote
  imports Keras (``decoder/``: with a second CPU and room beside the zygote; in a small box
  each judge decodes what it reads, as the memory allows).

Every judge and student process is forked from the grading's zygote (``forks.py``), so the
pages of TensorFlow's import (about 200 MB) are in the box once, whichever processes share
them; each process adds what it writes (its private pages). In Gradescope's box the largest
moment is the regularization judge training its bigger network: about 390 MB of its own
beside the two zygotes' 100 MB each, 620 MB for the whole box; ``benchmarks/bench_box.txt``
has the measured figures the constants below come from.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

MB = 2**20
UNLIMITED = 1 << 62

# Measured (benchmarks/bench_box.txt): anonymous memory of one graded unit's processes.
TF_PROCESS_MB = 300          # the zygotes' TensorFlow and Keras (~200 MB, in the box once) and a judge's own start
SUPERVISOR_MB = 60           # the outer `grade` process (no TensorFlow)
MARGIN_MB = 32               # kept free in a small box
UNIT_MB = 1400               # one module graded at full speed: judge + student process + page cache, with room
MIN_STUDENT_MB = 256         # never give the student's process less than this
MIN_BOX_MB = 640             # below this a judge and a student's process (TensorFlow each) cannot both run
DECODER_MIN_CPUS = 1.5       # the data decoder runs beside the zygote's imports: worth it with a second CPU


@dataclass(frozen=True)
class Box:
    """The limits this process runs under (None: no limit found)."""

    memory_bytes: int | None
    cpu_quota: float | None          # CPUs' worth of time (0.5 = half a CPU), from the CFS quota
    affinity: int                    # CPUs this process may run on
    cgroup_version: int | None       # 1, 2, or None (no cgroup memory controller found)
    memory_cgroup: str | None = None  # the cgroup directory whose counters measure this run

    @property
    def cpus(self) -> float:
        """The CPUs' worth of time this box can use."""
        return min(float(self.affinity), self.cpu_quota) if self.cpu_quota else float(self.affinity)

    @property
    def memory_mb(self) -> int | None:
        return None if self.memory_bytes is None else self.memory_bytes // MB

    def describe(self) -> str:
        memory = f"{self.memory_mb:,} MB" if self.memory_mb is not None else "no memory limit"
        quota = f"{self.cpu_quota:g} CPU quota" if self.cpu_quota else "no CPU quota"
        return f"{memory}, {quota}, {self.affinity} CPU(s) allowed (cgroup v{self.cgroup_version or '-'})"


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _int_or_none(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        value = int(text)
    except ValueError:
        return None
    return value if 0 < value < UNLIMITED else None


def _own_cgroups(proc_self: Path) -> dict[str, str]:
    """``{controller: path}`` from /proc/self/cgroup; cgroup v2's unified entry is under ``""``."""
    groups: dict[str, str] = {}
    for line in (_read(proc_self / "cgroup") or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        for controller in parts[1].split(",") if parts[1] else [""]:
            groups[controller] = parts[2]
    return groups


def _ancestors(base: Path, group: str) -> list[Path]:
    """The directories of ``group`` and its ancestors under ``base``, innermost first."""
    parts = [p for p in group.strip("/").split("/") if p]
    return [base.joinpath(*parts[:n]) for n in range(len(parts), -1, -1)]


def _v1_limits(root: Path, groups: dict[str, str]) -> tuple[int | None, float | None, str | None]:
    memory, quota, measured = None, None, None
    if "memory" in groups:
        for directory in _ancestors(root / "memory", groups["memory"]):
            limit = _int_or_none(_read(directory / "memory.limit_in_bytes"))
            if directory.is_dir() and measured is None:
                measured = str(directory)
            if limit is not None:
                memory = limit if memory is None else min(memory, limit)
    cpu_group = groups.get("cpu") or groups.get("cpuacct")
    if cpu_group is not None:
        mount = root / "cpu,cpuacct" if (root / "cpu,cpuacct").is_dir() else root / "cpu"
        for directory in _ancestors(mount, cpu_group):
            q = _int_or_none(_read(directory / "cpu.cfs_quota_us"))
            period = _int_or_none(_read(directory / "cpu.cfs_period_us"))
            if q is not None and period:
                quota = q / period if quota is None else min(quota, q / period)
    return memory, quota, measured


def _v2_limits(root: Path, group: str) -> tuple[int | None, float | None, str | None]:
    memory, quota = None, None
    directories = _ancestors(root, group)
    for directory in directories:
        limit = _int_or_none(_read(directory / "memory.max"))
        if limit is not None:
            memory = limit if memory is None else min(memory, limit)
        fields = (_read(directory / "cpu.max") or "").split()
        if len(fields) == 2 and fields[0] != "max":
            q, period = _int_or_none(fields[0]), _int_or_none(fields[1])
            if q and period:
                quota = q / period if quota is None else min(quota, q / period)
    measured = next((str(d) for d in directories if (d / "memory.current").exists()), None)
    return memory, quota, measured


def read_box(cgroup_root: Path = Path("/sys/fs/cgroup"), proc_self: Path = Path("/proc/self")) -> Box:
    """The limits this process runs under, from cgroup v1 or v2 (``cgroup_root`` is a parameter for tests)."""
    try:
        affinity = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        affinity = os.cpu_count() or 1
    groups = _own_cgroups(proc_self)
    if "memory" in groups or "cpu" in groups or "cpuacct" in groups:
        memory, quota, measured = _v1_limits(cgroup_root, groups)
        return Box(memory, quota, affinity, 1, measured)
    if "" in groups and (cgroup_root / "cgroup.controllers").exists():
        memory, quota, measured = _v2_limits(cgroup_root, groups[""])
        return Box(memory, quota, affinity, 2, measured)
    return Box(None, None, affinity, None, None)


def host_memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 * 1024 * MB


@dataclass(frozen=True)
class Plan:
    """How one grading run uses its box (see the module's docstring)."""

    units_at_once: int          # exercise modules graded at the same time
    prestart: bool              # start a module's student process before its first test needs it
    release_before_training: bool  # stop an idle student process before the judge trains a model
    student_memory_mb: int      # resident memory the student's process tree may use
    memory_mb: int              # the memory the plan was made for (the box's, or the host's)
    cpus: float
    box: str                    # Box.describe(), for the results' metadata
    too_small: str | None = None  # why this box cannot grade at all (the grader refuses: not a score)
    lean_allocator: bool = False  # every process's allocator gives large blocks back (config.SMALL_BOX_MALLOC_ENV)
    decode_ahead: bool = False  # decode the datasets the tests read beside the zygote's imports (grade/decoder/)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "Plan":
        return cls(**json.loads(text))


def make_plan(box: Box, student_memory_mb: int | None = None, units: int | None = None) -> Plan:
    """The plan for ``box``: as much parallelism as its memory and CPUs allow, never more."""
    memory_mb = box.memory_mb or host_memory_bytes() // MB
    cpus = box.cpus
    by_memory = max(1, (memory_mb - SUPERVISOR_MB) // UNIT_MB)
    by_cpu = max(1, int(cpus + 0.5))
    at_once = max(1, min(by_memory, by_cpu, units or by_memory))
    small = memory_mb - SUPERVISOR_MB < UNIT_MB
    # In a small box the judge (TensorFlow, ~300 MB) and one student process share the memory; the student process
    # gets what the judge leaves, and is stopped while the judge trains.
    room = (memory_mb - SUPERVISOR_MB) // at_once - TF_PROCESS_MB
    allowed = max(MIN_STUDENT_MB, room - MARGIN_MB)
    student = min(student_memory_mb, allowed) if student_memory_mb else allowed
    too_small = (f"the box has {memory_mb:,} MB of memory; grading needs at least {MIN_BOX_MB} MB "
                 f"(768 MB recommended)") if memory_mb < MIN_BOX_MB else None
    return Plan(units_at_once=at_once, prestart=not small, release_before_training=small,
                student_memory_mb=int(student), memory_mb=int(memory_mb), cpus=round(cpus, 3),
                box=box.describe(), too_small=too_small, lean_allocator=small,
                decode_ahead=not small and cpus >= DECODER_MIN_CPUS)


def cgroup_peak_mb(box: Box) -> dict:
    """The box's memory counters now (peak usage with page cache, and resident anonymous memory)."""
    if not box.memory_cgroup:
        return {}
    directory = Path(box.memory_cgroup)
    if box.cgroup_version == 1:
        peak = _int_or_none(_read(directory / "memory.max_usage_in_bytes"))
        stat = _read(directory / "memory.stat") or ""
    else:
        peak = _int_or_none(_read(directory / "memory.peak"))
        stat = _read(directory / "memory.stat") or ""
    values = dict(line.split()[:2] for line in stat.splitlines() if len(line.split()) >= 2)
    anon = values.get("total_rss") or values.get("anon")
    return {"peak_with_cache_mb": round(peak / MB, 1) if peak else None,
            "anon_now_mb": round(int(anon) / MB, 1) if anon and anon.isdigit() else None}
