"""Workshop section 4 — CIFAR-10 with a deeper convolutional network.

CIFAR-10 images arrive as uint8 arrays of shape (N, 32, 32, 3) (colour) with
labels of shape (N, 1) in 0…9 (airplane, automobile, bird, cat, deer, dog, frog,
horse, ship, truck). You scale the images, one-hot encode the labels, and build
the workshop's network with Keras 3 (``import keras``; start with
``keras.Input(shape=(32, 32, 3))``; layers from ``keras.layers``).

Fill in each function that raises ``NotImplementedError``. Check yourself with
``pytest exercises/test_cifar_cnn.py`` (add ``-m "not training"`` for the quick
checks alone).
"""

from __future__ import annotations

import keras
import numpy as np

N_CLASSES = 10


def preprocess(images: np.ndarray) -> np.ndarray:
    """(N, 32, 32, 3) uint8 images → float32 array of the same shape scaled to [0, 1] (divide by 255)."""
    ### BEGIN SOLUTION
    return np.asarray(images).astype(np.float32) / 255.0
    ### END SOLUTION


def one_hot(labels: np.ndarray, n_classes: int = N_CLASSES) -> np.ndarray:
    """One-hot encode labels of shape (N, 1) (or (N,)) into shape (N, n_classes) (``keras.utils.to_categorical``)."""
    ### BEGIN SOLUTION
    return keras.utils.to_categorical(np.asarray(labels).reshape(-1), n_classes).astype(np.float32)
    ### END SOLUTION


def build_cifar_model() -> keras.Model:
    """The workshop's CIFAR-10 network (4,247,985 parameters).

    Input (32, 32, 3) →
    Conv2D(50) → Conv2D(75) → MaxPool2D(2×2) → Dropout(0.25) →
    Conv2D(125) → MaxPool2D(2×2) → Dropout(0.25) →
    Flatten → Dense(500, relu) → Dropout(0.4) → Dense(250, relu) → Dropout(0.3) →
    Dense(10, softmax).

    Every Conv2D has a 3×3 kernel, strides 1, padding "same" and relu activation.
    """
    ### BEGIN SOLUTION
    def conv(filters: int) -> keras.layers.Layer:
        return keras.layers.Conv2D(filters, kernel_size=(3, 3), strides=(1, 1), padding="same", activation="relu")

    return keras.Sequential([
        keras.Input(shape=(32, 32, 3)),
        conv(50),
        conv(75),
        keras.layers.MaxPool2D(pool_size=(2, 2)),
        keras.layers.Dropout(0.25),
        conv(125),
        keras.layers.MaxPool2D(pool_size=(2, 2)),
        keras.layers.Dropout(0.25),
        keras.layers.Flatten(),
        keras.layers.Dense(500, activation="relu"),
        keras.layers.Dropout(0.4),
        keras.layers.Dense(250, activation="relu"),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(N_CLASSES, activation="softmax"),
    ])
    ### END SOLUTION


def compile_model(model: keras.Model) -> keras.Model:
    """Compile ``model`` with the Adam optimizer (``"adam"``), categorical cross-entropy loss and the ``"accuracy"`` metric; return it."""
    ### BEGIN SOLUTION
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model
    ### END SOLUTION
