"""Hidden checks for mnist_cnn.py: run at grading, never shipped to students."""

import numpy as np

from autograder.checks import call_student, expect, expect_array, expect_close
from autograder.checks.keras_data import mnist_subset
from autograder.checks.training import expect_accuracy, run_pipeline
from autograder.plugin import graded
from autograder.specs.mnist_cnn import EXERCISE

SPEC = EXERCISE.extra


@graded("mnist_cnn", "preprocess_hidden")
def test_preprocess_hidden(submission):
    setup = SPEC["cnn_training"]
    (images, labels), _ = mnist_subset(setup.n_train, setup.n_test, setup.data_seed)
    images, labels = images[:500], labels[:500]
    original = images.copy()
    flat = expect_array(call_student(submission.preprocess_flat, images), "preprocess_flat(500 MNIST images)",
                        shape=(500, 784), dtype=np.float32)
    expect(np.array_equal(images, original), "preprocess_flat must not change its input",
           "the uint8 images unchanged", "changed images", hint="work on a copy (astype makes one)",
           mistake="mutates_input")
    expect_close(flat, original.reshape(500, 784) / 255.0, "preprocess_flat on real images", rtol=1e-6)
    grid = expect_array(call_student(submission.preprocess_grid, images), "preprocess_grid(500 MNIST images)",
                        shape=(500, 28, 28, 1), dtype=np.float32)
    expect(np.array_equal(images, original), "preprocess_grid must not change its input",
           "the uint8 images unchanged", "changed images", hint="work on a copy (astype makes one)",
           mistake="mutates_input")
    expect_close(grid[..., 0], original / 255.0, "preprocess_grid on real images", rtol=1e-6)
    encoded = expect_array(call_student(submission.one_hot, labels), "one_hot(500 MNIST labels)", shape=(500, 10))
    expect(np.array_equal(np.argmax(encoded, axis=1), labels) and np.allclose(encoded.sum(axis=1), 1.0),
           "one_hot on real labels", "a single 1.0 per row, at the label", "other rows")


@graded("mnist_cnn", "cnn_accuracy")
def test_cnn_accuracy(submission):
    setup = SPEC["cnn_training"]
    result = run_pipeline(preprocess=submission.preprocess_grid, one_hot=submission.one_hot,
                          build=submission.build_cnn_model, compile_model=submission.compile_model,
                          data=mnist_subset(setup.n_train, setup.n_test, setup.data_seed), setup=setup,
                          what="build_cnn_model()")
    expect_accuracy(result, setup, "the CNN on MNIST",
                    hint="scale the pixels to 0…1, keep the relu activations, and compile with adam",
                    mistake="below_threshold")
