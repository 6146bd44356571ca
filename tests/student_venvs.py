"""Students' virtual environments on Python 3.12 and 3.13, kept in a cache so CI reruns are cheap.

A student's set-up (the bundle README's command) installs ``requirements/student.txt``
and then the kit. The pinned part is slow (TensorFlow), so it is done once per
interpreter and requirements file, under ``$DL3_CACHE_DIR`` (default
``~/.cache/dl3-kit``): ``venvs/student-py3.12-<hash of student.txt>``. The tests then
run the README's own command in it, which finds every pin satisfied and installs the
bundle's kit.

``python tests/student_venvs.py 3.12 3.13`` prepares them (``.ci/run`` does).
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STUDENT_REQUIREMENTS = ROOT / "requirements" / "student.txt"
COMPLETE = ".dl3-complete"  # written last: a venv without it was interrupted and is rebuilt


def cache_dir() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dl3-kit"
    return Path(os.environ.get("DL3_CACHE_DIR") or default)


def find_python(version: str) -> str | None:
    """An interpreter of ``version`` ("3.12") that runs: pyenv's, else one on PATH."""
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    candidates = sorted(glob.glob(str(pyenv / "versions" / f"{version}.*" / "bin" / f"python{version}")),
                        reverse=True)
    candidates += [found] if (found := shutil.which(f"python{version}")) else []
    for python in candidates:  # a pyenv shim on PATH may not run
        if subprocess.run([python, "-c", ""], capture_output=True).returncode == 0:
            return python
    return None


def venv_path(version: str) -> Path:
    digest = hashlib.sha256(STUDENT_REQUIREMENTS.read_bytes()).hexdigest()[:12]
    return cache_dir() / "venvs" / f"student-py{version}-{digest}"


def student_venv(version: str) -> Path | None:
    """The prepared venv for ``version`` (made now if missing); None if no such interpreter."""
    python = find_python(version)
    if python is None:
        return None
    venv = venv_path(version)
    if (venv / COMPLETE).is_file():
        return venv
    for stale in venv.parent.glob(f"student-py{version}-*"):  # an interrupted one, or older pins (~1.5 GB each)
        shutil.rmtree(stale)
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run(pip + ["--upgrade", "pip"], check=True)
    subprocess.run(pip + ["-r", str(STUDENT_REQUIREMENTS)], check=True)
    (venv / COMPLETE).write_text(python + "\n")
    return venv


def main(versions: list[str]) -> int:
    for version in versions:
        venv = student_venv(version)
        print(f"python {version}: {venv if venv else 'no interpreter found'}")
        if venv is None and os.environ.get("DL3_REQUIRE_STUDENT_PYTHONS"):
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["3.12", "3.13"]))
