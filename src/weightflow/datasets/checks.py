"""Validation of dataset options: each check returns the clean value or raises a one-line WeightflowError.

``where`` names the thing being checked in the message, e.g. ``"linear-embedded option n"``.
"""

from __future__ import annotations

import math
import numbers

from weightflow.errors import WeightflowError, bad_input


def fail(what: str, expected: str, got: str, fix: str) -> WeightflowError:
    """Like :func:`weightflow.errors.bad_input`, but ``got`` is plain text, not a repr."""
    return WeightflowError(f"{what}: expected {expected}, got {got}; {fix}")


def check_int(where: str, value: object, low: int | None = None, example: object = None) -> int:
    """An integer (a float like 3.0 is accepted), at least ``low`` if given."""
    fix = f"pass e.g. {max(low or 0, 1) if example is None else example}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise bad_input(where, "an integer", value, fix)
    if not isinstance(value, numbers.Integral):
        if not (math.isfinite(float(value)) and float(value).is_integer()):
            raise bad_input(where, "an integer", value, fix)
    out = int(value)
    if low is not None and out < low:
        raise bad_input(where, f"an integer >= {low}", out, fix)
    return out


def check_float(where: str, value: object, low: float | None = None, example: object = None) -> float:
    """A finite number, at least ``low`` if given."""
    fix = f"pass e.g. {max(low or 0.0, 0.1) if example is None else example:g}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise bad_input(where, "a number", value, fix)
    out = float(value)
    if not math.isfinite(out):
        raise bad_input(where, "a finite number", value, fix)
    if low is not None and out < low:
        raise bad_input(where, f"a number >= {low:g}", out, fix)
    return out


def check_bool(where: str, value: object) -> bool:
    """True or False (numpy booleans and the integers 0/1 too)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral) and int(value) in (0, 1):
        return bool(value)
    try:
        import numpy as np

        if isinstance(value, np.bool_):
            return bool(value)
    except ImportError:  # pragma: no cover - numpy is a dependency
        pass
    raise bad_input(where, "True or False", value, "pass e.g. True")


def check_pair(where: str, value: object) -> tuple[float, float]:
    """Two finite numbers, e.g. the coefficients (a, b) of a*x1 + b*x2."""
    try:
        items = list(value)  # type: ignore[call-overload]
    except TypeError:
        raise bad_input(where, "two numbers (a, b)", value, "pass e.g. (1.0, 2.0)") from None
    if len(items) != 2 or any(
        isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(float(v)) for v in items
    ):
        raise bad_input(where, "two finite numbers (a, b)", value, "pass e.g. (1.0, 2.0)")
    return (float(items[0]), float(items[1]))


def check_seed(where: str, value: object) -> int:
    """A non-negative integer seed for ``np.random.default_rng``."""
    return check_int(where, value, low=0)
