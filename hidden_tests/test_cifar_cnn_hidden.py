"""Hidden checks for cifar_cnn.py: run at grading, never shipped to students."""

import numpy as np

from autograder.checks import call_student, expect, expect_array, expect_close
from autograder.checks.keras_data import cifar10_subset
from autograder.checks.training import expect_accuracy, run_pipeline
from autograder.plugin import graded
from autograder.specs.cifar_cnn import EXERCISE

SPEC = EXERCISE.extra


@graded("cifar_cnn", "preprocess_hidden")
def test_preprocess_hidden(submission):
    setup = SPEC["training"]
    (images, labels), _ = cifar10_subset(setup.n_train, setup.n_test, setup.data_seed)
    images, labels = images[:300], labels[:300]
    original, original_labels = images.copy(), labels.copy()
    out = expect_array(call_student(submission.preprocess, images), "preprocess(300 CIFAR-10 images)",
                       shape=(300, 32, 32, 3), dtype=np.float32)
    expect(np.array_equal(images, original), "preprocess must not change its input",
           "the uint8 images unchanged", "changed images", hint="work on a copy (astype makes one)",
           mistake="mutates_input")
    expect_close(out, original / 255.0, "preprocess on real images", rtol=1e-6)
    encoded = expect_array(call_student(submission.one_hot, labels), "one_hot(300 CIFAR-10 labels of shape (300, 1))",
                           shape=(300, 10))
    expect(np.array_equal(labels, original_labels), "one_hot must not change its input",
           "the labels unchanged", "changed labels", mistake="mutates_input")
    expect(np.array_equal(np.argmax(encoded, axis=1), original_labels[:, 0]) and np.allclose(encoded.sum(axis=1), 1.0),
           "one_hot on real labels", "a single 1.0 per row, at the label", "other rows")


@graded("cifar_cnn", "accuracy")
def test_accuracy(submission):
    setup = SPEC["training"]
    result = run_pipeline(preprocess=submission.preprocess, one_hot=submission.one_hot,
                          build=submission.build_cifar_model, compile_model=submission.compile_model,
                          data=cifar10_subset(setup.n_train, setup.n_test, setup.data_seed), setup=setup,
                          what="build_cifar_model()")
    expect_accuracy(result, setup, "the CIFAR-10 network",
                    hint="scale the pixels to 0…1, keep the relu activations, and compile with adam",
                    mistake="below_threshold")
