"""Numerically stable losses on feature-major logits.

All functions take ``z`` of shape (out, n) (the network's pre-activation output, samples along the
last axis), integer labels ``y`` of shape (n,), and an optional per-sample weight ``w`` of shape
(n,) (0 for padding in a short last minibatch). They return a scalar.

Names: ``bce`` binary cross-entropy from logits (sigmoid output), ``ce`` categorical cross-entropy
(softmax output), ``mse`` mean squared error (Keras: mean over outputs and samples), ``sse`` seed 004's
``1/2 * sum (y - y_pred)^2`` over samples and outputs, ``bce-sum`` seed 003's summed log loss (see
:mod:`weightflow.loss_names`).
"""

from __future__ import annotations

import difflib

import jax
import jax.numpy as jnp

from .errors import bad_input
from . import loss_names
from .loss_names import LOSSES, summed

DEFAULT_LOSS = {"sigmoid": "bce", "softmax": "ce", "linear": "mse"}
# which losses make sense on which output
_ALLOWED = {"sigmoid": {"bce", "bce-sum", "mse", "sse"}, "softmax": {"ce", "mse", "sse"},
            "linear": {"bce", "bce-sum", "ce", "mse", "sse"}}


def check_loss(name: str | None, output: str) -> str:
    """Resolve ``name`` (None: the output's natural loss) and check it fits ``output``."""
    if name is None:
        return DEFAULT_LOSS[output]
    if name not in LOSSES:
        close = difflib.get_close_matches(str(name), LOSSES, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise bad_input("loss", "one of " + ", ".join(LOSSES), name, hint + "e.g. --loss bce")
    if name not in _ALLOWED[output]:
        raise bad_input("loss", f"a loss for a {output} output ({', '.join(sorted(_ALLOWED[output]))})", name,
                        f"use --loss {DEFAULT_LOSS[output]} or change --output")
    return name


def output_activation(z: jax.Array, output: str) -> jax.Array:
    """Map logits (out, n) to the network's prediction: probabilities, or z itself for linear."""
    if output == "sigmoid":
        return jax.nn.sigmoid(z)
    if output == "softmax":
        return jax.nn.softmax(z, axis=0)
    return z


def _targets(y: jax.Array, out: int, dtype) -> jax.Array:
    """Labels (n,) as targets (out, n): the label itself for one output, one-hot otherwise."""
    if out == 1:
        return y[None, :].astype(dtype)
    return jax.nn.one_hot(y, out, axis=0, dtype=dtype)


@jax.custom_jvp
def _softplus(s: jax.Array) -> jax.Array:
    """log(1 + exp(s)) in the max/abs form: no overflow for huge logits of either sign, and about
    twice as fast on the CPU as jax.nn.softplus (logaddexp), measured on seed 001's step."""
    return jnp.maximum(s, 0) + jnp.log1p(jnp.exp(-jnp.abs(s)))


@_softplus.defjvp
def _softplus_jvp(primals, tangents):
    # the exact derivative, sigmoid(s): differentiating the max/abs form gives 1 instead of 1/2 at s = 0
    (s,), (ds,) = primals, tangents
    return _softplus(s), jax.nn.sigmoid(s) * ds


def per_sample(z: jax.Array, y: jax.Array, loss: str, output: str) -> jax.Array:
    """Per-sample loss (n,) before reduction. For ``sse`` this is 1/2 sum over outputs."""
    loss = loss_names.per_sample(loss)
    if loss == "bce":
        t = _targets(y, 1, z.dtype)[0]
        s = z[0]
        return _softplus(s) - s * t  # log(1 + exp(s)) - s*t
    if loss == "ce":
        logp = jax.nn.log_softmax(z, axis=0)
        return -jnp.take_along_axis(logp, y[None, :].astype(jnp.int32), axis=0)[0]
    err = output_activation(z, output) - _targets(y, z.shape[0], z.dtype)
    if loss == "mse":
        return jnp.mean(err * err, axis=0)
    return 0.5 * jnp.sum(err * err, axis=0)


def reduce(values: jax.Array, loss: str, w: jax.Array | None = None) -> jax.Array:
    """Reduce per-sample losses (n,) with the loss's reduction, honouring padding weights."""
    if summed(loss):
        return jnp.sum(values if w is None else values * w)
    if w is None:
        return jnp.mean(values)
    return jnp.sum(values * w) / jnp.maximum(jnp.sum(w), 1)


def loss_value(z: jax.Array, y: jax.Array, loss: str, output: str, w: jax.Array | None = None) -> jax.Array:
    """The scalar loss of logits (out, n) against labels (n,)."""
    return reduce(per_sample(z, y, loss, output), loss, w)


def predicted_class(z: jax.Array, output: str) -> jax.Array:
    """Class index (n,) from logits (out, n): threshold 0.5 on one output, argmax otherwise."""
    if z.shape[0] > 1:
        return jnp.argmax(z, axis=0)
    threshold = 0.0 if output == "sigmoid" else 0.5  # sigmoid(z) >= 0.5  <=>  z >= 0
    return (z[0] >= threshold).astype(jnp.int32)


def metric_terms(z: jax.Array, y: jax.Array, loss: str, output: str) -> jax.Array:
    """(2, n): each sample's loss (before reduction) and whether it is classified right (1/0, without
    gradient), for logits (out, n) against labels (n,). ``sum_terms`` turns them into the loss and the
    accuracy."""
    hit = jax.lax.stop_gradient((predicted_class(z, output) == y).astype(z.dtype))
    return jnp.stack([per_sample(z, y, loss, output), hit])


def sum_terms(terms: jax.Array, loss: str) -> jax.Array:
    """(loss, accuracy) pairs (2 * k,) from k stacked ``metric_terms`` (2 * k, n). The row sums are one
    product with ones (on the CPU one kernel for all the rows, where separate reductions cost a few
    kernel launches each); the hit count is divided by n after summing, so all right is exactly 1."""
    n = terms.shape[-1]
    sums = (terms @ jnp.ones((n,), terms.dtype)).reshape(-1, 2)
    scale = jnp.asarray([1.0 if summed(loss) else 1.0 / max(n, 1), 1.0 / max(n, 1)], terms.dtype)
    return (sums * scale).reshape(-1)
