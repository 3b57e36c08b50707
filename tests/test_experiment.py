"""Experiment files: every notebook experiment as one command, checked against the notebook's numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import weightflow as wf
from weightflow import experiment as ex
from weightflow.cli import main
from weightflow.errors import WeightflowError

FILES = sorted(ex.EXPERIMENTS.glob("*.toml"))


def run_cli(args, capsys):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_shipped_experiment_file_reads(path):
    cfg = ex.read(path)
    assert cfg["data"]["name"]
    if not ex.is_sweep(cfg) and not cfg["data"]["name"].startswith("mnist"):
        mlp, kw = ex.train_kwargs(cfg)  # its dataset loads and its model fits it
        assert mlp["sizes"][0] == kw["data"].n_features


def test_list_names_them(capsys):
    code, out, _ = run_cli(["run", "--list"], capsys)
    assert code == 0
    for name in ("mass-shuffle-adam", "random-walk", "xor-tanh", "ps5", "mnist1d-mlp", "mnist-logistic"):
        assert name in out


@pytest.mark.parametrize("name, train_min, test_min", [("mass-shuffle-adam", 0.99, 0.98),  # seed 001: 1.0 / 0.995
                                                       ("random-walk", 0.98, 0.98),  # seed 000: 1.0 / 1.0
                                                       ("xor-tanh", 1.0, None),  # seed 002: 1.0
                                                       ("digits-tanh", 0.97, 0.97),  # the goal
                                                       ("digits-relu", 0.97, 0.97)])
def test_notebook_experiments_reach_the_notebooks_numbers(name, train_min, test_min, tmp_path, capsys):
    """The full experiments (they are fast): our numbers beside the notebook's, and the run's page."""
    code, out, _ = run_cli(["run", name, "--out", tmp_path / name, "-q"], capsys)
    assert code == 0, out
    run = wf.load_run(tmp_path / name)
    assert run.metrics["train_accuracy"] >= train_min
    if test_min is not None:
        assert run.metrics["test_accuracy"] >= test_min
    assert "(the notebook reports" in out and (tmp_path / name / "report.html").is_file()


def test_a_run_comes_back_as_a_file_that_makes_it_again(tmp_path, capsys):
    assert main(["train", "--data", "moons", "--hidden", "4,3", "--activation", "relu", "--optimizer", "sgd",
                 "--momentum", "0.9", "--lr", "0.05", "--steps", "120", "--batch-size", "32", "--record-every", "6",
                 "--seed", "2", "--out", str(tmp_path / "a"), "--quiet"]) == 0
    capsys.readouterr()
    code, text, _ = run_cli(["run", "--from", tmp_path / "a"], capsys)
    assert code == 0 and "[train]" in text
    (tmp_path / "a.toml").write_text(text)
    assert main(["run", str(tmp_path / "a.toml"), "--out", str(tmp_path / "b"), "-q"]) == 0
    a, b = wf.load_run(tmp_path / "a"), wf.load_run(tmp_path / "b")
    assert a.config.to_dict() == b.config.to_dict()
    for p, q in zip(a.frames, b.frames):
        np.testing.assert_array_equal(p, q)


def test_steps_override_makes_a_quick_variant(tmp_path, capsys):
    code, out, _ = run_cli(["run", "mass-shuffle-adam-sine", "--steps", "200", "--out", tmp_path / "s", "-q"], capsys)
    assert code == 0 and wf.load_run(tmp_path / "s").config.schedule.steps == 200


@pytest.mark.parametrize("text, match", [
    ("[data]\nname = 'xor'\n[train]\nstepz = 3\n", r"\[train\]: expected keys among .*, got 'stepz'"),
    ("[data]\nname = 'xor'\n[notebook]\nexpected = {train_accuracy = 'high'}\n", r"expected: expected a table of numbers"),
    ("[data]\nname = 'xor'\n[expect]\ntrain_accuracy = 1.0\n", r"expected sections among .*notebook"),
    ("[data\nname = 'xor'\n", "expected TOML"),
    ("[model]\nhidden = [2]\n", r"\[data\]: expected a dataset name"),
])
def test_a_bad_file_is_refused_in_one_line(text, match, tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(WeightflowError, match=match):
        ex.read(path)
    code, _, err = run_cli(["run", path], capsys)
    assert code == 2 and err.count("\n") == 1


def test_mnist_without_its_files_says_where_to_put_them(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WEIGHTFLOW_DATA", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    code, _, err = run_cli(["run", "mnist-logistic", "--out", tmp_path / "m"], capsys)
    assert code == 2 and "WEIGHTFLOW_DATA" in err and err.count("\n") == 1
    assert not (tmp_path / "m").exists()
    with pytest.raises(WeightflowError, match="one of: .*mass-shuffle-adam"):
        ex.locate("no-such-experiment")


def test_an_unknown_name_points_at_the_list(capsys):
    code, _, err = run_cli(["run", "no-such-experiment"], capsys)
    assert code == 2 and "weightflow run --list" in err
    assert Path(ex.EXPERIMENTS).is_dir()
