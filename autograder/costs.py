"""The reference's own cost of each check, measured on this machine (``reference_costs.json``).

``python -m autograder reference-costs`` (and ``gradescope-bundle --measure-costs``) grades
``solutions/`` through the sandbox and records, for every check, the CPU seconds the
reference solution's code used in it, and per exercise the wall seconds its judge took — each
exercise graded alone, so that each figure is that exercise's own cost. The grader shows the first
beside a time-limit failure (and gives a check ten times the reference's cost when that is more
than its limit); it balances judges by the second. The
bundle carries no solutions, so the figures travel as this file. ``--exercise NAME`` measures
that exercise alone and keeps the others' figures. Each exercise's figures record the
fingerprint of the reference and spec they were measured on (``autograder/fingerprints.py``):
``--check`` lists those that no longer match.
"""

from __future__ import annotations

import json
import platform
import shutil
import tempfile
import time
from pathlib import Path

from autograder.config import KIT_ROOT
from autograder.fingerprints import cost_fingerprint, read_json
from autograder.grade.limits import REFERENCE_COSTS, Limits
from autograder.grade.supervisor.results import Results, write_atomically
from autograder.grade.supervisor.runner import Options, grade
from autograder.specs import Exercise, all_exercises


class CostsError(ValueError):
    """The reference could not be measured (an unknown exercise, a reference that does not grade cleanly)."""


def measure_reference_costs(out: Path = REFERENCE_COSTS, kit_root: Path = KIT_ROOT,
                            only: list[str] | None = None) -> dict:
    """Grade the reference solutions (``only`` these exercises, others' figures kept) and write their costs."""
    exercises = all_exercises()
    unknown = sorted(set(only or []) - set(exercises))
    if unknown:
        raise CostsError(f"unknown exercise(s) {', '.join(unknown)}; the kit has {', '.join(exercises)}")
    chosen = [exercises[name] for name in (only or exercises)]
    graded = [_graded_alone(exercise, kit_root) for exercise in chosen]
    kept = read_json(out) if only else {}
    names = {e.name for e in chosen}

    def merged(section: str, measured: dict) -> dict:
        old = {k: v for k, v in kept.get(section, {}).items() if k.split("/")[0] in set(exercises) - names}
        return {**old, **measured}

    data = {
        "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {platform.python_version()}, {graded[0].metadata['box']['described']}",
        "checks": merged("checks", {k: v for r in graded for k, v in r.metadata.get("student_cpu", {}).items()}),
        "units": merged("units", {k: v for r in graded for k, v in r.metadata.get("units", {}).items()}),
        "measured_on": merged("measured_on", {e.name: cost_fingerprint(kit_root, e) for e in chosen}),
    }
    write_atomically(out, json.dumps(data, indent=2, sort_keys=True) + "\n")
    return data


def _graded_alone(exercise: Exercise, kit_root: Path) -> Results:
    """The reference of one exercise graded on its own (its judge's time is that exercise's alone)."""
    scratch = Path(tempfile.mkdtemp(prefix="dl3-costs-"))
    try:
        shutil.copyfile(kit_root / "solutions" / exercise.filename, scratch / exercise.filename)
        results = grade(scratch, Options(limits=Limits(costs_file=str(scratch / "none.json")), units=1,
                                         kit_root=kit_root))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    graded = [t for t in results.tests if t.exercise == exercise.name]
    if results.incomplete or not all(t.status == "passed" for t in graded):
        failed = ", ".join(f"{t.exercise}/{t.check}" for t in graded if t.status != "passed")
        raise CostsError(f"the reference did not grade cleanly: {results.incomplete or failed}")
    return results


def measured_summary(data: dict, only: list[str] | None = None) -> str:
    """What ``reference-costs`` wrote: the checks measured (``only`` these exercises' checks), and on what machine."""
    if not only:
        return f"wrote the reference's cost of {len(data['checks'])} checks ({data['machine']})"
    counts = [(name, sum(1 for key in data["checks"] if key.split("/")[0] == name)) for name in dict.fromkeys(only)]
    measured = ", ".join(f"{count} check{'s' * (count != 1)} of {name}" for name, count in counts)
    return (f"wrote the reference's cost of {measured}; the other exercises' figures kept "
            f"({len(data['checks'])} checks in all; {data['machine']})")
