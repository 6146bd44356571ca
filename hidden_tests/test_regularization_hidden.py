"""Hidden checks for regularization.py: run at grading, never shipped to students."""

import functools

import keras
import numpy as np

from autograder.checks import call_student, expect, expect_array, expect_equal, expect_type
from autograder.checks.architecture import check_architecture
from autograder.checks.keras_data import imdb_subset
from autograder.checks.training import format_curve, imdb_curves, overfits_less
from autograder.plugin import graded
from autograder.specs.regularization import EXERCISE, dense_stack_spec

SPEC = EXERCISE.extra


def history_with(val_loss):
    history = keras.callbacks.History()
    history.history = {"loss": [0.5] * len(val_loss), "val_loss": list(val_loss)}
    history.epoch = list(range(len(val_loss)))
    return history


def kit_multi_hot(sequences, dimension):
    out = np.zeros((len(sequences), dimension), dtype=np.float32)
    for row, seq in enumerate(sequences):
        for index in seq:
            if 0 <= index < dimension:
                out[row, index] = 1.0
    return out


@graded("regularization", "vectorize_real_reviews")
def test_vectorize_real_reviews(submission):
    setup = SPEC["training"]
    (reviews, _), _ = imdb_subset(SPEC["num_words"], setup.n_train, setup.n_test, setup.data_seed)
    reviews = reviews[:200]
    before = [list(r) for r in reviews]
    got = call_student(submission.vectorize_sequences, reviews)
    got = expect_array(got, "vectorize_sequences(200 IMDB reviews)", shape=(200, SPEC["num_words"]),
                       hint="the default dimension is 10,000", mistake="wrong_default_dimension")
    got = expect_array(got, "vectorize_sequences(200 IMDB reviews)", dtype=np.float32)
    wrong = np.flatnonzero(np.any(got != kit_multi_hot(before, SPEC["num_words"]), axis=1))
    expect(len(wrong) == 0, "vectorize_sequences on real reviews", "every row multi-hot (0.0 or 1.0)",
           f"{len(wrong)} rows differ, first row {wrong[:1].tolist()}",
           hint="a word occurring several times still gives 1.0", mistake="counts_not_multi_hot")
    expect([list(r) for r in reviews] == before, "vectorize_sequences must not change its input",
           "the reviews unchanged", "changed reviews", mistake="mutates_input")
    small = call_student(submission.vectorize_sequences, [[2, 7, 12, 99]], dimension=10)
    small = expect_array(small, "vectorize_sequences([[2, 7, 12, 99]], dimension=10)", shape=(1, 10))
    expect_equal(small.tolist(), [[0, 0, 1, 0, 0, 0, 0, 1, 0, 0]],
                 "vectorize_sequences([[2, 7, 12, 99]], dimension=10)",
                 hint="indices >= dimension do not fit and are ignored", mistake="out_of_range_not_ignored")


@graded("regularization", "factor_and_rate_used")
def test_factor_and_rate_used(submission):
    check_architecture(submission.build_l2_model, dense_stack_spec(16, regularizer=("L2", 0.01)),
                       "build_l2_model(factor=0.01)", factor=0.01)
    check_architecture(submission.build_l1_model, dense_stack_spec(16, regularizer=("L1", 0.005)),
                       "build_l1_model(factor=0.005)", factor=0.005)
    check_architecture(submission.build_dropout_model, dense_stack_spec(16, dropout_rate=0.3),
                       "build_dropout_model(rate=0.3)", rate=0.3)


@graded("regularization", "best_epoch_hidden")
def test_best_epoch_hidden(submission):
    cases = [([0.7], 1), ([0.3, 0.5, 0.3, 0.2], 4), ([0.6, 0.4, 0.4, 0.9], 2), ([0.25, 0.3, 0.35], 1)]
    for losses, wanted in cases:
        got = call_student(submission.best_epoch, history_with(losses))
        expect_type(got, int, f"best_epoch for validation losses {losses} should be a Python int",
                    hint="wrap the numpy index in int(...)", mistake="numpy_int")
        expect_equal(got, wanted, f"best_epoch for validation losses {losses}",
                     hint="epochs count from 1; on a tie take the first epoch",
                     mistake="epochs_from_zero" if got == wanted - 1 else "not_first_lowest")


@graded("regularization", "regularization_helps")
def test_regularization_helps(submission):
    setup = SPEC["training"]
    factor = SPEC["l2_behaviour_factor"]
    curves = imdb_curves(submission.vectorize_sequences, submission.compile_model,
                         {"original": (submission.build_original_model, setup.max_epochs),
                          "l2": (functools.partial(submission.build_l2_model, factor=factor), setup.max_epochs),
                          "dropout": (submission.build_dropout_model, setup.max_epochs)},
                         imdb_subset(SPEC["num_words"], setup.n_train, setup.n_test, setup.data_seed),
                         setup, SPEC["num_words"])
    observed = "\n            ".join(format_curve(name, curve) for name, curve in curves.items())
    for name, call in (("l2", f"build_l2_model(factor={factor})"), ("dropout", "build_dropout_model()")):
        expect(overfits_less(curves["original"], curves[name]),
               f"after {setup.max_epochs} epochs {call} should overfit less than the original model",
               f"a smaller gap between validation and training cross-entropy than the original's", observed,
               hint=f"check {call.split('(')[0]}: the regularization belongs on both hidden layers",
               mistake="l2_overfits" if name == "l2" else "dropout_overfits")
