"""nbgrader configuration: the repo root is the course directory.

One assignment, ``dl3``, with a notebook per workshop section (``source/dl3/<module>.ipynb``,
generated from ``narrative/`` and ``solutions/`` by ``python -m autograder notebooks``).
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# Kernels started by nbgrader inherit this environment: the graded cells import the
# kit (`autograder`), so the repo root goes on their PYTHONPATH. Grading must be
# deterministic and single-threaded enough to match the thresholds' sweep.
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in [HERE, os.environ.get("PYTHONPATH", "")] if p)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("PYTHONHASHSEED", "0")
sys.path.insert(0, HERE)

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.root = HERE
c.CourseDirectory.course_id = "dl3"

# Training cells (a few small models on fixed subsets) take tens of seconds on a laptop CPU.
c.Execute.timeout = 600
c.ExecutePreprocessor.timeout = 600

# Release copies: the same stub text as exercises/.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Feedback never shows hidden tests: neither their source (ClearHiddenTests) nor what
# they printed (HideHiddenTestOutput); the score of each hidden cell is still shown.
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import ClearHiddenTests, GetGrades  # noqa: E402

from autograder.feedback import HideHiddenTestOutput  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTestOutput, ClearHiddenTests, CSSHTMLHeaderPreprocessor]

# `nbgrader autograde` would run every student's code as the instructor: it stops with a message
# naming `python -m autograder nbgrader-autograde dl3` (the sandboxed route, which nbgrader records),
# unless DL3_NBGRADER_UNSANDBOXED=1 (docs/batch.md, "nbgrader's own autograde").
from autograder.nbgrader_autograde.guard import RefuseUnsandboxed  # noqa: E402

c.Autograde.exporter_class = RefuseUnsandboxed
