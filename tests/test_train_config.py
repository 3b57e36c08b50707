"""``weightflow train --config FILE``: the file's values, with the flags given on the command line over them;
``--validation-split`` and ``--verbose`` reach the engine and the summary."""

from __future__ import annotations

import pytest

import weightflow as wf
from weightflow.cli import main, train_cmd
from weightflow.errors import WeightflowError

FILE = """# a small experiment for the tests
name = "moons-small"
[data]
name = "moons"
options = {n = 120, noise = 0.1}
test_size = 0.25
[model]
hidden = [3]
activation = "relu"
bias_init = 0.1
[train]
optimizer = "sgd"
lr = 0.05
options = {momentum = 0.9}
epochs = 4
batch_size = 30
record_every = 2
seed = 3
"""


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(FILE)
    return path


def _train(args, tmp_path, name):
    assert main(["train", *map(str, args), "--out", str(tmp_path / name), "-q"]) == 0
    return wf.load_run(tmp_path / name)


def test_config_alone_trains_what_run_trains(config, tmp_path, capsys):
    a = _train(["--config", config], tmp_path, "a")
    assert main(["run", str(config), "--out", str(tmp_path / "b"), "-q"]) == 0
    b = wf.load_run(tmp_path / "b")
    assert a.config.to_dict() == b.config.to_dict()
    assert tuple(a.model.sizes) == (2, 3, 1) and a.config.optimizer.options["momentum"] == 0.9
    assert a.config.data.options["n"] == 120 and a.config.seed == 3 and a.config.epochs == 4


def test_given_flags_override_the_file_and_only_those(config, tmp_path):
    # --seed 0 and --activation tanh are the flags' defaults: given explicitly they still win over the file
    run = _train(["--config", config, "--lr", "0.2", "--steps", "6", "--seed", "0", "--activation", "tanh"],
                 tmp_path, "r")
    c = run.config
    assert c.optimizer.lr == 0.2 and c.seed == 0 and tuple(c.model.activations) == ("tanh",)
    assert c.schedule.steps == 6 and c.epochs is None  # --steps replaces the file's epochs
    # what was not given comes from the file, not from the flags' defaults (adam, glorot, bias 0, full batch)
    assert c.optimizer.name == "sgd" and c.optimizer.options["momentum"] == 0.9
    assert c.schedule.batch_size == 30 and c.model.bias_init == 0.1 and c.data.options["noise"] == 0.1


def _settings(args, cfg=None):
    """What ``train ARGS`` would train, without training: flag_config over click's parse of ARGS."""
    ctx = train_cmd.command.make_context("train", list(map(str, args)))
    return train_cmd.flag_config(ctx.params, train_cmd.given_flags(ctx), cfg)


def test_a_new_optimizer_drops_the_files_options_and_data_options_merge(config):
    from weightflow import experiment as ex

    file = ex.read(config)
    cfg = _settings(["--config", config, "--optimizer", "adam", "--data-option", "n=80"], file)
    assert cfg["train"]["optimizer"] == "adam" and cfg["train"]["options"] == {}
    assert cfg["data"]["options"] == {"n": 80, "noise": 0.1} and cfg["train"]["epochs"] == 4
    cfg = _settings(["--config", config, "--data", "xor", "--test-size", "0"], file)
    assert cfg["data"] == {**file["data"], "name": "xor", "options": {}, "test_size": 0.0}
    with pytest.raises(WeightflowError, match="--eta"):  # a rule flag is checked against the file's optimizer
        _settings(["--config", config, "--eta", "2"], file)
    cfg = _settings(["--config", config, "--optimizer", "random-walk", "--eta", "2"], file)
    assert cfg["train"]["options"] == {"eta": 2.0}
    cfg = _settings(["--config", config, "--epochs", "7", "--momentum", "0.5"], file)
    assert cfg["train"]["epochs"] == 7 and cfg["train"]["steps"] is None and cfg["train"]["options"]["momentum"] == 0.5
    assert cfg["model"] == file["model"]  # nothing given for the model: the file's, not the flags' defaults


def test_without_a_file_the_flags_defaults_apply():
    cfg = _settings(["--data", "moons", "--steps", "5"])
    assert cfg["train"]["optimizer"] == "adam" and cfg["train"]["lr"] == 1e-3 and cfg["train"]["seed"] == 0
    assert cfg["train"]["steps"] == 5 and cfg["train"]["epochs"] is None
    assert cfg["model"]["hidden"] == [] and cfg["model"]["activation"] == "tanh" and cfg["model"]["bias"] is True
    assert "validation_split" in cfg["data"] and cfg["data"]["validation_split"] is None


def test_a_label_needs_a_csv():
    with pytest.raises(WeightflowError, match="--label: expected a csv:PATH dataset"):
        _settings(["--data", "moons", "--label", "y"])


@pytest.fixture
def fake_engine(monkeypatch):
    """The real engine, recording its keyword arguments."""
    from weightflow.training import train

    calls = []

    def engine(model, data, **kw):
        calls.append(dict(kw))
        return train(model, data, **kw)

    monkeypatch.setattr(train_cmd, "load_engine", lambda: engine)
    return calls


def test_validation_split_is_passed_only_when_given(fake_engine, tmp_path, capsys):
    base = ["train", "--data", "moons", "--steps", "4", "-q"]
    assert main([*base, "--out", str(tmp_path / "a")]) == 0
    assert main([*base, "--validation-split", "0.2", "--out", str(tmp_path / "b")]) == 0
    assert "validation_split" not in fake_engine[0] and fake_engine[1]["validation_split"] == 0.2
    (tmp_path / "v.toml").write_text(FILE.replace("test_size = 0.25", "test_size = 0.25\nvalidation_split = 0.3"))
    assert main(["train", "--config", str(tmp_path / "v.toml"), "--out", str(tmp_path / "c"), "-q"]) == 0
    assert fake_engine[2]["validation_split"] == 0.3
    assert main(["train", "--config", str(tmp_path / "v.toml"), "--validation-split", "0.1",
                 "--out", str(tmp_path / "d"), "-q"]) == 0
    assert fake_engine[3]["validation_split"] == 0.1


def test_verbose_prints_the_compiled_programs(tmp_path, capsys):
    base = ["train", "--data", "moons", "--steps", "4", "-q"]
    assert main([*base, "--out", str(tmp_path / "a")]) == 0
    assert "compiled programs" not in capsys.readouterr().out
    assert main([*base, "-v", "--out", str(tmp_path / "b")]) == 0
    n = wf.load_run(tmp_path / "b").metrics["compiled_programs"]
    assert 0 <= n <= 2 and f"compiled programs: {n}" in capsys.readouterr().out


def test_validation_split_through_the_real_engine(tmp_path, capsys):
    assert main(["train", "--data", "moons", "--steps", "40", "--validation-split", "0.25", "-q",
                 "--out", str(tmp_path / "v")]) == 0
    run = wf.load_run(tmp_path / "v")
    assert {"val_loss", "val_accuracy"} <= set(run.history)
    assert run.split.n_val == 80 and run.split.n_train == 240  # 400 moons: 80 test, then a quarter of 320
    assert f"val   loss {run.metrics['val_loss']:.4f}" in capsys.readouterr().out
