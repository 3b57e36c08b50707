"""Implicit bias: GD's direction tends to the L2 max-margin separator on separable data (Soudry et al.)."""

import json

import numpy as np
import pytest

import weightflow as wf
from weightflow.analysis import implicit_bias as ib
from weightflow.cli import main
from weightflow.errors import WeightflowError


def separable_15d(n=200, band=0.5, seed=0):
    """15-D Gaussian inputs, y = sign(x1 + x2) with the band |x1 + x2| <= ``band`` removed."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(3 * n, 15))
    X = X[np.abs(X[:, 0] + X[:, 1]) > band][:n].astype(np.float32)
    return X, (X[:, 0] + X[:, 1] > 0).astype(np.int64)


@pytest.fixture(scope="module")
def gd_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ib") / "gd"
    return wf.train(wf.MLP([15, 1]), separable_15d(), optimizer="gd", lr=1.0, steps=100_001, record_every=1000,
                    test_size=0.0, progress=False, out=out), out


def test_gd_direction_tends_to_max_margin(gd_run):
    trace = ib.analyze_run(gd_run[0])
    at = {r["step"]: r for r in ib.at_steps(trace, [1_000, 10_000, 100_000])}
    errors = [at[s]["direction_error"] for s in (1_000, 10_000, 100_000)]
    margins = [at[s]["margin"] for s in (1_000, 10_000, 100_000)]
    assert errors[0] > errors[1] > errors[2]
    assert margins[0] < margins[1] < margins[2] < trace["max_margin"]
    assert margins[2] > 0.9 * trace["max_margin"]
    assert trace["irrelevant"] == list(range(2, 15))


def test_qp_and_svm_agree():
    X, y = separable_15d(80, seed=3)
    w_qp, w_svm = ib.max_margin(X, y, method="qp"), ib.max_margin(X, y, method="svm")
    np.testing.assert_allclose(w_qp / np.linalg.norm(w_qp), w_svm / np.linalg.norm(w_svm), atol=1e-4)
    scores = ib.signs(y) * (ib.augment(X) @ w_qp)
    assert scores.min() == pytest.approx(1.0)  # margin 1 / |w| by construction


def test_linf_separator_beats_the_l2_one_in_its_norm():
    X, y = separable_15d(80, seed=4)
    Xa, s = ib.augment(X), ib.signs(y)
    w_inf, w_2 = ib.linf_max_margin(X, y), ib.max_margin(X, y)
    assert np.abs(w_inf).max() == pytest.approx(1.0)
    assert (s * (Xa @ w_inf)).min() >= (s * (Xa @ (w_2 / np.abs(w_2).max()))).min() - 1e-9


def test_non_separable_data_is_an_error():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    with pytest.raises(WeightflowError, match="separable"):
        ib.max_margin(X, np.array([0, 1, 0, 1]))


def test_cli_json_and_picture(gd_run, tmp_path, capsys):
    png = tmp_path / "ib.png"
    assert main(["analyze", "implicit-bias", str(gd_run[1]), "--json", "--out", str(png)]) == 0
    numbers = json.loads(capsys.readouterr().out)
    assert png.stat().st_size > 10_000
    (run,) = numbers["runs"]
    assert run["label"] == "gd lr 1" and [r["step"] for r in run["at"]][-3:] == [1000, 10000, 100000]
    assert 0.3 < run["max_margin"] < 1


def test_cli_refuses_a_hidden_layer(tmp_path, capsys):
    X, y = separable_15d(40)
    wf.train(wf.MLP([15, 2, 1]), (X, y), steps=2, test_size=0.0, progress=False, out=tmp_path / "mlp")
    assert main(["analyze", "implicit-bias", str(tmp_path / "mlp")]) == 2
    assert "linear classifier" in capsys.readouterr().err
