"""The data decoder (``grade/decoder/``, ``grade/supervisor/decoding.py``): which datasets a grading reads, its
process beside the zygote, and the judges reading what it wrote. Its copies: ``tests/test_datasets.py``."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from autograder.graded_tests import exercise_test_files
from autograder.grade.processes import _tree_pids_psutil, tree_pids
from autograder.grade.supervisor.decoding import DATA_HELPERS, Decoder, datasets_read
from autograder.specs import all_exercises
from tests.helpers.kit import ROOT, run_kit


@pytest.mark.parametrize("exercise, expected", [("regularization", ["imdb"]), ("gradient_descent",
                         ["california_housing"]), ("mnist_cnn", ["mnist"]), ("cifar_cnn", ["cifar10"])])
def test_each_exercise_reads_its_workshop_dataset(exercise, expected):
    assert datasets_read(exercise_test_files(all_exercises()[exercise], ROOT)) == expected


def test_the_data_helpers_named_are_the_checks_own(tmp_path):
    from autograder.checks import data, keras_data

    assert all(hasattr(keras_data, h) or hasattr(data, h) for h in DATA_HELPERS)
    (tmp_path / "test_x.py").write_text("from autograder.checks.keras_data import mnist_subset\n"
                                        "def test_x():\n    my_mnist_subset_size = 3\n")
    assert datasets_read([tmp_path / "test_x.py"]) == []   # imported, never called: nothing to decode


def test_a_decoder_that_overruns_is_stopped_and_costs_only_the_wait():
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    started = time.monotonic()
    assert Decoder(process).wait(0.3) == "by each judge: the data decoder did not finish within 0 s"
    assert time.monotonic() - started < 5 and process.poll() is not None


def test_the_tree_walk_finds_what_psutil_finds():
    shell = subprocess.Popen(["bash", "-c", "sleep 30 & (sleep 30 & wait) & wait"])
    try:
        deadline = time.monotonic() + 10
        while len(_tree_pids_psutil(shell.pid)) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sorted(tree_pids(shell.pid)) == sorted(_tree_pids_psutil(shell.pid)) and len(tree_pids(shell.pid)) == 4
    finally:
        subprocess.run(["pkill", "-KILL", "-P", str(shell.pid)])
        shell.kill()
        shell.wait()
    assert tree_pids(shell.pid) == []


KEPT = '''
import json, sys
from pathlib import Path
from autograder.grade.supervisor.runner import Options, grade
from autograder.grade.limits import Limits
results = grade(Path(sys.argv[1]), Options(Limits(), keep=True))
print(json.dumps({"score": results.score, "plan": results.metadata["plan"], "start": results.metadata["start"],
                  "decoding": results.metadata["decoding"]}))
'''


@pytest.mark.slow
def test_a_grading_decodes_its_datasets_once_beside_the_zygote(tmp_path):
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "gradient_descent.py").write_text((ROOT / "solutions" / "gradient_descent.py").read_text())
    (tmp_path / "kept.py").write_text(KEPT)
    done = run_kit(str(tmp_path / "kept.py"), str(submission), env={"TMPDIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["score"] == 22 and report["start"] == "warm" and report["plan"]["decode_ahead"]
    assert report["decoding"] == "ahead"
    [folder] = tmp_path.glob("dl3-grade-*")
    assert (folder / "grader" / "decoder.log").read_text() == ""
    assert [p.name.rsplit("-", 1)[0] for p in (folder / "grader" / "decoded").iterdir()] == ["cal_housing_py3.pkz"]


def test_a_decoder_that_fails_is_said_in_the_instructors_log(tmp_path):
    from autograder.grade.supervisor.decoding import AHEAD, BY_JUDGES, decoding_warnings

    log = tmp_path / "decoder.log"
    log.write_text("Traceback (most recent call last):\nDatasetNotFoundError: The imdb dataset was not found\n")
    process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(1)"])
    decoding = Decoder(process, log).wait(30)
    assert decoding == f"{BY_JUDGES}: the data decoder failed (exit code 1): DatasetNotFoundError: The imdb " \
                       "dataset was not found"
    [line] = decoding_warnings(decoding)
    assert "each judge read its datasets itself (the same grades, more time)" in line and "imdb" in line
    assert decoding_warnings(AHEAD) == decoding_warnings(BY_JUDGES) == []   # ran well, or never ran: nothing to say
    assert Decoder(subprocess.Popen([sys.executable, "-c", "pass"]), log).wait(30) == AHEAD
