"""An nbgrader course as an instructor has it (a copy of the repo's kit and notebooks), and nbgrader's own command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from autograder import config, nbsource
from tests.helpers.kit import ROOT

VENV_BIN = Path(sys.executable).parent
COURSE_FILES = ["autograder", "exercises", "hidden_tests", "source", "nbgrader_config.py", "pyproject.toml"]
ASSIGNMENT = nbsource.ASSIGNMENT


def nbgrader(course: Path, *args: str, unsandboxed: bool = True, check: bool = True) -> subprocess.CompletedProcess:
    """nbgrader's command in the course; ``unsandboxed``: with the course's opt-in to ``nbgrader autograde``
    (``DL3_NBGRADER_UNSANDBOXED=1``), which the tests that compare routes need — the course refuses it otherwise."""
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}", "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop(config.NBGRADER_UNSANDBOXED_ENV, None)
    if unsandboxed:
        env[config.NBGRADER_UNSANDBOXED_ENV] = "1"
    done = subprocess.run([str(VENV_BIN / "nbgrader"), *args], cwd=course, env=env, capture_output=True, text=True,
                          timeout=1800)
    assert done.returncode == 0 or not check, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def make_course(dest: Path) -> Path:
    """A course directory as an instructor has it: a copy of the repo's kit and notebooks."""
    for name in COURSE_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copyfile(src, dest / name)
    return dest


def cells_by_id(notebook: dict) -> dict[str, dict]:
    return {c["metadata"]["nbgrader"]["grade_id"]: c for c in notebook["cells"] if "nbgrader" in c["metadata"]}


def read(path: Path) -> dict:
    return json.loads(path.read_text())
