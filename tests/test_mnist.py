"""MNIST from small IDX / npz files the tests write themselves, and MNIST-1D generated locally."""

from __future__ import annotations

import gzip
import random
import struct

import numpy as np
import pytest

from weightflow.datasets import Dataset, load, split
from weightflow.datasets.mnist import PARTS
from weightflow.errors import WeightflowError

N_TRAIN, N_TEST, SIDE = 12, 6, 28


def idx_bytes(arr: np.ndarray, kind: int = 0x08) -> bytes:
    """LeCun's IDX layout, written by hand: 0, 0, type, ndim, big-endian uint32 dims, the bytes."""
    head = bytes([0, 0, kind, arr.ndim]) + b"".join(struct.pack(">I", n) for n in arr.shape)
    return head + arr.astype(np.uint8).tobytes()


def digits_arrays(seed=0):
    rng = np.random.default_rng(seed)
    parts = {
        "train_images": rng.integers(0, 256, (N_TRAIN, SIDE, SIDE), dtype=np.uint8),
        "train_labels": np.arange(N_TRAIN, dtype=np.uint8) % 10,
        "test_images": rng.integers(0, 256, (N_TEST, SIDE, SIDE), dtype=np.uint8),
        "test_labels": (np.arange(N_TEST, dtype=np.uint8) * 3) % 10,
    }
    parts["train_images"][0, 2, 5] = 255  # a pixel whose place is known: px_2_5 of row 0 is 1.0
    parts["train_images"][0, 0, 0] = 0
    return parts


def write_idx_folder(folder, parts, gz: bool):
    folder.mkdir(parents=True, exist_ok=True)
    for part, base in PARTS.items():
        data = idx_bytes(parts[part])
        if gz:
            (folder / f"{base}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / base).write_bytes(data)
    return folder


@pytest.fixture
def no_env(monkeypatch, tmp_path):
    """No WEIGHTFLOW_DATA and a HOME without Keras' copy, so nothing outside the test is found."""
    monkeypatch.delenv("WEIGHTFLOW_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return monkeypatch


def check_mnist(ds: Dataset, parts):
    assert ds.X.dtype == np.float32 and ds.X.shape == (N_TRAIN + N_TEST, SIDE * SIDE)
    assert ds.X.ctypes.data % 64 == 0  # aligned: the CPU device takes the pixels without a copy
    want = np.concatenate([parts["train_images"], parts["test_images"]]).reshape(N_TRAIN + N_TEST, -1) / 255.0
    np.testing.assert_allclose(ds.X, want, rtol=1e-6)
    assert 0.0 <= ds.X.min() and ds.X.max() <= 1.0
    np.testing.assert_array_equal(ds.y, np.concatenate([parts["train_labels"], parts["test_labels"]]))
    assert ds.feature_names[0] == "px_0_0" and ds.feature_names[-1] == "px_27_27" and len(ds.feature_names) == 784
    assert ds.X[0, ds.feature_names.index("px_2_5")] == 1.0
    assert ds.class_names == tuple("0123456789")
    np.testing.assert_array_equal(ds.test_index, np.arange(N_TRAIN, N_TRAIN + N_TEST))


@pytest.mark.parametrize("gz", [False, True])
def test_idx_files_raw_and_gzipped_from_path(tmp_path, no_env, gz):
    parts = digits_arrays()
    folder = write_idx_folder(tmp_path / "data", parts, gz)
    check_mnist(load("mnist", path=str(folder)), parts)


def test_keras_npz_and_environment_folder(tmp_path, no_env):
    parts = digits_arrays(1)
    folder = tmp_path / "env"
    (folder / "mnist").mkdir(parents=True)
    np.savez(folder / "mnist" / "mnist.npz", x_train=parts["train_images"], y_train=parts["train_labels"],
             x_test=parts["test_images"], y_test=parts["test_labels"])
    no_env.setenv("WEIGHTFLOW_DATA", str(folder))
    check_mnist(load("mnist"), parts)  # found in $WEIGHTFLOW_DATA/mnist
    check_mnist(load("mnist", path=str(folder / "mnist" / "mnist.npz")), parts)  # the file itself


def test_the_files_own_split_is_kept(tmp_path, no_env):
    parts = digits_arrays()
    ds = load("mnist", path=str(write_idx_folder(tmp_path / "d", parts, gz=True)))
    for test_size in (None, "given"):
        s = split(ds, test_size=test_size, standardize=True)
        np.testing.assert_array_equal(s.train_index, np.arange(N_TRAIN))
        np.testing.assert_array_equal(s.test_index, np.arange(N_TRAIN, N_TRAIN + N_TEST))
        np.testing.assert_array_equal(s.y_test, parts["test_labels"])
        raw_train = parts["train_images"].reshape(N_TRAIN, -1) / 255.0
        mean = raw_train.mean(axis=0)  # fitted on the training images only
        np.testing.assert_allclose(s.mean[mean > 0], mean[mean > 0].astype(np.float32), rtol=1e-5)
    plain = split(ds, test_size=0)
    assert plain.X_train.shape[0] == N_TRAIN + N_TEST and np.shares_memory(plain.X_train, ds.X)
    assert np.shares_memory(split(ds, test_size="given").X_train, ds.X)  # the given rows: a view, not a copy
    drawn = split(ds.replace(test_index=None, y=np.arange(N_TRAIN + N_TEST) % 2), test_size=0.5)
    assert drawn.n_test == 9  # a dataset without its own split draws a stratified one as before


def test_limit_keeps_the_first_images_of_each_part(tmp_path, no_env):
    parts = digits_arrays()
    ds = load("mnist", path=str(write_idx_folder(tmp_path / "d", parts, gz=False)), limit=4)
    assert ds.n_samples == 8 and ds.y.tolist() == [0, 1, 2, 3, 0, 3, 6, 9]
    np.testing.assert_array_equal(ds.test_index, [4, 5, 6, 7])


def one_line(match):
    class _Check:
        def __enter__(self):
            self.ctx = pytest.raises(WeightflowError, match=match)
            self.info = self.ctx.__enter__()

        def __exit__(self, *exc):
            handled = self.ctx.__exit__(*exc)
            assert "\n" not in str(self.info.value)
            return handled

    return _Check()


def test_missing_files_say_where_to_put_which(tmp_path, no_env):
    with one_line(r"dataset 'mnist': expected the MNIST files, got none found \(WEIGHTFLOW_DATA unset.*"
                  r"train-images-idx3-ubyte\(\.gz\).*t10k-labels-idx1-ubyte.*mnist\.npz.*WEIGHTFLOW_DATA=FOLDER"):
        load("mnist")
    no_env.setenv("WEIGHTFLOW_DATA", str(tmp_path))
    with one_line(r"WEIGHTFLOW_DATA='.*'.*put train-images"):
        load("mnist")
    with one_line(r"mnist option path: expected a folder or an \.npz file that exists"):
        load("mnist", path=str(tmp_path / "nowhere"))
    parts = digits_arrays()
    folder = write_idx_folder(tmp_path / "three", parts, gz=False)
    (folder / PARTS["test_labels"]).unlink()
    with one_line(r"expected a folder with the MNIST files, got none in"):
        load("mnist", path=str(folder))


def damaged(tmp_path, part, data: bytes, gz=False):
    folder = write_idx_folder(tmp_path / f"bad-{part}", digits_arrays(), gz=False)
    (folder / PARTS[part]).write_bytes(gzip.compress(data) if gz else data)
    return str(folder)


def test_strict_idx_validation(tmp_path, no_env):
    parts = digits_arrays()
    good = idx_bytes(parts["train_images"])
    cases = [
        ("train_images", good[:-5], r"train-images-idx3-ubyte': expected 9408 data bytes .* got 9403 \(truncated\)"),
        ("train_images", good + b"\0", r"got 9409 \(longer than its header says\)"),
        ("train_images", b"\0\0\x08\x03\0\0", r"expected a 16-byte header, got 6 bytes"),
        ("train_images", b"PK\x03\x04" + good[4:], r"expected an IDX file \(magic number .*got first bytes 504b0304"),
        ("train_images", idx_bytes(parts["train_images"], kind=0x0D), r"expected magic number 0x0803 .*got 0x0d03"),
        ("train_labels", idx_bytes(parts["train_images"]), r"train-labels-idx1-ubyte': expected magic number 0x0801"),
        ("train_labels", idx_bytes(parts["train_labels"][:5]), r"train data .*one label per image, got 12 images "
                                                               r"and 5 labels"),
        ("test_labels", idx_bytes(np.full(N_TEST, 11, np.uint8)), r"test data .*labels of digits 0\.\.9, got uint8 "
                                                                  r"values 11\.\.11"),
        ("test_images", idx_bytes(parts["test_images"][:, :14]), r"train and test images of one size, got "
                                                                 r"\(28, 28\) and \(14, 28\)"),
        ("train_images", b"", r"got first bytes none"),
    ]
    for part, data, match in cases:
        with one_line(match):
            load("mnist", path=damaged(tmp_path, part, data))
    with one_line(r"expected a complete gzip file, got a damaged or truncated one"):
        load("mnist", path=damaged(tmp_path, "train_images", gzip.compress(good)[:-20] + b"", gz=False))


def test_bad_npz_files(tmp_path, no_env):
    parts = digits_arrays()
    p = tmp_path / "mnist.npz"
    np.savez(p, x_train=parts["train_images"], y_train=parts["train_labels"])
    with one_line(r"expected arrays x_train, y_train, x_test, y_test, got \['x_train', 'y_train'\]"):
        load("mnist", path=str(p))
    np.savez(p, x_train=parts["train_images"], y_train=np.array([{"a": 1}] * N_TRAIN, dtype=object),
             x_test=parts["test_images"], y_test=parts["test_labels"])
    with one_line(r"expected an \.npz file of numeric arrays, got one that cannot be read"):
        load("mnist", path=str(p))  # an object array would need pickle: refused, never executed
    p.write_bytes(b"not a zip at all")
    with one_line(r"cannot be read"):
        load("mnist", path=str(p))
    np.savez(p, x_train=parts["train_images"].reshape(N_TRAIN, -1), y_train=parts["train_labels"],
             x_test=parts["test_images"], y_test=parts["test_labels"])
    with one_line(r"expected images \(n, rows, cols\) and labels \(n,\), got shapes \(12, 784\)"):
        load("mnist", path=str(p))


def test_cli_parses_mnist_options(tmp_path, no_env):
    from weightflow.datasets import parse_options

    assert parse_options("mnist", ["path=/data/mnist", "limit=100"]) == {"path": "/data/mnist", "limit": 100}


# ------------------------------------------------------------------------------------------- MNIST-1D
@pytest.fixture(scope="module")
def reference_mnist1d():
    """The package's own arrays, made the documented way (never its download path)."""
    from mnist1d.data import make_dataset

    return make_dataset()


def test_mnist1d_is_the_packages_default_dataset_and_is_cached(tmp_path, monkeypatch, reference_mnist1d):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("mnist1d tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setenv("WEIGHTFLOW_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    ref = reference_mnist1d
    np.random.seed(7)
    random.seed(7)
    before = (np.random.random(), random.random())
    np.random.seed(7)
    random.seed(7)
    ds = load("mnist1d")
    assert (np.random.random(), random.random()) == before  # the global generators are left alone
    assert ds.X.shape == (5000, 40) and ds.n_classes == 10
    np.testing.assert_array_equal(ds.X[:4000], ref["x"].astype(np.float32))
    np.testing.assert_array_equal(ds.X[4000:], ref["x_test"].astype(np.float32))
    np.testing.assert_array_equal(ds.y, np.concatenate([ref["y"], ref["y_test"]]))
    s = split(ds, test_size=None)
    assert s.n_train == 4000 and s.n_test == 1000
    cached = list((tmp_path / "cache").glob("mnist1d-*-seed42.npz"))
    assert len(cached) == 1
    again = load("mnist1d")  # from the cache this time
    np.testing.assert_array_equal(again.X, ds.X)
    cached[0].write_bytes(b"damaged")
    np.testing.assert_array_equal(load("mnist1d").X, ds.X)  # regenerated, not an error
    assert not list(tmp_path.glob("*.pkl"))  # the package's download-or-pickle path was not taken
    from weightflow.datasets import mnist1d as module

    monkeypatch.setenv("WEIGHTFLOW_CACHE", "off")  # turned off: generated (here: the reference), nothing kept
    monkeypatch.setattr(module, "generate", lambda seed: {k: ref[k] for k in module.KEYS})
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    np.testing.assert_array_equal(load("mnist1d").X, ds.X)
    assert module.cache_dir() is None
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before  # no folder named "off"
