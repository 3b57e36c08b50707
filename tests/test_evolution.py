"""Evolution strategies: the ES gradient against theory, the (1+1)-ES rate on the sphere, training runs."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import weightflow as wf
from weightflow.errors import WeightflowError
from weightflow.optim import BUILDERS, option_defaults
from weightflow.optim.evolution import centred_ranks, es_gradient, one_plus_one_es, openai_es

D = 15
SHIFT = jnp.arange(D, dtype=jnp.float32) / D


def quadratic(p):
    return 0.5 * jnp.sum(p[0] ** 2) + p[0] @ SHIFT


X0 = jnp.ones(D)
G_TRUE = X0 + SHIFT  # the quadratic's gradient at X0


def _cosines(pairs: int, shaping: str = "none", draws: int = 2000):
    def one(key):
        g = es_gradient(key, [X0], quadratic, 0.1, pairs, shaping)[0]
        return g @ G_TRUE / jnp.linalg.norm(G_TRUE), g @ g

    dot, sq = jax.jit(jax.vmap(one))(jax.random.split(jax.random.PRNGKey(1), draws))
    return np.asarray(dot), np.asarray(sq)


@pytest.mark.parametrize("pairs", [4, 16, 64])
def test_es_gradient_cosine_matches_theory(pairs):
    dot, sq = _cosines(pairs)
    theory = (1 + (D + 1) / pairs) ** -0.5
    assert abs(np.mean(dot / np.sqrt(sq)) - theory) < 0.02  # the mean cosine over draws
    assert abs(dot.mean() / np.sqrt(sq.mean()) - theory) < 0.01  # the moment form the formula is exact for


def test_es_gradient_is_unbiased_without_shaping():
    def one(key):
        return es_gradient(key, [X0], quadratic, 0.1, 8, "none")[0]

    mean = np.asarray(jax.jit(jax.vmap(one))(jax.random.split(jax.random.PRNGKey(2), 4000)).mean(0))
    np.testing.assert_allclose(mean, np.asarray(G_TRUE), atol=0.1)


def test_centred_ranks():
    np.testing.assert_allclose(np.asarray(centred_ranks(jnp.array([3.0, -1.0, 10.0]))), [0.0, -0.5, 0.5])


def _sphere_rate(seed: int, steps: int = 3000) -> float:
    opt = one_plus_one_es(key=jax.random.PRNGKey(seed), sigma0=0.1)

    def sphere(p):
        return jnp.sum(p[0] ** 2)

    def body(carry, _):
        state, p = carry
        u, state = opt.tx.update(None, state, p, value=None, value_fn=sphere)
        p = [p[0] + u[0]]
        return (state, p), jnp.log(jnp.linalg.norm(p[0]))

    _, log_dist = jax.jit(lambda s, p: jax.lax.scan(body, (s, p), None, length=steps))(opt.tx.init([X0]), [X0])
    slope = np.polyfit(np.arange(500, steps), np.asarray(log_dist)[500:], 1)[0]
    return -D * slope


def test_one_plus_one_es_rate_on_the_sphere():
    rates = [_sphere_rate(s) for s in (0, 1)]
    assert all(0.1 <= r <= 0.25 for r in rates), rates


def _separable(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2)).astype(np.float32)
    return X, (X[:, 0] + X[:, 1] > 0).astype(np.int64)


@pytest.mark.parametrize("opt", [openai_es(0.5, key=jax.random.PRNGKey(0), sigma=0.1, pairs=8),
                                 one_plus_one_es(key=jax.random.PRNGKey(0), sigma0=0.5)])
def test_train_with_es_rules(opt):
    run = wf.train(wf.MLP([2, 1]), _separable(), optimizer=opt, steps=300, record_every=50, test_size=0.0)
    loss = run.history["train_loss"]
    assert run.status == "completed" and loss[-1] < 0.6 * loss[0]
    assert run.metrics["train_accuracy"] > 0.95
    if opt.name == "one-plus-one-es":
        assert np.all(np.isfinite(run.history["sigma"])) and run.history["sigma"][0] == pytest.approx(0.5)


def test_builders_and_bad_options():
    assert {"es", "one-plus-one-es"} <= set(BUILDERS)
    assert option_defaults("es") == {"sigma": 0.1, "pairs": 16, "shaping": "ranks"}
    assert option_defaults("one-plus-one-es") == {"sigma0": 0.1, "damping": None}
    assert BUILDERS["es"](0.1).in_state == ("lr", "sigma")
    with pytest.raises(WeightflowError, match="pairs"):
        openai_es(0.1, pairs=0)
    with pytest.raises(WeightflowError, match="sigma0"):
        one_plus_one_es(sigma0=-1)
    with pytest.raises(WeightflowError, match="shaping"):
        openai_es(0.1, shaping="fitness")
