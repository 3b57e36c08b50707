"""Checks of user input, one place for all of them: each returns the clean value or raises a one-line
:class:`~weightflow.errors.WeightflowError` of the form ``what: expected ..., got ...; fix``.

``what`` names the thing checked as the user knows it (``--lr``, ``eta``, ``linear-embedded option n``);
``example`` is what a fix looks like (``--lr 1e-3``). No jax.
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

import numpy as np

from .errors import bad_input


def _as_float(value) -> float:
    """``value`` as a float, NaN when it is not a number (booleans are not numbers here)."""
    if isinstance(value, bool):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def positive(value, what: str, example: str, allow_zero: bool = False, expected: str | None = None) -> float:
    """A finite number > 0 (>= 0 with ``allow_zero``); ``expected`` words it for the message."""
    v = _as_float(value)
    if not (math.isfinite(v) and (v >= 0 if allow_zero else v > 0)):
        expected = expected or f"a number {'>=' if allow_zero else '>'} 0"
        raise bad_input(what, expected, value, f"e.g. {example}")
    return v


def positive_int(value, what: str, example: str) -> int:
    """A whole number > 0 (3.0 passes, 3.5 and True do not)."""
    v = _as_float(value)
    if not (math.isfinite(v) and v.is_integer() and v > 0):
        raise bad_input(what, "a whole number > 0", value, f"e.g. {example}")
    return int(v)


def seed(value, what: str) -> int:
    """A whole number >= 0 (an integer type: 1.0 is refused, as numpy's seeding would)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise bad_input(what, "a whole number >= 0", value, f"e.g. --{what.replace('_', '-')} 0")
    return int(value)


def choice(value, choices: tuple[str, ...], what: str, example: str) -> str:
    """One of ``choices`` (case and surrounding spaces ignored)."""
    text = str(value).strip().lower()
    if text not in choices:
        raise bad_input(what, "one of " + ", ".join(choices), value, f"e.g. {example}")
    return text


def fraction(value, what: str, fix: str) -> float:
    """A share in [0, 1) given as a number (text and booleans are refused), e.g. a held-out share."""
    ok = not isinstance(value, bool) and isinstance(value, numbers.Real)
    if not (ok and math.isfinite(float(value)) and 0.0 <= float(value) < 1.0):
        raise bad_input(what, "a fraction in [0, 1)", value, fix)
    return float(value)


def unit_factor(value, what: str, example: str) -> float:
    """A factor in (0, 1], e.g. a decay per step."""
    v = _as_float(value)
    if not 0 < v <= 1:
        raise bad_input(what, "a factor per step in (0, 1]", value, f"e.g. {example}")
    return v


def probabilities(value, n: int, what: str, example: str) -> tuple[float, ...]:
    """``n`` probabilities >= 0 summing to 1: a sequence, or text like ``"1/3,1/3,1/3"``."""
    items = [part.strip() for part in value.split(",")] if isinstance(value, str) else value
    try:
        probs = tuple(float(Fraction(p)) if isinstance(p, str) else float(p) for p in items)
    except (TypeError, ValueError, ZeroDivisionError):
        probs = None
    ok = probs is not None and len(probs) == n and all(math.isfinite(p) and p >= 0 for p in probs) \
        and abs(sum(probs) - 1.0) <= 1e-6
    if not ok:
        raise bad_input(what, f"{n} probabilities >= 0 summing to 1", value, f"e.g. {example}")
    return probs


def integer(where: str, value: object, low: int | None = None, example: object = None) -> int:
    """An integer (a float like 3.0 is accepted), at least ``low`` if given."""
    fix = f"pass e.g. {max(low or 0, 1) if example is None else example}"
    v = _as_float(value) if isinstance(value, numbers.Real) else math.nan
    if not (math.isfinite(v) and v.is_integer()):
        raise bad_input(where, "an integer", value, fix)
    if low is not None and int(v) < low:
        raise bad_input(where, f"an integer >= {low}", int(v), fix)
    return int(v)


def finite(where: str, value: object, low: float | None = None, example: object = None) -> float:
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


def boolean(where: str, value: object) -> bool:
    """True or False (numpy booleans and the integers 0/1 too)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral) and int(value) in (0, 1):
        return bool(value)
    raise bad_input(where, "True or False", value, "pass e.g. True")


def pair(where: str, value: object) -> tuple[float, float]:
    """Two finite numbers, e.g. the coefficients (a, b) of a*x1 + b*x2."""
    try:
        items = list(value)  # type: ignore[call-overload]
    except TypeError:
        raise bad_input(where, "two numbers (a, b)", value, "pass e.g. (1.0, 2.0)") from None
    if len(items) != 2 or not all(math.isfinite(_as_float(v)) for v in items):
        raise bad_input(where, "two finite numbers (a, b)", value, "pass e.g. (1.0, 2.0)")
    return (float(items[0]), float(items[1]))


def whole_in(value, low: int, high: int, what: str, expected: str, fix: str) -> int:
    """A whole number from ``low`` to ``high`` (3.0 passes, 3.5 and True do not)."""
    v = _as_float(value)
    if not (math.isfinite(v) and v.is_integer() and low <= v <= high):
        raise bad_input(what, expected, value, fix)
    return int(v)


def index(value, n: int, what: str, expected: str, fix: str) -> int:
    """A Python index into ``n`` things (negative counts from the end), returned as 0..n-1."""
    v = _as_float(value)
    if not (math.isfinite(v) and v.is_integer() and -n <= v < n):
        raise bad_input(what, expected, value, fix)
    return int(v) % n
