"""Gaps closed in the checks, each proved both ways: the reference passes, a plausible wrong answer fails.

- ``one_hot(labels, n_classes)`` that ignores ``n_classes`` (hard-codes 10) passed every check:
  the ``one_hot`` checks of MNIST and CIFAR-10 now also ask for ``n_classes=3`` (and CIFAR's for
  labels of shape (N,), which its docstring allows).
- The strict checks name the type they want: ``best_epoch`` must return a Python ``int`` and
  ``vectorize_sequences`` a float32 array (the right-answers catalogue has both cases, graded on
  both routes by ``tests/test_differential.py``).
"""

from __future__ import annotations

import json

import pytest

from tests.helpers.kit import ROOT, run_kit

WRONG = {
    "mnist_cnn": "def one_hot(labels, n_classes=N_CLASSES):\n"
                 "    return keras.utils.to_categorical(np.asarray(labels).reshape(-1), 10).astype(np.float32)\n",
    "cifar_cnn": "def one_hot(labels, n_classes=N_CLASSES):\n"
                 "    return np.eye(10, dtype=np.float32)[np.asarray(labels).reshape(-1)]\n",
}


def one_hot_results(target, tmp_path) -> dict:
    out = tmp_path / "score.json"
    run_kit("-m", "pytest", "exercises/test_mnist_cnn.py", "exercises/test_cifar_cnn.py", "-k", "one_hot",
            "--target", str(target), "--score-json", str(out), "-q", "-p", "no:cacheprovider", timeout=600)
    return {t["exercise"]: t for t in json.loads(out.read_text())["tests"]}


@pytest.fixture(scope="module")
def wrong_one_hot(tmp_path_factory):
    target = tmp_path_factory.mktemp("wrong_one_hot")
    for module, patch in WRONG.items():
        reference = (ROOT / "solutions" / f"{module}.py").read_text()
        (target / f"{module}.py").write_text(reference + "\n\n" + patch)
    return one_hot_results(target, target)


def test_one_hot_checks_pass_on_the_reference(tmp_path):
    results = one_hot_results(ROOT / "solutions", tmp_path)
    assert {name: t["status"] for name, t in results.items()} == {"mnist_cnn": "passed", "cifar_cnn": "passed"}


@pytest.mark.parametrize("exercise", ["mnist_cnn", "cifar_cnn"])
def test_one_hot_that_ignores_n_classes_fails(wrong_one_hot, exercise):
    result = wrong_one_hot[exercise]
    assert result["status"] == "failed" and result["points"] == 0
    assert "n_classes=3" in result["message"] and "expected: (3, 3)" in result["message"]
    assert "not a fixed 10" in result["message"]


def test_cifar_one_hot_must_take_labels_of_shape_n(tmp_path):
    reference = (ROOT / "solutions" / "cifar_cnn.py").read_text()
    (tmp_path / "cifar_cnn.py").write_text(  # the (N, 1) shape hard-wired: labels[:, 0]
        reference + "\n\ndef one_hot(labels, n_classes=N_CLASSES):\n"
                    "    return np.eye(n_classes, dtype=np.float32)[labels[:, 0]]\n")
    out = tmp_path / "score.json"
    run_kit("-m", "pytest", "exercises/test_cifar_cnn.py", "-k", "one_hot", "--target", str(tmp_path),
            "--score-json", str(out), "-q", "-p", "no:cacheprovider", timeout=600)
    (result,) = json.loads(out.read_text())["tests"]
    assert result["status"] == "failed" and result["message"].startswith("one_hot(array(3,), n_classes=3) raised")


def test_a_type_check_names_the_expected_and_the_received_type():
    import numpy as np

    from autograder.checks import expect_type
    from autograder.checks.values import CheckFailure

    with pytest.raises(CheckFailure) as failure:
        expect_type(np.int64(3), int, "best_epoch(...) should be a Python int")
    assert "expected: a Python int" in str(failure.value) and "received: numpy int64" in str(failure.value)
    expect_type(3, int, "a Python int passes")
