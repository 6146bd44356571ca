"""An instructor's changes stay green: ``docs/authoring.md``'s recipes applied to a temporary copy of the kit.

One copy for the module, one instructor: "Change a layer" (the MNIST CNN's first convolution to 64
filters), then "Change a check's points" (one visible check of that exercise a point more), then
"Add an exercise" with a BatchNormalization model (Dense 64 → BatchNormalization → Dense 10, as
"Use another Keras layer" writes it). Each recipe edits the files it names and runs the commands it
gives, in order; every command run is checked to be in the recipe's text, every file edited to be
named there. Then each documented "done" check runs in the copy — the recipes', and the table
"After a change", the kit's quick tier included — and must pass with no kit code and no test
edited by hand (about 7½ minutes on two cores, 4½ of them the copy's quick tier). The counts the
instructor types are the ones Keras gives for the changed layers (as an instructor would read them
off ``model.summary()``); the workshop's figures are read from the kit's specs, never typed here.

Cheaper than the instructor, said where it happens: the sweep runs on ``SWEEP_SEEDS`` seeds, not
20 (``--seeds``, which the guide documents: a weaker measurement, its thresholds checked against the
runs recorded), and keeps the spec's thresholds; ``pytest exercises/ hidden_tests/ --target
solutions`` runs on the two exercises the recipes changed (the others' files are the kit's, and
CIFAR's training alone takes minutes); the new exercise is not bundled ("Ship it": that step is
``tests/test_new_exercise.py``'s).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from autograder.checks.architecture import ModelSpec, expected_params, layer
from autograder.specs import get_exercise
from autograder.specs.mnist_cnn import cnn_model_spec
from tests.helpers.authoring import bash_blocks, says, section
from tests.helpers.kit import copy_of_repo, shell

pytestmark = pytest.mark.slow

SWEEP_SEEDS = 2      # the instructor's sweep runs 20 seeds (about 4 minutes for MNIST); the commands are the same
FILTERS = 64         # "Change a layer": the MNIST CNN's first convolution to 64 filters
POOLS = ((2, 2), (1, 1))
NEW = "batch_norm"   # "Add an exercise", named as the instructor names it
TITLE = "5. Batch normalization"
# Not a check of the change: the copy is not the installed kit (the venv's install maps the original).
NOT_IN_A_COPY = "tests/test_release.py::test_installed_kit_exposes_autograder_only"


# --------------------------------------------------------------------------
# The instructor: edits the files a recipe names, runs the commands it gives


def guide(kit: Path, heading: str) -> str:
    return section(heading, kit / "docs" / "authoring.md")


def run(kit: Path, recipe: str, command: str, timeout: int = 1200) -> subprocess.CompletedProcess:
    """A command the recipe gives, run as written in the copy."""
    assert says(recipe, command), f"the recipe does not give `{command}`"
    return shell(kit, command, timeout=timeout)


def must(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert done.returncode == 0, done.args[-1] + "\n" + done.stdout[-3000:] + done.stderr[-3000:]
    return done


def edit(kit: Path, recipe: str, name: str, changes: list[tuple[str, str]], named: str | None = None) -> None:
    """Replace each ``(old, new)`` in the file ``name``, which the recipe names (as ``named``)."""
    assert (named or name) in recipe, f"the recipe does not name {named or name}"
    path = kit / name
    text = path.read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text, (name, old)
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")


def restate(kit: Path, recipe: str, name: str, counts: list[tuple[int, int]]) -> None:
    """Each count the text ``name`` states anew (the recipe names the text; not every text states every count)."""
    assert name in recipe, f"the recipe does not name {name}"
    path = kit / name
    text = path.read_text(encoding="utf-8")
    for old, new in counts:
        text = re.sub(rf"(?<![\d,]){old:,}(?![\d,])", f"{new:,}", text)
    path.write_text(text, encoding="utf-8")


def with_filters(spec: ModelSpec, filters: int) -> ModelSpec:
    first = spec.layers[0]
    return ModelSpec(spec.input_shape, (layer(first.kind, **{**dict(first.settings), "filters": filters}),
                                        *spec.layers[1:]))


def figures(spec: ModelSpec) -> list[int]:
    """The counts a text states of a model: each layer's parameters, then the total (as Keras builds it)."""
    params = expected_params(spec)
    return [*params, sum(params)]


def count_changes(filters: int) -> list[tuple[int, int]]:
    """Each count of the CNN (4+ digits) that the first layer's filters change: (the spec's now, Keras' after)."""
    pairs = {(old, new) for pool in POOLS
             for old, new in zip(figures(cnn_model_spec(pool)), figures(with_filters(cnn_model_spec(pool), filters)))}
    return sorted((old, new) for old, new in pairs if old != new and old >= 1000)


def change_a_layer(kit: Path) -> dict[str, subprocess.CompletedProcess]:
    """"Change a layer": the reference, the spec and the texts edited; regenerated; re-measured."""
    recipe, log = guide(kit, "### Change a layer"), {}
    was = dict(cnn_model_spec().layers[0].settings)["filters"]
    counts = count_changes(FILTERS)
    totals = {cnn_model_spec(pool).total_params for pool in POOLS}
    filters_text = (f"Conv2D({was} filters", f"Conv2D({FILTERS} filters")
    edit(kit, recipe, "solutions/mnist_cnn.py", [(f"keras.layers.Conv2D({was},", f"keras.layers.Conv2D({FILTERS},"),
                                                 filters_text])
    edit(kit, recipe, "autograder/specs/mnist_cnn.py", [(f"conv2d({was},", f"conv2d({FILTERS},"),
                                                        *[(f"{old:_}", f"{new:_}") for old, new in counts
                                                          if old in totals]])
    edit(kit, recipe, "narrative/mnist_cnn.md", [filters_text])
    for text in ("solutions/mnist_cnn.py", "narrative/mnist_cnn.md", "docs/keras_exercises.md"):
        restate(kit, recipe, text, counts)
    log["architecture"] = run(kit, recipe, "python -m pytest tests/test_architecture_check.py")
    must(run(kit, recipe, "python -m autograder stubs && python -m autograder notebooks && "
                          "nbgrader generate_assignment dl3 --force"))
    log["stale sweep"] = run(kit, recipe, "python benchmarks/sweep_thresholds.py --check")
    sweep = "python benchmarks/sweep_thresholds.py --only mnist_dense mnist_cnn"
    assert says(recipe, sweep) and says(guide(kit, "## After a change"), "`--seeds N` runs fewer seeds")
    log["sweep"] = must(shell(kit, f"{sweep} --seeds {SWEEP_SEEDS}", timeout=1800))   # SWEEP_SEEDS, not 20
    must(run(kit, recipe, "python -m autograder reference-costs --exercise mnist_cnn"))
    return log


def change_points(kit: Path) -> dict[str, subprocess.CompletedProcess]:
    """"Change a check's points": one visible check of the MNIST exercise a point more; regenerated."""
    recipe = guide(kit, "### Change a check's points")
    spec_text = (kit / "autograder" / "specs" / "mnist_cnn.py").read_text()
    check = next(c for c in get_exercise("mnist_cnn").visible_checks
                 if f'Check("{c.name}", {c.points},' in spec_text)
    edit(kit, recipe, "autograder/specs/mnist_cnn.py",
         [(f'Check("{check.name}", {check.points},', f'Check("{check.name}", {check.points + 1},')],
         named="autograder/specs/<name>.py")
    must(run(kit, recipe, "python -m autograder notebooks && nbgrader generate_assignment dl3 --force"))
    return {"notebooks check": run(kit, recipe, "python -m autograder notebooks --check")}


def make_it_mine(kit: Path, recipe: str) -> None:
    """"Make it yours": the BatchNormalization exercise in place of the scaffold's example."""
    for name in (f"solutions/{NEW}.py", f"autograder/specs/{NEW}.py", f'HIDDEN["{NEW}"]', f"exercises/test_{NEW}.py",
                 f"hidden_tests/test_{NEW}_hidden.py", f"narrative/{NEW}.md", "README's exercise table"):
        assert name in recipe, f"the recipe does not name {name}"
    order = re.search(r"order=(\d+)", (kit / "autograder" / "specs" / f"{NEW}.py").read_text()).group(1)
    for name, text in MINE.items():
        (kit / name.format(name=NEW)).write_text(text.format(name=NEW, title=TITLE, order=order), encoding="utf-8")
    hidden = kit / "hidden_tests" / "hidden_specs.py"
    text = hidden.read_text(encoding="utf-8")
    hidden.write_text(text[:text.index(f'HIDDEN["{NEW}"] = {{')] + HIDDEN_ENTRY.format(name=NEW), encoding="utf-8")
    prove_it(kit, recipe)
    readme = kit / "README.md"
    row = "| CIFAR-10 | `cifar_cnn.py` | 4 — deeper CNN with pooling and dropout |\n"
    readme.write_text(readme.read_text().replace(row, row + f"| Batch normalization | `{NEW}.py` | — |\n"))


def prove_it(kit: Path, recipe: str) -> None:
    """"Prove the checks both ways": its mistakes' cases, a right answer written differently in the catalogue."""
    for name in (f"tests/mistake_cases/{NEW}.json", f"tests/right_answers/{NEW}/<variant>.py",
                 "tests/right_answers/catalogue.json"):
        assert name in recipe, f"the recipe does not name {name}"
    (kit / "tests" / "mistake_cases").mkdir(exist_ok=True)
    (kit / "tests" / "mistake_cases" / f"{NEW}.json").write_text(json.dumps(MISTAKES, indent=1) + "\n")
    (kit / "tests" / "right_answers" / NEW).mkdir()
    (kit / "tests" / "right_answers" / NEW / "functional_api.py").write_text(RIGHT_ANSWER)
    catalogue_file = kit / "tests" / "right_answers" / "catalogue.json"
    catalogue = json.loads(catalogue_file.read_text())
    free = next(sub for sub in catalogue["submissions"].values() if NEW not in sub["variants"] and not sub["training"])
    free["variants"][NEW] = "functional_api"
    catalogue_file.write_text(json.dumps(catalogue, indent=1) + "\n")


def add_an_exercise(kit: Path) -> dict[str, subprocess.CompletedProcess]:
    """"Add an exercise", its command blocks as written for the instructor's name and title; "Ship it" left out."""
    recipe = guide(kit, "### Add an exercise").replace("standardize", NEW).replace("5. Standardizing features", TITLE)
    scaffold, regenerate, done, measure, _ship = bash_blocks(recipe)
    must(shell(kit, scaffold))
    make_it_mine(kit, recipe)
    must(shell(kit, regenerate))
    log = {command: shell(kit, command) for command in done.splitlines()}
    log |= {command: shell(kit, command, timeout=1200) for command in measure.splitlines()}
    return log


@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> Path:
    """A copy of the repo in git (some of the kit's tests list its files as git knows them)."""
    kit = copy_of_repo(tmp_path_factory.mktemp("kit"))
    must(shell(kit, "git init -q && echo .venv >> .git/info/exclude && git add -A"))
    return kit


@pytest.fixture(scope="module")
def instructor(kit) -> dict[str, dict[str, subprocess.CompletedProcess]]:
    """The three recipes, one after the other, in the copy: what each command run printed, by recipe."""
    return {"layer": change_a_layer(kit), "points": change_points(kit), "exercise": add_an_exercise(kit)}


def silent(done: subprocess.CompletedProcess) -> bool:
    """A ``--check`` that found nothing stale: it exits 0 and prints nothing."""
    return done.returncode == 0 and not done.stdout.strip()


def shown(done: subprocess.CompletedProcess) -> str:
    return done.args[-1] + "\n" + done.stdout[-4000:] + done.stderr[-4000:]


# --------------------------------------------------------------------------
# Each recipe's own "done when"


def test_change_a_layer_is_done_when_its_checks_say_so(instructor):
    log = instructor["layer"]
    assert log["architecture"].returncode == 0, shown(log["architecture"])
    stale = log["stale sweep"]   # the recipe: "--check names mnist_dense and mnist_cnn"
    assert stale.returncode == 1 and "--only mnist_dense" in stale.stdout and "--only mnist_cnn" in stale.stdout, \
        shown(stale)
    assert f"# threshold sweep: {SWEEP_SEEDS} seeds" in log["sweep"].stdout


def test_change_points_is_done_when_the_notebooks_are_not_stale(instructor):
    assert silent(instructor["points"]["notebooks check"]), shown(instructor["points"]["notebooks check"])


def test_add_an_exercise_is_done_when_the_reference_passes_and_nothing_is_stale(instructor):
    log = instructor["exercise"]
    for command, done in log.items():
        if "pytest" in command:
            assert done.returncode == 0 and "NOT RUN" not in done.stdout, shown(done)
            assert re.search(rf"{re.escape(TITLE)}\s+2/2\s+2/2", done.stdout), shown(done)
        elif "--check" in command:
            assert silent(done), shown(done)
        else:
            assert done.returncode == 0, shown(done)
            assert f"of 2 checks of {NEW}" in done.stdout, shown(done)   # reference-costs --exercise


def test_a_spec_whose_total_disagrees_with_its_layers_fails_the_references_run(kit, instructor):
    """"Use another Keras layer": a wrong total_params is a grader failure of the reference's run, naming Keras' count."""
    recipe = guide(kit, "### Use another Keras layer")
    assert says(recipe, "(`python -m pytest exercises/test_<name>.py --target solutions`): a `total_params` that "
                        "disagrees with the layers is a grader failure there")
    spec = kit / "autograder" / "specs" / f"{NEW}.py"
    right = spec.read_text()
    spec.write_text(right.replace("total_params=2_250", "total_params=9_999"))
    try:
        done = shell(kit, f"python -m pytest exercises/test_{NEW}.py --target solutions")
    finally:
        spec.write_text(right)
    assert done.returncode != 0, shown(done)
    assert "9,999" in done.stdout and "2,250" in done.stdout, shown(done)
    assert "the exercise's spec is wrong" in done.stdout, shown(done)   # the kit's fault, not the student's


# --------------------------------------------------------------------------
# "After a change": the table's done checks, after all three recipes


@pytest.mark.parametrize("command", ["python -m autograder stubs --check", "python -m autograder notebooks --check",
                                     "python -m autograder reference-costs --check",
                                     "python benchmarks/sweep_thresholds.py --check"])
def test_nothing_is_stale(kit, instructor, command):
    assert silent(run(kit, guide(kit, "## After a change"), command)), command


def test_the_changed_exercises_pass_every_check_against_the_reference(kit, instructor):
    """The table's ``pytest exercises/ hidden_tests/ --target solutions``, on the two exercises changed."""
    assert says(guide(kit, "## After a change"), "`python -m pytest exercises/ hidden_tests/ --target solutions`")
    files = " ".join(f"exercises/test_{n}.py hidden_tests/test_{n}_hidden.py" for n in ("mnist_cnn", NEW))
    done = shell(kit, f"python -m pytest {files} --target solutions", timeout=1800)
    assert done.returncode == 0 and "NOT RUN" not in done.stdout, shown(done)
    points = sum(c.points for c in get_exercise("mnist_cnn").checks) + 1   # the recipe's one point more
    row = rf"{re.escape(get_exercise('mnist_cnn').title)}\s+(\d+)/\1\s+{points}/{points}\s"   # checks, then points
    assert re.search(row, done.stdout), shown(done)


@pytest.mark.parametrize("command", ["python -m pytest tests/test_measurements.py tests/test_architecture_check.py",
                                     'python -m pytest tests/test_nbgrader.py -k "stale or committed_release"'])
def test_the_kits_tests_the_table_names_pass(kit, instructor, command):
    done = run(kit, guide(kit, "## After a change"), command)
    assert done.returncode == 0, shown(done)


def test_the_quick_tier_passes(kit, instructor):
    command = 'python -m pytest -m "not slow"'
    assert says(guide(kit, "## After a change"), command)
    done = shell(kit, f"{command} -q --deselect {NOT_IN_A_COPY}", timeout=1800)
    assert done.returncode == 0, shown(done)


# --------------------------------------------------------------------------
# The instructor's new exercise, as they write it (the guide's "Use another Keras layer" spec)

MINE = {
    "solutions/{name}.py": '''"""{title}

A dense network with a batch-normalization layer between its two Dense layers.

Fill in each function that raises ``NotImplementedError``. Check yourself with
``pytest exercises/test_{name}.py``.
"""

from __future__ import annotations

import keras


def build_batch_norm_model(units: int = 64) -> keras.Model:
    """20 inputs → Dense(units, relu) → BatchNormalization → Dense(10, softmax); 2,250 parameters for 64 units."""
    ### BEGIN SOLUTION
    return keras.Sequential([
        keras.Input(shape=(20,)),
        keras.layers.Dense(units, activation="relu"),
        keras.layers.BatchNormalization(),
        keras.layers.Dense(10, activation="softmax"),
    ])
    ### END SOLUTION
''',
    "autograder/specs/{name}.py": '''"""Spec of the exercise {name}: a Dense layer, batch normalization, a softmax layer."""

from autograder.checks.architecture import ARCHITECTURE_MISTAKES, ModelSpec, dense, layer
from autograder.specs import Check, Exercise, with_hidden


def batch_norm_spec(units: int = 64) -> ModelSpec:
    """20 → Dense(units, relu) → BatchNormalization → Dense(10, softmax): 2,250 parameters for 64 units."""
    return ModelSpec(input_shape=(20,), layers=(dense(units, "relu"), layer("BatchNormalization"),
                                                dense(10, "softmax")),
                     total_params=2_250 if units == 64 else None)


EXERCISE = with_hidden(Exercise(
    name="{name}",
    title="{title}",
    module="{name}",
    order={order},
    functions=("build_batch_norm_model",),
    checks=(
        Check("batch_norm_architecture", 1, describe="build_batch_norm_model(): Dense 64, batch normalization, "
              "Dense 10", mistakes=ARCHITECTURE_MISTAKES),
    ),
    hidden_count=1,
    hidden_points=1,
))
''',
    "exercises/test_{name}.py": '''"""Visible checks for {name}.py — run them with ``pytest exercises/test_{name}.py``.

Passing these is not your grade: hidden checks of the same functions run at grading.
"""

from autograder.checks.architecture import check_architecture
from autograder.plugin import graded
from autograder.specs.{name} import batch_norm_spec


@graded("{name}", "batch_norm_architecture")
def test_batch_norm_architecture(submission):
    check_architecture(submission.build_batch_norm_model, batch_norm_spec(), "build_batch_norm_model()")
''',
    "hidden_tests/test_{name}_hidden.py": '''"""Hidden checks for {name}.py: run at grading, never shipped to students."""

from autograder.checks.architecture import check_architecture
from autograder.plugin import graded
from autograder.specs.{name} import batch_norm_spec


@graded("{name}", "batch_norm_units")
def test_batch_norm_units(submission):
    check_architecture(submission.build_batch_norm_model, batch_norm_spec(32), "build_batch_norm_model(units=32)",
                       units=32)
''',
    "narrative/{name}.md": '''# {title}

Fill in every cell that says `raise NotImplementedError()`; the cells after each function
check your work. Hidden checks run only when your notebook is graded.

%% module
%% markdown
## Batch normalization

`build_batch_norm_model(units=64)`: 20 inputs → Dense(units, relu) → BatchNormalization →
Dense(10, softmax), 2,250 parameters for 64 units.
%% function build_batch_norm_model
%% check batch_norm_architecture
%% check batch_norm_units
''',
}
HIDDEN_ENTRY = '''HIDDEN["{name}"] = {{
    "checks": [
        ("batch_norm_architecture", Check(
            "batch_norm_units", 1, hidden=True, describe="build_batch_norm_model(units=32): the width is the argument's",
            mistakes=ARCHITECTURE_MISTAKES)),
    ],
    "extra": {{}},
}}
'''
MISTAKES = {   # the reference's text, and the same text mistaken: the check must fail naming that mistake
    "batch_norm_architecture.layer_kind": ["keras.layers.BatchNormalization()", "keras.layers.LayerNormalization()"],
    "batch_norm_units.units": ['keras.layers.Dense(units, activation="relu")',
                               'keras.layers.Dense(64, activation="relu")'],
}
RIGHT_ANSWER = """# the functional API.
def build_batch_norm_model(units=64):
    inputs = keras.Input(shape=(20,))
    x = keras.layers.Dense(units, activation="relu")(inputs)
    x = keras.layers.BatchNormalization()(x)
    return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))
"""
