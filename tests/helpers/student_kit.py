"""The student bundle, unzipped and set up by its README's command in a cached venv (``tests/student_venvs.py``)."""

from __future__ import annotations

import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from autograder import release
from tests.helpers.kit import ROOT
from tests.student_venvs import find_python, student_venv


def sh(command: list[str] | str, cwd: Path, timeout: int = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPATH", None)
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          shell=isinstance(command, str), executable="/bin/bash" if isinstance(command, str) else None)


def setup_from_readme(kit: Path, venv: Path) -> None:
    """Run the README's set-up command in ``kit``, its venv creation replaced by the cached venv."""
    readme = (kit / "README.md").read_text()
    assert release.STUDENT_SETUP in readme
    create, install = release.STUDENT_SETUP.split(" && ", 1)
    assert create == "python3 -m venv .venv"
    (kit / ".venv").symlink_to(venv)
    done = sh(install, kit)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def unzip_bundle(out: Path) -> Path:
    zipped = out.parent / f"{out.name}.zip"
    release.build_student_bundle(ROOT, zipped)
    with zipfile.ZipFile(zipped) as bundle:
        bundle.extractall(out)
    return out


def prepared_venv(version: str) -> Path:
    if find_python(version) is None:
        if os.environ.get("DL3_REQUIRE_STUDENT_PYTHONS"):
            pytest.fail(f"no Python {version} interpreter, and DL3_REQUIRE_STUDENT_PYTHONS is set")
        pytest.skip(f"no Python {version} interpreter on this machine")
    return student_venv(version)
