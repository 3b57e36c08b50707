"""Gradient-free and noisy rules (issue 6): seed 000's lattice random walk, Metropolis, Langevin.

Seed experiments run over populations of seeds: ``train`` reuses the compiled chunk for runs that
differ only in seed (the rule's PRNG key is in its state), so 40 runs cost one compile.
"""

from __future__ import annotations

import itertools
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import weightflow as wf
from weightflow.cli import main
from weightflow.datasets import load
from weightflow.errors import WeightflowError
from weightflow.optim import make_optimizer

SEED000 = wf.MLP([15, 1], init="lattice:1")


def seed000_run(data, seed, eta=1.0, steps=200, **options):
    model = SEED000 if eta == 1.0 else wf.MLP([15, 1], init=f"lattice:{eta:g}")
    return wf.train(model, data, optimizer="random-walk", lr=1.0, steps=steps, record_every=2, test_size=0.2,
                    seed=seed, progress=False, optimizer_options={"eta": eta, **options})


def successes(runs, threshold):
    return [s for s, r in runs.items()
            if r.metrics["train_accuracy"] >= threshold and r.metrics["test_accuracy"] >= threshold]


# --- 1. seed 000's two experiments, over populations of seeds ---------------------------------------

@pytest.fixture(scope="module")
def linear_runs():
    return {s: seed000_run(load("linear-embedded", coef=(1, 2), threshold=10, seed=s), s) for s in range(20)}


def test_seed000_linear_boundary_over_20_seeds(linear_runs):
    good = successes(linear_runs, 0.98)
    assert len(good) >= 0.95 * len(linear_runs), f"train and test >= 0.98 only for seeds {good}"
    for run in linear_runs.values():
        assert run.status == "completed" and run.metrics["steps"] == 200 and len(run.steps) == 100
        assert run.config.optimizer.name == "random-walk"


@pytest.mark.parametrize("eta, low, high", [(5.0, 0.15, 0.70), (1.0, 0.90, 1.0)])
def test_seed000_sine_boundary_fragile_at_eta_5(eta, low, high):
    # 400 steps as in the notebook; 40 seeds. Measured (docs/gradient-free.md): 20/40 at eta 5, 40/40 at eta 1
    runs = {s: seed000_run(load("sine-boundary", variant="000", seed=s), s, eta=eta, steps=400) for s in range(40)}
    good = successes(runs, 0.95)
    assert low <= len(good) / len(runs) <= high, f"eta {eta}: {len(good)}/40 succeeded: {good}"
    if eta == 5.0:  # the failures stall near 50% accuracy rather than almost making it
        stalled = [r.metrics["train_accuracy"] for s, r in runs.items() if s not in good]
        assert max(stalled) < 0.7


# --- 2. lattice invariants and a cost that never increases ----------------------------------------

def assert_on_lattice_and_monotone(run, eta, bias_step):
    for name, frames in zip(run.model.param_names, run.frames):
        unit = bias_step if name.startswith("b") else eta
        np.testing.assert_array_equal(frames, unit * np.round(frames / unit), err_msg=name)
    loss = run.history["train_loss"]
    assert np.all(np.diff(loss) <= 0), "the recorded cost increased"
    assert loss[-1] < loss[0]


def test_random_walk_stays_on_lattice_and_never_raises_the_cost(linear_runs):
    for run in list(linear_runs.values())[:5]:
        assert_on_lattice_and_monotone(run, 1.0, 2.0)


@pytest.mark.parametrize("rule, options", [
    ("random-walk", {"eta": 0.5, "bias_step": 0.25, "p_w": (0.25, 0.5, 0.25)}),
    ("metropolis", {"temperature": 0.0, "step": 0.5, "bias_step": 0.25}),
])
def test_every_layer_moves_on_its_lattice_in_a_deep_net(rule, options):
    model = wf.MLP([2, 4, 1], activation="tanh", init="lattice:0.5")
    run = wf.train(model, "moons", optimizer=rule, lr=1.0, steps=300, record_every=3, test_size=0.2, seed=1,
                   progress=False, optimizer_options=options)
    assert_on_lattice_and_monotone(run, 0.5, 0.25)
    for name, frames in zip(model.param_names, run.frames):  # every layer's W and b moved
        assert np.any(frames != frames[0]), name


def test_metropolis_at_zero_temperature_is_greedy_on_seed000(linear_runs):
    ds = load("linear-embedded", coef=(1, 2), threshold=10, seed=0)
    run = wf.train(SEED000, ds, optimizer="metropolis", lr=1.0, steps=200, record_every=2, seed=0, progress=False,
                   optimizer_options={"temperature": 0.0, "step": 1.0, "bias_step": 2.0})
    assert_on_lattice_and_monotone(run, 1.0, 2.0)


# --- 3. Metropolis at T > 0 samples exp(-L/T) ---------------------------------------------------

def test_metropolis_visits_match_the_boltzmann_distribution_on_a_lattice():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 2)).astype(np.float32)
    y = (X[:, 0] - 0.5 * X[:, 1] + 0.8 * rng.standard_normal(40) > 0).astype(np.int64)
    step, bound, T = 0.5, 1.5, 0.05
    grid = np.arange(-bound, bound + step / 2, step)  # 7 values per weight: 49 states
    states = np.array(list(itertools.product(grid, grid)))
    z = states @ X.T.astype(np.float64)  # (49, 40) logits
    losses = np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))), axis=1)

    def boltzmann(temp):
        p = np.exp(-(losses - losses.min()) / temp)
        return p / p.sum()

    exact = boltzmann(T)
    # the test can tell a wrong temperature apart
    assert 0.5 * np.abs(boltzmann(1.5 * T) - exact).sum() > 0.1

    model = wf.MLP([2, 1], bias=False, init=f"lattice:{step}")
    run = wf.train(model, (X, y), optimizer="metropolis", lr=1.0, steps=100000, record_every=1, test_size=0, seed=3,
                   progress=False, optimizer_options={"temperature": T, "step": step, "bound": bound})
    idx = np.rint((run.frames[0][:, :, 0] + bound) / step).astype(int)
    visits = np.bincount(idx[:, 0] * len(grid) + idx[:, 1], minlength=len(states)) / len(idx)
    tv = 0.5 * np.abs(visits - exact).sum()
    assert tv < 0.03, f"total variation {tv:.4f}"
    assert 0.2 < run.metrics["acceptance_rate"] < 0.9


def test_temperature_schedules():
    from weightflow.optim.gradient_free import temperature_at

    t = jnp.arange(5)
    np.testing.assert_allclose(temperature_at(t, 2.0, "constant", 0.9), 2.0)
    np.testing.assert_allclose(temperature_at(t, 2.0, "geometric", 0.9), 2.0 * 0.9 ** np.arange(5), rtol=1e-6)
    np.testing.assert_allclose(temperature_at(t, 2.0, "logarithmic", 0.9), 2.0 * np.log(2) / np.log(np.arange(5) + 2),
                               rtol=1e-6)


def test_simulated_annealing_escapes_the_eta_5_trap():
    """At eta 5 the greedy walk often ends with W1 = W2 = 0 (a lattice local minimum, ~50% accuracy);
    Metropolis with a geometric temperature schedule gets out of it on every seed."""
    model = wf.MLP([15, 1], init="lattice:5")
    options = {"temperature": 1.0, "schedule": "geometric", "decay": 0.99, "step": 5.0, "bias_step": 2.0}
    runs = {s: wf.train(model, load("sine-boundary", variant="000", seed=s), optimizer="metropolis", lr=1.0,
                        steps=1000, record_every=2, seed=s, progress=False, optimizer_options=options)
            for s in range(40)}
    good = successes(runs, 0.95)
    assert len(good) >= 36, f"annealing succeeded for {len(good)}/40 seeds: {good}"  # measured: 40/40
    run = runs[0]
    assert run.config.optimizer.options["schedule"] == "geometric"
    loss = run.history["train_loss"]
    assert np.any(np.diff(loss[:100]) > 0)  # hot at first: uphill moves are taken
    for name, frames in zip(model.param_names, run.frames):
        unit = 2.0 if name.startswith("b") else 5.0
        np.testing.assert_array_equal(frames, unit * np.round(frames / unit))


# --- 4. Langevin ----------------------------------------------------------------------------------

def test_langevin_at_zero_temperature_is_gradient_descent():
    model = wf.MLP([2, 3, 1], activation="tanh")
    common = dict(lr=0.1, steps=300, record_every=10, test_size=0, seed=4, progress=False)
    gd = wf.train(model, "moons", optimizer="gd", **common)
    exact = wf.train(model, "moons", optimizer="langevin", optimizer_options={"temperature": 0.0}, **common)
    for p, q in zip(exact.frames, gd.frames):  # T = 0: no noise term at all, the same program as gd
        np.testing.assert_array_equal(p, q)
    # T -> 0: the noise (std sqrt(2 T lr) per step) vanishes
    tiny = wf.train(model, "moons", optimizer="langevin", optimizer_options={"temperature": 1e-18}, **common)
    for p, q in zip(tiny.params, gd.params):
        np.testing.assert_allclose(p, q, atol=1e-6)
    hot = wf.train(model, "moons", optimizer="langevin", optimizer_options={"temperature": 1e-3}, **common)
    assert max(np.abs(p - q).max() for p, q in zip(hot.params, gd.params)) > 1e-3


def test_langevin_noise_has_variance_2_T_lr_and_a_decaying_step():
    lr, T = 0.01, 0.5
    grads = [jnp.zeros((200, 50)), jnp.zeros((50,))]
    for lr_decay, t in ((0.0, 0), (0.1, 10)):
        opt = make_optimizer("langevin", lr, key=jax.random.PRNGKey(1), temperature=T, lr_decay=lr_decay)
        state = opt.tx.init(grads)._replace(steps=jnp.asarray(t, jnp.int32))
        updates, state = opt.tx.update(grads, state, grads)
        noise = np.concatenate([np.ravel(u) for u in updates])
        lr_t = lr * (1 + lr_decay * t) ** -0.55
        np.testing.assert_allclose(noise.var(), 2 * T * lr_t, rtol=0.05)
        assert abs(noise.mean()) < 0.05 * noise.std()
        assert int(state.steps) == t + 1


# --- reproducibility, populations, the rule's own contract --------------------------------------

def test_runs_are_reproducible_from_their_seed_and_differ_across_seeds(linear_runs):
    ds = load("linear-embedded", coef=(1, 2), threshold=10, seed=0)
    again = seed000_run(ds, 0)
    for p, q in zip(again.frames, linear_runs[0].frames):
        np.testing.assert_array_equal(p, q)
    other = wf.train(SEED000, ds, optimizer="random-walk", lr=1.0, steps=200, record_every=2, test_size=0.2,
                     seed=1, progress=False, optimizer_options={"eta": 1.0})
    assert any(np.any(p != q) for p, q in zip(other.frames, again.frames))


@pytest.mark.parametrize("rule, options", [("random-walk", {"eta": 1.0}), ("metropolis", {"temperature": 0.01}),
                                           ("langevin", {"temperature": 1e-4})])
def test_a_population_member_equals_the_same_seed_trained_alone(rule, options):
    ds = load("linear-embedded", coef=(1, 2), threshold=10, seed=0)
    kw = dict(optimizer=rule, lr=1.0, steps=200, record_every=2, progress=False, optimizer_options=options)
    pop = wf.train(SEED000, ds, population=4, seed=10, **kw)
    for m in (0, 3):
        alone = wf.train(SEED000, ds, seed=10 + m, split_seed=10, **kw)
        for p, q in zip(pop.member(m).frames, alone.frames):
            np.testing.assert_allclose(p, q, rtol=1e-5, atol=1e-5)
    assert not np.array_equal(pop.frames[0][0], pop.frames[0][1])
    if rule != "langevin":
        assert pop.member_metrics["acceptance_rate"].shape == (4,)
    else:  # the learning rate is in Langevin's state: a grid of learning rates is one population program
        grid = wf.train(SEED000, ds, population=2, seed=10, **{**kw, "lr": [0.5, 1.0]})
        for p, q in zip(grid.member(2).frames, pop.member(0).frames):  # lr 1.0, seed 10
            np.testing.assert_allclose(p, q, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("rule", ["random-walk", "metropolis", "langevin"])
def test_rules_vmap_over_a_population_of_keys(rule):
    """The update is a pure function of (state, params): it vmaps over a population of runs."""
    opt = make_optimizer(rule, 0.1, temperature=0.1) if rule != "random-walk" else make_optimizer(rule, 0.1)
    params = [jnp.ones((3, 2)), jnp.zeros((2,))]
    target = [jnp.full((3, 2), 5.0), jnp.full((2,), -4.0)]

    def value_fn(p):
        return sum(jnp.sum((a - b) ** 2) for a, b in zip(p, target))

    def one(key):
        o = make_optimizer(rule, 0.1, key=key, **({} if rule == "random-walk" else {"temperature": 0.1}))
        state = o.tx.init(params)
        grads = jax.grad(value_fn)(params)
        return opt.tx.update(grads, state, params, value=value_fn(params), value_fn=value_fn)[0]

    updates = jax.vmap(one)(jax.random.split(jax.random.PRNGKey(0), 8))
    assert updates[0].shape == (8, 3, 2)
    assert len({np.asarray(updates[0][i]).tobytes() for i in range(8)}) > 1  # different keys, different moves


def test_random_walk_takes_the_cheapest_of_three_candidates_in_order():
    """Hand-made costs: the rule keeps the cheapest candidate below the current cost, else nothing."""
    # every W entry moves +1 and every b entry -2, so each candidate is recognisable
    opt = make_optimizer("random-walk", 1.0, key=jax.random.PRNGKey(0), p_w=(0, 0, 1), p_b=(1, 0))
    params = [jnp.zeros((2, 1)), jnp.zeros((1,))]
    state = opt.tx.init(params)
    moves = {0: (1.0, 0.0), 1: (1.0, -2.0), 2: (0.0, -2.0), -1: (0.0, 0.0)}
    for costs, expect in (((3.0, 2.0, 1.0), 2), ((1.0, 2.0, 3.0), 0), ((2.0, 0.5, 0.7), 1), ((5.0, 6.0, 7.0), -1),
                          ((4.0, 4.0, 4.0), -1), ((3.0, 3.0, 3.0), 0)):
        calls = []

        def value_fn(p, costs=costs, calls=calls):
            calls.append(p)
            return jnp.asarray(costs[len(calls) - 1])

        updates, new = opt.tx.update(None, state, params, value=jnp.asarray(4.0), value_fn=value_fn)
        assert len(calls) == 3  # exactly three cost evaluations, the current one reused
        assert [float(c[0][0, 0]) for c in calls] == [1.0, 1.0, 0.0]  # (W~, b), (W~, b~), (W, b~)
        assert [float(c[1][0]) for c in calls] == [0.0, -2.0, -2.0]
        assert (float(updates[0][0, 0]), float(updates[1][0])) == moves[expect], costs
        assert int(new.accepted) == (expect >= 0) and int(new.steps) == 1


def test_acceptance_rate_is_recorded_in_history_and_run_json(linear_runs, tmp_path):
    run = linear_runs[0]
    rate = run.history["acceptance_rate"]
    assert np.isnan(rate[0]) and np.all((rate[1:] >= 0) & (rate[1:] <= 1))
    assert 0 < run.metrics["acceptance_rate"] < 1
    path = run.save(tmp_path / "rw")
    meta = json.loads((path / "run.json").read_text())
    assert meta["metrics"]["acceptance_rate"] == pytest.approx(run.metrics["acceptance_rate"])
    assert meta["config"]["optimizer"]["options"]["bias_step"] == 2.0
    assert "acceptance_rate" in wf.load_run(path).history


@pytest.mark.parametrize("rule, options, needle", [
    ("random-walk", {"p_w": (0.5, 0.5)}, "p_w: expected 3 probabilities"),
    ("random-walk", {"p_w": "1/2,1/3,1/3"}, "p_w: expected 3 probabilities"),
    ("random-walk", {"eta": -1}, "eta: expected a number > 0"),
    ("metropolis", {"temperature": -0.1}, "temperature: expected a number >= 0"),
    ("metropolis", {"schedule": "cosine"}, "schedule: expected one of constant, geometric, logarithmic"),
    ("metropolis", {"proposal": "cauchy"}, "proposal: expected one of lattice, gaussian"),
    ("langevin", {"decay": 1.5}, r"decay: expected a factor per step in \(0, 1\]"),
    ("langevin", {"eta": 1.0}, "optimizer langevin: expected options among"),
])
def test_bad_rule_options_are_one_line_errors(rule, options, needle):
    with pytest.raises(WeightflowError, match=needle):
        make_optimizer(rule, 1.0, **options)


# --- command line -------------------------------------------------------------------------------

def test_cli_trains_seed000_with_the_random_walk(tmp_path, capsys):
    out = tmp_path / "rw"
    code = main(["train", "--data", "linear-embedded", "--data-option", "coef=1,2", "--data-option", "threshold=10",
                 "--init", "lattice:1", "--optimizer", "random-walk", "--eta", "1", "--p-w", "1/3,1/3,1/3",
                 "--bias-step", "2", "--steps", "200", "--record-every", "2", "--out", str(out), "--quiet"])
    stdout = capsys.readouterr().out
    assert code == 0, stdout
    run = wf.load_run(out)
    assert run.config.optimizer.name == "random-walk"
    assert run.config.optimizer.options["p_w"] == pytest.approx([1 / 3] * 3)
    assert run.metrics["train_accuracy"] >= 0.98 and 0 < run.metrics["acceptance_rate"] < 1


def test_cli_metropolis_and_langevin_flags(tmp_path, capsys):
    code = main(["train", "--data", "xor", "--hidden", "3", "--init", "lattice:1", "--optimizer", "metropolis",
                 "--temperature", "0.1", "--schedule", "geometric", "--decay", "0.99", "--step", "1",
                 "--proposal", "lattice", "--bound", "4", "--steps", "50", "--test-size", "0",
                 "--out", str(tmp_path / "m"), "--quiet"])
    assert code == 0, capsys.readouterr()
    opts = wf.load_run(tmp_path / "m").config.optimizer.options
    assert opts["schedule"] == "geometric" and opts["decay"] == 0.99 and opts["bound"] == 4.0
    code = main(["train", "--data", "xor", "--hidden", "3", "--optimizer", "langevin", "--lr", "0.1",
                 "--temperature", "0", "--lr-decay", "0.01", "--steps", "50", "--test-size", "0",
                 "--out", str(tmp_path / "l"), "--quiet"])
    assert code == 0, capsys.readouterr()
    assert wf.load_run(tmp_path / "l").config.optimizer.options["lr_decay"] == 0.01


def test_cli_finds_the_rules_without_any_rule_flag(tmp_path):
    """A fresh process (nothing imported gradient_free yet): --optimizer random-walk alone works."""
    import subprocess
    import sys

    code = ("import sys; from weightflow.cli import main; sys.exit(main(['train', '--data', 'xor', '--optimizer', "
            f"'random-walk', '--steps', '5', '--test-size', '0', '--quiet', '--out', {str(tmp_path / 'r')!r}]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert wf.load_run(tmp_path / "r").config.optimizer.name == "random-walk"


@pytest.mark.parametrize("args, needle", [
    (["--optimizer", "adam", "--eta", "1"], "--eta: expected a flag that --optimizer adam takes (no rule flags)"),
    (["--optimizer", "metropolis", "--eta", "1"], "use --optimizer random-walk"),
    (["--optimizer", "random-walk", "--temperature", "1"], "use --optimizer metropolis / langevin"),
    (["--optimizer", "random-walk", "--p-w", "1/2,1/2"], "--p-w: expected 3 probabilities >= 0 summing to 1"),
    (["--optimizer", "random-walk", "--p-w", "a,b,c"], "--p-w: expected 3 probabilities"),
    (["--optimizer", "random-walk", "--p-b", "0.7,0.7"], "--p-b: expected 2 probabilities"),
    (["--optimizer", "random-walk", "--eta", "0"], "--eta: expected a number > 0"),
    (["--optimizer", "metropolis", "--temperature", "-1"], "--temperature: expected a number >= 0"),
    (["--optimizer", "metropolis", "--schedule", "fast"], "--schedule: expected one of constant, geometric"),
    (["--optimizer", "metropolis", "--decay", "0.9"], "--decay: expected --schedule geometric"),
    (["--optimizer", "metropolis", "--schedule", "geometric", "--decay", "2"], "--decay: expected a factor"),
    (["--optimizer", "metropolis", "--proposal", "cauchy"], "--proposal: expected one of lattice, gaussian"),
    (["--optimizer", "langevin", "--lr-decay", "-1"], "--lr-decay: expected a number >= 0"),
    (["--optimizer", "random-wlak", "--eta", "1"], "did you mean 'random-walk'"),
])
def test_cli_rule_flag_errors(args, needle, capsys, tmp_path):
    code = main(["train", "--data", "xor", "--steps", "5", "--test-size", "0", "--out", str(tmp_path / "x"), "--quiet",
                 *args])
    err = capsys.readouterr().err
    assert code == 2 and needle in err and err.startswith("error: ") and err.count("\n") == 1, err
    assert not (tmp_path / "x").exists()
