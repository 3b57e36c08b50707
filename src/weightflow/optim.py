"""Optimizers by name, as optax transformations.

A training rule is an :class:`Optimizer`: an optax ``GradientTransformationExtraArgs`` plus whether
it needs gradients. Its ``update(grads, state, params, value=, value_fn=)`` receives the current
loss and a function giving the loss of any parameters, so gradient-free rules (which carry their
PRNG key in their state) plug into the same compiled loop as gradient ones.
"""

from __future__ import annotations

import difflib
import math
from typing import Any, Callable, NamedTuple, Sequence

import optax

from .errors import bad_input


class Optimizer(NamedTuple):
    """A named update rule: ``tx`` the transformation, ``uses_gradients`` whether to compute grads."""

    name: str
    tx: optax.GradientTransformationExtraArgs
    uses_gradients: bool = True
    options: dict = {}
    # extra history columns: names, and a traceable function of the optimizer state giving one
    # scalar per name (e.g. a proposal rule's acceptance rate since the previous frame)
    stat_names: tuple[str, ...] = ()
    stats: Callable[[Any], Sequence] | None = None


def _sgd(lr, momentum=0.0, nesterov=False):
    return optax.sgd(lr, momentum=momentum or None, nesterov=nesterov)


# name -> (factory(lr, **options), allowed options with defaults)
_FACTORIES: dict[str, tuple[Callable[..., Any], dict]] = {
    "gd": (lambda lr: optax.sgd(lr), {}),
    "sgd": (_sgd, {"momentum": 0.0, "nesterov": False}),
    "adam": (lambda lr, b1=0.9, b2=0.999, eps=1e-8: optax.adam(lr, b1=b1, b2=b2, eps=eps),
             {"b1": 0.9, "b2": 0.999, "eps": 1e-8}),
    "nadam": (lambda lr, b1=0.9, b2=0.999, eps=1e-8: optax.nadam(lr, b1=b1, b2=b2, eps=eps),
              {"b1": 0.9, "b2": 0.999, "eps": 1e-8}),
    "rmsprop": (lambda lr, decay=0.9, eps=1e-8, momentum=0.0:
                optax.rmsprop(lr, decay=decay, eps=eps, momentum=momentum or None),
                {"decay": 0.9, "eps": 1e-8, "momentum": 0.0}),
}

# rules registered by other modules (gradient-free ones): name -> (builder(lr, **opts) -> Optimizer, defaults)
_RULES: dict[str, tuple[Callable[..., Optimizer], dict]] = {}


def register(name: str, builder: Callable[..., Optimizer], defaults: dict) -> None:
    """Make ``name`` available to ``make_optimizer`` and the CLI's ``--optimizer``.

    ``builder(lr, key=KEY, **options)`` returns an Optimizer. Its ``tx.init`` may use the key; its
    ``tx.update`` must take randomness only from the state, because compiled programs are reused
    across runs that differ only in seed.
    """
    _RULES[name] = (builder, defaults)


def names() -> list[str]:
    return list(_FACTORIES) + list(_RULES)


def option_defaults(name: str) -> dict:
    """The options an optimizer name takes, with their defaults."""
    return dict((_FACTORIES.get(name) or _RULES[name])[1])


def check_lr(lr) -> float:
    try:
        value = float(lr)
    except (TypeError, ValueError):
        value = float("nan")
    if not (value > 0 and math.isfinite(value)):
        raise bad_input("lr", "a learning rate > 0", lr, "e.g. --lr 1e-3")
    return value


def make_optimizer(optimizer: "str | Optimizer | optax.GradientTransformation", lr: float = 1e-3,
                   key=None, **options) -> Optimizer:
    """Resolve a name (with ``lr`` and options) or an optax transformation into an Optimizer.

    ``key`` seeds rules that draw random numbers (registered gradient-free rules); others ignore it.
    """
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, optax.GradientTransformation):
        return Optimizer("custom", optax.with_extra_args_support(optimizer))
    name = str(optimizer).strip().lower()
    if name not in _FACTORIES and name not in _RULES:
        close = difflib.get_close_matches(name, names(), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise bad_input("optimizer", "one of " + ", ".join(names()), optimizer, hint + "e.g. --optimizer adam")
    lr = check_lr(lr)
    factory, defaults = _FACTORIES.get(name) or _RULES[name]
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        allowed = ", ".join(defaults) or "no options"
        raise bad_input(f"optimizer {name}", f"options among: {allowed}", ", ".join(unknown),
                        "drop the unknown options")
    chosen = {**defaults, **options}
    if name in _RULES:
        return factory(lr, key=key, **chosen)
    return Optimizer(name, optax.with_extra_args_support(factory(lr, **chosen)), True, chosen)
