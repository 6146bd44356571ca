"""The reference's own cost of each check, measured on this machine (``reference_costs.json``).

``python -m autograder reference-costs`` (and ``gradescope-bundle``, which ships the file)
grades ``solutions/`` through the sandbox and records, for every check, the CPU seconds
the reference solution's code used in it, and per exercise the wall seconds its judge
took. The grader shows the first beside a time-limit failure (and gives a check ten
times the reference's cost when that is more than its limit); it balances judges by the
second. The bundle carries no solutions, so the figures travel as this file.
"""

from __future__ import annotations

import json
import platform
import shutil
import tempfile
import time
from pathlib import Path

from autograder.config import KIT_ROOT
from autograder.grade.limits import REFERENCE_COSTS, Limits
from autograder.grade.supervisor.results import write_atomically
from autograder.grade.supervisor.runner import Options, grade
from autograder.specs import all_exercises


def measure_reference_costs(out: Path = REFERENCE_COSTS, kit_root: Path = KIT_ROOT) -> dict:
    """Grade the reference solutions and write their per-check CPU cost to ``out``."""
    scratch = Path(tempfile.mkdtemp(prefix="dl3-costs-"))
    try:
        for exercise in all_exercises().values():
            shutil.copyfile(kit_root / "solutions" / exercise.filename, scratch / exercise.filename)
        results = grade(scratch, Options(limits=Limits(costs_file=str(scratch / "none.json")), units=1,
                                         kit_root=kit_root))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if results.incomplete or results.score != results.max_score:
        raise RuntimeError(f"the reference did not grade cleanly ({results.score}/{results.max_score}): "
                           f"{results.incomplete or 'some checks failed'}")
    data = {
        "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {platform.python_version()}, {results.metadata['box']['described']}",
        "checks": results.metadata.get("student_cpu", {}),
        "units": results.metadata.get("units", {}),
    }
    write_atomically(out, json.dumps(data, indent=2, sort_keys=True) + "\n")
    return data
