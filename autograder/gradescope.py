"""``python -m autograder gradescope-bundle OUT.zip``: Gradescope's autograder zip.

Its root holds ``setup.sh`` (run once when Gradescope builds the image: a Python between
3.11.5 and 3.13 and the grader's pinned requirements in ``/autograder/venv``; it fails
loudly when it cannot get one), ``grade_args`` (the grading options chosen when the
bundle was built: time and memory limits) and ``run_autograder`` (run per
submission), the kit (every file of ``autograder/``, the reference costs
``autograder/grade/reference_costs.json`` among them; ``pyproject.toml``,
``requirements.txt``, ``requirements-grader.txt``), the visible tests
(``exercises/test_*.py``), the hidden tests (``hidden_tests/``, mode 0600) and the offline
data grading needs (``data/``: every file of ``autograder.datasets.DATASET_FILES`` and
``SHA256SUMS``), so grading needs no network. Reference solutions are never in it.

It is not built while a measurement it ships is stale (a threshold or a reference cost
measured on another reference or spec: ``autograder/fingerprints.py``) or while a declared
check has no test (every submission's grading would stop there): the error says what to run.

Gradescope unpacks the zip into ``/autograder/source``, puts the submission in
``/autograder/submission`` (and who handed it in in ``/autograder/submission_metadata.json``,
which ``run_autograder`` passes to ``grade --submission-metadata``) and reads
``/autograder/results/results.json``.
``run_autograder`` honours ``$AUTOGRADER_ROOT`` (default ``/autograder``) and
``$DL3_PYTHON`` (default ``/autograder/venv/bin/python``), which the kit's tests use to
simulate a run in a temporary directory.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from autograder import config
from autograder.datasets import CHECKSUM_FILE, DATASET_FILES
from autograder.grade.limits import REFERENCE_COSTS

DATA_FILES = (CHECKSUM_FILE, *(name for files in DATASET_FILES.values() for name in files))
KIT_TOP_FILES = ("pyproject.toml", "requirements.txt")
GRADER_REQUIREMENTS = "requirements/grader.txt"   # shipped as requirements-grader.txt

# Measured in a 768 MB / half-CPU box (benchmarks/bench_box.txt); gradescope-bundle prints them.
SETTINGS = (
    "Gradescope settings: memory 768 MB (the default) is enough; CPUs 0.5 (the default) is enough, "
    "1 CPU halves the wall time; timeout 10 minutes (the default) is enough. See docs/grading.md "
    "for the measured figures."
)
GRADE_ARGS_FILE = "grade_args"   # the bundle's grading options, one line (gradescope-bundle writes it)

# The environment variables the scripts read, named by config.py (the scripts cannot import the kit).
SCRIPT_NAMES = {name: getattr(config, name) for name in
                ("DATA_DIR_ENV", "PYTHON_ENV", "GRADE_ARGS_ENV", "SETUP_NO_INSTALL_ENV", "SETUP_DRY_RUN_ENV")}

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu 22.04 or 24.04).
# It needs a Python the pins accept: 3.11.5 up to 3.13 (Ubuntu 22.04's own python3.11 is an early
# 3.11.0 build, too old; 24.04's python3.12 is fine). It fails loudly when it cannot get one.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SRC="${AUTOGRADER_ROOT:-/autograder}/source"
VENV="${AUTOGRADER_ROOT:-/autograder}/venv"

fits() {  # is the interpreter "$1" 3.11.5 <= version < 3.14, and does `"$1" -m venv` make a venv with pip?
    # (`import venv` is not enough: Ubuntu ships ensurepip apart, in python3.X-venv)
    "$1" -c 'import sys; sys.exit(0 if (3, 11, 5) <= sys.version_info[:3] < (3, 14) else 1)' 2>/dev/null || return 1
    local probe made
    probe="$(mktemp -d)"
    "$1" -m venv "$probe/venv" >/dev/null 2>&1 && made=0 || made=1
    rm -rf "$probe"
    return "$made"
}

pick_python() {  # print the first interpreter on PATH that fits
    for name in python3.13 python3.12 python3.11 python3; do
        if command -v "$name" >/dev/null 2>&1 && fits "$(command -v "$name")"; then
            command -v "$name"
            return 0
        fi
    done
    return 1
}

install_python() {  # Ubuntu 24.04: the archive's python3.12; 22.04: deadsnakes' python3.12
    apt-get update
    apt-get install -y --no-install-recommends python3.12 python3.12-venv && return 0
    apt-get install -y --no-install-recommends software-properties-common gpg-agent
    add-apt-repository -y ppa:deadsnakes/ppa
    apt-get update
    apt-get install -y --no-install-recommends python3.12 python3.12-venv
}

if ! PY="$(pick_python)"; then
    if [ "${%(SETUP_NO_INSTALL_ENV)s:-}" != 1 ]; then
        install_python || echo "setup.sh: installing Python 3.12 failed" >&2
    fi
    if ! PY="$(pick_python)"; then
        echo "setup.sh: no Python between 3.11.5 and 3.13 could be found or installed. Found:" >&2
        for name in python3.13 python3.12 python3.11 python3; do
            if command -v "$name" >/dev/null 2>&1; then
                echo "  $name: $("$name" --version 2>&1)" >&2
            fi
        done
        echo "setup.sh: an interpreter counts only where \`python -m venv\` works (Ubuntu: python3.X-venv)" >&2
        echo "setup.sh: pick Gradescope's Ubuntu 24.04 base image, or one with Python 3.11.5+" >&2
        exit 1
    fi
fi
echo "setup.sh: using $PY ($("$PY" --version 2>&1))"
if [ "${%(SETUP_DRY_RUN_ENV)s:-}" = 1 ]; then
    exit 0
fi
"$PY" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet -r "$SRC/requirements-grader.txt"
# The sandboxed student process runs as an unprivileged user: it must be able to run Python.
chmod -R a+rX "$VENV"
"$VENV/bin/python" -c "import keras, numpy, pytest, sklearn"
""" % SCRIPT_NAMES

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this per submission, as root. Only the grader writes results.json.
set -u
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SRC="$ROOT/source"
PY="${%(PYTHON_ENV)s:-$ROOT/venv/bin/python}"
RESULTS="$ROOT/results/results.json"
mkdir -p "$ROOT/results"
# Hidden tests and the kit are readable by root only; the data stays readable for the
# student's process (which runs as an unprivileged user), through a directory it cannot list.
chmod -R go-rwx "$SRC"
chmod 711 "$SRC"
chmod -R a+rX "$SRC/data"
export %(DATA_DIR_ENV)s="$SRC/data"
export TF_CPP_MIN_LOG_LEVEL=3
cd "$SRC"
BUNDLE_ARGS="$(cat "$SRC/grade_args" 2>/dev/null || true)"
# Who handed it in (one user, or a group): Gradescope's metadata, recorded in the results.
WHO=()
if [ -f "$ROOT/submission_metadata.json" ]; then
    WHO=(--submission-metadata "$ROOT/submission_metadata.json")
fi
# The grader runs in the background so that a signal to this script reaches it at once: SIGTERM,
# SIGINT or SIGHUP (to this script alone, or to its whole process group) is passed on, and the
# grader ends its processes and writes "could not complete" results itself.
# shellcheck disable=SC2086 # the options are separate words on purpose
"$PY" -m autograder grade "$ROOT/submission" --results "$RESULTS" ${WHO[@]+"${WHO[@]}"} $BUNDLE_ARGS ${%(GRADE_ARGS_ENV)s:-} &
grader=$!
trap 'kill -TERM "$grader" 2>/dev/null' TERM INT HUP
wait "$grader"
status=$?
while kill -0 "$grader" 2>/dev/null; do   # a signal interrupted the wait: wait for the grader itself
    wait "$grader"
    status=$?
done
# 0: graded. 3: the grader failed (or was stopped) and wrote the "could not complete" results
# itself. Anything else: it could not even start, or was killed before it could write; say so,
# with no score (never a 0 the student did not earn).
if [ "$status" -ne 0 ] && [ "$status" -ne 3 ]; then
    cat > "$RESULTS" <<EOF
{"execution_time": 0, "visibility": "visible",
 "output": "grading could not complete — this is not your score.\\\\nThe autograder stopped before it could finish (exit status $status); your instructor has been told."}
EOF
fi
exit "$status"
""" % SCRIPT_NAMES


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
    for path in sorted((root / "autograder").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            files.append((path.relative_to(root).as_posix(), path, 0o644))
    for path in sorted((root / "exercises").glob("test_*.py")):
        files.append((path.relative_to(root).as_posix(), path, 0o644))
    for path in sorted((root / "hidden_tests").glob("*.py")):
        files.append((path.relative_to(root).as_posix(), path, 0o600))
    for name in KIT_TOP_FILES:
        if (root / name).is_file():
            files.append((name, root / name, 0o644))
    grader = root / GRADER_REQUIREMENTS
    files.append(("requirements-grader.txt", grader if grader.is_file() else root / "requirements.txt", 0o644))
    return files


def build_bundle(root: Path, out: Path, data_dir: str | None = None, grade_args: str = "") -> Path:
    """Write the Gradescope autograder zip to ``out``; ``grade_args``: options for every grading run."""
    problems = unready(root)
    if problems:
        raise BundleError("the bundle would grade with stale or missing parts:\n"
                          + "\n".join(f"  - {problem}" for problem in problems))
    data = Path(config.data_dir(data_dir) or "")
    missing = [name for name in DATA_FILES if not (data / name).is_file()]
    if not str(data) or missing:
        raise BundleError(f"the data directory {str(data) or '(none: set DL3_DATA_DIR or --data-dir)'} lacks "
                          f"{', '.join(missing)}; run `python -m autograder prefetch` first")
    out = Path(out)
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as bundle:
        _add(bundle, "setup.sh", SETUP_SH.encode(), 0o755)
        _add(bundle, "run_autograder", RUN_AUTOGRADER.encode(), 0o755)
        _add(bundle, GRADE_ARGS_FILE, (grade_args.strip() + "\n").encode(), 0o644)
        for arcname, path, mode in bundle_files(root):
            _add(bundle, arcname, path.read_bytes(), mode)
        for name in DATA_FILES:
            _add(bundle, f"data/{name}", (data / name).read_bytes(), 0o644,
                 compress=not name.endswith((".npz", ".pkz")))
    os.replace(tmp, out)
    return out


def unready(root: Path) -> list[str]:
    """What must be done before the kit at ``root`` may be bundled: stale measurements, checks without a test."""
    from autograder.fingerprints import stale_measurements
    from autograder.graded_tests import untested_checks
    from autograder.specs import all_exercises

    costs = root / REFERENCE_COSTS.relative_to(config.KIT_ROOT)
    gaps = [gap.message(root) for e in all_exercises().values() for gap in untested_checks(root, e)]
    return stale_measurements(root, costs) + gaps


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
