"""Where the cost stops being overhead and starts being arithmetic: time per member-step against the
population size and the hidden width, with the share of this machine's float32 matmul ceiling.

Net 2 -> H tanh -> 1 on the 400-point moons, full batch, Adam, one frame at the end (recording aside,
see bench_recording.py). Each point: ``train()`` called twice (the second, warm, is timed; best of
``--repeats``), steps chosen so that a run is about ``--flop`` floating-point operations. FLOPs per
member-step: 6 x samples x (weights) for the matrix products (forward, and backward's two) plus the
elementwise work, counted as 10 x samples x hidden units. The ceiling: a 2048^3 jax matmul. Runs
unchanged on a GPU: ``JAX_PLATFORMS=cuda python bench/bench_scaling.py --full``.

    python bench/bench_scaling.py [--full] [--repeats 2]
"""

from __future__ import annotations

import argparse
import time

import weightflow as wf  # first: it gives XLA one CPU device per core before jax starts

import jax
import jax.numpy as jnp

N = 400


def ceiling_flops() -> float:
    a = jnp.ones((2048, 2048), jnp.float32)
    mm = jax.jit(lambda x: x @ x)
    mm(a).block_until_ready()
    best = min(_timed(lambda: mm(a).block_until_ready()) for _ in range(3))
    return 2 * 2048 ** 3 / best


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def flops_per_member_step(hidden: int) -> float:
    weights = 2 * hidden + hidden
    return 6 * N * weights + 10 * N * hidden


def point(members: int, hidden: int, budget: float, repeats: int) -> tuple[int, float]:
    """(steps, seconds per member-step) of the best warm run."""
    steps = int(min(20000, max(16, budget / (members * flops_per_member_step(hidden)))))
    model = wf.MLP([2, hidden, 1], activation="tanh")

    def run():
        wf.train(model, "moons", "adam", 1e-3, steps=steps, record_every=steps, test_size=0, progress=False,
                 diagnose=False, population=None if members == 1 else members)

    run()
    return steps, min(_timed(run) for _ in range(repeats)) / (steps * members)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="the whole grid (populations 1..4096, widths 2..1024)")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--flop", type=float, default=3e9, help="floating-point operations per timed run")
    args = ap.parse_args()
    pops = [1, 4, 16, 64, 256, 1024, 4096] if args.full else [1, 16, 256, 4096]
    widths = [2, 8, 32, 128, 512, 1024] if args.full else [2, 32, 256, 1024]
    peak = ceiling_flops()
    print(f"backend {jax.default_backend()} ({jax.device_count()} devices); float32 ceiling "
          f"{peak / 1e9:.1f} GFLOP/s (2048^3 matmul)")
    print("| members | hidden | steps | ns per member-step | GFLOP/s | share of ceiling |")
    print("| --- | --- | --- | --- | --- | --- |")
    wide = widths if args.full else widths[:-1]  # 256 members of the widest net: minutes here
    grid = [(p, 8) for p in pops] + [(1, h) for h in widths if h != 8] + [(256, h) for h in wide if h != 8]
    for members, hidden in grid:
        steps, sec = point(members, hidden, args.flop, args.repeats)
        rate = flops_per_member_step(hidden) / sec
        print(f"| {members} | {hidden} | {steps} | {sec * 1e9:.0f} | {rate / 1e9:.2f} | {rate / peak:.1%} |",
              flush=True)


if __name__ == "__main__":
    main()
