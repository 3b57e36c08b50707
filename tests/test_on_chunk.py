"""train(on_chunk=...): the live view's hook sees every frame once, in order, and can stop the run."""

import numpy as np
import pytest

import weightflow as wf
from weightflow.errors import WeightflowError

MODEL = wf.MLP([2, 3, 1], activation="tanh")


def _train(**kw):
    return wf.train(MODEL, "xor", "adam", 0.05, steps=96, record_every=4, test_size=0, progress=False,
                    diagnose=False, **kw)


def test_reports_cover_every_frame_in_order():
    seen = []
    run = _train(on_chunk=seen.append, chunk_steps=16)
    assert len(seen) == 96 // 16
    assert [r.first for r in seen] == [4 * i for i in range(6)]
    for name_i in range(len(run.frames)):
        np.testing.assert_array_equal(np.concatenate([r.frames[name_i] for r in seen]), run.frames[name_i])
    last = seen[-1]
    assert last.steps == last.total_steps == 96
    np.testing.assert_array_equal(last.history["train_loss"], run.history["train_loss"])
    assert [r.steps for r in seen] == [16 * (i + 1) for i in range(6)]


def test_returning_true_stops_after_that_chunk():
    calls = []
    run = _train(on_chunk=lambda r: calls.append(r) or len(calls) == 2, chunk_steps=16)
    assert run.status == "interrupted" and len(calls) == 2
    assert len(run.steps) == 8 and run.metrics["steps"] == 32
    full = _train(chunk_steps=16)
    np.testing.assert_array_equal(run.frames[0], full.frames[0][:8])


def test_population_reports_carry_the_member_axis():
    seen = []
    run = wf.train(MODEL, "xor", "adam", 0.05, steps=96, record_every=4, test_size=0, progress=False,
                   population=3, on_chunk=seen.append, chunk_steps=48)
    assert len(seen) == 2 and seen[0].frames[0].shape == (3, 12, 2, 3)
    assert seen[-1].history["train_loss"].shape == (3, 24)
    np.testing.assert_array_equal(np.concatenate([r.frames[0] for r in seen], axis=1), run.frames[0])


def test_chunk_steps_is_checked():
    with pytest.raises(WeightflowError, match="chunk_steps"):
        _train(chunk_steps=0)
