"""The README's two commands are what CI runs, and the quick tier's command is the same everywhere it is given."""

from __future__ import annotations

import re

from tests.helpers.kit import ROOT

QUICK_TIER = 'python -m pytest -m "not slow"'


def commands_of(section: str) -> list[str]:
    """The one-line ``bash`` blocks of a section of the README."""
    readme = (ROOT / "README.md").read_text()
    text = readme.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S) if "\n" not in block.strip()]


def test_ci_runs_the_readmes_two_commands_as_written():
    first, whole_suite = commands_of("The two commands")[:2]
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert first in ci and whole_suite in ci
    assert ci.index(first) < ci.index(whole_suite)


def test_the_first_command_sets_up_and_then_grades_the_reference():
    first = commands_of("The two commands")[0]
    set_up, grading = first.rsplit(" && ", 1)
    assert set_up.startswith("python3 -m venv .venv") and "-r requirements.txt" in set_up
    assert "-m autograder grade solutions" in grading and "DL3_DATA_DIR=../shared/datasets" in grading


def test_the_quick_tier_is_given_the_same_way_in_the_readme_and_the_testing_guide():
    assert QUICK_TIER in (ROOT / "README.md").read_text()
    assert QUICK_TIER in (ROOT / "docs" / "testing.md").read_text()
