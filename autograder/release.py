"""What students receive, generated from the one source of truth (``solutions/``).

- ``exercises/<name>.py`` is ``solutions/<name>.py`` with each region between
  ``### BEGIN SOLUTION`` and ``### END SOLUTION`` replaced by
  ``raise NotImplementedError`` (nbgrader's markers, so notebooks share them).
- The student bundle is ``exercises/`` (stubs and visible tests), the release
  notebooks (``release/``), the helpers they import (``autograder/`` less the grading
  internals, with copies of the visible tests as package data so that notebooks find
  them wherever the kit is installed), and its own set-up files: ``README.md`` (from
  ``autograder/student_readme.md``), ``pyproject.toml`` (the package ``autograder``,
  ``testpaths = exercises``) and ``requirements.txt`` (``requirements/student.txt``).
  It never holds solutions, hidden tests or hidden checks' names
  (``tests/test_release.py`` proves it).
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
GRADER_ONLY = ("autograder/grade", "autograder/gradescope.py", "autograder/costs.py", "autograder/batch.py",
               "autograder/release.py", "autograder/nbsource.py", "autograder/feedback.py", "autograder/report",
               "autograder/gradebook", "autograder/identity.py", "autograder/fingerprints.py", "autograder/scaffold.py",
               "autograder/spreadsheet.py", "autograder/nbgrader_autograde")
KIT_DATA = ("*.py", "*.ini")                 # what of autograder/ ships (not student_readme.md: it is README.md)
VISIBLE_TESTS = "autograder/visible_tests"   # the bundle's package data: copies of exercises/test_*.py
STUDENT_README = "autograder/student_readme.md"
STUDENT_REQUIREMENTS = "requirements/student.txt"
# The student's one set-up command (the bundle README shows it; a test runs it).
STUDENT_SETUP = ("python3 -m venv .venv && .venv/bin/pip install -r requirements.txt"
                 " && .venv/bin/pip install --no-deps --no-build-isolation .")
STUDENT_PYPROJECT = """\
# The student's kit: `pip install --no-deps --no-build-isolation .` (after requirements.txt)
# installs the package `autograder`, so notebooks find it from any directory.
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "dl3-student-kit"
version = "{version}"
description = "Deep Learning 3 exercises: the student's kit"
requires-python = "{requires_python}"
dependencies = []  # pinned in requirements.txt: install that first

[tool.setuptools.packages.find]
where = ["."]
include = ["autograder*"]

[tool.setuptools.package-data]
autograder = ["*.ini", "visible_tests/*.py"]

[tool.pytest.ini_options]
addopts = "-p autograder.plugin -p no:cacheprovider"
testpaths = ["exercises"]
filterwarnings = ["ignore::DeprecationWarning"]
"""


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


def grader_only(path: str) -> bool:
    """Whether ``path`` (relative to the repo) is one of ``GRADER_ONLY`` or inside one of its folders."""
    return any(path == g or path.startswith(g + "/") for g in GRADER_ONLY)


def student_files(root: Path) -> list[str]:
    """Paths (relative to ``root``) of the repo's files that a student receives as they are."""
    files = [p for p in (root / "exercises").rglob("*") if p.is_file()]
    files += [p for pattern in KIT_DATA for p in (root / "autograder").rglob(pattern)
              if not grader_only(p.relative_to(root).as_posix())]
    files += list((root / "release").rglob("*.ipynb"))
    return sorted(p.relative_to(root).as_posix() for p in files
                  if "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts)


def student_pyproject(root: Path) -> str:
    """The bundle's pyproject.toml: version and Python range from the repo's, testpaths = exercises."""
    import tomllib

    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    return STUDENT_PYPROJECT.format(version=project["version"], requires_python=project["requires-python"])


def generated_student_files(root: Path) -> dict[str, str]:
    """Files of the bundle made at bundling time: set-up files and the visible tests as package data."""
    generated = {
        "README.md": (root / STUDENT_README).read_text(encoding="utf-8"),
        "pyproject.toml": student_pyproject(root),
        "requirements.txt": (root / STUDENT_REQUIREMENTS).read_text(encoding="utf-8"),
    }
    for test in sorted((root / "exercises").glob("test_*.py")):
        generated[f"{VISIBLE_TESTS}/{test.name}"] = test.read_text(encoding="utf-8")
    return generated


def build_student_bundle(root: Path, out: Path) -> Path:
    """Zip what a student receives into ``out``; refuses if a stub is stale."""
    stale = stale_stubs(root)
    if stale:
        raise StubError("stale exercise files (run `python -m autograder stubs`): "
                        + ", ".join(str(p) for p in stale))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        for rel in student_files(root):
            bundle.write(root / rel, rel)
        for rel, text in generated_student_files(root).items():
            bundle.writestr(rel, text)
    return out
