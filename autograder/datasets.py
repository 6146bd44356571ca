"""Where the workshop's datasets come from, and the fixed subsets grading uses.

Every loader looks for its file in this order, as scikit-learn's loaders do:

1. the ``data_dir`` argument;
2. the directory named by the environment variable ``DL3_DATA_DIR``;
3. the usual caches: Keras' ``~/.keras/datasets`` (``$KERAS_HOME/datasets``)
   and scikit-learn's data home (``~/scikit_learn_data`` or ``$SCIKIT_LEARN_DATA``);
4. a real download through Keras or scikit-learn (``download_if_missing=True``).

A data directory has the layout of ``shared/datasets``::

    mnist.npz  cifar10.npz  imdb.npz  imdb_word_index.json
    scikit_learn_data/cal_housing_py3.pkz  SHA256SUMS (optional)

Files are checked against the data directory's ``SHA256SUMS`` when it lists
them, otherwise against the checksums this module knows (the offline copies and
the official downloads). ``python -m autograder prefetch`` fills a data directory
for an offline grading machine.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from autograder import config
from autograder.config import DATA_DIR_ENV
from autograder.memory_hooks import release_memory

HOUSING_SUBDIR = "scikit_learn_data"
HOUSING_FILE = "cal_housing_py3.pkz"
CHECKSUM_FILE = "SHA256SUMS"

# Checksums known to the kit: the offline copies in shared/datasets and the
# files Keras downloads. A file whose digest is in neither set is rejected
# unless the directory's own SHA256SUMS vouches for it.
KNOWN_SHA256: dict[str, frozenset[str]] = {
    "mnist.npz": frozenset({
        "06af5dfe73b70e3bc1c36439982b18a8d76803db9b544f6fdf838a37fbb01b64",  # offline copy
        "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",  # keras download
    }),
    "cifar10.npz": frozenset({
        "0fe146550b16ce422fe97059c4a28676b54d9468d0620a5e409097b35cffb24e",  # offline subset
    }),
    "imdb.npz": frozenset({
        "c164d4ac6320b9708a237fc3d3093711c5915c62b79a073f78eaa8bf5c4abfb1",  # offline copy
        "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",  # keras download
    }),
    "imdb_word_index.json": frozenset({
        "0bf388133f80e91b41b86890f10931591770a173b9e05718d167b8ba313a2446",  # offline copy
    }),
    f"{HOUSING_SUBDIR}/{HOUSING_FILE}": frozenset({
        "740b911884b5405599c461cf5c9a620aad36c63a0d32494567de2ebee803a42f",  # offline copy
    }),
}
# Keras does not publish a hash for imdb_word_index.json, and scikit-learn
# writes its cache file itself, so a downloaded copy of either can differ from
# the offline one: for these a mismatch against the built-in set is accepted
# when the file came from a real download (the directory lists it, or it sits
# in the library's own cache).
_UNHASHED_UPSTREAM = {"imdb_word_index.json", f"{HOUSING_SUBDIR}/{HOUSING_FILE}"}


class DatasetNotFoundError(FileNotFoundError):
    """No copy of a dataset anywhere the kit looks, and no download possible."""


class ChecksumError(ValueError):
    """A dataset file exists but its content is not what it should be."""


class SubsetError(ValueError):
    """A subset asks for more samples than the dataset holds."""


# --------------------------------------------------------------------------
# Where to look


def keras_cache_dir() -> Path:
    """Keras' download cache, ``$KERAS_HOME/datasets`` or ``~/.keras/datasets``."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets"


def sklearn_data_home() -> Path:
    """scikit-learn's data home, ``$SCIKIT_LEARN_DATA`` or ``~/scikit_learn_data``."""
    return Path(os.environ.get("SCIKIT_LEARN_DATA") or Path.home() / "scikit_learn_data")


@dataclass(frozen=True)
class Candidate:
    """One place a dataset file may be, and why the kit looks there."""

    path: Path
    why: str
    from_upstream_cache: bool = False


def candidate_paths(relpath: str, data_dir: str | os.PathLike | None = None) -> list[Candidate]:
    """Every place the file ``relpath`` (as laid out in a data dir) is looked for, in order."""
    found: list[Candidate] = []
    if data_dir is not None:
        found.append(Candidate(Path(data_dir) / relpath, "data_dir argument"))
    env = config.data_dir()
    if env:
        found.append(Candidate(Path(env) / relpath, f"${DATA_DIR_ENV}"))
    if relpath.startswith(HOUSING_SUBDIR + "/"):
        found.append(Candidate(sklearn_data_home() / HOUSING_FILE, "scikit-learn data home", True))
    else:
        found.append(Candidate(keras_cache_dir() / relpath, "Keras cache", True))
    return found


# --------------------------------------------------------------------------
# Checksums

_verified: dict[tuple[str, int, int], str] = {}


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, remembered per (path, size, mtime) for this process."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _verified:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        _verified[key] = digest.hexdigest()
    return _verified[key]


def listed_checksums(directory: Path) -> dict[str, str]:
    """The ``SHA256SUMS`` of a data directory as {relative path: digest}; {} if none."""
    sums = directory / CHECKSUM_FILE
    if not sums.is_file():
        return {}
    listed = {}
    for line in sums.read_text().splitlines():
        parts = line.split(maxsplit=1)
        if len(parts) == 2:
            listed[parts[1].lstrip("*").strip()] = parts[0].lower()
    return listed


def verify_file(candidate: Candidate, relpath: str) -> None:
    """Raise ChecksumError when the file's digest is not the one expected of it."""
    path = candidate.path
    root = path.parent.parent if relpath.startswith(HOUSING_SUBDIR + "/") else path.parent
    listed = {} if candidate.from_upstream_cache else listed_checksums(root)
    actual = sha256_of(path)
    if relpath in listed:
        expected = {listed[relpath]}
        source = f"{root / CHECKSUM_FILE}"
    elif relpath in KNOWN_SHA256:
        expected = set(KNOWN_SHA256[relpath])
        source = "the kit's known checksums"
        if candidate.from_upstream_cache and relpath in _UNHASHED_UPSTREAM:
            return
    else:
        return
    if actual not in expected:
        raise ChecksumError(
            f"{path} is corrupt or not the expected file: its SHA-256 is {actual}, "
            f"but {source} expects {' or '.join(sorted(expected))}. "
            f"Delete it and run `python -m autograder prefetch` (or copy it again)."
        )


# --------------------------------------------------------------------------
# Finding a file, or downloading it


def not_found_error(dataset: str, relpath: str, places: Sequence[Candidate], reason: str) -> DatasetNotFoundError:
    looked = "\n".join(f"  - {c.path}  ({c.why})" for c in places)
    env_note = "" if config.data_dir() else f" (${DATA_DIR_ENV} is not set)"
    return DatasetNotFoundError(
        f"The {dataset} dataset ({relpath}) was not found. Looked in:\n{looked}\n"
        f"{reason}\n"
        f"Fix: set {DATA_DIR_ENV} to a directory holding {relpath}{env_note}, "
        f"for example the course's offline copy (shared/datasets), or run "
        f"`python -m autograder prefetch` on a machine with network access."
    )


def locate(dataset: str, relpath: str, data_dir: str | os.PathLike | None,
           download: Callable[[], Path] | None) -> Path:
    """The verified path of ``relpath``: first existing candidate, else the download."""
    places = candidate_paths(relpath, data_dir)
    for candidate in places:
        if candidate.path.is_file():
            verify_file(candidate, relpath)
            return candidate.path
    if download is None:
        raise not_found_error(dataset, relpath, places, "Downloading is switched off (download_if_missing=False).")
    try:
        return download()
    except Exception as exc:  # urllib, ssl, socket and HTTP errors all mean "no data"
        raise not_found_error(
            dataset, relpath, places, f"The download failed: {type(exc).__name__}: {exc}"
        ) from None


def _keras_download(fname: str, origin: str, file_hash: str | None) -> Path:
    from keras.utils import get_file

    return Path(get_file(fname=fname, origin=origin, file_hash=file_hash))


KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def keras_origin() -> str:
    """Where Keras' dataset files are downloaded from: ``$DL3_KERAS_ORIGIN`` (a mirror) or Google's."""
    origin = config.keras_origin() or KERAS_ORIGIN
    return origin if origin.endswith("/") else origin + "/"


DOWNLOADERS: dict[str, Callable[[], Path]] = {
    "mnist.npz": lambda: _keras_download(
        "mnist.npz", keras_origin() + "mnist.npz",
        "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"),
    "imdb.npz": lambda: _keras_download(
        "imdb.npz", keras_origin() + "imdb.npz",
        "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"),
    "imdb_word_index.json": lambda: _keras_download(
        "imdb_word_index.json", keras_origin() + "imdb_word_index.json", None),
}


def _download_cifar10() -> Path:
    """Download the full CIFAR-10 through Keras and store it as ``cifar10.npz`` in Keras' cache."""
    from keras.datasets import cifar10

    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    target = keras_cache_dir() / "cifar10.npz"
    target.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(target, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return target


def _download_housing() -> Path:
    from sklearn.datasets import fetch_california_housing

    fetch_california_housing(data_home=str(sklearn_data_home()), download_if_missing=True)
    return sklearn_data_home() / HOUSING_FILE


DOWNLOADERS["cifar10.npz"] = _download_cifar10
DOWNLOADERS[f"{HOUSING_SUBDIR}/{HOUSING_FILE}"] = _download_housing

DATASET_FILES: dict[str, tuple[str, ...]] = {
    "mnist": ("mnist.npz",),
    "cifar10": ("cifar10.npz",),
    "imdb": ("imdb.npz", "imdb_word_index.json"),
    "california_housing": (f"{HOUSING_SUBDIR}/{HOUSING_FILE}",),
}


def dataset_path(dataset: str, relpath: str, data_dir: str | os.PathLike | None = None,
                 download_if_missing: bool = True) -> Path:
    """The verified local path of one of ``dataset``'s files, downloading it if allowed."""
    return locate(dataset, relpath, data_dir, DOWNLOADERS[relpath] if download_if_missing else None)


# --------------------------------------------------------------------------
# Subsets


def stratified_indices(labels: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """``n`` indices into ``labels`` keeping each class's share, the same on every machine.

    Each class gets ``floor(n * share)`` samples; the leftover samples go to the
    classes with the largest remainders (ties to the smaller label). Within a
    class the samples are drawn with numpy's PCG64 generator seeded by ``seed``
    (its stream is fixed across platforms and numpy versions), and the result
    is returned in a seeded shuffled order.
    """
    labels = np.asarray(labels).reshape(len(labels))
    if n > len(labels):
        raise SubsetError(f"asked for {n} samples, but the data holds only {len(labels)}")
    if n < 0:
        raise SubsetError(f"asked for {n} samples; the subset size must be 0 or more")
    classes, counts = np.unique(labels, return_counts=True)
    exact = n * counts / counts.sum()
    quota = np.floor(exact).astype(int)
    leftover = n - quota.sum()
    order = sorted(range(len(classes)), key=lambda i: (-(exact[i] - quota[i]), i))
    for i in order[:leftover]:
        quota[i] += 1
    rng = np.random.Generator(np.random.PCG64(seed))
    chosen = [rng.permutation(np.flatnonzero(labels == c))[:q] for c, q in zip(classes, quota)]
    picked = np.concatenate(chosen) if chosen else np.array([], dtype=int)
    return picked[rng.permutation(len(picked))]


def _subset(x, y, n: int | None, seed: int, name: str):
    if n is None:
        return np.array(x), np.array(y)   # the caller's own arrays, never the decoded copy's read-only maps
    try:
        idx = stratified_indices(y, n, seed)
    except SubsetError as exc:
        raise SubsetError(f"{name}: {exc}") from None
    return x[idx], y[idx]


def _load_npz_split(path: Path, n_train: int | None, n_test: int | None, seed: int, name: str):
    arrays = decoded_copy(path) or _read_npz(path)
    x_train, y_train, x_test, y_test = arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"]
    train = _subset(x_train, y_train, n_train, seed, f"{name} train ({path})")
    test = _subset(x_test, y_test, n_test, seed + 1, f"{name} test ({path})")
    return train, test


# --------------------------------------------------------------------------
# Decoded copies: a grading decodes each file once
#
# In a grading the supervisor's data decoder (``grade/decoder/``) writes each file's arrays, decoded,
# as plain ``.npy`` files into ``config.decoded_data_dir()`` while the zygote imports Keras, and the
# judges map them instead of unpacking the compressed file (or unpickling IMDB's 50,000 lists) again.
# Nothing else writes there; without the folder (students, in-process runs, a small box) each process
# reads the file itself.


def _decoded_folder(path: Path) -> Path | None:
    root = config.decoded_data_dir()
    if root is None:
        return None
    stat = path.stat()
    tag = hashlib.sha256(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    return root / f"{path.name}-{tag}"


def decoded_copy(path: Path) -> dict[str, np.ndarray] | None:
    """The grading's decoded copy of ``path`` (read-only maps), or None when the decoder has written none."""
    folder = _decoded_folder(path)
    if folder is None or not folder.is_dir():
        return None
    return {f.stem: np.load(f, mmap_mode="r", allow_pickle=False) for f in folder.glob("*.npy")}


def write_decoded(path: Path, decode: Callable[[Path], dict[str, np.ndarray]]) -> Path | None:
    """Decode ``path`` into the grading's folder (whole or not at all); None when there is no such folder."""
    folder = _decoded_folder(path)
    if folder is None or folder.is_dir():
        return folder
    folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".partial-"))
    for name, array in decode(path).items():
        np.save(partial / f"{name}.npy", array, allow_pickle=False)
    try:
        os.rename(partial, folder)   # a judge sees the folder complete or not at all
    except OSError:   # another decoder was first: its copy is the same
        shutil.rmtree(partial)
    return folder


def decode_datasets(names: Iterable[str], data_dir: str | os.PathLike | None = None) -> list[Path]:
    """Write the grading's decoded copy of each of the ``names`` datasets' array files (the data decoder's work)."""
    written = []
    for name in names:
        for relpath in DATASET_FILES[name]:
            if relpath in _DECODERS:
                folder = write_decoded(dataset_path(name, relpath, data_dir, download_if_missing=False),
                                       _DECODERS[relpath])
                written += [folder] if folder else []
    return written


def _read_npz(path: Path, allow_pickle: bool = False) -> dict[str, np.ndarray]:
    """A dataset file's four arrays (IMDB's reviews are pickled lists: ``allow_pickle``)."""
    with np.load(path, allow_pickle=allow_pickle) as f:
        return {name: f[name] for name in ("x_train", "y_train", "x_test", "y_test")}


def _flat_imdb(path: Path) -> dict[str, np.ndarray]:
    """IMDB's reviews as flat word ranks and lengths per split (a decoded copy holds no pickles)."""
    arrays = _read_npz(path, allow_pickle=True)
    for split in ("x_train", "x_test"):
        reviews = arrays.pop(split)
        arrays[f"{split}_lengths"] = np.array([len(r) for r in reviews], dtype=np.int64)
        arrays[f"{split}_values"] = np.fromiter(itertools.chain.from_iterable(reviews), dtype=np.int32,
                                                count=int(arrays[f"{split}_lengths"].sum()))
    return arrays


class _Reviews:
    """One IMDB split's reviews, read only where picked: the file's lists, or a decoded copy's flat ranks."""

    def __init__(self, lists: np.ndarray | None = None, values: np.ndarray | None = None,
                 lengths: np.ndarray | None = None):
        self.lists, self.values = lists, values
        self.lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists)) if lists is not None else lengths
        self.starts = None if values is None else np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)

    def __len__(self) -> int:
        return len(self.lengths)

    def words(self, index: int) -> list[int]:
        if self.lists is not None:
            return list(self.lists[index])
        start = self.starts[index]
        return self.values[start:start + self.lengths[index]].tolist()

    def highest(self, picked: np.ndarray) -> int | None:
        """The highest word rank in the ``picked`` reviews (None: all empty)."""
        picked = picked[self.lengths[picked] > 0]
        if not len(picked):
            return None
        if self.lists is not None:
            return max(max(self.lists[i]) for i in picked)
        return int(np.maximum.reduceat(self.values, self.starts[picked]).max())


HOUSING_FEATURES = ("MedInc", "HouseAge", "AveRooms", "AveBedrms", "Population", "AveOccup", "Latitude", "Longitude")


def _fetch_california_housing(path: Path):
    from sklearn.datasets import fetch_california_housing

    # fetch_california_housing only reads here: the file exists, so it never writes.
    return fetch_california_housing(data_home=str(path.parent), download_if_missing=False)


def _read_california_housing(path: Path) -> dict[str, np.ndarray]:
    """The arrays of ``fetch_california_housing`` (scikit-learn reads ``path`` itself)."""
    bunch = _fetch_california_housing(path)
    return {"data": bunch.data, "target": bunch.target, "feature_names": np.array(bunch.feature_names, dtype=str)}


def _decode_california_housing(path: Path) -> dict[str, np.ndarray]:
    """The same arrays without importing scikit-learn (1.5 CPU-s): its file and its steps, with joblib alone.

    ``tests/test_datasets.py`` proves them equal to ``_read_california_housing``'s.
    """
    import joblib

    table = joblib.load(path)   # the columns as fetch_california_housing saved them: the target first
    target, data = table[:, 0], table[:, 1:].copy()
    data[:, 2] /= data[:, 5]              # rooms per household
    data[:, 3] /= data[:, 5]              # bedrooms per household
    data[:, 5] = data[:, 4] / data[:, 5]  # occupants per household
    return {"data": data, "target": target / 100000.0, "feature_names": np.array(HOUSING_FEATURES, dtype=str)}


_DECODERS: dict[str, Callable[[Path], dict[str, np.ndarray]]] = {
    "mnist.npz": _read_npz, "cifar10.npz": _read_npz, "imdb.npz": _flat_imdb,
    f"{HOUSING_SUBDIR}/{HOUSING_FILE}": _decode_california_housing,
}


# --------------------------------------------------------------------------
# Loaders


def load_mnist(data_dir: str | os.PathLike | None = None, *, n_train: int | None = None,
               n_test: int | None = None, seed: int = 0, download_if_missing: bool = True):
    """MNIST as ``(x_train, y_train), (x_test, y_test)``: uint8 (N, 28, 28) images, uint8 labels.

    ``n_train`` / ``n_test`` take a stratified subset (see ``stratified_indices``).
    """
    path = dataset_path("mnist", "mnist.npz", data_dir, download_if_missing)
    return _load_npz_split(path, n_train, n_test, seed, "MNIST")


def load_cifar10(data_dir: str | os.PathLike | None = None, *, n_train: int | None = None,
                 n_test: int | None = None, seed: int = 0, download_if_missing: bool = True):
    """CIFAR-10 as ``(x_train, y_train), (x_test, y_test)``: uint8 (N, 32, 32, 3), labels (N, 1).

    The offline copy is a 10,000/2,000 stratified subset; a download gives all 50,000/10,000.
    """
    path = dataset_path("cifar10", "cifar10.npz", data_dir, download_if_missing)
    return _load_npz_split(path, n_train, n_test, seed, "CIFAR-10")


def load_imdb(data_dir: str | os.PathLike | None = None, *, num_words: int | None = None,
              skip_top: int = 0, maxlen: int | None = None, start_char: int | None = 1,
              oov_char: int | None = 2, index_from: int = 3, shuffle_seed: int = 113,
              n_train: int | None = None, n_test: int | None = None, seed: int = 0,
              download_if_missing: bool = True):
    """IMDB reviews as word-rank sequences, with ``keras.datasets.imdb.load_data``'s semantics.

    ``num_words``, ``skip_top``, ``maxlen``, ``start_char``, ``oov_char``, ``index_from``
    and the shuffle (``shuffle_seed``, Keras' ``seed``) behave exactly as in Keras.
    Keras' own loader cannot read the offline copy (it insists on the official file's
    hash), hence this re-implementation. ``n_train`` / ``n_test`` then take a stratified
    subset by label.
    """
    path = dataset_path("imdb", "imdb.npz", data_dir, download_if_missing)
    decoded = decoded_copy(path)
    if decoded:
        train, test = (_Reviews(values=decoded[f"{part}_values"], lengths=decoded[f"{part}_lengths"])
                       for part in ("x_train", "x_test"))
        y_train, y_test = np.array(decoded["y_train"]), np.array(decoded["y_test"])
    else:
        lists = _read_npz(path, allow_pickle=True)
        train, test = _Reviews(lists.pop("x_train")), _Reviews(lists.pop("x_test"))
        y_train, y_test = lists["y_train"], lists["y_test"]
    # Which reviews, as indices into the file's splits: Keras' shuffle, then the maxlen filter; each
    # review is transformed on its own, so subsetting before converting gives the same reviews.
    rng = np.random.RandomState(shuffle_seed)
    order_train = np.arange(len(train))
    rng.shuffle(order_train)
    order_test = np.arange(len(test))
    rng.shuffle(order_test)
    marks = 0 if start_char is None else 1   # a review's length once offset: its start mark, then its words
    if maxlen:
        order_train = order_train[train.lengths[order_train] + marks < maxlen]
        order_test = order_test[test.lengths[order_test] + marks < maxlen]
        if not len(order_train) or not len(order_test):
            raise ValueError(f"After filtering for sequences shorter than maxlen={maxlen}, "
                             "no sequence was kept. Increase maxlen.")
    if not num_words:  # Keras' default: the largest index present in either split
        highest = [h for h in (train.highest(order_train), test.highest(order_test)) if h is not None]
        if not highest:
            raise ValueError("every review is empty: no word rank to take num_words from")
        num_words = max(highest) + index_from
        if start_char is not None:
            num_words = max(num_words, start_char)
    picked_train, _ = _subset(order_train, y_train[order_train], n_train, seed, f"IMDB train ({path})")
    picked_test, _ = _subset(order_test, y_test[order_test], n_test, seed + 1, f"IMDB test ({path})")

    def convert(words: list[int]) -> list[int]:
        ranked = ([start_char] if start_char is not None else []) + [w + index_from for w in words]
        if oov_char is not None:
            return [w if skip_top <= w < num_words else oov_char for w in ranked]
        return [w for w in ranked if skip_top <= w < num_words]

    def split(reviews: _Reviews, labels: np.ndarray, picked: np.ndarray):
        out = np.empty(len(picked), dtype=object)
        out[:] = [convert(reviews.words(i)) for i in picked]
        return out, np.array(labels[picked])

    result = split(train, y_train, picked_train), split(test, y_test, picked_test)
    del train, test   # the file's 50,000 reviews, when they were unpickled: a grader in a small box
    release_memory()  # needs that memory back
    return result


def load_imdb_word_index(data_dir: str | os.PathLike | None = None,
                         download_if_missing: bool = True) -> dict[str, int]:
    """word → rank (1 = most frequent) for the IMDB file in use."""
    path = dataset_path("imdb", "imdb_word_index.json", data_dir, download_if_missing)
    return json.loads(path.read_text())


def load_california_housing(data_dir: str | os.PathLike | None = None,
                            download_if_missing: bool = True):
    """California housing as scikit-learn's Bunch (``data``, ``target``, ``feature_names``, ``DESCR``, ...)."""
    return _fetch_california_housing(dataset_path("california_housing", f"{HOUSING_SUBDIR}/{HOUSING_FILE}",
                                                  data_dir, download_if_missing))


def california_housing_arrays(data_dir: str | os.PathLike | None = None,
                              download_if_missing: bool = True) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """California housing's ``data``, ``target`` and ``feature_names``, as scikit-learn reads them.

    From the grading's decoded copy when there is one: then without importing scikit-learn.
    """
    path = dataset_path("california_housing", f"{HOUSING_SUBDIR}/{HOUSING_FILE}", data_dir, download_if_missing)
    arrays = decoded_copy(path) or _read_california_housing(path)
    return np.array(arrays["data"]), np.array(arrays["target"]), [str(n) for n in arrays["feature_names"]]


# --------------------------------------------------------------------------
# Prefetch


def default_prefetch_dir() -> Path:
    """Where ``prefetch`` writes when no directory is named: $DL3_DATA_DIR, else Keras' cache."""
    env = config.data_dir()
    return Path(env) if env else keras_cache_dir()


def prefetch(target: str | os.PathLike | None = None, datasets: Iterable[str] | None = None,
             log: Callable[[str], None] = print) -> Path:
    """Fill ``target`` (layout of shared/datasets) with every dataset, downloading what is missing.

    Files already present and valid in ``target`` are kept. A ``SHA256SUMS`` is written
    for what the directory then holds, so later loads verify against it.
    """
    root = Path(target) if target is not None else default_prefetch_dir()
    root.mkdir(parents=True, exist_ok=True)
    for name in datasets or DATASET_FILES:
        if name not in DATASET_FILES:
            raise ValueError(f"unknown dataset {name!r}; choose from {', '.join(DATASET_FILES)}")
        for relpath in DATASET_FILES[name]:
            dest = root / relpath
            source = dataset_path(name, relpath, None)
            if dest.resolve() != source.resolve():
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, dest)
            log(f"{name}: {dest} ({dest.stat().st_size / 1e6:.1f} MB)")
    lines = [f"{sha256_of(root / rel)}  {rel}" for files in DATASET_FILES.values()
             for rel in files if (root / rel).is_file()]
    (root / CHECKSUM_FILE).write_text("\n".join(lines) + "\n")
    return root
