"""host_random (jax's threefry in numpy, for the initial weights and the data orders) against
jax.random itself, and the initialisers drawn with it against the jax.random calls they stand for."""

from __future__ import annotations

import math

import weightflow as wf  # before jax: weightflow gives XLA one CPU device per core, as other test files see it

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from weightflow import host_random as hr
from weightflow.initializers import Initializer

SEEDS = np.array([0, 1, 7, 12345, 2**31 + 5, 2**32 - 1], np.uint32)
SHAPES = [(1, 1), (2, 2), (3,), (15, 64), (7, 5, 3), (784, 32)]


def _per_key(fn):
    return np.asarray(jax.vmap(fn)(jax.vmap(jax.random.PRNGKey)(SEEDS)))


def test_keys_and_splits_equal_jax_bit_for_bit():
    keys = hr.prng_key(SEEDS)
    np.testing.assert_array_equal(keys, _per_key(lambda k: k))
    for num in (2, 3, 5):
        np.testing.assert_array_equal(hr.split(keys, num), _per_key(lambda k: jax.random.split(k, num)))
    nested = hr.split(hr.split(keys, 3)[:, 1], 4)  # keys of keys, on batch axes
    np.testing.assert_array_equal(nested, _per_key(lambda k: jax.random.split(jax.random.split(k, 3)[1], 4)))


@pytest.mark.parametrize("shape", SHAPES)
def test_bits_uniforms_and_integers_equal_jax_bit_for_bit(shape):
    keys = hr.prng_key(SEEDS)
    np.testing.assert_array_equal(hr.random_bits(keys, shape),
                                  _per_key(lambda k: jax.random.bits(k, shape, jnp.uint32)))
    for lo, hi in [(0.0, 1.0), (-0.7, 0.7), (-1.0, 1.0), (-0.0866, 0.0866)]:
        got = hr.uniform(keys, shape, lo, hi)
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, _per_key(lambda k: jax.random.uniform(k, shape, jnp.float32, lo, hi)))
    got = hr.randint(keys, shape, 0, 3)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, _per_key(lambda k: jax.random.randint(k, shape, 0, 3)))
    np.testing.assert_array_equal(hr.randint(keys, shape, -5, 1000),
                                  _per_key(lambda k: jax.random.randint(k, shape, -5, 1000)))


def test_fold_in_and_permutations_equal_jax_bit_for_bit():
    """An epoch's data order is permutation(fold_in(data key, epoch), n): 1 sort round up to n = 1625,
    2 rounds beyond (60000: MNIST)."""
    keys = hr.prng_key(SEEDS)
    epochs = np.array([0, 1, 2, 41, 2**31 + 3], np.uint32)
    folded = hr.fold_in(keys, epochs)
    assert folded.shape == (len(SEEDS), len(epochs), 2)
    np.testing.assert_array_equal(folded, _per_key(lambda k: jax.vmap(lambda e: jax.random.fold_in(k, e))(epochs)))
    for n in (0, 1, 10, 1625, 1626, 60000):
        got = hr.permutation(folded[:, :2], n)
        assert got.shape == (len(SEEDS), 2, n) and got.dtype == np.int32
        want = np.stack([[np.asarray(jax.random.permutation(k, n)) for k in member] for member in folded[:, :2]])
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(np.sort(got, axis=-1), np.broadcast_to(np.arange(n), got.shape))


@pytest.mark.parametrize("shape", SHAPES)
def test_normals_equal_jax_to_an_ulp_or_two(shape):
    """The same uniforms through XLA's erf_inv polynomial; only float32 log1p's last bit may differ."""
    keys = hr.prng_key(SEEDS)
    got, want = hr.normal(keys, shape), _per_key(lambda k: jax.random.normal(k, shape))
    assert got.dtype == np.float32 and np.all(np.isfinite(got))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    assert np.mean(got == want) > 0.95  # nearly all bit for bit
    big = hr.normal(hr.prng_key(np.arange(50, dtype=np.uint32)), (100, 100))  # and it is a normal
    assert abs(big.mean()) < 0.01 and abs(big.std() - 1) < 0.01


def _jax_weight(init: Initializer, key, shape):
    """What each initialiser stood for before it was drawn on the host: the jax.random call."""
    fan_in, fan_out = shape
    glorot, he = math.sqrt(6.0 / (fan_in + fan_out)), math.sqrt(6.0 / fan_in)
    return {
        "glorot-uniform": lambda: jax.random.uniform(key, shape, jnp.float32, -glorot, glorot),
        "he-uniform": lambda: jax.random.uniform(key, shape, jnp.float32, -he, he),
        "uniform": lambda: jax.random.uniform(key, shape, jnp.float32, -init.param, init.param),
        "glorot-normal": lambda: math.sqrt(2.0 / (fan_in + fan_out)) * jax.random.normal(key, shape),
        "he": lambda: math.sqrt(2.0 / fan_in) * jax.random.normal(key, shape),
        "normal": lambda: init.param * jax.random.normal(key, shape),
        "lattice": lambda: init.param * (jax.random.randint(key, shape, 0, 3) - 1).astype(jnp.float32),
        "zeros": lambda: jnp.zeros(shape),
    }[init.name]()


@pytest.mark.parametrize("spec", ["glorot-uniform", "he-uniform", "uniform:1", "glorot-normal", "he", "normal:0.1",
                                  "lattice:0.5", "zeros"])
def test_every_initialiser_draws_what_its_jax_random_call_draws(spec):
    init = Initializer.parse(spec)
    keys = hr.split(hr.prng_key(SEEDS), 3)[:, 0]
    got = init.weight(keys, (15, 8))
    assert got.shape == (len(SEEDS), 15, 8) and got.dtype == np.float32
    want = np.stack([np.asarray(_jax_weight(init, jnp.asarray(k), (15, 8))) for k in keys])
    if "normal" in spec or spec == "he":
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    else:
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(init.weight(keys[2], (15, 8)), got[2])  # one key: no batch axis


def test_model_init_params_per_key_equals_a_batch_of_keys():
    model = wf.MLP([4, 6, 3], activation="relu", init="he-uniform", bias_init=0.1)
    keys = hr.prng_key(SEEDS)
    batch = model.init_params(keys)
    assert [p.shape for p in batch] == [(len(SEEDS), *s) for s in model.param_shapes]
    for m, key in enumerate(keys):
        for a, b in zip(model.init_params(key), batch):
            np.testing.assert_array_equal(a, b[m])
    np.testing.assert_array_equal(batch[1], np.float32(0.1))
    layer_keys = jax.random.split(jnp.asarray(keys[1]), 2)  # layer l draws from split(key, layers)[l]
    limit = math.sqrt(6.0 / 6)  # he-uniform, fan_in 6
    np.testing.assert_array_equal(batch[2][1], np.asarray(jax.random.uniform(layer_keys[1], (6, 3), jnp.float32,
                                                                             -limit, limit)))
