"""A run trained with standardize=True exports a model for raw inputs (torch module and npz both)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import weightflow as wf  # noqa: E402
from weightflow import export  # noqa: E402
from weightflow.datasets import load  # noqa: E402
from weightflow.errors import WeightflowError  # noqa: E402

PS5 = "csv:experiments/data/ps5.csv"


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A 2-3-1 sigmoid net on ps5.csv (x2 spans about -30..60: standardising matters), with and without it."""
    ds = load(PS5)
    out = {}
    for standardize in (True, False):
        run = wf.train(wf.MLP([2, 3, 1], activation="sigmoid"), ds, optimizer="adam", lr=0.05, steps=300,
                       standardize=standardize, progress=False)
        directory = tmp_path_factory.mktemp(f"std{standardize}")
        run.save(directory)
        out[standardize] = (run, directory)
    return ds, out


def test_torch_export_applies_the_standardisation(runs):
    ds, out = runs
    run, directory = out[True]
    assert np.abs(run.split.mean).max() > 1 and np.abs(run.split.std - 1).max() > 1  # not a no-op
    want = run.predict_proba(run.split.standardize_X(ds.X))
    seq = export.to_torch(run)
    with torch.no_grad():
        got = seq(torch.as_tensor(ds.X)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    path = export.export(directory, "torch")  # the state_dict carries mean and std too
    fresh = export.to_torch(wf.load_run(directory))
    fresh.load_state_dict(torch.load(path))
    with torch.no_grad():
        np.testing.assert_allclose(fresh(torch.as_tensor(ds.X)).numpy(), want, rtol=1e-5, atol=1e-6)
    plain = export.to_torch(run, raw_inputs=False)  # the weights as trained, for standardised inputs
    with torch.no_grad():
        np.testing.assert_allclose(plain(torch.as_tensor(run.split.standardize_X(ds.X))).numpy(), want, rtol=1e-5,
                                   atol=1e-6)


def test_npz_export_folds_the_standardisation_into_the_first_layer(runs, tmp_path):
    ds, out = runs
    run, directory = out[True]
    want = run.predict_proba(run.split.standardize_X(ds.X))
    path = export.export(directory, "npz", tmp_path / "m.npz")
    with np.load(path) as z:
        W1, b1, W2, b2 = (z[k].astype(np.float64) for k in ("W1", "b1", "W2", "b2"))
    got = sigmoid(sigmoid(ds.X.astype(np.float64) @ W1 + b1) @ W2 + b2)  # a plain forward on raw inputs
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    as_trained = export.export(directory, "npz", tmp_path / "t.npz", raw_inputs=False)
    with np.load(as_trained) as z:
        np.testing.assert_array_equal(z["W1"], run.params[0])


def test_a_run_without_standardisation_exports_its_weights_unchanged(runs, tmp_path):
    ds, out = runs
    run, directory = out[False]
    seq = export.to_torch(run)
    assert not any(type(m).__name__ == "Standardize" for m in seq)
    with np.load(export.export(directory, "npz", tmp_path / "p.npz")) as z:
        np.testing.assert_array_equal(z["W1"], run.params[0])
        np.testing.assert_array_equal(z["b1"], run.params[1])


def test_no_bias_model_cannot_fold_into_an_npz(runs):
    ds, _ = runs
    run = wf.train(wf.MLP([2, 1], bias=False), ds, steps=5, standardize=True, progress=False)
    with pytest.raises(WeightflowError, match=r"expected a first layer with biases.*use --format torch"):
        export.save_npz(run, "unused.npz")
    seq = export.to_torch(run)  # the torch model applies it as a module instead
    with torch.no_grad():
        np.testing.assert_allclose(seq(torch.as_tensor(ds.X)).numpy(),
                                   run.predict_proba(run.split.standardize_X(ds.X)), rtol=1e-5, atol=1e-6)


def test_cli_export_flag(runs, tmp_path, capsys):
    from weightflow.cli import main

    _, out = runs
    run, directory = out[True]
    assert main(["export", str(directory), "--format", "npz", "--out", str(tmp_path / "a.npz"),
                 "--standardized-inputs"]) == 0
    with np.load(tmp_path / "a.npz") as z:
        np.testing.assert_array_equal(z["W1"], run.params[0])
