"""Arrays for the page: base64 float32/float16 blobs and even subsampling. numpy only.

A blob is ``{"dtype": "float32"|"float16", "shape": [...], "b64": "..."}`` holding the array in C
order, little-endian; the page decodes it back into a Float32Array.
"""

from __future__ import annotations

import base64

import numpy as np

FLOAT16_MAX = 65504.0


def encode(array, dtype: str = "float32") -> tuple[dict, float]:
    """``(blob, max_abs_error)`` of ``array`` stored as ``dtype`` (the error against the float64 values)."""
    a = np.asarray(array, np.float64)
    stored = a.astype("<f4" if dtype == "float32" else "<f2")
    err = float(np.max(np.abs(stored.astype(np.float64) - a))) if a.size else 0.0
    blob = {"dtype": dtype, "shape": list(a.shape), "b64": base64.b64encode(stored.tobytes()).decode("ascii")}
    return blob, err


def decode(blob: dict) -> np.ndarray:
    """The inverse of ``encode`` (as float64), for tests and tools."""
    raw = base64.b64decode(blob["b64"])
    return np.frombuffer(raw, "<f4" if blob["dtype"] == "float32" else "<f2").astype(np.float64).reshape(blob["shape"])


def even_indices(n: int, keep: int) -> np.ndarray:
    """At most ``keep`` (>= 2) indices spread evenly over ``range(n)``, first and last included, sorted."""
    if n <= keep:
        return np.arange(n)
    return np.unique(np.round(np.linspace(0, n - 1, max(2, keep))).astype(np.int64))


def choose_storage(values_per_frame: int, frames: int, budget_bytes: int, dtype: str | None,
                   max_abs: float) -> tuple[str, int]:
    """Pick ``(dtype, frames to keep)`` so the frames fit ``budget_bytes`` of raw bytes.

    float32 when every frame fits, else float16 (unless weights exceed float16's range or a dtype is
    forced), then even subsampling of what still does not fit.
    """
    if dtype is None:
        dtype = "float32" if values_per_frame * frames * 4 <= budget_bytes or max_abs >= FLOAT16_MAX else "float16"
    size = 4 if dtype == "float32" else 2
    keep = max(2, budget_bytes // max(1, values_per_frame * size))
    return dtype, int(min(frames, keep))
