"""Mean field: a wide ReLU student's particles gather on the teacher directions (Chizat & Bach's setup)."""

import json

import numpy as np
import pytest

from weightflow.analysis import mean_field as mf
from weightflow.cli import main


@pytest.fixture(scope="module", params=[0, 1, 2])
def result(request):
    return mf.teacher_student(m=20, m0=3, n=15, steps=10_000, seed=request.param, record_every=1000)


def test_heavy_particles_end_on_teacher_directions(result):
    end = result["end"]
    assert end["heavy"].sum() >= 3
    assert end["max_heavy_angle"] <= 0.1
    assert end["mass_on_teachers"] > 0.9


def test_gradients_match_finite_differences():
    A, X, y = mf.teacher(3, 15, 0)
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(5, 2)), rng.normal(size=5)
    _, _, ga, gb = mf._loss_and_grads(a, b, X, y, 1e-2)
    eps = 1e-6
    for i, j in [(0, 0), (3, 1)]:
        d = np.zeros_like(a)
        d[i, j] = eps
        fd = (mf._loss_and_grads(a + d, b, X, y, 1e-2)[0] - mf._loss_and_grads(a - d, b, X, y, 1e-2)[0]) / (2 * eps)
        assert ga[i, j] == pytest.approx(fd, rel=1e-5)
    d = np.zeros_like(b)
    d[2] = eps
    fd = (mf._loss_and_grads(a, b + d, X, y, 1e-2)[0] - mf._loss_and_grads(a, b - d, X, y, 1e-2)[0]) / (2 * eps)
    assert gb[2] == pytest.approx(fd, rel=1e-5)


def test_teacher_is_unit_norm_in_a_half_plane():
    A, X, y = mf.teacher(3, 15, 5)
    np.testing.assert_allclose(np.linalg.norm(A, axis=1), 1.0)
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0)
    angles = np.arctan2(A[:, 1], A[:, 0]) % (2 * np.pi)
    assert angles.max() < 0.75 * np.pi and np.diff(np.sort(angles)).min() >= 0.3


def test_width_sweep_loss_falls_with_width():
    sw = mf.width_sweep((2, 8, 32), seeds=(0, 1), steps=5000)
    assert sw["fit"][0] > sw["fit"][1] > sw["fit"][2]
    assert sw["slope"] < -1


def test_cli_json(tmp_path, capsys):
    png = tmp_path / "mf.png"
    assert main(["analyze", "mean-field", "--steps", "2000", "--sweep", "", "--json", "--out", str(png)]) == 0
    nums = json.loads(capsys.readouterr().out)
    assert nums["width"] == 20 and nums["steps"] == 2000 and png.stat().st_size > 10_000
    assert main(["analyze", "mean-field", "--width", "0"]) == 2
