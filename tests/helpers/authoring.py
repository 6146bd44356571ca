"""``docs/authoring.md`` as an instructor reads it: a recipe's text and the shell blocks it gives."""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers.kit import ROOT

GUIDE = ROOT / "docs" / "authoring.md"


def section(heading: str, guide: Path = GUIDE) -> str:
    """The guide's text from the line that starts with ``heading`` to the next heading of the same level."""
    text = guide.read_text(encoding="utf-8")
    start = text.index(f"\n{heading}") + 1
    level = heading.split(" ")[0]
    end = text.find(f"\n{level} ", start + len(heading))
    return text[start:] if end < 0 else text[start:end]


def bash_blocks(text: str) -> list[str]:
    """The ```bash blocks of ``text``, in order, their list indentation removed."""
    return [re.sub(r"^ {3}", "", block, flags=re.M) for block in re.findall(r"```bash\n(.*?)```", text, re.S)]


def says(text: str, words: str) -> bool:
    """Whether ``text`` says ``words`` (line breaks and indentation read as single spaces)."""
    return " ".join(words.split()) in " ".join(text.split())
