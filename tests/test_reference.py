"""The textbook delta rule (weightflow.reference) against seed 002's notebook and the engine."""

from __future__ import annotations

import numpy as np
import pytest

import weightflow as wf
from weightflow import reference as R
from weightflow.datasets import load
from conftest import XOR_INIT

XOR_ACTS = ["tanh", "sigmoid"]


def test_seed_002_backprop_by_hand():
    """Every number the notebook prints on its way through one step (In [8] to In [21])."""
    ds = load("xor")
    fwd = R.forward(XOR_INIT, ds.X, XOR_ACTS)
    np.testing.assert_allclose(fwd.outs[-1][:, 0], [0.222117, 0.419674, 0.580326, 0.777883], atol=1e-5)
    T = R.targets(ds.y, 1)
    per = R.loss_per_pattern("bce", fwd.nets[-1], fwd.outs[-1], T)
    np.testing.assert_allclose(per, [0.25118, 0.868278, 0.544165, 1.50455], atol=1e-5)
    assert R.total_loss("bce", per) == pytest.approx(0.792043, abs=1e-5)
    hidden, output = R.deltas(XOR_INIT, fwd, T, XOR_ACTS, "bce")
    np.testing.assert_allclose(output[:, 0], [0.222117, -0.580326, -0.419674, 0.777882], atol=1e-5)
    np.testing.assert_allclose(hidden, [[-0.00904025, -0.0158805], [0.394472, 0.277364], [0.28527, 0.200581],
                                        [-0.0316601, -0.0556155]], atol=1e-5)
    grads = R.gradients_from_deltas(fwd, [hidden, output], "bce")
    updates = [-0.1 * g for g in grads]
    np.testing.assert_allclose(updates[0], [[0.0032955524744466, 0.00291295330971479],
                                            [-0.00216456230264157, -0.000926204957067966]], atol=1e-6)
    np.testing.assert_allclose(updates[1], [-0.015976, -0.0101612], atol=1e-6)
    np.testing.assert_allclose(updates[2][:, 0], [0.0135519, 0.0150604], atol=1e-6)
    np.testing.assert_allclose(updates[3], [0.0], atol=1e-6)
    new = R.sgd_step(XOR_INIT, grads, 0.1)
    expected = [[[-1.049549, -1.142759], [-1.035094, -0.60749]], [-0.015976, -0.010161],
                [[-0.66646], [-0.615784]], [0.0]]
    for got, want in zip(new, expected):
        np.testing.assert_allclose(got, want, atol=1e-5)
    # the one-call form gives the same gradients
    for a, b in zip(R.gradients(XOR_INIT, ds.X, ds.y, XOR_ACTS, "bce"), grads):
        np.testing.assert_array_equal(a, b)


def _random(sizes, seed, n=12, bias=True):
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        params.append((rng.normal(size=(fan_in, fan_out)) / np.sqrt(fan_in)).astype(np.float32))
        if bias:
            params.append((0.2 * rng.normal(size=fan_out)).astype(np.float32))
    X = rng.normal(size=(n, sizes[0])).astype(np.float32)
    y = np.arange(n) % max(2, sizes[-1])
    return params, X, y


@pytest.mark.parametrize("sizes,activation,output,loss,bias", [
    ([3, 4, 1], "sigmoid", "sigmoid", "sse", True),
    ([3, 4, 3], "relu", "softmax", "mse", True),
    ([3, 4, 4, 3], "leaky-relu", "softmax", "ce", False),
    ([3, 4, 1], "linear", "linear", "bce", True),
])
def test_one_textbook_step_equals_the_engines(sizes, activation, output, loss, bias):
    """The reference's gradient-descent step from the same weights lands where the engine's does."""
    params, X, y = _random(sizes, len(sizes), bias=bias)
    model = wf.MLP(sizes, activation=activation, output=output, bias=bias)
    run = wf.train(model, (X, y), optimizer="sgd", lr=0.1, steps=1, record_every=1, test_size=0, init=params,
                   loss=loss, progress=False)
    acts = R.model_activations(model)
    assert R.model_loss(model, params, X, y, loss) == pytest.approx(run.history["train_loss"][0], rel=1e-6)
    new = R.sgd_step(params, R.gradients(params, X, y, acts, loss, bias), 0.1)
    for name, got, want in zip(model.param_names, run.params, new):
        np.testing.assert_allclose(got, want, atol=1e-6, err_msg=name)


def test_derivatives_are_the_slopes_of_the_activations():
    net = np.linspace(-3, 3, 61) + 0.0123  # no point exactly at a kink
    h = 1e-6
    for name in ("sigmoid", "tanh", "relu", "leaky-relu", "linear"):
        slope = (R.activate(name, net + h) - R.activate(name, net - h)) / (2 * h)
        np.testing.assert_allclose(R.derivative(name, net, R.activate(name, net)), slope, atol=1e-8, err_msg=name)


def test_softmax_rows_sum_to_one_without_overflow():
    out = R.activate("softmax", np.array([[1000.0, 1000.0, -1000.0], [0.0, 1.0, 2.0]]))
    np.testing.assert_allclose(out.sum(axis=1), 1.0)
    np.testing.assert_allclose(out[0], [0.5, 0.5, 0.0])
