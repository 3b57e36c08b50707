"""What recording a frame at every step costs on wider nets, against a plain ``lax.scan`` that records
nothing, in one process (the variants alternate within each repeat; best of ``--repeats``).

Cases (float32, full batch, Adam lr 1e-3, no test set, a frame at every step):
  * 2 -> 32 -> 32 -> 1 tanh on the 400-point spiral;
  * 64 -> 128 -> 10 relu (softmax) on digits (1797 samples).
Columns: ``plain scan``: jit(lax.scan) of the same step (weightflow's loss, forward pass, optax
transformation and XLA options), nothing recorded; ``engine``: weightflow's compiled chunk program
called over the run's chunk plan (device work only: every frame and its train loss/accuracy);
``train()``: the whole public call, host work included (frames copied into the Run, history),
timed on a second identical call. Target (issue 13): at most +10% over the plain scan.

    python bench/bench_recording.py [--steps 4000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import time

import weightflow as wf  # first: it gives XLA one CPU device per core before jax starts

import jax
import jax.numpy as jnp
import numpy as np
import optax

from weightflow import losses, program, training
from weightflow.resolve import resolve
from weightflow.schedule import plan_chunks

CASES = {
    "2-32-32-1 tanh, spiral (400), Adam": (lambda: wf.MLP([2, 32, 32, 1], activation="tanh"), "spiral"),
    "64-128-10 relu, digits (1797), Adam": (lambda: wf.MLP([64, 128, 10], activation="relu", output="softmax"),
                                             "digits"),
}


def resolved(model, data, steps):
    return resolve(model, data, "adam", 1e-3, steps=steps, epochs=None, batch_size=None, record_every=1,
                   eval_every=None, test_size=0, seed=0, init=None, loss=None, standardize=False, data_options=None,
                   optimizer_options=None, population=None, split_seed=None, init_scale=1.0)


def plain_scan(res, steps):
    """jit(lax.scan) of the bare step: (params, opt state) -> the same after ``steps`` steps."""
    model, loss, tx = res.config.model, res.config.loss, res.opt.tx
    data = program.train_data(res.split)

    def step(carry, _):
        params, st = carry
        grads = jax.grad(lambda p: losses.loss_value(model.forward_t(p, data.xt), data.y, loss, model.output))(params)
        updates, st = tx.update(grads, st, params)
        return (optax.apply_updates(params, updates), st), None

    run = jax.jit(lambda p, s: jax.lax.scan(step, (p, s), None, length=steps)[0],
                  compiler_options=program.compiler_options())
    return run


def engine(res, steps):
    """weightflow's compiled chunk over the run's plan: () -> final state (device work only)."""
    cfg = res.config
    plan = plan_chunks(cfg.schedule, 1, training._width(res))
    chunk = program.compiled_chunk(cfg.model, cfg.loss, res.opt, res.lr, res.options, cfg.schedule, cfg.data.n_train,
                                   False, plan.padded, False)
    data = program.train_data(res.split)
    state0 = jax.tree_util.tree_map(lambda a: jnp.asarray(a[0]), _state(res))  # a single run: no member axis

    def run():
        state = state0
        for c in range(plan.n_chunks):
            _, _, n_inner, do_eval, first = plan.chunk(c)
            state, flat, _ = chunk(state, (n_inner, do_eval, first), data, np.zeros((0, 0), np.int32))
            np.asarray(flat)  # the frames come to the host, as train() takes them
        return jax.block_until_ready(state)

    return run, state0


def _state(res):
    from weightflow.state import initial_state

    return initial_state(res.config.model, res.rule, res.lr, res.options, res.members.seeds, None)


def timed(fn, times: list) -> None:
    t = time.perf_counter()
    fn()
    times.append(time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    print(f"jax {jax.__version__}, {args.steps} steps, best of {args.repeats} (variants alternating)")
    print("| case | plain scan us/step | engine us/step | train() us/step | engine over plain | train() over plain |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, (make, data) in CASES.items():
        model = make()
        res = resolved(model, data, args.steps)
        scan = plain_scan(res, args.steps)
        eng, state0 = engine(res, args.steps)
        p0, s0 = state0.params, state0.opt_state
        jax.block_until_ready(scan(p0, s0))
        eng()
        wf.train(model, data, "adam", 1e-3, steps=args.steps, record_every=1, test_size=0, progress=False,
                 diagnose=False)
        times = {"plain": [], "engine": [], "train": []}
        for _ in range(args.repeats):
            timed(lambda: jax.block_until_ready(scan(p0, s0)), times["plain"])
            timed(eng, times["engine"])
            timed(lambda: wf.train(model, data, "adam", 1e-3, steps=args.steps, record_every=1, test_size=0,
                                  progress=False, diagnose=False), times["train"])
        us = {k: 1e6 * min(v) / args.steps for k, v in times.items()}
        print(f"| {name} | {us['plain']:.2f} | {us['engine']:.2f} | {us['train']:.2f} | "
              f"{us['engine'] / us['plain'] - 1:+.1%} | {us['train'] / us['plain'] - 1:+.1%} |")


if __name__ == "__main__":
    main()
