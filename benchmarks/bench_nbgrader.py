"""nbgrader's route, timed: ``nbgrader-autograde`` (1 and 2 workers) against ``nbgrader autograde``.

One seeded class of complete students (every exercise notebook filled in from the source
notebooks) in an nbgrader course; three copies of it, one per run. Prints, per run, the wall
time and CPU seconds (this process's children: the commands and what they waited for) per
student, and the class throughput in students per minute.

    DL3_DATA_DIR=../shared/datasets .venv/bin/python benchmarks/bench_nbgrader.py [--students 4] [--parts MODULE ...]

``nbgrader autograde`` runs with the course's opt-in ``DL3_NBGRADER_UNSANDBOXED=1``: it runs
each student's notebooks as this user, demonstration cells included (about a minute a student
on 2 cores). The seeded notebooks are the kit's own, so that is safe here. The course and the
nbgrader command are the tests' (``tests/helpers/nbgrader_course.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.specs import all_exercises  # noqa: E402
from tests.helpers.nbgrader_course import ASSIGNMENT, make_course, nbgrader  # noqa: E402
from tests.helpers.notebooks import filled_notebook  # noqa: E402


def run(command: list[str], unsandboxed: bool) -> None:
    """``nbgrader ...`` in the course (the first item: its directory), or the kit's command from the repo root."""
    if command[0] == "nbgrader":
        nbgrader(Path(command[1]), *command[2:], unsandboxed=unsandboxed)
        return
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


def seeded_course(dest: Path, students: int, parts: list[str]) -> Path:
    """A course (a copy of the kit) with ``parts`` as its notebooks and ``students`` complete submissions."""
    dest.mkdir()
    make_course(dest)
    for notebook in (dest / "source" / ASSIGNMENT).glob("*.ipynb"):
        if notebook.stem not in parts:
            notebook.unlink()
    nbgrader(dest, "generate_assignment", ASSIGNMENT, "--force")
    for i in range(students):
        folder = dest / "submitted" / f"student{i:02d}" / ASSIGNMENT
        folder.mkdir(parents=True)
        for module in parts:
            (folder / f"{module}.ipynb").write_text(json.dumps(filled_notebook(module)))
    return dest


def timed(command: list[str], unsandboxed: bool = False) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system of the children reaped) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    run(command, unsandboxed)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def line(label: str, wall: float, cpu: float, students: int) -> str:
    return (f"{label:<38} {wall:8.1f} s {cpu:8.1f} CPU-s   per student {wall / students:6.1f} s "
            f"{cpu / students:6.1f} CPU-s   {60 * students / wall:5.2f} students/min")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=4)
    parser.add_argument("--parts", nargs="+", default=[e.module for e in all_exercises().values()])
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{args.students} complete students ({', '.join(args.parts)}), one nbgrader course, three copies")
    print(f"command: benchmarks/bench_nbgrader.py {' '.join(sys.argv[1:])}; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n", flush=True)
    kit = [sys.executable, "-m", "autograder", "nbgrader-autograde", ASSIGNMENT, "--course"]
    with tempfile.TemporaryDirectory(prefix="dl3-bench-nbgrader-") as tmp:
        seeded = seeded_course(Path(tmp) / "seeded", args.students, args.parts)
        copies = {name: shutil.copytree(seeded, Path(tmp) / name, symlinks=True) for name in ("w1", "w2", "nbgrader")}
        runs = [(f"nbgrader-autograde --workers {n}", kit + [str(copies[f"w{n}"]), "--workers", str(n)], False)
                for n in (1, 2)]
        runs.append(("nbgrader autograde (unsandboxed)", ["nbgrader", str(copies["nbgrader"]), "autograde",
                                                          ASSIGNMENT, "--force"], True))
        for label, command, unsandboxed in runs:
            wall, cpu = timed(command, unsandboxed)
            print(line(label, wall, cpu, args.students), flush=True)

if __name__ == "__main__":
    main()
