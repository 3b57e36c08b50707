"""Per-step training cost: weightflow vs plain numpy backprop vs PyTorch eager, in one process.

Cases (float32, full batch):
  * seed 004: 2 -> 3 sigmoid -> 1 sigmoid with biases, 1/2-sum squared error, plain GD, 400 samples;
  * seed 001: logistic regression 15 -> 1 on 800 samples, mean BCE on logits, Adam lr 1e-4.
Also: what recording every step costs over recording once, and over a hand-written jax loop
(jit + lax.scan of the same step, plain and unrolled) that records nothing.

weightflow is timed through its public ``train`` call: the first call compiles and runs, a second
identical call reuses the compiled program, so per-step time = second call / steps and compile =
first - second. numpy is the textbook samples-first backprop of seed 004; PyTorch is the usual
eager loop (forward, backward, optimizer.step) with torch.set_num_threads matching the machine.

    python bench/bench_core.py [--steps 20000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import inspect
import os
import platform
import time

import numpy as np


def seed004_data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2)).astype(np.float32)
    y = ((X[:, 0] ** 2 + X[:, 1] ** 2) < 1.2).astype(np.int64)
    return X, y


def best(fn, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


# ---------------------------------------------------------------- numpy (textbook, samples first)
def numpy_231(X, y, steps, lr):
    rng = np.random.default_rng(0)
    W1 = rng.uniform(-1, 1, (2, 3)).astype(np.float32)
    b1 = np.zeros(3, np.float32)
    W2 = rng.uniform(-1, 1, (3, 1)).astype(np.float32)
    b2 = np.zeros(1, np.float32)
    t = y[:, None].astype(np.float32)
    for _ in range(steps):
        h = 1 / (1 + np.exp(-(X @ W1 + b1)))
        p = 1 / (1 + np.exp(-(h @ W2 + b2)))
        d2 = (p - t) * p * (1 - p)  # dE/dz2 for E = 1/2 sum (t - p)^2
        d1 = (d2 @ W2.T) * h * (1 - h)
        W2 -= lr * h.T @ d2
        b2 -= lr * d2.sum(0)
        W1 -= lr * X.T @ d1
        b1 -= lr * d1.sum(0)
    return W1


def numpy_logistic_adam(X, y, steps, lr):
    w = np.zeros((X.shape[1], 1), np.float32)
    b = np.zeros(1, np.float32)
    m = [np.zeros_like(w), np.zeros_like(b)]
    v = [np.zeros_like(w), np.zeros_like(b)]
    t = y[:, None].astype(np.float32)
    for i in range(1, steps + 1):
        p = 1 / (1 + np.exp(-(X @ w + b)))
        g = [X.T @ (p - t) / len(X), (p - t).mean(0)]
        for j, (param, grad) in enumerate(zip((w, b), g)):
            m[j] = 0.9 * m[j] + 0.1 * grad
            v[j] = 0.999 * v[j] + 0.001 * grad * grad
            param -= lr * (m[j] / (1 - 0.9 ** i)) / (np.sqrt(v[j] / (1 - 0.999 ** i)) + 1e-8)
    return w


# ---------------------------------------------------------------- PyTorch eager
def torch_run(X, y, steps, sizes, lr, opt_name, loss_name):
    import torch

    torch.manual_seed(0)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(torch.nn.Sigmoid())
    net = torch.nn.Sequential(*layers)
    xt = torch.from_numpy(X)
    yt = torch.from_numpy(y.astype(np.float32))[:, None]
    opt = torch.optim.SGD(net.parameters(), lr=lr) if opt_name == "gd" else torch.optim.Adam(net.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        z = net(xt)
        if loss_name == "sse":
            loss = 0.5 * ((torch.sigmoid(z) - yt) ** 2).sum()
        else:
            loss = torch.nn.functional.binary_cross_entropy_with_logits(z, yt)
        loss.backward()
        opt.step()
    return net


# ---------------------------------------------------------------- plain jax: the floor without recording
def plain_jax_231(X, y, steps, lr, unroll):
    """Seed 004's GD step hand-written in jax, feature-major, one jit(lax.scan) that records nothing
    (compiled with the XLA options weightflow uses, so the difference is the recording alone)."""
    import jax
    import jax.numpy as jnp

    xt, t = jnp.asarray(X.T), jnp.asarray(y[None, :], jnp.float32)
    rng = np.random.default_rng(0)
    params = [jnp.asarray(rng.uniform(-1, 1, s).astype(np.float32)) for s in ((3, 2), (3, 1), (1, 3), (1, 1))]

    def loss(p):
        W1, b1, W2, b2 = p
        h = jax.nn.sigmoid(W1 @ xt + b1)
        return 0.5 * jnp.sum((jax.nn.sigmoid(W2 @ h + b2) - t) ** 2)

    def body(p, _):
        return [a - lr * g for a, g in zip(p, jax.grad(loss)(p))], None

    from weightflow.program import compiler_options  # the same XLA options as weightflow's programs

    run = jax.jit(lambda p: jax.lax.scan(body, p, length=steps, unroll=unroll)[0], compiler_options=compiler_options())
    jax.block_until_ready(run(params))  # compile
    return lambda: jax.block_until_ready(run(params))


# ---------------------------------------------------------------- weightflow
def weightflow_run(X, y, steps, sizes, lr, opt_name, loss_name, record_every):
    import weightflow as wf

    model = wf.MLP(sizes, activation="sigmoid", init="uniform:1")
    quiet = {"diagnose": False} if "diagnose" in inspect.signature(wf.train).parameters else {}  # the engine alone
    return wf.train(model, (X, y), optimizer=opt_name, lr=lr, loss=loss_name, steps=steps,
                    record_every=record_every, test_size=0, progress=False, **quiet)


def weightflow_timing(X, y, steps, sizes, lr, opt_name, loss_name, record_every, repeats):
    t = time.perf_counter()
    weightflow_run(X, y, steps, sizes, lr, opt_name, loss_name, record_every)
    first = time.perf_counter() - t
    run_time = best(lambda: weightflow_run(X, y, steps, sizes, lr, opt_name, loss_name, record_every), repeats)
    return run_time / steps, max(first - run_time, 0.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=20000)
    ap.add_argument("--torch-steps", type=int, default=3000, help="PyTorch eager is slow: fewer steps")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    import jax
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"jax {jax.__version__}, torch {torch.__version__}, numpy {np.__version__}")
    S, TS, R = args.steps, args.torch_steps, args.repeats

    X4, y4 = seed004_data()
    from weightflow.datasets import load, split

    sp = split(load("linear-embedded"), test_size=0.2, seed=0)
    X1, y1 = sp.X_train, sp.y_train
    cases = [
        ("seed 004: 2-3-1 sigmoid, SSE, GD, 400 samples", X4, y4, [2, 3, 1], 1e-4, "gd", "sse",
         lambda steps: numpy_231(X4, y4, steps, 1e-4)),
        ("seed 001: logistic 15-1, BCE, Adam, 800 samples", X1, y1, [15, 1], 1e-4, "adam", "bce",
         lambda steps: numpy_logistic_adam(X1, y1, steps, 1e-4)),
    ]
    print(f"\n| case | weightflow us/step | compile s | numpy us/step | torch eager us/step | numpy / wf | torch / wf |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for title, X, y, sizes, lr, opt, loss, np_fn in cases:
        wf_step, compile_s = weightflow_timing(X, y, S, sizes, lr, opt, loss, max(1, S // 500), R)
        np_step = best(lambda: np_fn(S // 4), R) / (S // 4)
        th_step = best(lambda: torch_run(X, y, TS, sizes, lr, opt, loss), R) / TS
        print(f"| {title} | {wf_step * 1e6:.2f} | {compile_s:.2f} | {np_step * 1e6:.1f} | {th_step * 1e6:.1f} | "
              f"{np_step / wf_step:.1f}x | {th_step / wf_step:.1f}x |")

    print("\nrecording cost, seed 004 net, GD, steps =", S)
    floors = {u: best(plain_jax_231(X4, y4, S, 1e-4, u), R) / S for u in (1, 4)}
    print("| record every | frames | us/step | over 1 frame | over plain jax scan | over plain jax, unroll 4 |")
    print("| --- | --- | --- | --- | --- | --- |")
    base = None
    for every in (S, 40, 2, 1):
        per, _ = weightflow_timing(X4, y4, S, [2, 3, 1], 1e-4, "gd", "sse", every, R)
        base = base or per
        print(f"| {every} | {S // every} | {per * 1e6:.2f} | {100 * (per / base - 1):+.1f}% | "
              f"{100 * (per / floors[1] - 1):+.1f}% | {100 * (per / floors[4] - 1):+.1f}% |")
    print(f"plain jax scan, no recording: {floors[1] * 1e6:.2f} us/step; unrolled 4 steps per iteration: "
          f"{floors[4] * 1e6:.2f} us/step")


if __name__ == "__main__":
    main()
