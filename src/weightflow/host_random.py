"""jax's threefry PRNG on the host, in numpy: the same keys and bits as ``jax.random`` (partitionable
threefry, jax's default), so a run's initial weights and its epochs' data orders are drawn without
compiling a program.

Keys are uint32 arrays (..., 2), as ``jax.random.PRNGKey`` gives; every function takes a batch of
keys on the leading axes (one per population member) and draws for each independently. ``split``,
``fold_in``, ``random_bits``, ``uniform``, ``randint`` and ``permutation`` equal jax bit for bit;
``normal`` applies XLA's float32 inverse-error-function polynomial to the same uniforms and agrees
with jax to about one ulp (the logarithm's last bit may differ). Checked against ``jax.random`` in
tests/test_host_random.py.
"""

from __future__ import annotations

import math

import numpy as np

_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_PARITY = np.uint32(0x1BD11BDA)


def _rotl(x: np.ndarray, d: int) -> np.ndarray:
    return (x << np.uint32(d)) | (x >> np.uint32(32 - d))


def threefry2x32(k1: np.ndarray, k2: np.ndarray, x1: np.ndarray, x2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Threefry-2x32 hash (20 rounds) of counters (x1, x2) under key (k1, k2); all uint32 and
    broadcast together."""
    ks = [k1, k2, k1 ^ k2 ^ _PARITY]
    x = [x1 + ks[0], x2 + ks[1]]
    for i in range(5):
        for r in _ROTATIONS[i % 2]:
            x[0] = x[0] + x[1]
            x[1] = x[0] ^ _rotl(x[1], r)
        x = [x[0] + ks[(i + 1) % 3], x[1] + ks[(i + 2) % 3] + np.uint32(i + 1)]
    return x[0], x[1]


def _hash_counts(keys: np.ndarray, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Both threefry words for the counters 0 .. prod(shape) - 1, per key: (*batch, *shape) each."""
    n = math.prod(shape)
    count = np.arange(n, dtype=np.uint64)
    hi, lo = (count >> np.uint64(32)).astype(np.uint32), count.astype(np.uint32)
    batch = keys.shape[:-1]
    k1 = keys[..., 0].reshape(*batch, *([1] * len(shape)))
    k2 = keys[..., 1].reshape(*batch, *([1] * len(shape)))
    with np.errstate(over="ignore"):
        return threefry2x32(k1, k2, hi.reshape(shape), lo.reshape(shape))


def prng_key(seeds) -> np.ndarray:
    """``jax.random.PRNGKey(seed)`` for each 32-bit seed: (*seeds.shape, 2) uint32."""
    seeds = np.asarray(seeds, np.uint32)
    return np.stack([np.zeros_like(seeds), seeds], axis=-1)


def split(keys: np.ndarray, num: int = 2) -> np.ndarray:
    """``jax.random.split(key, num)`` per key: (*batch, num, 2)."""
    b1, b2 = _hash_counts(np.asarray(keys, np.uint32), (num,))
    return np.stack([b1, b2], axis=-1)


def fold_in(keys: np.ndarray, data) -> np.ndarray:
    """``jax.random.fold_in(key, d)`` per key and per 32-bit ``d`` of ``data``: (*batch, *data.shape, 2)."""
    keys, data = np.asarray(keys, np.uint32), np.asarray(data, np.uint32)
    lead = (1,) * data.ndim
    k1, k2 = keys[..., 0].reshape(*keys.shape[:-1], *lead), keys[..., 1].reshape(*keys.shape[:-1], *lead)
    with np.errstate(over="ignore"):
        return np.stack(threefry2x32(k1, k2, np.zeros_like(data), data), axis=-1)


def random_bits(keys: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """jax's 32-bit random bits for ``shape`` per key: (*batch, *shape) uint32."""
    b1, b2 = _hash_counts(np.asarray(keys, np.uint32), tuple(shape))
    return b1 ^ b2


def _fma(a, b, c) -> np.ndarray:
    """float32 ``a * b + c`` rounded once, as XLA:CPU contracts it: the float32 product is exact in
    float64, and so is its sum with a float32 of similar size here."""
    return (np.asarray(a, np.float64) * np.asarray(b, np.float64) + np.asarray(c, np.float64)).astype(np.float32)


def uniform(keys: np.ndarray, shape: tuple[int, ...], minval: float = 0.0, maxval: float = 1.0) -> np.ndarray:
    """``jax.random.uniform(key, shape, float32, minval, maxval)`` per key."""
    lo, hi = np.float32(minval), np.float32(maxval)
    mantissa = (random_bits(keys, shape) >> np.uint32(9)) | np.float32(1.0).view(np.uint32)
    floats = mantissa.view(np.float32) - np.float32(1.0)
    return np.maximum(lo, _fma(floats, hi - lo, lo))


# XLA's float32 erf_inv (M. Giles, "Approximating the erfinv function"): coefficients for w < 5 and w >= 5
_ERFINV_SMALL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                 -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_ERFINV_LARGE = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                 -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def _erf_inv(x: np.ndarray) -> np.ndarray:
    w = -np.log1p(-x * x)
    small = w < np.float32(5.0)
    w = np.where(small, w - np.float32(2.5), np.sqrt(w) - np.float32(3.0))
    p = np.where(small, np.float32(_ERFINV_SMALL[0]), np.float32(_ERFINV_LARGE[0]))
    for a, b in zip(_ERFINV_SMALL[1:], _ERFINV_LARGE[1:]):
        p = _fma(p, w, np.where(small, np.float32(a), np.float32(b)))
    return np.where(np.abs(x) == 1, x * np.float32(np.inf), p * x)


def normal(keys: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``jax.random.normal(key, shape, float32)`` per key (to about one ulp)."""
    lo = np.nextafter(np.float32(-1.0), np.float32(0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.float32(math.sqrt(2)) * _erf_inv(uniform(keys, shape, lo, 1.0))


def randint(keys: np.ndarray, shape: tuple[int, ...], minval: int, maxval: int) -> np.ndarray:
    """``jax.random.randint(key, shape, minval, maxval)`` (int32) per key, for 0 < maxval - minval < 2**31."""
    halves = split(keys)
    higher, lower = random_bits(halves[..., 0, :], shape), random_bits(halves[..., 1, :], shape)
    span = np.uint32(maxval - minval)
    m = 2 ** 16 % int(span)
    multiplier = np.uint32((m * m & 0xFFFFFFFF) % int(span))  # uint32 arithmetic, as jax
    with np.errstate(over="ignore"):
        offset = ((higher % span) * multiplier + lower % span) % span
    return np.int32(minval) + offset.astype(np.int32)


def permutation(keys: np.ndarray, n: int) -> np.ndarray:
    """``jax.random.permutation(key, n)`` (int32) per key: (*batch, n). jax's algorithm: a few rounds
    (3 log n / log 2**32, rounded up) of a stable sort of the values by fresh 32-bit random keys."""
    keys = np.asarray(keys, np.uint32)
    x = np.broadcast_to(np.arange(n, dtype=np.int32), (*keys.shape[:-1], n))
    for _ in range(math.ceil(3 * math.log(max(1, n)) / math.log(2 ** 32 - 1))):
        halves = split(keys)
        keys, bits = halves[..., 0, :], random_bits(halves[..., 1, :], (n,))
        x = np.take_along_axis(x, np.argsort(bits, axis=-1, kind="stable"), axis=-1)
    return x
