"""Notebooks as students hand them in."""

from __future__ import annotations

import json

from tests.helpers.kit import ROOT


def filled_notebook(module: str) -> dict:
    """The release notebook with every exercise cell filled in from the source notebook."""
    release = json.loads((ROOT / "release" / "dl3" / f"{module}.ipynb").read_text())
    source = json.loads((ROOT / "source" / "dl3" / f"{module}.ipynb").read_text())
    answers = {c["metadata"]["nbgrader"]["grade_id"]: c["source"]
               for c in source["cells"] if "nbgrader" in c["metadata"]}
    for cell in release["cells"]:
        nbgrader = cell["metadata"].get("nbgrader", {})
        if nbgrader.get("solution"):
            cell["source"] = answers[nbgrader["grade_id"]]
    return release
