"""Per-step cost of seed 000's lattice random walk: weightflow's compiled rule vs a seed-style numpy loop.

Problem (seed 000, SEEDS.md): logistic regression 15 -> 1 on linear-embedded (y = x1 + 2*x2 >= 10,
13 noise features), the 800 training samples of a stratified 80/20 split, lattice init eta = 1, mean
BCE on logits, full batch. One step = one proposal (every W entry -1/0/+1 with probability 1/3, b +/- 2)
and three cost evaluations (W~, b), (W~, b~), (W, b~), the cheapest kept if it lowers the cost.

* weightflow: ``train(..., optimizer="random-walk")`` through the public API; the first call compiles,
  a second identical call reuses the compiled program: per step = best second call / steps,
  compile = first - second. Recording every 2 steps as the notebook does, and every 500.
* numpy: the notebook's loop written in numpy (features first, W (1, 15), X (15, n)), the three costs
  computed per step, the current cost carried; a frame (cost, W, b) appended every 2 steps.
* floor: the same compiled engine with a rule that only evaluates three costs per step (fixed
  perturbations, no random numbers), the least any rule of this shape can cost.

    python bench/bench_random_walk.py [--steps 20000] [--numpy-steps 5000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
from bench_core import best  # bench/ is on sys.path when a script in it runs


def seed000_split(seed=0):
    from weightflow.datasets import load, split

    return split(load("linear-embedded", coef=(1, 2), threshold=10, seed=seed), test_size=0.2, seed=seed)


# ---------------------------------------------------------------- numpy, as the notebook's loop
def numpy_random_walk(X, y, steps, eta=1.0, p_w=(1 / 3, 1 / 3, 1 / 3), p_b=(0.5, 0.5), seed=0, record_every=2):
    rng = np.random.default_rng(seed)
    Xt = np.ascontiguousarray(X.T, np.float32)  # (15, n): the notebook's layout
    Y = y[None, :].astype(np.float32)
    counts_w = np.array([-eta, 0, eta], np.float32)
    k = Xt.shape[0]

    def cost(W, b):
        Z = W @ Xt + b
        return float(np.mean(np.maximum(Z, 0) - Z * Y + np.log1p(np.exp(-np.abs(Z)))))

    W_old = counts_w[rng.choice(3, k, p=(1 / 3, 1 / 3, 1 / 3))].reshape(1, -1)
    b_old = np.zeros((1, 1), np.float32)
    cost_now = cost(W_old, b_old)
    total_cost, W_movie, b_movie = [], [], []
    for i in range(steps):
        W_new = W_old + counts_w[rng.choice(3, k, p=p_w)].reshape(1, -1)
        b_new = b_old + 2 * (2 * rng.choice(2, 1, p=p_b) - 1).astype(np.float32)
        weights = ((W_new, b_old), (W_new, b_new), (W_old, b_new))
        costs = [cost(*w) for w in weights]
        for j in range(3):
            if costs[j] < cost_now:
                W_old, b_old = weights[j]
                cost_now = costs[j]
        if i % record_every == 0:
            total_cost.append(cost_now)
            W_movie.append(W_old)
            b_movie.append(b_old)
    return W_old, b_old, cost_now


def numpy_three_costs(X, y, steps):
    """Only the three cost evaluations of each numpy step (the numpy loop's floor)."""
    Xt = np.ascontiguousarray(X.T, np.float32)
    Y = y[None, :].astype(np.float32)
    W = np.ones((1, Xt.shape[0]), np.float32)
    b = np.zeros((1, 1), np.float32)
    for _ in range(steps):
        for _ in range(3):
            Z = W @ Xt + b
            float(np.mean(np.maximum(Z, 0) - Z * Y + np.log1p(np.exp(-np.abs(Z)))))


# ---------------------------------------------------------------- weightflow
def three_costs_rule():
    """A rule that evaluates three fixed perturbations per step and moves nothing (the engine's floor)."""
    import jax.numpy as jnp
    import optax

    from weightflow.optim import Optimizer

    def update(grads, state, params, value=None, value_fn=None, **extra):
        total = value
        for shift in (1.0, 2.0, 3.0):
            total = jnp.minimum(total, value_fn([p + shift for p in params]))
        # depends on the costs (so nothing is optimised away) and is zero
        return [jnp.zeros_like(p) * (total > 1e30) for p in params], state

    tx = optax.GradientTransformationExtraArgs(lambda params: jnp.zeros(()), update)
    return Optimizer("three-costs", tx, False, {})


def weightflow_timing(sp, steps, record_every, repeats, optimizer="random-walk"):
    import weightflow as wf

    model = wf.MLP([15, 1], init="lattice:1")

    def once():
        opt = three_costs_rule() if optimizer == "three-costs" else optimizer
        return wf.train(model, sp, optimizer=opt, lr=1.0, steps=steps, record_every=record_every, seed=0,
                        progress=False)

    t = time.perf_counter()
    run = once()
    first = time.perf_counter() - t
    per = best(once, repeats)
    return per / steps, max(first - per, 0.0), run


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=20000)
    ap.add_argument("--numpy-steps", type=int, default=5000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    import jax

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"jax {jax.__version__}, numpy {np.__version__}")
    print(f"command: python bench/bench_random_walk.py --steps {args.steps} --numpy-steps {args.numpy_steps} "
          f"--repeats {args.repeats}")
    sp = seed000_split()
    S, NS, R = args.steps, args.numpy_steps, args.repeats
    np_step = best(lambda: numpy_random_walk(sp.X_train, sp.y_train, NS), R) / NS
    np_floor = best(lambda: numpy_three_costs(sp.X_train, sp.y_train, NS), R) / NS
    W, b, c = numpy_random_walk(sp.X_train, sp.y_train, 200)
    print(f"numpy loop, 200 steps: cost {c:.4f}, W[:2] {W[0, :2]}, b {b[0, 0]:g}")

    print("\n| seed 000 random walk, 15-1 logistic, 800 samples | us/step | compile s | numpy loop / this |")
    print("| --- | --- | --- | --- |")
    print(f"| numpy seed-style loop (frame every 2 steps) | {np_step * 1e6:.1f} | - | 1.0x |")
    print(f"| numpy: its 3 cost evaluations alone | {np_floor * 1e6:.1f} | - | {np_step / np_floor:.1f}x |")
    rows = [("weightflow random-walk, frame every 2 steps", "random-walk", 2),
            ("weightflow random-walk, frame every 500 steps", "random-walk", 500),
            ("weightflow metropolis (1 cost evaluation), frame every 2", "metropolis", 2),
            ("weightflow floor: 3 cost evaluations, no proposal, frame every 2", "three-costs", 2)]
    for title, opt, every in rows:
        per, compile_s, run = weightflow_timing(sp, S, every, R, opt)
        print(f"| {title} | {per * 1e6:.2f} | {compile_s:.2f} | {np_step / per:.1f}x |")


if __name__ == "__main__":
    main()
