"""The gradient optimizers by name (optax's), with the learning rate and numeric options in the state.

Each builder ``NAME(lr, *, key=None, **options) -> Optimizer``; its keyword defaults are the options
the name takes (``weightflow.optim.option_defaults`` reads them from the signature). The learning
rate and every numeric option are injected into the optimizer state (``optax.inject_hyperparams``),
so one compiled program serves every value and a population can give each member its own.
"""

from __future__ import annotations

import inspect

import optax

from .base import Optimizer

_STATIC = ("momentum", "nesterov")  # change the update's structure, so they stay Python values


def _injected(name: str, factory, lr: float, options: dict) -> Optimizer:
    """``factory`` with its learning rate and numeric options in the state."""
    static = tuple(a for a in _STATIC if a in inspect.signature(factory).parameters)
    kw = {k: (v or None) if k == "momentum" else v for k, v in options.items()}
    tx = optax.inject_hyperparams(factory, static_args=static)(learning_rate=lr, **kw)
    numeric = tuple(k for k in options if k not in _STATIC)
    return Optimizer(name, optax.with_extra_args_support(tx), True, dict(options), in_state=("lr", *numeric))


def gd(lr: float, *, key=None) -> Optimizer:
    """Plain (full-batch or minibatch) gradient descent: theta <- theta - lr * grad."""
    del key
    return _injected("gd", optax.sgd, lr, {})


def sgd(lr: float, *, key=None, momentum: float = 0.0, nesterov: bool = False) -> Optimizer:
    """Gradient descent with optional (Nesterov) momentum."""
    del key
    return _injected("sgd", optax.sgd, lr, {"momentum": momentum, "nesterov": nesterov})


def adam(lr: float, *, key=None, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> Optimizer:
    """Adam (Kingma & Ba)."""
    del key
    return _injected("adam", optax.adam, lr, {"b1": b1, "b2": b2, "eps": eps})


def nadam(lr: float, *, key=None, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> Optimizer:
    """Adam with Nesterov momentum (Dozat), as Keras' Nadam."""
    del key
    return _injected("nadam", optax.nadam, lr, {"b1": b1, "b2": b2, "eps": eps})


def rmsprop(lr: float, *, key=None, decay: float = 0.9, eps: float = 1e-8, momentum: float = 0.0) -> Optimizer:
    """RMSprop (Hinton)."""
    del key
    return _injected("rmsprop", optax.rmsprop, lr, {"decay": decay, "eps": eps, "momentum": momentum})
