"""Stein variational gradient descent (Liu & Wang 2016): particles that interact through a kernel.

Each particle moves along phi(x) = 1/n sum_j [k(x_j, x) grad log p(x_j) + grad_{x_j} k(x_j, x)]: the
first term pulls particles towards high density (a kernel-smoothed gradient ascent), the second
pushes them apart, so the set spreads over the target instead of collapsing on its mode.

Kernels:
- ``rbf``: k(x, x') = exp(-|x - x'|^2 / h). ``bandwidth="median"`` takes h = med^2 / log(n + 1), med the
  median of the pairwise distances between the current particles (Liu & Wang's convention, as in
  their code: there k = exp(-|x - x'|^2 / (2 s^2)) with s^2 = med^2 / (2 log(n + 1)), the same k).
  A number gives h itself.
- ``linear``: k(x, x') = x . x' + 1. For a Gaussian target, n >= d + 1 particles at the fixed point have
  exactly the target's mean and covariance (Liu & Wang 2018, "SVGD as moment matching"); the
  covariance is the particles' own, with 1/n.

This module uses jax. A population trained by the engine cannot run it yet: the update of each member
needs every member's parameters at once (see docs/dynamics.md for the hook that would make it a rule).
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import bad_input

KERNELS = ("rbf", "linear")


def median_bandwidth(particles: jax.Array) -> jax.Array:
    """h = med^2 / log(n + 1), med the median pairwise distance of ``particles`` (n, d) (i != j)."""
    n = particles.shape[0]
    sq = jnp.sum((particles[:, None, :] - particles[None, :, :]) ** 2, axis=-1)
    off = sq[~np.eye(n, dtype=bool)]
    return jnp.maximum(jnp.median(off), 1e-12) / math.log(n + 1)


def _check(kernel, bandwidth):
    if kernel not in KERNELS:
        raise bad_input("svgd kernel", "one of " + ", ".join(KERNELS), kernel, "e.g. kernel='rbf'")
    if bandwidth != "median":
        try:
            ok = float(bandwidth) > 0 and math.isfinite(float(bandwidth))
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise bad_input("svgd bandwidth", "'median' or a number h > 0", bandwidth, "e.g. bandwidth='median'")


def svgd_direction(particles: jax.Array, grad_logp: Callable, kernel: str = "rbf", bandwidth="median") -> jax.Array:
    """phi (n, d) for ``particles`` (n, d); ``grad_logp`` maps (n, d) to the scores (n, d)."""
    _check(kernel, bandwidth)
    n = particles.shape[0]
    scores = grad_logp(particles)
    if kernel == "linear":
        k = particles @ particles.T + 1.0  # k[j, i] = k(x_j, x_i)
        return (k.T @ scores) / n + particles  # grad_{x_j} (x_j . x + 1) = x
    h = median_bandwidth(particles) if bandwidth == "median" else jnp.asarray(float(bandwidth))
    diff = particles[:, None, :] - particles[None, :, :]  # diff[i, j] = x_i - x_j
    k = jnp.exp(-jnp.sum(diff ** 2, axis=-1) / h)  # symmetric
    repulsion = (2.0 / h) * jnp.einsum("ij,ijd->id", k, diff)  # sum_j grad_{x_j} k(x_j, x_i)
    return (k @ scores + repulsion) / n


def svgd_step(particles: jax.Array, grad_logp: Callable, kernel: str = "rbf", bandwidth="median",
              step_size: float = 0.1) -> jax.Array:
    """One SVGD step: ``particles + step_size * svgd_direction(...)``, shape (n, d)."""
    return particles + step_size * svgd_direction(particles, grad_logp, kernel, bandwidth)


class SVGDResult(NamedTuple):
    """``particles`` (n, d) at the end; ``path`` (frames, n, d) every ``record_every`` steps (frame 0
    the start); ``steps`` (frames,)."""

    particles: np.ndarray
    path: np.ndarray
    steps: np.ndarray


def run_svgd(grad_logp: Callable, particles0, steps: int = 1000, step_size: float = 0.1, kernel: str = "rbf",
             bandwidth="median", record_every: int = 50) -> SVGDResult:
    """Run ``steps`` SVGD steps from ``particles0`` (n, d) in one compiled ``lax.scan``.

    Plain fixed steps (no AdaGrad, as the moment-matching analysis assumes); choose
    ``step_size`` below 1 / (largest curvature of -log p).
    """
    _check(kernel, bandwidth)
    if steps < 1 or record_every < 1:
        raise bad_input("svgd steps", "steps >= 1 and record_every >= 1", (steps, record_every), "e.g. steps=1000")
    x0 = jnp.asarray(particles0, jnp.float32)
    inner = min(record_every, steps)
    blocks = steps // inner

    def block(x, _):
        x = jax.lax.fori_loop(0, inner, lambda _, y: svgd_step(y, grad_logp, kernel, bandwidth, step_size), x)
        return x, x

    x, path = jax.jit(lambda x: jax.lax.scan(block, x, None, length=blocks))(x0)
    for _ in range(steps - blocks * inner):
        x = svgd_step(x, grad_logp, kernel, bandwidth, step_size)
    path = np.concatenate([np.asarray(x0)[None], np.asarray(path)])
    return SVGDResult(np.asarray(x), path, np.arange(blocks + 1) * inner)


def gaussian_score(mean, cov) -> Callable:
    """grad log N(mean, cov) as a function of (n, d) points."""
    mean = jnp.asarray(mean, jnp.float32)
    prec = jnp.asarray(np.linalg.inv(np.asarray(cov, np.float64)), jnp.float32)
    return lambda x: -(x - mean) @ prec
