# Generated from the reference by `python -m autograder stubs` — your copy to fill in.
# Replace each `raise NotImplementedError(...)` with your code; keep the function names.
"""Workshop section 1 — fighting overfitting on IMDB movie reviews.

Each review is a list of word ranks (1 = most frequent word); only the 10,000
most frequent words are kept. A review becomes a 10,000-long *multi-hot* vector
(1.0 where a word occurs, 0.0 elsewhere) and a small dense network predicts
whether the review is positive (1) or negative (0).

You build the workshop's models with Keras 3 (``import keras``; start each model
with ``keras.Input(shape=(10000,))``, then ``keras.layers.Dense`` /
``keras.layers.Dropout``; regularizers live in ``keras.regularizers``):

- the original model and a smaller and a bigger one (reducing network size),
- the original model with L2 or L1 weight regularization on its hidden layers,
- the original model with dropout after each hidden layer,

and two helpers: ``compile_model`` and ``best_epoch``. Fill in each function that
raises ``NotImplementedError``. Check yourself with
``pytest exercises/test_regularization.py`` (add ``-m "not training"`` for the
quick checks alone).
"""

from __future__ import annotations

from typing import Sequence

import keras
import numpy as np

NUM_WORDS = 10000


def vectorize_sequences(sequences: Sequence[Sequence[int]], dimension: int = NUM_WORDS) -> np.ndarray:
    """Multi-hot encode ``sequences`` into a float32 array of shape ``(len(sequences), dimension)``.

    It must be float32 (``np.zeros(..., dtype="float32")``), not numpy's default float64:
    the checks reject a float64 array (it doubles the memory of every training batch).

    Row ``i`` is 1.0 at every word index that occurs in ``sequences[i]`` and 0.0
    elsewhere: a word that occurs twice still gives 1.0 (not a count). Indices
    ``>= dimension`` do not fit and are ignored.
    """
    raise NotImplementedError("fill in this part (see the docstring above)")


def build_original_model() -> keras.Model:
    """The workshop's original model: input of 10,000 → Dense(16, relu) → Dense(16, relu) → Dense(1, sigmoid).

    Start with ``keras.Input(shape=(10000,))`` (a Sequential model or the
    functional API both work). It has 160,305 parameters.
    """
    raise NotImplementedError("fill in this part (see the docstring above)")


def build_smaller_model() -> keras.Model:
    """Like the original, with 8 units in each hidden layer instead of 16 (80,089 parameters)."""
    raise NotImplementedError("fill in this part (see the docstring above)")


def build_bigger_model() -> keras.Model:
    """Like the original, with 512 units in each hidden layer instead of 16 (5,383,681 parameters)."""
    raise NotImplementedError("fill in this part (see the docstring above)")


def build_l2_model(factor: float = 0.001) -> keras.Model:
    """The original model with an L2 kernel regularizer of ``factor`` on both hidden layers.

    Pass ``kernel_regularizer=keras.regularizers.L2(factor)`` to the two hidden
    Dense layers; the output layer gets no regularizer.
    """
    raise NotImplementedError("fill in this part (see the docstring above)")


def build_l1_model(factor: float = 0.001) -> keras.Model:
    """The original model with an L1 kernel regularizer of ``factor`` on both hidden layers (not the output)."""
    raise NotImplementedError("fill in this part (see the docstring above)")


def build_dropout_model(rate: float = 0.5) -> keras.Model:
    """The original model with dropout: Dense(16, relu) → Dropout(rate) → Dense(16, relu) → Dropout(rate) → Dense(1, sigmoid).

    Same input as the original; ``keras.layers.Dropout(rate)`` after each hidden layer.
    """
    raise NotImplementedError("fill in this part (see the docstring above)")


def compile_model(model: keras.Model) -> keras.Model:
    """Compile ``model`` for binary classification and return it.

    Use the RMSprop optimizer (``"rmsprop"``), binary cross-entropy loss and the
    ``"accuracy"`` metric, as in the workshop.
    """
    raise NotImplementedError("fill in this part (see the docstring above)")


def best_epoch(history: keras.callbacks.History) -> int:
    """The epoch (counted from 1) with the lowest validation loss in a Keras ``History``.

    ``model.fit(..., validation_data=...)`` returns a History whose
    ``history["val_loss"]`` lists one validation loss per epoch. Return the
    1-based number of the epoch where it is lowest (the first one on a tie), as a Python
    ``int``: ``np.argmin`` gives a numpy integer, which the checks reject, so wrap it in ``int(...)``.
    """
    raise NotImplementedError("fill in this part (see the docstring above)")

