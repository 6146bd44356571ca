"""The Gradescope bundle's ``setup.sh`` picks a Python the pins accept, or fails loudly.

Ubuntu images cannot run here, so its logic is tested with stand-in interpreters on
``PATH``: each answers ``--version`` and the script's version probe like the Python it
stands for (Ubuntu 22.04's python3.11 is 3.11.0rc1, 24.04's python3.12 is 3.12.3).
``DL3_SETUP_DRY_RUN=1`` stops after the choice; ``DL3_SETUP_NO_INSTALL=1`` skips apt.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

from autograder.gradescope import RUN_AUTOGRADER, SETUP_SH


def fake_python(folder: Path, name: str, version: str) -> None:
    """A stand-in interpreter: prints its version; its probe passes only for 3.11.5 <= version < 3.14."""
    parts = tuple(int(p) for p in version.replace("rc1", "").split("."))
    fits = (3, 11, 5) <= parts < (3, 14)
    script = folder / name
    script.write_text("#!/bin/sh\n"
                      f'if [ "$1" = "--version" ]; then echo "Python {version}"; exit 0; fi\n'
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


def test_no_step_hides_a_failure():
    assert "|| true" not in SETUP_SH and "set -euo pipefail" in SETUP_SH
    # run_autograder keeps the grader's own exit status: a failed grading is never a silent 0
    assert 'exit "$status"' in RUN_AUTOGRADER and '"score": 0' not in RUN_AUTOGRADER


def test_setup_installs_the_grader_requirements_only():
    assert "requirements-grader.txt" in SETUP_SH
    assert os.path.isfile(Path(__file__).resolve().parent.parent / "requirements" / "grader.txt")
