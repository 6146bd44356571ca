"""Grade the complete reference and the untouched stubs in an LMS's box and on the open machine.

Usage (as root, from the repo root, on an otherwise idle machine):

    DL3_DATA_DIR=../shared/datasets .venv/bin/python benchmarks/bench_box.py [--boxes 768:50,1024:50] [--busy]

For each place — each box (``../shared/tools/lms_box.sh MEM_MB CPU_PERCENT``; Gradescope's
default is 768 MB and half a CPU), the same box while two CPU-bound processes outside it
keep the host's cores busy (``--busy``), and the open machine — it grades both submissions
with ``python -m autograder grade`` and prints the wall time, the run's CPU seconds, the
box's peak memory (page cache included, as lms_box.sh reports it), the run's peak resident
memory (anonymous memory of the grader's processes, sampled by the grader), and the score,
or why grading could not complete. Output: ``benchmarks/bench_box.txt``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LMS_BOX = ROOT.parent / "shared" / "tools" / "lms_box.sh"
MODULES = ("regularization.py", "gradient_descent.py", "mnist_cnn.py", "cifar_cnn.py")


def burn(stop_at: float) -> None:
    while time.time() < stop_at:
        pass


def submission(folder: str, where: Path) -> Path:
    sub = where / folder
    sub.mkdir()
    for name in MODULES:
        shutil.copyfile(ROOT / folder / name, sub / name)
    return sub


def grade_once(sub: Path, box: tuple[int, int] | None, where: Path) -> dict:
    results = where / f"{sub.name}-{box}.json"
    command = [sys.executable, "-m", "autograder", "grade", str(sub), "--results", str(results), "--quiet"]
    if box:
        command = ["bash", str(LMS_BOX), str(box[0]), str(box[1]), "--", *command]
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    wall = time.monotonic() - started
    data = json.loads(results.read_text()) if results.is_file() else {}
    meta = (data.get("extra_data") or {}).get("dl3", {})
    peak = re.search(r"box: peak (\d+) MB of (\d+) MB, failcnt (\d+), oom_kill (\d+)", done.stderr)
    return {"wall": wall, "exit": done.returncode, "score": data.get("score"),
            "max": sum(t.get("max_score", 0) for t in data.get("tests", [])) or None,
            "cpu": meta.get("cpu_seconds"), "resident": meta.get("peak_resident_mb"),
            "box_peak": f"{peak.group(1)} MB, oom_kill {peak.group(4)}" if peak else "-",
            "incomplete": (meta.get("incomplete") or "").splitlines()[0][:90] if meta.get("incomplete") else ""}


def row(place: str, what: str, r: dict) -> str:
    score = f"{r['score']:g}/{r['max']:g}" if r["score"] is not None else "no score"
    return (f"| {place} | {what} | {score} | {r['wall']:.0f} s | {r['cpu'] if r['cpu'] is not None else '-'} s | "
            f"{r['box_peak']} | {r['resident'] if r['resident'] is not None else '-'} MB | {r['incomplete']} |")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--boxes", default="768:50", help="MEM_MB:CPU_PERCENT,... (default 768:50)")
    parser.add_argument("--busy", action="store_true", help="also grade in each box beside two CPU burners")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "bench_box.txt"))
    args = parser.parse_args()
    boxes = [tuple(int(v) for v in b.split(":")) for b in args.boxes.split(",") if b]
    places: list[tuple[str, tuple[int, int] | None, bool]] = [("open machine", None, False)]
    for box in boxes:
        places.append((f"box {box[0]} MB / {box[1]} % CPU", box, False))
        if args.busy:
            places.append((f"box {box[0]} MB / {box[1]} % CPU, host busy", box, True))
    lines = [f"# bench_box.py — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
             f"# machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
             f"# command: {' '.join(sys.argv)}", "",
             "| where | submission | score | wall | CPU | box peak (with cache) | run's peak resident | "
             "grading could not complete because |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    with tempfile.TemporaryDirectory(prefix="dl3-bench-box-") as tmp:
        where = Path(tmp)
        subs = {"reference": submission("solutions", where), "stubs": submission("exercises", where)}
        for place, box, busy in places:
            burners = []
            if busy:
                stop_at = time.time() + 3600
                burners = [multiprocessing.Process(target=burn, args=(stop_at,)) for _ in range(2)]
                for proc in burners:
                    proc.start()
            try:
                for what, sub in subs.items():
                    result = grade_once(sub, box, where)
                    lines.append(row(place, what, result))
                    print(lines[-1], flush=True)
            finally:
                for proc in burners:
                    proc.terminate()
    Path(args.out).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
