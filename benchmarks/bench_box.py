"""Grade the complete reference and the untouched stubs in an LMS's box and on the open machine.

Usage (as root, from the repo root, on an otherwise idle machine):

    DL3_DATA_DIR=../shared/datasets .venv/bin/python benchmarks/bench_box.py [--boxes 768:50,1024:50] [--busy]

For each place — each box (``../shared/tools/lms_box.sh MEM_MB CPU_PERCENT``; Gradescope's
default is 768 MB and half a CPU), the same box while two CPU-bound processes outside it
keep the host's cores busy (``--busy``), and the open machine — it grades both submissions
with ``python -m autograder grade`` and prints the wall time, the run's CPU seconds, the
box's anonymous-memory peak (each physical page once: cgroup v1's ``total_rss`` as
lms_box.sh samples it every 0.2 s), the box's own counters (its peak with the page cache,
``failcnt``, ``oom_kill``), the run's peak resident memory as the grader samples it (every
second), the score, whether every test's score equals the open machine's, and why grading
could not complete if it did not. Output: ``benchmarks/bench_box.txt``.
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
import threading
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


def _memory_of(pid: str) -> tuple[str, int, int] | None:
    """(role, anonymous memory counted once (Pss_Anon), private dirty pages) of a grading's process, in MB."""
    try:
        role = Path(f"/proc/{pid}/comm").read_text().strip()
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:])
    except (OSError, ValueError):
        return None
    if not role.startswith("dl3-"):
        return None
    return role, int(fields["Pss_Anon"].split()[0]) // 1024, int(fields["Private_Dirty"].split()[0]) // 1024


class RolePeak(threading.Thread):
    """The grading's processes (dl3-zygote, dl3-judge, dl3-program) at the moment their anonymous memory peaked."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop, self.peak, self.at = threading.Event(), [], 0

    def run(self) -> None:
        while not self.stop.wait(0.3):
            now = [m for m in map(_memory_of, filter(str.isdigit, os.listdir("/proc"))) if m]
            if sum(m[1] for m in now) > sum(m[1] for m in self.peak):
                self.peak = now

    def describe(self) -> str:
        return ", ".join(f"{role} {pss} MB (private {private})" for role, pss, private in sorted(self.peak))


def grade_once(sub: Path, box: tuple[int, int] | None, where: Path) -> dict:
    results = where / f"{sub.name}-{box}.json"
    command = [sys.executable, "-m", "autograder", "grade", str(sub), "--results", str(results), "--quiet"]
    if box:
        command = ["bash", str(LMS_BOX), str(box[0]), str(box[1]), "--", *command]
    started = time.monotonic()
    roles = RolePeak()
    roles.start()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    wall = time.monotonic() - started
    roles.stop.set()
    roles.join()
    data = json.loads(results.read_text()) if results.is_file() else {}
    meta = (data.get("extra_data") or {}).get("dl3", {})
    counters = re.search(r"box: peak (\d+) MB of (\d+) MB, failcnt (\d+), oom_kill (\d+), anon peak (\d+) MB",
                         done.stderr)
    return {"wall": wall, "exit": done.returncode, "score": data.get("score"),
            "max": sum(t.get("max_score", 0) for t in data.get("tests", [])) or None,
            "per_test": {t["name"]: (t["status"], t["score"]) for t in data.get("tests", [])},
            "cpu": meta.get("cpu_seconds"), "resident": meta.get("peak_resident_mb"),
            "anon_peak": f"{counters.group(5)} MB" if counters else "-",
            "box": (f"{counters.group(1)} MB, failcnt {counters.group(3)}, oom_kill {counters.group(4)}"
                    if counters else "-"),
            "incomplete": (meta.get("incomplete") or "").splitlines()[0][:90] if meta.get("incomplete") else "",
            "roles": roles.describe()}


def row(place: str, what: str, r: dict, open_machine: dict | None) -> str:
    score = f"{r['score']:g}/{r['max']:g}" if r["score"] is not None else "no score"
    same = "-" if open_machine is None else "yes" if r["per_test"] == open_machine["per_test"] else "NO"
    return (f"| {place} | {what} | {score} | {same} | {r['wall']:.0f} s | "
            f"{r['cpu'] if r['cpu'] is not None else '-'} s | {r['anon_peak']} | {r['box']} | "
            f"{r['resident'] if r['resident'] is not None else '-'} MB | {r['incomplete']} |")


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
             "| where | submission | score | each test as on the open machine | wall | CPU | box's anon peak | "
             "box's counters (peak with cache, failcnt, oom_kill) | run's peak resident (grader's sampling) | "
             "grading could not complete because |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    with tempfile.TemporaryDirectory(prefix="dl3-bench-box-") as tmp:
        where = Path(tmp)
        subs = {"reference": submission("solutions", where), "stubs": submission("exercises", where)}
        on_open_machine: dict[str, dict] = {}
        roles_at_peak = ["", "# The grading's processes when their anonymous memory peaked (Pss_Anon: shared pages split "
                             "between the processes sharing them; private: pages no other process has), sampled "
                             "every 0.3 s from /proc/PID/smaps_rollup:"]
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
                    if box is None:
                        on_open_machine[what] = result
                    lines.append(row(place, what, result, on_open_machine.get(what) if box else None))
                    roles_at_peak.append(f"# {place}, {what}: {result['roles']}")
                    print(lines[-1], flush=True)
            finally:
                for proc in burners:
                    proc.terminate()
    Path(args.out).write_text("\n".join(lines + roles_at_peak) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
