"""How long grading a complete submission takes, against the work itself and the workshop's own training.

Part by part, then all at once, it grades the reference solutions exactly as a
student's submission is graded (``pytest exercises/ hidden_tests/ --target solutions``,
visible and hidden checks), each in a fresh process, and prints the wall time and
the process's peak resident memory. Then, in the same run, it trains what the
workshop trains (the dense net and the CNN for 10 epochs on all 60,000 MNIST images,
the CIFAR-10 net for 2 epochs on the 10,000 offline CIFAR images, batch 128,
validating on the test set each epoch as the workshop does), so the ratio can be read off.

The profile (``--skip-profile`` leaves it out): the complete reference (and two more in-process and warm
pairs: their ratios and the medians), the untouched stubs (warm: the median of five gradings) and each
exercise alone, graded with ``python -m autograder grade`` twice — started fresh (``DL3_WARM_START=0``,
every judge and student process a new interpreter: the grader before the warm start) and warm (forked
from the grading's zygote, the default) — against the in-process run of the same checks: wall and CPU
seconds (the whole process tree, ``wait4``) and their ratio; then where ``grade``'s CPU goes, by
process (each process's CPU sampled from ``/proc`` every 0.1 s) and by phase: the interpreter and
imports (warm: the zygote; fresh, estimated: each judge at the cost of ``import numpy, keras`` measured
alone in the same run, and the student processes' CPU outside the student's calls), the student's
calls (the judges' own count, ``extra_data.dl3.student_cpu``), and the rest of the checks' work (data —
the data decoder's included, warm — the checks, tear-down).

Run: ``DL3_DATA_DIR=/path/to/datasets python benchmarks/bench_grading.py [--skip-workshop] [--skip-profile]``
Output: ``benchmarks/bench_grading.txt`` is this script's printed output.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("regularization", "gradient_descent", "mnist_cnn", "cifar_cnn")
WORKLOADS = ("mnist_dense", "mnist_cnn", "cifar")
BUDGET_S, BUDGET_MB = 60.0, 1536.0
STUB_REPEATS, REFERENCE_PAIRS = 5, 3   # the stubs' warm gradings; the complete reference's (in-process, warm) pairs


def run_measured(command: list[str], env: dict | None = None) -> tuple[float, float, float, int, str]:
    """Run ``command`` in a fresh process: (wall s, CPU s, peak RSS in MB, exit code, output tail).

    CPU seconds (user + system, the process and its threads) hardly change when other
    work shares the machine; wall seconds do. On an idle 2-core machine the wall time
    is at least CPU / 2.
    """
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        out.seek(0)
        tail = out.read().decode(errors="replace").strip().splitlines()[-1:]
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024.0, os.waitstatus_to_exitcode(status), " ".join(tail)


def grade(part: str | None) -> dict:
    """Grade the reference in-process (visible + hidden checks), all of it or one exercise's test files."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        score_path = fh.name
    files = [f"exercises/test_{part}.py", f"hidden_tests/test_{part}_hidden.py"] if part else ["exercises/", "hidden_tests/"]
    command = [sys.executable, "-m", "pytest", *files, "--target", "solutions", "-q", "-p", "no:randomly",
               f"--score-json={score_path}"]
    wall, cpu, rss, code, _ = run_measured(command)
    score = json.loads(Path(score_path).read_text())
    os.unlink(score_path)
    return {"wall": wall, "cpu": cpu, "rss": rss, "code": code, "points": score["total"], "max": score["max_total"],
            "checks": len(score["tests"])}


# --------------------------------------------------------------------------
# The profile: `grade` against the in-process run, by process and by phase

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: str) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a live process, or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICKS


def process_role(pid: int, root: int) -> str:
    """Which of a grading's processes ``pid`` is (a forked one is named by the zygote; a fresh one by its command)."""
    if pid == root:
        return "supervisor"
    try:
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
    except OSError:
        return "other"
    named = {"dl3-zygote": "zygote", "dl3-judge": "judge", "dl3-program": "student process"}
    if comm in named:
        return named[comm]
    if b"--sandbox" in argv:
        return "judge"
    if b"autograder.grade.decoder" in argv:
        return "data decoder"
    if b"-I" in argv and b"-c" in argv and len(argv) > 6 and argv[-2].startswith(b"/"):
        return "student process"   # python -I -c TEXT REQ REP ROOT MODULE
    return "other (isolation probe, helpers)"


class TreeSampler(threading.Thread):
    """Every process under ``root`` while it runs: its role and the last CPU seconds seen."""

    def __init__(self, root: int, every: float = 0.1):
        super().__init__(daemon=True)
        self.root, self.every, self.stop = root, every, threading.Event()
        self.seen: dict[int, tuple[str, float]] = {}

    def run(self) -> None:
        while not self.stop.is_set():
            parents: dict[int, list[int]] = defaultdict(list)
            cpu: dict[int, float] = {}
            for name in os.listdir("/proc"):
                if name.isdigit() and (stat := _stat(name)):
                    parents[stat[0]].append(int(name))
                    cpu[int(name)] = stat[1]
            tree, todo = [], [self.root]
            while todo:
                pid = todo.pop()
                tree.append(pid)
                todo.extend(parents.get(pid, []))
            for pid in tree:
                if pid in cpu:
                    # asked each time: a forked process has its zygote's name until it renames itself, a
                    # started one its parent's command line until it runs its own; an exited one has none
                    role = process_role(pid, self.root)
                    if pid in self.seen and role.startswith("other"):
                        role = self.seen[pid][0]
                    self.seen[pid] = (role, cpu[pid])
            self.stop.wait(self.every)

    def by_role(self) -> dict[str, tuple[int, float]]:
        """{role: (processes, CPU seconds)}."""
        out: dict[str, list] = defaultdict(lambda: [0, 0.0])
        for role, seconds in self.seen.values():
            out[role][0] += 1
            out[role][1] += seconds
        return {role: (n, seconds) for role, (n, seconds) in out.items()}


def graded(folder: Path, warm: bool, results: Path) -> dict:
    """``python -m autograder grade FOLDER``, started fresh or warm: wall, CPU (whole tree), score, processes."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "DL3_WARM_START": "1" if warm else "0"}
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(folder), "--results", str(results),
                                "--quiet"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sampler = TreeSampler(process.pid)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    sampler.stop.set()
    sampler.join()
    data = json.loads(results.read_text())
    meta = data.get("extra_data", {}).get("dl3", {})
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "code": os.waitstatus_to_exitcode(status),
            "score": data.get("score"), "max": sum(t.get("max_score", 0) for t in data.get("tests", [])),
            "start": meta.get("start", ""), "roles": sampler.by_role(),
            "student_calls": sum((meta.get("student_cpu") or {}).values())}


def import_cost(modules: str) -> float:
    """CPU seconds of a fresh ``python -I`` that imports ``modules`` and exits."""
    return min(run_measured([sys.executable, "-I", "-c", f"import {modules}"])[1] for _ in range(2))


def fresh_imports(run: dict, name: str, keras_cost: float, numpy_cost: float) -> float:
    """A fresh start's interpreters and imports, estimated: each judge's at the cost measured alone, and a student
    process's CPU outside the student's calls (it does little else: it starts, imports, answers)."""
    judges = run["roles"].get("judge", (0, 0.0))[0]
    students = run["roles"].get("student process", (0, 0.0))[1]
    per_judge = numpy_cost if name == "gradient_descent alone" else keras_cost
    return judges * per_judge + max(0.0, students - run["student_calls"])


def submissions(where: Path) -> dict[str, tuple[Path, str | None]]:
    """{name: (a submission folder, the in-process run's part: None all, "stubs" none)}: the reference, the stubs,
    each part alone."""
    def folder(name: str, source: Path, parts: tuple[str, ...]) -> Path:
        (where / name).mkdir()
        for part in parts:
            shutil.copyfile(source / f"{part}.py", where / name / f"{part}.py")
        return where / name

    subs = {"complete reference": (folder("reference", ROOT / "solutions", PARTS), None),
            "untouched stubs": (folder("stubs", ROOT / "exercises", PARTS), "stubs")}
    for part in PARTS:
        subs[f"{part} alone"] = (folder(part, ROOT / "solutions", (part,)), part)
    return subs


def reference_pairs(pairs: list[tuple[dict, dict]]) -> str:
    """The complete reference's (in-process, warm) pairs: each pair's wall and CPU ratios, and their medians."""
    walls = sorted(w["wall"] / b["wall"] for b, w in pairs)
    cpus = sorted(w["cpu"] / b["cpu"] for b, w in pairs)
    each = ", ".join(f"{w['wall'] / b['wall']:.2f}x/{w['cpu'] / b['cpu']:.2f}x" for b, w in pairs)
    return (f"the complete reference, warm against in-process, in {len(pairs)} pairs (wall/CPU): {each}; "
            f"medians: wall {walls[len(walls) // 2]:.2f}x, CPU {cpus[len(cpus) // 2]:.2f}x")


def profile() -> None:
    """Print the profile: fresh and warm ``grade`` against the in-process run, then where the CPU goes."""
    keras_cost, numpy_cost = import_cost("numpy, keras"), import_cost("numpy")
    print(f"\nimport cost alone (fresh python -I, CPU s): numpy {numpy_cost:.1f}, numpy + keras {keras_cost:.1f}")
    print(f"\n{'profile: submission':<26} {'in-process':>16} {'grade, fresh start':>26} {'grade, warm start':>26}  score")
    print(f"{'':<26} {'wall s':>7} {'CPU s':>8} {'wall s':>7} {'CPU s':>8} {'x CPU':>9} {'wall s':>7} {'CPU s':>8} "
          f"{'x CPU':>9}")
    details, notes = [], []
    with tempfile.TemporaryDirectory(prefix="dl3-bench-profile-") as tmp:
        for name, (folder, selection) in submissions(Path(tmp)).items():
            base = grade(selection) if selection != "stubs" else None
            runs = {warm: graded(folder, warm, Path(tmp) / f"{folder.name}-{warm}.json") for warm in (False, True)}
            # The machine's own pace varies by 10-20 % from minute to minute: the stubs (seconds) are the median of a
            # few warm gradings; the complete reference is graded in a few more (in-process, warm) pairs, whose
            # ratios the line below the table gives (the table has the first pair).
            if selection == "stubs":
                repeats = sorted([runs[True]] + [graded(folder, True, Path(tmp) / f"stubs-{n}.json")
                                                 for n in range(STUB_REPEATS - 1)], key=lambda r: r["wall"])
                runs[True] = repeats[len(repeats) // 2]
                walls = ", ".join(f"{r['wall']:.1f}" for r in repeats)
                notes.append(f"the untouched stubs, warm: the median of {STUB_REPEATS} gradings, {walls} s")
            elif selection is None:
                pairs = [(base, runs[True])] + [(grade(None), graded(folder, True, Path(tmp) / f"ref-{n}.json"))
                                                for n in range(REFERENCE_PAIRS - 1)]
                notes.append(reference_pairs(pairs))
            inside = f"{base['wall']:>7.1f} {base['cpu']:>8.1f}" if base else f"{'-':>7} {'-':>8}"
            cols = []
            for run in runs.values():
                ratio = f"{run['cpu'] / base['cpu']:.2f}x" if base else "-"
                cols.append(f"{run['wall']:>7.1f} {run['cpu']:>8.1f} {ratio:>9}")
            scores = {f"{r['score']:g}/{r['max']:g}" for r in runs.values()}
            print(f"{name:<26} {inside} {cols[0]} {cols[1]}  {' vs '.join(sorted(scores))}", flush=True)
            details.append((name, runs))
    for note in notes:
        print(f"({note})")
    print("\nwhere grade's CPU goes (CPU s; processes sampled every 0.1 s, so a process's last 0.1 s may be missed)")
    for name, runs in details:
        for warm, run in runs.items():
            roles = "; ".join(f"{role} {n}x {seconds:.1f}" for role, (n, seconds) in sorted(run["roles"].items()))
            imports = run["roles"].get("zygote", (0, 0.0))[1] if warm else fresh_imports(run, name, keras_cost,
                                                                                          numpy_cost)
            print(f"{name} ({'warm' if warm else 'fresh'}): total {run['cpu']:.1f} = {roles}; unattributed "
                  f"{run['cpu'] - sum(s for _, s in run['roles'].values()):.1f}")
            print(f"    phases: interpreter and imports {imports:.1f}"
                  f"{' (the zygote)' if warm else ' (estimated: judges x import cost + student processes outside calls)'}"
                  f"; the student's calls "
                  f"{run['student_calls']:.1f}; the rest (supervisor, data, the checks, tear-down) "
                  f"{run['cpu'] - imports - run['student_calls']:.1f}", flush=True)


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
    parser.add_argument("--skip-profile", action="store_true", help="no fresh/warm profile of `grade`")
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
    if not args.skip_profile:
        profile()
        print(f"load average now {load_average()}")
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
