"""Example messages that name nobody.

A check's message may hold the student's id (a file or folder named after them, a
string they printed) and paths of the machine that graded them. ``anonymise`` replaces
the id with ``<student>`` wherever it appears and cuts every path down to its file name;
``example`` then picks, for one mistake, the message text most students share, so the
example shown is the class's, not one person's.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Iterable

STUDENT = "<student>"
# A path: at the start of a word, a drive, ~, . or .. (or nothing), then folder separators
# and parts ("/tmp/x/gradient_descent.py", "C:\\Users\\x\\a.py", "./a/b"); not "1/2" nor "and/or".
PATH = re.compile(r"(?<![\w.])(?:[A-Za-z]:|~|\.{1,2})?(?:[/\\][^\s/\\'\"`:,;()\[\]<>]+)+[/\\]?")
TRAILING_SPACES = re.compile(r"[ \t]+\n")


def anonymise(message: str, student: str) -> str:
    """``message`` with ``student`` replaced by ``<student>`` and every path cut to its file name."""
    text = PATH.sub(_file_name, message)
    if student:
        pattern = re.compile(rf"(?<![A-Za-z0-9]){re.escape(student)}(?![A-Za-z0-9])", re.IGNORECASE)
        text = pattern.sub(STUDENT, text)
    return TRAILING_SPACES.sub("\n", text).strip()


def _file_name(match: re.Match) -> str:
    parts = [p for p in re.split(r"[/\\]", match.group(0)) if p]
    return parts[-1] if parts else match.group(0)


def example(messages: Iterable[str], limit: int = 1200) -> str:
    """The most common of (already anonymised) ``messages``; on a tie the shortest, then the first in order."""
    counts = Counter(m for m in messages if m)
    if not counts:
        return ""
    text = min(counts, key=lambda m: (-counts[m], len(m), m))
    return text if len(text) <= limit else text[:limit] + " …"
