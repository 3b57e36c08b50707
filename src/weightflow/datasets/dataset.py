"""``Dataset``: features X (n, d) float32 and class indices y (n,) int64, validated on construction."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from weightflow.datasets.checks import fail
from weightflow.errors import bad_input


def label_text(value: object) -> str:
    """How a label value is shown as a class name: 1.0 -> '1', 'cat' -> 'cat', True -> 'True'."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, np.generic):
        value = value.item()
    return str(value)


@dataclass(frozen=True, eq=False)
class Dataset:
    """A classification dataset.

    Attributes:
        X: float32 array of shape (n, d), all finite: a float32 array as given, anything else converted
            into a 64-byte aligned array (which the CPU device takes without copying it again).
        y: int64 array of shape (n,), class indices in 0..K-1.
        feature_names: d names (default "x1".."xd").
        class_names: K names; ``class_names[k]`` names class index k.
        description: one line saying what this is (default "<name>: n samples, d features, K classes").
        name: where it came from, e.g. "linear-embedded" or "csv:data.csv" (default "arrays").
        options: the options used to make it (default empty).
        test_index: None, or int64 (n_test,) increasing row indices of the test set the data came
            with (MNIST's 10000 t10k images, MNIST-1D's 1000): ``split(ds, test_size=None)`` (or
            ``"given"``) keeps that split instead of drawing a stratified one.

    ``Dataset(X, y)`` wraps arrays you already have: X is cast to float32 (a 1-D X must be reshaped
    first), y may hold class indices or any labels (strings, -1/1, floats), which are mapped to
    0..K-1 in ``np.unique`` order with ``class_names`` the original labels as text. If you give
    ``class_names``, integer labels in 0..K-1 are kept as indices and other labels are looked up
    in ``class_names`` by their text.
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...] = ()
    class_names: tuple[str, ...] = ()
    description: str = ""
    name: str = "arrays"
    options: dict = field(default_factory=dict)
    test_index: np.ndarray | None = None

    def __post_init__(self) -> None:
        X = _as_features(self.X)
        y, class_names = _as_labels(self.y, self.class_names)
        n, d = X.shape
        if y.shape[0] != n:
            raise fail(
                "Dataset",
                "X and y with the same number of samples",
                f"X with {n} rows and y with {y.shape[0]} labels",
                "pass one label per row of X",
            )
        present = np.unique(y)
        if present.size < 2:
            only = class_names[int(present[0])] if present.size else "none"
            raise fail(
                "Dataset y",
                "labels of at least 2 classes",
                f"only class {only!r}",
                "a classifier needs examples of two or more classes; check the labels",
            )
        feature_names = _names("feature_names", self.feature_names, d, [f"x{i + 1}" for i in range(d)])
        description = " ".join(str(self.description).split())  # one line
        if not description:
            description = f"{self.name}: {n} samples, {d} feature{'s' * (d != 1)}, {len(class_names)} classes"
        converted = dict(
            X=X,
            y=y,
            feature_names=feature_names,
            class_names=class_names,
            description=description,
            name=str(self.name),
            options=dict(self.options or {}),
            test_index=_as_test_index(self.test_index, n),
        )
        for key, value in converted.items():
            object.__setattr__(self, key, value)  # the dataclass is frozen

    @property
    def n_samples(self) -> int:
        """Number of rows n of X."""
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        """Number of columns d of X."""
        return int(self.X.shape[1])

    @property
    def n_classes(self) -> int:
        """Number of classes K (``len(class_names)``)."""
        return len(self.class_names)

    def replace(self, **changes) -> Dataset:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def __repr__(self) -> str:
        return (
            f"Dataset(name={self.name!r}, n_samples={self.n_samples}, n_features={self.n_features}, "
            f"n_classes={self.n_classes}, description={self.description!r})"
        )


ALIGN = 64  # bytes: jax's CPU device takes a host array that starts on such a boundary without copying it


def aligned_empty(shape: tuple[int, ...], dtype=np.float32) -> np.ndarray:
    """An uninitialised C-contiguous array whose data starts on an ALIGN-byte boundary, so that putting
    it on the CPU device costs no copy (MNIST's training set is 188 MB: 0.15 s a run otherwise)."""
    nbytes = math.prod(shape) * np.dtype(dtype).itemsize
    buf = np.empty(nbytes + ALIGN, np.uint8)
    start = -buf.ctypes.data % ALIGN
    return buf[start:start + nbytes].view(dtype).reshape(shape)


def aligned_copy(a: np.ndarray, dtype=np.float32) -> np.ndarray:
    """``a`` converted to ``dtype`` in one pass, into aligned memory (see ``aligned_empty``)."""
    out = aligned_empty(a.shape, dtype)
    np.copyto(out, a, casting="unsafe")
    return out


def aligned_rows(X: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``X[index]`` (rows) gathered into aligned memory (see ``aligned_empty``)."""
    return np.take(X, index, axis=0, out=aligned_empty((index.size, *X.shape[1:]), X.dtype))


def _float32(X: object) -> np.ndarray:
    """X as float32: a float32 array as it is (a view, no copy), any other numeric array converted in
    one pass into an aligned one."""
    if isinstance(X, np.ndarray) and X.dtype != np.float32 and X.dtype.kind in "biuf":
        return aligned_copy(X)
    return np.asarray(X, dtype=np.float32)


def _as_features(X: object) -> np.ndarray:
    """X as a finite float32 (n, d) array with n >= 1 and d >= 1."""
    try:
        arr = _float32(X)
    except (TypeError, ValueError) as err:
        kind = "ragged rows" if "inhomogeneous" in str(err) else "values that are not numbers"
        raise fail(
            "Dataset X",
            "a 2-D array of numbers (n, d)",
            kind,
            "pass a list of equal-length rows of numbers or a numeric array",
        ) from None
    if arr.ndim != 2:
        fix = (
            "reshape it: X.reshape(-1, 1) for one feature or X.reshape(1, -1) for one sample"
            if arr.ndim == 1
            else "pass an array of shape (n_samples, n_features)"
        )
        raise fail(
            "Dataset X",
            "a 2-D array (n_samples, n_features)",
            f"a {arr.ndim}-D array of shape {arr.shape}",
            fix,
        )
    n, d = arr.shape
    if n < 1 or d < 1:
        raise fail(
            "Dataset X", "at least one sample and one feature", f"shape {arr.shape}", "pass a non-empty array"
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        count = int(bad.sum())
        raise fail(
            "Dataset X",
            "finite numbers",
            f"{count} NaN/inf value{'s' * (count != 1)} (first {arr[row, col]} at X[{row}, {col}])",
            "remove or fill in those values first",
        )
    return arr


def _as_test_index(index: object, n: int) -> np.ndarray | None:
    """None, or the given test rows as increasing int64 indices: distinct, in 0..n-1, leaving some rows to train."""
    if index is None:
        return None
    arr = np.asarray(index)
    ok = arr.ndim == 1 and arr.size > 0 and arr.dtype.kind in "iu"
    if ok:
        arr = np.sort(arr.astype(np.int64))
        ok = arr[0] >= 0 and arr[-1] < n and bool(np.all(np.diff(arr) > 0)) and arr.size < n
    if not ok:
        raise fail(
            "Dataset test_index",
            f"distinct row indices in 0..{n - 1}, at least one and fewer than all {n} rows",
            f"an array of shape {np.shape(index)}",
            "pass the row numbers of the given test set, or leave test_index out",
        )
    return arr


def _as_labels(y: object, class_names: tuple[str, ...]) -> tuple[np.ndarray, tuple[str, ...]]:
    """y as int64 class indices (n,) and the class names."""
    raw = np.asarray(y)
    if raw.ndim == 2 and 1 in raw.shape:
        raw = raw.reshape(-1)
    if raw.ndim != 1:
        raise fail(
            "Dataset y",
            "a 1-D array of labels (n,)",
            f"an array of shape {raw.shape}",
            "pass one label per sample, e.g. y.ravel() (one-hot labels: y.argmax(axis=1))",
        )
    if raw.dtype == object:
        raw = np.asarray([label_text(v) for v in raw.tolist()])
    if raw.dtype.kind == "f" and np.isnan(raw).any():
        first = int(np.flatnonzero(np.isnan(raw))[0])
        raise fail(
            "Dataset y", "a label for every sample", f"NaN at y[{first}]", "remove the unlabelled samples"
        )
    names = _names("class_names", class_names, None, None) if class_names else ()
    if names:
        k = len(names)
        if raw.dtype.kind in "iu":
            if raw.size and (raw.min() < 0 or raw.max() >= k):
                bad = raw[(raw < 0) | (raw >= k)][0]
                raise fail(
                    "Dataset y",
                    f"class indices 0..{k - 1} (one per class name)",
                    f"label {int(bad)}",
                    "pass labels within range, or leave class_names out",
                )
            return raw.astype(np.int64), names
        lookup = {name: i for i, name in enumerate(names)}
        texts = [label_text(v) for v in raw.tolist()]
        missing = sorted({t for t in texts if t not in lookup})
        if missing:
            raise fail(
                "Dataset y",
                f"labels among the class names {list(names)}",
                f"{missing[:5]}",
                "add them to class_names or leave class_names out",
            )
        return np.asarray([lookup[t] for t in texts], dtype=np.int64), names
    try:
        uniques, index = np.unique(raw, return_inverse=True)
    except TypeError:
        raise fail(
            "Dataset y",
            "labels of one kind (all numbers or all strings)",
            "a mixture",
            "convert the labels to strings first",
        ) from None
    texts = tuple(label_text(v) for v in uniques.tolist())
    return index.reshape(-1).astype(np.int64), texts


def _names(what: str, given: object, count: int | None, default: list[str] | None) -> tuple[str, ...]:
    """A tuple of ``count`` strings (or the default when none were given)."""
    if given is None or (not isinstance(given, str) and len(given) == 0):  # type: ignore[arg-type]
        if default is None:
            return ()
        return tuple(default)
    if isinstance(given, str):
        raise bad_input(f"Dataset {what}", "a sequence of names", given, f"pass e.g. ({given!r},)")
    names = tuple(str(v) for v in given)  # type: ignore[union-attr]
    if count is not None and len(names) != count:
        raise fail(
            f"Dataset {what}",
            f"{count} names (one per column of X)",
            f"{len(names)}",
            f"pass {count} names or leave {what} out",
        )
    return names


def generated(
    name: str,
    X: np.ndarray,
    y: np.ndarray,
    *,
    feature_names: tuple[str, ...] | list[str],
    class_names: tuple[str, ...],
    description: str,
    options: dict,
) -> Dataset:
    """Wrap a generator's output, first checking that every class got at least one sample.

    A generator can produce one class only when n is tiny or the boundary options push every point
    to one side; say so in terms of the generator's options instead of Dataset's generic message.
    """
    counts = np.bincount(np.asarray(y, dtype=np.int64), minlength=len(class_names))
    if (counts == 0).any():
        empty = [class_names[k] for k in np.flatnonzero(counts == 0)]
        shown = ", ".join(f"{k}={v!r}" for k, v in options.items() if k != "seed")
        raise fail(
            f"dataset {name!r} ({shown})",
            "samples of every class",
            f"none of class {', '.join(map(repr, empty))}",
            "use a larger n or change the options that place the boundary",
        )
    return Dataset(
        X,
        y,
        feature_names=tuple(feature_names),
        class_names=tuple(class_names),
        description=description,
        name=name,
        options=dict(options),
    )
