"""The compiled training engine against independent references: the seed notebooks' printed
numbers, hand-written numpy updates, and its own invariants (determinism, chunking, recording)."""

from __future__ import annotations

import numpy as np
import pytest

import weightflow as wf
from weightflow import losses, schedule
from weightflow.datasets import Dataset, load
from conftest import XOR_INIT


def test_xor_one_step_matches_seed_002_notebook():
    """SEEDS.md 002: forward outputs, per-pattern BCE, mean, and every weight after one SGD step."""
    import jax.numpy as jnp

    model = wf.MLP([2, 2, 1], activation="tanh")
    ds = load("xor")
    out = model.predict_proba(XOR_INIT, ds.X)[:, 0]
    np.testing.assert_allclose(out, [0.222117, 0.419674, 0.580326, 0.777883], atol=1e-5)
    z = model.forward_t([jnp.asarray(p) for p in XOR_INIT], jnp.asarray(ds.X.T))
    per = losses.per_sample(z, jnp.asarray(ds.y), "bce", "sigmoid")
    np.testing.assert_allclose(per, [0.25118, 0.868278, 0.544165, 1.50455], atol=1e-5)
    assert float(jnp.mean(per)) == pytest.approx(0.792043, abs=1e-5)

    run = wf.train(model, ds, optimizer="sgd", lr=0.1, steps=1, record_every=1, test_size=0, init=XOR_INIT,
                   progress=False)
    expected = [[[-1.049549, -1.142759], [-1.035094, -0.60749]], [-0.015976, -0.010161],
                [[-0.66646], [-0.615784]], [0.0]]
    for got, want in zip(run.params, expected):
        np.testing.assert_allclose(got, want, atol=1e-5)
    np.testing.assert_array_equal(run.initial_params[0], XOR_INIT[0])


def test_seed_001_experiment(seed001_run):
    """Seed 001: 750 frames of the 15 -> 1 weights; the notebook reports train 1.0, test 0.995."""
    run = seed001_run
    assert run.status == "completed"
    assert run.frames[0].shape == (750, 15, 1) and run.frames[1].shape == (750, 1)
    np.testing.assert_array_equal(run.steps, 40 * np.arange(750))  # as the notebook: i % 40 == 0
    assert run.metrics["train_accuracy"] >= 0.99
    assert run.metrics["test_accuracy"] >= 0.98
    np.testing.assert_array_equal(run.frames[0][0], run.initial_params[0])
    assert not np.array_equal(run.frames[0][-1], run.params[0])  # 40 more steps after the last frame
    # the label depends on x1 alone: its weight dominates, x2's shrinks towards 0
    w = run.params[0][:, 0]
    assert w[0] > 1.0 and abs(w[1]) < 0.1 * w[0]
    assert run.history["train_loss"][-1] < 0.1 * run.history["train_loss"][0]


def _logistic_data(n=10, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.int64)
    y[:2] = [0, 1]
    return Dataset(X, y)


def test_minibatch_sgd_matches_hand_written_epochs_with_a_short_last_batch():
    """Batches of 4 over 10 samples: 4, 4 and a short batch of 2 whose loss is a mean over 2 (Keras),
    a fresh order every epoch; compared with numpy updates taken in the same order."""
    import jax

    ds = _logistic_data()
    w0 = [np.full((3, 1), 0.1, np.float32), np.zeros(1, np.float32)]
    lr, B, epochs = 0.5, 4, 3
    run = wf.train(wf.MLP([3, 1]), ds, optimizer="sgd", lr=lr, epochs=epochs, batch_size=B, record_every=3,
                   test_size=0, init=w0, seed=7, progress=False)
    assert run.config.schedule.steps == 9 and len(run.steps) == 3  # frames at steps 0, 3, 6
    np.testing.assert_array_equal(run.frames[0][0], w0[0])
    data_key = jax.random.split(jax.random.PRNGKey(7), 3)[1]
    W, b = w0[0].astype(np.float64), w0[1].astype(np.float64)
    for e in range(epochs):
        order = np.asarray(jax.random.permutation(jax.random.fold_in(data_key, e), 10))
        assert sorted(order) == list(range(10))
        for j in range(3):
            idx = order[j * B:(j + 1) * B]
            x, t = ds.X[idx].astype(np.float64), ds.y[idx]
            p = 1 / (1 + np.exp(-(x @ W + b)))[:, 0]
            W -= lr * (x.T @ (p - t))[:, None] / len(idx)
            b -= lr * np.array([np.sum(p - t) / len(idx)])
        after_epoch = run.frames[0][e + 1] if e + 1 < epochs else run.params[0]
        np.testing.assert_allclose(after_epoch, W, atol=1e-5)
    np.testing.assert_allclose(run.params[1], b, atol=1e-5)


def test_same_seed_is_bit_identical_and_chunking_changes_nothing(monkeypatch):
    model = wf.MLP([2, 3, 1], activation="sigmoid")
    kw = dict(optimizer="adam", lr=0.05, steps=50, record_every=5, seed=3, progress=False)
    a = wf.train(model, "diamond", **kw)
    b = wf.train(model, "diamond", **kw)
    for p, q in zip(a.params, b.params):
        np.testing.assert_array_equal(p, q)
    monkeypatch.setattr(schedule, "CHUNK_STEPS", 15)  # 3 blocks a chunk, 4 chunks, the last one padded
    c = wf.train(model, "diamond", **kw)
    for p, q in zip(a.frames, c.frames):
        np.testing.assert_array_equal(p, q)
    np.testing.assert_array_equal(a.history["train_loss"], c.history["train_loss"])
    d = wf.train(model, "diamond", **{**kw, "seed": 4})
    assert not np.array_equal(a.params[0], d.params[0])


@pytest.mark.parametrize("population", [None, 3])
def test_minibatch_chunks_that_start_inside_an_epoch_change_nothing(population, monkeypatch):
    """Each chunk is handed the sample orders of the epochs its steps touch (data_order): with batches
    of 48 over 320 rows (7 steps an epoch) and chunks of 15 steps, chunks start inside epochs and
    cross several; the frames equal those of the run in one chunk, bit for bit."""
    model = wf.MLP([2, 3, 1], activation="sigmoid")
    kw = dict(optimizer="adam", lr=0.05, steps=60, record_every=5, batch_size=48, seed=3, progress=False,
              population=population)
    a = wf.train(model, "moons", **kw)
    monkeypatch.setattr(schedule, "CHUNK_STEPS", 15)
    b = wf.train(model, "moons", **kw)
    assert a.split.X_train.shape[0] == 320 and a.config.schedule.steps_per_epoch == 7
    for p, q in zip(a.frames, b.frames):
        np.testing.assert_array_equal(p, q)
    for p, q in zip(a.params, b.params):
        np.testing.assert_array_equal(p, q)
    np.testing.assert_array_equal(a.history["train_loss"], b.history["train_loss"])


@pytest.mark.parametrize("steps, k, batch_size", [(10, 3, None), (27, 12, None), (10, 3, 64), (27, 12, 64)])
def test_steps_not_a_multiple_of_record_every(steps, k, batch_size):
    """10 steps recorded every 3: frames at steps 0, 3, 6, 9; the final parameters are after step 10.
    Blocks of at most SMALL_BLOCK steps run an unrolled loop that masks the steps of the short last
    block; longer blocks a loop of dynamic length: both must stop where the schedule says."""
    model = wf.MLP([2, 3, 1], activation="sigmoid")
    kw = dict(optimizer="sgd", lr=0.5, seed=1, progress=False, batch_size=batch_size)
    every = wf.train(model, "diamond", steps=steps + 1, record_every=1, **kw)
    sparse = wf.train(model, "diamond", steps=steps, record_every=k, **kw)
    at = np.arange(0, steps, k)
    np.testing.assert_array_equal(sparse.steps, at)
    for f_all, f_sparse in zip(every.frames, sparse.frames):
        np.testing.assert_allclose(f_sparse, f_all[at], atol=1e-6)
    for p, f in zip(sparse.params, every.frames):
        np.testing.assert_allclose(p, f[steps], atol=1e-6)
    np.testing.assert_allclose(sparse.history["train_loss"], every.history["train_loss"][at], rtol=1e-6)
    assert sparse.metrics["steps"] == steps
    assert sparse.metrics["train_loss"] == pytest.approx(every.history["train_loss"][steps], rel=1e-6)


def test_history_matches_the_frames_and_eval_every():
    model = wf.MLP([2, 3, 1], activation="sigmoid")
    run = wf.train(model, "diamond", optimizer="adam", lr=0.05, steps=50, record_every=5, eval_every=20,
                   seed=3, progress=False)
    tested = np.isfinite(run.history["test_loss"])
    np.testing.assert_array_equal(run.steps[tested], [0, 20, 40])  # every 20 steps
    sp = run.split
    for i in (0, 6, 9):
        frame = [f[i] for f in run.frames]
        acc = np.mean(model.predict(frame, sp.X_train) == sp.y_train)
        assert run.history["train_accuracy"][i] == pytest.approx(acc, abs=1e-6)
        assert run.history["test_accuracy"][4] == pytest.approx(
            np.mean(model.predict([f[4] for f in run.frames], sp.X_test) == sp.y_test), abs=1e-6)
    assert run.metrics["test_accuracy"] == pytest.approx(np.mean(run.predict(sp.X_test) == sp.y_test), abs=1e-6)


def test_divergence_stops_and_keeps_the_frames():
    model = wf.MLP([15, 1], output="linear")
    run = wf.train(model, "linear-embedded", optimizer="sgd", lr=50.0, loss="sse", steps=2000, record_every=1,
                   seed=0, progress=False)
    assert run.status == "diverged"
    assert 0 < len(run.steps) < 2000 and run.metrics["steps"] == len(run.steps) - 1
    # the frames stop before the step that diverged (NaN, or 1e4 x the start): every kept loss is finite
    assert run.metrics["diverged_at_step"] == len(run.steps)
    assert np.all(np.isfinite(run.history["train_loss"]))
    assert all(np.isfinite(p).all() for p in run.params)


def test_bce_from_logits_is_stable_for_huge_logits():
    import jax.numpy as jnp

    z = jnp.array([[1e4, -1e4, 1e4, -1e4, 0.0]], jnp.float32)
    y = jnp.array([1, 0, 0, 1, 1])
    per = np.asarray(losses.per_sample(z, y, "bce", "sigmoid"))
    np.testing.assert_allclose(per, [0, 0, 1e4, 1e4, np.log(2)], rtol=1e-6, atol=1e-6)


def test_squared_error_losses_match_numpy():
    import jax.numpy as jnp

    rng = np.random.default_rng(0)
    z = rng.normal(size=(1, 7)).astype(np.float32)
    y = rng.integers(0, 2, 7)
    p = 1 / (1 + np.exp(-z[0]))
    assert float(losses.loss_value(jnp.asarray(z), jnp.asarray(y), "sse", "sigmoid")) == \
        pytest.approx(0.5 * np.sum((y - p) ** 2), rel=1e-5)
    zk = rng.normal(size=(3, 7)).astype(np.float32)
    yk = rng.integers(0, 3, 7)
    sm = np.exp(zk) / np.exp(zk).sum(0)
    onehot = np.eye(3)[yk].T
    assert float(losses.loss_value(jnp.asarray(zk), jnp.asarray(yk), "mse", "softmax")) == \
        pytest.approx(np.mean((sm - onehot) ** 2), rel=1e-5)
    assert float(losses.loss_value(jnp.asarray(zk), jnp.asarray(yk), "ce", "softmax")) == \
        pytest.approx(-np.mean(np.log(sm[yk, np.arange(7)])), rel=1e-5)


@pytest.mark.parametrize("loss, output, out", [("bce", "sigmoid", 1), ("sse", "sigmoid", 1), ("mse", "softmax", 3),
                                              ("ce", "softmax", 3)])
def test_metric_terms_sum_to_the_loss_and_the_accuracy(loss, output, out):
    """The engine records a frame's train metrics as the row sums of metric_terms (one product); all
    samples right is exactly accuracy 1 (success thresholds compare with 1.0)."""
    import jax.numpy as jnp

    rng = np.random.default_rng(1)
    z, y = rng.normal(size=(out, 9)).astype(np.float32), rng.integers(0, max(out, 2), 9)
    terms = losses.metric_terms(jnp.asarray(z), jnp.asarray(y), loss, output)
    sums = np.asarray(losses.sum_terms(jnp.concatenate([terms, 2 * terms]), loss))
    predicted = z.argmax(0) if out > 1 else (z[0] >= 0).astype(int)
    expected_loss = float(losses.loss_value(jnp.asarray(z), jnp.asarray(y), loss, output))
    np.testing.assert_allclose(sums, [expected_loss, np.mean(predicted == y), 2 * expected_loss,
                                      2 * np.mean(predicted == y)], rtol=1e-6)
    right = losses.metric_terms(jnp.asarray(z), jnp.asarray(predicted), loss, output)  # 800 of 800 right
    assert float(losses.sum_terms(jnp.tile(right, (1, 800 // 9 + 1))[:, :800], loss)[1]) == 1.0


def test_initializers_follow_their_rules():
    import jax

    key = jax.random.PRNGKey(0)
    g = np.asarray(wf.MLP([30, 20, 1], init="glorot-uniform").init_params(key)[0])
    assert np.abs(g).max() <= np.sqrt(6 / 50) and np.abs(g).max() > 0.9 * np.sqrt(6 / 50)
    lat = wf.MLP([30, 20, 1], init="lattice:2").init_params(key)
    assert set(np.unique(np.asarray(lat[0]))) == {-2.0, 0.0, 2.0} and not np.any(np.asarray(lat[1]))
    u = np.asarray(wf.MLP([30, 20, 1], init="uniform:0.5").init_params(key)[0])
    assert 0.45 < np.abs(u).max() <= 0.5
    np.testing.assert_array_equal(np.asarray(wf.MLP([3, 2, 1], bias_init=0.1).init_params(key)[1]), np.float32([0.1, 0.1]))
    he = np.asarray(wf.MLP([400, 300, 1], init="he").init_params(key)[0])
    assert he.std() == pytest.approx(np.sqrt(2 / 400), rel=0.05)


def test_digits_softmax_with_minibatches_learns():
    ds = load("digits")
    run = wf.train(wf.MLP([64, 10]), ds, optimizer="adam", lr=0.01, epochs=5, batch_size=128, seed=0,
                   progress=False)
    assert run.config.schedule.steps_per_epoch == 12 and run.config.schedule.steps == 60
    assert run.metrics["test_accuracy"] > 0.85


def test_custom_optax_transformation_is_accepted():
    import optax

    run = wf.train(wf.MLP([2, 1]), "gaussian", optimizer=optax.sgd(0.1), steps=20, record_every=10,
                   progress=False)
    assert run.config.optimizer.name == "custom" and run.metrics["train_accuracy"] > 0.9


@pytest.mark.parametrize("kwargs, match", [
    (dict(optimizer="adamw"), "optimizer: expected one of"),
    (dict(lr=0), "lr: expected a learning rate > 0"),
    (dict(steps=0), "steps: expected a whole number > 0"),
    (dict(steps=10, record_every=20), "record_every: expected at most the number of steps"),
    (dict(steps=10, epochs=2), "expected one of them, got both"),
    (dict(eval_every=7, record_every=2, steps=20), "eval_every: expected a multiple of record_every"),
    (dict(loss="ce"), "loss: expected a loss for a sigmoid output"),
    (dict(init=[np.zeros((3, 1))]), "init: expected 2 arrays"),
])
def test_bad_training_arguments_raise_one_clear_line(kwargs, match):
    with pytest.raises(wf.WeightflowError, match=match) as info:
        wf.train(wf.MLP([2, 1]), "xor", test_size=0, progress=False, **kwargs)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("kwargs, match", [
    (dict(sizes=[2, 0, 1]), "sizes: expected a list of at least two positive integers"),
    (dict(sizes=[2, 3, 1], activation="swish"), "activation: expected one of"),
    (dict(sizes=[2, 3], output="sigmoid"), "1 output unit for a sigmoid output"),
    (dict(sizes=[2, 1], init="xavier"), "init: expected one of"),
])
def test_bad_model_specs(kwargs, match):
    with pytest.raises(wf.WeightflowError, match=match):
        wf.MLP(**kwargs)
