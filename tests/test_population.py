"""Populations: many runs in one vmapped program, equal to the same seeds run alone; the run
format with a member axis; frames streamed to disk; sharding across devices."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import weightflow as wf
from weightflow.cli import main


def test_a_member_equals_the_same_seed_trained_alone():
    model = wf.MLP([2, 4, 1], activation="tanh")
    kw = dict(optimizer="adam", lr=0.05, steps=100, record_every=10, batch_size=64, progress=False)
    pop = wf.train(model, "moons", population=4, seed=10, **kw)
    assert pop.population == 4 and pop.params[0].shape == (4, 2, 4) and pop.frames[0].shape == (4, 10, 2, 4)
    for m in (0, 3):
        alone = wf.train(model, "moons", seed=10 + m, split_seed=10, **kw)
        member = pop.member(m)
        for p, q in zip(member.params, alone.params):
            np.testing.assert_allclose(p, q, rtol=1e-5, atol=1e-6)
        for p, q in zip(member.frames, alone.frames):
            np.testing.assert_allclose(p, q, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(member.history["train_loss"], alone.history["train_loss"], rtol=1e-5)
        assert member.metrics["test_accuracy"] == pytest.approx(alone.metrics["test_accuracy"])
    # members really differ: own initial weights and own data order
    assert not np.allclose(pop.initial_params[0][0], pop.initial_params[0][1])


@pytest.fixture(scope="module")
def xor_widths(tmp_path_factory):
    """Seed 002's question in small, through `weightflow sweep`: the fraction of 64 seeds reaching
    accuracy 1.0 on XOR per width (each width one program, its seeds one population)."""
    import csv

    out = tmp_path_factory.mktemp("sweep")
    code = main(["sweep", "--data", "xor", "--hidden", "1,2,3", "--activation", "tanh", "--lr", "0.1", "--steps",
                 "400", "--population", "64", "--test-size", "0", "--out", str(out), "--quiet"])
    assert code == 0
    with open(out / "summary.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["run"] for r in rows] == ["tanh-1", "tanh-2", "tanh-3"]
    rate = {int(r["hidden"]): float(r["success_rate (train_accuracy >= 1)"]) for r in rows}
    run = wf.load_run(out / "tanh-2")  # the summary agrees with the stored population
    assert rate[2] == np.mean(run.member_metrics["train_accuracy"] >= 1.0) and run.population == 64
    return rate


def test_one_hidden_unit_never_solves_xor_and_two_sometimes_do(xor_widths):
    assert xor_widths[1] == 0.0  # one tanh unit gives a monotone function of one projection: at most 3 of 4
    assert xor_widths[2] > 0.0 and xor_widths[3] >= xor_widths[2] - 0.1


def test_population_run_round_trips_and_streams(tmp_path):
    out = tmp_path / "pop"
    run = wf.train(wf.MLP([2, 3, 1], activation="sigmoid"), "diamond", optimizer="sgd", lr=0.5, steps=50,
                   record_every=5, population=3, seed=1, progress=False, out=out)
    assert isinstance(run.frames[0], np.memmap)  # written chunk by chunk into the run directory
    meta = json.loads((out / "run.json").read_text())
    assert meta["config"]["population"] == 3
    back = wf.load_run(out)
    assert back.population == 3 and back.member_status == ["completed"] * 3
    for a, b in zip(back.frames, run.frames):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(back.params, run.params):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(back.history["train_loss"], run.history["train_loss"])
    np.testing.assert_allclose(back.member_metrics["train_accuracy"], run.member_metrics["train_accuracy"],
                               rtol=1e-6)
    assert back.metrics["train_accuracy"] == pytest.approx(np.median(run.member_metrics["train_accuracy"]))
    np.testing.assert_array_equal(back.member(2).frames[1], run.frames[1][2])


def test_a_diverging_member_does_not_stop_the_others():
    run = wf.train(wf.MLP([15, 1], output="linear"), "linear-embedded", optimizer="sgd", lr=1.0, loss="sse",
                   steps=40, record_every=1, population=2, seed=0, init=None, progress=False)
    # every member diverged: the run says so, and still trained all its steps (members never stop it)
    assert run.status == "diverged" and run.member_status == ["diverged", "diverged"] and len(run.steps) == 40
    assert run.metrics["diverged_members"] == 2
    ok = wf.train(wf.MLP([15, 1]), "linear-embedded", optimizer="adam", lr=1e-2, steps=40, record_every=1,
                  population=2, seed=0, progress=False)
    assert ok.member_status == ["completed", "completed"] and len(ok.steps) == 40


def test_population_through_the_cli(tmp_path, capsys):
    code = main(["train", "--data", "xor", "--hidden", "4", "--activation", "tanh", "--lr", "0.1", "--steps",
                 "300", "--test-size", "0", "--population", "8", "--out", str(tmp_path / "p"), "--quiet"])
    out = capsys.readouterr().out
    assert code == 0 and "population of 8 (seeds 0..7" in out and "reach train accuracy 1.0" in out
    run = wf.load_run(tmp_path / "p")
    assert run.population == 8 and run.frames[0].shape[:2] == (8, 300 // run.config.schedule.record_every)


def test_sharded_population_equals_one_device(tmp_path):
    """Two CPU devices (XLA's host-platform device count) split the member axis; results must equal
    the same population on one device."""
    code = f"""
import numpy as np, jax, weightflow as wf
run = wf.train(wf.MLP([2, 4, 1], activation="tanh"), "moons", optimizer="adam", lr=0.05, steps=60,
               record_every=10, population=4, seed=3, progress=False)
np.savez({str(tmp_path / 'r')!r} + str(jax.device_count()) + ".npz", *run.params, *run.frames,
         devices=run.config.devices)
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for flags, count in (("--xla_force_host_platform_device_count=2", ""), ("", "1")):
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env={**env, "XLA_FLAGS": flags, "WEIGHTFLOW_CPU_DEVICES": count})
        assert proc.returncode == 0, proc.stderr
    two, one = np.load(tmp_path / "r2.npz"), np.load(tmp_path / "r1.npz")
    assert int(two["devices"]) == 2 and int(one["devices"]) == 1
    for k in one.files:
        if k != "devices":
            np.testing.assert_allclose(two[k], one[k], rtol=1e-5, atol=1e-6)  # float32 sums reorder


def test_weightflow_gives_xla_one_cpu_device_per_core_unless_told_otherwise():
    code = "import weightflow, jax; print(jax.device_count())"
    env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "WEIGHTFLOW_CPU_DEVICES")}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    cores = len(os.sched_getaffinity(0))
    for extra, expected in (({}, cores), ({"WEIGHTFLOW_CPU_DEVICES": "1"}, 1), ({"WEIGHTFLOW_CPU_DEVICES": "3"}, 3),
                            ({"XLA_FLAGS": "--xla_force_host_platform_device_count=5"}, 5)):
        out = subprocess.run([sys.executable, "-c", code], env={**env, **extra}, capture_output=True, text=True)
        assert out.returncode == 0 and int(out.stdout) == expected, (extra, out.stderr)


def test_a_grid_of_learning_rates_is_one_population():
    """lr=[a, b] with population 3: six members in one program, member i*3+m equal to seed m alone at lr[i]."""
    model = wf.MLP([2, 4, 1], activation="tanh")
    kw = dict(optimizer="sgd", steps=60, record_every=10, progress=False, seed=5)
    grid = wf.train(model, "moons", lr=[0.05, 0.5], population=3, **kw)
    assert grid.population == 6 and grid.config.optimizer.lr == [0.05, 0.5]
    for m, (lr, seed) in {1: (0.05, 6), 5: (0.5, 7)}.items():
        alone = wf.train(model, "moons", lr=lr, split_seed=5, **{**kw, "seed": seed})
        member = grid.member(m)
        assert member.config.optimizer.lr == lr and member.config.seed == seed
        for p, q in zip(member.params, alone.params):
            np.testing.assert_allclose(p, q, rtol=1e-5, atol=1e-6)
    # the same seeds at both learning rates start from the same weights
    np.testing.assert_array_equal(grid.initial_params[0][0], grid.initial_params[0][3])


@pytest.mark.parametrize("text, match", [
    ("[data]\nname = 'xor'\n[modle]\nhidden = [[2]]\n", "sections among"),
    ("[data]\nname = 'xor'\n[train]\nsteeps = 5\n", r"\[train\]: expected keys among"),
    ("[model]\nhidden = [[2]]\n", "expected a dataset name"),
    ("[data\nname = 'xor'", "expected TOML"),
])
def test_bad_sweep_configs_are_one_line_errors(text, match, tmp_path, capsys):
    path = tmp_path / "sweep.toml"
    path.write_text(text)
    code = main(["sweep", str(path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    import re

    assert re.search(match, err)


def test_a_grid_over_eta_and_init_scale_is_one_program_and_each_member_equals_its_point_alone():
    """random-walk with eta [0.5, 1] x init_scale [1, 2] and 2 seeds: 8 members, one compiled program;
    member g*2 + m equals seed m trained alone with grid point g's eta and init scale."""
    from weightflow import program

    model = wf.MLP([2, 2, 1], activation="tanh", init="lattice:1")
    kw = dict(optimizer="random-walk", steps=40, record_every=4, test_size=0, progress=False, seed=3)
    before = len(program._CHUNKS)
    grid = wf.train(model, "xor", population=2, optimizer_options={"eta": [0.5, 1.0]}, init_scale=[1.0, 2.0], **kw)
    assert len(program._CHUNKS) - before <= 1  # the whole grid compiled (at most) one program
    assert grid.population == 8 and grid.config.grid == ("eta", "init_scale")
    points = grid.grid_points()
    assert [p for p, _ in points] == [{"eta": 0.5, "init_scale": 1.0}, {"eta": 0.5, "init_scale": 2.0},
                                      {"eta": 1.0, "init_scale": 1.0}, {"eta": 1.0, "init_scale": 2.0}]
    assert points[2][1] == slice(4, 6)
    for m, (eta, scale, seed) in {1: (0.5, 1.0, 4), 6: (1.0, 2.0, 3)}.items():
        alone = wf.train(model, "xor", optimizer_options={"eta": eta}, init_scale=scale, **{**kw, "seed": seed})
        member = grid.member(m)
        assert member.config.optimizer.options["eta"] == eta and member.config.init_scale == scale
        for p, q in zip(member.frames, alone.frames):
            np.testing.assert_allclose(p, q, atol=1e-6)
    # init_scale multiplies the weight matrices of the same draw; biases keep their init
    w0, b0 = grid.initial_params[0], grid.initial_params[1]
    np.testing.assert_allclose(w0[2], 2 * w0[0])
    np.testing.assert_array_equal(b0[2], b0[0])
    # a step of eta moves lattice weights by multiples of eta only
    moved = np.asarray(grid.frames[0][4:6]) - np.asarray(grid.initial_params[0][4:6])[:, None]
    np.testing.assert_allclose(moved, np.round(moved), atol=1e-5)


def test_a_temperature_grid_keeps_zero_exact_and_reloads(tmp_path):
    """Langevin at T in [0, 0.01]: the T = 0 members are exactly gradient descent although the program is
    built for T > 0 (the temperature is in the state); the grid survives save and load."""
    model = wf.MLP([2, 3, 1], activation="tanh")
    kw = dict(steps=30, record_every=5, progress=False, seed=1, lr=0.3)
    grid = wf.train(model, "moons", optimizer="langevin", population=2, optimizer_options={"temperature": [0.0, 0.01]},
                    out=tmp_path / "run", **kw)
    gd = wf.train(model, "moons", optimizer="gd", split_seed=1, **{**kw, "seed": 2})
    for p, q in zip(grid.member(1).params, gd.params):
        np.testing.assert_allclose(p, q, rtol=1e-5, atol=1e-6)
    assert not np.allclose(grid.member(3).params[0], grid.member(1).params[0])  # T > 0: noise
    back = wf.load_run(tmp_path / "run")
    assert [p for p, _ in back.grid_points()] == [{"temperature": 0.0}, {"temperature": 0.01}]
    np.testing.assert_allclose(back.member_metrics["train_loss"], grid.member_metrics["train_loss"], rtol=1e-7)
    header = (tmp_path / "run" / "members.csv").read_text().splitlines()[0].split(",")
    assert header[:5] == ["member", "seed", "lr", "temperature", "status"]


@pytest.mark.parametrize("kwargs, needle", [
    (dict(optimizer="random-walk", optimizer_options={"eta": [0.5, 1.0]}), "for a single run"),
    (dict(optimizer="random-walk", lr=[0.1, 1.0], population=2), "one learning rate for optimizer random-walk"),
    (dict(optimizer="random-walk", optimizer_options={"eta": [0.5, -1.0]}, population=2), "eta"),
    (dict(optimizer="gd", init_scale=[1.0, 0.0], population=2), "init_scale"),
])
def test_bad_grids_are_one_line_errors(kwargs, needle):
    from weightflow.errors import WeightflowError

    with pytest.raises(WeightflowError, match=needle) as e:
        wf.train(wf.MLP([2, 2, 1]), "xor", steps=4, test_size=0, progress=False, **kwargs)
    assert "\n" not in str(e.value)


def test_sweep_over_an_option_grid_summarises_every_point(tmp_path):
    import csv

    cfg = {"data": {"name": "xor", "test_size": 0}, "model": {"hidden": [[2]], "activation": "tanh", "init": "lattice:1"},
           "train": {"optimizer": "random-walk", "steps": 40, "record_every": 4, "population": 4,
                     "options": {"eta": [0.5, 1.0]}},
           "success": {"threshold": 1.0}}
    rows = wf.sweep.run_sweep(cfg, tmp_path, progress=False, echo=lambda *_: None)
    assert [r["eta"] for r in rows] == [0.5, 1.0] and all(r["members"] == 4 for r in rows)
    run = wf.load_run(tmp_path / "tanh-2")
    acc = run.member_metrics["train_accuracy"]
    assert rows[1]["success_rate (train_accuracy >= 1)"] == np.mean(acc[4:] >= 1.0)
    with open(tmp_path / "summary.csv") as fh:
        assert next(csv.reader(fh))[:5] == ["run", "activation", "hidden", "lr", "eta"]
