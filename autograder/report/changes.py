"""What changed since a previous report (``--previous OLD/report.json``).

- students regraded: in both reports, with another submission digest or grading time;
- students new in this report, and those no longer in it;
- totals that moved (before → after; a grader failure's total is None);
- mistakes whose number of students moved, and checks whose pass rate moved.
"""

from __future__ import annotations

import json
from pathlib import Path


class PreviousReportError(ValueError):
    """The ``--previous`` file is not a class report's JSON."""


def load_previous(path: Path) -> dict:
    """A previous ``report.json``; a clear error when it is not one."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PreviousReportError(f"cannot read the previous report {path}: {exc}") from None
    if not isinstance(data, dict) or not {"students", "checks", "mistakes"} <= set(data):
        raise PreviousReportError(f"{path} is not a class report's report.json")
    return data


def changes(previous: dict, current: dict) -> dict:
    """The differences between two reports' figures (see the module docstring)."""
    before, after = previous["students"], current["students"]
    both = sorted(set(before) & set(after))
    return {
        "previous_generated_at": previous.get("generated_at"),
        "regraded": [s for s in both if _graded_differently(before[s], after[s])],
        "new_students": sorted(set(after) - set(before)),
        "removed_students": sorted(set(before) - set(after)),
        "totals_moved": [{"student": s, "before": before[s].get("total"), "after": after[s].get("total")}
                         for s in both if before[s].get("total") != after[s].get("total")],
        "mistakes_moved": _moved({m["id"]: m["students"] for m in previous["mistakes"]},
                                 {m["id"]: m["students"] for m in current["mistakes"]}, absent=0),
        "pass_rates_moved": _moved({_check_key(c): c["pass_rate"] for c in previous["checks"]},
                                   {_check_key(c): c["pass_rate"] for c in current["checks"]}, absent=None),
    }


def _graded_differently(before: dict, after: dict) -> bool:
    return before.get("digest") != after.get("digest") or before.get("graded_at") != after.get("graded_at")


def _check_key(check: dict) -> str:
    return f"{check['exercise']}.{check['check']}"


def _moved(before: dict, after: dict, absent) -> list[dict]:
    """Keys whose value differs (a key missing on one side counts as ``absent``), largest change first."""
    moved = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key, absent), after.get(key, absent)
        if old != new:
            moved.append({"id": key, "before": old, "after": new})
    return sorted(moved, key=lambda m: -abs((m["after"] or 0) - (m["before"] or 0)))
