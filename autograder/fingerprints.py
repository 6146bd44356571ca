"""What each threshold and each reference cost was measured on, and whether that still holds.

Thresholds (``benchmarks/sweep_thresholds.py``, recorded in ``benchmarks/sweep_thresholds.json``)
and reference costs (``python -m autograder reference-costs``, in
``autograder/grade/reference_costs.json``) are measurements of the reference solution under
the spec's settings. Each records the fingerprint of what it was measured on: the reference
module's syntax tree (docstrings, comments and layout do not count) and the spec fields the
measurement depends on — a threshold: its training set-up less the threshold itself, or the
settings of the runs a tolerance must allow (the sweep records every run's result, so the
threshold or tolerance is checked against them, not fingerprinted); a cost: the exercise's
checks and all its settings. ``stale_measurements`` lists each measurement whose
fingerprint no longer matches, with the command that measures it again; the kit's tests and
``gradescope-bundle`` fail on them.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any, Iterable

from autograder.checks.training import TrainingSetup
from autograder.grade.limits import REFERENCE_COSTS
from autograder.specs import Exercise, all_exercises, setting_file

SWEEP_RECORDS = Path("benchmarks") / "sweep_thresholds.json"   # under the kit's root
SWEEP_COMMAND = "python benchmarks/sweep_thresholds.py --only {case}"
COSTS_COMMAND = "python -m autograder reference-costs --exercise {exercise}"


# --------------------------------------------------------------------------
# Fingerprints


def _drop_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            if ast.get_docstring(node, clean=False) is not None:
                node.body = node.body[1:] or [ast.Pass()]
    return tree


def _plain(node: Any) -> Any:
    """A syntax tree as plain data; empty fields are left out, so Pythons 3.11 to 3.13 agree."""
    if isinstance(node, ast.AST):
        fields = {name: _plain(getattr(node, name, None)) for name in node._fields}
        return [type(node).__name__, {k: v for k, v in fields.items() if v is not None and v != []}]
    if isinstance(node, list):
        return [_plain(n) for n in node]
    return repr(node)


def normal_source(source: str) -> str:
    """The code of ``source`` without its docstrings, comments and layout."""
    return json.dumps(_plain(_drop_docstrings(ast.parse(source))))


def _setting(value: Any, exclude: tuple[str, ...]) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"type": type(value).__name__, **{f.name: _setting(getattr(value, f.name), exclude)
                                                  for f in dataclasses.fields(value) if f.name not in exclude}}
    if isinstance(value, (list, tuple)):
        return [_setting(v, exclude) for v in value]
    if isinstance(value, dict):
        return {str(k): _setting(v, exclude) for k, v in value.items()}
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


def fingerprint(root: Path, exercise: Exercise, settings: Iterable[str], exclude: tuple[str, ...] = (),
                checks: bool = False) -> str:
    """The fingerprint of the reference of ``exercise`` and the spec fields named (``extra[key]``)."""
    payload = {"reference": normal_source((root / "solutions" / exercise.filename).read_text(encoding="utf-8")),
               "settings": {key: _setting(exercise.extra.get(key), exclude) for key in sorted(settings)}}
    if checks:
        payload["checks"] = [[c.name, c.hidden, c.training] for c in exercise.checks]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def threshold_fingerprint(root: Path, exercise: Exercise, settings: Iterable[str]) -> str:
    """What a threshold sweep measures: the reference under those settings (the threshold aside)."""
    return fingerprint(root, exercise, settings, exclude=("threshold",))


def cost_fingerprint(root: Path, exercise: Exercise) -> str:
    """What the reference costs of an exercise are measured on: the reference, its checks, all its settings."""
    return fingerprint(root, exercise, exercise.extra, checks=True)


# --------------------------------------------------------------------------
# Stale measurements


def read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def stale_thresholds(root: Path, exercises: dict[str, Exercise] | None = None) -> list[str]:
    """Each threshold sweep that no longer matches, each training set-up never swept, each threshold the
    reference's own sweep runs do not all reach — with what to do."""
    exercises = exercises or all_exercises()
    cases = read_json(root / SWEEP_RECORDS).get("cases", {})
    problems = []
    swept = {(c.get("exercise"), key) for c in cases.values() for key in c.get("settings", [])}
    for exercise in exercises.values():
        for key, value in exercise.extra.items():
            if isinstance(value, TrainingSetup) and (exercise.name, key) not in swept:
                problems.append(f"{setting_file(exercise, key)}: extra[{key!r}] of {exercise.name} (a training "
                                f"set-up) was never swept: add a case to benchmarks/sweep_thresholds.py and run it")
    for case, record in cases.items():
        problems += _case_problems(root, case, record, exercises)
    return problems


def _case_problems(root: Path, case: str, record: dict, exercises: dict[str, Exercise]) -> list[str]:
    command = SWEEP_COMMAND.format(case=case)
    exercise = exercises.get(record.get("exercise"))
    if exercise is None or not all(key in exercise.extra for key in record.get("settings", [])):
        return [f"{SWEEP_RECORDS.as_posix()}: the sweep `{case}` measured settings no exercise has "
                f"({record.get('exercise')}: {', '.join(record.get('settings', []))}): remove the case from "
                f"benchmarks/sweep_thresholds.py and its record"]
    if record.get("measured_on") != threshold_fingerprint(root, exercise, record["settings"]):
        return [f"the threshold sweep `{case}` ({exercise.name}: {', '.join(record['settings'])}) was measured on "
                f"another reference or other settings: re-run `{command}`"]
    problems = []
    setup_key = record["settings"][0]
    threshold = getattr(exercise.extra[setup_key], "threshold", 0.0)
    best = record.get("best_accuracy") or []
    if threshold and best and threshold > min(best):
        problems.append(f"{setting_file(exercise, setup_key)}: extra[{setup_key!r}].threshold = {threshold:g} is above "
                        f"the worst of the sweep's {len(best)} reference runs ({min(best):.3f}): the reference would "
                        f"fail it; lower it (`{command}` proposes one)")
    limit = record.get("limit")   # a tolerance every recorded run must fit in (not in the fingerprint)
    if limit:
        allowed, worst = list(_flat(exercise.extra.get(limit))), record.get("worst") or []
        if len(allowed) != len(worst) or any(a < w for a, w in zip(allowed, worst)):
            problems.append(f"{setting_file(exercise, limit)}: extra[{limit!r}] = {exercise.extra.get(limit)} does "
                            f"not allow the worst of the sweep's {record.get('seeds')} reference runs ({worst}): the "
                            f"reference would fail it; raise it (or re-run `{command}`)")
    seeds = record.get("seeds", 0)
    failed = [f"{name} ({count}/{seeds})" for name, count in (record.get("passes") or {}).items() if count < seeds]
    if failed:
        problems.append(f"the threshold sweep `{case}`: the reference did not pass every run: {', '.join(failed)}; "
                        f"change the settings in {setting_file(exercise, setup_key)} and re-run `{command}`")
    return problems


def _flat(value: Any) -> Iterable[float]:
    return [float(v) for v in value] if isinstance(value, (list, tuple)) else [float(value)]


def stale_costs(root: Path, costs_file: Path = REFERENCE_COSTS,
                exercises: dict[str, Exercise] | None = None) -> list[str]:
    """Each exercise whose reference costs were measured on another reference, checks or settings (or never)."""
    exercises = exercises or all_exercises()
    measured_on = read_json(costs_file).get("measured_on", {})
    problems = []
    for exercise in exercises.values():
        stored = measured_on.get(exercise.name)
        if stored != cost_fingerprint(root, exercise):
            why = "were never measured" if stored is None else "were measured on another reference, checks or settings"
            problems.append(f"the reference costs of {exercise.name} ({costs_file.name}) {why}: "
                            f"re-run `{COSTS_COMMAND.format(exercise=exercise.name)}`")
    return problems


def stale_measurements(root: Path, costs_file: Path = REFERENCE_COSTS) -> list[str]:
    """Every stale threshold and reference cost of the kit at ``root``."""
    exercises = all_exercises()
    return stale_thresholds(root, exercises) + stale_costs(root, costs_file, exercises)
