"""The zygote (``autograder/grade/zygote/``): judges and student processes forked warm, each as fresh as a
new interpreter, and a zygote that never ran a TensorFlow op nor held anything of the kit's secrets.

The script runs in a fresh interpreter (it makes itself a child subreaper, which the kit's own test
process should not become): it starts a zygote as the supervisor does, has it fork a judge that grades
the reference with the hidden checks, then a judge that runs ``PROBE`` (which asks its own zygote for a
program, as the judge does for a student process), and reports what each saw.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from tests.helpers.kit import ROOT, run_kit

PROBE = '''
import json, os, random, signal, sys

import numpy as np

from autograder.grade.forks import judge_zygote
from autograder.grade.processes import harden_judge

PROGRAM = """
import json, os, sys
import numpy as np
names = [m for m in sys.modules if m in ("pytest", "autograder", "_pytest") or m.startswith("autograder.")]
os.write(int(sys.argv[1]), json.dumps({"ppid": os.getppid(), "kit_modules": names, "cwd": os.getcwd(),
    "fds": sorted(int(f) for f in os.listdir("/proc/self/fd")), "env": dict(os.environ),
    "np": int(np.random.randint(1 << 30)), "argv": sys.argv,
    "flags": [sys.flags.isolated, sys.flags.ignore_environment, sys.flags.no_user_site]}).encode())
"""


def open_files():
    links = []
    for name in os.listdir("/proc/self/fd"):
        try:
            links.append(os.readlink(f"/proc/self/fd/{name}"))
        except OSError:   # the listing's own descriptor
            pass
    return links


def test_probe():
    harden_judge()
    zygote = judge_zygote()
    read_end, write_end = os.pipe()
    errors = open(os.environ["PROBE_OUT"] + ".err", "wb")
    child = zygote.spawn("program", ["-c", str(write_end)], {"PATH": "/usr/bin:/bin", "MARK": "program"}, "/",
                         {write_end: write_end, 2: errors.fileno()}, source=PROGRAM)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        program = json.loads(pipe.read() or b"{}")
    code = child.wait(60)
    reachable = [name for name, module in list(sys.modules.items()) if hasattr(module, "zygote_serve")]
    seen = {"pid": os.getpid(), "ppid": os.getppid(), "sid": os.getsid(0), "cwd": os.getcwd(),
            "sockets": sum(link.startswith("socket:") for link in open_files()),
            "mark": os.environ.get("MARK"),
            "sigterm_default": signal.getsignal(signal.SIGTERM) == signal.SIG_DFL, "server_reachable": reachable,
            "np": int(np.random.randint(1 << 30)), "random": random.random(), "path": sys.path[:3],
            "program": program, "program_exit": code, "program_pid": child.pid}
    with open(os.environ["PROBE_OUT"], "w") as out:
        json.dump(seen, out)
'''

SCRIPT = '''
import json, os, sys
from pathlib import Path

from autograder.grade.forks import ZygoteError, start_zygote
from autograder.grade.processes import harden_judge

harden_judge()
root, work = Path(sys.argv[1]), Path(sys.argv[2])
env = {"PATH": "/usr/bin:/bin", "HOME": str(work), "TF_CPP_MIN_LOG_LEVEL": "3", "DL3_DATA_DIR": os.environ["DL3_DATA_DIR"]}
report = {"me": os.getpid()}
with start_zygote(sys.executable, ["numpy", "keras"], env, work, work / "zygote.log", 300) as zygote, \\
        open(work / "judge.log", "wb") as log, open(os.devnull, "rb") as nothing:
    fds = {0: nothing.fileno(), 1: log.fileno(), 2: log.fileno()}
    graded = zygote.spawn("judge", ["pytest", "-q", "-p", "no:cacheprovider", "--target", "solutions",
                                    "exercises/test_gradient_descent.py", "hidden_tests/test_gradient_descent_hidden.py"],
                          env, root, fds, path=[str(root)])
    report["graded_exit"] = graded.wait(300)
    probes = []
    for n in range(2):
        out = work / f"probe{n}.json"
        judge = zygote.spawn("judge", ["pytest", "-q", "-p", "no:cacheprovider", str(work / "test_probe.py")],
                             {**env, "MARK": f"judge{n}", "PROBE_OUT": str(out)}, work, fds, path=[str(root)])
        report[f"probe{n}_exit"] = judge.wait(300)
        probes.append(json.loads(out.read_text()))
    report["probes"] = probes
    try:
        zygote.spawn("program", ["-c"], env, work, {}, source="print(1)")
        report["program_refused"] = False
    except ZygoteError:
        report["program_refused"] = True
    report["zygote_threads"] = len(os.listdir(f"/proc/{zygote.pid}/task"))
    secrets = [b"def test_gradients_many_points", b"def least_squares(X, y):", b"hidden checks run at grading"]
    found = set()
    with open(f"/proc/{zygote.pid}/maps") as maps, open(f"/proc/{zygote.pid}/mem", "rb") as mem:
        for line in maps:
            span, perms = line.split()[:2]
            if not perms.startswith("rw"):
                continue
            start, end = (int(x, 16) for x in span.split("-"))
            try:
                mem.seek(start)
                data = mem.read(end - start)
            except (OSError, ValueError, OverflowError):
                continue
            found |= {s.decode() for s in secrets if s in data}
    report["secrets_in_zygote"] = sorted(found)
    report["zygote_modules_read"] = True
print(json.dumps(report))
'''


@pytest.mark.slow
def test_zygote_forks_fresh_processes_and_holds_no_secret(tmp_path):
    (tmp_path / "test_probe.py").write_text(textwrap.dedent(PROBE))
    (tmp_path / "script.py").write_text(SCRIPT)
    done = run_kit(str(tmp_path / "script.py"), str(ROOT), str(tmp_path), timeout=600)
    assert done.returncode == 0, done.stderr[-3000:] + (tmp_path / "judge.log").read_text()[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    log = (tmp_path / "judge.log").read_text()
    assert report["graded_exit"] == 0 and "22/22" in log, log[-2000:]   # the hidden checks ran in that judge
    assert report["probe0_exit"] == 0 and report["probe1_exit"] == 0, log[-3000:]
    first, second = report["probes"]
    for n, seen in enumerate(report["probes"]):
        assert seen["ppid"] == report["me"]                  # the asker's own child, which it waits for
        assert seen["sid"] == seen["pid"]                    # in a session of its own
        assert seen["sockets"] == 1                          # its own zygote's: the supervisor's zygote stays closed
        assert seen["mark"] == f"judge{n}" and seen["sigterm_default"] and seen["server_reachable"] == []
        assert str(ROOT) in seen["path"]                    # the kit first, as `python -m pytest` in it has
        program = seen["program"]
        assert seen["program_exit"] == 0 and program["ppid"] == seen["pid"]   # the judge's child, not its zygote's
        assert program["kit_modules"] == []                  # the judge had imported the kit: the program has none
        assert program["env"] == {"PATH": "/usr/bin:/bin", "MARK": "program"} and program["cwd"] == "/"
        assert program["argv"][0] == "-c" and len(program["fds"]) <= 3, program   # its pipe (and the listing's fd)
    assert first["np"] != second["np"] and first["random"] != second["random"]   # each fork reseeded
    assert first["program"]["np"] != second["program"]["np"]
    assert first["program"]["flags"] == second["program"]["flags"] == [1, 1, 1]   # fixed at start: `python -I`'s
    assert report["program_refused"]                         # the supervisor's zygote forks judges only
    assert report["zygote_threads"] == 1                     # no TensorFlow op ran: no thread pool started
    assert report["secrets_in_zygote"] == []


def test_warm_start_is_on_unless_turned_off_or_another_backend(monkeypatch):
    from autograder import config

    monkeypatch.delenv(config.WARM_START_ENV, raising=False)
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    assert config.warm_start() == (True, "")
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    warm, why = config.warm_start()
    assert not warm and "KERAS_BACKEND=jax" in why and "TensorFlow backend only" in why
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    monkeypatch.setenv(config.WARM_START_ENV, "0")
    assert config.warm_start() == (False, "DL3_WARM_START=0")


def test_a_fresh_start_starts_judges_only():
    from autograder.grade.forks import FreshStart, ZygoteError

    with pytest.raises(ZygoteError, match="judges only"):
        FreshStart().spawn("program", ["-c"], {}, "/", {}, source="print(1)")


FALLBACK = '''
import sys
from autograder import config
config.ZYGOTE_READY_TIMEOUT_S = 0.001   # no zygote imports numpy that fast: it "does not start"
from autograder.__main__ import main
sys.exit(main(["grade", sys.argv[1], "--results", sys.argv[2]]))
'''


@pytest.mark.slow
def test_a_zygote_that_does_not_start_falls_back_to_a_fresh_start_with_the_same_grades(tmp_path):
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "gradient_descent.py").write_text((ROOT / "solutions" / "gradient_descent.py").read_text())
    warm = run_kit("-m", "autograder", "grade", str(submission), "--results", str(tmp_path / "warm.json"))
    (tmp_path / "fallback.py").write_text(FALLBACK)
    fresh = run_kit(str(tmp_path / "fallback.py"), str(submission), str(tmp_path / "fresh.json"))
    assert warm.returncode == 0 and fresh.returncode == 0, warm.stderr[-2000:] + fresh.stderr[-2000:]
    warm_results, fresh_results = (json.loads((tmp_path / f"{n}.json").read_text()) for n in ("warm", "fresh"))
    assert warm_results["extra_data"]["dl3"]["start"] == "warm"
    assert fresh_results["extra_data"]["dl3"]["start"].startswith("fresh: the grader's zygote did not start")
    assert "started as a new interpreter, not forked warm" in fresh.stderr          # the instructor's log says so
    assert "not forked warm" not in warm.stderr
    assert fresh_results["score"] == warm_results["score"] == 22
    assert [(t["name"], t["score"], t["output"]) for t in fresh_results["tests"]] == \
        [(t["name"], t["score"], t["output"]) for t in warm_results["tests"]]
