"""Class-report speed: N fabricated ``grade-batch`` results (every check of all four exercises),
then ``python -m autograder class-report`` on them, timed; a second run with ``--previous``.

    .venv/bin/python benchmarks/bench_class_report.py [--students 300 600]

Each fabricated student fails a random fifth of the checks (a seeded generator), each failure
with a kind and one of the check's declared mistake names, and a message of a few hundred
characters that names the student and a path; 2% are grader failures. The command is timed
as an instructor runs it (a fresh interpreter, its start included) and the report's own steps
in-process (read, compute, write).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.specs import declared_mistakes  # noqa: E402
from autograder.report import build_report, read_class  # noqa: E402
from autograder.report.write import write_report  # noqa: E402
from autograder.specs import all_exercises  # noqa: E402

KINDS = ["wrong_answer", "wrong_answer", "wrong_answer", "crash", "time_limit", "not_implemented"]


def fabricate(out: Path, students: int, seed: int = 0) -> None:
    """``out/<student>/results.json`` and ``meta.json`` as grade-batch writes them."""
    rng = np.random.default_rng(seed)
    exercises = list(all_exercises().values())
    for i in range(students):
        student = f"student{i:04d}"
        folder = out / student
        folder.mkdir(parents=True)
        status = "grader-error" if rng.random() < 0.02 else "graded"
        tests = [] if status != "graded" else [_test(rng, e, c, student) for e in exercises for c in e.checks]
        results = {"score": sum(t["score"] for t in tests), "output": "summary", "tests": tests}
        (folder / "results.json").write_text(json.dumps(results))
        meta = {"student": student, "digest": f"{i:064x}", "status": status, "seconds": 60.0, "detail": "",
                "graded_at": 1.0e9 + i}
        (folder / "meta.json").write_text(json.dumps(meta))


def _test(rng, exercise, check, student: str) -> dict:
    failed = rng.random() < 0.2
    kind = KINDS[int(rng.integers(len(KINDS)))] if failed else None
    names = sorted(declared_mistakes(check))
    mistake = (f"{exercise.name}.{check.name}.{names[int(rng.integers(len(names)))]}"
               if kind in ("wrong_answer", "crash", "time_limit") else None)
    output = "" if not failed else (f"{check.name}: /home/{student}/work/{exercise.module}.py line 12\n"
                                    f"  expected: {rng.random():.6f}\n  received: {rng.random():.6f}\n"
                                    "  hint: " + "read the docstring again " * 8)
    return {"name": f"{exercise.title} — {check.name}: {check.describe}", "score": 0.0 if failed else check.points,
            "max_score": check.points, "status": "failed" if failed else "passed", "output": output,
            "visibility": "after_due_date" if check.hidden else "visible",
            "tags": [exercise.name] + (["hidden"] if check.hidden else []) + ([mistake] if mistake else []),
            "extra_data": {"exercise": exercise.name, "check": check.name, "hidden": check.hidden,
                           "failure": kind, "mistake": mistake}}


def command(graded: Path, report: Path, *extra: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "autograder", "class-report", str(graded), "--out", str(report), *extra],
                   cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def in_process(graded: Path, report: Path) -> tuple[float, float, float]:
    start = time.perf_counter()
    table = read_class(graded, "dl3")
    read = time.perf_counter()
    figures = build_report(table, assignment="dl3", graded=str(graded))
    computed = time.perf_counter()
    write_report(figures, report)
    return read - start, computed - read, time.perf_counter() - computed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, nargs="+", default=[300, 600])
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print(f"command: .venv/bin/python benchmarks/bench_class_report.py --students "
          f"{' '.join(map(str, args.students))}\n")
    checks = sum(len(e.checks) for e in all_exercises().values())
    print(f"{'students':>8} {'rows':>7} {'command s':>9} {'--previous s':>12} {'read s':>7} {'compute s':>9} "
          f"{'write s':>7} {'report.json':>11} {'report.html':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.students:
            graded, report = Path(tmp) / f"graded{n}", Path(tmp) / f"report{n}"
            fabricate(graded, n)
            cold = command(graded, report)
            again = command(graded, Path(tmp) / f"again{n}", "--previous", str(report / "report.json"))
            steps = in_process(graded, Path(tmp) / f"inproc{n}")
            sizes = [(report / name).stat().st_size / 2**20 for name in ("report.json", "report.html")]
            print(f"{n:>8} {n * checks:>7} {cold:>9.2f} {again:>12.2f} {steps[0]:>7.2f} {steps[1]:>9.2f} "
                  f"{steps[2]:>7.2f} {sizes[0]:>9.1f}MB {sizes[1]:>9.1f}MB")


if __name__ == "__main__":
    main()
