"""Loss landscape: numpy losses match weightflow.losses, the plane holds a 2-D path exactly, filter norms."""

import json

import jax.numpy as jnp
import numpy as np
import pytest

import weightflow as wf
from weightflow import losses
from weightflow.analysis import landscape as ls
from weightflow.cli import main


@pytest.mark.parametrize("loss,output,out", [("bce", "sigmoid", 1), ("mse", "sigmoid", 1), ("sse", "sigmoid", 1),
                                             ("ce", "softmax", 3), ("mse", "softmax", 3), ("sse", "linear", 3),
                                             ("mse", "linear", 1)])
def test_numpy_loss_matches_weightflow_losses(loss, output, out):
    rng = np.random.default_rng(0)
    z = rng.normal(scale=3, size=(20, out))
    y = rng.integers(0, max(out, 2), 20)
    expected = float(losses.loss_value(jnp.asarray(z.T, jnp.float32), jnp.asarray(y), loss, output))
    assert ls.numpy_loss(z, y, loss, output) == pytest.approx(expected, rel=1e-5, abs=1e-6)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("ls")
    out = {}
    for opt, lr in (("gd", 0.5), ("adam", 0.02)):
        out[opt] = wf.train(wf.MLP([2, 3, 1], activation="tanh"), "xor", optimizer=opt, lr=lr, steps=400,
                            record_every=20, test_size=0.0, seed=1, progress=False, out=base / opt)
    return out, base


def test_centre_is_the_last_frame_and_two_parameters_lie_in_the_plane(runs, tmp_path):
    run = runs[0]["gd"]
    view = ls.Landscape.from_run(run, resolution=5)
    assert view.centre_loss == pytest.approx(float(run.history["train_loss"][-1]), rel=1e-4)
    X = np.random.default_rng(0).normal(size=(40, 1)).astype(np.float32)
    small = wf.train(wf.MLP([1, 1]), (X, (X[:, 0] > 0).astype(int)), optimizer="gd", lr=0.5, steps=200,
                     record_every=10, test_size=0.0, progress=False)  # W (1, 1) and b (1,): 2 parameters
    centre, D, explained = ls.plane([small])
    rebuilt = centre + ls.project(small, centre, D) @ D
    np.testing.assert_allclose(rebuilt, ls.flat_frames(small), atol=1e-9)
    assert explained.sum() == pytest.approx(1.0)


def test_filter_normalised_directions_have_the_centre_filter_norms(runs):
    run = runs[0]["gd"]
    centre, D, _ = ls.plane([run], "random")
    for d in D:
        parts = ls._unflat(d, run.model.param_shapes)
        cparts = ls._unflat(centre, run.model.param_shapes)
        for p, c in zip(parts, cparts):
            if p.ndim == 2:
                np.testing.assert_allclose(np.linalg.norm(p, axis=0), np.linalg.norm(c, axis=0), rtol=1e-9)
            else:
                assert not p.any()


def test_cli_two_runs_json(runs, tmp_path, capsys):
    base = runs[1]
    png = tmp_path / "ls.png"
    assert main(["analyze", "landscape", str(base / "gd"), str(base / "adam"), "--resolution", "9", "--json",
                 "--out", str(png)]) == 0
    nums = json.loads(capsys.readouterr().out)
    assert [r["label"] for r in nums["runs"]] == ["gd lr 0.5", "adam lr 0.02"]
    assert nums["runs"][0]["end"] == pytest.approx([0.0, 0.0], abs=1e-9)
    assert 0.5 < sum(nums["explained_variance"]) <= 1.0 + 1e-9 and png.stat().st_size > 10_000
    assert main(["analyze", "landscape", str(base / "gd"), "--resolution", "1"]) == 2


@pytest.mark.parametrize("activation,output,bias", [("tanh", "sigmoid", True), ("relu", "softmax", True),
                                                    ("leaky-relu", "linear", False), ("sigmoid", "sigmoid", True)])
def test_batched_logits_equal_forward_numpy(activation, output, bias):
    model = wf.MLP([3, 5, 4, 2 if output != "sigmoid" else 1], activation=activation, output=output, bias=bias)
    rng = np.random.default_rng(1)
    P = sum(int(np.prod(s)) for s in model.param_shapes)
    thetas, X = rng.normal(size=(6, P)), rng.normal(size=(10, 3))
    got = ls.batched_logits(model, thetas, X)
    for g, theta in zip(got, thetas):
        np.testing.assert_allclose(g, model.forward_numpy(ls._unflat(theta, model.param_shapes), X)[0], rtol=1e-12)
