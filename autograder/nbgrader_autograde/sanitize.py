"""Step 2 of the route (in the instructor's process): a notebook as nbgrader's autograde would run it.

nbgrader's ``Autograde`` first *sanitizes* each submitted notebook — outputs cleared, duplicate
ids removed, the kernelspec and every locked or graded cell restored from the gradebook — and
only then executes it. The kit grades that same sanitized text, so a student who edited a
locked cell is graded as nbgrader would grade them. Only notebook JSON is read and written here:
nothing of the student's code runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbgrader.converters import Autograde


class SanitizeError(Exception):
    """The notebook cannot be read or sanitized (nbgrader would fail it too)."""


def sanitized_notebook(course: Path, assignment: str, student: str, path: Path) -> str:
    """The text of ``path`` after nbgrader's sanitizing preprocessors (its defaults, in its order)."""
    try:
        notebook = _read(path)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds on a broken file
        raise SanitizeError(f"{path.name} is not a readable notebook: {type(exc).__name__}: {exc}") from None
    resources = {"nbgrader": {"db_url": f"sqlite:///{course / 'gradebook.db'}", "assignment": assignment,
                              "notebook": path.stem, "student": student}}
    for preprocessor in Autograde.class_traits()["sanitize_preprocessors"].default():
        try:
            notebook, resources = preprocessor().preprocess(notebook, resources)
        except Exception as exc:  # noqa: BLE001 - nbgrader's own checks (tampered metadata, unknown notebook)
            raise SanitizeError(f"{path.name}: nbgrader's {preprocessor.__name__} refused it: {exc}") from None
    return nbformat.writes(notebook)


def _read(path: Path):
    """The notebook, with an id for each cell that has none (a cell added by hand): nbformat would draw a
    random one at every reading, and the same notebook would read as changed at every run (the rerun's digest)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    cells = data.get("cells") if isinstance(data, dict) else None
    if isinstance(cells, list) and (data.get("nbformat"), data.get("nbformat_minor")) >= (4, 5):
        for number, cell in enumerate(cells, start=1):
            if isinstance(cell, dict) and not cell.get("id"):
                cell["id"] = f"dl3-cell-{number}"
    return nbformat.reads(json.dumps(data), as_version=4)
