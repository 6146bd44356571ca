"""The catalogue of bad submissions (``tests/bad_submissions/``): building an entry, and grading it as the kit does."""

from __future__ import annotations

import json
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from autograder.specs import get_exercise
from tests.helpers.kit import ROOT, run_kit

CATALOGUE = ROOT / "tests" / "bad_submissions"
ENTRIES = sorted(p.name for p in CATALOGUE.iterdir() if (p / "expect.json").is_file())
SGD = ["sgd_start_point", "sgd_seed", "sgd_log_history", "sgd_fresh_batches", "sgd_converges"]
GD_ARGS = ["--time-limit", "10", "--memory-mb", "2048"]
MARKERS = ("dl3-catalogue-background", "dl3-catalogue-faker")


def expectation(name: str) -> dict:
    return json.loads((CATALOGUE / name / "expect.json").read_text())


def build_submission(name: str, where: Path) -> Path:
    """The submission directory (or file) of a catalogue entry."""
    entry = CATALOGUE / name
    spec = expectation(name)
    exercise = get_exercise(spec.get("exercise", "gradient_descent"))
    if spec.get("submit"):
        return entry / spec["submit"]
    sub = where / "submission"
    shutil.copytree(entry, sub, ignore=shutil.ignore_patterns("expect.json", "patch.py"))
    # Stored as NAME.fixture so that the kit's own pytest run never loads them (a conftest.py!).
    for path in sorted(sub.rglob("*.fixture")):
        path.rename(path.with_suffix(""))
    if (entry / "patch.py").is_file():
        reference = (ROOT / "solutions" / exercise.filename).read_text()
        (sub / exercise.filename).write_text(reference + "\n\n# ---- catalogue patch ----\n"
                                             + (entry / "patch.py").read_text())
    return sub


def grade_entry(name: str, tmp: Path) -> dict:
    tmp.mkdir(parents=True, exist_ok=True)
    sub = build_submission(name, tmp)
    # Only the entry that fakes results files gets the usual name: where the sandbox cannot drop to
    # `nobody` (this machine: Python under /root), a submission runs with the grader's uid and could
    # write other gradings' files; its own score it cannot change.
    results = tmp / "out" / ("results.json" if name == "fake_results_file" else "graded.json")
    args = expectation(name).get("args", GD_ARGS)
    started = time.monotonic()
    done = run_kit("-m", "autograder", "grade", str(sub), "--results", str(results), *args, timeout=900)
    return {"done": done, "results": results, "seconds": time.monotonic() - started}


def grade_catalogue(root: Path) -> dict[str, dict]:
    """Every catalogue entry, graded once (three at a time), by name."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {name: pool.submit(grade_entry, name, root / name) for name in ENTRIES}
        return {name: future.result() for name, future in futures.items()}
