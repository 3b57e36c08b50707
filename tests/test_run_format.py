"""The run directory: what is written, that it reloads to the same Run, and its validation."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

import weightflow as wf


def test_seed001_run_round_trips(seed001_run, tmp_path):
    path = seed001_run.save(tmp_path / "run")
    meta = json.loads((path / "run.json").read_text())
    assert meta["format_version"] == 1 and meta["weightflow_version"] == wf.__version__
    assert meta["status"] == "completed"
    assert set(meta["metrics"]) >= {"train_loss", "train_accuracy", "test_loss", "test_accuracy"}
    cfg = meta["config"]
    assert cfg["seed"] == 0 and cfg["optimizer"] == {"name": "adam", "lr": 1e-4, "options": cfg["optimizer"]["options"]}
    assert cfg["data"]["name"] == "linear-embedded" and cfg["data"]["n_train"] == 800
    with open(path / "history.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 750 and rows[-1]["step"] == "29960"
    assert float(rows[-1]["test_accuracy"]) == pytest.approx(seed001_run.history["test_accuracy"][-1])
    assert not list(path.rglob("*.pkl")) and (path / "frames" / "W1.npy").exists()

    run = wf.load_run(path)
    assert isinstance(run, wf.Run) and run.status == "completed" and run.model == seed001_run.model
    for a, b in zip(run.params, seed001_run.params):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(run.frames, seed001_run.frames):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(run.steps, seed001_run.steps)
    for k, v in seed001_run.history.items():
        np.testing.assert_allclose(run.history[k], v, rtol=1e-7)
    np.testing.assert_array_equal(run.split.X_test, seed001_run.split.X_test)
    assert run.metrics["train_accuracy"] == pytest.approx(seed001_run.metrics["train_accuracy"])
    again = run.save(tmp_path / "copy")
    assert wf.load_run(again).config == run.config


def test_load_run_errors(tmp_path):
    with pytest.raises(wf.WeightflowError, match="expected a folder with run.json"):
        wf.load_run(tmp_path)
    (tmp_path / "run.json").write_text('{"format_version": 99}')
    with pytest.raises(wf.WeightflowError, match="format version 1, got 99"):
        wf.load_run(tmp_path)
    (tmp_path / "run.json").write_text("{oops")
    with pytest.raises(wf.WeightflowError, match="expected JSON"):
        wf.load_run(tmp_path)


def test_loading_a_run_does_not_import_jax(seed001_run, tmp_path):
    import os
    import subprocess
    import sys

    path = seed001_run.save(tmp_path / "run")
    code = (f"import sys, weightflow as wf; r = wf.load_run({str(path)!r}); r.predict(r.split.X_test); "
            "assert 'jax' not in sys.modules")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr


FIXTURES = Path(__file__).parent / "fixtures"


def test_run_directories_written_before_the_typed_config_still_load():
    """Run directories committed as written by weightflow before RunConfig existed (session 2's code)."""
    run = wf.load_run(FIXTURES / "run-v1-xor")
    assert run.status == "completed" and run.model.sizes == (2, 3, 1)
    assert run.config.optimizer.name == "adam" and run.config.optimizer.lr == 0.1
    assert run.config.schedule.steps == 40 and run.config.schedule.record_every == 10 and len(run.steps) == 4
    assert run.config.data.name == "xor" and run.config.data.n_train == 4 and run.config.grid == ()
    again = wf.train(run.model, "xor", optimizer="adam", lr=0.1, steps=40, record_every=10, test_size=0,
                     progress=False)
    for a, b in zip(run.frames, again.frames):
        np.testing.assert_array_equal(a[0], b[0])  # the same initial weights, bit for bit (host_random)
        # the same program, now compiled for a short run's compile time: equal to float32 rounding
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    pop = wf.load_run(FIXTURES / "run-v1-xor-grid")
    assert pop.population == 4 and pop.config.axes() == {"eta": [1, 2]}
    assert [pt for pt, _ in pop.grid_points()] == [{"eta": 1}, {"eta": 2}]
    assert pop.member(3).config.optimizer.options["eta"] == 2 and pop.member(3).config.seed == 1
    # the typed config writes back exactly the dict it read
    meta = json.loads((FIXTURES / "run-v1-xor-grid" / "run.json").read_text())
    assert pop.config.to_dict() == meta["config"]
