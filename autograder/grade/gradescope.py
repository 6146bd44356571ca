"""``python -m autograder gradescope-bundle OUT.zip``: Gradescope's autograder zip.

Its root holds ``setup.sh`` (run once when Gradescope builds the image: Python 3.11 and
the pinned requirements in ``/autograder/venv``) and ``run_autograder`` (run per
submission), the kit (``autograder/``, ``pyproject.toml``, ``requirements.txt``), the
visible tests (``exercises/test_*.py``), the hidden tests (``hidden_tests/``, mode
0600) and the offline data grading needs (``data/``), so grading needs no network.
Reference solutions are never in it.

Gradescope unpacks the zip into ``/autograder/source``, puts the submission in
``/autograder/submission`` and reads ``/autograder/results/results.json``.
``run_autograder`` honours ``$AUTOGRADER_ROOT`` (default ``/autograder``) and
``$DL3_PYTHON`` (default ``/autograder/venv/bin/python``), which the kit's tests use to
simulate a run in a temporary directory.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

DATA_FILES = ("SHA256SUMS", "mnist.npz", "cifar10.npz", "imdb.npz", "imdb_word_index.json",
              "scikit_learn_data/cal_housing_py3.pkz")
KIT_TOP_FILES = ("pyproject.toml", "requirements.txt")

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if ! command -v python3.11 >/dev/null; then
    apt-get update
    apt-get install -y --no-install-recommends software-properties-common
    add-apt-repository -y ppa:deadsnakes/ppa || true
    apt-get update
    apt-get install -y --no-install-recommends python3.11 python3.11-venv
fi
python3.11 -m venv /autograder/venv
/autograder/venv/bin/pip install --quiet --upgrade pip
/autograder/venv/bin/pip install --quiet -r /autograder/source/requirements.txt
# The sandboxed student process runs as `nobody`: it must be able to run Python.
chmod -R a+rX /autograder/venv
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this per submission, as root. Only the grader writes results.json.
set -u
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SRC="$ROOT/source"
PY="${DL3_PYTHON:-$ROOT/venv/bin/python}"
RESULTS="$ROOT/results/results.json"
mkdir -p "$ROOT/results"
# Hidden tests and the kit are readable by root only; the data stays readable for the
# student's process (which runs as nobody), through a directory it cannot list.
chmod -R go-rwx "$SRC"
chmod 711 "$SRC"
chmod -R a+rX "$SRC/data"
export DL3_DATA_DIR="$SRC/data"
export TF_CPP_MIN_LOG_LEVEL=3
cd "$SRC"
"$PY" -m autograder grade "$ROOT/submission" --results "$RESULTS" ${DL3_GRADE_ARGS:-}
status=$?
if [ "$status" -ne 0 ]; then
    cat > "$RESULTS" <<EOF
{"score": 0, "execution_time": 0, "tests": [],
 "output": "The autograder could not run (exit status $status). Please tell your instructors."}
EOF
fi
exit 0
"""


class BundleError(OSError):
    pass


def _add(bundle: zipfile.ZipFile, arcname: str, data: bytes, mode: int, compress: bool = True) -> None:
    info = zipfile.ZipInfo(arcname, date_time=(2024, 1, 1, 0, 0, 0))
    info.external_attr = (0o100000 | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    bundle.writestr(info, data)


def bundle_files(root: Path) -> list[tuple[str, Path, int]]:
    """(name in the zip, source path, mode) of every kit file the bundle holds."""
    files = []
    for path in sorted((root / "autograder").rglob("*.py")):
        if "__pycache__" not in path.parts:
            files.append((path.relative_to(root).as_posix(), path, 0o644))
    for path in sorted((root / "exercises").glob("test_*.py")):
        files.append((path.relative_to(root).as_posix(), path, 0o644))
    for path in sorted((root / "hidden_tests").glob("*.py")):
        files.append((path.relative_to(root).as_posix(), path, 0o600))
    for name in KIT_TOP_FILES:
        if (root / name).is_file():
            files.append((name, root / name, 0o644))
    return files


def build_bundle(root: Path, out: Path, data_dir: str | None = None) -> Path:
    """Write the Gradescope autograder zip to ``out``."""
    data = Path(data_dir or os.environ.get("DL3_DATA_DIR") or "")
    missing = [name for name in DATA_FILES if not (data / name).is_file()]
    if not str(data) or missing:
        raise BundleError(f"the data directory {str(data) or '(none: set DL3_DATA_DIR or --data-dir)'} lacks "
                          f"{', '.join(missing)}; run `python -m autograder prefetch` first")
    out = Path(out)
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as bundle:
        _add(bundle, "setup.sh", SETUP_SH.encode(), 0o755)
        _add(bundle, "run_autograder", RUN_AUTOGRADER.encode(), 0o755)
        for arcname, path, mode in bundle_files(root):
            _add(bundle, arcname, path.read_bytes(), mode)
        for name in DATA_FILES:
            _add(bundle, f"data/{name}", (data / name).read_bytes(), 0o644,
                 compress=not name.endswith((".npz", ".pkz")))
    os.replace(tmp, out)
    return out


def unpack_bundle(bundle: Path, source: Path) -> None:
    """Unpack like Gradescope does (keeping file modes): for the kit's simulated runs."""
    with zipfile.ZipFile(bundle) as archive:
        for info in archive.infolist():
            target = source / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(info))
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(target, mode)
