"""What the image and confusion pictures read from a run's config: class names, image shapes."""

from __future__ import annotations

import math
import re

_PIXEL = re.compile(r"^px_(\d+)_(\d+)$")


def data_names(run, key: str) -> list[str]:
    """``feature_names`` or ``class_names`` as stored with the run (may be empty)."""
    return [str(n) for n in getattr(run.config.data, key)]


def n_classes(run) -> int:
    return max(2, run.model.sizes[-1])


def class_labels(run) -> list[str]:
    """One name per class: the dataset's, else 0..K-1."""
    names, k = data_names(run, "class_names"), n_classes(run)
    return names if len(names) == k else [str(i) for i in range(k)]


def image_shape(run) -> tuple[int, int] | None:
    """(rows, cols) when the inputs are the pixels of an image, else None.

    Pixels are recognised by their names: ``px_R_C`` (mnist: row R, column C) or ``px0``.. ``pxN`` with a
    square count (digits: 8x8, row-major). Other inputs, even 64 of them, are not drawn as images.
    """
    names, d = data_names(run, "feature_names"), run.model.sizes[0]
    if len(names) != d or d < 4:
        return None
    cells = [_PIXEL.match(n) for n in names]
    if all(cells):
        rows = 1 + max(int(m.group(1)) for m in cells)
        cols = 1 + max(int(m.group(2)) for m in cells)
        expected = [f"px_{r}_{c}" for r in range(rows) for c in range(cols)]
        return (rows, cols) if names == expected else None
    side = math.isqrt(d)
    if side * side == d and names == [f"px{i}" for i in range(d)]:
        return (side, side)
    return None
