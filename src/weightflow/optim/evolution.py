"""Evolution strategies as gradient-free training rules: antithetic OpenAI-ES and the (1+1)-ES.

Both follow :mod:`weightflow.gradient_free`'s pattern: an optax ``GradientTransformationExtraArgs``
whose PRNG key lives in its state and whose numeric options live in ``state.hyperparams`` (so a grid
or a population can give each member its own), wrapped in an :class:`weightflow.optim.Optimizer`
that says it needs no gradients. ``update(grads, state, params, value=L(params), value_fn=L)`` calls
``value_fn`` on perturbed copies of the parameters; ``grads`` are ignored. All leaves are treated
alike (one flat vector of every weight and bias).

- ``es`` (Salimans et al. 2017): ``pairs`` directions eps_i ~ N(0, I); each is evaluated at
  theta + sigma * eps_i and theta - sigma * eps_i (antithetic pairs); the 2 * pairs costs are
  replaced by their centred ranks in [-1/2, 1/2] (``shaping="ranks"``, robust to the loss's scale)
  or kept as they are (``shaping="none"``); the gradient estimate is
  g = 1 / (2 * sigma * pairs) * sum_i (F+_i - F-_i) eps_i and the step is theta <- theta - lr * g.
  With ``shaping="none"`` on a quadratic, F+ - F- = 2 * sigma * eps . grad exactly, so g is the
  average of (eps_i . grad) eps_i: unbiased, with cosine to the true gradient about
  (1 + (d + 1) / pairs) ** -1/2 in d dimensions.
- ``one-plus-one-es`` (Rechenberg's (1+1)-ES with the 1/5 success rule; seed 000's walk with a
  Gaussian proposal and step-size adaptation): propose theta' = theta + sigma * N(0, I), keep it if
  its cost is not higher; on success sigma *= exp(1 / D), on failure sigma *= exp(-1 / (4 D)) with
  damping D (default sqrt(d + 1)), so sigma is stationary exactly when one proposal in five
  succeeds. sigma = sigma0 * exp(log_scale); the state keeps log_scale, ``hyperparams`` sigma0.

The rules report history columns: ``es`` none; ``one-plus-one-es`` ``acceptance_rate`` (cumulative,
as the proposal rules) and ``sigma`` (the current step size).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from ..validate import choice as check_choice
from ..validate import positive as check_positive
from ..validate import positive_int
from .base import Optimizer
from .gradient_free import _carried_cost, _hyper, _key_or_default, _rate

SHAPINGS = ("ranks", "none")


def _flat(leaves) -> tuple[jax.Array, list[int]]:
    sizes = [int(math.prod(jnp.shape(p))) for p in leaves]
    return jnp.concatenate([jnp.ravel(p).astype(jnp.float32) for p in leaves]), sizes


def _unflat(vec, leaves, sizes) -> list:
    out, at = [], 0
    for p, n in zip(leaves, sizes):
        out.append(vec[..., at:at + n].reshape(vec.shape[:-1] + jnp.shape(p)).astype(jnp.result_type(p)))
        at += n
    return out


def centred_ranks(values: jax.Array) -> jax.Array:
    """Ranks of ``values`` (k,) mapped to [-1/2, 1/2]: the smallest -1/2, the largest +1/2."""
    k = values.shape[0]
    ranks = jnp.argsort(jnp.argsort(values)).astype(jnp.float32)
    return ranks / max(k - 1, 1) - 0.5


# --- OpenAI-ES ------------------------------------------------------------------------------------

class ESState(NamedTuple):
    """The ES state: PRNG key, steps taken, and ``hyperparams`` (learning_rate, sigma)."""

    key: jax.Array
    steps: jax.Array
    hyperparams: dict


def _check_pairs(pairs) -> int:
    return positive_int(pairs, "pairs", "--pairs 32 (antithetic pairs)")


def es_gradient(key, params, value_fn, sigma, pairs: int, shaping: str = "ranks"):
    """The antithetic ES estimate of the gradient of ``value_fn`` at ``params`` (a list, same shapes).

    ``pairs`` directions eps_i (pairs, d) ~ N(0, I); costs F+- = value_fn(theta +- sigma * eps_i),
    evaluated in one vmap; g = sum_i (F+_i - F-_i) eps_i / (2 * sigma * pairs), with F replaced by its
    centred ranks over all 2 * pairs costs when ``shaping == "ranks"``.
    """
    leaves, treedef = jax.tree_util.tree_flatten(params)
    theta, sizes = _flat(leaves)
    eps = jax.random.normal(key, (pairs, theta.shape[0]), jnp.float32)
    points = jnp.concatenate([theta + sigma * eps, theta - sigma * eps])  # (2 * pairs, d)
    costs = jax.vmap(lambda v: value_fn(treedef.unflatten(_unflat(v, leaves, sizes))))(points)
    costs = centred_ranks(costs) if shaping == "ranks" else costs.astype(jnp.float32)
    diff = costs[:pairs] - costs[pairs:]
    g = diff @ eps / (2.0 * sigma * pairs)
    return treedef.unflatten(_unflat(g, leaves, sizes))


def openai_es(lr: float, *, key=None, sigma: float = 0.1, pairs: int = 16, shaping: str = "ranks") -> Optimizer:
    """Antithetic OpenAI-ES: theta <- theta - lr * g with ``es_gradient``'s estimate g.

    sigma: the perturbation scale; pairs: antithetic pairs per step (2 * pairs loss evaluations);
    shaping: ``ranks`` (centred ranks, the default of Salimans et al.) or ``none`` (raw costs).
    """
    lr = check_positive(lr, "lr", "--lr 0.05")
    sigma = check_positive(sigma, "sigma", "--sigma 0.1")
    pairs = _check_pairs(pairs)
    shaping = check_choice(shaping, SHAPINGS, "shaping", "--shaping ranks")

    def init(params):
        del params
        return ESState(_key_or_default(key), jnp.zeros((), jnp.int32),
                       _hyper({"learning_rate": lr, "sigma": sigma}))

    def update(grads, state: ESState, params, value=None, value_fn=None, **extra):
        del grads, value, extra
        key, sub = jax.random.split(state.key)
        hp = state.hyperparams
        g = es_gradient(sub, params, value_fn, hp["sigma"], pairs, shaping)
        updates = jax.tree_util.tree_map(lambda gi, p: (-hp["learning_rate"] * gi).astype(p.dtype), g, params)
        return updates, ESState(key, state.steps + 1, hp)

    tx = optax.GradientTransformationExtraArgs(init, update)
    options = {"sigma": sigma, "pairs": pairs, "shaping": shaping}
    return Optimizer("es", tx, False, options, in_state=("lr", "sigma"))


# --- (1+1)-ES with the 1/5 success rule ---------------------------------------------------------------

class OnePlusOneState(NamedTuple):
    """The (1+1)-ES state: key, steps, accepted steps, cost of the current parameters (NaN until known),
    log of the step-size factor (sigma = sigma0 * exp(log_scale)), and ``hyperparams`` (sigma0)."""

    key: jax.Array
    steps: jax.Array
    accepted: jax.Array
    cost: jax.Array
    log_scale: jax.Array
    hyperparams: dict


def _one_plus_one_stats(state: OnePlusOneState):
    return [_rate(state.steps, state.accepted), state.hyperparams["sigma0"] * jnp.exp(state.log_scale)]


def one_plus_one_es(lr: float = 1.0, *, key=None, sigma0: float = 0.1, damping: float | None = None) -> Optimizer:
    """The (1+1)-ES with the 1/5 success rule (``lr`` is not used: the step is sigma).

    sigma0: the initial step size; damping: D in sigma *= exp(1/D) on success, exp(-1/(4D)) on
    failure (default sqrt(d + 1), d the number of parameters).

    On the sphere L = |theta|^2 in d dimensions the distance to the optimum shrinks geometrically;
    its rate constant c = -d * (slope of log |theta| per step) is about 0.2 at the ideal step size
    (Rechenberg's progress rate) and stays between 0.1 and 0.25 with this adaptation.
    """
    sigma0 = check_positive(sigma0, "sigma0", "--sigma0 0.1")
    if damping is not None:
        damping = check_positive(damping, "damping", "--damping 4")

    def init(params):
        del params
        return OnePlusOneState(_key_or_default(key), jnp.zeros((), jnp.int32), jnp.zeros((), jnp.int32),
                               jnp.full((), jnp.nan), jnp.zeros((), jnp.float32), _hyper({"sigma0": sigma0}))

    def update(grads, state: OnePlusOneState, params, value=None, value_fn=None, **extra):
        del grads, extra
        leaves, treedef = jax.tree_util.tree_flatten(params)
        theta, sizes = _flat(leaves)
        damp = math.sqrt(theta.shape[0] + 1.0) if damping is None else damping
        key, sub = jax.random.split(state.key)
        sigma = state.hyperparams["sigma0"] * jnp.exp(state.log_scale)
        step = sigma * jax.random.normal(sub, theta.shape, jnp.float32)
        cur = value_fn(params) if value is None else value
        cost = value_fn(treedef.unflatten([p + d for p, d in zip(leaves, _unflat(step, leaves, sizes))]))
        accept = cost <= cur
        log_scale = state.log_scale + jnp.where(accept, 1.0 / damp, -0.25 / damp)
        updates = _unflat(jnp.where(accept, step, 0.0), leaves, sizes)
        new_state = OnePlusOneState(key, state.steps + 1, state.accepted + accept.astype(jnp.int32),
                                    jnp.where(accept, cost, cur).astype(jnp.float32), log_scale, state.hyperparams)
        return treedef.unflatten(updates), new_state

    tx = optax.GradientTransformationExtraArgs(init, update)
    options = {"sigma0": sigma0, "damping": damping}
    return Optimizer("one-plus-one-es", tx, False, options, ("acceptance_rate", "sigma"), _one_plus_one_stats,
                     in_state=("sigma0",), carried_value=_carried_cost)

