"""``python -m autograder new-exercise NAME --title TITLE``: a new exercise, complete and gradable.

It writes every file an exercise consists of (``docs/authoring.md``) with one example
function and one trivial check of each kind, visible and hidden, on a dataset the kit
already has (California housing), so the new exercise grades at once on every route —
pytest, ``grade``, nbgrader, both bundles, the gradebook and the class report — and the
instructor replaces the example with their own. In order:

1. ``solutions/NAME.py``: the reference, one function with its solution region;
2. ``autograder/specs/NAME.py``: the spec, placed after the kit's last exercise (``order``),
   with one visible check and one hidden check counted (``hidden_count``, ``hidden_points``);
3. ``exercises/test_NAME.py``: the visible check's test;
4. ``hidden_tests/hidden_specs.py``: ``HIDDEN["NAME"]``, the hidden check (appended);
5. ``hidden_tests/test_NAME_hidden.py``: the hidden check's test;
6. ``narrative/NAME.md``: the notebook's text, with a ``%% check`` line per check;
7. the generated copies: the stub ``exercises/NAME.py`` and ``source/dl3/NAME.ipynb``.

Left to their own commands (``next_steps`` prints them): the release notebook (``nbgrader
generate_assignment``) and the reference costs (``reference-costs --exercise NAME``).
"""

from __future__ import annotations

import importlib
import keyword
import re
from pathlib import Path
from string import Template
from typing import Callable

from autograder.graded_tests import hidden_test_file, visible_test_file
from autograder.specs import (HIDDEN_SPECS_NAME, Exercise, all_exercises, forget_hidden_specs, hidden_entries,
                              spec_file)

NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]*")

SOLUTION = Template('''\
"""${title}

An exercise made by `python -m autograder new-exercise`: replace this text and the example
function below with your own (docs/authoring.md says what else to change).

Fill in each function that raises ``NotImplementedError``. Check yourself with
``pytest exercises/test_${name}.py``.
"""

from __future__ import annotations

import numpy as np


def standardize(values: np.ndarray) -> np.ndarray:
    """Subtract the mean of ``values`` and divide by their standard deviation; a new float64 array."""
    ### BEGIN SOLUTION
    values = np.asarray(values, dtype=np.float64)
    return (values - values.mean()) / values.std()
    ### END SOLUTION
''')

SPEC = Template('''\
"""Spec of the exercise ${name} (made by `python -m autograder new-exercise`): its checks and points.

The hidden check's name, description and settings are in ``hidden_tests/hidden_specs.py``
(``HIDDEN["${name}"]``); this file says only how many hidden checks there are and their points.
"""

from autograder.specs import Check, Exercise, with_hidden

EXERCISE = with_hidden(Exercise(
    name="${name}",
    title=${title_literal},
    module="${name}",
    order=${order},
    functions=("standardize",),
    checks=(
        Check("standardize_values", 1, describe="standardize gives values of mean 0 and standard deviation 1",
              mistakes={"not_centred": "the mean is not subtracted",
                        "not_scaled": "not divided by the standard deviation"}),
    ),
    hidden_count=1,
    hidden_points=1,
))
''')

VISIBLE_TEST = Template('''\
"""Visible checks for ${name}.py — run them with ``pytest exercises/test_${name}.py``.

Passing these is not your grade: hidden checks of the same functions run at grading.
"""

import numpy as np

from autograder.checks import call_student, expect_array, expect_close
from autograder.plugin import graded

VALUES = np.array([1.0, 2.0, 3.0, 6.0])


@graded("${name}", "standardize_values")
def test_standardize_values(submission):
    out = expect_array(call_student(submission.standardize, VALUES.copy()), "standardize([1, 2, 3, 6])",
                       shape=VALUES.shape)
    expect_close(out.mean(), 0.0, "the mean of standardize([1, 2, 3, 6])", atol=1e-9,
                 hint="subtract the mean of the values", mistake="not_centred")
    expect_close(out.std(), 1.0, "the standard deviation of standardize([1, 2, 3, 6])",
                 hint="divide by the standard deviation (np.std)", mistake="not_scaled")
''')

HIDDEN_ENTRY = Template('''

# Made by `python -m autograder new-exercise ${name}`.
HIDDEN["${name}"] = {
    "checks": [
        ("standardize_values", Check(
            "standardize_housing", 1, hidden=True,
            describe="standardize on the California housing incomes, without changing its input",
            mistakes={"changes_its_input": "changes the array it is given instead of working on a copy"})),
    ],
    "extra": {},
}
''')

HIDDEN_TEST = Template('''\
"""Hidden checks for ${name}.py: run at grading, never shipped to students."""

import numpy as np

from autograder.checks import call_student, expect, expect_array, expect_close
from autograder.datasets import load_california_housing
from autograder.plugin import graded


@graded("${name}", "standardize_housing")
def test_standardize_housing(submission):
    income = load_california_housing().data[:, 0]
    original = income.copy()
    out = expect_array(call_student(submission.standardize, income), "standardize(20,640 median incomes)",
                       shape=income.shape)
    expect(np.array_equal(income, original), "standardize must not change its input", "the incomes unchanged",
           "changed incomes", hint="work on a copy (values - values.mean() makes one)", mistake="changes_its_input")
    expect_close(out, (original - original.mean()) / original.std(), "standardize on the housing incomes",
                 rtol=1e-9)
''')

NARRATIVE = Template('''\
# ${title}

(Made by `python -m autograder new-exercise`: replace this text, the example function and
its checks with your own.)

Fill in every cell that says `raise NotImplementedError()`; the cells after each function
check your work. Hidden checks run only when your notebook is graded.

%% module
%% markdown
## Standardizing

`standardize(values)` subtracts the mean of the values and divides by their standard
deviation: the result has mean 0 and standard deviation 1.
%% function standardize
%% check standardize_values
%% check standardize_housing
%% markdown
The median incomes of California's districts, before and after.
%% code
from autograder.datasets import load_california_housing

income = load_california_housing().data[:, 0]
scaled = standardize(income)
print(f"mean {income.mean():.3f} -> {scaled.mean():.3f}, standard deviation {income.std():.3f} -> {scaled.std():.3f}")
''')


class ScaffoldError(ValueError):
    """The exercise cannot be made (a bad name, or one the kit already has)."""


def _fields(name: str, title: str, exercises: dict[str, Exercise]) -> dict[str, str]:
    return {"name": name, "title": title, "title_literal": repr(title),
            "order": str(max((e.order for e in exercises.values()), default=0) + 1)}


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _solution(root: Path, fields: dict) -> Path:
    return _write(root / "solutions" / f"{fields['name']}.py", SOLUTION.substitute(fields))


def _spec(root: Path, fields: dict) -> Path:
    return _write(root / spec_file(fields["name"]), SPEC.substitute(fields))


def _visible_test(root: Path, fields: dict) -> Path:
    return _write(root / "exercises" / f"test_{fields['name']}.py", VISIBLE_TEST.substitute(fields))


def _hidden_entry(root: Path, fields: dict) -> Path:
    path = root / HIDDEN_SPECS_NAME
    with path.open("a", encoding="utf-8") as handle:
        handle.write(HIDDEN_ENTRY.substitute(fields))
    return path


def _hidden_test(root: Path, fields: dict) -> Path:
    return _write(root / "hidden_tests" / f"test_{fields['name']}_hidden.py", HIDDEN_TEST.substitute(fields))


def _narrative(root: Path, fields: dict) -> Path:
    return _write(root / "narrative" / f"{fields['name']}.md", NARRATIVE.substitute(fields))


# The steps, in order: each writes one file of the exercise.
STEPS: list[Callable[[Path, dict], Path]] = [_solution, _spec, _visible_test, _hidden_entry, _hidden_test, _narrative]


def _refuse_unless_new(root: Path, name: str, title: str, exercises: dict[str, Exercise]) -> None:
    if not NAME_PATTERN.fullmatch(name) or keyword.iskeyword(name) or name.startswith("test"):
        raise ScaffoldError(f"{name!r} is not a name for an exercise: lower-case letters, digits and '_', "
                            f"starting with a letter (it names its Python module); not 'test...'")
    if not title.strip() or "\n" in title:
        raise ScaffoldError("--title must be one line of text, e.g. \"5. Standardizing\"")
    if not (root / HIDDEN_SPECS_NAME).is_file():
        raise ScaffoldError(f"{HIDDEN_SPECS_NAME} is missing: new-exercise needs the full kit (the course repo)")
    if name in exercises or name in {e.module for e in exercises.values()} or name in hidden_entries():
        raise ScaffoldError(f"the kit already has an exercise {name!r}")
    probe = Exercise(name, title, name, 0, (), ())
    taken = [p for p in (root / "solutions" / f"{name}.py", root / spec_file(name), visible_test_file(root, probe),
                         hidden_test_file(root, probe), root / "narrative" / f"{name}.md") if p.exists()]
    if taken:
        raise ScaffoldError(f"refusing to overwrite {', '.join(p.relative_to(root).as_posix() for p in taken)}")


def new_exercise(root: Path, name: str, title: str) -> list[Path]:
    """Write the exercise ``name`` and its generated copies; the files written."""
    from autograder.nbsource import write_notebooks
    from autograder.release import write_stubs

    exercises = all_exercises()   # the kit must load before anything is added to it
    _refuse_unless_new(root, name, title, exercises)
    fields = _fields(name, title, exercises)
    written = [step(root, fields) for step in STEPS]
    forget_hidden_specs()           # the new entry, and the new spec module, are read from here on
    importlib.invalidate_caches()
    return written + write_stubs(root) + write_notebooks(root)


def next_steps(name: str) -> str:
    """What is left to run after ``new_exercise`` (docs/authoring.md, "Add an exercise")."""
    return "\n".join([
        "next (docs/authoring.md, \"Add an exercise\"):",
        f"  make it yours: solutions/{name}.py, autograder/specs/{name}.py, exercises/test_{name}.py,",
        f"    HIDDEN[\"{name}\"] in hidden_tests/hidden_specs.py, hidden_tests/test_{name}_hidden.py, "
        f"narrative/{name}.md;",
        f"  prove its checks both ways: tests/mistake_cases/{name}.json, a right answer in tests/right_answers/{name}/",
        "    named in tests/right_answers/catalogue.json (the kit's quick tier asks for both);",
        "    then: python -m autograder stubs && python -m autograder notebooks",
        f"  check it: python -m pytest exercises/test_{name}.py hidden_tests/test_{name}_hidden.py --target solutions",
        "  release notebook (venv first on PATH): nbgrader generate_assignment dl3 --force",
        f"  reference costs: python -m autograder reference-costs --exercise {name}",
    ])
