# Generated from the reference by `python -m autograder stubs` — your copy to fill in.
# Replace each `raise NotImplementedError(...)` with your code; keep the function names.
"""Workshop section 3 — MNIST digits with a dense network, then a convolutional one.

MNIST images arrive as uint8 arrays of shape (N, 28, 28) with pixel values 0…255
and labels 0…9. You prepare the data twice (flat vectors for the dense network,
28×28×1 grids for the CNN), one-hot encode the labels, and build both models with
Keras 3 (``import keras``; start with ``keras.Input``; layers from ``keras.layers``).

A note on pooling: the workshop's CNN used ``MaxPool2D(pool_size=(1, 1))``. A 1×1
window takes the maximum of a single value, so that layer changes nothing: the
Flatten after it sees all 26×26×25 = 16,900 features and the next Dense layer
needs 1.69 million weights. ``build_cnn_model`` takes the pool size as an
argument; with the default (2, 2) the feature map is halved to 13×13 and the
model has 423,860 parameters instead of 1,691,360.

Fill in each function that raises ``NotImplementedError``. Check yourself with
``pytest exercises/test_mnist_cnn.py`` (add ``-m "not training"`` for the quick
checks alone).
"""

from __future__ import annotations

import keras
import numpy as np

N_CLASSES = 10


def preprocess_flat(images: np.ndarray) -> np.ndarray:
    """Flatten (N, 28, 28) uint8 images into a float32 array of shape (N, 784) scaled to [0, 1] (divide by 255)."""
    raise NotImplementedError("fill in this part (see the docstring above)")


def preprocess_grid(images: np.ndarray) -> np.ndarray:
    """Keep the grid: (N, 28, 28) uint8 images → float32 array of shape (N, 28, 28, 1) scaled to [0, 1].

    The last axis is the single (grey) colour channel that ``Conv2D`` expects.
    """
    raise NotImplementedError("fill in this part (see the docstring above)")


def one_hot(labels: np.ndarray, n_classes: int = N_CLASSES) -> np.ndarray:
    """One-hot encode integer labels: shape (N, n_classes), 1.0 in each row's label column (``keras.utils.to_categorical``)."""
    raise NotImplementedError("fill in this part (see the docstring above)")


def build_dense_model() -> keras.Model:
    """The workshop's dense network: input of 784 → Dense(100, relu) → Dense(10, softmax) (79,510 parameters)."""
    raise NotImplementedError("fill in this part (see the docstring above)")


def build_cnn_model(pool_size: tuple[int, int] = (2, 2)) -> keras.Model:
    """The workshop's CNN with a pooling window of ``pool_size``.

    Input (28, 28, 1) → Conv2D(25 filters, kernel 3×3, strides 1, padding "valid",
    relu) → MaxPool2D(pool_size) → Flatten → Dense(100, relu) → Dense(10, softmax).

    With the default (2, 2) it has 423,860 parameters. ``pool_size=(1, 1)`` gives
    the workshop's original model (1,691,360 parameters), whose pooling does nothing.
    """
    raise NotImplementedError("fill in this part (see the docstring above)")


def compile_model(model: keras.Model) -> keras.Model:
    """Compile ``model`` with the Adam optimizer (``"adam"``), categorical cross-entropy loss and the ``"accuracy"`` metric; return it."""
    raise NotImplementedError("fill in this part (see the docstring above)")
