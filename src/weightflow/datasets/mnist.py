"""MNIST from the files you have (nothing is downloaded): the four IDX files, gzipped or not, or Keras' mnist.npz.

Where it looks, first match wins:
1. the ``path`` option: a folder holding the files (or a ``mnist/`` folder inside it), or the ``.npz`` itself;
2. the folder named by the ``WEIGHTFLOW_DATA`` environment variable (or its ``mnist/`` subfolder);
3. ``~/.keras/datasets/mnist.npz``, where ``keras.datasets.mnist.load_data()`` leaves its copy.

In a folder the IDX files win over an mnist.npz beside them. The files' own split is kept: the
Dataset holds the 60000 training images first, then the 10000 test images, with ``test_index``
naming the test rows (see ``splits.split(ds, test_size="given")``).

IDX (LeCun's format): two zero bytes, a type byte (0x08: unsigned bytes), the number of dimensions,
each dimension as a big-endian uint32, then the values; images are (n, rows, cols), labels (n,).
"""

from __future__ import annotations

import gzip
import os
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

from weightflow.datasets.checks import check_int, check_seed, fail
from weightflow.datasets.dataset import Dataset, aligned_empty
from weightflow.errors import WeightflowError

ENV = "WEIGHTFLOW_DATA"
PARTS = {  # part -> the IDX file's base name (LeCun's spelling; mirrors also write ".idx3" for "-idx3")
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
NPZ = "mnist.npz"
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
KERAS_NPZ = Path("~/.keras/datasets/mnist.npz")
UBYTE = 0x08
N_CLASSES = 10


def where_to_put() -> str:
    """The one-line advice shown when the files are missing."""
    files = ", ".join(f"{n}(.gz)" for n in PARTS.values())
    return (
        f"put {files} or {NPZ} (keys {', '.join(NPZ_KEYS)}) in a folder and set {ENV}=FOLDER "
        "or pass --data-option path=FOLDER"
    )


def _idx_files(folder: Path) -> dict[str, Path] | None:
    """The four IDX files in ``folder`` (raw or .gz), or None when any is missing."""
    found = {}
    for part, base in PARTS.items():
        names = (base, base.replace("-idx", ".idx"))
        candidates = [folder / (n + gz) for n in names for gz in ("", ".gz")]
        hit = next((c for c in candidates if c.is_file()), None)
        if hit is None:
            return None
        found[part] = hit
    return found


def _search(folder: Path) -> dict[str, Path] | Path | None:
    """IDX files or an npz in ``folder`` or ``folder/mnist``."""
    for f in (folder, folder / "mnist"):
        idx = _idx_files(f)
        if idx is not None:
            return idx
        if (f / NPZ).is_file():
            return f / NPZ
    return None


def locate(path: str = "") -> dict[str, Path] | Path:
    """The files to read: {part: IDX path} or the npz's path (see the module docstring for the order)."""
    if path:
        p = Path(path).expanduser()
        if p.is_file():
            return p
        if not p.exists():
            raise fail("mnist option path", "a folder or an .npz file that exists", repr(path), where_to_put())
        found = _search(p)
        if found is None:
            raise fail("mnist option path", "a folder with the MNIST files", f"none in {str(p)!r}", where_to_put())
        return found
    env = os.environ.get(ENV, "")
    if env:
        found = _search(Path(env).expanduser())
        if found is not None:
            return found
    keras = KERAS_NPZ.expanduser()
    if keras.is_file():
        return keras
    looked = f"{ENV}={env!r}" if env else f"{ENV} unset"
    raise fail("dataset 'mnist'", "the MNIST files", f"none found ({looked}, no {KERAS_NPZ})", where_to_put())


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when it is a gzip file (by its first two bytes, not its name)."""
    where = f"mnist file {str(path)!r}"
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise fail(where, "a readable file", f"{type(err).__name__}: {err.strerror or err}",
                   "check the file's permissions") from None
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error):
        raise fail(where, "a complete gzip file", "a damaged or truncated one", "download it again") from None


def read_idx(path: Path, ndim: int) -> np.ndarray:
    """An IDX file of unsigned bytes with ``ndim`` dimensions as a uint8 array (validated strictly)."""
    data = _read_bytes(path)
    where, fix = f"mnist file {str(path)!r}", "download it again (is it the right file?)"
    if len(data) < 4 or data[:2] != b"\0\0":
        raise fail(where, "an IDX file (magic number 0x0000TTDD)", f"first bytes {data[:4].hex() or 'none'}", fix)
    kind, dims = data[2], data[3]
    if kind != UBYTE or dims != ndim:
        raise fail(where, f"magic number 0x{UBYTE:02x}{ndim:02x} (unsigned bytes, {ndim}-D)",
                   f"0x{kind:02x}{dims:02x}", fix)
    head = 4 + 4 * ndim
    if len(data) < head:
        raise fail(where, f"a {head}-byte header", f"{len(data)} bytes", fix)
    shape = struct.unpack(f">{ndim}I", data[4:head])
    size = int(np.prod(shape, dtype=np.int64))
    if len(data) - head != size:
        what = "truncated" if len(data) - head < size else "longer than its header says"
        raise fail(where, f"{size} data bytes for shape {shape}", f"{len(data) - head} ({what})", fix)
    return np.frombuffer(data, dtype=np.uint8, offset=head).reshape(shape)


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    where = f"mnist file {str(path)!r}"
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in NPZ_KEYS if k not in z.files]
            if missing:
                raise fail(where, f"arrays {', '.join(NPZ_KEYS)}", f"{sorted(z.files)}",
                           "use the mnist.npz that Keras ships")
            return {k: z[k] for k in NPZ_KEYS}
    except WeightflowError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        text = " ".join(str(err).split())[:80]
        raise fail(where, "an .npz file of numeric arrays", f"one that cannot be read ({text})",
                   "download it again") from None


def _check_parts(parts: dict[str, np.ndarray], source: str) -> None:
    """Images (n, rows, cols) of bytes and labels (n,) in 0..9, train and test alike."""
    for which in ("train", "test"):
        images, labels = parts[f"{which}_images"], parts[f"{which}_labels"]
        where = f"mnist {which} data in {source!r}"
        if images.ndim != 3 or labels.ndim != 1:
            raise fail(where, "images (n, rows, cols) and labels (n,)",
                       f"shapes {images.shape} and {labels.shape}", "use the MNIST files")
        if images.shape[0] != labels.shape[0]:
            raise fail(where, "one label per image", f"{images.shape[0]} images and {labels.shape[0]} labels",
                       "use matching image and label files")
        if images.shape[0] == 0:
            raise fail(where, "at least one image", "none", "use the MNIST files")
        for name, arr in (("images", images), ("labels", labels)):
            if arr.dtype.kind not in "iu" or arr.min() < 0 or arr.max() > (255 if name == "images" else 9):
                limit = "bytes 0..255" if name == "images" else f"digits 0..{N_CLASSES - 1}"
                raise fail(where, f"{name} of {limit}", f"{arr.dtype} values {arr.min()}..{arr.max()}",
                           "use the MNIST files")
    a, b = parts["train_images"].shape[1:], parts["test_images"].shape[1:]
    if a != b:
        raise fail(f"mnist data in {source!r}", "train and test images of one size", f"{a} and {b}",
                   "use train and test files of the same dataset")


def read_parts(found: dict[str, Path] | Path) -> tuple[dict[str, np.ndarray], str]:
    """({train_images, train_labels, test_images, test_labels}, where they came from)."""
    if isinstance(found, Path):
        z = _read_npz(found)
        parts = {"train_images": z["x_train"], "train_labels": z["y_train"], "test_images": z["x_test"],
                 "test_labels": z["y_test"]}
        source = str(found)
    else:
        parts = {p: read_idx(f, 3 if p.endswith("images") else 1) for p, f in found.items()}
        source = str(found["train_images"].parent)
    _check_parts(parts, source)
    return parts, source


def mnist(*, path: str = "", limit: int = 0, seed: int = 0) -> Dataset:
    """MNIST: X (n_train + n_test, rows*cols) float32 = pixels / 255 in [0, 1], features "px_R_C"
    (row R, column C, 0-based, row-major), y (n,) digits 0..9; the training images first, then the
    test images, ``test_index`` the test rows (60000 + 10000 with the full files).

    ``path``: a folder with the files or an mnist.npz (default: $WEIGHTFLOW_DATA, then Keras' copy).
    ``limit``: keep the first ``limit`` images of each part (0: all), for quick runs.
    ``seed`` is accepted and ignored.
    """
    check_seed("mnist option seed", seed)
    limit = check_int("mnist option limit", limit, low=0, example=1000)
    if not isinstance(path, (str, os.PathLike)):
        raise fail("mnist option path", "a folder or file path", repr(path), "pass --data-option path=FOLDER")
    parts, source = read_parts(locate(os.fspath(path)))
    take = slice(None) if limit == 0 else slice(0, limit)
    train_x, test_x = parts["train_images"][take], parts["test_images"][take]
    rows, cols = train_x.shape[1:]
    n_train, n_test = train_x.shape[0], test_x.shape[0]
    X = aligned_empty((n_train + n_test, rows * cols))
    np.divide(train_x.reshape(n_train, -1), np.float32(255), out=X[:n_train])
    np.divide(test_x.reshape(n_test, -1), np.float32(255), out=X[n_train:])
    y = np.concatenate([parts["train_labels"][take], parts["test_labels"][take]]).astype(np.int64)
    return Dataset(
        X,
        y,
        feature_names=tuple(f"px_{r}_{c}" for r in range(rows) for c in range(cols)),
        class_names=tuple(str(k) for k in range(N_CLASSES)),
        description=(
            f"mnist: {n_train} training + {n_test} test {rows}x{cols} handwritten digits (the files' own split), "
            f"pixels / 255 in [0,1], 10 classes, from {source}"
        ),
        name="mnist",
        options=dict(path=os.fspath(path), limit=limit, seed=seed),
        test_index=np.arange(n_train, n_train + n_test, dtype=np.int64),
    )
