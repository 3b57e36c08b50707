"""SVGD: moment matching with the linear kernel, variance recovered with the RBF kernel, the bandwidth."""

import math

import jax.numpy as jnp
import numpy as np
import pytest

from weightflow.analysis.svgd import gaussian_score, median_bandwidth, run_svgd, svgd_direction
from weightflow.errors import WeightflowError

RNG = np.random.default_rng(0)
A = RNG.normal(size=(3, 3))
COV = A @ A.T / 3 + 0.5 * np.eye(3)
MEAN = np.array([1.0, -2.0, 0.5])


@pytest.mark.parametrize("n", [4, 7])
def test_linear_kernel_matches_gaussian_mean_and_covariance(n):
    x0 = np.random.default_rng(n).normal(size=(n, 3))
    p = run_svgd(gaussian_score(MEAN, COV), x0, steps=4000, step_size=0.05, kernel="linear",
                 record_every=1000).particles
    np.testing.assert_allclose(p.mean(0), MEAN, atol=1e-3)
    np.testing.assert_allclose(np.cov(p.T, bias=True), COV, atol=1e-3)


def test_rbf_recovers_most_of_the_variance():
    cov = np.diag([0.5, 2.0])
    x0 = np.random.default_rng(1).normal(size=(100, 2)) * 0.3
    res = run_svgd(gaussian_score(np.zeros(2), cov), x0, steps=1000, step_size=0.2, kernel="rbf",
                   record_every=250)
    share = np.trace(np.cov(res.particles.T, bias=True)) / np.trace(cov)
    assert share >= 0.85
    assert res.path.shape == (5, 100, 2) and list(res.steps) == [0, 250, 500, 750, 1000]


def test_one_particle_is_gradient_ascent_and_bandwidth_is_median_rule():
    x = jnp.array([[0.3, -1.0]])
    score = gaussian_score(np.zeros(2), np.eye(2))
    np.testing.assert_allclose(np.asarray(svgd_direction(x, score, "rbf", 1.0)), -np.asarray(x), rtol=1e-6)
    pts = jnp.array([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]])  # distances 3, 4, 5: median 4
    assert float(median_bandwidth(pts)) == pytest.approx(16 / math.log(4), rel=1e-6)


def test_bad_kernel_and_bandwidth():
    x = jnp.zeros((3, 2))
    with pytest.raises(WeightflowError, match="kernel"):
        svgd_direction(x, lambda p: p, kernel="poly")
    with pytest.raises(WeightflowError, match="bandwidth"):
        svgd_direction(x, lambda p: p, bandwidth=-1)


def test_svgd_over_mlp_particles_solves_xor():
    import weightflow as wf
    from weightflow.analysis.svgd import svgd_mlp
    from weightflow.datasets import load

    d = load("xor")
    out = svgd_mlp(wf.MLP([2, 4, 1], activation="tanh"), d.X, d.y, particles=8, steps=500)
    assert out["accuracy"].mean() >= 0.9
    final = out["result"].particles
    assert np.linalg.norm(final - final.mean(0), axis=1).min() > 0.1  # the kernel keeps them apart


def test_cli_svgd_json(tmp_path, capsys):
    import json

    from weightflow.cli import main

    png = tmp_path / "svgd.png"
    assert main(["analyze", "svgd", "--kernel", "linear", "--particles", "8", "--steps", "2000", "--json",
                 "--out", str(png)]) == 0
    (run,) = json.loads(capsys.readouterr().out)["runs"]
    assert run["cov_error"] < 1e-3 and png.stat().st_size > 10_000
    assert main(["analyze", "svgd", "--kernel", "poly"]) == 2
