"""One source of truth: stubs come from solutions/, and what students receive holds no answers."""

from __future__ import annotations

import zipfile

import pytest

from autograder import release
from autograder.release import StubError, make_stub
from tests.conftest import ROOT, run_kit


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
    assert not [n for n in names if n.startswith(tuple(release.GRADER_ONLY))]
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
