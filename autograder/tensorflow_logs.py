"""TensorFlow's own log lines, kept out of what a student reads.

TensorFlow writes C++ log lines to the process's stderr whatever Python does: at import
(``oneDNN custom operations are on``, ``Could not find cuda drivers``) and at the first
operation on a machine without a GPU (``failed call to cuInit: … CUDA error``).
``TF_CPP_MIN_LOG_LEVEL=3`` silences only some of them, and a student's kernel or terminal
rarely sets it. Captured with a student's output, they read as if the student's code had
failed. ``strip_tensorflow_logs`` removes exactly those lines and keeps everything else.
"""

from __future__ import annotations

import re

TENSORFLOW_LOG_LINE = re.compile(
    r"^(?:"
    r"[IWEF]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [\w./-]+:\d+\] .*"                       # absl: E0000 00:00:… x.cc:52] …
    r"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] [\w./-]+:\d+\] .*"                 # TensorFlow < 2.16
    r"|WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|To enable the following instructions: .*rebuild TensorFlow with the appropriate compiler flags\."
    r")$")


def strip_tensorflow_logs(text: str) -> str:
    """``text`` without TensorFlow's C++ log lines."""
    if not text:
        return text
    kept = [line for line in text.splitlines(keepends=True) if not TENSORFLOW_LOG_LINE.match(line.rstrip("\r\n"))]
    return "".join(kept)
