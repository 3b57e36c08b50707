"""Two-dimensional datasets after TensorFlow Playground's ``dataset.ts`` (plus scikit-learn's moons).

Playground's ``noise`` is its slider divided by 100, so it ranges over [0, 0.5]; larger values are
accepted and extrapolate the same formulas. Playground labels -1/+1 become classes 0/1 here. The
playground emits the positive class first; these generators shuffle the rows (with the same seeded
generator) so that no consumer sees the classes in blocks.
Each returns X (n, 2) float32 and y (n,) int64 in {0, 1}.
"""

from __future__ import annotations

import numpy as np

from weightflow.datasets.checks import check_float, check_int, check_seed
from weightflow.datasets.dataset import Dataset, generated

BINARY = ("0", "1")


def _halves(n: int) -> tuple[int, int]:
    """(positives, negatives) for n samples: n//2 positives, the rest negative."""
    return n // 2, n - n // 2


def _finish(name: str, rng, parts, description: str, options: dict) -> Dataset:
    """Stack [(points (m, 2), label)] parts, shuffle the rows, and wrap them."""
    X = np.concatenate([p for p, _ in parts], axis=0)
    y = np.concatenate([np.full(p.shape[0], label, dtype=np.int64) for p, label in parts])
    order = rng.permutation(X.shape[0])
    return generated(
        name,
        X[order].astype(np.float32),
        y[order],
        feature_names=("x1", "x2"),
        class_names=BINARY,
        description=description,
        options=options,
    )


def spiral(*, n: int = 400, noise: float = 0.0, seed: int = 0) -> Dataset:
    """Playground's classifySpiralData: two interleaved spirals of m = n/2 points each.

    Point i of a spiral: r = 5 i / m, t = 1.75 * 2 pi * i / m + delta (delta 0 for class 1, pi for
    class 0), (x1, x2) = (r sin t, r cos t) + noise * U(-1, 1)^2.
    """
    n = check_int("spiral option n", n, low=2, example=400)
    noise = check_float("spiral option noise", noise, low=0.0, example=0.1)
    seed = check_seed("spiral option seed", seed)
    rng = np.random.default_rng(seed)
    parts = []
    for m, delta, label in zip(_halves(n), (0.0, np.pi), (1, 0), strict=True):
        i = np.arange(m)
        r = i / m * 5.0
        t = 1.75 * i / m * 2.0 * np.pi + delta
        pts = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
        pts = pts + rng.uniform(-1.0, 1.0, size=(m, 2)) * noise
        parts.append((pts, label))
    description = (
        f"spiral: {n} points on two interleaved spirals (TensorFlow Playground), r = 5 i/m, "
        f"angle 3.5 pi i/m (+ pi for class 0), noise {noise:g}*U(-1,1), seed {seed}"
    )
    return _finish("spiral", rng, parts, description, dict(n=n, noise=noise, seed=seed))


def gaussian(*, n: int = 400, noise: float = 0.0, seed: int = 0) -> Dataset:
    """Playground's classifyTwoGaussData: n/2 points N((2, 2), v I) labelled 1 and n/2 points
    N((-2, -2), v I) labelled 0, with variance v = 0.5 + 7 * noise (0.5 at noise 0, 4 at noise 0.5).
    """
    n = check_int("gaussian option n", n, low=2, example=400)
    noise = check_float("gaussian option noise", noise, low=0.0, example=0.1)
    seed = check_seed("gaussian option seed", seed)
    rng = np.random.default_rng(seed)
    variance = 0.5 + (4.0 - 0.5) * noise / 0.5
    std = float(np.sqrt(variance))
    parts = [
        (rng.normal(centre, std, size=(m, 2)), label)
        for m, centre, label in zip(_halves(n), ((2.0, 2.0), (-2.0, -2.0)), (1, 0), strict=True)
    ]
    description = (
        f"gaussian: {n} points in two Gaussian blobs (TensorFlow Playground), centre (2,2) class 1 "
        f"and (-2,-2) class 0, variance {variance:g} (noise {noise:g}), seed {seed}"
    )
    return _finish("gaussian", rng, parts, description, dict(n=n, noise=noise, seed=seed))


def rings(*, n: int = 400, noise: float = 0.0, seed: int = 0) -> Dataset:
    """Playground's classifyCircleData (radius R = 5): n/2 points with r ~ U(0, R/2) and n/2 with
    r ~ U(0.7 R, R), angle ~ U(0, 2 pi). The label is 1 where the point moved by noise * U(-R, R)^2
    lies within R/2 of the origin, else 0; the stored point is the unmoved one (so noise flips labels
    near the gap instead of moving points). At noise 0: class 1 is r < 2.5, class 0 is 3.5 <= r <= 5.
    """
    n = check_int("rings option n", n, low=2, example=400)
    noise = check_float("rings option noise", noise, low=0.0, example=0.1)
    seed = check_seed("rings option seed", seed)
    rng = np.random.default_rng(seed)
    radius = 5.0
    parts = []
    for m, (lo, hi) in zip(_halves(n), ((0.0, 0.5 * radius), (0.7 * radius, radius)), strict=True):
        r = rng.uniform(lo, hi, size=m)
        angle = rng.uniform(0.0, 2.0 * np.pi, size=m)
        pts = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
        moved = pts + rng.uniform(-radius, radius, size=(m, 2)) * noise
        labels = (np.hypot(moved[:, 0], moved[:, 1]) < 0.5 * radius).astype(np.int64)
        parts.extend((pts[labels == k], k) for k in (1, 0))
    description = (
        f"rings: {n} points (TensorFlow Playground 'circle'), class 1 r < 2.5, class 0 r in [3.5, 5], "
        f"labels of points moved by noise {noise:g}*U(-5,5), seed {seed}"
    )
    return _finish("rings", rng, parts, description, dict(n=n, noise=noise, seed=seed))


def quadrants(*, n: int = 400, noise: float = 0.0, seed: int = 0) -> Dataset:
    """Playground's classifyXORData (its "exclusive or"): n points uniform in [-5, 5]^2, each moved
    0.3 away from both axes, then by noise * U(-5, 5) per coordinate; label 1 where x1 * x2 >= 0 (the
    first and third quadrants) of the moved point, which is the one stored.
    """
    n = check_int("quadrants option n", n, low=2, example=400)
    noise = check_float("quadrants option noise", noise, low=0.0, example=0.1)
    seed = check_seed("quadrants option seed", seed)
    rng = np.random.default_rng(seed)
    pts = rng.uniform(-5.0, 5.0, size=(n, 2))
    pts = pts + np.where(pts > 0, 0.3, -0.3)
    pts = pts + rng.uniform(-5.0, 5.0, size=(n, 2)) * noise
    labels = (pts[:, 0] * pts[:, 1] >= 0).astype(np.int64)
    description = (
        f"quadrants: {n} points in [-5.3, 5.3]^2 (TensorFlow Playground 'exclusive or'), class 1 where "
        f"x1*x2 >= 0, noise {noise:g}*U(-5,5), seed {seed}"
    )
    return _finish("quadrants", rng, [(pts[labels == k], k) for k in (1, 0)], description,
                   dict(n=n, noise=noise, seed=seed))


def moons(*, n: int = 400, noise: float = 0.1, seed: int = 0) -> Dataset:
    """scikit-learn's ``make_moons(n, noise=noise, random_state=seed)``: two interleaving half
    circles, class 0 the upper one centred at (0, 0) and class 1 the lower one centred at (1, 0.5);
    noise is the standard deviation of Gaussian noise added to every point.
    """
    n = check_int("moons option n", n, low=2, example=400)
    noise = check_float("moons option noise", noise, low=0.0, example=0.1)
    seed = check_seed("moons option seed", seed)
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=n, noise=noise, random_state=seed)
    description = (
        f"moons: {n} points on two interleaving half circles (scikit-learn make_moons), "
        f"Gaussian noise std {noise:g}, seed {seed}"
    )
    return generated(
        "moons",
        X.astype(np.float32),
        y.astype(np.int64),
        feature_names=("x1", "x2"),
        class_names=BINARY,
        description=description,
        options=dict(n=n, noise=noise, seed=seed),
    )
