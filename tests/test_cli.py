"""The command line: training through it, reloading, and one-line errors with exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import weightflow as wf
from weightflow.cli import main


def run_cli(args, capsys):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_xor_with_8_tanh_units_through_the_cli_and_reload(tmp_path, capsys):
    out = tmp_path / "xor"
    code, stdout, _ = run_cli(["train", "--data", "xor", "--hidden", "8", "--activation", "tanh", "--optimizer",
                               "adam", "--lr", "0.05", "--steps", "300", "--record-every", "10", "--test-size", "0",
                               "--out", out, "--quiet"], capsys)
    assert code == 0, stdout
    assert "accuracy 1.0000" in stdout and f"written to {out}" in stdout
    run = wf.load_run(out)
    assert run.status == "completed" and run.metrics["train_accuracy"] == 1.0
    assert run.model.sizes == (2, 8, 1) and len(run.steps) == 30
    ds = wf.datasets.load("xor")
    np.testing.assert_array_equal(run.predict(ds.X), ds.y)
    # the stored run equals a run made again from its own config
    again = wf.train(run.model, "xor", optimizer="adam", lr=0.05, steps=300, record_every=10, test_size=0,
                     progress=False)
    for p, q in zip(run.params, again.params):
        np.testing.assert_array_equal(p, q)
    for p, q in zip(run.frames, again.frames):
        np.testing.assert_array_equal(p, q)


def test_datasets_lists_every_dataset(capsys):
    code, stdout, _ = run_cli(["datasets"], capsys)
    assert code == 0
    for name in ("linear-embedded", "sine-boundary", "xor", "diamond", "circle", "square", "thick-right-angle",
                 "thin-right-angle", "spiral", "gaussian", "rings", "moons", "digits", "csv:PATH"):
        assert name in stdout


def test_version(capsys):
    code, stdout, _ = run_cli(["--version"], capsys)
    assert code == 0 and wf.__version__ in stdout


@pytest.fixture
def bad_csvs(tmp_path):
    files = {
        "empty.csv": "",
        "text.csv": "x1,x2,class\n1,2,0\n3,abc,1\n",
        "nan.csv": "x1,x2,class\n1,2,0\n3,nan,1\n",
        "oneclass.csv": "x1,x2,class\n1,2,0\n3,4,0\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path


@pytest.mark.parametrize("args, needle", [
    (["--data", "xorr"], "did you mean 'xor'"),
    (["--data", "xor", "--activation", "relux"], "activation: expected one of"),
    (["--data", "xor", "--optimizer", "adamm"], "optimizer: expected one of"),
    (["--data", "xor", "--lr", "0"], "lr: expected a learning rate > 0"),
    (["--data", "xor", "--lr", "-1"], "lr: expected a learning rate > 0"),
    (["--data", "xor", "--lr", "fast"], "--lr: expected a number > 0"),
    (["--data", "xor", "--lr", "0.1,1"], "give --population P"),
    (["--data", "xor", "--steps", "0"], "steps: expected a whole number > 0"),
    (["--data", "xor", "--steps", "-5"], "steps: expected a whole number > 0"),
    (["--data", "xor", "--hidden", "4,-2"], "--hidden: expected positive integers"),
    (["--data", "xor", "--hidden", "two"], "--hidden: expected positive integers"),
    (["--data", "xor", "--steps", "10", "--record-every", "20"], "record_every: expected at most"),
    (["--data", "xor", "--data-option", "noise"], "expected KEY=VALUE"),
    (["--data", "csv:{d}/missing.csv"], "missing.csv"),
    (["--data", "csv:{d}/empty.csv"], "empty"),
    (["--data", "csv:{d}/text.csv"], "'abc'"),
    (["--data", "csv:{d}/nan.csv"], "row"),
    (["--data", "csv:{d}/oneclass.csv"], "class"),
    (["--data", "csv:{d}/nan.csv", "--label", "species"], "species"),
])
def test_bad_input_is_one_line_and_exit_code_2(args, needle, bad_csvs, tmp_path, capsys):
    args = [a.format(d=bad_csvs) for a in args]
    code, stdout, stderr = run_cli(["train", *args, "--test-size", "0", "--out", tmp_path / "run", "--quiet"],
                                   capsys)
    assert code == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert needle.lower() in lines[0].lower()
    assert "Traceback" not in stderr and not (tmp_path / "run").exists()


def test_errors_in_a_real_process_have_no_traceback(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run([sys.executable, "-c", "from weightflow.cli import entry; entry()", "train", "--data",
                           "nope", "--out", str(tmp_path / "r")], capture_output=True, text=True, env=env)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: dataset")
    assert "Traceback" not in proc.stderr


def test_help_does_not_import_the_engine():
    """`weightflow --help` must answer at once: jax, matplotlib and sklearn stay unimported."""
    code = ("import sys; from weightflow.cli import main; main(['--help']); main(['train', '--help']); "
            "heavy = [m for m in ('jax', 'matplotlib', 'sklearn', 'optax') if m in sys.modules]; "
            "assert not heavy, heavy")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "--data-option" in proc.stdout and "--record-every" in proc.stdout


def test_refuses_to_overwrite_a_folder_that_is_not_a_run(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    code, _, stderr = run_cli(["train", "--data", "xor", "--hidden", "2", "--steps", "5", "--test-size", "0",
                               "--out", tmp_path, "--quiet"], capsys)
    assert code == 2 and "non-empty directory" in stderr
    assert (tmp_path / "notes.txt").read_text() == "mine"
