"""Example messages that name nobody.

A check's message may hold the student's id (a file or folder named after them, a
string they printed), their name or email (``aliases``: what the grading recorded of who
they are) and paths of the machine that graded them. ``anonymise`` replaces each of
those with ``<student>`` wherever it appears and cuts every path down to its file name;
``example`` then picks, for one mistake, the message text most students share, so the
example shown is the class's, not one person's.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Iterable

from autograder.identity import Person

STUDENT = "<student>"
# A path: at the start of a word, a drive, ~, . or .. (or nothing), then folder separators
# and parts ("/tmp/x/gradient_descent.py", "C:\\Users\\x\\a.py", "./a/b"); not "1/2" nor "and/or".
PATH = re.compile(r"(?<![\w.])(?:[A-Za-z]:|~|\.{1,2})?(?:[/\\][^\s/\\'\"`:,;()\[\]<>]+)+[/\\]?")
TRAILING_SPACES = re.compile(r"[ \t]+\n")


def anonymise(message: str, student: str, *others: str) -> str:
    """``message`` with ``student`` (and ``others``: names, emails) replaced by ``<student>`` and every path
    cut to its file name."""
    text = PATH.sub(_file_name, message)
    for who in sorted({w for w in (student, *others) if w}, key=len, reverse=True):   # an email before its user
        pattern = re.compile(rf"(?<![A-Za-z0-9]){re.escape(who)}(?![A-Za-z0-9])", re.IGNORECASE)
        text = pattern.sub(STUDENT, text)
    return TRAILING_SPACES.sub("\n", text).strip()


def aliases(people: Iterable[Person]) -> list[str]:
    """What else names a student in a message: each user's name, email and the email's user part.

    Numbers (a Gradescope user id) and one- or two-letter words are left alone: they occur in
    messages for other reasons ("expected 1234", "m").
    """
    found = []
    for person in people:
        found += [person.name, person.email, person.email.split("@", 1)[0], person.id]
    return [a.strip() for a in found if len(a.strip()) > 2 and not a.strip().isdigit()]


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
