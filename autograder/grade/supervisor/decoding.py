"""The supervisor's side of the data decoder (``grade/decoder/``): which datasets a grading reads, and the
decoder's process, started before the zygote and awaited before the first judge.

The decoder runs only where there is room beside the zygote (``Plan.decode_ahead``: a second CPU and the
memory); a decoder that fails or overruns costs nothing but time: each judge then decodes what it reads.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Iterator

from autograder import config

# The checks' data helpers (``checks/keras_data.py``, ``checks/data.py``) and the dataset each reads.
DATA_HELPERS = {"imdb_subset": "imdb", "mnist_subset": "mnist", "cifar10_subset": "cifar10",
                "housing_xy": "california_housing"}


def datasets_read(test_files: list[Path]) -> list[str]:
    """The datasets the ``test_files`` read through the checks' data helpers, in ``DATA_HELPERS``'s order."""
    texts = "\n".join(f.read_text() for f in test_files)
    return [name for helper, name in DATA_HELPERS.items() if re.search(rf"\b{helper}\(", texts)]


class Decoder:
    """The running decoder: ``wait`` until its copies are written (or it failed, or ``timeout`` passed)."""

    def __init__(self, process: subprocess.Popen | None = None):
        self.process = process

    def wait(self, timeout: float) -> None:
        if self.process is None:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(max(0.0, timeout))
        self.stop()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@contextlib.contextmanager
def decoding_ahead(datasets: list[str], env: dict, cwd: Path, log: Path) -> Iterator[Decoder]:
    """The decoder of ``datasets``, started now with ``env`` (``$DL3_DECODED_DATA`` set); stopped with the block.

    Started from the calling thread, which must outlive it (it dies with that thread: ``PR_SET_PDEATHSIG``).
    """
    if not datasets or not env.get(config.DECODED_DATA_ENV):
        yield Decoder()
        return
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-I", "-m", "autograder.grade.decoder", str(os.getpid()),
                                    *datasets], env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT)
    decoder = Decoder(process)
    try:
        yield decoder
    finally:
        decoder.stop()
