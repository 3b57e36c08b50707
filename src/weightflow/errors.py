"""The one error type users see.

Every message says what was expected, what came, and how to fix it, on one line, so the CLI can
print it as ``error: <message>`` and exit with code 2.
"""

from __future__ import annotations


class WeightflowError(ValueError):
    """Bad input to weightflow: a one-line message naming the problem and the fix."""


def described(what: str, expected: str, got: str, fix: str) -> WeightflowError:
    """Like :func:`bad_input`, with ``got`` already put in words (plain text, not a repr)."""
    return WeightflowError(f"{what}: expected {expected}, got {got}; {fix}")


def bad_input(what: str, expected: str, got: object, fix: str) -> WeightflowError:
    """Build a WeightflowError of the form ``<what>: expected <expected>, got <got>; <fix>``.

    >>> str(bad_input("--lr", "a number > 0", -1, "pass e.g. --lr 1e-3"))
    '--lr: expected a number > 0, got -1; pass e.g. --lr 1e-3'
    """
    return described(what, expected, repr(got), fix)
