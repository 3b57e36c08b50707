"""data_order: the epochs' sample orders a chunk is handed, drawn on the host, against jax's draws."""

from __future__ import annotations

import weightflow as wf  # before jax: weightflow gives XLA one CPU device per core, as other test files see it

import jax
import numpy as np
import pytest

from weightflow import host_random as hr
from weightflow.data_order import EpochOrders, epochs_per_chunk
from weightflow.schedule import make_schedule


def _jax_order(key, epoch: int, n: int, length: int) -> np.ndarray:
    order = np.asarray(jax.random.permutation(jax.random.fold_in(key, epoch), n))
    return np.concatenate([order, np.zeros(length - n, np.int32)])  # padded with row 0 to whole batches


@pytest.mark.parametrize("n, batch", [(10, 4), (10, 5), (60, 7)])
def test_each_chunk_gets_the_orders_of_the_epochs_its_steps_touch(n, batch):
    """Chunks of 5 steps over 6 epochs, starting anywhere in an epoch: every epoch a chunk reaches is
    jax's permutation(fold_in(key, epoch), n), those it does not reach are zeros; a member axis too."""
    sched = make_schedule(n, None, 6, batch, 1, None)
    per_epoch, chunk_steps = sched.steps_per_epoch, 5
    keys = hr.split(hr.prng_key(np.array([3, 11])), 3)[:, 1]
    orders, single = EpochOrders(keys, sched, n, chunk_steps), EpochOrders(keys[1], sched, n, chunk_steps)
    length = per_epoch * batch
    for first in range(0, sched.steps, chunk_steps):  # in order, as training asks (the latest epoch is kept)
        steps = min(chunk_steps, sched.steps - first)
        got, one = orders.chunk(first, steps), single.chunk(first, steps)
        assert got.shape == (2, epochs_per_chunk(sched, chunk_steps), length) and got.dtype == np.int32
        np.testing.assert_array_equal(one, got[1])
        e0, e1 = first // per_epoch, (first + steps - 1) // per_epoch
        for m in range(2):
            for i in range(got.shape[1]):
                want = _jax_order(keys[m], e0 + i, n, length) if e0 + i <= e1 else np.zeros(length, np.int32)
                np.testing.assert_array_equal(got[m, i], want)
    fresh = EpochOrders(keys, sched, n, chunk_steps)  # no epoch kept from before: the same orders
    np.testing.assert_array_equal(fresh.chunk(7, 5), EpochOrders(keys, sched, n, chunk_steps).chunk(7, 5))


def test_epochs_per_chunk_bounds_every_chunk_start():
    for n, batch in [(10, 4), (12, 4), (9, 8), (100, 3)]:
        sched = make_schedule(n, 1000, None, batch, 1, None)
        for chunk_steps in (1, 2, 3, 7, 50):
            touched = max((first + chunk_steps - 1) // sched.steps_per_epoch - first // sched.steps_per_epoch + 1
                          for first in range(3 * sched.steps_per_epoch))
            assert epochs_per_chunk(sched, chunk_steps) == touched  # enough, and no more


def test_full_batch_runs_get_no_orders():
    sched = make_schedule(10, 20, None, None, 1, None)
    got = EpochOrders(hr.prng_key(np.array([0, 1])), sched, 10, 20).chunk(0, 20)
    assert got.shape == (2, 0, 0) and epochs_per_chunk(sched, 20) == 0
