"""Gradient checks: autodiff against central differences and the textbook, in float64, and the
``weightflow gradcheck`` command."""

from __future__ import annotations

import numpy as np
import pytest

import weightflow as wf
from weightflow import check
from weightflow.cli import main

# (hidden layers, activation, output, loss): every activation at every depth, every loss at every depth
CASES = [
    (1, "sigmoid", "sigmoid", "bce"), (1, "tanh", "softmax", "ce"), (1, "relu", "sigmoid", "mse"),
    (1, "leaky-relu", "softmax", "sse"), (1, "linear", "linear", "mse"),
    (2, "sigmoid", "sigmoid", "sse"), (2, "tanh", "softmax", "mse"), (2, "relu", "sigmoid", "bce"),
    (2, "leaky-relu", "softmax", "ce"), (2, "linear", "linear", "ce"),
    (3, "sigmoid", "softmax", "ce"), (3, "tanh", "sigmoid", "bce"), (3, "relu", "linear", "sse"),
    (3, "leaky-relu", "sigmoid", "mse"), (3, "linear", "linear", "bce"),
    (1, "sigmoid", "sigmoid", "bce-sum"), (2, "tanh", "linear", "bce-sum"),
]


def random_problem(depth, output, loss, seed, n=16, d=3, width=4):
    """A random MLP's parameters (float64, biases non-zero) and random data."""
    k = 1 if (output == "sigmoid" or loss.startswith("bce")) else 3
    sizes = [d, *[width] * depth, k]
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        params += [rng.normal(size=(fan_in, fan_out)) / np.sqrt(fan_in), 0.3 * rng.normal(size=fan_out)]
    X = rng.normal(size=(n, d))
    y = np.arange(n) % max(k, 2)
    return sizes, params, X, y


@pytest.mark.parametrize("depth,activation,output,loss", CASES)
def test_gradients_pass_on_random_mlps(depth, activation, output, loss):
    sizes, params, X, y = random_problem(depth, output, loss, seed=depth * 10 + CASES.index(
        (depth, activation, output, loss)))
    model = wf.MLP(sizes, activation=activation, output=output)
    result = check.gradients(model, (X, y), params, loss=loss)
    assert result.ok, result.table()
    assert result.max_rel < 1e-6
    assert [r.name for r in result.rows] == model.param_names
    for r in result.rows:
        assert r.rel_fd < 1e-6 and r.rel_ref < 1e-6
        assert r.grad_norm > 0  # a real gradient was compared
    assert "passed" in result.table()


def test_a_wrong_gradient_fails_loudly():
    import jax
    import jax.numpy as jnp

    from weightflow import losses

    sizes, params, X, y = random_problem(2, "sigmoid", "bce", seed=3)
    model = wf.MLP(sizes, activation="tanh")

    def off_by_a_little(ps):  # a backprop bug: the first hidden layer's gradient 0.1 % too large
        xt, yj = jnp.asarray(X.T), jnp.asarray(y, jnp.int32)
        g = jax.grad(lambda p: losses.loss_value(model.forward_t(p, xt), yj, "bce", model.output))(ps)
        return [g[0] * 1.001, *g[1:]]

    result = check.gradients(model, (X, y), params, grad_fn=off_by_a_little)
    assert not result.ok
    assert result.failed == ["W1"]
    assert 5e-4 < result.rows[0].rel_fd < 2e-3
    assert "FAIL" in result.table() and "FAILED (W1)" in result.table()
    with pytest.raises(AssertionError, match="gradient check failed"):
        result.raise_if_failed()


def test_a_textbook_bug_is_caught_by_the_reference_column(monkeypatch):
    """If the delta rule forgets f'(net) for tanh, the autodiff-vs-reference column says so."""
    from weightflow import reference

    sizes, params, X, y = random_problem(1, "sigmoid", "bce", seed=5)
    real = reference.derivative
    monkeypatch.setattr(reference, "derivative",
                        lambda name, net, out: np.ones_like(net) if name == "tanh" else real(name, net, out))
    result = check.gradients(wf.MLP(sizes, activation="tanh"), (X, y), params)
    assert not result.ok and result.failed == ["W1", "b1"]
    assert result.rows[0].rel_fd < 1e-6 and result.rows[0].rel_ref > 1e-3


def test_bce_gradient_at_a_logit_of_exactly_zero():
    """Zero-initialised logistic regression: every logit is 0 at the first step."""
    X = np.random.default_rng(0).normal(size=(8, 3))
    y = np.arange(8) % 2
    model = wf.MLP([3, 1])
    result = check.gradients(model, (X, y), [np.zeros((3, 1)), np.zeros(1)])
    assert result.ok, result.table()


def test_bad_input_is_one_line():
    with pytest.raises(wf.WeightflowError, match="expected 2 inputs"):
        check.gradients(wf.MLP([3, 1]), "xor")
    with pytest.raises(wf.WeightflowError, match="params W1: expected shape"):
        check.gradients(wf.MLP([2, 1]), "xor", [np.zeros((1, 2)), np.zeros(1)])


def run_cli(args, capsys):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_gradcheck_command(tmp_path, capsys):
    flags = ["--data", "xor", "--hidden", "3", "--activation", "tanh"]
    code, out, _ = run_cli(["gradcheck", *flags], capsys)
    assert code == 0, out
    assert "W1" in out and "b2" in out and "gradient check passed" in out
    code, out, _ = run_cli(["gradcheck", *flags, "--tol", "1e-30", "--atol", "0"], capsys)  # above tolerance: exit 1
    assert code == 1 and "FAIL" in out
    code, _, err = run_cli(["gradcheck"], capsys)
    assert code == 2 and err.startswith("error: gradcheck: expected RUN_DIR or --data")
    # a stored run: its final weights, on its own training data, with its loss
    run_dir = tmp_path / "run"
    code, _, _ = run_cli(["train", *flags, "--loss", "sse", "--optimizer", "gd", "--lr", "0.1", "--steps", "5",
                          "--test-size", "0", "--out", run_dir, "--quiet"], capsys)
    assert code == 0
    code, out, _ = run_cli(["gradcheck", run_dir], capsys)
    assert code == 0, out
    assert "loss sse" in out and "gradient check passed" in out
    code, _, err = run_cli(["gradcheck", run_dir, *flags], capsys)
    assert code == 2 and "got both" in err


def test_gradcheck_passes_at_trained_weights_where_gradients_are_tiny():
    """The README's xor run ends with gradients ~1e-5: finite differences' own rounding is then a visible
    share of them, which the absolute tolerance absorbs (as torch.autograd.gradcheck's atol does)."""
    import weightflow as wf
    from weightflow.check import check_run

    run = wf.train(wf.MLP([2, 8, 1], activation="tanh"), "xor", optimizer="adam", lr=0.05, steps=300,
                   test_size=0, progress=False)
    result = check_run(run)
    assert result.ok, result.table()
    assert max(r.grad_norm for r in result.rows) < 1e-2  # tiny gradients: the case the fix is for
    # a wrong gradient still fails: 1% off is far above both tolerances
    import jax
    import jax.numpy as jnp

    from weightflow import losses
    from weightflow.check import gradients

    xt, y = jnp.asarray(run.split.X_train.T), jnp.asarray(run.split.y_train)

    def off_by_one_percent(p):
        grads = jax.grad(lambda q: losses.loss_value(run.model.forward_t(q, xt.astype(q[0].dtype)), y, "bce",
                                                    "sigmoid"))(p)
        return [1.01 * g for g in grads]

    assert not gradients(run.model, (run.split.X_train, run.split.y_train), run.params,
                         grad_fn=off_by_one_percent).ok
