"""Visible checks for cifar_cnn.py — run them with ``pytest exercises/test_cifar_cnn.py``.

These are quick checks; the training check runs hidden at grading. Passing these
is not your grade: hidden checks of the same functions run at grading.
"""

import keras
import numpy as np

from autograder.checks import call_student, expect_array, expect_close
from autograder.checks.architecture import check_architecture
from autograder.checks.training import check_compile_settings
from autograder.plugin import graded
from autograder.specs.cifar_cnn import cifar_model_spec

IMAGES = (np.arange(2 * 32 * 32 * 3) % 256).reshape(2, 32, 32, 3).astype(np.uint8)


@graded("cifar_cnn", "preprocess")
def test_preprocess(submission):
    out = call_student(submission.preprocess, IMAGES.copy())
    hint = "keep the shape; convert with .astype('float32')"
    expect_array(out, "preprocess(2 images)", shape=(2, 32, 32, 3), hint=hint, mistake="shape_changed")
    out = expect_array(out, "preprocess(2 images)", dtype=np.float32, hint=hint, mistake="not_float32")
    expect_close(out, IMAGES / 255.0, "preprocess pixel values", rtol=1e-6,
                 hint="scale pixels from 0…255 to 0…1 by dividing by 255", mistake="no_scaling")


@graded("cifar_cnn", "one_hot")
def test_one_hot(submission):
    out = call_student(submission.one_hot, np.array([[6], [9], [0]], dtype=np.uint8))
    out = expect_array(out, "one_hot(labels of shape (3, 1): [[6], [9], [0]])", shape=(3, 10),
                       hint="CIFAR-10 labels arrive with shape (N, 1); the result has shape (N, 10)",
                       mistake="labels_not_flattened")
    expected = np.zeros((3, 10))
    expected[[0, 1, 2], [6, 9, 0]] = 1.0
    expect_close(out, expected, "one_hot([[6], [9], [0]])", hint="1.0 in the label's column, 0.0 elsewhere",
                 mistake="wrong_column")
    out = call_student(submission.one_hot, np.array([1, 0, 2], dtype=np.uint8), n_classes=3)
    out = expect_array(out, "one_hot(labels of shape (3,): [1, 0, 2], n_classes=3)", shape=(3, 3),
                       hint="use the n_classes you are given for the number of columns, not a fixed 10; "
                            "labels of shape (N,) work too", mistake="fixed_ten_columns")
    expect_close(out, np.eye(3)[[1, 0, 2]], "one_hot([1, 0, 2], n_classes=3)")


@graded("cifar_cnn", "architecture")
def test_architecture(submission):
    check_architecture(submission.build_cifar_model, cifar_model_spec(), "build_cifar_model()")


@graded("cifar_cnn", "compile_settings")
def test_compile_settings(submission):
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(10, activation="softmax")])
    check_compile_settings(submission.compile_model, model, optimizer="Adam", loss="categorical_crossentropy")
