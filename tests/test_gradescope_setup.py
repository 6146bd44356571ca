"""The Gradescope bundle: ``setup.sh`` picks a Python the pins accept, or fails loudly; the zip
carries every file the bundle promises.

Ubuntu images cannot run here, so ``setup.sh``'s logic is tested with stand-in interpreters on
``PATH``: each answers ``--version``, the script's version probe and its ``-m venv`` probe like
the Python it stands for (Ubuntu 22.04's python3.11 is 3.11.0rc1, 24.04's python3.12 is 3.12.3;
without the python3.X-venv package ``-m venv`` fails for want of ensurepip).
``DL3_SETUP_DRY_RUN=1`` stops after the choice; ``DL3_SETUP_NO_INSTALL=1`` skips apt.
"""

from __future__ import annotations

import os
import stat
import subprocess
import zipfile
from pathlib import Path

import pytest

from autograder import gradescope
from autograder.datasets import DATASET_FILES
from autograder.gradescope import RUN_AUTOGRADER, SETUP_SH
from tests.helpers.kit import ROOT, SHARED_DATA

NO_VENV = "-no-venv"   # a version suffix: this stand-in has no ensurepip (Ubuntu without python3.X-venv)


def fake_python(folder: Path, name: str, version: str) -> None:
    """A stand-in interpreter: prints its version; its version probe passes only for 3.11.5 <= version < 3.14,
    its ``-m venv`` probe unless the version ends in ``-no-venv``."""
    number, venv = version.removesuffix(NO_VENV), not version.endswith(NO_VENV)
    parts = tuple(int(p) for p in number.replace("rc1", "").split("."))
    fits = (3, 11, 5) <= parts < (3, 14)
    script = folder / name
    script.write_text("#!/bin/sh\n"
                      f'if [ "$1" = "--version" ]; then echo "Python {number}"; exit 0; fi\n'
                      f'if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then\n'
                      f'  {"mkdir -p $3; exit 0" if venv else "echo ensurepip is not available >&2; exit 1"}\n'
                      f"fi\n"
                      f"exit {0 if fits else 1}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def run_setup(tmp_path: Path, pythons: dict[str, str]) -> subprocess.CompletedProcess:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, version in pythons.items():
        fake_python(bin_dir, name, version)
    # the machine's own python3 (Debian 12: 3.11.2) must not be picked: shadow it
    if "python3" not in pythons:
        fake_python(bin_dir, "python3", "3.11.2")
    script = tmp_path / "setup.sh"
    script.write_text(SETUP_SH)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "DL3_SETUP_DRY_RUN": "1", "DL3_SETUP_NO_INSTALL": "1",
           "AUTOGRADER_ROOT": str(tmp_path)}
    return subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=60)


def test_setup_picks_the_newest_python_the_pins_accept(tmp_path):
    done = run_setup(tmp_path, {"python3.11": "3.11.0rc1", "python3.12": "3.12.3"})
    assert done.returncode == 0, done.stderr
    assert "bin/python3.12 (Python 3.12.3)" in done.stdout


def test_setup_takes_a_recent_enough_python311(tmp_path):
    done = run_setup(tmp_path, {"python3.11": "3.11.9"})
    assert done.returncode == 0, done.stderr
    assert "python3.11 (Python 3.11.9)" in done.stdout


def test_setup_fails_loudly_on_an_early_python311_alone(tmp_path):
    # Ubuntu 22.04 with no deadsnakes: its python3.11 is too old for the pins
    done = run_setup(tmp_path, {"python3.11": "3.11.0rc1"})
    assert done.returncode == 1
    assert "no Python between 3.11.5 and 3.13" in done.stderr
    assert "python3.11: Python 3.11.0rc1" in done.stderr and "Ubuntu 24.04" in done.stderr


def test_setup_refuses_a_python_too_new_for_the_pins(tmp_path):
    done = run_setup(tmp_path, {"python3.14": "3.14.0", "python3": "3.14.0"})
    assert done.returncode == 1


def test_setup_passes_over_a_python_whose_venv_cannot_work(tmp_path):
    # Ubuntu 24.04 without python3.12-venv: `import venv` works, `python3.12 -m venv` does not
    done = run_setup(tmp_path, {"python3.12": "3.12.3" + NO_VENV, "python3.11": "3.11.9"})
    assert done.returncode == 0, done.stderr
    assert "python3.11 (Python 3.11.9)" in done.stdout


def test_setup_fails_loudly_when_no_python_can_make_a_venv(tmp_path):
    done = run_setup(tmp_path, {"python3.12": "3.12.3" + NO_VENV})
    assert done.returncode == 1
    assert "python3.12: Python 3.12.3" in done.stderr and "python3.X-venv" in done.stderr


def test_no_step_hides_a_failure():
    assert "|| true" not in SETUP_SH and "set -euo pipefail" in SETUP_SH
    # run_autograder keeps the grader's own exit status: a failed grading is never a silent 0
    assert 'exit "$status"' in RUN_AUTOGRADER and '"score": 0' not in RUN_AUTOGRADER


def test_setup_installs_the_grader_requirements_only():
    assert "requirements-grader.txt" in SETUP_SH
    assert os.path.isfile(Path(__file__).resolve().parent.parent / "requirements" / "grader.txt")


# --------------------------------------------------------------------------
# What the bundle carries


def tracked(folder: str) -> list[str]:
    """The repo's files under ``folder`` (as git knows them, the work tree's untracked ones too)."""
    done = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", folder], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return [name for name in done.stdout.split() if (ROOT / name).is_file()]


@pytest.fixture(scope="module")
def bundle_names(tmp_path_factory) -> dict[str, zipfile.ZipInfo]:
    out = gradescope.build_bundle(ROOT, tmp_path_factory.mktemp("bundle") / "autograder.zip", str(SHARED_DATA))
    with zipfile.ZipFile(out) as archive:
        return {info.filename: info for info in archive.infolist()}


def test_the_bundle_carries_every_file_it_promises(bundle_names):
    promised = {"setup.sh", "run_autograder", "grade_args", "pyproject.toml", "requirements.txt",
                "requirements-grader.txt", "autograder/grade/reference_costs.json",
                *tracked("autograder"), *[n for n in tracked("exercises") if Path(n).name.startswith("test_")],
                *tracked("hidden_tests"),
                "data/SHA256SUMS", *(f"data/{name}" for files in DATASET_FILES.values() for name in files)}
    assert sorted(promised - set(bundle_names)) == []
    assert not [n for n in bundle_names if n.startswith(("solutions/", "narrative/", "source/", "release/"))]
    assert all((bundle_names[n].external_attr >> 16) & 0o777 == 0o600 for n in tracked("hidden_tests"))

