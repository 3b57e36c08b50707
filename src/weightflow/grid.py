"""Hyperparameter grids as population axes (no jax here: run directories and pictures use it too).

A population run may range over a grid of values: the learning rate, any option the optimizer keeps
in its state (``Optimizer.in_state``: e.g. ``eta`` of the random walk, ``temperature`` of Metropolis
and Langevin, Adam's ``b1``) and ``init_scale`` (a factor on every initial weight matrix, biases
untouched). All of them are values in the state, not constants in the compiled update, so the whole
grid is one program. Members are laid out grid-point-major: the first axis varies slowest, the
seeds fastest; member ``g * population + m`` has grid point ``g`` and seed ``seed + m``.

A run's axes and the config of each member are ``RunConfig.axes()`` and ``RunConfig.member_config(m)``
(:mod:`weightflow.config`); this module holds the pure helpers on ``{name: values}`` dicts.
"""

from __future__ import annotations

import itertools


def points(axes: dict[str, list]) -> list[dict]:
    """Every grid point as {name: value}, first axis slowest ([{}] for no grid)."""
    return [dict(zip(axes, combo)) for combo in itertools.product(*axes.values())]


def label(point: dict) -> str:
    """A short label of a grid point, e.g. ``lr 0.1, eta 5``."""
    return ", ".join(f"{name.replace('_', ' ')} {value:g}" for name, value in point.items())
