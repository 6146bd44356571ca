"""``python -m autograder grade`` and the Gradescope bundle, end to end: real processes, real zips.

The catalogue of bad submissions is in ``test_grade_catalogue.py``; the sandbox's codec
and isolation are in ``test_grade_sandbox.py``. The complete samples over all four
exercises (through the command and through ``run_autograder``) train every model, so
they are marked ``training`` (deselect with ``-m "not training"``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from autograder.gradescope import unpack_bundle
from autograder.grade.supervisor.results import INCOMPLETE, validate_gradescope
from autograder.specs import all_exercises, get_exercise
from tests.helpers.kit import ROOT, SHARED_DATA, run_kit
from tests.helpers.stopping import grading_temp_dir, made_by_gradings, mid_grading, slow_source, survivors

GD = get_exercise("gradient_descent")
TOTAL = sum(e.points for e in all_exercises().values())
QUICK = ["--time-limit", "30"]


def grade(submission: Path, results: Path, *args: str) -> subprocess.CompletedProcess:
    return run_kit("-m", "autograder", "grade", str(submission), "--results", str(results), *args, timeout=3600)


def check_results(path: Path) -> dict:
    data = json.loads(path.read_text())
    assert validate_gradescope(data) == []
    assert len(data["tests"]) == sum(len(e.checks) for e in all_exercises().values())
    return data


def by_exercise(data: dict) -> dict[str, float]:
    scores: dict[str, float] = {}
    for test in data["tests"]:
        scores[test["tags"][0]] = scores.get(test["tags"][0], 0) + test["score"]
    return scores


def notebook_for(source: str) -> dict:
    """An exercise notebook holding ``source`` in a module cell (plus a demo cell that is left out)."""
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
            "cells": [{"cell_type": "markdown", "metadata": {}, "source": "# Exercise"},
                      {"cell_type": "code", "metadata": {"dl3": {"module": True}}, "execution_count": None,
                       "outputs": [], "source": source.splitlines(keepends=True)},
                      {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                       "source": "%matplotlib inline\nraise SystemExit('demo cell: never graded')"}]}


# --------------------------------------------------------------------------
# Arguments and exit status


@pytest.mark.slow
@pytest.mark.parametrize("case", ["missing", "not_a_submission", "results_is_a_directory"])
def test_the_grader_refuses_bad_arguments_with_one_line(tmp_path, case):
    submission, results = tmp_path / "nothing-here", tmp_path / "results.json"
    if case == "not_a_submission":
        submission = tmp_path / "notes.txt"
        submission.write_text("hello")
    if case == "results_is_a_directory":
        submission = tmp_path / "sub"
        submission.mkdir()
        results = tmp_path
    done = grade(submission, results)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout


# --------------------------------------------------------------------------
# Sample submissions through the command


@pytest.mark.slow
def test_empty_submission_scores_zero_and_says_why(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "README.txt").write_text("I did not do the exercises.")
    done = grade(sub, tmp_path / "results.json", "--junit", str(tmp_path / "junit.xml"))
    assert done.returncode == 0, done.stderr
    data = check_results(tmp_path / "results.json")
    assert data["score"] == 0
    assert all("is not in your submission" in t["output"] for t in data["tests"])
    assert "total" in done.stdout and "not in the submission" in done.stdout
    junit = ET.parse(tmp_path / "junit.xml").getroot()
    assert len(junit.findall(".//testcase")) == len(data["tests"])
    assert len(junit.findall(".//failure")) == len(data["tests"])


@pytest.mark.slow
def test_partial_submission_in_a_nested_zip(tmp_path):
    """Gradient descent only, nested two folders deep, with junk a grader must ignore."""
    archive = tmp_path / "submission.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(ROOT / "solutions" / "gradient_descent.py", "hw/src/gradient_descent.py")
        zf.writestr("__MACOSX/hw/src/._gradient_descent.py", b"\x00\x05\x16\x07junk")
        zf.writestr("hw/conftest.py", "raise SystemExit('a submission conftest must never load')\n")
        zf.writestr("hw/old/deeper/gradient_descent.py", "raise RuntimeError('an older copy, deeper')\n")
        zf.writestr("hw/notes.md", "my notes")
    done = grade(archive, tmp_path / "out" / "results.json", "--junit", str(tmp_path / "junit.xml"), *QUICK)
    assert done.returncode == 0, done.stderr
    data = check_results(tmp_path / "out" / "results.json")
    assert by_exercise(data) == {name: (GD.points if name == "gradient_descent" else 0) for name in all_exercises()}
    assert data["score"] == GD.points
    hidden = [t for t in data["tests"] if "hidden" in t["tags"]]
    assert hidden and all(t["visibility"] == "after_due_date" for t in hidden)
    assert all(t["visibility"] == "visible" for t in data["tests"] if "hidden" not in t["tags"])
    assert "hw/src/gradient_descent.py" in data["output"]
    testcases = ET.parse(tmp_path / "junit.xml").getroot().findall(".//testcase")
    assert len(testcases) == len(data["tests"])


@pytest.mark.slow
def test_notebook_submission_is_converted_and_graded(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    source = (ROOT / "solutions" / "gradient_descent.py").read_text()
    (sub / "gradient_descent.ipynb").write_text(json.dumps(notebook_for(source)))
    done = grade(sub, tmp_path / "results.json", *QUICK)
    assert done.returncode == 0, done.stderr
    data = check_results(tmp_path / "results.json")
    assert by_exercise(data)["gradient_descent"] == GD.points == data["score"]


@pytest.mark.slow
@pytest.mark.training
def test_complete_submission_scores_full_marks(tmp_path):
    """All four reference solutions, as a plain directory, through the command: full marks."""
    sub = tmp_path / "sub"
    sub.mkdir()
    for exercise in all_exercises().values():
        shutil.copy(ROOT / "solutions" / exercise.filename, sub / exercise.filename)
    done = grade(sub, tmp_path / "results.json", "--junit", str(tmp_path / "junit.xml"))
    assert done.returncode == 0, done.stderr
    data = check_results(tmp_path / "results.json")
    failed = [f"{t['name']}: {t['output'][:300]}" for t in data["tests"] if t["status"] != "passed"]
    assert not failed, "\n".join(failed)
    assert data["score"] == TOTAL
    assert not ET.parse(tmp_path / "junit.xml").getroot().findall(".//failure")


@pytest.mark.slow
def test_stubs_score_zero_with_not_implemented_messages(tmp_path):
    done = grade(ROOT / "exercises" / "gradient_descent.py", tmp_path / "results.json", *QUICK)
    assert done.returncode == 0, done.stderr
    data = check_results(tmp_path / "results.json")
    assert data["score"] == 0
    gd = [t for t in data["tests"] if t["tags"][0] == "gradient_descent"]
    assert all("not implemented yet: `" in t["output"] for t in gd), [t["output"] for t in gd]


# --------------------------------------------------------------------------
# The Gradescope bundle and a simulated Gradescope run


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    done = run_kit("-m", "autograder", "gradescope-bundle", str(out), env={"DL3_DATA_DIR": str(SHARED_DATA)})
    assert done.returncode == 0, done.stderr
    return out


def test_bundle_holds_the_kit_hidden_tests_and_data_but_no_solutions(bundle):
    with zipfile.ZipFile(bundle) as zf:
        infos = {i.filename: i for i in zf.infolist()}
    names = set(infos)
    assert {"setup.sh", "run_autograder", "pyproject.toml", "requirements.txt",
            "autograder/__main__.py", "autograder/grade/judge/manager.py", "autograder/plugin.py"} <= names
    for name in ("setup.sh", "run_autograder"):
        assert (infos[name].external_attr >> 16) & stat.S_IXUSR
    hidden = [n for n in names if n.startswith("hidden_tests/")]
    assert hidden and all((infos[n].external_attr >> 16) & 0o777 == 0o600 for n in hidden)
    assert {"data/SHA256SUMS", "data/mnist.npz", "data/cifar10.npz", "data/imdb.npz",
            "data/scikit_learn_data/cal_housing_py3.pkz"} <= names
    assert not any(n.startswith("solutions/") for n in names)
    for exercise in all_exercises().values():
        assert f"exercises/test_{exercise.module}.py" in names or not (ROOT / "exercises" /
                                                                        f"test_{exercise.module}.py").exists()


def run_gradescope(bundle: Path, where: Path, files: dict[str, bytes], *args: str, metadata: str | None = None) -> dict:
    """Unpack the bundle as Gradescope does under ``where`` (standing in for /autograder) and grade.

    ``metadata``: the text of Gradescope's ``submission_metadata.json`` beside the submission.
    """
    return run_gradescope_with(bundle, where, files, sys.executable, *args, metadata=metadata)


def gradescope_layout(bundle: Path, where: Path, files: dict[str, bytes], python: str, *args: str,
                      metadata: str | None = None) -> tuple[Path, dict]:
    """The bundle unpacked as Gradescope does under ``where`` (standing in for /autograder), with the
    submission's ``files`` (and ``metadata`` as its ``submission_metadata.json``); the layout's root
    and the environment ``run_autograder`` runs with."""
    root = where / "autograder"
    unpack_bundle(bundle, root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir(parents=True)
    (root / "results").mkdir()
    if metadata is not None:
        (root / "submission_metadata.json").write_text(metadata)
    for name, data in files.items():
        (root / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "submission" / name).write_bytes(data)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "DL3_PYTHON": python,
           "DL3_GRADE_ARGS": " ".join(args), "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("DL3_DATA_DIR", None)  # run_autograder points it at the bundle's data/
    return root, env


def run_gradescope_with(bundle: Path, where: Path, files: dict[str, bytes], python: str, *args: str,
                        metadata: str | None = None) -> dict:
    root, env = gradescope_layout(bundle, where, files, python, *args, metadata=metadata)
    done = subprocess.run(["bash", str(root / "run_autograder")], env=env, capture_output=True, text=True,
                          timeout=3600, cwd=where)
    assert done.returncode == 0, done.stderr[-3000:]
    return check_results(root / "results" / "results.json")


@pytest.mark.slow
@pytest.mark.parametrize("whole_group", [True, False], ids=["to-its-process-group", "to-run_autograder-alone"])
def test_gradescope_run_stopped_by_sigterm_says_it_could_not_complete_and_leaves_nothing(bundle, tmp_path,
                                                                                        whole_group):
    """SIGTERM to run_autograder's process group (Gradescope's timeout), or to run_autograder alone."""
    with grading_temp_dir() as temp_dir:
        root, env = gradescope_layout(bundle, tmp_path, {"gradient_descent.py": slow_source().encode()},
                                      sys.executable, *QUICK)
        script = subprocess.Popen(["bash", str(root / "run_autograder")], env={**env, "TMPDIR": str(temp_dir)},
                                  cwd=tmp_path, start_new_session=True, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
        seen = mid_grading([script.pid])
        if whole_group:
            os.killpg(script.pid, signal.SIGTERM)
        else:
            script.send_signal(signal.SIGTERM)
        _, stderr = script.communicate(timeout=90)
        assert script.returncode == 3, stderr[-2000:]
        data = json.loads((root / "results" / "results.json").read_text())
        assert validate_gradescope(data) == [] and "score" not in data and INCOMPLETE in data["output"]
        assert data["extra_data"]["dl3"]["stopped"] == "SIGTERM"
        time.sleep(5)
        assert survivors(seen) == []
        assert made_by_gradings(temp_dir) == []


@pytest.mark.slow
def test_gradescope_run_of_a_partial_submission(bundle, tmp_path):
    data = run_gradescope(bundle, tmp_path, {"gradient_descent.py": (ROOT / "solutions" /
                                                                     "gradient_descent.py").read_bytes()}, *QUICK)
    assert data["score"] == GD.points


@pytest.mark.slow
def test_gradescope_run_of_an_empty_submission(bundle, tmp_path):
    data = run_gradescope(bundle, tmp_path, {"readme.txt": b"nothing"})
    assert data["score"] == 0


GRADESCOPE_USERS = {   # submission_metadata.json's "users" (gradescope-autograders.readthedocs.io)
    "one user": [{"email": "kim.lee@uni.example", "id": 1234, "name": "Kim Lee"}],
    "a group of two": [{"email": "kim.lee@uni.example", "id": 1234, "name": "Kim Lee"},
                       {"email": "bo.ng@uni.example", "id": 5678, "name": "Bo Ng"}],
}


@pytest.mark.slow
@pytest.mark.parametrize("who", list(GRADESCOPE_USERS))
def test_gradescope_run_records_who_handed_it_in(bundle, tmp_path, who):
    users = GRADESCOPE_USERS[who]
    metadata = {"id": 123456, "created_at": "2018-07-01T14:22:32.365935-07:00", "users": users,
                "assignment": {"id": 25828, "title": "Deep Learning 3", "group_submission": len(users) > 1},
                "submission_method": "upload", "previous_submissions": []}
    data = run_gradescope(bundle, tmp_path, {"readme.txt": b"nothing"}, metadata=json.dumps(metadata))
    assert data["extra_data"]["dl3"]["users"] == [{**u, "id": str(u["id"])} for u in users]


@pytest.mark.slow
def test_gradescope_run_with_unreadable_metadata_still_grades(bundle, tmp_path):
    data = run_gradescope(bundle, tmp_path, {"readme.txt": b"nothing"}, metadata="{not json")
    assert data["score"] == 0 and data["extra_data"]["dl3"]["users"] == []


@pytest.mark.slow
@pytest.mark.training
def test_gradescope_run_of_a_complete_submission(bundle, tmp_path):
    """All four reference solutions in a zip, graded through run_autograder: full marks."""
    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for exercise in all_exercises().values():
            zf.write(ROOT / "solutions" / exercise.filename, f"submission/{exercise.filename}")
    data = run_gradescope(bundle, tmp_path, {"upload.zip": archive.read_bytes()})
    failed = [f"{t['name']}: {t['output'][:300]}" for t in data["tests"] if t["status"] != "passed"]
    assert not failed, "\n".join(failed)
    assert data["score"] == TOTAL


# --------------------------------------------------------------------------
# As root, with an interpreter `nobody` can run: the student's code runs as nobody


ESCAPE_ATTEMPTS = '''

import os as _os
_reference_sgd = stochastic_gradient_descent


def _escapes():
    found = []
    if _os.getuid() == 0 or _os.geteuid() == 0:
        found.append("runs as root")
    for path in {paths!r}:
        try:
            with open(path) as handle:
                handle.read(10)
            found.append("read " + path)
        except OSError:
            pass
    try:
        with open({results!r}, "w") as handle:
            handle.write("{{}}")
        found.append("wrote results.json")
    except OSError:
        pass
    return found


def stochastic_gradient_descent(X, y, lr=0.05, iterations=10, batch_size=10, seed=None):
    found = _escapes()
    if found:
        raise RuntimeError("escaped the sandbox: " + "; ".join(found))
    return _reference_sgd(X, y, lr, iterations, batch_size, seed)
'''


def interpreter_nobody_can_run(tmp_path: Path) -> str | None:
    """A venv of the system's Python 3.11 that sees this venv's packages, if `nobody` can run it."""
    import pwd
    import sysconfig

    system = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
    if os.geteuid() != 0 or not system.is_file():
        return None
    try:
        pwd.getpwnam("nobody")
    except KeyError:
        return None
    venv = tmp_path / "sysvenv"
    made = subprocess.run([str(system), "-m", "venv", "--without-pip", str(venv)], capture_output=True)
    if made.returncode != 0:
        return None
    site = next((venv / "lib").glob("python*/site-packages"))
    (site / "kit.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    python = venv / "bin" / "python"
    tmp_path.chmod(0o755)
    try:
        probe = subprocess.run([str(python), "-I", "-c", "import numpy, sklearn"], capture_output=True, cwd="/",
                               user="nobody", group="nogroup" if _has_group("nogroup") else None)
    except OSError:
        return None
    return str(python) if probe.returncode == 0 else None


def _has_group(name: str) -> bool:
    import grp

    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


@pytest.mark.slow
def test_gradescope_run_as_root_keeps_the_student_out(bundle, tmp_path):
    """Run as root: the student's code runs as nobody, cannot read the hidden tests or write results."""
    # pytest's tmp_path is private to root; this stand-in for /autograder must be traversable,
    # so that what keeps the student out is run_autograder's permissions and the sandbox user.
    where = Path(tempfile.mkdtemp(prefix="dl3-gs-"))
    try:
        where.chmod(0o755)
        run_as_nobody(bundle, where)
    finally:
        shutil.rmtree(where, ignore_errors=True)


def run_as_nobody(bundle: Path, tmp_path: Path) -> None:
    python = interpreter_nobody_can_run(tmp_path)
    if python is None:
        pytest.skip("needs root and a system Python 3.11 that `nobody` can run")
    root = tmp_path / "autograder"
    secret = [str(root / "source" / "hidden_tests" / "test_gradient_descent_hidden.py"),
              str(root / "source" / "autograder" / "plugin.py"), "/root/.bashrc"]
    source = (ROOT / "solutions" / "gradient_descent.py").read_text() + ESCAPE_ATTEMPTS.format(
        paths=secret, results=str(root / "results" / "results.json"))
    data = run_gradescope_with(bundle, tmp_path, {"gradient_descent.py": source.encode()}, python, *QUICK)
    failed = [t["output"][:300] for t in data["tests"] if t["tags"][0] == "gradient_descent" and t["score"] == 0]
    assert not failed, failed
    assert data["score"] == GD.points
