"""Visible checks for mnist_cnn.py — run them with ``pytest exercises/test_mnist_cnn.py``.

Add ``-m "not training"`` to skip the check that trains a model. Passing these is
not your grade: hidden checks of the same functions run at grading.
"""

import keras
import numpy as np

from autograder.checks import call_student, expect, expect_array, expect_close
from autograder.checks.architecture import check_architecture, describe_layer, model_layers
from autograder.checks.keras_data import mnist_subset
from autograder.checks.training import check_compile_settings, expect_accuracy, run_pipeline
from autograder.plugin import graded
from autograder.specs.mnist_cnn import EXERCISE, cnn_model_spec, dense_model_spec

SPEC = EXERCISE.extra
IMAGES = np.arange(3 * 28 * 28, dtype=np.int64).reshape(3, 28, 28).astype(np.uint8)


@graded("mnist_cnn", "preprocess_flat")
def test_preprocess_flat(submission):
    out = call_student(submission.preprocess_flat, IMAGES.copy())
    hint = "reshape to (N, 784) and convert with .astype('float32')"
    expect_array(out, "preprocess_flat(3 images)", shape=(3, 784), hint=hint, mistake="not_flattened")
    out = expect_array(out, "preprocess_flat(3 images)", dtype=np.float32, hint=hint, mistake="not_float32")
    expect_close(out, IMAGES.reshape(3, 784) / 255.0, "preprocess_flat pixel values", rtol=1e-6,
                 hint="scale pixels from 0…255 to 0…1 by dividing by 255, keeping the pixel order",
                 mistake="no_scaling")


@graded("mnist_cnn", "preprocess_grid")
def test_preprocess_grid(submission):
    out = call_student(submission.preprocess_grid, IMAGES.copy())
    hint = "keep the 28×28 grid and add a last axis of size 1 (the channel)"
    expect_array(out, "preprocess_grid(3 images)", shape=(3, 28, 28, 1), hint=hint, mistake="no_channel_axis")
    out = expect_array(out, "preprocess_grid(3 images)", dtype=np.float32, hint=hint, mistake="not_float32")
    expect_close(out[..., 0], IMAGES / 255.0, "preprocess_grid pixel values", rtol=1e-6,
                 hint="scale pixels from 0…255 to 0…1 by dividing by 255", mistake="no_scaling")


@graded("mnist_cnn", "one_hot")
def test_one_hot(submission):
    out = call_student(submission.one_hot, np.array([3, 0, 9], dtype=np.uint8))
    out = expect_array(out, "one_hot([3, 0, 9])", shape=(3, 10), hint="one row per label, 10 columns",
                       mistake="not_one_row_per_label")
    expected = np.zeros((3, 10))
    expected[[0, 1, 2], [3, 0, 9]] = 1.0
    expect_close(out, expected, "one_hot([3, 0, 9])", hint="1.0 in the label's column, 0.0 elsewhere",
                 mistake="wrong_column")
    out = call_student(submission.one_hot, np.array([1, 0, 2], dtype=np.uint8), n_classes=3)
    out = expect_array(out, "one_hot([1, 0, 2], n_classes=3)", shape=(3, 3),
                       hint="use the n_classes you are given for the number of columns, not a fixed 10",
                       mistake="fixed_ten_columns")
    expect_close(out, np.eye(3)[[1, 0, 2]], "one_hot([1, 0, 2], n_classes=3)")


@graded("mnist_cnn", "dense_architecture")
def test_dense_architecture(submission):
    check_architecture(submission.build_dense_model, dense_model_spec(), "build_dense_model()")


@graded("mnist_cnn", "cnn_architecture")
def test_cnn_architecture(submission):
    check_architecture(submission.build_cnn_model, cnn_model_spec((2, 2)), "build_cnn_model()")


@graded("mnist_cnn", "cnn_pool_one_does_nothing")
def test_cnn_pool_one_does_nothing(submission):
    model = check_architecture(submission.build_cnn_model, cnn_model_spec((1, 1)),
                               "build_cnn_model(pool_size=(1, 1))", pool_size=(1, 1))
    pool = next(layer for layer in model_layers(model) if describe_layer(layer)["kind"] == "MaxPool2D")
    features = np.linspace(0, 1, 26 * 26 * 25, dtype=np.float32).reshape(1, 26, 26, 25)
    pooled = keras.ops.convert_to_numpy(pool(features))
    expect(pooled.shape == features.shape and np.array_equal(pooled, features),
           "a 1×1 max-pooling window should change nothing (the workshop's model)",
           "output identical to the input, shape (1, 26, 26, 25)", f"shape {pooled.shape}",
           hint="with pool_size=(1, 1) the pooling layer takes the maximum of a single value",
           mistake="pool_changes_input")


@graded("mnist_cnn", "compile_settings")
def test_compile_settings(submission):
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(10, activation="softmax")])
    check_compile_settings(submission.compile_model, model, optimizer="Adam", loss="categorical_crossentropy")


@graded("mnist_cnn", "dense_accuracy")
def test_dense_accuracy(submission):
    setup = SPEC["dense_training"]
    result = run_pipeline(preprocess=submission.preprocess_flat, one_hot=submission.one_hot,
                          build=submission.build_dense_model, compile_model=submission.compile_model,
                          data=mnist_subset(setup.n_train, setup.n_test, setup.data_seed), setup=setup,
                          what="build_dense_model()")
    expect_accuracy(result, setup, "the dense network on MNIST",
                    hint="scale the pixels to 0…1, use relu in the hidden layer, and compile with adam",
                    mistake="below_threshold")
