"""Stratified train/test splits (scikit-learn's StratifiedShuffleSplit, as seed 001) and standardisation."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from weightflow.datasets.checks import check_bool, check_seed, fail
from weightflow.datasets.dataset import Dataset, aligned_empty, aligned_rows
from weightflow.errors import bad_input
from weightflow.validate import fraction as check_fraction


@dataclass(frozen=True, eq=False)
class Split:
    """A train/test split of a Dataset with d features.

    Attributes:
        X_train: float32 (n_train, d), standardised when the split was made with standardize=True.
        y_train: int64 (n_train,).
        X_test: float32 (n_test, d) (n_test may be 0), transformed with the training statistics.
        y_test: int64 (n_test,).
        mean, std: float32 (d,), the transform X -> (X - mean) / std; zeros and ones when not
            standardising. Columns constant on the training part keep mean 0 and std 1 (they are
            left as they are, so a bias column of ones survives).
        train_index, test_index: int64 row indices into the dataset (disjoint, together all rows).
        X_val, y_val, val_index: the validation part carved from the training rows (Keras'
            ``validation_split``; empty without one), transformed with the training statistics;
            train, validation and test indices together are all rows.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    train_index: np.ndarray
    test_index: np.ndarray
    X_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    val_index: np.ndarray | None = None

    def __post_init__(self):
        if self.X_val is None:  # no validation part: empty arrays of the right kinds
            object.__setattr__(self, "X_val", np.zeros((0, self.X_train.shape[1]), np.float32))
            object.__setattr__(self, "y_val", np.zeros(0, np.int64))
            object.__setattr__(self, "val_index", np.zeros(0, np.int64))

    @property
    def n_train(self) -> int:
        return int(self.y_train.shape[0])

    @property
    def n_test(self) -> int:
        return int(self.y_test.shape[0])

    @property
    def n_val(self) -> int:
        return int(self.y_val.shape[0])

    def standardize_X(self, X) -> np.ndarray:
        """Apply the fitted transform to X (..., d): (X - mean) / std as float32."""
        arr = np.asarray(X, dtype=np.float32)
        d = self.mean.shape[0]
        if arr.ndim == 0 or arr.shape[-1] != d:
            raise fail(
                "standardize_X",
                f"an array with {d} features in its last axis",
                f"shape {arr.shape}",
                f"pass data with the dataset's {d} columns",
            )
        return ((arr - self.mean) / self.std).astype(np.float32)


GIVEN = "given"  # test_size meaning: the test set the dataset came with (Dataset.test_index)
DEFAULT_TEST_SIZE = 0.2


def resolve_test_size(ds: Dataset, test_size: object) -> float | str:
    """``test_size`` made definite for ``ds``: None becomes "given" when ``ds`` carries its own test
    set (``ds.test_index``, e.g. MNIST's t10k files) and 0.2 otherwise; "given" needs such a set."""
    if test_size is None:
        return GIVEN if ds.test_index is not None else DEFAULT_TEST_SIZE
    if isinstance(test_size, str) and test_size.strip().lower() == GIVEN:
        if ds.test_index is None:
            raise fail(
                "test_size",
                f"a dataset with its own test set for test_size {GIVEN!r} (e.g. mnist, mnist1d)",
                f"{ds.name!r}, which has none",
                "pass a fraction, e.g. --test-size 0.2",
            )
        return GIVEN
    return _check_test_size(test_size)


def _check_test_size(test_size: object) -> float:
    fix = (
        "pass e.g. --test-size 0.2 (a fraction in [0, 1); 0 trains on everything; "
        f"{GIVEN!r} keeps a dataset's own test set)"
    )
    return check_fraction(test_size, "test_size", fix)


def _stratified(ds: Dataset, test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train_index, test_index) from StratifiedShuffleSplit, after checking that it can work."""
    n = ds.n_samples
    classes, counts = np.unique(ds.y, return_counts=True)
    k = classes.size
    n_test = math.ceil(test_size * n)
    n_train = n - n_test
    what = f"split of {ds.name!r} ({n} samples, {k} classes) with test_size {test_size:g}"
    fix = f"pass --test-size 0 to train on all {n} samples, or use a larger dataset"
    if counts.min() < 2:
        rare = ds.class_names[int(classes[np.argmin(counts)])]
        raise fail(what, "at least 2 samples of every class to stratify", f"1 sample of class {rare!r}", fix)
    if n_test < k:
        raise fail(
            what,
            f"a test set with at least one sample of each of the {k} classes",
            f"{n_test} test sample{'s' * (n_test != 1)}",
            f"pass a larger --test-size (>= {k / n:.2g}) or --test-size 0 to train on all {n} samples",
        )
    if n_train < k:
        raise fail(
            what,
            f"a training set with at least one sample of each of the {k} classes",
            f"{n_train} training sample{'s' * (n_train != 1)}",
            "pass a smaller --test-size, e.g. 0.2",
        )
    from sklearn.model_selection import StratifiedShuffleSplit

    splitter = StratifiedShuffleSplit(n_splits=1, test_size=test_size, random_state=seed)
    try:
        train, test = next(splitter.split(np.zeros((n, 1)), ds.y))
    except ValueError as err:  # a case the checks above missed: say it in one line
        raise fail(what, "a split stratified by class", " ".join(str(err).split()), fix) from None
    return train.astype(np.int64), test.astype(np.int64)


def _rows(X: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``X[index]``, as a view without copying when the rows are one consecutive run (MNIST's 60000),
    else gathered into an aligned array (see ``aligned_empty``)."""
    if index.size and index[-1] - index[0] == index.size - 1 and np.all(np.diff(index) == 1):
        return X[int(index[0]) : int(index[-1]) + 1]
    return aligned_rows(X, index)


def _standardized(X: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """``(X - mean) / std`` in float32, into an aligned array."""
    out = aligned_empty(X.shape)
    np.subtract(X, mean, out=out)
    out /= std
    return out


def check_validation_split(value) -> float:
    """A validation fraction in [0, 1) (None means 0)."""
    if value is None:
        return 0.0
    return check_fraction(value, "validation_split",
                          "pass e.g. --validation-split 0.2 (the last fifth of the training rows), or 0 for none")


def _carve(ds: Dataset, train: np.ndarray, fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation): the last ``fraction`` of the training rows, as Keras' validation_split."""
    n_val = math.ceil(fraction * train.size)
    if n_val == 0:
        return train, np.zeros(0, np.int64)
    if n_val >= train.size:
        raise fail(f"validation_split {fraction:g} of {train.size} training samples of {ds.name!r}",
                   "at least one sample left to train on", f"{train.size - n_val} left",
                   "pass a smaller --validation-split, e.g. 0.2")
    return train[:-n_val], train[-n_val:]


def split(
    ds: Dataset, test_size: float | str | None = DEFAULT_TEST_SIZE, seed: int = 0, standardize: bool = False,
    validation_split: float | None = None,
) -> Split:
    """Split ``ds`` into training and test parts with the class proportions of the whole.

    ``test_size``: fraction of samples held out, in [0, 1); 0 puts every sample in training (in the
    dataset's order) and leaves X_test of shape (0, d); "given" keeps the test set the dataset came
    with (``ds.test_index``; the other rows train, in order, not shuffled); None means "given" for
    a dataset that has one (mnist, mnist1d) and 0.2 otherwise. ``seed``: StratifiedShuffleSplit's
    random_state. ``standardize``: fit mean/std on the training part only and apply them to the others.
    ``validation_split``: as Keras' fit, the last fraction of the training rows (after the test set
    is taken out) is held out as a validation set (``X_val``, ``y_val``), evaluated during training.
    """
    if not isinstance(ds, Dataset):
        raise bad_input(
            "split", "a weightflow Dataset", type(ds).__name__, "wrap arrays first: Dataset(X, y)"
        )
    test_size = resolve_test_size(ds, test_size)
    seed = check_seed("split seed", seed)
    standardize = check_bool("split standardize", standardize)
    if test_size == GIVEN:
        test = ds.test_index
        train = np.setdiff1d(np.arange(ds.n_samples, dtype=np.int64), test, assume_unique=True)
    elif test_size == 0.0:
        train = np.arange(ds.n_samples, dtype=np.int64)
        test = np.zeros(0, dtype=np.int64)
    else:
        train, test = _stratified(ds, test_size, seed)
    train, val = _carve(ds, train, check_validation_split(validation_split))
    X_train, X_test, X_val = _rows(ds.X, train), _rows(ds.X, test), _rows(ds.X, val)
    d = ds.n_features
    mean = np.zeros(d, dtype=np.float32)
    std = np.ones(d, dtype=np.float32)
    if standardize:
        fit = X_train.astype(np.float64)
        m, s = fit.mean(axis=0), fit.std(axis=0)
        constant = (s == 0) | (s.astype(np.float32) == 0)
        mean = np.where(constant, 0.0, m).astype(np.float32)
        std = np.where(constant, 1.0, s).astype(np.float32)
        X_train, X_test, X_val = (_standardized(X, mean, std) for X in (X_train, X_test, X_val))
    return Split(
        X_train=np.ascontiguousarray(X_train, dtype=np.float32),
        y_train=ds.y[train].astype(np.int64),
        X_test=np.ascontiguousarray(X_test, dtype=np.float32).reshape(-1, d),
        y_test=ds.y[test].astype(np.int64),
        mean=mean,
        std=std,
        train_index=train,
        test_index=test,
        X_val=np.ascontiguousarray(X_val, dtype=np.float32).reshape(-1, d),
        y_val=ds.y[val].astype(np.int64),
        val_index=val,
    )
