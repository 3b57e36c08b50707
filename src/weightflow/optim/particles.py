"""Stein variational gradient descent (Liu & Wang 2016) as a training rule over a population.

A population's members are particles x_1..x_n (each one member's parameters, flattened to (P,)).
Each moves along

    phi(x_i) = 1/n sum_j [k(x_j, x_i) grad log p(x_j) + grad_{x_j} k(x_j, x_i)],    x_i <- x_i + lr * phi(x_i):

the first term is gradient ascent on log p smoothed over neighbours, the second pushes particles
apart, so the population spreads over the target instead of every member falling into its mode.

The target (the loss plus a Gaussian prior):

    log p(theta) = -data_size * L(theta) / temperature - |theta|^2 / (2 prior_std^2),

L the mean training loss of the batch (full batch: of the training set); ``data_size`` is the number
of training samples (``train`` fills it in; with minibatches, data_size * grad L estimates the whole
set's gradient, as in stochastic-gradient MCMC). temperature 1 is the Bayesian posterior of the
model's likelihood (bce, ce) under the prior.

Kernels:

- ``rbf``: k(x, x') = exp(-|x - x'|^2 / h). ``bandwidth="median"`` takes h = med^2 / log(n + 1), med the
  median pairwise distance of the current particles (i != j) (Liu & Wang's convention, as in their
  code: there k = exp(-|x - x'|^2 / (2 s^2)) with s^2 = med^2 / (2 log(n + 1)), the same k). A number
  gives h itself.
- ``linear``: k(x, x') = x . x' + 1. For a Gaussian target, n >= d + 1 particles at the fixed point have
  exactly the target's mean and covariance (Liu & Wang 2018, "SVGD as moment matching").

The engine runs a population as one program vmapped over the members with the axis named
:data:`MEMBERS`; the rule's ``update`` gathers every member's parameters and scores with
``jax.lax.all_gather`` and returns its own particle's step. A single run has no such axis and is
refused (``Optimizer.needs_population``). History column: ``bandwidth`` (h of the rbf kernel at the
last step; NaN for the linear kernel).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ..errors import bad_input, described
from ..validate import choice, positive, positive_int
from .base import MEMBERS, Optimizer
from .evolution import _flat, _unflat

KERNELS = ("rbf", "linear")


def check_kernel(kernel, bandwidth) -> tuple[str, str | float]:
    """The kernel's name and its bandwidth ("median" or a number h > 0), checked."""
    kernel = choice(kernel, KERNELS, "svgd kernel", "kernel='rbf'")
    if isinstance(bandwidth, str) and bandwidth.strip().lower() == "median":
        return kernel, "median"
    return kernel, positive(bandwidth, "svgd bandwidth", "bandwidth='median'", expected="'median' or a number h > 0")


def median_bandwidth(particles: jax.Array) -> jax.Array:
    """h = med^2 / log(n + 1), med the median pairwise distance of ``particles`` (n, d) (i != j); 1 for
    one particle (its kernel with itself is 1 whatever h)."""
    n = particles.shape[0]
    if n < 2:
        return jnp.ones((), particles.dtype)
    norms = jnp.sum(particles ** 2, axis=-1)
    # the Gram form keeps memory at (n, n) instead of (n, n, d): a population of big networks
    sq = jnp.maximum(norms[:, None] + norms[None, :] - 2.0 * particles @ particles.T, 0.0)
    off = sq[~np.eye(n, dtype=bool)]
    return jnp.maximum(jnp.median(off), 1e-12) / math.log(n + 1)


def bandwidth_of(particles: jax.Array, kernel: str, bandwidth) -> jax.Array:
    """The rbf kernel's h for ``particles`` (n, d) (median rule or the given number); NaN for linear."""
    if kernel == "linear":
        return jnp.full((), jnp.nan, particles.dtype)
    return median_bandwidth(particles) if bandwidth == "median" else jnp.asarray(float(bandwidth), particles.dtype)


def stein_direction(at: jax.Array, particles: jax.Array, scores: jax.Array, kernel: str, h) -> jax.Array:
    """phi (k, d) at the points ``at`` (k, d), given the particles (n, d), their scores
    grad log p (n, d) and, for rbf, the bandwidth h (a scalar)."""
    n = particles.shape[0]
    if kernel == "linear":
        k = particles @ at.T + 1.0  # k[j, i] = k(x_j, x_i)
        return (k.T @ scores) / n + at  # grad_{x_j} (x_j . x + 1) = x
    diff = at[:, None, :] - particles[None, :, :]  # diff[i, j] = x_i - x_j
    k = jnp.exp(-jnp.sum(diff ** 2, axis=-1) / h)  # (k, n)
    repulsion = (2.0 / h) * jnp.einsum("ij,ijd->id", k, diff)  # sum_j grad_{x_j} k(x_j, x_i)
    return (k @ scores + repulsion) / n


def svgd_direction(particles: jax.Array, grad_logp, kernel: str = "rbf", bandwidth="median") -> jax.Array:
    """phi (n, d) for ``particles`` (n, d); ``grad_logp`` maps (n, d) to the scores (n, d)."""
    kernel, bandwidth = check_kernel(kernel, bandwidth)
    h = bandwidth_of(particles, kernel, bandwidth)
    return stein_direction(particles, particles, grad_logp(particles), kernel, h)


# --- the training rule ---------------------------------------------------------------------------------

class SVGDState(NamedTuple):
    """Steps taken and the rbf bandwidth h of the last step (NaN before the first, and for linear)."""

    steps: jax.Array
    bandwidth: jax.Array


def _refusal(name: str):
    return described(f"optimizer {name}", "a population (its members are the particles)", "a single run",
                     "add population=N (--population N), e.g. population=16")


def require_population(opt: Optimizer, population) -> None:
    """Refuse a single run (``population`` None) of a rule whose members interact (``needs_population``)."""
    if opt.needs_population and population is None:
        raise _refusal(opt.name)


def with_data_size(optimizer, options: dict, n_train: int) -> dict:
    """``options`` with ``data_size`` set to ``n_train`` when the rule named ``optimizer`` takes one and
    it is not given (SVGD's target scales the mean loss by the number of training samples)."""
    from . import BUILDERS, option_defaults

    name = optimizer.strip().lower() if isinstance(optimizer, str) else None
    if name in BUILDERS and "data_size" in option_defaults(name) and options.get("data_size") is None:
        return {**options, "data_size": int(n_train)}
    return options


def _gather(x):
    """Every member's ``x`` stacked (members, ...), inside the engine's vmap over :data:`MEMBERS`."""
    try:
        return jax.lax.all_gather(x, MEMBERS)
    except NameError:  # no member axis: a single run in a loop that did not call require_population
        raise _refusal("svgd") from None


def svgd(lr: float, *, key=None, kernel: str = "rbf", bandwidth="median", prior_std: float = 1.0,
         temperature: float = 1.0, data_size: int | None = None) -> Optimizer:
    """SVGD over a population's members (see the module docstring): x_i <- x_i + lr * phi(x_i).

    kernel: ``rbf`` or ``linear``; bandwidth: ``median`` or h > 0 (rbf); prior_std: the Gaussian
    prior's std s; temperature: T in log p = -data_size * L / T - |theta|^2 / (2 s^2); data_size: the
    number of training samples (None: ``train`` fills in the training set's size).
    """
    del key
    lr = positive(lr, "lr", "--lr 1e-3", expected="a step size > 0")
    kernel, bandwidth = check_kernel(kernel, bandwidth)
    prior_std = positive(prior_std, "prior_std", "--prior-std 1")
    temperature = positive(temperature, "temperature", "--temperature 1", expected="a temperature > 0")
    if data_size is not None:
        data_size = positive_int(data_size, "data_size", "--data-size 200 (training samples)")

    def init(params):
        del params
        return SVGDState(jnp.zeros((), jnp.int32), jnp.full((), jnp.nan, jnp.float32))

    def update(grads, state: SVGDState, params, value=None, value_fn=None, **extra):
        del value, value_fn, extra
        if data_size is None:
            raise bad_input("svgd data_size", "the number of training samples", None,
                            "train() fills it in; elsewhere pass data_size=N")
        leaves, treedef = jax.tree_util.tree_flatten(params)
        theta, sizes = _flat(leaves)
        score = -(float(data_size) / temperature) * _flat(jax.tree_util.tree_leaves(grads))[0] - theta / prior_std ** 2
        particles, scores = _gather(theta), _gather(score)
        h = bandwidth_of(particles, kernel, bandwidth)
        phi = stein_direction(theta[None], particles, scores, kernel, h)[0]
        updates = treedef.unflatten(_unflat(lr * phi, leaves, sizes))
        return updates, SVGDState(state.steps + 1, h.astype(jnp.float32))

    tx = optax.GradientTransformationExtraArgs(init, update)
    options = {"kernel": kernel, "bandwidth": bandwidth, "prior_std": prior_std, "temperature": temperature,
               "data_size": data_size}
    return Optimizer("svgd", tx, True, options, ("bandwidth",), lambda s: [s.bandwidth], needs_population=True)
