"""Batch-grading throughput: N reference and N empty submissions, 1 and 2 workers, local pool and
a Dask LocalCluster. Prints submissions per minute, speed-up, and the per-submission cost of
isolation (grading an empty submission: every part absent, so only the machinery runs).

    DL3_DATA_DIR=../shared/datasets .venv/bin/python benchmarks/bench_batch.py [--copies 20] [--parts gradient_descent]
        [--where local] [--workers 2]

``--parts`` picks which reference files each "complete" submission holds (default: all
four; grading the Keras parts trains models, about a minute per submission on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder import batch  # noqa: E402
from autograder.specs import all_exercises  # noqa: E402


def make_class(root: Path, copies: int, parts: list[str], empty: bool) -> Path:
    subs = root / ("empty" if empty else "reference")
    for i in range(copies):
        folder = subs / f"student{i:03d}"
        folder.mkdir(parents=True)
        if empty:
            (folder / "README.txt").write_text("nothing handed in\n")
        for module in [] if empty else parts:
            shutil.copyfile(ROOT / "solutions" / f"{module}.py", folder / f"{module}.py")
    return subs


def timed(subs: Path, out: Path, **kwargs) -> float:
    start = time.perf_counter()
    summary = batch.run_batch(subs, out, progress=False, log=lambda line: None, **kwargs)
    assert summary.failed == 0, f"{summary.failed} submissions failed"
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--parts", nargs="+", default=[e.module for e in all_exercises().values()])
    parser.add_argument("--where", nargs="+", choices=["local", "dask"], default=["local", "dask"],
                        help="the local process pool, a Dask LocalCluster, or both")
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2])
    args = parser.parse_args()
    os.environ["PYTHONPATH"] = str(ROOT)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{args.copies} reference submissions ({', '.join(args.parts)}) and {args.copies} empty ones")
    print(f"command: benchmarks/bench_batch.py {' '.join(sys.argv[1:])}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n")
    print(f"{'kind':<10} {'where':<14} {'workers':>7} {'seconds':>8} {'per sub':>8} {'subs/min':>9} {'speed-up':>8}")
    if "dask" in args.where:
        from distributed import LocalCluster

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for kind in ("empty", "reference"):
            subs = make_class(tmp, args.copies, args.parts, kind == "empty")
            for where in [{"local": "local pool", "dask": "LocalCluster"}[w] for w in args.where]:
                base = None
                for workers in args.workers:
                    out = tmp / f"out-{kind}-{where.replace(' ', '')}-{workers}"
                    if where == "local pool":
                        seconds = timed(subs, out, workers=workers)
                    else:
                        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                          dashboard_address=None) as cluster:
                            seconds = timed(subs, out, scheduler=cluster.scheduler_address)
                    base = base or seconds
                    print(f"{kind:<10} {where:<14} {workers:>7} {seconds:>8.1f} {seconds / args.copies:>8.2f} "
                          f"{60 * args.copies / seconds:>9.1f} {base / seconds:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
