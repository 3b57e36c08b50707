"""Run directories a user can trust: real signals to real subprocesses, real damaged files, real divergence."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import weightflow as wf
from weightflow.cli import main
from weightflow.errors import WeightflowError

TRAIN = ["train", "--data", "xor", "--hidden", "4", "--activation", "tanh", "--lr", "0.05", "--test-size", "0",
         "--steps", "40000", "--record-every", "8", "--population", "64", "--quiet"]


def _start(args, cwd=None):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen([sys.executable, "-m", "weightflow", *map(str, args)], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _outcome(directory: Path) -> str:
    """'completed' / 'interrupted' for a run that loads and is consistent, 'nothing' when no run is there;
    anything else fails the test."""
    if not (directory / "run.json").exists():
        with pytest.raises(WeightflowError, match="expected a folder with run.json"):
            wf.load_run(directory)
        return "nothing"
    run = wf.load_run(directory)
    frames = len(run.steps)
    assert run.status in ("completed", "interrupted"), run.status
    assert all(f.shape[:2] == (64, frames) for f in run.frames)
    assert run.history["train_loss"].shape == (64, frames) and np.isfinite(run.history["train_loss"]).all()
    np.testing.assert_array_equal(run.steps, 8 * np.arange(frames))
    assert run.metrics["steps"] == (40000 if run.status == "completed" else 8 * frames)
    if run.status == "completed":
        assert frames == 5000
    # the final parameters are the state after the last kept frame's steps: never a chunk ahead
    assert all(np.isfinite(p).all() for p in run.params)
    return run.status


def test_signals_at_random_moments_leave_a_whole_run_or_nothing(tmp_path, capsys):
    """20 seeded trials: SIGINT, SIGTERM, two SIGINTs or SIGKILL, at a random moment of a run (while jax
    starts, mid-chunk, or while the run is saved). Each leaves a run that loads and is consistent, or no
    run at all; never a folder that loads wrong."""
    rng = random.Random(11)
    kinds = ["SIGINT", "SIGTERM", "SIGINT2", "SIGKILL"] * 5
    rng.shuffle(kinds)
    counts: dict = {}
    resumed = False
    for trial, kind in enumerate(kinds):
        out = tmp_path / f"run{trial}"
        proc = _start([*TRAIN, "--out", out])
        time.sleep(rng.uniform(0.3, 6.0))
        sig = {"SIGINT": signal.SIGINT, "SIGINT2": signal.SIGINT, "SIGTERM": signal.SIGTERM}.get(kind, signal.SIGKILL)
        proc.send_signal(sig)
        if kind == "SIGINT2":
            time.sleep(rng.uniform(0.0, 0.3))
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        outcome = _outcome(out)
        if outcome == "nothing" and any(tmp_path.glob(f".run{trial}.partial-*/checkpoint/state.npz")):
            outcome = "resumable checkpoint"
            if not resumed:  # resume one killed run and check it against the uninterrupted one
                assert main(["train", "--resume", out, "--quiet"]) == 0
                _same_as_uninterrupted(wf.load_run(out))
                resumed = True
        if kind != "SIGKILL":  # 130 as a shell reports Ctrl-C; -sig when it came before Python set its handlers
            assert proc.returncode in (0, 130, -sig), (kind, proc.returncode, err)
            # Python may run a signal handler inside a gc callback, which then reports "Exception ignored";
            # any other traceback is ours
            assert "Traceback" not in re.sub(r"Exception ignored in.*?KeyboardInterrupt: ?\n", "", err, flags=re.S), err
        counts[(kind, outcome)] = counts.get((kind, outcome), 0) + 1
        leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(f".run{trial}.") and kind != "SIGKILL"]
        assert not leftovers, leftovers  # only a kill may leave its staging folder behind
    with capsys.disabled():
        print("\nkill trials (signal, outcome): count", {f"{k[0]} {k[1]}": v for k, v in sorted(counts.items())})
    assert sum(counts.values()) == 20


def _same_as_uninterrupted(run):
    again = wf.train(wf.MLP([2, 4, 1], activation="tanh"), "xor", optimizer="adam", lr=0.05, test_size=0,
                     steps=40000, record_every=8, population=64, progress=False)
    for a, b in zip(run.params, again.params):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(run.frames, again.frames):
        np.testing.assert_array_equal(a, b)
    for k in again.history:
        np.testing.assert_array_equal(run.history[k], again.history[k])


def _interrupted_on_call(compiled_chunk, n: int):
    """``compiled_chunk`` whose program raises KeyboardInterrupt on its n-th call, as Ctrl-C does."""
    def make(*args, **kwargs):
        chunk, calls = compiled_chunk(*args, **kwargs), []

        def call(*a):
            calls.append(1)
            if len(calls) == n:
                raise KeyboardInterrupt
            return chunk(*a)
        return call

    return make


@pytest.mark.parametrize("population", [None, 8])
def test_resume_after_an_interrupt_equals_the_uninterrupted_run(population, tmp_path, monkeypatch):
    """Adam with minibatches (the data order and Adam's moments must come back exactly), a single run and
    a population; Ctrl-C arrives during the third compiled call, as a KeyboardInterrupt does."""
    from weightflow import schedule, training

    monkeypatch.setattr(schedule, "CHUNK_STEPS", 300)
    monkeypatch.setattr(training, "CHECKPOINT_SECONDS", 0.0)
    kw = dict(optimizer="adam", lr=0.05, steps=2000, record_every=7, batch_size=16, test_size=0.2, progress=False,
              population=population)
    model = wf.MLP([2, 8, 1], activation="tanh")
    full = wf.train(model, "moons", **kw)
    real = training.compiled_chunk
    monkeypatch.setattr(training, "compiled_chunk", _interrupted_on_call(real, 3))
    cut = wf.train(model, "moons", out=tmp_path / "run", **kw)
    assert cut.status == "interrupted" and 0 < len(cut.steps) < len(full.steps)
    monkeypatch.setattr(training, "compiled_chunk", real)
    done = wf.train(None, None, resume=tmp_path / "run", progress=False)
    assert done.status == "completed" and not (tmp_path / "run" / "checkpoint").exists()
    again = wf.load_run(tmp_path / "run")
    for run in (done, again):
        for a, b in zip(run.params, full.params):
            np.testing.assert_array_equal(a, b)
        for a, b in zip(run.frames, full.frames):
            np.testing.assert_array_equal(a, b)
        for k in full.history:  # float32 values (history.csv holds them to 9 digits, exact for float32)
            np.testing.assert_array_equal(np.asarray(run.history[k], np.float32), np.asarray(full.history[k], np.float32))
    with pytest.raises(WeightflowError, match="a run that ended; it needs no resuming"):
        wf.train(None, None, resume=tmp_path / "run")


def test_kill_while_replacing_a_run_keeps_the_old_one_whole(tmp_path):
    out = tmp_path / "run"
    assert main(["train", "--data", "xor", "--hidden", "2", "--steps", "40", "--test-size", "0", "--quiet",
                 "--out", out]) == 0
    before = wf.load_run(out)
    proc = _start([*TRAIN, "--out", out, "--force"])
    time.sleep(4.0)
    proc.kill()
    proc.communicate(timeout=60)
    after = wf.load_run(out)
    assert after.model.sizes in ((2, 2, 1), (2, 4, 1))  # the old run, or the whole new one
    if after.model.sizes == (2, 2, 1):
        for a, b in zip(before.params, after.params):
            np.testing.assert_array_equal(a, b)
        assert len(after.steps) == len(before.steps)


def test_replacing_a_run_needs_force_and_leaves_nothing_stale(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "--data", "xor", "--hidden", "2", "--steps", "40", "--test-size", "0", "--quiet", "--out", out]
    assert main(args) == 0
    (out / "figures").mkdir()
    (out / "figures" / "old.png").write_bytes(b"stale")
    assert main(args) == 2 and "pass --force" in capsys.readouterr().err
    assert main([*args, "--force", "--hidden", "3"]) == 0
    assert not (out / "figures").exists() and wf.load_run(out).model.sizes == (2, 3, 1)


def test_two_runs_started_together_without_out_get_their_own_folders(tmp_path):
    args = ["train", "--data", "xor", "--hidden", "2", "--steps", "20", "--test-size", "0", "--quiet"]
    procs = [_start(args, cwd=tmp_path), _start([*args[:4], "8", *args[5:]], cwd=tmp_path)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    runs = sorted((tmp_path / "runs").iterdir())
    assert len(runs) == 2
    assert sorted(wf.load_run(r).model.sizes[1] for r in runs) == [2, 8]


# ------------------------------------------------------------------------------------------ divergence
def test_divergence_names_its_step_and_keeps_the_last_finite_weights(tmp_path, capsys):
    out = tmp_path / "div"
    code = main(["train", "--data", "moons", "--hidden", "4", "--optimizer", "gd", "--lr", "1e6", "--steps", "200",
                 "--record-every", "1", "--out", out, "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and "diverged" in err and "at step" in err
    run = wf.load_run(out)
    assert run.status == "diverged"
    at = run.metrics["diverged_at_step"]
    assert at >= 1 and len(run.steps) == at  # frames stop before the step that diverged
    assert all(np.isfinite(p).all() for p in run.params) and np.isfinite(run.history["train_loss"]).all()
    np.testing.assert_array_equal(run.params[0], run.frames[0][-1])


def test_a_diverged_run_is_marked_on_its_curves_and_not_exported_unasked(tmp_path, capsys):
    import matplotlib

    matplotlib.use("Agg")
    from weightflow.viz import TrainingCurves

    out = tmp_path / "div"
    wf.train(wf.MLP([2, 16, 1], activation="relu", output="linear"), "moons", optimizer="gd", lr=0.008, loss="sse",
             steps=400, record_every=2, progress=False, out=out)
    run = wf.load_run(out)
    assert run.status == "diverged"
    curves = TrainingCurves.from_run(run).plot()
    assert curves.diverged_at == run.metrics["diverged_at_step"]
    marks = [l for a in curves.axes_ for l in a.get_lines() if l.get_label().startswith("diverged at step")]
    assert len(marks) == 2 and marks[0].get_xdata()[0] == run.metrics["diverged_at_step"]
    assert main(["export", str(out), "--format", "npz"]) == 2
    assert "diverged at step" in capsys.readouterr().err
    assert main(["export", str(out), "--format", "npz", "--allow-diverged"]) == 0
    capsys.readouterr()
    assert main(["runs", str(tmp_path)]) == 0
    listed = capsys.readouterr().out
    assert "div " in listed and "diverged" in listed


def test_a_loss_that_explodes_without_nan_is_divergence_too():
    run = wf.train(wf.MLP([2, 4, 1]), "moons", optimizer="gd", lr=1e6, loss="bce", steps=100, record_every=1,
                   progress=False)
    assert run.status == "diverged" and np.isfinite(run.history["train_loss"]).all()
    assert run.history["train_loss"].max() <= 1e4 * max(run.history["train_loss"][0], 1e-4)


def test_a_population_says_how_many_diverged():
    run = wf.train(wf.MLP([2, 4, 1]), "moons", optimizer="gd", lr=[1e-2, 1e6], steps=50, progress=False,
                   population=4)
    assert run.member_status == ["completed"] * 4 + ["diverged"] * 4
    assert run.metrics["diverged_members"] == 4 and run.status == "completed"
    all_bad = wf.train(wf.MLP([2, 4, 1]), "moons", optimizer="gd", lr=1e6, steps=50, progress=False, population=4)
    assert all_bad.status == "diverged" and all_bad.metrics["diverged_members"] == 4


# ------------------------------------------------------------------------------------------ damaged runs
@pytest.fixture(scope="module")
def good_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("good") / "run"
    wf.train(wf.MLP([2, 3, 1]), "xor", steps=40, record_every=10, test_size=0, progress=False, out=out)
    return out


def _npy_truncated(d):
    p = d / "frames" / "W1.npy"
    p.write_bytes(p.read_bytes()[:-7])


def _frames_wrong_shape(d):
    np.save(d / "frames" / "W1.npy", np.zeros((4, 3, 2), np.float32))


def _config_key_missing(d):
    meta = json.loads((d / "run.json").read_text())
    del meta["config"]["optimizer"]
    (d / "run.json").write_text(json.dumps(meta))


def _future_version(d):
    meta = json.loads((d / "run.json").read_text())
    meta["format_version"] = 7
    (d / "run.json").write_text(json.dumps(meta))


DAMAGE = {
    "missing params.npz": (lambda d: (d / "params.npz").unlink(), "params.npz: expected"),
    "missing frame file": (lambda d: (d / "frames" / "b1.npy").unlink(), "b1.npy: expected frames of b1"),
    "truncated .npy": (_npy_truncated, "W1.npy: expected frames of W1"),
    "frames of the wrong shape": (_frames_wrong_shape, r"W1.npy: expected frames of W1 of shape \(4, 2, 3\)"),
    "missing config key": (_config_key_missing, "expected key 'optimizer'"),
    "format from the future": (_future_version, "upgrade weightflow"),
    "params.npz not a zip": (lambda d: (d / "params.npz").write_bytes(b"\x00garbage"), "params.npz: expected"),
    "history cut short": (lambda d: (d / "history.csv").write_text("step,train_loss\n0,1\n"),
                          r"history.csv: expected step of shape \(4,\)"),
    "run.json not JSON": (lambda d: (d / "run.json").write_text("{oops"), "expected JSON"),
    "run.json a list": (lambda d: (d / "run.json").write_text("[1, 2]"), "expected a JSON object"),
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_a_damaged_run_is_refused_in_one_line(case, good_run, tmp_path, capsys):
    d = tmp_path / "run"
    shutil.copytree(good_run, d)
    damage, message = DAMAGE[case]
    damage(d)
    with pytest.raises(WeightflowError, match=message) as info:
        wf.load_run(d)
    assert "\n" not in str(info.value)
    assert main(["gradcheck", str(d)]) == 2  # the CLI: one line, exit 2, no traceback
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
                 st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
                              lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                       max_size=4)).map(json.dumps)))
def test_any_run_json_loads_or_is_refused_in_one_line(good_run, tmp_path_factory, text):
    d = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(good_run, d / "run")
    (d / "run" / "run.json").write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        wf.load_run(d / "run")
    except WeightflowError as e:
        assert "\n" not in str(e)


def test_sweep_never_writes_into_a_users_folder(tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "summary.txt").write_text("my notes")
    args = ["sweep", "--data", "xor", "--hidden", "1", "--steps", "10", "--population", "2", "--test-size", "0",
            "--quiet", "--out"]
    assert main([*args, mine]) == 2 and "non-empty folder" in capsys.readouterr().err
    (tmp_path / "afile").write_text("x")
    assert main([*args, tmp_path / "afile" / "below"]) == 2
    assert "is a file" in capsys.readouterr().err
    assert (mine / "summary.txt").read_text() == "my notes"


def test_a_failed_resume_keeps_the_checkpoint(tmp_path, monkeypatch):
    """A resume that fails (here: a checkpoint whose state does not fit the run) must not cost the user
    the checkpoint: the interrupted run is back where it was, still resumable."""
    from weightflow import record, schedule, training

    monkeypatch.setattr(schedule, "CHUNK_STEPS", 100)
    real = training.compiled_chunk
    monkeypatch.setattr(training, "compiled_chunk", _interrupted_on_call(real, 2))
    out = tmp_path / "run"
    assert wf.train(wf.MLP([2, 4, 1]), "moons", steps=400, record_every=10, progress=False, out=out).status == \
        "interrupted"
    monkeypatch.setattr(training, "compiled_chunk", real)
    state = out / record.CHECKPOINT / "state.npz"
    with np.load(state) as z:
        arrays = dict(z)
    arrays["leaf0"] = np.zeros((7, 7), np.float32)  # a parameter of the wrong shape
    np.savez(state, **arrays)
    with pytest.raises(WeightflowError, match="checkpoint state.npz: expected the training state"):
        wf.train(None, None, resume=out, progress=False)
    assert (out / "run.json").is_file() and state.is_file() and wf.load_run(out).status == "interrupted"
