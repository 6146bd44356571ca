"""What students receive, generated from the one source of truth (``solutions/``).

- ``exercises/<name>.py`` is ``solutions/<name>.py`` with each region between
  ``### BEGIN SOLUTION`` and ``### END SOLUTION`` replaced by
  ``raise NotImplementedError`` (nbgrader's markers, so notebooks share them).
- The student bundle is ``exercises/`` (stubs and visible tests), the release
  notebooks (``release/``), the helpers they import (``autograder/`` less the grading
  internals) and the setup files; it never
  holds solutions or hidden tests (``tests/test_release.py`` proves it).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUB_HEADER = (
    "# Generated from the reference by `python -m autograder stubs` — your copy to fill in.\n"
    "# Replace each `raise NotImplementedError(...)` with your code; keep the function names.\n"
)
STUB_MESSAGE = "fill in this part (see the docstring above)"

# Modules of the kit a student never needs: the grading machinery.
GRADER_ONLY = ("autograder/grade", "autograder/batch.py", "autograder/release.py", "autograder/nbsource.py",
               "autograder/feedback.py")
STUDENT_TOP_FILES = ("pyproject.toml", "requirements.txt", "jupyter_server_config.py")


class StubError(ValueError):
    """A solution file's markers are malformed."""


def make_stub(source: str, name: str = "<source>") -> str:
    """``source`` with every solution region replaced by ``raise NotImplementedError``."""
    out: list[str] = []
    region_indent: str | None = None
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        stripped = line.strip()
        if stripped == BEGIN:
            if region_indent is not None:
                raise StubError(f"{name}:{number}: {BEGIN} inside another solution region")
            region_indent = line[: len(line) - len(line.lstrip())]
            out.append(f'{region_indent}raise NotImplementedError("{STUB_MESSAGE}")\n')
        elif stripped == END:
            if region_indent is None:
                raise StubError(f"{name}:{number}: {END} without a {BEGIN}")
            region_indent = None
        elif region_indent is None:
            out.append(line)
    if region_indent is not None:
        raise StubError(f"{name}: a {BEGIN} region is never closed")
    return STUB_HEADER + "".join(out)


def solution_regions(source: str) -> list[str]:
    """The code inside each solution region of ``source`` (for leak checks)."""
    pattern = re.compile(rf"^[ \t]*{re.escape(BEGIN)}[ \t]*\n(.*?)^[ \t]*{re.escape(END)}", re.S | re.M)
    return [m.group(1) for m in pattern.finditer(source)]


def stub_pairs(root: Path) -> list[tuple[Path, Path]]:
    """(solution, exercise) paths for every solution module with solution regions."""
    pairs = []
    for solution in sorted((root / "solutions").glob("*.py")):
        if BEGIN in solution.read_text():
            pairs.append((solution, root / "exercises" / solution.name))
    return pairs


def stale_stubs(root: Path) -> list[Path]:
    """Exercise files that differ from what ``write_stubs`` would write."""
    return [exercise for solution, exercise in stub_pairs(root)
            if not exercise.is_file()
            or exercise.read_text() != make_stub(solution.read_text(), str(solution))]


def write_stubs(root: Path) -> list[Path]:
    """(Re)generate every ``exercises/<name>.py``; returns the files written."""
    written = []
    for solution, exercise in stub_pairs(root):
        stub = make_stub(solution.read_text(), str(solution))
        if not exercise.is_file() or exercise.read_text() != stub:
            exercise.write_text(stub)
            written.append(exercise)
    return written


def student_files(root: Path) -> list[str]:
    """Paths (relative to ``root``) that make up what a student receives."""
    files = [p for p in (root / "exercises").rglob("*") if p.is_file()]
    files += [p for p in (root / "autograder").rglob("*.py")
              if not any(p.relative_to(root).as_posix().startswith(g) for g in GRADER_ONLY)]
    files += [root / name for name in STUDENT_TOP_FILES if (root / name).is_file()]
    files += list((root / "release").rglob("*.ipynb"))
    return sorted(p.relative_to(root).as_posix() for p in files if "__pycache__" not in p.parts)


def build_student_bundle(root: Path, out: Path) -> Path:
    """Zip what a student receives into ``out``; refuses if a stub is stale."""
    stale = stale_stubs(root)
    if stale:
        raise StubError("stale exercise files (run `python -m autograder stubs`): "
                        + ", ".join(str(p) for p in stale))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        for rel in student_files(root):
            bundle.write(root / rel, rel)
    return out
