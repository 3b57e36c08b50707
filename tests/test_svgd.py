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


# ------------------------------------------------------------------ SVGD as a training rule (optimizer="svgd")
def _logistic_data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2)).astype(np.float32)
    return X, (X[:, 0] + 0.5 * X[:, 1] + 0.5 * rng.normal(size=n) > 0).astype(np.int64)


def _flat_members(arrays, frame=None):
    """(members, P) flat parameters of a population, at ``frame`` of the frames or the final params."""
    parts = arrays if frame is None else [a[:, frame] for a in arrays]
    return np.hstack([np.asarray(p).reshape(p.shape[0], -1) for p in parts])


ENGINE_VS_REFERENCE = """
import json, sys
import numpy as np
import weightflow as wf
from weightflow.analysis.svgd import mlp_log_posterior, run_svgd

rng = np.random.default_rng(0)
X = rng.normal(size=(40, 2)).astype(np.float32)
y = (X[:, 0] + 0.5 * X[:, 1] + 0.5 * rng.normal(size=40) > 0).astype(np.int64)
out = {}
for kernel in ("rbf", "linear"):
    run = wf.train(wf.MLP([2, 1]), (X, y), optimizer="svgd", lr=0.01, steps=200, record_every=50, test_size=0.0,
                   population=8, progress=False,
                   optimizer_options={"kernel": kernel, "prior_std": 2.0, "data_size": 40})
    frames = [np.hstack([f[:, k].reshape(8, -1) for f in run.frames]) for k in range(4)]
    final = np.hstack([p.reshape(8, -1) for p in run.params])
    grad_logp, _, _ = mlp_log_posterior(wf.MLP([2, 1]), X, y, prior_std=2.0)
    ref = run_svgd(grad_logp, frames[0], steps=200, step_size=0.01, kernel=kernel, record_every=50)
    diff = max(np.abs(np.stack(frames) - ref.path[:4]).max(), np.abs(final - ref.particles).max())
    out[kernel] = {"diff": float(diff), "spread": float(final.std(0).min()), "devices": run.config.devices,
                   "bandwidth": [float(v) for v in run.history["bandwidth"][0, 1:]]}
print(json.dumps(out))
"""


def test_engine_svgd_equals_the_reference_on_two_devices():
    """Bayesian logistic regression, 8 members sharded over 2 CPU devices: the engine's SVGD (each
    member gathering the others) follows analysis.svgd.run_svgd from the same particles, step for step."""
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path),
           "XLA_FLAGS": "--xla_force_host_platform_device_count=2", "WEIGHTFLOW_CPU_DEVICES": ""}
    proc = subprocess.run([sys.executable, "-c", ENGINE_VS_REFERENCE], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    for kernel in ("rbf", "linear"):
        assert out[kernel]["devices"] == 2
        assert out[kernel]["diff"] < 1e-5, out
        assert out[kernel]["spread"] > 0.05  # the particles did not collapse onto one mode
    assert all(h > 0 for h in out["rbf"]["bandwidth"]) and all(math.isnan(h) for h in out["linear"]["bandwidth"])


def test_linear_kernel_through_train_matches_the_gaussian_posterior():
    """Linear model, mse loss, Gaussian prior: the posterior is Gaussian with precision
    A = (2 / T) X~'X~ + I / s^2; 8 >= P + 1 = 4 particles match its mean and covariance."""
    import weightflow as wf

    X, _ = _logistic_data(20, seed=1)
    y = (X[:, 0] > 0).astype(np.int64)
    T, s = 40.0, 1.0
    Xa = np.hstack([X, np.ones((20, 1))]).astype(np.float64)
    A = 2 / T * Xa.T @ Xa + np.eye(3) / s ** 2
    mean, cov = np.linalg.solve(A, 2 / T * Xa.T @ y), np.linalg.inv(A)
    run = wf.train(wf.MLP([2, 1], output="linear"), (X, y), optimizer="svgd", lr=0.05, steps=2000, record_every=500,
                   test_size=0.0, loss="mse", population=8, progress=False,
                   optimizer_options={"kernel": "linear", "prior_std": s, "temperature": T, "data_size": 20})
    theta = _flat_members(run.params)
    np.testing.assert_allclose(theta.mean(0), mean, atol=1e-3)
    np.testing.assert_allclose(np.cov(theta.T, bias=True), cov, atol=1e-3)
    assert run.config.optimizer.options["kernel"] == "linear" and run.config.optimizer.name == "svgd"


def test_svgd_refuses_a_single_run_and_bad_options():
    import weightflow as wf
    from weightflow.optim import make_optimizer, option_defaults

    X, y = _logistic_data(20)
    with pytest.raises(WeightflowError, match="expected a population .* got a single run; add population=N"):
        wf.train(wf.MLP([2, 1]), (X, y), optimizer="svgd", lr=0.01, steps=4, test_size=0.0, progress=False,
                 optimizer_options={"data_size": 20})
    with pytest.raises(WeightflowError, match="one learning rate"):  # the members are one particle system
        wf.train(wf.MLP([2, 1]), (X, y), optimizer="svgd", lr=[0.01, 0.02], population=2, steps=4, test_size=0.0,
                 progress=False, optimizer_options={"data_size": 20})
    assert option_defaults("svgd") == {"kernel": "rbf", "bandwidth": "median", "prior_std": 1.0, "temperature": 1.0,
                                       "data_size": None}
    assert make_optimizer("svgd", 0.1).needs_population
    for bad, match in (({"kernel": "poly"}, "kernel"), ({"bandwidth": 0}, "bandwidth"), ({"prior_std": -1}, "prior_std"),
                       ({"temperature": 0}, "temperature"), ({"data_size": 2.5}, "data_size")):
        with pytest.raises(WeightflowError, match=match):
            make_optimizer("svgd", 0.1, **bad)


def test_members_axis_name_is_the_engines():
    from weightflow import program
    from weightflow.optim import MEMBERS

    assert MEMBERS == program.MEMBERS


def test_cli_trains_svgd_and_checks_its_flags(tmp_path, capsys):
    from weightflow.cli import main

    X, y = _logistic_data(40)
    csv = tmp_path / "d.csv"
    csv.write_text("a,b,label\n" + "\n".join(f"{a:.5f},{b:.5f},{c}" for (a, b), c in zip(X, y)) + "\n")
    base = ["train", "--data", f"csv:{csv}", "--label", "label", "--hidden", "", "--test-size", "0", "--steps", "20",
            "--record-every", "10", "--optimizer", "svgd", "--lr", "0.01", "--quiet"]
    assert main(base + ["--population", "4", "--kernel", "linear", "--prior-std", "2", "--data-size", "40",
                        "--out", str(tmp_path / "run")]) == 0
    run_cfg = __import__("weightflow").load_run(tmp_path / "run").config.optimizer
    assert run_cfg.options == {"kernel": "linear", "bandwidth": "median", "prior_std": 2.0, "temperature": 1.0,
                               "data_size": 40}
    capsys.readouterr()
    assert main(base + ["--population", "4", "--bandwidth", "wide", "--out", str(tmp_path / "x")]) == 2
    assert "--bandwidth: expected median or a number h > 0" in capsys.readouterr().err
    assert main(base + ["--data-size", "40", "--out", str(tmp_path / "y")]) == 2
    assert "got a single run" in capsys.readouterr().err
    assert main(["train", "--data", "xor", "--optimizer", "adam", "--kernel", "rbf", "--quiet"]) == 2
    assert "--kernel" in capsys.readouterr().err


def test_data_size_and_population_helpers_for_resolve():
    from weightflow.optim import make_optimizer, particles

    assert particles.with_data_size("SVGD", {}, 320) == {"data_size": 320}
    assert particles.with_data_size("svgd", {"data_size": 7}, 320) == {"data_size": 7}
    assert particles.with_data_size("adam", {"b1": 0.8}, 320) == {"b1": 0.8}
    particles.require_population(make_optimizer("svgd", 0.1), 4)
    particles.require_population(make_optimizer("adam", 0.1), None)
    with pytest.raises(WeightflowError, match="got a single run"):
        particles.require_population(make_optimizer("svgd", 0.1), None)


def test_train_fills_in_the_training_set_size():
    import weightflow as wf

    X, y = _logistic_data(40)
    run = wf.train(wf.MLP([2, 1]), (X, y), optimizer="svgd", lr=0.01, steps=20, record_every=10, test_size=0.25,
                   population=4, progress=False)
    assert run.config.optimizer.options["data_size"] == 30
