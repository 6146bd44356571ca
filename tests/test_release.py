"""One source of truth: stubs come from solutions/, and what students receive holds no answers."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile

import pytest

from autograder import release
from autograder.release import StubError, make_stub
from autograder.specs import all_exercises
from tests.helpers.kit import ROOT, run_kit


def test_committed_stubs_are_not_stale():
    stale = release.stale_stubs(ROOT)
    assert not stale, f"regenerate with `python -m autograder stubs`: {stale}"


def test_every_solution_module_has_a_stub():
    assert [s.name for s, _ in release.stub_pairs(ROOT)] == sorted(p.name for p in (ROOT / "solutions").glob("*.py")
                                                                    if release.BEGIN in p.read_text())


def test_stub_replaces_each_region_and_keeps_the_rest():
    source = 'def f(x):\n    """Doc."""\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n\nY = 1\n'
    stub = make_stub(source)
    assert stub.endswith('def f(x):\n    """Doc."""\n    raise NotImplementedError('
                         '"fill in this part (see the docstring above)")\n\nY = 1\n')
    compile(stub, "<stub>", "exec")


@pytest.mark.parametrize("source, message", [
    ("    ### BEGIN SOLUTION\n    x = 1\n", "never closed"),
    ("    ### END SOLUTION\n", "without a"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "inside another"),
])
def test_malformed_markers_are_errors(source, message):
    with pytest.raises(StubError, match=message):
        make_stub(source)


def test_stale_stub_is_detected_by_the_cli(tmp_path):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "exercises").mkdir()
    (tmp_path / "solutions" / "x.py").write_text("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n")
    assert release.write_stubs(tmp_path) == [tmp_path / "exercises" / "x.py"]
    assert release.stale_stubs(tmp_path) == []
    (tmp_path / "exercises" / "x.py").write_text("edited by hand\n")
    assert release.stale_stubs(tmp_path) == [tmp_path / "exercises" / "x.py"]


@pytest.fixture(scope="module")
def student_bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle") / "student.zip"
    release.build_student_bundle(ROOT, out)
    return out


def test_student_bundle_holds_no_solutions_or_hidden_tests(student_bundle):
    with zipfile.ZipFile(student_bundle) as bundle:
        names = bundle.namelist()
        texts = {n: bundle.read(n).decode() for n in names if n.endswith((".py", ".toml", ".txt"))}
    assert "exercises/gradient_descent.py" in names and "autograder/plugin.py" in names
    assert not [n for n in names if n.startswith(("solutions/", "hidden_tests/", "tests/", "source/", "narrative/"))]
    assert "release/dl3/gradient_descent.ipynb" in names
    assert not [n for n in names if release.grader_only(n)]
    for name, text in texts.items():
        assert release.BEGIN not in text, f"{name} holds a solution region"
    regions = [r for s, _ in release.stub_pairs(ROOT) for r in release.solution_regions(s.read_text())]
    leaking = [(n, r) for r in regions for n, t in texts.items() if len(r.strip()) > 40 and r in t]
    assert not leaking, f"solution code found in the student bundle: {leaking[:1]}"


def test_student_bundle_runs_and_scores_zero_with_visible_only_wording(student_bundle, tmp_path):
    with zipfile.ZipFile(student_bundle) as bundle:
        bundle.extractall(tmp_path)
    done = run_kit("-m", "pytest", "exercises/", "-m", "not training", "-p", "no:randomly", cwd=tmp_path)
    assert done.returncode == 1, done.stdout[-2000:]
    assert "not implemented yet" in done.stdout
    assert "visible checks only — hidden checks run at grading" in done.stdout
    assert " 0/" in done.stdout.split("total")[-1].splitlines()[0]
    # Neither the reference nor the hidden tests can be imported from the student's copy.
    probe = run_kit("-c", "import importlib.util as u; print(u.find_spec('solutions'), u.find_spec('hidden_tests'))",
                    cwd=tmp_path)
    assert probe.stdout.strip() == "None None"


@pytest.mark.parametrize("command", ["stubs", "notebooks"])
def test_cli_check_reports_nothing_stale(command):
    done = run_kit("-m", "autograder", command, "--check")
    assert done.returncode == 0, done.stdout
    assert "stale" not in done.stdout


# --------------------------------------------------------------------------
# The bundle on its own: set-up files, README, student commands, pack


def bundle_texts(bundle_zip) -> dict[str, str]:
    with zipfile.ZipFile(bundle_zip) as bundle:
        return {n: bundle.read(n).decode() for n in bundle.namelist() if n.endswith((".py", ".toml", ".txt", ".md",
                                                                                      ".ini", ".ipynb"))}


def test_student_bundle_has_its_own_setup_files(student_bundle):
    import tomllib

    texts = bundle_texts(student_bundle)
    pyproject = tomllib.loads(texts["pyproject.toml"])
    assert pyproject["tool"]["pytest"]["ini_options"]["testpaths"] == ["exercises"]
    assert pyproject["tool"]["setuptools"]["packages"]["find"]["include"] == ["autograder*"]
    assert pyproject["project"]["requires-python"] == ">=3.11,<3.14"
    assert texts["requirements.txt"] == (ROOT / "requirements" / "student.txt").read_text()
    assert "jupyter_server_config.py" not in texts  # Jupyter never reads it from the working directory
    # The visible tests ship twice: for pytest (exercises/) and as package data (notebooks' checks).
    for test in (ROOT / "exercises").glob("test_*.py"):
        assert texts[f"autograder/visible_tests/{test.name}"] == test.read_text() == texts[f"exercises/{test.name}"]


def test_student_readme_says_how_to_set_up_check_and_submit(student_bundle):
    readme = bundle_texts(student_bundle)["README.md"]
    assert release.STUDENT_SETUP in readme
    for needed in ["3.11, 3.12 or 3.13", "DL3_DATA_DIR", "pytest exercises/", '-m "not training"', "jupyter lab",
                   "release/dl3/", "python -m autograder pack", "submission.zip", "✓ predict_values passed",
                   "not implemented", "expected", "hint", "prefetch"]:
        assert needed in readme, needed


def test_bundle_holds_no_hidden_check_names(student_bundle):
    from autograder.specs import all_exercises

    # A name the reference code itself uses (Keras' "accuracy") gives nothing away.
    reference = "".join(p.read_text() for p in (ROOT / "solutions").glob("*.py"))
    hidden = [c.name for e in all_exercises().values() for c in e.checks if c.hidden and f'"{c.name}"' not in reference]
    if not hidden:
        pytest.skip("the hidden specs are not readable here")
    texts = bundle_texts(student_bundle)
    leaks = [(name, check) for name, text in texts.items() for check in hidden
             if re.search(rf"[\"'`]{re.escape(check)}[\"'`]", text)]  # as a name, not a word ("accuracy")
    assert not leaks, f"hidden check names in the student bundle: {leaks[:3]}"


@pytest.fixture(scope="module")
def unzipped_bundle(student_bundle, tmp_path_factory):
    root = tmp_path_factory.mktemp("student")
    with zipfile.ZipFile(student_bundle) as bundle:
        bundle.extractall(root)
    return root


@pytest.mark.slow
def test_bundle_cli_lists_student_commands_only(unzipped_bundle):
    helped = run_kit("-m", "autograder", "--help", cwd=unzipped_bundle)
    assert helped.returncode == 0, helped.stderr
    assert "{prefetch,pack}" in helped.stdout and "grade" not in helped.stdout.split("positional")[1]
    refused = run_kit("-m", "autograder", "grade", "x", "--results", "r.json", cwd=unzipped_bundle)
    assert refused.returncode == 2
    assert "instructor command: it needs the full kit" in refused.stderr and "Traceback" not in refused.stderr
    prefetch = run_kit("-m", "autograder", "prefetch", "--help", cwd=unzipped_bundle)
    assert prefetch.returncode == 0 and "--data-dir" in prefetch.stdout


def test_full_kit_cli_lists_instructor_commands_too():
    helped = run_kit("-m", "autograder", "--help")
    assert "student-bundle" in helped.stdout and "pack" in helped.stdout


def test_pack_takes_the_file_worked_on_and_warns_per_stub(unzipped_bundle, tmp_path):
    work = tmp_path / "work"
    shutil.copytree(unzipped_bundle, work)
    shutil.copy(ROOT / "solutions" / "gradient_descent.py", work / "exercises" / "gradient_descent.py")
    done = run_kit("-m", "autograder", "pack", "--out", "out/submission.zip", cwd=work)
    assert done.returncode == 0, done.stderr
    assert "packed exercises/gradient_descent.py" in done.stdout
    assert "packed release/dl3/mnist_cnn.ipynb" in done.stdout or "packed exercises/mnist_cnn.py" in done.stdout
    assert "`predict`" not in done.stdout  # gradient_descent.py is complete
    assert "warning: `build_cnn_model`" in done.stdout and "still raises NotImplementedError" in done.stdout
    with zipfile.ZipFile(work / "out" / "submission.zip") as packed:
        names = sorted(packed.namelist())
        assert packed.read("gradient_descent.py") == (ROOT / "solutions" / "gradient_descent.py").read_bytes()
    assert [n.split(".")[0] for n in names] == sorted(e.module for e in all_exercises().values())
    # The grader reads exactly these files.
    from autograder.grade.supervisor.submission import read_submission

    parts = read_submission(work / "out" / "submission.zip").parts
    assert sorted(parts) == sorted(n.split(".")[0] for n in names)
    assert all(p.source and not p.problem for p in parts.values())


def test_pack_refuses_when_an_exercise_file_is_missing(unzipped_bundle, tmp_path):
    work = tmp_path / "work"
    shutil.copytree(unzipped_bundle, work)
    (work / "exercises" / "cifar_cnn.py").unlink()
    (work / "release" / "dl3" / "cifar_cnn.ipynb").unlink()
    done = run_kit("-m", "autograder", "pack", cwd=work)
    assert done.returncode == 2 and "cifar_cnn" in done.stderr and "Traceback" not in done.stderr
    assert not (work / "submission.zip").exists()


# --------------------------------------------------------------------------
# Requirements: one pin per package, per role; the package exposes the kit only


def pins(path) -> dict[str, str]:
    from packaging.utils import canonicalize_name

    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            found[canonicalize_name(name)] = version
    return found


def test_role_requirements_agree_with_the_full_set():
    full = pins(ROOT / "requirements.txt")
    roles = {role: pins(ROOT / "requirements" / f"{role}.txt") for role in ("student", "grader", "instructor")}
    for role, role_pins in roles.items():
        assert {n: v for n, v in role_pins.items() if full.get(n) != v} == {}, f"{role} pins differ from requirements.txt"
    assert set(roles["student"]) | set(roles["grader"]) <= set(roles["instructor"])
    for instructor_only in ("nbgrader", "dask", "distributed"):
        assert instructor_only not in roles["student"] and instructor_only not in roles["grader"]
    assert "jupyterlab" not in roles["grader"] and "pytest-timeout" in roles["grader"]


def test_student_and_grader_pins_install_on_any_python_3_11():
    """No pinned package of theirs needs more than Python 3.11.0 (soupsieve 3+ needs 3.11.5)."""
    from importlib import metadata

    from packaging.specifiers import SpecifierSet

    for role in ("student", "grader"):
        for name, version in pins(ROOT / "requirements" / f"{role}.txt").items():
            try:
                dist = metadata.distribution(name)
            except metadata.PackageNotFoundError:
                continue
            if dist.version != version:
                continue
            needs = SpecifierSet(dist.metadata.get("Requires-Python") or "")
            assert needs.contains("3.11.0") and needs.contains("3.13.0"), f"{role}: {name}=={version} needs {needs}"


def test_installed_kit_exposes_autograder_only(tmp_path):
    """The set-up's install maps the package alone: no interpreter of the venv can import the answers."""
    probe = subprocess.run([sys.executable, "-I", "-c",
                            "import importlib.util as u, autograder; "
                            "print(autograder.__file__, u.find_spec('solutions'), u.find_spec('hidden_tests'))"],
                           cwd=tmp_path, capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("the kit is not installed in this venv (the README's set-up installs it)")
    assert probe.stdout.split() == [str(ROOT / "autograder" / "__init__.py"), "None", "None"]


def test_every_command_is_either_a_student_or_an_instructor_command():
    from autograder import __main__ as cli

    def names(parser):
        return set(next(a for a in parser._actions if a.dest == "command").choices)

    assert names(cli.build_parser(instructor=False)) == set(cli.STUDENT_COMMANDS)
    assert names(cli.build_parser(instructor=True)) == set(cli.STUDENT_COMMANDS) | set(cli.INSTRUCTOR_COMMANDS)


def test_every_kit_module_a_shipped_module_imports_at_its_top_is_shipped(student_bundle):
    """A module of the student's kit that imports, at load time, one the bundle lacks breaks every check cell."""
    import ast

    with zipfile.ZipFile(student_bundle) as bundle:
        shipped = {n for n in bundle.namelist() if n.startswith("autograder/") and n.endswith(".py")}
        missing = []
        for name in sorted(shipped):
            for node in ast.parse(bundle.read(name).decode()).body:
                modules = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                           [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
                for module in (m for m in modules if m.startswith("autograder.")):
                    path = module.replace(".", "/")
                    if f"{path}.py" not in shipped and f"{path}/__init__.py" not in shipped:
                        missing.append(f"{name} imports {module}")
    assert not missing
