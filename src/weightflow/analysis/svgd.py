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

The kernels and the direction are :mod:`weightflow.optim.particles`' (the same code is the training rule
``optimizer="svgd"`` over a population); this module runs SVGD on any score function, as the reference
the rule is tested against. It uses jax (it runs dynamics, it reads no stored run).
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import bad_input
from ..optim.particles import KERNELS, check_kernel, median_bandwidth, svgd_direction
from ..viz._common import Display, new_axes_row

__all__ = ["KERNELS", "SVGDParticles", "SVGDResult", "gaussian_demo", "gaussian_score", "median_bandwidth",
           "mlp_log_posterior", "run_svgd", "svgd_direction", "svgd_mlp", "svgd_step"]


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
    kernel, bandwidth = check_kernel(kernel, bandwidth)
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


def mlp_log_posterior(model, X, y, loss: str | None = None, prior_std: float = 1.0, temperature: float = 1.0):
    """``(grad_logp, unflatten, size)`` for SVGD over an MLP's parameters as flat vectors (P,).

    log p(theta) = -n * L(theta) / temperature - |theta|^2 / (2 prior_std^2), L the mean training loss
    of ``model`` (weightflow.losses, the model's natural loss by default) on ``X`` (n, d), ``y`` (n,).
    ``grad_logp`` maps particles (k, P) to scores (k, P); ``unflatten(theta)`` gives the parameter list.
    """
    from .. import losses

    loss = losses.check_loss(loss, model.output)
    shapes = model.param_shapes
    sizes = [int(np.prod(s)) for s in shapes]
    xt, yj = jnp.asarray(np.asarray(X, np.float32).T), jnp.asarray(np.asarray(y), jnp.int32)
    n = xt.shape[1]

    def unflatten(theta):
        out, at = [], 0
        for s, k in zip(shapes, sizes):
            out.append(theta[at:at + k].reshape(s))
            at += k
        return out

    def logp(theta):
        value = losses.loss_value(model.forward_t(unflatten(theta), xt), yj, loss, model.output)
        return -n * value / temperature - jnp.sum(theta ** 2) / (2 * prior_std ** 2)

    return jax.vmap(jax.grad(logp)), unflatten, sum(sizes)


def svgd_mlp(model, X, y, particles: int = 16, steps: int = 1000, step_size: float = 0.2, kernel: str = "rbf",
             prior_std: float = 3.0, record_every: int = 100, seed: int = 0, loss: str | None = None) -> dict:
    """SVGD over ``particles`` copies of ``model`` (drawn by ``model.init_params``) on (X, y): the members
    of a population as interacting particles. Returns ``result`` (an SVGDResult over flat parameters
    (frames, k, P)), ``params`` (one parameter list per particle at the end) and ``accuracy`` (k,)."""
    grad_logp, unflatten, _ = mlp_log_posterior(model, X, y, loss, prior_std)
    keys = jax.random.split(jax.random.PRNGKey(seed), particles)
    x0 = jnp.stack([jnp.concatenate([jnp.ravel(p) for p in model.init_params(k)]) for k in keys])
    res = run_svgd(grad_logp, x0, steps, step_size, kernel, "median", record_every)
    params = [[np.asarray(p) for p in unflatten(jnp.asarray(t))] for t in res.particles]
    acc = np.array([np.mean(model.predict(p, np.asarray(X)) == np.asarray(y)) for p in params])
    return {"result": res, "params": params, "accuracy": acc}


def gaussian_demo(kernel: str = "rbf", particles: int = 100, steps: int = 1000, step_size: float | None = None,
                  seed: int = 0) -> dict:
    """SVGD on a correlated 2-D Gaussian target from a tight start (step_size default: 0.2 for rbf, 0.05
    for linear, whose kernel grows with |x|^2): ``mean`` (2,), ``cov`` (2, 2),
    ``result`` (SVGDResult), and the particles' ``mean_error`` (max abs), ``cov_error`` (max abs) and
    ``variance_share`` (trace of their covariance (1/n) over the target's)."""
    mean, cov = np.array([1.0, -0.5]), np.array([[1.0, 0.6], [0.6, 0.8]])
    rng = np.random.default_rng(seed)
    x0 = rng.normal(size=(particles, 2)) * 0.3 - 1.0
    step_size = (0.2 if kernel == "rbf" else 0.05) if step_size is None else step_size
    res = run_svgd(gaussian_score(mean, cov), x0, steps, step_size, kernel, "median", max(steps // 20, 1))
    pc = np.cov(res.particles.T, bias=True)
    return {"kernel": kernel, "mean": mean, "cov": cov, "result": res,
            "mean_error": float(np.abs(res.particles.mean(0) - mean).max()),
            "cov_error": float(np.abs(pc - cov).max()), "variance_share": float(np.trace(pc) / np.trace(cov))}


class SVGDParticles(Display):
    """Particles of one or more :func:`gaussian_demo` results on the target's density contours, with trails.

    Build with ``SVGDParticles.from_run(demo, *more)``; ``numbers()`` for JSON; ``plot(ax=None)``.
    """

    def __init__(self, demos):
        self.demos = demos

    @classmethod
    def from_run(cls, *demos):
        return cls(list(demos))

    def numbers(self) -> dict:
        keys = ("kernel", "mean_error", "cov_error", "variance_share")
        return {"runs": [{k: d[k] for k in keys} | {"particles": int(d["result"].particles.shape[0]),
                                                   "steps": int(d["result"].steps[-1])} for d in self.demos]}

    def plot(self, ax=None, *, axes=None):
        fig, axs = (ax.figure, [ax]) if ax is not None else new_axes_row(axes, len(self.demos),
                                                                        (5 * len(self.demos), 4.6))
        for a, d in zip(axs, self.demos):
            self._draw(a, d)
        if ax is None:
            fig.tight_layout()
        self.figure_, self.axes_ = fig, axs
        return self

    @staticmethod
    def _draw(a, d):
        mean, cov, path = d["mean"], d["cov"], d["result"].path
        g = np.linspace(-3.5, 3.5, 120)
        gx, gy = np.meshgrid(g + mean[0], g + mean[1])
        pts = np.stack([gx - mean[0], gy - mean[1]], axis=-1)
        dens = np.exp(-0.5 * np.einsum("...i,ij,...j->...", pts, np.linalg.inv(cov), pts))
        a.contour(gx, gy, dens, levels=[np.exp(-0.5 * k ** 2) for k in (3, 2, 1)], colors="0.5", linewidths=0.8)
        for i in range(path.shape[1]):
            a.plot(path[:, i, 0], path[:, i, 1], color="#1f77b4", lw=0.5, alpha=0.3)
        a.scatter(path[0, :, 0], path[0, :, 1], s=8, color="0.6", label="start")
        a.scatter(path[-1, :, 0], path[-1, :, 1], s=14, color="#d62728", edgecolor="k", lw=0.3, label="end")
        a.set_aspect("equal")
        a.set_title(f"SVGD, {d['kernel']} kernel, {path.shape[1]} particles: {d['variance_share']:.0%} of the "
                    "variance", fontsize=10)
        a.legend(frameon=False, fontsize=8, loc="upper left")
