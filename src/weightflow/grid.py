"""Hyperparameter grids as population axes (no jax here: run directories and pictures use it too).

A population run may range over a grid of values: the learning rate, any option the optimizer keeps
in its state (``Optimizer.in_state``: e.g. ``eta`` of the random walk, ``temperature`` of Metropolis
and Langevin, Adam's ``b1``) and ``init_scale`` (a factor on every initial weight matrix, biases
untouched). All of them are values in the state, not constants in the compiled update, so the whole
grid is one program. Members are laid out grid-point-major: the first axis varies slowest, the
seeds fastest; member ``g * population + m`` has grid point ``g`` and seed ``seed + m``.

In ``run.json`` the axes are named, in order, by ``config["grid"]``; their values stay where a single
run keeps the scalar: ``config["optimizer"]["lr"]``, ``config["optimizer"]["options"][NAME]`` and
``config["init_scale"]``, as lists.
"""

from __future__ import annotations

import itertools


def axis_values(config: dict) -> dict[str, list]:
    """The grid axes of a run config, in order: name -> list of values ({} for no grid). Runs
    written before ``grid`` existed have at most a list of learning rates."""
    opt = config.get("optimizer") or {}
    names = config.get("grid")
    if names is None:
        names = ["lr"] if isinstance(opt.get("lr"), list) else []
    out = {}
    for name in names:
        if name == "lr":
            out[name] = list(opt["lr"])
        elif name == "init_scale":
            out[name] = list(config["init_scale"])
        else:
            out[name] = list(opt["options"][name])
    return out


def points(axes: dict[str, list]) -> list[dict]:
    """Every grid point as {name: value}, first axis slowest ([{}] for no grid)."""
    return [dict(zip(axes, combo)) for combo in itertools.product(*axes.values())]


def label(point: dict) -> str:
    """A short label of a grid point, e.g. ``lr 0.1, eta 5``."""
    return ", ".join(f"{name.replace('_', ' ')} {value:g}" for name, value in point.items())


def member_point(config: dict, m: int) -> dict:
    """The grid point of member ``m`` ({} for no grid)."""
    axes = axis_values(config)
    if not axes:
        return {}
    per = int(config.get("population") or 1)
    return points(axes)[m // per]


def member_config(config: dict, m: int) -> dict:
    """The config member ``m`` of a population would have had alone: its seed, and the scalar values
    of its grid point in place of the lists."""
    point = member_point(config, m)
    per = int(config.get("population") or 1)
    opt = dict(config["optimizer"])
    opt["options"] = dict(opt.get("options") or {})
    out = {**config, "population": None, "members": None, "seed": config["seed"] + m % per, "member": m,
           "grid": None}
    for name, value in point.items():
        if name == "lr":
            opt["lr"] = value
        elif name == "init_scale":
            out["init_scale"] = value
        else:
            opt["options"][name] = value
    out["optimizer"] = opt
    return out
