"""Gradient-free and noisy training rules: seed 000's lattice random walk, Metropolis, Langevin.

Each rule is an optax ``GradientTransformationExtraArgs`` named in :data:`weightflow.optim.BUILDERS`,
so it trains any MLP wherever a gradient optimizer does (``train``, ``--optimizer``, populations) and
compiles into the same ``lax.scan`` loop. Its PRNG key lives in its state: ``init`` stores the key the
engine derives from the run's seed, ``update`` splits it. Nothing random is closed over, so a compiled
program serves every seed and a run is reproducible from its seed alone.

``update(grads, state, params, value=L(params), value_fn=L)`` gets the (batch) loss at ``params``
and a traceable function giving the loss of any parameter list. The proposal rules ignore ``grads``
(the engine skips autodiff for them) and call ``value_fn`` once per candidate: three times per step
for the random walk, once for Metropolis.

Leaves are told apart by rank: 2-D leaves are weight matrices ``W``, 1-D leaves are biases ``b``
(parameters travel as ``[W1, b1, W2, b2, ...]``).

- ``random-walk`` (seed 000, "mass shuffling"): every W entry moves by -eta, 0 or +eta (probabilities
  ``p_w``), every b entry by -bias_step or +bias_step (``p_b``); the candidates (W~, b), (W~, b~),
  (W, b~) are tried in that order, each taken if its cost is below the best so far, so the cheapest
  of the three is kept if it lowers the cost; otherwise nothing moves.
- ``metropolis``: one symmetric proposal (the lattice move of every entry by -step, 0 or +step with
  probability 1/3 each, or a Gaussian step), accepted with probability min(1, exp(-(L' - L) / T));
  T = 0 is the greedy rule. T follows a schedule: constant, geometric (T0 * decay**t) or
  logarithmic (T0 * log 2 / log(t + 2), the classic simulated-annealing schedule). An optional
  ``bound`` rejects proposals leaving the box |theta| <= bound (the chain then samples exp(-L/T)
  restricted to the box: rejection keeps the proposal symmetric).
- ``langevin`` (stochastic-gradient Langevin dynamics): theta <- theta - lr_t * grad + N(0, 2 * T * lr_t),
  with lr_t = lr * (1 + lr_decay * t) ** -0.55 (Welling & Teh's polynomial decay; lr_decay = 0 keeps
  it constant) and T on the same schedules as Metropolis. T = 0 is plain gradient descent.

The proposal rules report ``acceptance_rate``: accepted steps / steps taken since the start of the run
(cumulative; NaN at step 0, before any proposal).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from ..validate import choice, positive, probabilities, unit_factor
from .base import Optimizer

SCHEDULES = ("constant", "geometric", "logarithmic")
PROPOSALS = ("lattice", "gaussian")
LANGEVIN_POWER = 0.55  # exponent of the decaying step size lr_t = lr * (1 + lr_decay * t) ** -power


def temperature_at(t, t0: float, schedule: str, decay: float):
    """The temperature after ``t`` steps (traceable in ``t``)."""
    t = jnp.asarray(t, jnp.float32)
    if schedule == "geometric":
        return t0 * jnp.power(jnp.float32(decay), t)
    if schedule == "logarithmic":
        return t0 * math.log(2.0) / jnp.log(t + 2.0)
    return jnp.full((), t0, jnp.float32)


# --- shared helpers --------------------------------------------------------------------------------

def _key_or_default(key):
    return jax.random.PRNGKey(0) if key is None else key


def _rate(steps, accepted):
    return jnp.where(steps > 0, accepted / jnp.maximum(steps, 1).astype(jnp.float32), jnp.nan)


def _is_bias(leaf) -> bool:
    return jnp.ndim(leaf) <= 1


def _draw(key, leaves, sampler):
    """One draw of ``sampler(key, (total,))`` for every entry of every leaf, cut back into leaf shapes
    (one PRNG call per step instead of one per leaf: on these tiny nets the calls are the cost)."""
    sizes = [int(math.prod(jnp.shape(p))) for p in leaves]
    flat = sampler(key, (sum(sizes),))
    out, at = [], 0
    for p, n in zip(leaves, sizes):
        out.append(flat[at:at + n].reshape(jnp.shape(p)))
        at += n
    return out


def _current_value(value, value_fn, params):
    return value_fn(params) if value is None else value


class ProposalState(NamedTuple):
    """State of a proposal rule: its PRNG key, steps taken, steps whose proposal was accepted, the
    cost of the parameters it returned (NaN until the first step), and its numeric options
    (``hyperparams``: name -> scalar, so a population can give each member its own). With full
    batches the engine passes the cost back as the next step's ``value``, so a step evaluates only
    its candidates."""

    key: jax.Array
    steps: jax.Array
    accepted: jax.Array
    cost: jax.Array
    hyperparams: dict


def _hyper(values: dict) -> dict:
    return {k: jnp.asarray(v, jnp.float32) for k, v in values.items()}


def _proposal_init(key, hyper: dict):
    def init(params):
        del params
        return ProposalState(_key_or_default(key), jnp.zeros((), jnp.int32), jnp.zeros((), jnp.int32), jnp.full((), jnp.nan),
                             _hyper(hyper))

    return init


def _carried_cost(state: ProposalState):
    return state.cost


def _acceptance_rate(state: ProposalState):
    return [_rate(state.steps, state.accepted)]


# --- random walk (seed 000) -------------------------------------------------------------------------

def random_walk(lr: float = 1.0, *, key=None, eta: float = 1.0, p_w=(1 / 3, 1 / 3, 1 / 3), p_b=(0.5, 0.5),
                bias_step: float = 2.0) -> Optimizer:
    """Seed 000's lattice random walk (``lr`` is not used: moves are ``eta`` and ``bias_step``).

    Start it from lattice weights (``MLP(..., init="lattice:ETA")``, biases 0) to keep every weight
    a multiple of eta and every bias a multiple of bias_step.
    """
    eta = positive(eta, "eta", "--eta 1")
    bias_step = positive(bias_step, "bias_step", "--bias-step 2")
    p_w = probabilities(p_w, 3, "p_w", "--p-w 1/3,1/3,1/3 (P(-eta), P(0), P(+eta))")
    p_b = probabilities(p_b, 2, "p_b", "--p-b 1/2,1/2 (P(-bias_step), P(+bias_step))")
    c0, c1 = p_w[0], p_w[0] + p_w[1]

    def update(grads, state: ProposalState, params, value=None, value_fn=None, **extra):
        del grads, extra
        leaves, treedef = jax.tree_util.tree_flatten(params)
        key, sub = jax.random.split(state.key)
        eta, bias_step = state.hyperparams["eta"], state.hyperparams["bias_step"]
        deltas = []
        for u, p in zip(_draw(sub, leaves, jax.random.uniform), leaves):
            if _is_bias(p):
                d = jnp.where(u < p_b[0], -bias_step, bias_step)
            else:
                d = jnp.where(u < c0, -eta, jnp.where(u < c1, 0.0, eta))
            deltas.append(d.astype(p.dtype))
        has_bias = any(_is_bias(p) for p in leaves)

        def candidate(move_w, move_b):
            return treedef.unflatten([p + d if (move_b if _is_bias(p) else move_w) else p
                                      for p, d in zip(leaves, deltas)])

        cur = _current_value(value, value_fn, params)
        # (W~, b), (W~, b~), (W, b~) in order; without biases the three are one
        moves = [(True, False), (True, True), (False, True)] if has_bias else [(True, False)]
        choice = jnp.full((), -1, jnp.int32)
        for i, (mw, mb) in enumerate(moves):
            cost = value_fn(candidate(mw, mb))
            better = cost < cur
            choice = jnp.where(better, i, choice)
            cur = jnp.where(better, cost, cur)
        move_w = (choice == 0) | (choice == 1)
        move_b = (choice == 1) | (choice == 2)
        updates = [jnp.where(move_b if _is_bias(p) else move_w, d, jnp.zeros_like(d))
                   for p, d in zip(leaves, deltas)]
        new_state = ProposalState(key, state.steps + 1, state.accepted + (choice >= 0).astype(jnp.int32),
                                  cur.astype(jnp.float32), state.hyperparams)
        return treedef.unflatten(updates), new_state

    hyper = {"eta": eta, "bias_step": bias_step}
    tx = optax.GradientTransformationExtraArgs(_proposal_init(key, hyper), update)
    options = {"eta": eta, "p_w": p_w, "p_b": p_b, "bias_step": bias_step}
    return Optimizer("random-walk", tx, False, options, ("acceptance_rate",), _acceptance_rate,
                     in_state=tuple(hyper), carried_value=_carried_cost)


# --- Metropolis / simulated annealing -----------------------------------------------------------

def metropolis(lr: float = 1.0, *, key=None, temperature: float = 1e-3, schedule: str = "constant",
               decay: float = 0.995, proposal: str = "lattice", step: float = 1.0, bias_step: float | None = None,
               bound: float | None = None) -> Optimizer:
    """Metropolis at temperature T (``lr`` is not used: the proposal scale is ``step``).

    One proposal per step, all entries at once: ``lattice`` moves each W entry by -step, 0, +step
    and each b entry by -bias_step, 0, +bias_step (default: step) with probability 1/3 each;
    ``gaussian`` adds N(0, step^2) (bias: N(0, bias_step^2)). Accepted with probability
    min(1, exp(-(L' - L) / T)), i.e. when L' - L < T * E with E ~ Exp(1); T = 0 accepts only strict
    decreases. ``bound``: proposals with any |entry| > bound are rejected.
    """
    t0 = positive(temperature, "temperature", "--temperature 0.01", allow_zero=True)
    schedule = choice(schedule, SCHEDULES, "schedule", "--schedule geometric")
    decay = unit_factor(decay, "decay", "--decay 0.995")
    proposal = choice(proposal, PROPOSALS, "proposal", "--proposal lattice")
    step = positive(step, "step", "--step 1")
    b_step = step if bias_step is None else positive(bias_step, "bias_step", "--bias-step 2")
    if bound is not None:
        bound = positive(bound, "bound", "--bound 4")

    def update(grads, state: ProposalState, params, value=None, value_fn=None, **extra):
        del grads, extra
        leaves, treedef = jax.tree_util.tree_flatten(params)
        key, k_acc, sub = jax.random.split(state.key, 3)
        sampler = jax.random.uniform if proposal == "lattice" else jax.random.normal
        hp = state.hyperparams
        deltas = []
        for r, p in zip(_draw(sub, leaves, sampler), leaves):
            scale = hp["bias_step"] if _is_bias(p) else hp["step"]
            if proposal == "lattice":  # -scale, 0, +scale with probability 1/3 each
                d = jnp.where(r < 1 / 3, -scale, jnp.where(r < 2 / 3, 0.0, scale))
            else:
                d = scale * r
            deltas.append(d.astype(p.dtype))
        moved = [p + d for p, d in zip(leaves, deltas)]
        cur = _current_value(value, value_fn, params)
        cost = value_fn(treedef.unflatten(moved))
        temp = temperature_at(state.steps, hp["temperature"], schedule, decay)
        accept = (cost - cur) < temp * jax.random.exponential(k_acc, (), jnp.float32)
        if bound is not None:
            for m in moved:
                accept = accept & jnp.all(jnp.abs(m) <= bound)
        updates = [jnp.where(accept, d, jnp.zeros_like(d)) for d in deltas]
        new_state = ProposalState(key, state.steps + 1, state.accepted + accept.astype(jnp.int32),
                                  jnp.where(accept, cost, cur).astype(jnp.float32), state.hyperparams)
        return treedef.unflatten(updates), new_state

    hyper = {"temperature": t0, "step": step, "bias_step": b_step}
    tx = optax.GradientTransformationExtraArgs(_proposal_init(key, hyper), update)
    options = {"temperature": t0, "schedule": schedule, "decay": decay, "proposal": proposal, "step": step,
               "bias_step": b_step, "bound": bound}
    return Optimizer("metropolis", tx, False, options, ("acceptance_rate",), _acceptance_rate,
                     in_state=tuple(hyper), carried_value=_carried_cost)


# --- Langevin dynamics ------------------------------------------------------------------------------

class LangevinState(NamedTuple):
    """Langevin's state: PRNG key, steps taken, and the base learning rate (``hyperparams``, as optax's
    ``inject_hyperparams`` keeps it, so a population can give each member its own)."""

    key: jax.Array
    steps: jax.Array
    hyperparams: dict


def langevin(lr: float, *, key=None, temperature: float = 1e-3, schedule: str = "constant", decay: float = 0.995,
             lr_decay: float = 0.0) -> Optimizer:
    """Stochastic-gradient Langevin dynamics: a gradient step plus N(0, 2 * T * lr_t) noise per entry.

    lr_t = lr * (1 + lr_decay * t) ** -0.55; T = T(t) on ``schedule`` (see ``temperature_at``).
    At T = 0 this is exactly gradient descent (``gd``) with the same lr.
    """
    t0 = positive(temperature, "temperature", "--temperature 0.001", allow_zero=True)
    schedule = choice(schedule, SCHEDULES, "schedule", "--schedule constant")
    decay = unit_factor(decay, "decay", "--decay 0.995")
    lr_decay = positive(lr_decay, "lr_decay", "--lr-decay 0.01", allow_zero=True)
    lr0 = float(lr)

    def init(params):
        del params
        return LangevinState(_key_or_default(key), jnp.zeros((), jnp.int32),
                             _hyper({"learning_rate": lr0, "temperature": t0}))

    def update(grads, state: LangevinState, params=None, **extra):
        del params, extra
        leaves, treedef = jax.tree_util.tree_flatten(grads)
        key, sub = jax.random.split(state.key)
        t = state.steps.astype(jnp.float32)
        lr = state.hyperparams["learning_rate"]
        lr_t = lr if lr_decay == 0 else lr * jnp.power(1.0 + lr_decay * t, -LANGEVIN_POWER)
        if t0 == 0:  # no noise at all: exactly the gd update (a grid of temperatures builds with its largest)
            updates = [(-lr_t * g).astype(g.dtype) for g in leaves]
        else:
            noise_scale = jnp.sqrt(2.0 * temperature_at(t, state.hyperparams["temperature"], schedule, decay) * lr_t)
            updates = [(-lr_t * g + noise_scale * n).astype(g.dtype)
                       for n, g in zip(_draw(sub, leaves, jax.random.normal), leaves)]
        return treedef.unflatten(updates), LangevinState(key, state.steps + 1, state.hyperparams)

    tx = optax.GradientTransformationExtraArgs(init, update)
    options = {"temperature": t0, "schedule": schedule, "decay": decay, "lr_decay": lr_decay}
    return Optimizer("langevin", tx, True, options, in_state=("lr", "temperature"))
