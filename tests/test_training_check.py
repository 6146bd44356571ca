"""The training checks both ways: the references pass; plausible broken set-ups fail with a clear text.

Every run uses the spec's subset, seed and threshold, exactly as grading does. Broken
set-ups are the mistakes students make: no input scaling, a linear hidden layer, a far
too small (or too large) learning rate, a regularizer or dropout that does nothing.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import keras
import numpy as np
import pytest

from autograder.checks.architecture import check_architecture
from autograder.checks.keras_data import cifar10_subset, imdb_subset, mnist_subset
from autograder.checks.training import (bigger_overfits_sooner, expect_accuracy, imdb_curves, overfits_less,
                                        run_pipeline)
from autograder.checks.values import CheckFailure
from autograder.plugin import import_file
from autograder.specs.cifar_cnn import EXERCISE as CIFAR
from autograder.specs.mnist_cnn import EXERCISE as MNIST
from autograder.specs.mnist_cnn import dense_model_spec
from autograder.specs.regularization import EXERCISE as REGULARIZATION

pytestmark = pytest.mark.slow

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"
L = keras.layers


def reference(name: str):
    return import_file(SOLUTIONS / f"{name}.py", f"kit_train_ref_{name}")


MN, CF, RG = reference("mnist_cnn"), reference("cifar_cnn"), reference("regularization")


# --------------------------------------------------------------------------
# Plausible broken pieces


def flat_without_scaling(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), 784).astype(np.float32)


def dense_with_linear_hidden_layer() -> keras.Model:
    return keras.Sequential([keras.Input(shape=(784,)), L.Dense(100), L.Dense(10, activation="softmax")])


def compile_with_tiny_learning_rate(model: keras.Model) -> keras.Model:
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-5), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def rmsprop_far_too_fast(model: keras.Model) -> keras.Model:
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def l2_model_without_regularizer(factor: float = 0.001) -> keras.Model:
    return RG.build_original_model()


def dropout_model_with_rate_zero(rate: float = 0.5) -> keras.Model:
    return RG.build_dropout_model(rate=0.0)


# --------------------------------------------------------------------------
# Accuracy checks


def mnist_dense_run(**override):
    setup = MNIST.extra["dense_training"]
    parts = dict(preprocess=MN.preprocess_flat, one_hot=MN.one_hot, build=MN.build_dense_model,
                 compile_model=MN.compile_model)
    parts.update(override)
    result = run_pipeline(**parts, data=mnist_subset(setup.n_train, setup.n_test, setup.data_seed), setup=setup,
                          what="dense")
    return result, setup


def test_mnist_dense_reference_passes_and_stops_early():
    result, setup = mnist_dense_run()
    expect_accuracy(result, setup, "dense", hint="")
    assert result.test_accuracy[-1] >= setup.threshold
    assert result.epochs < setup.max_epochs  # stopped as soon as the threshold was met


def test_mnist_dense_is_deterministic():
    first, _ = mnist_dense_run()
    second, _ = mnist_dense_run()
    assert first.test_accuracy == second.test_accuracy


@pytest.mark.parametrize("override, name", [
    ({"preprocess": flat_without_scaling}, "no input scaling"),
    ({"compile_model": compile_with_tiny_learning_rate}, "tiny learning rate"),
])
def test_mnist_dense_broken_fails(override, name):
    result, setup = mnist_dense_run(**override)
    assert result.epochs == setup.max_epochs, name  # never reached the threshold, so trained to the cap
    with pytest.raises(CheckFailure) as info:
        expect_accuracy(result, setup, "the dense network on MNIST", hint="scale the pixels")
    text = str(info.value)
    assert f"test accuracy >= {setup.threshold:.3f} within {setup.max_epochs} epochs" in text
    assert "test accuracy after each epoch" in text and "hint: scale the pixels" in text


def test_linear_hidden_layer_is_caught_by_the_architecture_not_by_accuracy():
    """A linear hidden layer still learns MNIST to about 0.89 in 4 epochs, above the bar: the
    accuracy threshold cannot tell it from the reference, the architecture check does."""
    result, setup = mnist_dense_run(build=dense_with_linear_hidden_layer)
    expect_accuracy(result, setup, "dense", hint="")
    with pytest.raises(CheckFailure, match="layer 1, activation"):
        check_architecture(dense_with_linear_hidden_layer, dense_model_spec(), "linear hidden layer")


def test_mnist_cnn_reference_passes_and_tiny_learning_rate_fails():
    setup = MNIST.extra["cnn_training"]
    data = mnist_subset(setup.n_train, setup.n_test, setup.data_seed)
    parts = dict(preprocess=MN.preprocess_grid, one_hot=MN.one_hot, build=MN.build_cnn_model)
    good = run_pipeline(**parts, compile_model=MN.compile_model, data=data, setup=setup, what="cnn")
    expect_accuracy(good, setup, "cnn", hint="")
    bad = run_pipeline(**parts, compile_model=compile_with_tiny_learning_rate, data=data, setup=setup, what="cnn")
    with pytest.raises(CheckFailure, match="stayed below the threshold"):
        expect_accuracy(bad, setup, "cnn", hint="")


def test_cifar_reference_passes_and_tiny_learning_rate_fails():
    setup = CIFAR.extra["training"]
    data = cifar10_subset(setup.n_train, setup.n_test, setup.data_seed)
    parts = dict(preprocess=CF.preprocess, one_hot=CF.one_hot, build=CF.build_cifar_model)
    good = run_pipeline(**parts, compile_model=CF.compile_model, data=data, setup=setup, what="cifar")
    expect_accuracy(good, setup, "cifar", hint="")
    bad = run_pipeline(**parts, compile_model=compile_with_tiny_learning_rate, data=data, setup=setup, what="cifar")
    with pytest.raises(CheckFailure, match="stayed below the threshold"):
        expect_accuracy(bad, setup, "cifar", hint="")


def test_preprocessing_with_the_wrong_shape_fails_readably():
    with pytest.raises(CheckFailure, match="training your model failed"):
        mnist_dense_run(preprocess=lambda images: images.astype(np.float32) / 255.0)  # forgot to flatten


def test_uncompiled_model_fails_readably():
    with pytest.raises(CheckFailure, match="not compiled"):
        mnist_dense_run(compile_model=lambda model: model)


# --------------------------------------------------------------------------
# Regularization behaviour


@pytest.fixture(scope="module")
def imdb():
    extra = REGULARIZATION.extra
    setup = extra["training"]
    data = imdb_subset(extra["num_words"], setup.n_train, setup.n_test, setup.data_seed)
    return functools.partial(imdb_curves, data=data, setup=setup, dimension=extra["num_words"])


def test_reference_bigger_overfits_sooner(imdb):
    extra = REGULARIZATION.extra
    curves = imdb(RG.vectorize_sequences, RG.compile_model,
                  {"original": (RG.build_original_model, extra["training"].max_epochs),
                   "bigger": (RG.build_bigger_model, extra["bigger_epochs"])})
    assert bigger_overfits_sooner(curves["original"], curves["bigger"])


def test_far_too_large_learning_rate_fails_bigger_overfits_sooner(imdb):
    extra = REGULARIZATION.extra
    curves = imdb(RG.vectorize_sequences, rmsprop_far_too_fast,
                  {"original": (RG.build_original_model, extra["training"].max_epochs),
                   "bigger": (RG.build_bigger_model, extra["bigger_epochs"])})
    assert not bigger_overfits_sooner(curves["original"], curves["bigger"])


def test_reference_regularization_helps_and_broken_ones_do_not(imdb):
    extra = REGULARIZATION.extra
    epochs, factor = extra["training"].max_epochs, extra["l2_behaviour_factor"]
    curves = imdb(RG.vectorize_sequences, RG.compile_model, {
        "original": (RG.build_original_model, epochs),
        "l2": (functools.partial(RG.build_l2_model, factor=factor), epochs),
        "dropout": (RG.build_dropout_model, epochs),
        "l2 without regularizer": (functools.partial(l2_model_without_regularizer, factor=factor), epochs),
        "dropout rate 0": (dropout_model_with_rate_zero, epochs),
    })
    original = curves["original"]
    assert overfits_less(original, curves["l2"]) and overfits_less(original, curves["dropout"])
    assert not overfits_less(original, curves["l2 without regularizer"])
    assert not overfits_less(original, curves["dropout rate 0"])
