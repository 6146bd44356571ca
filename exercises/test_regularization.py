"""Visible checks for regularization.py — run them with ``pytest exercises/test_regularization.py``.

Add ``-m "not training"`` to skip the check that trains models. Passing these is
not your grade: hidden checks of the same functions run at grading.
"""

import keras
import numpy as np

from autograder.checks import call_student, expect, expect_array, expect_equal
from autograder.checks.architecture import check_architecture
from autograder.checks.keras_data import imdb_subset
from autograder.checks.training import (bigger_overfits_sooner, check_compile_settings, format_curve,
                                        imdb_curves)
from autograder.plugin import graded
from autograder.specs.regularization import EXERCISE, dense_stack_spec

SPEC = EXERCISE.extra


def history_with(val_loss):
    """A Keras History as ``model.fit`` returns it, with the given validation losses."""
    history = keras.callbacks.History()
    history.history = {"loss": [0.5] * len(val_loss), "val_loss": list(val_loss)}
    history.epoch = list(range(len(val_loss)))
    return history


@graded("regularization", "vectorize_multi_hot")
def test_vectorize_multi_hot(submission):
    out = call_student(submission.vectorize_sequences, [[1, 3, 3], [0, 4]], dimension=5)
    what = "vectorize_sequences([[1, 3, 3], [0, 4]], dimension=5)"
    hint = "one float32 row per sequence, one column per word index"
    expect_array(out, what, shape=(2, 5), hint=hint, mistake="not_one_row_per_sequence")
    out = expect_array(out, what, dtype=np.float32, hint=hint, mistake="not_float32")
    expect_equal(out.tolist(), [[0, 1, 0, 1, 0], [1, 0, 0, 0, 1]],
                 "vectorize_sequences([[1, 3, 3], [0, 4]], dimension=5)",
                 hint="multi-hot: 1.0 where the index occurs, even if it occurs twice (not a count)",
                 mistake="counts_not_multi_hot")


@graded("regularization", "original_architecture")
def test_original_architecture(submission):
    check_architecture(submission.build_original_model, dense_stack_spec(16), "build_original_model()")


@graded("regularization", "smaller_architecture")
def test_smaller_architecture(submission):
    check_architecture(submission.build_smaller_model, dense_stack_spec(8), "build_smaller_model()")


@graded("regularization", "bigger_architecture")
def test_bigger_architecture(submission):
    check_architecture(submission.build_bigger_model, dense_stack_spec(512), "build_bigger_model()")


@graded("regularization", "l2_architecture")
def test_l2_architecture(submission):
    check_architecture(submission.build_l2_model, dense_stack_spec(16, regularizer=("L2", 0.001)),
                       "build_l2_model()")


@graded("regularization", "l1_architecture")
def test_l1_architecture(submission):
    check_architecture(submission.build_l1_model, dense_stack_spec(16, regularizer=("L1", 0.001)),
                       "build_l1_model()")


@graded("regularization", "dropout_architecture")
def test_dropout_architecture(submission):
    check_architecture(submission.build_dropout_model, dense_stack_spec(16, dropout_rate=0.5),
                       "build_dropout_model()")


@graded("regularization", "compile_settings")
def test_compile_settings(submission):
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1, activation="sigmoid")])
    check_compile_settings(submission.compile_model, model, optimizer="RMSprop", loss="binary_crossentropy")


@graded("regularization", "best_epoch_value")
def test_best_epoch_value(submission):
    history = history_with([0.52, 0.41, 0.38, 0.44, 0.50])
    got = call_student(submission.best_epoch, history)
    expect_equal(got, 3, "best_epoch for validation losses [0.52, 0.41, 0.38, 0.44, 0.50]",
                 hint="the lowest validation loss is in the 3rd epoch: count epochs from 1",
                 mistake="epochs_from_zero")


@graded("regularization", "bigger_overfits_sooner")
def test_bigger_overfits_sooner(submission):
    setup = SPEC["training"]
    curves = imdb_curves(submission.vectorize_sequences, submission.compile_model,
                         {"original": (submission.build_original_model, setup.max_epochs),
                          "bigger": (submission.build_bigger_model, SPEC["bigger_epochs"])},
                         imdb_subset(SPEC["num_words"], setup.n_train, setup.n_test, setup.data_seed),
                         setup, SPEC["num_words"])
    expect(bigger_overfits_sooner(curves["original"], curves["bigger"]),
           "the bigger model should reach its lowest validation loss in an earlier epoch than the original",
           "bigger's best epoch < original's best epoch",
           "\n            ".join(format_curve(name, curve) for name, curve in curves.items()),
           hint="with 512 units per layer the model memorizes the training reviews within a few epochs, "
                "while the original keeps improving for longer; check both builders and compile_model "
                "(rmsprop at its default learning rate, binary cross-entropy)", mistake="bigger_not_sooner")
