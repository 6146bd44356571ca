"""Feedback copies for students: hidden tests leave no trace but their score."""

from __future__ import annotations

from nbconvert.preprocessors import Preprocessor

from autograder.nbsource import BEGIN_HIDDEN

HIDDEN_NOTE = "Hidden check: its code and output are not shown; its score is above."


class HideHiddenTestOutput(Preprocessor):
    """Replace the outputs of every cell that holds a hidden-tests region with one short note.

    nbgrader's ClearHiddenTests removes the region's source but keeps what the cell
    printed, and a failed check prints expected and received values.
    """

    enabled = True  # nbconvert skips preprocessors that are not enabled

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and BEGIN_HIDDEN in cell.source:
            cell.outputs = [{"output_type": "stream", "name": "stdout", "text": HIDDEN_NOTE + "\n"}]
        return cell, resources
