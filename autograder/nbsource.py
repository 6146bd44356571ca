"""Build the nbgrader source notebooks from ``narrative/<module>.md`` and ``solutions/<module>.py``.

The narrative (the workshop's text, demos and plots) is kept in one markdown file per
exercise; the code of the exercise comes from the solution module, never retyped.
Lines starting with ``%%`` in a narrative start a new cell:

``%% markdown``          text (the default at the top of the file)
``%% code``              a demonstration cell: runs in the notebook; at grading only its imports
                         and definitions count (``autograder.notebooks``)
``%% module``            the solution module's provided parts: docstring, imports, helpers
``%% function NAME``     the exercise function NAME, with its solution region (an nbgrader
                         solution cell)
``%% check NAME``        the graded test cell of the spec's check NAME: it calls the same
                         pytest test as ``pytest exercises/`` (``autograder.notebook_checks``);
                         hidden checks sit in an nbgrader hidden-tests region

Every exercise function and every check of the spec must appear exactly once, and every
check must have its test (``autograder/graded_tests.py``): a check cell without a test would
be a cell nbgrader cannot score. ``python -m autograder notebooks`` writes ``source/dl3/<module>.ipynb``; a test fails
when a committed notebook is stale.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path

from autograder.graded_tests import untested_checks
from autograder.notebooks import MODULE_KEY
from autograder.specs import Exercise, all_exercises

ASSIGNMENT = "dl3"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


class NarrativeError(ValueError):
    """A narrative file does not match its exercise's spec or solution."""


@dataclass
class Cell:
    kind: str  # markdown, code, module, function, check
    arg: str
    body: str


def parse_narrative(text: str, name: str) -> list[Cell]:
    """Split a narrative into cells at its ``%%`` directive lines."""
    cells: list[Cell] = []
    kind, arg, body = "markdown", "", []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("%%"):
            cells.append(Cell(kind, arg, "\n".join(body).strip("\n")))
            parts = line[2:].split()
            if not parts or parts[0] not in {"markdown", "code", "module", "function", "check"}:
                raise NarrativeError(f"{name}:{number}: unknown directive {line!r}")
            kind, arg, body = parts[0], " ".join(parts[1:]), []
        else:
            body.append(line)
    cells.append(Cell(kind, arg, "\n".join(body).strip("\n")))
    return [c for c in cells if c.body or c.kind in {"module", "function", "check"}]


def split_solution(source: str, exercise: Exercise) -> tuple[str, dict[str, str]]:
    """(the module's provided parts, {function name: its source}) of a solution module."""
    tree = ast.parse(source)
    lines = source.splitlines()
    starts = [(n.decorator_list[0].lineno if getattr(n, "decorator_list", None) else n.lineno) - 1
              for n in tree.body]
    provided, functions = [], {}
    # Each top-level statement runs up to the next one, so trailing comments such as
    # "### END SOLUTION" (which the AST does not see) stay with their function.
    for node, start, end in zip(tree.body, starts, starts[1:] + [len(lines)]):
        text = "\n".join(lines[start:end]).rstrip()
        if isinstance(node, ast.FunctionDef) and node.name in exercise.functions:
            functions[node.name] = text
        else:
            provided.append(text)
    missing = set(exercise.functions) - set(functions)
    if missing:
        raise NarrativeError(f"solutions/{exercise.filename} lacks {sorted(missing)}")
    return "\n\n\n".join(provided), functions


def _meta(grade_id: str, *, solution: bool = False, grade: bool = False, locked: bool = False,
          points: float | None = None, module: bool = False) -> dict:
    nbgrader = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
                "solution": solution, "task": False}
    if points is not None:
        nbgrader["points"] = points
    meta = {"nbgrader": nbgrader}
    if module:
        meta[MODULE_KEY] = {"module": True}
    return meta


def grade_id_for(exercise: Exercise, check_name: str) -> str:
    """The nbgrader grade id of a check's cell; a hidden check's id is its rank, never its name.

    Release notebooks keep every cell's metadata, so a hidden check's name must not be in it.
    """
    check = exercise.check(check_name)
    if not check.hidden:
        return f"{exercise.name}-check-{check.name}"
    rank = [c.name for c in exercise.checks if c.hidden].index(check.name) + 1
    return f"{exercise.name}-check-hidden{rank}"


def check_for_grade_id(exercise: Exercise, grade_id: str) -> str:
    """The check name of a graded cell's grade id (the inverse of ``grade_id_for``)."""
    for check in exercise.checks:
        if grade_id_for(exercise, check.name) == grade_id:
            return check.name
    raise KeyError(f"{grade_id!r} is not a check cell of {exercise.name}")


def check_cell_source(exercise: Exercise, check_name: str) -> str:
    """The graded cell's code: one call to the shared check, hidden checks in a hidden region.

    A hidden check's name and description sit inside the hidden region too: the release
    copy says only that a hidden check worth so many points runs at grading.
    """
    check = exercise.check(check_name)
    call = ("from autograder.notebook_checks import run_check\n"
            f'run_check("{exercise.name}", "{check.name}", globals())')
    points = f"{check.points:g} point{'s' if check.points != 1 else ''}"
    if check.hidden:
        return (f"# Hidden check ({points}): it runs when your notebook is graded.\n{BEGIN_HIDDEN}\n"
                f"# `{check.name}`: {check.describe}\n{call}\n{END_HIDDEN}")
    return f"# Check `{check.name}` ({points}): {check.describe}\n{call}"


def _cell(kind: str, source: str, metadata: dict) -> dict:
    cell = {"cell_type": kind, "metadata": metadata, "source": source}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def build_notebook(exercise: Exercise, narrative: str, solution: str, name: str = "") -> dict:
    """The nbgrader source notebook (as a dict) of one exercise."""
    provided, functions = split_solution(solution, exercise)
    cells, seen_functions, seen_checks, seen_module = [], [], [], 0
    prefix = exercise.name
    for index, cell in enumerate(parse_narrative(narrative, name or exercise.name)):
        if cell.kind == "markdown":
            cells.append(_cell("markdown", cell.body, {}))
        elif cell.kind == "code":
            cells.append(_cell("code", cell.body, {}))
        elif cell.kind == "module":
            seen_module += 1
            cells.append(_cell("code", provided, _meta(f"{prefix}-module", locked=True, module=True)))
        elif cell.kind == "function":
            if cell.arg not in functions:
                raise NarrativeError(f"{name}: %% function {cell.arg}: not an exercise function of {exercise.name}")
            seen_functions.append(cell.arg)
            cells.append(_cell("code", functions[cell.arg],
                               _meta(f"{prefix}-{cell.arg}", solution=True, module=True)))
        elif cell.kind == "check":
            check = exercise.check(cell.arg)
            seen_checks.append(cell.arg)
            cells.append(_cell("code", check_cell_source(exercise, cell.arg),
                               _meta(grade_id_for(exercise, cell.arg), grade=True, locked=True, points=check.points)))
    _require_once(name, "function", seen_functions, exercise.functions)
    _require_once(name, "check", seen_checks, [c.name for c in exercise.checks])
    if seen_module != 1:
        raise NarrativeError(f"{name}: needs exactly one %% module cell, has {seen_module}")
    return {
        "cells": cells,
        "metadata": {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _require_once(name: str, what: str, seen: list[str], wanted) -> None:
    duplicates = sorted({s for s in seen if seen.count(s) > 1})
    missing = sorted(set(wanted) - set(seen))
    if duplicates or missing:
        raise NarrativeError(f"{name}: each {what} must appear once; missing {missing}, repeated {duplicates}")


def notebook_json(notebook: dict) -> str:
    """Stable JSON text (so regenerating an unchanged notebook changes no byte)."""
    for number, cell in enumerate(notebook["cells"]):
        cell["id"] = f"cell-{number:03d}"
    return json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def expected_notebooks(root: Path) -> dict[Path, str]:
    """{source notebook path: its text} for every exercise with a narrative."""
    out = {}
    for exercise in all_exercises().values():
        narrative = root / "narrative" / f"{exercise.module}.md"
        if not narrative.is_file():
            continue
        gaps = untested_checks(root, exercise)
        if gaps:
            raise NarrativeError(f"refusing to generate source/{ASSIGNMENT}/{exercise.module}.ipynb: "
                                 + "; ".join(gap.message(root) for gap in gaps))
        solution = (root / "solutions" / exercise.filename).read_text()
        notebook = build_notebook(exercise, narrative.read_text(), solution, str(narrative))
        out[root / "source" / ASSIGNMENT / f"{exercise.module}.ipynb"] = notebook_json(notebook)
    return out


def stale_notebooks(root: Path) -> list[Path]:
    return [path for path, text in expected_notebooks(root).items()
            if not path.is_file() or path.read_text() != text]


def write_notebooks(root: Path) -> list[Path]:
    written = []
    for path, text in expected_notebooks(root).items():
        if not path.is_file() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            written.append(path)
    return written
