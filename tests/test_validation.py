"""validation_split: Keras' held-out part of the training rows, evaluated as training goes."""

import numpy as np
import pytest

import weightflow as wf
from weightflow.datasets import load, split
from weightflow.errors import WeightflowError

MODEL = wf.MLP([2, 8, 1], activation="tanh")
KW = dict(optimizer="adam", lr=0.05, steps=120, record_every=6, progress=False, diagnose=False)


@pytest.fixture(scope="module")
def run():
    return wf.train(MODEL, "moons", validation_split=0.25, standardize=True, **KW)


def test_the_validation_rows_are_the_last_training_rows_and_disjoint():
    ds = load("moons")
    plain, held = split(ds, 0.2, seed=3), split(ds, 0.2, seed=3, validation_split=0.25)
    n_val = int(np.ceil(0.25 * plain.n_train))
    np.testing.assert_array_equal(held.val_index, plain.train_index[-n_val:])
    np.testing.assert_array_equal(held.train_index, plain.train_index[:-n_val])
    np.testing.assert_array_equal(held.test_index, plain.test_index)
    rows = np.concatenate([held.train_index, held.val_index, held.test_index])
    assert sorted(rows) == list(range(ds.n_samples))
    np.testing.assert_array_equal(held.X_val, ds.X[held.val_index].astype(np.float32))


def test_standardising_fits_on_the_remaining_training_rows_only():
    ds = load("moons")
    sp = split(ds, 0.2, seed=0, standardize=True, validation_split=0.3)
    raw = ds.X[sp.train_index].astype(np.float64)
    np.testing.assert_allclose(sp.mean, raw.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(sp.X_val, (ds.X[sp.val_index] - sp.mean) / sp.std, rtol=1e-5, atol=1e-6)


def test_validation_curves_equal_a_numpy_forward_pass_of_every_frame(run):
    sp = run.split
    assert "val_loss" in run.history and sp.n_val == int(np.ceil(0.25 * (sp.n_val + sp.n_train)))
    for f in (0, 7, len(run.steps) - 1):
        params = [fr[f] for fr in run.frames]
        _, out = run.model.forward_numpy(params, sp.X_val)
        p = np.clip(out[:, 0].astype(np.float64), 1e-7, 1 - 1e-7)
        bce = -np.mean(sp.y_val * np.log(p) + (1 - sp.y_val) * np.log(1 - p))
        np.testing.assert_allclose(run.history["val_loss"][f], bce, rtol=2e-4)
        np.testing.assert_allclose(run.history["val_accuracy"][f], np.mean((p > 0.5) == sp.y_val), atol=1e-6)
    assert np.isfinite(run.metrics["val_loss"]) and run.metrics["val_loss"] < run.history["val_loss"][0]


def test_a_run_with_validation_saves_and_loads_whole(run, tmp_path):
    again = wf.load_run(run.save(tmp_path / "r"))
    np.testing.assert_array_equal(again.split.X_val, run.split.X_val)
    np.testing.assert_allclose(again.history["val_loss"], run.history["val_loss"], rtol=1e-7)
    assert again.config.data.validation_split == 0.25 and again.config.data.n_val == run.split.n_val
    assert again.config == run.config


def test_without_validation_nothing_changes(tmp_path):
    r = wf.train(MODEL, "moons", **KW)
    assert "val_loss" not in r.history and r.split.n_val == 0
    assert "validation_split" not in r.config.to_dict()


def test_a_population_and_the_curves_picture(tmp_path):
    p = wf.train(MODEL, "moons", validation_split=0.25, population=2, **KW)
    assert p.history["val_loss"].shape == (2, 20)
    from weightflow.viz.curves import TrainingCurves

    shown = TrainingCurves.from_run(wf.train(MODEL, "moons", validation_split=0.25, **KW)).plot()
    assert {"val_loss", "val_accuracy", "test_loss", "train_loss"} <= set(shown.lines_)


@pytest.mark.parametrize("bad", [1.0, -0.1, "x", True])
def test_bad_fractions_are_refused_in_one_line(bad):
    with pytest.raises(WeightflowError, match="validation_split") as e:
        wf.train(MODEL, "moons", validation_split=bad, **KW)
    assert "\n" not in str(e.value)


def test_a_ready_split_cannot_be_split_again():
    sp = split(load("moons"), 0.2)
    with pytest.raises(WeightflowError, match="validation_split"):
        wf.train(MODEL, sp, validation_split=0.2, **KW)


def test_a_run_stopped_by_its_hook_resumes_with_its_validation_set(tmp_path):
    """on_chunk returning True stops the run like Ctrl-C; --resume then ends it bit for bit."""
    kw = dict(KW, steps=96, record_every=4)
    full = wf.train(MODEL, "moons", validation_split=0.25, chunk_steps=32, **kw)
    cut = wf.train(MODEL, "moons", validation_split=0.25, chunk_steps=32, out=tmp_path / "r",
                   on_chunk=lambda r: True, **kw)
    assert cut.status == "interrupted" and len(cut.steps) == 8
    done = wf.train(None, None, resume=tmp_path / "r", progress=False)
    assert done.status == "completed"
    np.testing.assert_array_equal(done.history["val_loss"], full.history["val_loss"])
    np.testing.assert_array_equal(done.frames[0], full.frames[0])


def test_the_report_page_carries_the_validation_curve(run):
    from weightflow.report.payload import build_payload

    payload = build_payload(run, [])
    np.testing.assert_allclose(payload["history"]["val_loss"], run.history["val_loss"][: len(payload["steps"])])
