"""Hidden-layer activation functions by name (elementwise, any shape).

Names are checked without importing jax; the functions themselves come from ``jax_activation``
(the engine) or ``numpy_activation`` (pictures and reloaded runs, no jax needed).
"""

from __future__ import annotations

import difflib

import numpy as np

from .errors import bad_input

LEAKY_SLOPE = 0.01  # PyTorch's and jax.nn's default negative slope
NAMES = ("sigmoid", "tanh", "relu", "leaky-relu", "linear")


def check_activation(name: str, what: str = "activation") -> str:
    """Return ``name`` if it is a known activation, else raise a WeightflowError with the fix."""
    if name not in NAMES:
        close = difflib.get_close_matches(str(name), NAMES, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise bad_input(what, "one of " + ", ".join(NAMES), name, hint + "pick one of those")
    return name


def jax_activation(name: str):
    """The jax function for ``name``."""
    import jax
    import jax.numpy as jnp

    return {"sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh, "relu": jax.nn.relu,
            "leaky-relu": lambda z: jax.nn.leaky_relu(z, LEAKY_SLOPE), "linear": lambda z: z}[name]


def numpy_activation(name: str):
    """The numpy function for ``name``; sigmoid as 0.5*(1+tanh(z/2)), which cannot overflow."""
    return {"sigmoid": lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)), "tanh": np.tanh,
            "relu": lambda z: np.maximum(z, 0), "leaky-relu": lambda z: np.where(z >= 0, z, LEAKY_SLOPE * z),
            "linear": lambda z: z}[name]
