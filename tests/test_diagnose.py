"""Diagnosis on really trained runs: each situation is produced by weightflow.train, never faked."""

from __future__ import annotations

import json

import numpy as np
import pytest

import weightflow as wf
import weightflow.datasets
from weightflow.diagnose import Finding, diagnose, diagnose_population, stats
from weightflow.diagnose.online import Monitor, replay
from weightflow.errors import WeightflowError


def _named(findings, name, alarm=True):
    hits = [f for f in findings if f.name == name and (f.alarm or not alarm)]
    assert hits, f"no {name} in {[(f.name, f.severity) for f in findings]}"
    return hits[0]


def _moons(n=400, noise=0.15):
    ds = wf.datasets.load("moons", n=n, noise=noise)
    X = (ds.X - ds.X.mean(0)) / ds.X.std(0)
    return X.astype(np.float32), ds.y


@pytest.fixture(scope="module")
def dead_xor():
    return wf.train(wf.MLP([2, 8, 1], activation="relu", bias_init=-1), "xor", lr=0.05, steps=300,
                    record_every=10, test_size=0, progress=False)


@pytest.fixture(scope="module")
def healthy():
    """24 healthy runs in one population: tanh 2-16-1 on moons, Adam 0.02."""
    return wf.train(wf.MLP([2, 16, 1], activation="tanh"), _moons(), lr=0.02, steps=2000, record_every=20,
                    test_size=0.3, population=24, progress=False)


@pytest.fixture(scope="module")
def overfit():
    """A wide net on 40 noisy points, half of them held out."""
    return wf.train(wf.MLP([2, 128, 128, 1], activation="relu"), _moons(40, 0.3), lr=0.01, steps=2000,
                    record_every=20, test_size=0.5, progress=False)


def test_dead_relus_are_named(dead_xor):
    f = _named(diagnose(dead_xor), "dead_units")
    W1, b1 = dead_xor.params[0], dead_xor.params[1]
    X = dead_xor.split.X_train
    never = [f"h1.{u}" for u in range(8) if np.all(X @ W1[:, u] + b1[u] <= 0)]  # numpy, final weights
    assert f.evidence["units"] == never and len(never) >= 4
    assert f.step == 0 and "h1." in f.message
    assert [g.to_dict() for g in wf.diagnose(dead_xor)] == [g.to_dict() for g in diagnose(dead_xor)]  # callable module


def test_huge_learning_rate_diverges_at_its_step():
    run = wf.train(wf.MLP([2, 8, 1], activation="tanh", output="linear"), _moons(), optimizer="gd", lr=5.0,
                   loss="mse", steps=400, record_every=1, test_size=0.3, progress=False)
    assert run.status == "diverged"
    f = _named(diagnose(run), "diverging")
    # the engine stops before the step that diverged and names it; the diagnosis names the same step
    assert f.step == run.metrics["diverged_at_step"] and np.isfinite(run.history["train_loss"]).all()
    assert diagnose(run)[0].name == "diverging"


def test_tiny_learning_rate_is_too_slow():
    run = wf.train(wf.MLP([2, 16, 1], activation="tanh"), _moons(), lr=3e-5, steps=2000, record_every=20,
                   test_size=0.3, population=4, progress=False)
    for m in range(4):
        f = _named(diagnose(run.member(m)), "too_slow")
        assert f.evidence["loss_per_step"] > 0 and f.evidence["steps_needed"] > 2 * 2000


def test_overfitting_with_its_turning_step(overfit):
    f = _named(diagnose(overfit), "overfitting")
    s, t = stats.finite(overfit.steps, overfit.history["test_loss"])
    turn = f.step
    assert s[0] <= turn < s[-1] - 200
    smooth = np.convolve(t, np.ones(5) / 5, mode="same")  # an independent smoother: a 5-point mean
    assert smooth[np.searchsorted(s, turn)] <= 1.1 * smooth[2:-2].min()
    # the test loss after the turn is far above the test loss around it; the train loss fell meanwhile
    near = t[np.abs(s - turn) <= 150]
    assert np.median(t[-10:]) > 1.2 * np.median(near)
    tr = overfit.history["train_loss"]
    assert tr[-1] < tr[np.searchsorted(overfit.steps, turn)]


def test_seed001_noise_inputs_are_ignored(seed001_run):
    f = _named(diagnose(seed001_run), "ignored_inputs", alarm=False)
    # the 13 noise coordinates, and x2 too: seed 001's label is x1 >= 0, so x2 carries no signal either
    assert set(range(2, 15)) <= set(f.evidence["indices"]) and 0 not in f.evidence["indices"]
    W = seed001_run.params[0][:, 0]
    influence = np.abs(W) * seed001_run.split.X_train.std(axis=0)  # independent: |w_i| * std(x_i)
    assert np.all(influence[2:] < 0.05 * influence[0])
    assert not [g for g in diagnose(seed001_run) if g.alarm]


def test_no_false_alarm_on_healthy_runs(healthy):
    per = diagnose_population(healthy)
    assert len(per) == 24
    alarms = [(m, f.name) for m, fs in enumerate(per) for f in fs if f.alarm]
    assert alarms == []
    assert np.all(healthy.member_metrics["train_accuracy"] > 0.95)


def test_saturated_start_and_symmetric_units():
    sat = wf.train(wf.MLP([2, 16, 1], activation="tanh", init="normal:30"), _moons(), lr=0.01, steps=300,
                   record_every=10, test_size=0.3, progress=False)
    f = _named(diagnose(sat), "saturated_units")
    assert f.step == 0 and f.evidence["share_at_start"] >= 0.5
    sym = wf.train(wf.MLP([2, 16, 1], activation="sigmoid", init="zeros"), _moons(), lr=0.01, steps=300,
                   record_every=10, test_size=0.3, progress=False)
    g = _named(diagnose(sym), "symmetric_units")
    assert g.evidence["groups"] == [[f"h1.{u}" for u in range(16)]] and g.severity == "error"
    assert np.allclose(sym.params[0], sym.params[0][:, :1])  # independent: every column equal


def test_vanishing_gradients_in_a_deep_sigmoid_net():
    run = wf.train(wf.MLP([2] + [16] * 6 + [1], activation="sigmoid"), _moons(), optimizer="sgd", lr=0.1,
                   steps=200, record_every=10, test_size=0.3, progress=False)
    f = _named(diagnose(run), "vanishing_gradients")
    rms = np.asarray(f.evidence["rms_per_layer"][0])
    assert rms[0] < 1e-3 * rms[-1] and np.all(np.diff(rms) > 0)


def test_momentum_too_high_oscillates_with_its_step():
    run = wf.train(wf.MLP([2, 16, 1], activation="tanh"), _moons(), optimizer="sgd", lr=0.05, steps=1000,
                   record_every=10, optimizer_options={"momentum": 0.999}, test_size=0.3, progress=False)
    found = diagnose(run)
    f = _named(found, "oscillating")
    assert run.status == "completed" and "diverging" not in [g.name for g in found]
    loss = np.asarray(run.history["train_loss"])
    level = np.median(loss[20:])  # the level after the first 20% of the frames
    rises = np.nonzero(np.diff(loss) > 0.05 * level)[0]  # independent: the big climbs back
    assert len(rises) >= 3 and loss[-1] < loss[0]  # climbs again and again, yet does not diverge
    assert f.step == int(run.steps[rises[0]]) and f.evidence["momentum"] == 0.999


def test_exploding_gradients_per_layer_from_the_start():
    import torch

    run = wf.train(wf.MLP([2] + [32] * 6 + [1], activation="relu", init="normal:0.5"), _moons(), lr=0.01,
                   steps=200, record_every=10, test_size=0.3, progress=False)
    found = diagnose(run)
    f = _named(found, "exploding_gradients")
    assert f.step == 0 and found[0].name == "exploding_gradients"
    # independent: torch autograd on the first frame's weights, the error dLoss/dnet of every layer
    X = torch.tensor(np.asarray(run.split.X_train, np.float64))
    y = torch.tensor(np.asarray(run.split.y_train, np.float64))[:, None]
    h, nets = X, []
    for i in range(7):
        W, b = (torch.tensor(np.asarray(run.frames[2 * i + k][0], np.float64), requires_grad=True) for k in (0, 1))
        z = h @ W + b
        z.retain_grad()
        nets.append(z)
        h = torch.relu(z) if i < 6 else z
    torch.nn.functional.binary_cross_entropy_with_logits(h, y).backward()
    err = np.array([float(z.grad.pow(2).mean().sqrt()) for z in nets])
    assert np.all(np.diff(err[:-1]) < 0)  # grows layer by layer on its way back to the input
    assert f.evidence["first_over_output"] == pytest.approx(err[0] / err[-1], rel=1e-3) and err[0] > 5 * err[-1]
    assert f.evidence["layers"] == [i + 1 for i in range(6) if err[i] > err[-1]]


def test_chance_accuracy_and_class_imbalance():
    X, y = _moons()
    shuffled = np.random.default_rng(0).permutation(y)
    run = wf.train(wf.MLP([2, 4, 1], activation="tanh"), (X, shuffled), lr=0.01, steps=300, record_every=10,
                   progress=False)
    _named(diagnose(run), "chance_accuracy")
    keep = (y == 0) | (np.arange(len(y)) % 20 == 0)
    run = wf.train(wf.MLP([2, 8, 1], activation="tanh"), (X[keep], y[keep]), lr=0.02, steps=300,
                   record_every=10, progress=False)
    f = _named(diagnose(run), "class_imbalance")
    counts = np.bincount(run.split.y_train)
    assert f.evidence["counts"] == counts.tolist() and f.evidence["small_classes"] == [1]


def test_monitor_reports_each_finding_once_and_early(overfit):
    got = replay(overfit, checkpoints=10)
    names = [f.name for _, f in got]
    assert names.count("overfitting") == 1
    step = dict((f.name, s) for s, f in got)["overfitting"]
    assert step < overfit.steps[-1]  # seen during training, before the end
    mon = Monitor(overfit.model, len(overfit.split.y_train), overfit.split, overfit.config)
    hist = {c: np.asarray(v) for c, v in overfit.history.items()}
    first = mon.update(hist, overfit.frames, int(overfit.steps[-1]))
    assert first and mon.update(hist, overfit.frames, int(overfit.steps[-1])) == []


def test_population_needs_members(healthy):
    with pytest.raises(WeightflowError, match="single run"):
        diagnose(healthy)
    assert [f.to_dict() for f in diagnose(healthy.member(3))] == [f.to_dict() for f in diagnose_population(healthy)[3]]


def test_cli_table_and_json(dead_xor, tmp_path, capsys):
    from weightflow.cli import main

    dead_xor.save(tmp_path / "run")
    assert main(["diagnose", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    assert "dead_units" in out and "advice:" in out
    assert main(["diagnose", str(tmp_path / "run"), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"name", "severity", "step", "message", "advice", "evidence"} <= set(rows[0])
    assert rows == [f.to_dict() for f in diagnose(wf.load_run(tmp_path / "run"))]
    assert main(["diagnose", str(tmp_path / "missing")]) == 2


def test_finding_dict_is_json_safe():
    f = Finding("x", "warning", np.int64(3), {"a": np.float32(1.5), "b": [np.nan, 2], "c": np.arange(2)})
    assert json.loads(json.dumps(f.to_dict())) == {"name": "x", "severity": "warning", "step": 3, "message": "",
                                                   "advice": "", "evidence": {"a": 1.5, "b": [None, 2], "c": [0, 1]}}


def test_statistics_are_robust():
    x = np.linspace(1, 0, 60)
    assert stats.mann_kendall(x) < -3 and stats.mann_kendall(x[::-1]) > 3
    spike = x.copy()
    spike[30] = 10
    assert np.abs(stats.running_median(spike) - x).max() < 0.05
    noise = np.random.default_rng(0).standard_normal(200)
    assert abs(stats.mann_kendall(noise)) < 3


def test_cli_on_a_population(healthy, tmp_path, capsys):
    from weightflow.cli import main

    healthy.save(tmp_path / "pop")
    assert main(["diagnose", str(tmp_path / "pop")]) == 0
    assert "no problems found in any of the 24 members" in capsys.readouterr().out
    assert main(["diagnose", str(tmp_path / "pop"), "--member", "3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [f.to_dict() for f in diagnose(healthy.member(3))]
