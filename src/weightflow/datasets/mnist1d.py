"""MNIST-1D (Greydanus 2020), generated here by the ``mnist1d`` package and cached; never downloaded.

``mnist1d.data.make_dataset`` with the package's default arguments (``get_dataset_args()``: 5000
signals of length 40, 10 classes, 80/20 split, seed 42) gives 4000 training and 1000 test signals.
We call it directly: the package's ``get_dataset`` tries to download a pickle first.

Generating takes about 3 s (most of it the per-sample transforms), so the arrays are cached as an
.npz (no pickle) under the user's cache folder: ``$WEIGHTFLOW_CACHE``, else
``$XDG_CACHE_HOME/weightflow``, else ``~/.cache/weightflow``; ``WEIGHTFLOW_CACHE=off`` (or 0, no,
false) keeps nothing; a damaged or unwritable cache is regenerated or skipped.
"""

from __future__ import annotations

import os
import random
import zipfile
from pathlib import Path

import numpy as np

from weightflow.datasets.checks import check_seed, fail
from weightflow.datasets.dataset import Dataset

DEFAULT_SEED = 42  # get_dataset_args()["seed"]
KEYS = ("x", "y", "x_test", "y_test")


CACHE_OFF = ("0", "off", "no", "false")  # values of $WEIGHTFLOW_CACHE that turn every cache off


def cache_dir() -> Path | None:
    """Where weightflow keeps what it generates (see the module docstring); None when turned off."""
    value = os.environ.get("WEIGHTFLOW_CACHE", "")
    if value.lower() in CACHE_OFF:
        return None
    if value:
        return Path(value).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    return Path(base).expanduser() / "weightflow"


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mnist1d")
    except PackageNotFoundError:
        raise fail("dataset 'mnist1d'", "the mnist1d package", "none installed", "pip install mnist1d") from None


def generate(seed: int = DEFAULT_SEED) -> dict[str, np.ndarray]:
    """``make_dataset`` with the default arguments but ``seed``: {x (4000, 40), y, x_test (1000, 40), y_test}.

    The package seeds numpy's and Python's global generators; their states are put back afterwards.
    """
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError:
        _package_version()  # says how to install it
        raise
    args = get_dataset_args()
    args.seed = seed
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        data = make_dataset(args)
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    return {k: np.asarray(data[k]) for k in KEYS}


def _cached(seed: int) -> dict[str, np.ndarray]:
    """The generated arrays, from the cache when it holds a readable copy, else generated and stored."""
    folder = cache_dir()
    if folder is None:
        return generate(seed)
    path = folder / f"mnist1d-{_package_version()}-seed{seed}.npz"
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in KEYS}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        pass  # absent or damaged: make it again
    data = generate(seed)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
        np.savez(tmp, **data)
        os.replace(tmp, path)  # readers never see a half-written file
    except OSError:
        pass  # a read-only cache folder only costs the time to generate
    return data


def mnist1d(*, seed: int = DEFAULT_SEED) -> Dataset:
    """MNIST-1D: X (5000, 40) float32 signals (4000 training, then 1000 test: ``test_index``), y (5000,)
    digits 0..9, exactly ``mnist1d.data.make_dataset()``'s arrays; ``seed`` is its generation seed
    (42, the package's default, gives the paper's dataset)."""
    seed = check_seed("mnist1d option seed", seed)
    data = _cached(seed)
    X = np.concatenate([data["x"], data["x_test"]]).astype(np.float32)
    y = np.concatenate([data["y"], data["y_test"]]).astype(np.int64)
    n_train, n_test = len(data["y"]), len(data["y_test"])
    return Dataset(
        X,
        y,
        feature_names=tuple(f"t{i}" for i in range(X.shape[1])),
        class_names=tuple(str(k) for k in range(10)),
        description=(
            f"mnist1d: {n_train} training + {n_test} test 1-D signals of {X.shape[1]} points (Greydanus 2020, "
            f"generated with mnist1d's make_dataset, seed {seed}), 10 classes"
        ),
        name="mnist1d",
        options=dict(seed=seed),
        test_index=np.arange(n_train, n_train + n_test, dtype=np.int64),
    )
