"""The engine's faster paths against plain ones (to 1e-6), and the fixed costs they remove: programs
compiled per run, cost evaluations per random-walk step under vmap, the bounded program cache."""

from __future__ import annotations

import collections

import weightflow as wf  # before jax: weightflow gives XLA one CPU device per core, as other test files see it

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from weightflow import losses, program, schedule
from weightflow.optim import make_optimizer
from weightflow.state import first_member, initial_state

NET = wf.MLP([2, 3, 1], activation="tanh")


def _train(**kw):
    args = dict(steps=60, record_every=1, test_size=0, progress=False, diagnose=False)
    return wf.train(NET, "xor", **{**args, **kw})


def _close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def _counts(jaxpr, name: str) -> list[int]:
    """For every ``while`` loop in ``jaxpr`` (nested ones too): how many ``name`` equations its body holds,
    counting the bodies of inner loops, conds and jits inside it."""
    found = []

    def inner(eqn):
        for v in eqn.params.values():
            for j in (v if isinstance(v, (list, tuple)) else [v]):
                j = getattr(j, "jaxpr", j)
                if hasattr(j, "eqns"):
                    yield j

    def total(j):
        return sum((e.primitive.name == name) + sum(total(i) for i in inner(e)) for e in j.eqns)

    def walk(j):
        for e in j.eqns:
            if e.primitive.name == "while":
                found.append(total(e.params["body_jaxpr"].jaxpr))
            for i in inner(e):
                walk(i)

    walk(jaxpr)
    return found


@pytest.mark.parametrize("population", [False, True])
def test_a_random_walk_step_evaluates_the_cost_three_times_also_under_vmap(population):
    # 16 steps a frame: the steps run in a loop whose body is exactly one step; each cost evaluation
    # of the 2-3-1 net is two matrix products (with the cost carried, the current one is not evaluated)
    sched = schedule.make_schedule(4, 64, None, None, 16, None)
    opt = make_optimizer("random-walk")
    chunk = program.build_chunk(NET, "bce", opt, sched, 4, False, False)
    state = initial_state(NET, "random-walk", 1.0, {}, [0, 1], None)
    if not population:
        state = jax.tree_util.tree_map(lambda a: a[0], state)
    else:
        chunk = jax.vmap(chunk, in_axes=(0, None, None, 0), axis_name=program.MEMBERS)
    data = program.train_data(wf.datasets.split(wf.datasets.load("xor"), test_size=0))
    plan = schedule.plan_chunks(sched, 2, 20)
    orders = np.zeros((2, 0, 0) if population else (0, 0), np.int32)  # full batch: no sample orders
    jaxpr = jax.make_jaxpr(chunk)(state, plan.chunk(0)[2:], data, orders).jaxpr
    assert max(_counts(jaxpr, "dot_general")) == 3 * 2


def _random_walk_by_hand(steps: int, seed: int = 0):
    """The rule's update called step by step with the cost of the current parameters evaluated every
    time (the plain path: no carried cost); returns every frame's parameters (steps + 1, ...)."""
    sp = wf.datasets.split(wf.datasets.load("xor"), test_size=0)
    xt, y = jnp.asarray(sp.X_train.T), jnp.asarray(sp.y_train)
    opt = make_optimizer("random-walk")
    st = jax.tree_util.tree_map(lambda a: jnp.asarray(a[0]), initial_state(NET, "random-walk", 1.0, {}, [seed],
                                                                             None))

    def cost(p):
        return losses.loss_value(NET.forward_t(p, xt), y, "bce", NET.output)

    @jax.jit
    def step(params, opt_state):
        updates, opt_state = opt.tx.update(None, opt_state, params, value=cost(params), value_fn=cost)
        return [p + u for p, u in zip(params, updates)], opt_state

    params, opt_state, frames = st.params, st.opt_state, []
    for _ in range(steps + 1):
        frames.append([np.asarray(p) for p in params])
        params, opt_state = step(params, opt_state)
    return frames


@pytest.mark.parametrize("population", [None, 2])
def test_the_carried_cost_path_equals_evaluating_the_cost_every_step(population):
    run = _train(optimizer="random-walk", steps=40, population=population, seed=0, chunk_steps=16)
    frames = _random_walk_by_hand(40)
    for i, name in enumerate(NET.param_names):
        got = run.frames[i][0] if population else run.frames[i]
        _close(got, np.stack([f[i] for f in frames[:40]]))
        _close(run.params[i][0] if population else run.params[i], frames[40][i])


def test_one_frame_per_iteration_equals_four(monkeypatch):
    """Short runs record one frame per loop iteration (a smaller program); longer ones four."""
    lean = _train(steps=64, optimizer="adam", lr=0.05)
    monkeypatch.setattr(schedule, "LEAN_STEPS", 0)
    assert schedule.frames_per_iteration(schedule.make_schedule(4, 64, None, None, 1, None)) == 4
    grouped = _train(steps=64, optimizer="adam", lr=0.05)
    for a, b in zip(lean.frames, grouped.frames):
        _close(a, b)
    for col in ("train_loss", "train_accuracy"):
        _close(lean.history[col], grouped.history[col])


def test_at_most_two_programs_per_run_and_none_for_a_repeat():
    run = _train(steps=96, chunk_steps=32, optimizer="adam", lr=0.01, init_scale=0.9)  # 3 chunks, a new shape
    assert 1 <= run.metrics["compiled_programs"] <= 2
    again = _train(steps=96, chunk_steps=32, optimizer="adam", lr=0.02, seed=3, init_scale=0.9)
    assert again.metrics["compiled_programs"] == 0  # another lr and seed: both programs reused
    pop = _train(steps=96, chunk_steps=32, optimizer="sgd", lr=0.01, population=4)
    assert 1 <= pop.metrics["compiled_programs"] <= 2
    assert run.status == pop.status == "completed"


def test_the_same_custom_optax_object_reuses_its_program():
    tx = optax.chain(optax.clip(1.0), optax.sgd(0.1))
    first = _train(steps=32, optimizer=tx)
    before = len(program._CHUNKS), program.compilations().programs
    second = _train(steps=32, optimizer=tx)
    assert len(program._CHUNKS) == before[0]
    assert program.compilations().programs - before[1] <= 1  # at most the start program, never the chunk
    for a, b in zip(first.frames, second.frames):
        np.testing.assert_array_equal(a, b)
    other = _train(steps=32, optimizer=optax.chain(optax.clip(1.0), optax.sgd(0.5)))  # same shape, other object
    assert not np.allclose(other.params[0], first.params[0])


def test_the_program_cache_keeps_only_the_recent_programs():
    opt = make_optimizer("gd", 0.1)
    sched = schedule.make_schedule(4, 8, None, None, 1, None)
    made = [program.compiled_chunk(NET, "bce", opt, 0.1, {}, sched, n, False, False, False)  # jit is lazy:
            for n in range(1000, 1000 + 2 * program.CHUNK_CACHE_SIZE)]                       # nothing compiles
    assert len(program._CHUNKS) <= program.CHUNK_CACHE_SIZE
    assert program.compiled_chunk(NET, "bce", opt, 0.1, {}, sched, 1000 + 2 * program.CHUNK_CACHE_SIZE - 1,
                                  False, False, False) is made[-1]
    assert program.compiled_chunk(NET, "bce", opt, 0.1, {}, sched, 1000, False, False, False) is not made[0]


def test_train_data_and_first_member_equal_the_plain_conversions():
    sp = wf.datasets.split(wf.datasets.load("moons"), test_size=0.25, seed=1)
    data = program.train_data(sp)
    for got, want in zip(data, (jnp.asarray(sp.X_train.T), jnp.asarray(sp.y_train, jnp.int32),
                                jnp.asarray(sp.X_test.T), jnp.asarray(sp.y_test, jnp.int32))):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    state = jax.device_get(initial_state(NET, "adam", 1e-3, {}, [0, 5], None))
    one = initial_state(NET, "adam", 1e-3, {}, [0], None)
    before = program.compilations().programs
    first = first_member(one)
    assert program.compilations().programs == before  # no program compiled to take the member out
    assert all(isinstance(a, jax.Array) for a in jax.tree_util.tree_leaves(first))
    for a, b in zip(jax.tree_util.tree_leaves(first), jax.tree_util.tree_leaves(state)):
        np.testing.assert_array_equal(np.asarray(a), b[0])
    for m, seed in enumerate([0, 5]):  # member m is the model's own draw from its seed
        key = jax.random.split(jax.random.PRNGKey(seed), 3)[0]
        for got, want in zip(state.params, NET.init_params(key)):
            np.testing.assert_array_equal(got[m], np.asarray(want))
    counts = collections.Counter(a.dtype for a in jax.tree_util.tree_leaves(state))
    assert set(counts) <= {np.dtype(np.float32), np.dtype(np.int32), np.dtype(np.uint32)}


def test_the_program_cache_folder_and_turning_it_off(monkeypatch, tmp_path):
    from weightflow import program_store

    monkeypatch.setenv("WEIGHTFLOW_CACHE", str(tmp_path))
    assert program_store.store_dir.__wrapped__() == tmp_path / "programs"  # beside the datasets
    assert (tmp_path / "programs").is_dir()
    monkeypatch.setenv("WEIGHTFLOW_CACHE", "off")
    assert program_store.store_dir.__wrapped__() is None
    monkeypatch.delenv("WEIGHTFLOW_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert program_store.store_dir.__wrapped__() == tmp_path / "xdg" / "weightflow" / "programs"
    assert not jax.config.jax_compilation_cache_dir  # jax's own cache stays off (see program_store)


def test_a_quick_compiled_program_equals_the_plain_one(monkeypatch):
    """Short runs compile with XLA:CPU's classic emitters (faster to compile): the same numbers to 1e-6."""
    runs = {}
    for quick in (True, False):
        monkeypatch.setattr(program, "QUICK_WORK", float("inf") if quick else 0.0)
        program._CHUNKS.clear()  # the in-memory cache does not know the tier
        runs[quick] = _train(steps=50, optimizer="adam", lr=0.05, population=3, init_scale=0.8)
    for a, b in zip(runs[True].frames, runs[False].frames):
        _close(a, b)
    for col in ("train_loss", "train_accuracy"):
        _close(runs[True].history[col], runs[False].history[col])


def test_the_plain_program_equals_one_compiled_without_its_extra_flags(monkeypatch):
    """The plain tier's concurrency-optimised scheduler only reorders kernels: the same numbers to 1e-6
    (minibatches, so the data orders and the gather are in it too)."""
    plain = program.compiler_options
    assert "xla_cpu_enable_concurrency_optimized_scheduler" in (plain(False) or {})
    monkeypatch.setattr(program, "QUICK_WORK", 0.0)
    runs = {}
    for extras in (True, False):
        monkeypatch.setattr(program, "compiler_options", lambda quick=False, extras=True, on=extras: plain(quick, extras and on))
        program._CHUNKS.clear()
        runs[extras] = _train(steps=40, optimizer="adam", lr=0.05, batch_size=2, population=3)
    for a, b in zip(runs[True].frames, runs[False].frames):
        _close(a, b)
    _close(runs[True].history["train_loss"], runs[False].history["train_loss"])


def test_only_short_runs_compile_quickly():
    sched = lambda steps, batch=None: schedule.make_schedule(4, steps, None, batch, 1, None)  # noqa: E731
    assert program.quick_compile(NET, sched(300), 4)  # the start-up benchmark's XOR run
    assert program.quick_compile(wf.MLP([2, 8, 8, 1]), sched(1000), 400)
    assert not program.quick_compile(wf.MLP([2, 8, 8, 1]), sched(2000), 400)
    mnist = wf.MLP([784, 256, 256, 10], output="softmax")
    assert not program.quick_compile(mnist, schedule.make_schedule(60000, None, 1, 128, 100, None), 60000)
    assert not program.quick_compile(wf.MLP([2, 32, 32, 1]), sched(20000), 400)


def test_the_initial_state_equals_the_jax_random_draws_it_replaced():
    """The keys and weights are drawn on the host: against the jax program that drew them before."""
    model = wf.MLP([3, 5, 2], activation="relu", init="he", output="softmax")
    state = initial_state(model, "adam", 1e-3, {}, [0, 9, 2**31], None, init_scale=[1.0, 0.5, 2.0])

    def before(seed, scale):
        k_init, k_data, _ = jax.random.split(jax.random.PRNGKey(seed), 3)
        keys = jax.random.split(k_init, 2)
        weights = [jnp.sqrt(2.0 / 3) * jax.random.normal(keys[0], (3, 5)),
                   jnp.sqrt(2.0 / 5) * jax.random.normal(keys[1], (5, 2))]
        return [w * scale for w in weights], k_data

    for m, (seed, scale) in enumerate([(0, 1.0), (9, 0.5), (2**31, 2.0)]):
        weights, k_data = jax.jit(before, static_argnums=1)(np.uint32(seed), scale)
        _close(np.asarray(state.params[0])[m], weights[0])
        _close(np.asarray(state.params[2])[m], weights[1])
        np.testing.assert_array_equal(np.asarray(state.key)[m], np.asarray(k_data))
    np.testing.assert_array_equal(np.asarray(state.params[1]), 0.0)
    assert np.asarray(state.opt_state.hyperparams["learning_rate"]).tolist() == [np.float32(1e-3)] * 3


def test_the_sample_major_program_equals_the_feature_major_one(monkeypatch):
    """Wide inputs compute sample-major (x @ W, data (n, d)): the same numbers to 1e-6, minibatches
    with a short last batch, test and validation sets and a population included."""
    runs = {}
    for rows in (True, False):
        monkeypatch.setattr(program, "ROWS_MAJOR_INPUTS", 0 if rows else 10**9)
        monkeypatch.setattr(program, "ROWS_MAJOR_ROWS", 0 if rows else 10**9)
        runs[rows] = wf.train(NET, "moons", optimizer="adam", lr=0.05, steps=40, batch_size=48, record_every=5,
                              test_size=0.25, validation_split=0.2, population=2, progress=False, diagnose=False)
    for a, b in zip(runs[True].frames, runs[False].frames):
        _close(a, b)
    for col in ("train_loss", "train_accuracy", "test_loss", "test_accuracy", "val_loss", "val_accuracy"):
        _close(runs[True].history[col], runs[False].history[col])
    monkeypatch.undo()  # the rule itself: images sample-major, the rest feature-major
    mnist = wf.MLP([784, 256, 256, 10], output="softmax")
    big = schedule.make_schedule(60000, None, 1, 128, 100, None)
    assert program.rows_major(mnist, big, 60000)
    assert not program.rows_major(wf.MLP([64, 128, 10], output="softmax"), schedule.make_schedule(1437, 100, None, None, 1, None), 1437)
    assert not program.rows_major(NET, schedule.make_schedule(400, 100, None, None, 1, None), 400)


def _bce(params, X, y):
    z, p = NET.forward_numpy(params, X)
    p = np.clip(p[:, 0], 1e-12, 1 - 1e-12)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)), np.mean((z[:, 0] >= 0) == y)


def test_large_minibatch_runs_measure_frames_on_a_fixed_sample_of_training_rows(monkeypatch):
    monkeypatch.setattr(program, "METRIC_ROWS", 64)
    run = wf.train(NET, "moons", optimizer="adam", lr=0.05, steps=30, batch_size=32, record_every=10,
                   test_size=0.25, progress=False, diagnose=False)
    n = run.split.n_train
    sample = program.metric_sample(run.config.schedule, n)
    assert len(sample) == 64 and sample[0] == 0 and sample[-1] == n - 1 and len(set(sample)) == 64
    Xs, ys = run.split.X_train[sample], run.split.y_train[sample]
    for f in range(len(run.steps)):
        params = [np.asarray(p[f]) for p in run.frames]
        loss, acc = _bce(params, Xs, ys)
        assert run.history["train_loss"][f] == pytest.approx(loss, rel=1e-5)
        assert run.history["train_accuracy"][f] == pytest.approx(acc)
        assert run.history["train_loss"][f] != pytest.approx(_bce(params, run.split.X_train, run.split.y_train)[0],
                                                             rel=1e-4)  # not the whole set's
        test = _bce(params, run.split.X_test, run.split.y_test)  # the test set stays whole
        assert run.history["test_loss"][f] == pytest.approx(test[0], rel=1e-5)
    assert run.metrics["train_loss"] == pytest.approx(_bce(run.params, Xs, ys)[0], rel=1e-5)
    assert program.metric_sample(schedule.make_schedule(n, 30, None, None, 10, None), n) is None  # full batch: all


def test_a_run_directory_writes_its_data_once(tmp_path, monkeypatch):
    """data.npz is the checkpoint's copy (written before training), linked; where links fail, written again."""
    from weightflow import record

    written, savez = [], np.savez
    monkeypatch.setattr(np, "savez", lambda path, **a: (written.append(str(path)), savez(path, **a))[1])
    for out, link_works in ((tmp_path / "a", True), (tmp_path / "b", False)):
        if not link_works:
            monkeypatch.setattr(record.os, "link", lambda *a: (_ for _ in ()).throw(OSError("no links here")))
        written.clear()
        run = _train(steps=20, out=out)
        assert sum(p.endswith("data.npz") for p in written) == (1 if link_works else 2)
        back = wf.load_run(out)
        np.testing.assert_array_equal(back.split.X_train, run.split.X_train)
        assert not (out / record.CHECKPOINT).exists()


def test_a_large_population_s_chunks_are_sized_by_their_cost():
    """The bar moves and Ctrl-C is answered between chunks: a 512-member population of seed 003's net on
    400 points gets chunks of MAX_CHUNK_COST at most (bench/bench_progress.py: 0.1-0.25 s each)."""
    sched = schedule.make_schedule(400, 3000, None, None, 1, None)
    cost = schedule.step_cost([2, 4, 4, 1], 400)
    plan = schedule.plan_chunks(sched, 512, 40, None, cost)
    assert 1 <= plan.per_chunk * 512 * cost <= schedule.MAX_CHUNK_COST
    alone = schedule.plan_chunks(sched, 1, 40)  # a single run: as before, by its output and floats
    assert alone.per_chunk > 100 * plan.per_chunk
