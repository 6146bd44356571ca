"""``nbgrader autograde`` refused in the kit's course: it would run students' code as the instructor.

nbgrader's own command executes each notebook in a Jupyter kernel of the instructor's, with
their files, gradebook and network. The course's ``nbgrader_config.py`` sets
``c.Autograde.exporter_class = RefuseUnsandboxed``: the converter builds its exporter before it
looks at any submission, and this one stops the run there — nothing read, written or created
in the course — with a message naming the safe command, unless

- nbgrader's ``Execute`` step is no longer among the converter's steps (``record.py`` replaces
  it with the kit's results: no student code runs), or
- ``$DL3_NBGRADER_UNSANDBOXED=1`` (``config.nbgrader_unsandboxed``): the instructor chooses
  nbgrader's unsandboxed run (docs/batch.md says when; the kit's tests that compare routes).

The formgrader's "autograde" button goes through the same converter, so it is refused too.
"""

from __future__ import annotations

from nbconvert.exporters import NotebookExporter
from nbgrader.converters.base import NbGraderException
from nbgrader.preprocessors import Execute

from autograder import config

REFUSAL = ("nbgrader autograde would run every student's code as you, unsandboxed: it can read the solutions and "
           "rewrite gradebook.db. Autograde with `python -m autograder nbgrader-autograde {assignment}` instead "
           "(the kit's sandbox; nbgrader records the result). To run nbgrader's own command anyway, set "
           f"{config.NBGRADER_UNSANDBOXED_ENV}=1 (docs/batch.md).")


class RefuseUnsandboxed(NotebookExporter):
    """nbgrader's exporter, unless the converter holding it would execute student code unsandboxed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if executes_unsandboxed(self.parent):
            assignment = getattr(getattr(self.parent, "coursedir", None), "assignment_id", "") or "dl3"
            message = REFUSAL.format(assignment=assignment)
            self.log.error(message)
            raise NbGraderException(message)


def executes_unsandboxed(converter) -> bool:
    """Whether ``converter`` runs nbgrader's ``Execute`` (students' code, as this user) without the opt-in."""
    steps = getattr(converter, "autograde_preprocessors", None) or []
    return any(_executes(step) for step in steps) and not config.nbgrader_unsandboxed()


def _executes(step) -> bool:
    """nbgrader's ``Execute`` (or a subclass), as a class or as its dotted name in the config."""
    if isinstance(step, str):
        return step.rsplit(".", 1)[-1] == Execute.__name__
    return isinstance(step, type) and issubclass(step, Execute)
