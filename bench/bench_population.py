"""A population of 256 runs of seed 003's network in one program, against PyTorch.

Seed 003: 3 -> 4 sigmoid -> 1 sigmoid, no separate biases (a bias column of ones is the third
input), weights uniform in [-1, 1], 500 points (diamond), full-batch gradient descent, 5000 steps.

* weightflow: ``train(..., population=256)``, one vmapped ``lax.scan`` program (compile timed apart);
* PyTorch eager, looping over members (timed on a few members and steps, per member-step);
* PyTorch batched: the 256 weight sets stacked, ``torch.bmm`` forward, autograd backward.

It also measures the machine's float32 matmul ceiling (a large jax matmul) and reports what
fraction of it the population reaches, counting 2*m*n*k FLOPs per matmul of forward and backward.

    python bench/bench_population.py [--members 256] [--steps 5000] [--devices 1]

Timings are the best of 3 repeats (the first weightflow call compiles and is not counted): this
machine's speed varies by up to 2x from minute to minute, so single timings mislead.
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np


def flops_per_member_step(n=500, d=3, h=4):
    fwd = 2 * n * d * h + 2 * n * h * 1
    bwd = 2 * fwd - 2 * n * d * h  # weight grads for both layers, input grad for the hidden layer only
    return fwd + bwd


def ceiling_gflops():
    import jax
    import jax.numpy as jnp

    a = jnp.ones((2048, 2048), jnp.float32)
    f = jax.jit(lambda x: x @ x)
    f(a).block_until_ready()
    t = time.perf_counter()
    for _ in range(5):
        f(a).block_until_ready()
    return 5 * 2 * 2048 ** 3 / (time.perf_counter() - t) / 1e9


def weightflow_population(P, steps, repeats=3):
    """(seconds per member-step, best of ``repeats`` after a compiling call; compile seconds; the run)."""
    import weightflow as wf

    model = wf.MLP([3, 4, 1], activation="sigmoid", bias=False, init="uniform:1")
    kw = dict(optimizer="gd", lr=1e-3, steps=steps, record_every=50, test_size=0, population=P, progress=False,
              data_options={"bias_column": True, "n": 500})
    t = time.perf_counter()
    wf.train(model, "diamond", **kw)
    first = time.perf_counter() - t
    best = math.inf
    for _ in range(repeats):
        t = time.perf_counter()
        run = wf.train(model, "diamond", **kw)
        best = min(best, time.perf_counter() - t)
    return best / (P * steps), first - best, run


def torch_data():
    from weightflow.datasets import load

    ds = load("diamond", bias_column=True, n=500)
    return ds.X, ds.y.astype(np.float32)


def torch_loop(members, steps):
    import torch

    X, y = torch_data()
    xt, yt = torch.from_numpy(X), torch.from_numpy(y)[:, None]
    t = time.perf_counter()
    for m in range(members):
        g = torch.Generator().manual_seed(m)
        w1 = (torch.rand(3, 4, generator=g) * 2 - 1).requires_grad_()
        w2 = (torch.rand(4, 1, generator=g) * 2 - 1).requires_grad_()
        opt = torch.optim.SGD([w1, w2], lr=1e-3)
        for _ in range(steps):
            opt.zero_grad()
            z = torch.sigmoid(xt @ w1) @ w2
            torch.nn.functional.binary_cross_entropy_with_logits(z, yt).backward()
            opt.step()
    return (time.perf_counter() - t) / (members * steps)


def torch_batched(P, steps, repeats=3):
    return min(_torch_batched(P, steps) for _ in range(repeats))


def _torch_batched(P, steps):
    import torch

    X, y = torch_data()
    xt = torch.from_numpy(X).expand(P, -1, -1)
    yt = torch.from_numpy(y)[None, :, None].expand(P, -1, -1)
    g = torch.Generator().manual_seed(0)
    w1 = (torch.rand(P, 3, 4, generator=g) * 2 - 1).requires_grad_()
    w2 = (torch.rand(P, 4, 1, generator=g) * 2 - 1).requires_grad_()
    t = time.perf_counter()
    for _ in range(steps):
        z = torch.bmm(torch.sigmoid(torch.bmm(xt, w1)), w2)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(z, yt, reduction="none").mean(dim=(1, 2)).sum()
        g1, g2 = torch.autograd.grad(loss, (w1, w2))
        with torch.no_grad():
            w1 -= 1e-3 * g1
            w2 -= 1e-3 * g2
    return (time.perf_counter() - t) / (P * steps)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--members", type=int, default=256)
    ap.add_argument("--steps", type=int, default=5000)
    ap.add_argument("--devices", type=int, default=None,
                    help="XLA CPU devices the population is sharded over (WEIGHTFLOW_CPU_DEVICES) [default: "
                         "weightflow's, one per core]")
    args = ap.parse_args()
    if args.devices is not None:
        os.environ["WEIGHTFLOW_CPU_DEVICES"] = str(args.devices)
    import weightflow  # noqa: F401  (before jax: it sets the CPU device count)
    import jax
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    P, S = args.members, args.steps
    wf_t, compile_s, run = weightflow_population(P, S)
    assert run.config.devices == len(jax.devices())
    loop_t = torch_loop(4, 300)
    bmm_t = torch_batched(P, max(200, S // 10))
    peak = ceiling_gflops()
    achieved = flops_per_member_step() / wf_t / 1e9
    print(f"jax {jax.__version__}, torch {torch.__version__}, {os.cpu_count()} cores, {len(jax.devices())} jax "
          f"device(s); {P} members x {S} steps")
    print("\n| implementation | us per member-step | weightflow speed-up |")
    print("| --- | --- | --- |")
    print(f"| weightflow population (compile {compile_s:.2f} s apart) | {wf_t * 1e6:.3f} | 1x |")
    print(f"| PyTorch batched (bmm) | {bmm_t * 1e6:.3f} | {bmm_t / wf_t:.1f}x |")
    print(f"| PyTorch eager, loop over members | {loop_t * 1e6:.1f} | {loop_t / wf_t:.0f}x |")
    print(f"\nfloat32 ceiling (2048^3 jax matmul): {peak:.1f} GFLOP/s; population reaches "
          f"{achieved:.2f} GFLOP/s = {100 * achieved / peak:.1f}% of it "
          f"({flops_per_member_step()} FLOPs per member-step)")


if __name__ == "__main__":
    main()
