"""Write experiments/data/ps5.csv: seed 004's problem set data (columns x1, x2, class), made here.

The notebook downloads its CSV from a course page; we ship a generated stand-in of the same form:
200 points, two features on different scales (so standardising matters), a binary class whose
boundary is a parabola: class 1 above x2 = 4 (x1 - 5)^2 - 20, class 0 below. A 2 -> 3 -> 1 sigmoid
net draws that bend with two of its hidden units (a soft V), which is why the shape was chosen.
x1 ~ U(0, 10), x2 ~ U(-30, 60), fixed seed 5; points within 1.5 of the boundary (in x2) are moved
off it so that the classes are separable with a margin.

    python scripts/make_ps5_csv.py [OUT]        # default experiments/data/ps5.csv
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

N, SEED, MARGIN = 200, 5, 1.5
OUT = Path(__file__).resolve().parent.parent / "experiments" / "data" / "ps5.csv"


def boundary(x1: np.ndarray) -> np.ndarray:
    return 4.0 * (x1 - 5.0) ** 2 - 20.0


def make(n: int = N, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """(X (n, 2) rounded to 3 decimals, class (n,) in {0, 1})."""
    rng = np.random.default_rng(seed)
    x1 = rng.uniform(0.0, 10.0, n)
    x2 = rng.uniform(-30.0, 60.0, n)
    gap = x2 - boundary(x1)
    x2 = np.where(np.abs(gap) < MARGIN, boundary(x1) + np.sign(gap + 1e-12) * MARGIN, x2)
    X = np.round(np.stack([x1, x2], axis=1), 3)
    y = (X[:, 1] > boundary(X[:, 0])).astype(np.int64)
    return X, y


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else OUT
    X, y = make()
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = ["x1,x2,class"] + [f"{a:.3f},{b:.3f},{c}" for (a, b), c in zip(X, y)]
    out.write_text("\n".join(lines) + "\n")
    print(f"{out}: {len(y)} rows, class 1: {int(y.sum())}, class 0: {int(len(y) - y.sum())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
