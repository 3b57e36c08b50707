"""The state a run starts from: every member's parameters, optimizer state and keys, stacked on a
leading member axis and spread over the devices."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from .model import MLP
from .optim import make_optimizer, set_hyperparams
from .program import TrainState, use_compilation_cache


def initial_state(model: MLP, optimizer, lr, options, seeds: list[int], init, perm_len: int,
                  member_values: dict | None = None, init_scale: list[float] | None = None):
    """Every member's TrainState stacked on a leading axis (members,): keys from each member's seed,
    each member's values of in-state options (``member_values``: name -> (members,), see
    ``grid``), and each member's initial weight matrices times its ``init_scale``.

    For a named rule this is one compiled program (cached per model, rule and options; the seeds,
    learning rate and grid values are its inputs), so starting a run never executes op by op (the
    inputs go in as numpy; take a single run's member out with ``first_member``, not ``a[0]``, which
    compiles a program per leaf shape)."""
    use_compilation_cache()  # before the first compile of a run: the start comes from disk too
    n = len(seeds)
    given = None if init is None else [np.asarray(p, np.float32) for p in model.check_params(init)]
    inputs = (np.asarray(seeds, np.uint32), given,
              np.asarray([1.0] * n if init_scale is None else init_scale, np.float32),
              np.asarray(lr, np.float32), {k: np.asarray(v) for k, v in (member_values or {}).items()})
    if isinstance(optimizer, str):
        frozen = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in options.items()))
        return _compiled_init(model, optimizer, frozen, perm_len)(*inputs)
    start = jax.jit(functools.partial(_init_members, model, optimizer, dict(options), perm_len))
    return start(*inputs)  # a custom optax object: one program too, not kept


@functools.lru_cache(maxsize=8)  # bounded: a long process training many shapes keeps only the recent ones
def _compiled_init(model: MLP, rule: str, options: tuple, perm_len: int):
    """One jitted program per model, rule and options (jax retraces it for given initial parameters)."""
    return jax.jit(functools.partial(_init_members, model, rule, dict(options), perm_len))


def _init_members(model, rule, options, perm_len, seeds, given, scale, lr, member_values):
    keys = jax.vmap(lambda s: jax.random.split(jax.random.PRNGKey(s), 3))(seeds)
    k_init, k_data, k_opt = keys[:, 0], keys[:, 1], keys[:, 2]
    if given is not None:
        params0 = [jnp.broadcast_to(p, (len(seeds), *p.shape)) for p in given]
    else:
        params0 = jax.vmap(model.init_params)(k_init)
    params0 = [p * scale.reshape(-1, *([1] * (p.ndim - 1))).astype(p.dtype) if p.ndim == 3 else p
               for p in params0]  # weight matrices (members, in, out); biases keep their init
    # a rule's state takes its member's key; optax's ignore it. The rule is built with lr 1 and its
    # state then given the real one, so the learning rate is an input, not a constant of the program
    opt = make_optimizer(rule, 1.0, **options) if isinstance(rule, str) else make_optimizer(rule)
    opt_state = jax.vmap(lambda p, k: make_optimizer(rule, 1.0, key=k, **options).tx.init(p))(params0, k_opt)
    values = dict(member_values)
    if isinstance(rule, str) and opt.lr_in_state and "lr" not in values:  # a given Optimizer keeps its own
        values["lr"] = jnp.broadcast_to(lr, (len(seeds),))
    if values:
        opt_state = set_hyperparams(opt_state, values)
    perm = jnp.zeros((len(seeds), perm_len), jnp.int32)
    return TrainState(list(params0), opt_state, perm, k_data, jnp.zeros((len(seeds),), jnp.int32))


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
