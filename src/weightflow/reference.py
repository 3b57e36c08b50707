"""Backpropagation from scratch: the textbook delta rule in plain numpy.

This module is written to be read. It is the same network as :class:`weightflow.MLP`, computed the
way a lecture writes it down, one function per idea, and it never touches jax: it is the
independent check of the compiled engine (``weightflow.check`` and ``weightflow explain`` use it).

Notation (samples first, as in the lecture notes and in Keras):

* ``X`` (n, d): n input patterns, one per row.
* Layer l = 1..L has weights ``W[l]`` (units below, units above) and bias ``b[l]`` (units above).
* Net input of layer l:   ``net[l] = out[l-1] @ W[l] + b[l]``            shape (n, units of l)
* Its activation (output): ``out[l] = f_l(net[l])``, with ``out[0] = X``.
* The last layer's f is the output activation: sigmoid, softmax or linear.
* Loss of pattern p: ``loss_p`` (compare ``out[L]`` with the target ``t_p``); the loss the training
  minimises is ``E = (1/n) sum_p loss_p`` (bce, ce, mse) or ``E = sum_p loss_p`` (sse).

The delta of a unit is how much the pattern's loss changes when the unit's net input changes,
``delta[l] = d loss_p / d net[l]`` (one row per pattern). Everything follows from the chain rule:

1. output deltas:  ``delta[L] = d loss_p / d out[L] * f_L'(net[L])``   (simplifies to ``out - t``
   for sigmoid + binary cross-entropy and for softmax + categorical cross-entropy)
2. hidden deltas:  ``delta[l] = (delta[l+1] @ W[l+1].T) * f_l'(net[l])``, from the top down
3. gradients:      ``dE/dW[l] = scale * out[l-1].T @ delta[l]``,  ``dE/db[l] = scale * sum_p delta[l]``
   with ``scale = 1/n`` for a mean loss and 1 for a sum
4. the update:     ``W[l] <- W[l] - lr * dE/dW[l]``   (gradient descent: the weight change is
   ``-lr * dE/dW``)

Parameters are the engine's Keras-order list ``[W1, b1, W2, b2, ...]`` (no b's for a net without
biases). Everything is computed in float64.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from . import loss_names

LEAKY_SLOPE = 0.01  # leaky-relu's slope for negative net inputs (as in the engine and PyTorch)


# --- 1. activation functions and their derivatives ----------------------------------------------

def activate(name: str, net: np.ndarray) -> np.ndarray:
    """f(net), elementwise (softmax: across each row). ``net`` (n, units) -> (n, units)."""
    if name == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * net))  # = 1 / (1 + exp(-net)), without overflow
    if name == "tanh":
        return np.tanh(net)
    if name == "relu":
        return np.maximum(net, 0.0)
    if name == "leaky-relu":
        return np.where(net >= 0, net, LEAKY_SLOPE * net)
    if name == "linear":
        return net
    if name == "softmax":
        e = np.exp(net - net.max(axis=1, keepdims=True))  # subtracting the max changes nothing but overflow
        return e / e.sum(axis=1, keepdims=True)
    raise ValueError(f"unknown activation {name!r}")


def derivative(name: str, net: np.ndarray, out: np.ndarray) -> np.ndarray:
    """f'(net), elementwise, written with the unit's output ``out = f(net)`` where that is shorter.

    sigmoid' = out (1 - out);  tanh' = 1 - out^2;  relu' = 1 where net > 0 else 0;
    leaky-relu' = 1 where net >= 0 else 0.01;  linear' = 1. (Softmax has no elementwise derivative:
    see ``output_delta``.)
    """
    if name == "sigmoid":
        return out * (1.0 - out)
    if name == "tanh":
        return 1.0 - out * out
    if name == "relu":
        return (net > 0).astype(net.dtype)
    if name == "leaky-relu":
        return np.where(net >= 0, 1.0, LEAKY_SLOPE)
    if name == "linear":
        return np.ones_like(net)
    raise ValueError(f"no elementwise derivative for {name!r}")


# --- 2. the forward pass ------------------------------------------------------------------------

class Forward(NamedTuple):
    """What the forward pass leaves behind for the backward pass.

    nets: ``[net1, ..., netL]``, net[l] (n, units of layer l).
    outs: ``[out0 = X, out1, ..., outL]``, out[l] (n, units of layer l); ``outs[-1]`` is the prediction.
    """

    nets: list
    outs: list


def layers(params: Sequence, bias: bool = True) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """``[W1, b1, W2, b2, ...]`` -> ``[(W1, b1), (W2, b2), ...]`` in float64 (b None without biases)."""
    ps = [np.asarray(p, np.float64) for p in params]
    if bias:
        return [(ps[i], ps[i + 1]) for i in range(0, len(ps), 2)]
    return [(w, None) for w in ps]


def forward(params: Sequence, X: np.ndarray, activations: Sequence[str], bias: bool = True) -> Forward:
    """Run the patterns ``X`` (n, d) through the net, layer by layer.

    ``activations``: one name per layer, the hidden ones then the output's (sigmoid, softmax, linear).
    """
    out = np.asarray(X, np.float64)
    nets, outs = [], [out]
    for (W, b), f in zip(layers(params, bias), activations):
        net = out @ W                      # weighted sum of the layer below: (n, in) @ (in, units)
        if b is not None:
            net = net + b                  # a bias is a weight from a unit that always outputs 1
        out = activate(f, net)
        nets.append(net)
        outs.append(out)
    return Forward(nets, outs)


# --- 3. targets and the loss --------------------------------------------------------------------

def targets(y: np.ndarray, n_outputs: int) -> np.ndarray:
    """Labels (n,) -> targets (n, K): the label itself for one output unit, one-hot for several."""
    y = np.asarray(y).astype(np.int64)
    if n_outputs == 1:
        return y[:, None].astype(np.float64)
    return np.eye(n_outputs)[y]


def _prediction(loss: str, net: np.ndarray, out: np.ndarray) -> np.ndarray:
    """What the loss compares with the target. Cross-entropies work on probabilities, so bce applies
    the sigmoid and ce the softmax to the output layer's net input (the same thing as ``out`` for a
    sigmoid or softmax output; on a linear output the loss supplies the squashing itself)."""
    loss = loss_names.per_sample(loss)
    if loss == "bce":
        return activate("sigmoid", net)
    if loss == "ce":
        return activate("softmax", net)
    return out


def loss_per_pattern(loss: str, net: np.ndarray, out: np.ndarray, T: np.ndarray) -> np.ndarray:
    """loss_p for every pattern (n,), from the output layer's ``net`` and ``out`` and targets ``T`` (n, K).

    bce: -(t log a + (1 - t) log(1 - a))     ce: -sum_k t_k log a_k
    mse: mean_k (a_k - t_k)^2                sse: 1/2 sum_k (a_k - t_k)^2
    (bce and ce are computed from the net input, log a = -log(1 + exp(-net)), which never takes log 0;
    bce-sum is bce per pattern.)
    """
    loss = loss_names.per_sample(loss)
    if loss == "bce":
        s = net[:, 0]
        t = T[:, 0]
        return np.maximum(s, 0) - s * t + np.log1p(np.exp(-np.abs(s)))  # the same as the formula above
    if loss == "ce":
        shifted = net - net.max(axis=1, keepdims=True)
        log_a = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return -(T * log_a).sum(axis=1)
    err = out - T
    if loss == "mse":
        return (err * err).mean(axis=1)
    if loss == "sse":
        return 0.5 * (err * err).sum(axis=1)
    raise ValueError(f"unknown loss {loss!r}")


def scale(loss: str, n: int) -> float:
    """d E / d loss_p: 1/n when E is the mean over patterns (bce, ce, mse), 1 when it is the sum (sse,
    bce-sum)."""
    return 1.0 if loss_names.summed(loss) else 1.0 / n


def total_loss(loss: str, per_pattern: np.ndarray) -> float:
    """E from the per-pattern losses."""
    return float(per_pattern.sum() * scale(loss, len(per_pattern)))


# --- 4. the backward pass: deltas ---------------------------------------------------------------

def output_delta(loss: str, output: str, net: np.ndarray, out: np.ndarray, T: np.ndarray) -> np.ndarray:
    """delta[L] = d loss_p / d net[L], (n, K): the error signal at the output units.

    * bce (sigmoid) and ce (softmax): the derivative of the loss and of the squashing function
      cancel to ``a - t``: the prediction minus the target.
    * mse / sse: ``d loss_p / d a = 2 (a - t) / K`` (mse) or ``a - t`` (sse), times the output
      activation's derivative f'(net) (sigmoid: a (1 - a); linear: 1).
    * softmax with a squared error: every output depends on every net input, so the chain rule
      runs through the softmax's Jacobian: ``delta_j = a_j (g_j - sum_k g_k a_k)`` with g = d loss_p / d a.
    """
    if loss_names.per_sample(loss) in ("bce", "ce"):
        return _prediction(loss, net, out) - T
    K = out.shape[1]
    g = 2.0 * (out - T) / K if loss == "mse" else out - T   # d loss_p / d out
    if output == "softmax":
        return out * (g - (g * out).sum(axis=1, keepdims=True))
    return g * derivative(output, net, out)


def hidden_delta(delta_above: np.ndarray, W_above: np.ndarray, activation: str, net: np.ndarray,
                 out: np.ndarray) -> np.ndarray:
    """delta[l] = (delta[l+1] @ W[l+1].T) * f_l'(net[l]), (n, units of l).

    Each hidden unit collects the deltas of the units it feeds, weighted by the connecting weights
    (the error sent *backwards* along the same weights), then scales by its own slope f'(net).
    """
    return (delta_above @ W_above.T) * derivative(activation, net, out)


def deltas(params: Sequence, fwd: Forward, T: np.ndarray, activations: Sequence[str], loss: str,
           bias: bool = True) -> list[np.ndarray]:
    """All the deltas ``[delta1, ..., deltaL]``, computed from the output layer down."""
    Ws = [W for W, _ in layers(params, bias)]
    ds = [output_delta(loss, activations[-1], fwd.nets[-1], fwd.outs[-1], T)]
    for l in range(len(Ws) - 2, -1, -1):  # hidden layers, top down (0-based: layer l+1 of the notes)
        ds.insert(0, hidden_delta(ds[0], Ws[l + 1], activations[l], fwd.nets[l], fwd.outs[l + 1]))
    return ds


# --- 5. gradients and the weight update ---------------------------------------------------------

def gradients_from_deltas(fwd: Forward, ds: list[np.ndarray], loss: str, bias: bool = True) -> list[np.ndarray]:
    """dE/dW[l] = scale * out[l-1].T @ delta[l] (in, units);  dE/db[l] = scale * sum_p delta[l] (units,).

    A weight's gradient is (the average over patterns of) the activity at its input end times the
    delta at its output end: the delta rule.
    """
    c = scale(loss, fwd.outs[0].shape[0])
    grads = []
    for out_below, d in zip(fwd.outs[:-1], ds):
        grads.append(c * out_below.T @ d)
        if bias:
            grads.append(c * d.sum(axis=0))
    return grads


def gradients(params: Sequence, X: np.ndarray, y: np.ndarray, activations: Sequence[str], loss: str,
              bias: bool = True) -> list[np.ndarray]:
    """dE/dparams in Keras order ``[dW1, db1, ...]``: forward pass, deltas, then the delta rule.

    ``activations``: hidden activations then the output's; ``y`` (n,) integer labels.
    """
    fwd = forward(params, X, activations, bias)
    T = targets(y, fwd.outs[-1].shape[1])
    return gradients_from_deltas(fwd, deltas(params, fwd, T, activations, loss, bias), loss, bias)


def sgd_step(params: Sequence, grads: Sequence, lr: float) -> list[np.ndarray]:
    """Gradient descent: every weight moves against its gradient, ``w <- w - lr * dE/dw``."""
    return [np.asarray(p, np.float64) - lr * g for p, g in zip(params, grads)]


# --- the same, for a weightflow.MLP -------------------------------------------------------------

def model_activations(model) -> list[str]:
    """The activation names of an MLP's layers: its hidden activations, then its output's."""
    return [*model.activations, model.output]


def model_gradients(model, params: Sequence, X: np.ndarray, y: np.ndarray, loss: str) -> list[np.ndarray]:
    """``gradients`` for a :class:`weightflow.MLP` and its parameter list."""
    return gradients(params, X, y, model_activations(model), loss, model.bias)


def model_loss(model, params: Sequence, X: np.ndarray, y: np.ndarray, loss: str) -> float:
    """E for a :class:`weightflow.MLP` and its parameter list."""
    acts = model_activations(model)
    fwd = forward(params, X, acts, model.bias)
    T = targets(y, fwd.outs[-1].shape[1])
    return total_loss(loss, loss_per_pattern(loss, fwd.nets[-1], fwd.outs[-1], T))
