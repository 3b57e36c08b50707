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


@pytest.fixture(scope="module")
def adam_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ib") / "adam"
    return wf.train(wf.MLP([15, 1]), separable_15d(), optimizer="adam", lr=0.01, steps=10_001, record_every=1000,
                    test_size=0.0, progress=False, out=out), out


def test_gd_and_adam_side_by_side_in_one_picture(gd_run, adam_run, tmp_path, capsys):
    """Two RUN_DIRs: one picture with both runs in each panel, both runs' numbers; each run's last
    direction error recomputed here from its final weights and the QP's separator."""
    png = tmp_path / "both.png"
    assert main(["analyze", "implicit-bias", str(gd_run[1]), str(adam_run[1]), "--json", "--out", str(png)]) == 0
    gd, adam = json.loads(capsys.readouterr().out)["runs"]
    assert (gd["label"], adam["label"]) == ("gd lr 1", "adam lr 0.01") and png.stat().st_size > 10_000
    X, y = separable_15d()
    w_star = ib.max_margin(X, y)
    for numbers, (run, _) in ((gd, gd_run), (adam, adam_run)):
        w = np.r_[run.frames[0][-1][:, 0], run.frames[1][-1]].astype(np.float64)
        err = np.linalg.norm(w / np.linalg.norm(w) - w_star / np.linalg.norm(w_star))
        assert numbers["at"][-1]["direction_error"] == pytest.approx(err, rel=1e-6)
        assert numbers["at"][-1]["irrelevant_share"] == pytest.approx(np.linalg.norm(w[2:15]) / np.linalg.norm(w[:15]))
    # Adam heads elsewhere: its 13 irrelevant weights grow faster than GD's (measured 0.43 against 0.36)
    at = lambda n, s: next(r for r in n["at"] if r["step"] == s)
    assert at(adam, 10_000)["irrelevant_mean_abs"] > 1.1 * at(gd, 10_000)["irrelevant_mean_abs"]
    view = ib.ImplicitBias.from_run(gd_run[0], compare=adam_run[0]).plot()
    assert [len([ln for ln in a.lines if ln.get_label() in ("gd lr 1", "adam lr 0.01")]) for a in view.axes_[1:]] == \
        [2, 2, 2]  # margin, size and share panels: one line per run
    assert main(["analyze", "implicit-bias", str(gd_run[1]), "--compare", str(adam_run[1]), "--out",
                 str(tmp_path / "c.png")]) == 0  # --compare still works
    assert "adam lr 0.01 (" in capsys.readouterr().out


def test_a_population_member(tmp_path, capsys):
    X, y = separable_15d(60, seed=5)
    wf.train(wf.MLP([15, 1]), (X, y), optimizer="gd", lr=1.0, steps=2001, record_every=100, test_size=0.0,
             population=2, progress=False, out=tmp_path / "pop")
    assert main(["analyze", "implicit-bias", str(tmp_path / "pop"), "--json", "--member", "1", "--out",
                 str(tmp_path / "m.png")]) == 0
    (numbers,) = json.loads(capsys.readouterr().out)["runs"]
    trace = ib.analyze_run(wf.load_run(tmp_path / "pop").member(1))
    assert numbers["label"] == "gd lr 1, member 1"
    assert numbers["at"][-1]["direction_error"] == pytest.approx(float(trace["direction_error"][-1]))
    member0 = ib.analyze_run(wf.load_run(tmp_path / "pop").member(0))
    assert float(member0["direction_error"][-1]) != pytest.approx(float(trace["direction_error"][-1]))
    assert main(["analyze", "implicit-bias", str(tmp_path / "pop")]) == 2
    assert "--member M" in capsys.readouterr().err
