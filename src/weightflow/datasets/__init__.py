"""Datasets: the source notebooks' data, TensorFlow-Playground-style sets, digits and CSV files.

>>> from weightflow.datasets import load, split
>>> ds = load("linear-embedded", n=200, seed=1)      # X (200, 15) float32, y (200,) int64
>>> parts = split(ds, test_size=0.2, seed=0, standardize=True)
>>> parts.X_train.shape, parts.X_test.shape
((160, 15), (40, 15))

Numpy only at import; scikit-learn is imported inside the functions that need it (digits, moons, split).
"""

from weightflow.datasets.dataset import Dataset
from weightflow.datasets.options import parse_options
from weightflow.datasets.registry import describe_all, load, names
from weightflow.datasets.splits import Split, split

__all__ = ["Dataset", "Split", "describe_all", "load", "names", "parse_options", "split"]
