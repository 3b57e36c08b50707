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

import jax.numpy as jnp
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
    # options (and "lr") whose values live in the state's ``hyperparams`` dict rather than in the
    # compiled update: one program serves every value, and a population can give each member its own
    # (see set_hyperparams); these are the options a grid can range over
    in_state: tuple[str, ...] = ()
    # a gradient-free rule that keeps the cost of the parameters it returned (NaN when unknown): with
    # full batches the engine passes it back as ``value`` instead of evaluating the loss again
    carried_value: Callable[[Any], Any] | None = None

    @property
    def lr_in_state(self) -> bool:
        return "lr" in self.in_state


# name -> (optax factory, allowed options with defaults). The learning rate is injected into the
# optimizer state (optax.inject_hyperparams), so one compiled program serves every learning rate
# and a population can give each member its own.
_FACTORIES: dict[str, tuple[Callable[..., Any], dict]] = {
    "gd": (optax.sgd, {}),
    "sgd": (optax.sgd, {"momentum": 0.0, "nesterov": False}),
    "adam": (optax.adam, {"b1": 0.9, "b2": 0.999, "eps": 1e-8}),
    "nadam": (optax.nadam, {"b1": 0.9, "b2": 0.999, "eps": 1e-8}),
    "rmsprop": (optax.rmsprop, {"decay": 0.9, "eps": 1e-8, "momentum": 0.0}),
}
_STATIC = ("momentum", "nesterov")  # change the update's structure, so they stay Python values


def _injected(factory, lr: float, options: dict) -> optax.GradientTransformation:
    kw = dict(options)
    if "momentum" in kw:
        kw["momentum"] = kw["momentum"] or None
    import inspect

    static = tuple(a for a in _STATIC if a in inspect.signature(factory).parameters)
    return optax.inject_hyperparams(factory, static_args=static)(learning_rate=lr, **kw)


def set_hyperparams(state, values: dict):
    """Put in-state option values (name -> a scalar, or one per member) into an optimizer's state;
    ``lr`` is stored as ``learning_rate``, as optax.inject_hyperparams names it."""
    hyper = dict(state.hyperparams)
    for name, value in values.items():
        key = "learning_rate" if name == "lr" else name
        hyper[key] = jnp.asarray(value, jnp.asarray(hyper[key]).dtype)
    return state._replace(hyperparams=hyper)


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
    numeric = tuple(k for k in chosen if k not in _STATIC)
    return Optimizer(name, optax.with_extra_args_support(_injected(factory, lr, chosen)), True, chosen,
                     in_state=("lr", *numeric))


from . import gradient_free as _gradient_free  # noqa: E402,F401  (registers random-walk, metropolis, langevin)
