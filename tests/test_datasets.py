"""The data layer: where files are found, checksums, the missing-data message, subsets, prefetch."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from autograder import datasets
from autograder.datasets import ChecksumError, DatasetNotFoundError, SubsetError
from tests.helpers.kit import SHARED_DATA, run_kit


def copy_data(names, dest, with_sums=True):
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SHARED_DATA / name, dest / name)
    if with_sums:
        shutil.copyfile(SHARED_DATA / "SHA256SUMS", dest / "SHA256SUMS")
    return dest


def test_offline_copy_found_through_the_environment_variable():
    (x_train, y_train), (x_test, y_test) = datasets.load_mnist()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8
    # Reference figures of the offline copy (shared/datasets/README.md).
    assert x_train.mean() == pytest.approx(33.318, abs=1e-3)
    assert x_test.mean() == pytest.approx(33.791, abs=1e-3)


def test_explicit_path_wins_over_the_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("DL3_DATA_DIR", str(tmp_path / "empty"))
    mine = copy_data(["mnist.npz"], tmp_path / "mine")
    found = datasets.dataset_path("mnist", "mnist.npz", mine, download_if_missing=False)
    assert found == mine / "mnist.npz"


def test_keras_cache_is_used_when_no_directory_is_named(tmp_path, no_data_anywhere):
    copy_data(["mnist.npz"], no_data_anywhere / ".keras" / "datasets", with_sums=False)
    found = datasets.dataset_path("mnist", "mnist.npz", download_if_missing=False)
    assert found == no_data_anywhere / ".keras" / "datasets" / "mnist.npz"


def test_checksum_mismatch_names_the_file_and_both_digests(tmp_path):
    data = copy_data(["mnist.npz"], tmp_path / "data")
    with open(data / "mnist.npz", "r+b") as fh:
        fh.seek(1000)
        byte = fh.read(1)
        fh.seek(1000)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ChecksumError) as err:
        datasets.load_mnist(data)
    text = str(err.value)
    assert str(data / "mnist.npz") in text
    assert "06af5dfe73b70e3bc1c36439982b18a8d76803db9b544f6fdf838a37fbb01b64" in text
    assert "prefetch" in text


def test_checksum_mismatch_is_caught_without_a_sums_file(tmp_path):
    data = copy_data(["imdb_word_index.json"], tmp_path / "data", with_sums=False)
    (data / "imdb_word_index.json").write_text('{"the": 1}')
    with pytest.raises(ChecksumError, match="known checksums"):
        datasets.load_imdb_word_index(data)


def test_missing_data_message_names_dataset_places_and_variable(tmp_path, no_data_anywhere):
    with pytest.raises(DatasetNotFoundError) as err:
        datasets.load_cifar10(tmp_path / "nowhere", download_if_missing=False)
    text = str(err.value)
    assert "CIFAR" in text.upper() and "cifar10.npz" in text
    assert str(tmp_path / "nowhere" / "cifar10.npz") in text
    assert str(no_data_anywhere / ".keras" / "datasets" / "cifar10.npz") in text
    assert "DL3_DATA_DIR" in text and "prefetch" in text


def test_failed_download_becomes_the_same_clear_error(no_data_anywhere):
    with pytest.raises(DatasetNotFoundError) as err:
        datasets.load_mnist()
    text = str(err.value)
    assert "download failed" in text and "DL3_DATA_DIR" in text
    assert "Traceback" not in text
    assert err.value.__cause__ is None and err.value.__suppress_context__


def test_cli_reports_missing_data_in_one_line_without_traceback(tmp_path):
    env = {"HOME": str(tmp_path), "DL3_DATA_DIR": str(tmp_path / "empty"), "KERAS_HOME": str(tmp_path / "k"),
           "DL3_KERAS_ORIGIN": "http://127.0.0.1:9/"}
    done = run_kit("-m", "autograder", "prefetch", "--dataset", "mnist", "--data-dir", str(tmp_path / "out"),
                   env=env, timeout=300)
    assert done.returncode == 2
    assert "\nerror: The mnist dataset (mnist.npz) was not found" in "\n" + done.stderr
    assert "Traceback" not in done.stderr


def test_prefetch_fills_a_directory_that_then_verifies(tmp_path):
    out = datasets.prefetch(tmp_path / "grading-data", log=lambda line: None)
    for rel in ["mnist.npz", "cifar10.npz", "imdb.npz", "imdb_word_index.json",
                "scikit_learn_data/cal_housing_py3.pkz"]:
        assert (out / rel).is_file()
    assert datasets.listed_checksums(out) == datasets.listed_checksums(SHARED_DATA)
    (x, y), _ = datasets.load_cifar10(out, download_if_missing=False)
    assert x.shape == (10000, 32, 32, 3)


def test_housing_reproduces_the_workshop_least_squares_line():
    housing = datasets.load_california_housing()
    assert housing.data.shape == (20640, 8)
    x = housing.data[:, list(housing.feature_names).index("MedInc")]
    slope, intercept = np.polyfit(x, housing.target, 1)
    assert slope == pytest.approx(0.41793849, abs=1e-8)
    assert intercept == pytest.approx(0.45085577, abs=1e-8)


def test_imdb_has_keras_semantics():
    raw = np.load(SHARED_DATA / "imdb.npz", allow_pickle=True)
    (x_train, y_train), (x_test, _) = datasets.load_imdb(num_words=100)
    assert len(x_train) == 25000 and len(x_test) == 25000
    # Keras shuffles with RandomState(113) before offsetting; the first review is this raw one.
    order = np.arange(25000)
    np.random.RandomState(113).shuffle(order)
    first_raw = raw["x_train"][order[0]]
    assert x_train[0][0] == 1  # start_char
    expected = [1] + [w + 3 if w + 3 < 100 else 2 for w in first_raw]
    assert x_train[0] == expected
    assert y_train[0] == raw["y_train"][order[0]]
    assert max(max(s) for s in x_train[:500]) == 99
    (plain, _), _ = datasets.load_imdb(start_char=None, index_from=0, oov_char=None, num_words=50, n_train=10,
                                       n_test=10)
    assert all(min(s, default=0) >= 0 and max(s, default=0) < 50 for s in plain)


def test_subsets_are_deterministic_and_balanced():
    (a, ya), (ta, tya) = datasets.load_mnist(n_train=1000, n_test=300, seed=4)
    (b, yb), _ = datasets.load_mnist(n_train=1000, n_test=300, seed=4)
    (c, yc), _ = datasets.load_mnist(n_train=1000, n_test=300, seed=5)
    assert np.array_equal(a, b) and np.array_equal(ya, yb)
    assert not np.array_equal(a, c)
    _, full_y = datasets.load_mnist()[0]
    share = np.bincount(full_y) / len(full_y)
    assert np.all(np.abs(np.bincount(ya, minlength=10) - 1000 * share) <= 1)
    assert np.all(np.abs(np.bincount(tya, minlength=10) - 300 * share) < 1.5)


def test_subset_indices_are_the_same_on_every_machine():
    labels = np.repeat(np.arange(3), [50, 30, 20])
    # PCG64's stream is fixed across platforms and numpy versions: these are golden values.
    idx = datasets.stratified_indices(labels, 10, seed=0)
    assert sorted(np.bincount(labels[idx]).tolist()) == [2, 3, 5]
    assert idx.tolist() == datasets.stratified_indices(labels, 10, seed=0).tolist()
    assert idx.tolist() == GOLDEN_INDICES


def test_subset_larger_than_the_data_is_a_clear_error():
    with pytest.raises(SubsetError, match=r"CIFAR-10 train .*asked for 20000 samples, but the data holds only 10000"):
        datasets.load_cifar10(n_train=20000)


# Recorded with numpy 2.4.6 on x86_64. If this changes, every grading subset changed
# with it and the accuracy thresholds must be swept again (benchmarks/sweep_thresholds.py).
GOLDEN_INDICES = [85, 57, 78, 36, 92, 2, 23, 55, 18, 4]


# A grading's decoded copies (``datasets.decode_datasets``: the data decoder's work; the judges read them)

ALL_DATASETS = ["mnist", "cifar10", "imdb", "california_housing"]
LOADS = {
    "mnist": lambda: datasets.load_mnist(n_train=300, n_test=100, seed=2),
    "cifar10": lambda: datasets.load_cifar10(n_train=300, n_test=100, seed=2),
    "imdb, the grading's settings": lambda: datasets.load_imdb(num_words=1000, n_train=60, n_test=40, seed=3),
    "imdb, Keras' default num_words, maxlen": lambda: datasets.load_imdb(maxlen=200, n_train=60, n_test=40),
    "imdb, no start mark, oov dropped": lambda: datasets.load_imdb(start_char=None, oov_char=None, skip_top=5,
                                                                  index_from=2, num_words=500, n_train=30, n_test=30),
    "california housing": lambda: datasets.california_housing_arrays(),
}


@pytest.fixture(scope="module")
def decoded(tmp_path_factory):
    """Every dataset decoded as a grading's decoder decodes it: (the folder, what was written)."""
    folder = tmp_path_factory.mktemp("decoded")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DL3_DECODED_DATA", str(folder))
        return folder, datasets.decode_datasets(ALL_DATASETS)


def assert_same(expected, got):
    if isinstance(expected, (tuple, list)) and not isinstance(expected[0] if expected else 0, (int, str)):
        assert len(expected) == len(got)
        for e, g in zip(expected, got):
            assert_same(e, g)
    elif isinstance(expected, np.ndarray) and expected.dtype == object:   # IMDB's reviews: lists of ints
        assert got.dtype == object and [list(r) for r in expected] == [list(r) for r in got]
        assert all(type(w) is int for r in got for w in r)
    elif isinstance(expected, np.ndarray):
        assert np.array_equal(expected, got) and expected.dtype == got.dtype and got.shape == expected.shape
        assert got.flags.writeable   # the caller's own array, never the copy's read-only map
    else:
        assert expected == got


@pytest.mark.parametrize("load", LOADS.values(), ids=LOADS)
def test_a_decoded_copy_gives_what_the_file_gives_without_reading_the_file(load, decoded, monkeypatch):
    from_file = load()
    monkeypatch.setenv("DL3_DECODED_DATA", str(decoded[0]))
    for reader in ("_read_npz", "_read_california_housing"):
        monkeypatch.setattr(datasets, reader, lambda path: pytest.fail(f"decoded {path} again"))
    assert_same(from_file, load())


def test_the_decoder_writes_one_whole_folder_per_file_and_never_twice(decoded, monkeypatch):
    folder, written = decoded
    assert sorted(p.name.rsplit("-", 1)[0] for p in written) == \
        ["cal_housing_py3.pkz", "cifar10.npz", "imdb.npz", "mnist.npz"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in written)   # no partial folder left
    assert {f.name for f in (folder / written[2].name).iterdir()} == \
        {"x_train_values.npy", "x_train_lengths.npy", "y_train.npy", "x_test_values.npy", "x_test_lengths.npy",
         "y_test.npy"}   # IMDB without a pickle
    monkeypatch.setenv("DL3_DECODED_DATA", str(folder))
    monkeypatch.setattr(datasets, "_read_npz", lambda path: pytest.fail("decoded twice"))
    assert datasets.decode_datasets(["mnist"]) == [written[0]]


def test_the_scikit_learn_free_housing_decoder_reads_what_scikit_learn_reads():
    path = datasets.dataset_path("california_housing", "scikit_learn_data/cal_housing_py3.pkz")
    ours, sklearns = datasets._decode_california_housing(path), datasets._read_california_housing(path)
    assert ours.keys() == sklearns.keys()
    for name in ours:
        assert np.array_equal(ours[name], sklearns[name]) and ours[name].dtype == sklearns[name].dtype, name


def test_a_copy_of_another_version_of_the_file_is_never_read(tmp_path, monkeypatch):
    mine = copy_data(["mnist.npz"], tmp_path / "data")
    monkeypatch.setenv("DL3_DATA_DIR", str(mine))
    monkeypatch.setenv("DL3_DECODED_DATA", str(tmp_path / "decoded"))
    [written] = datasets.decode_datasets(["mnist"])
    assert datasets.decoded_copy(mine / "mnist.npz") is not None
    os.utime(mine / "mnist.npz", ns=(1, 1))   # the file changed since (its size, time or place): another copy
    assert datasets.decoded_copy(mine / "mnist.npz") is None
    assert written.is_dir()


def test_outside_a_grading_nothing_is_decoded_or_written(tmp_path, monkeypatch):
    monkeypatch.delenv("DL3_DECODED_DATA", raising=False)
    assert datasets.decode_datasets(ALL_DATASETS) == []
    assert datasets.decoded_copy(datasets.dataset_path("mnist", "mnist.npz")) is None
