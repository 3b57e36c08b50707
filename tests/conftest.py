"""Shared fixtures: expensive runs are made once per session."""

from __future__ import annotations

import numpy as np
import pytest

# Seed 002's XOR network (SEEDS.md): input->hidden W rows are inputs, as in Keras.
XOR_INIT = [
    np.array([[-1.05284, -1.14567], [-1.03293, -0.606564]], np.float32),
    np.zeros(2, np.float32),
    np.array([[-0.680012], [-0.630844]], np.float32),
    np.zeros(1, np.float32),
]


@pytest.fixture(scope="session")
def seed001_run():
    """Seed 001's experiment: logistic regression 15 -> 1, Adam 1e-4, 30000 steps, record every 40."""
    import weightflow as wf

    return wf.train(wf.MLP([15, 1]), "linear-embedded", optimizer="adam", lr=1e-4, steps=30000,
                    record_every=40, test_size=0.2, seed=0, progress=False)
