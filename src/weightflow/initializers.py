"""Weight initialisers, named by short spec strings.

Specs: ``glorot-uniform`` (Keras' default), ``glorot-normal``, ``he`` (He normal, for ReLU),
``he-uniform``, ``uniform:A`` (uniform in [-A, A], seed 003 uses A=1), ``normal:S`` (N(0, S^2)),
``lattice:ETA`` (each entry one of {-ETA, 0, +ETA} with probability 1/3, seed 000) and ``zeros``.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass

import numpy as np

from .errors import bad_input

_DEFAULT_PARAM = {"uniform": 1.0, "normal": 0.1, "lattice": 1.0}
_NAMES = ("glorot-uniform", "glorot-normal", "he", "he-uniform", "uniform", "normal", "lattice", "zeros")


@dataclass(frozen=True)
class Initializer:
    """A parsed initialiser spec: ``name`` and its scale ``param`` (None where it has none)."""

    name: str
    param: float | None = None

    @classmethod
    def parse(cls, spec: "str | Initializer") -> "Initializer":
        """Parse ``"uniform:0.5"``-style specs; raise WeightflowError on unknown names or bad scales."""
        if isinstance(spec, Initializer):
            return spec
        text = str(spec).strip().lower()
        name, _, arg = text.partition(":")
        if name not in _NAMES:
            close = difflib.get_close_matches(name, _NAMES, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise bad_input("init", "one of " + ", ".join(_NAMES) + " (uniform/normal/lattice take ':SCALE')",
                            spec, hint + "e.g. --init glorot-uniform or --init uniform:1")
        if name not in _DEFAULT_PARAM:
            if arg:
                raise bad_input("init", f"{name} without a ':SCALE' suffix", spec, f"write --init {name}")
            return cls(name)
        if not arg:
            return cls(name, _DEFAULT_PARAM[name])
        try:
            value = float(arg)
        except ValueError:
            value = float("nan")
        if not value > 0 or not math.isfinite(value):
            raise bad_input("init", f"{name}:SCALE with SCALE a number > 0", spec, f"e.g. --init {name}:1")
        return cls(name, value)

    def __str__(self) -> str:
        return self.name if self.param is None else f"{self.name}:{self.param:g}"

    def weight(self, key, shape: tuple[int, int]) -> np.ndarray:
        """Draw a float32 weight matrix of ``shape`` = (fan_in, fan_out) from the PRNG ``key`` (2,) uint32,
        or one per key for keys (*batch, 2): (*batch, fan_in, fan_out). The draws are jax.random's
        (``jax.random.uniform(key, shape, ...)`` etc.), made on the host (see ``host_random``)."""
        from . import host_random as hr

        keys = np.asarray(key, np.uint32)
        fan_in, fan_out = shape
        if self.name in ("glorot-uniform", "he-uniform", "uniform"):
            limit = {"glorot-uniform": math.sqrt(6.0 / (fan_in + fan_out)), "he-uniform": math.sqrt(6.0 / fan_in),
                     "uniform": self.param}[self.name]
            return hr.uniform(keys, shape, -limit, limit)
        if self.name in ("glorot-normal", "he", "normal"):
            std = {"glorot-normal": math.sqrt(2.0 / (fan_in + fan_out)), "he": math.sqrt(2.0 / fan_in),
                   "normal": self.param}[self.name]
            return np.float32(std) * hr.normal(keys, shape)
        if self.name == "lattice":
            return np.float32(self.param) * (hr.randint(keys, shape, 0, 3) - 1).astype(np.float32)
        return np.zeros((*keys.shape[:-1], *shape), np.float32)
