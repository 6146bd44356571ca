"""How long grading a complete submission takes, against the workshop's own training workload.

Part by part, then all at once, it grades the reference solutions exactly as a
student's submission is graded (``pytest exercises/ hidden_tests/ --target solutions``,
visible and hidden checks), each in a fresh process, and prints the wall time and
the process's peak resident memory. Then, in the same run, it trains what the
workshop trains (the dense net and the CNN for 10 epochs on all 60,000 MNIST images,
the CIFAR-10 net for 2 epochs on the 10,000 offline CIFAR images, batch 128,
validating on the test set each epoch as the workshop does), so the ratio can be read off.

Run: ``DL3_DATA_DIR=/path/to/datasets python benchmarks/bench_grading.py [--skip-workshop]``
Output: ``benchmarks/bench_grading.txt`` is this script's printed output.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("regularization", "gradient_descent", "mnist_cnn", "cifar_cnn")
WORKLOADS = ("mnist_dense", "mnist_cnn", "cifar")
BUDGET_S, BUDGET_MB = 60.0, 1536.0


def run_measured(command: list[str]) -> tuple[float, float, float, int, str]:
    """Run ``command`` in a fresh process: (wall s, CPU s, peak RSS in MB, exit code, output tail).

    CPU seconds (user + system, the process and its threads) hardly change when other
    work shares the machine; wall seconds do. On an idle 2-core machine the wall time
    is at least CPU / 2.
    """
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        out.seek(0)
        tail = out.read().decode(errors="replace").strip().splitlines()[-1:]
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024.0, os.waitstatus_to_exitcode(status), " ".join(tail)


def grade(selection: str | None) -> dict:
    """Grade the reference (visible + hidden checks), all of it or one exercise (``-k``)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        score_path = fh.name
    command = [sys.executable, "-m", "pytest", "exercises/", "hidden_tests/", "--target", "solutions", "-q",
               "-p", "no:randomly", f"--score-json={score_path}"]
    if selection:
        command += ["-k", selection]
    wall, cpu, rss, code, _ = run_measured(command)
    score = json.loads(Path(score_path).read_text())
    os.unlink(score_path)
    return {"wall": wall, "cpu": cpu, "rss": rss, "code": code, "points": score["total"], "max": score["max_total"],
            "checks": len(score["tests"])}


def workshop_workload(name: str) -> None:
    """Train one of the workshop's workloads (runs in a child process)."""
    import keras

    from autograder.datasets import load_cifar10, load_mnist
    from autograder.plugin import import_file

    if name == "cifar":
        ref = import_file(ROOT / "solutions" / "cifar_cnn.py", "bench_cifar")
        (x, y), (xt, yt) = load_cifar10()
        x, xt, y, yt = ref.preprocess(x), ref.preprocess(xt), ref.one_hot(y), ref.one_hot(yt)
        model, epochs = ref.compile_model(ref.build_cifar_model()), 2
    else:
        ref = import_file(ROOT / "solutions" / "mnist_cnn.py", "bench_mnist")
        (x, y), (xt, yt) = load_mnist()
        prep = ref.preprocess_flat if name == "mnist_dense" else ref.preprocess_grid
        x, xt, y, yt = prep(x), prep(xt), ref.one_hot(y), ref.one_hot(yt)
        # The workshop's CNN pools with (1, 1), so that is the model it trained.
        build = ref.build_dense_model if name == "mnist_dense" else lambda: ref.build_cnn_model(pool_size=(1, 1))
        model, epochs = ref.compile_model(build()), 10
    keras.utils.set_random_seed(0)
    history = model.fit(x, y, batch_size=128, epochs=epochs, validation_data=(xt, yt), verbose=0)
    print(f"val_accuracy {history.history['val_accuracy'][-1]:.4f}")


def load_average() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-workshop", action="store_true", help="grade only")
    parser.add_argument("--workload", choices=WORKLOADS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.workload:
        sys.path.insert(0, str(ROOT))
        workshop_workload(args.workload)
        return
    print(f"# grading benchmark: {os.cpu_count()} CPU cores, Python {sys.version.split()[0]}, "
          f"load average at start {load_average()}")
    print(f"\n{'grading (reference, visible + hidden)':<40} {'wall s':>8} {'CPU s':>8} {'peak RSS MB':>12} "
          f"{'points':>10}")
    for part in PARTS:
        r = grade(part)
        print(f"{part:<40} {r['wall']:>8.1f} {r['cpu']:>8.1f} {r['rss']:>12.0f} {r['points']:>5g}/{r['max']:<4g}",
              flush=True)
    total = grade(None)
    print(f"{'all four exercises, one run':<40} {total['wall']:>8.1f} {total['cpu']:>8.1f} {total['rss']:>12.0f} "
          f"{total['points']:>5g}/{total['max']:<4g}")
    within = total["wall"] <= BUDGET_S and total["rss"] <= BUDGET_MB
    print(f"budget {BUDGET_S:.0f} s and {BUDGET_MB:.0f} MB: {'met' if within else 'NOT met'} "
          f"({total['checks']} checks, exit code {total['code']}); "
          f"CPU / 2 cores = {total['cpu'] / 2:.1f} s; load average now {load_average()}", flush=True)
    if args.skip_workshop:
        return
    print(f"\n{'workshop workload (no grading)':<40} {'wall s':>8} {'CPU s':>8} {'peak RSS MB':>12}")
    workshop_wall = workshop_cpu = 0.0
    for name in WORKLOADS:
        wall, cpu, rss, code, tail = run_measured([sys.executable, __file__, "--workload", name])
        workshop_wall, workshop_cpu = workshop_wall + wall, workshop_cpu + cpu
        print(f"{name:<40} {wall:>8.1f} {cpu:>8.1f} {rss:>12.0f}   "
              f"{tail if code == 0 else f'failed ({code}): {tail}'}", flush=True)
    print(f"{'workshop total':<40} {workshop_wall:>8.1f} {workshop_cpu:>8.1f}")
    print(f"\nratio workshop / grading: wall {workshop_wall / total['wall']:.1f}x, CPU {workshop_cpu / total['cpu']:.1f}x "
          f"(grading costs {100 * total['cpu'] / workshop_cpu:.1f}% of the workshop's training CPU time)")
    print(f"load average at end {load_average()}")


if __name__ == "__main__":
    main()
