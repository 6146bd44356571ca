"""The fixed data subsets the Keras checks train on, loaded once per process.

Every loader returns fresh copies, so a student's function that writes into its
input cannot change what the next check sees. Subset sizes and seeds come from
the exercise specs.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from autograder.config import subset_cache_dir
from autograder.datasets import dataset_path, load_cifar10, load_imdb, load_mnist
from autograder.memory_hooks import heavy_work_starts, release_memory

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
    key = f"imdb-{num_words}-{n_train}-{n_test}-{seed}-{_file_tag(dataset_path('imdb', 'imdb.npz'))}"
    split = _read_ragged(key)
    if split is None:
        split = load_imdb(num_words=num_words, n_train=n_train, n_test=n_test, seed=seed)
        release_memory()  # loading parses all 50,000 reviews; only the subset stays
        _write_ragged(key, split)
    return _frozen(split)


# A grading's judges share what the first one decoded (``$DL3_SUBSET_CACHE``: the grader's own folder,
# which no student process can read or write); anywhere else each process decodes for itself.

def _file_tag(path: Path) -> str:
    stat = path.stat()
    return hashlib.sha256(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:16]


def _read_ragged(key: str) -> Split | None:
    folder = subset_cache_dir()
    if folder is None or not (folder / f"{key}.npz").is_file():
        return None
    with np.load(folder / f"{key}.npz", allow_pickle=False) as f:
        return tuple((_unflatten(f[f"{n}_values"], f[f"{n}_lengths"]), f[f"{n}_y"]) for n in ("train", "test"))


def _write_ragged(key: str, split: Split) -> None:
    folder = subset_cache_dir()
    if folder is None:
        return
    arrays = {}
    for name, (x, y) in zip(("train", "test"), split):
        arrays[f"{name}_values"] = np.fromiter((w for s in x for w in s), dtype=np.int64)
        arrays[f"{name}_lengths"] = np.array([len(s) for s in x], dtype=np.int64)
        arrays[f"{name}_y"] = y
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=folder, suffix=".partial")
    with os.fdopen(fd, "wb") as out:
        np.savez(out, **arrays)
    os.replace(partial, folder / f"{key}.npz")   # whole or not at all: another judge may be reading


def _unflatten(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    out = np.empty(len(lengths), dtype=object)
    out[:] = [part.tolist() for part in np.split(values, np.cumsum(lengths)[:-1])] if len(lengths) else []
    return out


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
