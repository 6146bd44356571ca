"""``python -m autograder.grade.decoder SUPERVISOR_PID DATASET...`` (see the package's docstring)."""

from __future__ import annotations

import os
import signal
import sys

from autograder.datasets import decode_datasets
from autograder.grade.processes import PR_SET_PDEATHSIG, prctl


def main(argv: list[str]) -> int:
    supervisor, names = int(argv[0]), argv[1:]
    prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL))
    if os.getppid() != supervisor:   # the supervisor was gone before the line above
        return 1
    decode_datasets(names)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
