"""A judge lives no longer than the supervisor that started it.

The supervisor starts each judge in a session of its own and names itself in
``$DL3_SUPERVISOR_PID``. The judge asks the kernel for SIGTERM when the supervisor's thread
that started it ends (``PR_SET_PDEATHSIG``: a supervisor killed with SIGKILL too); on SIGTERM
it ends every process under it — its student processes and whatever they left, which are
its orphans since it is their subreaper — removes its folders and exits. A supervisor
already gone before the judge got this far is noticed at once (the judge's parent is no
longer that pid).
"""

from __future__ import annotations

import contextlib
import os
import signal
from typing import Callable

from autograder.config import supervisor_pid
from autograder.grade.processes import PR_SET_PDEATHSIG, kill_descendants, prctl


def bind_to_supervisor(close: Callable[[], None]) -> None:
    """End this judge (``close``: its student processes and folders, then exit) when its supervisor ends."""
    expected = supervisor_pid()
    if expected is None:
        return   # a judge run by hand: nobody to outlive

    def end(signum: int, frame) -> None:
        try:
            kill_descendants()
            with contextlib.suppress(Exception):
                close()
        finally:
            os._exit(128 + signum)

    signal.signal(signal.SIGTERM, end)
    prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))
    if os.getppid() != expected:
        end(signal.SIGTERM, None)
