"""Validation of dataset options, from :mod:`weightflow.validate` (the one module of checks).

``where`` names the thing being checked in the message, e.g. ``"linear-embedded option n"``.
"""

from __future__ import annotations

from weightflow.errors import described as fail  # noqa: F401  (got shown as plain text, not a repr)
from weightflow.validate import boolean as check_bool  # noqa: F401
from weightflow.validate import finite as check_float  # noqa: F401
from weightflow.validate import integer as check_int
from weightflow.validate import pair as check_pair  # noqa: F401


def check_seed(where: str, value: object) -> int:
    """A non-negative integer seed for ``np.random.default_rng``."""
    return check_int(where, value, low=0)
