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


AHEAD, BY_JUDGES = "ahead", "by each judge"   # the results' metadata: who decoded the data


class Decoder:
    """The running decoder: ``wait`` until its copies are written (or it failed, or ``timeout`` passed)."""

    def __init__(self, process: subprocess.Popen | None = None, log: Path | None = None):
        self.process, self.log = process, log

    def wait(self, timeout: float) -> str:
        """Who decoded the data, as the metadata says it: ``AHEAD``, or ``BY_JUDGES`` (with the decoder's failure)."""
        if self.process is None:
            return BY_JUDGES
        try:
            code = self.process.wait(max(0.0, timeout))
        except subprocess.TimeoutExpired:
            self.stop()
            return f"{BY_JUDGES}: the data decoder did not finish within {timeout:.0f} s"
        if code != 0:
            return f"{BY_JUDGES}: the data decoder failed (exit code {code}): {self._last_line()}"
        return AHEAD

    def _last_line(self) -> str:
        lines = self.log.read_text(errors="replace").strip().splitlines() if self.log and self.log.is_file() else []
        return lines[-1][:300] if lines else "it wrote nothing"

    def stop(self) -> None:
        """Kill it if it still runs (a grading that ends early, or a decoder past its time)."""
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
    with open(log, "wb") as out:   # the kit from ``cwd`` (its root), as a fresh judge finds it: no ``-I``
        process = subprocess.Popen([sys.executable, "-m", "autograder.grade.decoder", str(os.getpid()), *datasets],
                                   env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    decoder = Decoder(process, log)
    try:
        yield decoder
    finally:
        decoder.stop()


def decoding_warnings(decoding: str) -> list[str]:
    """The instructor's log when the data decoder failed (the same grades: each judge decoded its data)."""
    if not decoding.startswith(f"{BY_JUDGES}: "):
        return []
    return [f"dl3 grader: each judge read its datasets itself (the same grades, more time): "
            f"{decoding.removeprefix(BY_JUDGES + ': ')} (its log: grader/decoder.log in the grading's folder)"]
