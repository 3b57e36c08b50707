"""Training rules by name: optax's gradient optimizers, weightflow's gradient-free rules and SVGD
(``particles.py``: a population's members as interacting particles).

A rule is an :class:`Optimizer`: an optax ``GradientTransformationExtraArgs`` plus whether it needs
gradients. Its ``update(grads, state, params, value=, value_fn=)`` receives the current loss and a
function giving the loss of any parameters, so gradient-free rules (which carry their PRNG key in
their state) plug into the same compiled loop as gradient ones.

``BUILDERS`` is the one table of names: ``NAME -> builder(lr, *, key=None, **options)``; the options a
name takes, with their defaults, are read from its builder's signature.
"""

from __future__ import annotations

import difflib
import inspect

import optax

from ..errors import bad_input
from . import evolution, gradient, gradient_free, particles
from .base import MEMBERS, Optimizer, check_lr, set_hyperparams

__all__ = ["BUILDERS", "MEMBERS", "Optimizer", "check_lr", "make_optimizer", "names", "option_defaults", "set_hyperparams",
           "uses_lr"]

BUILDERS = {
    "gd": gradient.gd,
    "sgd": gradient.sgd,
    "adam": gradient.adam,
    "nadam": gradient.nadam,
    "rmsprop": gradient.rmsprop,
    "random-walk": gradient_free.random_walk,
    "metropolis": gradient_free.metropolis,
    "langevin": gradient_free.langevin,
    "es": evolution.openai_es,
    "one-plus-one-es": evolution.one_plus_one_es,
    "svgd": particles.svgd,
}


def names() -> list[str]:
    return list(BUILDERS)


def option_defaults(name: str) -> dict:
    """The options an optimizer name takes, with their defaults (its builder's keyword-only arguments)."""
    params = inspect.signature(BUILDERS[name]).parameters.values()
    return {p.name: p.default for p in params if p.kind is p.KEYWORD_ONLY and p.name != "key"}


def uses_lr(name: str) -> bool:
    """Whether the rule ``name`` takes a learning rate (the proposal rules move by their own steps)."""
    return name in BUILDERS and "lr" in make_optimizer(name).in_state


def make_optimizer(optimizer: "str | Optimizer | optax.GradientTransformation", lr: float = 1e-3,
                   key=None, **options) -> Optimizer:
    """Resolve a name (with ``lr`` and options) or an optax transformation into an Optimizer.

    ``key`` seeds rules that draw random numbers (the gradient-free rules); others ignore it.
    """
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, optax.GradientTransformation):
        return Optimizer("custom", optax.with_extra_args_support(optimizer))
    name = str(optimizer).strip().lower()
    if name not in BUILDERS:
        close = difflib.get_close_matches(name, names(), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise bad_input("optimizer", "one of " + ", ".join(names()), optimizer, hint + "e.g. --optimizer adam")
    lr = check_lr(lr)
    defaults = option_defaults(name)
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        allowed = ", ".join(defaults) or "no options"
        raise bad_input(f"optimizer {name}", f"options among: {allowed}", ", ".join(unknown),
                        "drop the unknown options")
    return BUILDERS[name](lr, key=key, **{**defaults, **options})
