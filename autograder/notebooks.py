"""Notebook ⇄ module: the student's code in an exercise notebook as a Python module.

Each exercise notebook ``<module>.ipynb`` marks the code cells that make up the
exercise module (imports, provided helpers, the functions to implement) with the
cell metadata ``{"dl3": {"module": true}}``. ``notebook_to_module`` joins those
cells, in order, into the text of ``<module>.py`` — what the grader grades.
Demonstration cells (training runs, plots) and test cells are left out.
"""

from __future__ import annotations

import json
from pathlib import Path

MODULE_KEY = "dl3"


class NotebookError(ValueError):
    """The file is not a readable exercise notebook."""


def is_module_cell(cell: dict) -> bool:
    return cell.get("cell_type") == "code" and bool(cell.get("metadata", {}).get(MODULE_KEY, {}).get("module"))


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    text = "".join(source) if isinstance(source, list) else str(source)
    # IPython magics and shell escapes are not Python; comment them out.
    return "\n".join(f"# {line}" if line.lstrip().startswith(("%", "!")) else line for line in text.splitlines())


def notebook_to_module(path: Path) -> str:
    """The Python source of the exercise module held in the notebook at ``path``."""
    try:
        notebook = json.loads(Path(path).read_text(encoding="utf-8"))
        cells = notebook["cells"]
        if not isinstance(cells, list):
            raise TypeError("'cells' is not a list")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise NotebookError(f"{Path(path).name} is not a readable notebook: {type(exc).__name__}: {exc}") from None
    chunks = [_source(cell) for cell in cells if isinstance(cell, dict) and is_module_cell(cell)]
    if not chunks:
        raise NotebookError(f"{Path(path).name} has no exercise code cells (cells marked dl3.module)")
    return "\n\n\n".join(chunk.rstrip() for chunk in chunks) + "\n"
