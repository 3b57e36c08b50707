"""Noise-robust statistics on short curves (numpy only).

A recorded curve is a (F,) array, one value per frame; minibatch noise and a single bad epoch must
not decide a diagnosis, so checks use running medians, Mann-Kendall trend tests and median
absolute deviations instead of single differences.
"""

from __future__ import annotations

import numpy as np


def window(n: int) -> int:
    """Odd running-median window for a curve of n points: about n/15, at least 3."""
    w = max(3, int(n) // 15)
    return w + 1 - w % 2


def running_median(x: np.ndarray, w: int | None = None) -> np.ndarray:
    """Centred running median (n,) of x (n,), the window shrinking at both ends."""
    x = np.asarray(x, np.float64)
    n = len(x)
    w = window(n) if w is None else w
    h = w // 2
    if n == 0:
        return x
    pad = np.concatenate([np.full(h, x[0]), x, np.full(h, x[-1])])
    view = np.lib.stride_tricks.sliding_window_view(pad, w)
    return np.median(view, axis=1)


def mad(x: np.ndarray) -> float:
    """Median absolute deviation scaled to a Gaussian's standard deviation."""
    x = np.asarray(x, np.float64)
    return float(1.4826 * np.median(np.abs(x - np.median(x)))) if len(x) else 0.0


def mann_kendall(x: np.ndarray) -> float:
    """Mann-Kendall trend statistic z of x (n,): > 0 rising, < 0 falling; |z| > 3 is a trend that
    noise gives with probability < 0.3%. Ties count as no change. Subsampled to 200 points."""
    x = np.asarray(x, np.float64)
    if len(x) > 200:
        x = x[np.linspace(0, len(x) - 1, 200).astype(int)]
    n = len(x)
    if n < 4:
        return 0.0
    s = np.sign(x[None, :] - x[:, None])
    total = float(np.triu(s, 1).sum())
    var = n * (n - 1) * (2 * n + 5) / 18.0
    if total == 0:
        return 0.0
    return (total - np.sign(total)) / np.sqrt(var)


def finite(steps: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (steps, values) pairs where values is finite (test losses are NaN between evaluations)."""
    values = np.asarray(values, np.float64)
    ok = np.isfinite(values)
    return np.asarray(steps)[ok], values[ok]
