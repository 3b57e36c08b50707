"""The state a run starts from: every member's parameters, optimizer state and keys, stacked on a
leading member axis and spread over the devices."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from . import host_random as hr
from .model import MLP
from .optim import make_optimizer, set_hyperparams
from .program import TrainState, jit_program


def initial_state(model: MLP, optimizer, lr, options, seeds: list[int], init,
                  member_values: dict | None = None, init_scale: list[float] | None = None):
    """Every member's TrainState stacked on a leading axis (members,): keys from each member's seed,
    each member's values of in-state options (``member_values``: name -> (members,), see
    ``grid``), and each member's initial weight matrices times its ``init_scale``.

    The keys and initial weights are drawn on the host (``host_random``: jax.random's threefry in
    numpy), so the only program is the optimizer's initial state (cached per model, rule and options;
    the learning rate and grid values are its inputs). Take a single run's member out with
    ``first_member``, not ``a[0]``, which compiles a program per leaf shape."""
    n = len(seeds)
    keys = hr.split(hr.prng_key(seeds), 3)  # (n, 3, 2): per member the init, data-order and rule keys
    k_init, k_data, k_opt = keys[:, 0], keys[:, 1], keys[:, 2]
    if init is None:
        params0 = model.init_params(k_init)
    else:
        params0 = [np.broadcast_to(p, (n, *p.shape)) for p in model.check_params(init)]
    scale = np.asarray([1.0] * n if init_scale is None else init_scale, np.float32)
    params0 = [np.ascontiguousarray(p * scale.reshape(-1, 1, 1) if p.ndim == 3 else p)
               for p in params0]  # weight matrices (members, in, out); biases keep their init
    inputs = (params0, k_opt, np.asarray(lr, np.float32), {k: np.asarray(v) for k, v in (member_values or {}).items()})
    if isinstance(optimizer, str):
        frozen = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in options.items()))
        opt_state = _compiled_opt_init(optimizer, frozen)(*inputs)
    else:  # a custom optax object: one program too, not kept
        opt_state = jit_program(functools.partial(_init_opt, optimizer, dict(options)), quick=True)(*inputs)
    return TrainState(params0, opt_state, k_data, np.zeros((n,), np.int32))


@functools.lru_cache(maxsize=8)  # bounded: a long process training many shapes keeps only the recent ones
def _compiled_opt_init(rule: str, options: tuple):
    """One jitted program per rule and options (jax retraces it per parameter shape)."""
    return jit_program(functools.partial(_init_opt, rule, dict(options)), True,  # runs once: compile fast
                       ("optimizer start", rule, options))


def _init_opt(rule, options, params0, k_opt, lr, member_values):
    """Every member's optimizer state for (members, ...) ``params0``. A rule's state takes its member's
    key; optax's ignore it. The rule is built with lr 1 and its state then given the real one, so the
    learning rate is an input, not a constant of the program."""
    opt = make_optimizer(rule, 1.0, **options) if isinstance(rule, str) else make_optimizer(rule)
    opt_state = jax.vmap(lambda p, k: make_optimizer(rule, 1.0, key=k, **options).tx.init(p))(params0, k_opt)
    values = dict(member_values)
    if isinstance(rule, str) and opt.lr_in_state and "lr" not in values:  # a given Optimizer keeps its own
        values["lr"] = jnp.broadcast_to(lr, (len(k_opt),))
    return set_hyperparams(opt_state, values) if values else opt_state


def first_member(state: TrainState) -> TrainState:
    """Member 0 of a stacked state (a single run's state), sliced on the host and put back on the
    device: no program is compiled (indexing a jax array compiles one per leaf shape)."""
    return jax.device_put(jax.tree_util.tree_map(lambda a: a[0], jax.device_get(state)))


def shard_members(state: TrainState, members: int):
    """Spread the member axis over every visible device (results equal one device's); returns the
    state and the number of devices used. Needs members divisible by the device count."""
    n_dev = jax.device_count()
    if n_dev == 1 or members % n_dev:
        return state, 1
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    mesh = Mesh(np.asarray(jax.devices()), ("members",))
    # from the host: moving device arrays to a sharding would compile a slicing program per leaf shape
    return jax.device_put(jax.device_get(state), NamedSharding(mesh, PartitionSpec("members"))), n_dev
