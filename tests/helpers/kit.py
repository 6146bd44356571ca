"""The kit's paths, and running it in a fresh interpreter or in a copy of its files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The kit's tests use the offline copies; .ci/run sets this, and a developer's
# checkout finds ../shared/datasets beside the repo.
os.environ.setdefault("DL3_DATA_DIR", str(ROOT.parent / "shared" / "datasets"))
SHARED_DATA = Path(os.environ["DL3_DATA_DIR"])
# A grader that is not root grades only with the opt-in (docs/isolation.md): a developer's own run of the suite.
if os.geteuid() != 0:
    os.environ.setdefault("DL3_ALLOW_SAME_USER", "1")


def run_kit(*args: str, env: dict | None = None, cwd: Path = ROOT, timeout: int = 900) -> subprocess.CompletedProcess:
    """Run ``python -m autograder ARGS`` or ``python -m pytest`` in a fresh interpreter."""
    full_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=timeout)


KIT_PARTS = ("autograder", "solutions", "exercises", "hidden_tests", "narrative", "source", "pyproject.toml",
             "requirements.txt", "requirements/grader.txt", "benchmarks/sweep_thresholds.json")


def copy_kit(dest: Path, edits: dict[str, tuple[str, str]] | None = None) -> Path:
    """A copy of the kit's parts that specs, tests, measurements and bundles read, with ``{file: (old, new)}``
    edits applied (``python -m autograder`` run there uses the copy: the working directory comes first)."""
    for name in KIT_PARTS:
        source, target = ROOT / name, dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copyfile(source, target)
    for name, (old, new) in (edits or {}).items():
        text = (dest / name).read_text()
        assert old in text, (name, old)
        (dest / name).write_text(text.replace(old, new))
    return dest


VENV = Path(sys.executable).parent.parent


def copy_of_repo(dest: Path) -> Path:
    """The repo's files as git knows them (the work tree's untracked ones too), with the venv linked in:
    a copy an instructor's commands (docs/authoring.md) can run in as written."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            (dest / name).write_bytes(source.read_bytes())
    (dest / ".venv").symlink_to(VENV)
    return dest


def shell(kit: Path, script: str, timeout: int = 900) -> subprocess.CompletedProcess:
    """Run a shell command line in ``kit`` as the docs do: the venv first on ``PATH``."""
    env = {**os.environ, "PATH": f"{kit / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}",
           "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("DL3_TARGET", None)
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=kit, env=env, capture_output=True,
                          text=True, timeout=timeout)
