"""The fixed data subsets the Keras checks train on, loaded once per process.

Every loader returns fresh copies, so a student's function that writes into its
input cannot change what the next check sees. Subset sizes and seeds come from
the exercise specs.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from autograder.datasets import load_cifar10, load_imdb, load_mnist
from autograder.memory_hooks import heavy_work_starts

Split = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _frozen(split) -> Split:
    for part in split:
        for array in part:
            array.setflags(write=False)
    return split


def _copied(split: Split) -> Split:
    return tuple((x.copy(), y.copy()) for x, y in split)  # type: ignore[return-value]


@lru_cache(maxsize=4)
def _mnist(n_train: int, n_test: int, seed: int) -> Split:
    heavy_work_starts()  # loading reads the whole file: in a small box the student's process makes room
    return _frozen(load_mnist(n_train=n_train, n_test=n_test, seed=seed))


@lru_cache(maxsize=4)
def _cifar10(n_train: int, n_test: int, seed: int) -> Split:
    heavy_work_starts()
    return _frozen(load_cifar10(n_train=n_train, n_test=n_test, seed=seed))


@lru_cache(maxsize=4)
def _imdb(num_words: int, n_train: int, n_test: int, seed: int) -> Split:
    heavy_work_starts()
    return _frozen(load_imdb(num_words=num_words, n_train=n_train, n_test=n_test, seed=seed))


def mnist_subset(n_train: int, n_test: int, seed: int = 0) -> Split:
    """Stratified MNIST subset: uint8 images (N, 28, 28), uint8 labels (N,)."""
    return _copied(_mnist(n_train, n_test, seed))


def cifar10_subset(n_train: int, n_test: int, seed: int = 0) -> Split:
    """Stratified CIFAR-10 subset: uint8 images (N, 32, 32, 3), uint8 labels (N, 1)."""
    return _copied(_cifar10(n_train, n_test, seed))


def imdb_subset(num_words: int, n_train: int, n_test: int, seed: int = 0) -> Split:
    """Stratified IMDB subset: object arrays of word-rank lists, int labels (N,)."""
    (x, y), (xt, yt) = _imdb(num_words, n_train, n_test, seed)
    copy_lists = np.empty(len(x), dtype=object)
    copy_lists[:] = [list(s) for s in x]
    copy_test = np.empty(len(xt), dtype=object)
    copy_test[:] = [list(s) for s in xt]
    return (copy_lists, y.copy()), (copy_test, yt.copy())
