"""How a run's steps are laid out: the schedule (steps, frames, evaluations) and the chunk plan. No jax.

A run is a sequence of *blocks*: block i records frame i (the parameters after ``i * record_every``
steps, with their metrics) and then takes ``record_every`` steps (the last block may take fewer). A
*chunk* is one call of the compiled program over a fixed number of blocks; every chunk has the same
shape (spare blocks take zero steps and are dropped), so a run compiles once.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .config import Schedule
from .errors import WeightflowError, bad_input
from .validate import positive_int

__all__ = ["Schedule", "ChunkPlan", "make_schedule", "plan_chunks", "frames_per_iteration"]

CHUNK_STEPS = 4096  # optimizer steps per compiled call, about; bounds how often the host looks in
SMALL_BLOCK = 8  # blocks of at most this many steps are unrolled
LEAN_STEPS = 2048  # runs shorter than this record one frame per loop iteration (see frames_per_iteration)
MAX_CHUNK_FLOATS = 1 << 24  # floats one chunk may return (members x blocks x block width)
# member x float x steps per chunk, about a second of work on a CPU core for a single run
MAX_CHUNK_WORK = 1 << 25
# a population's members x steps x step_cost per chunk: 0.16-0.35 ns each on this project's 2-core
# machine (bench/bench_progress.py), so a chunk takes about 0.1-0.25 s and a large population's
# progress bar moves and Ctrl-C is answered within 0.5 s
MAX_CHUNK_COST = 7e8


def step_cost(sizes, rows: int) -> float:
    """A member's cost of one step in MAX_CHUNK_COST's units: per row, forward and backward
    multiply-adds (3 x the weights) and 10 per unit for the activations and the loss; 20 per
    parameter for the update. ``sizes`` the layer widths, ``rows`` per step."""
    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    return rows * (3 * weights + 10 * sum(sizes[1:])) + 20 * (weights + sum(sizes[1:]))


def make_schedule(n_train: int, steps, epochs, batch_size, record_every, eval_every) -> Schedule:
    """Validate the step counts and fill the defaults (1000 steps; about 500 frames)."""
    if batch_size is not None:
        batch_size = positive_int(batch_size, "batch_size", "--batch-size 32")
        if batch_size >= n_train:
            batch_size = None
    per_epoch = 1 if batch_size is None else math.ceil(n_train / batch_size)
    if steps is not None and epochs is not None:
        raise WeightflowError("steps and epochs: expected one of them, got both; pass only --steps or --epochs")
    if epochs is not None:
        steps = positive_int(epochs, "epochs", "--epochs 100") * per_epoch
    steps = positive_int(1000 if steps is None else steps, "steps", "--steps 1000")
    record_every = math.ceil(steps / 500) if record_every is None else \
        positive_int(record_every, "record_every", "--record-every 10")
    if record_every > steps:
        raise bad_input("record_every", f"at most the number of steps ({steps})", record_every,
                        f"use --record-every {max(1, steps // 100)} or more steps")
    eval_every = record_every if eval_every is None else positive_int(eval_every, "eval_every", "--eval-every 100")
    if eval_every % record_every:
        raise bad_input("eval_every", f"a multiple of record_every ({record_every})", eval_every,
                        f"use --eval-every {record_every * max(1, round(eval_every / record_every))}")
    return Schedule(steps, record_every, eval_every, batch_size, per_epoch)


def frames_per_iteration(sched: Schedule) -> int:
    """Frames one loop iteration records: several when frames are only a few steps apart (4 at a
    frame every step), so that the loop's fixed cost is shared and their train metrics are summed
    in one product. A short run (under LEAN_STEPS steps) takes one: it would not win back the
    compile time of the larger program (about half of a small net's compile)."""
    k = sched.record_every
    if sched.steps < LEAN_STEPS:
        return 1
    return max(1, SMALL_BLOCK // (2 * k)) if k <= SMALL_BLOCK else 1


class ChunkPlan(NamedTuple):
    """The blocks of a run cut into equal chunks.

    frames: real blocks (= recorded frames); per_chunk: blocks per compiled call; n_chunks: calls;
    n_inner (n_chunks * per_chunk,) steps each block takes, 0 for the padding at the end;
    do_eval (same) whether a block evaluates the test set at its start; first (same, int32) the step
    each block starts at.
    """

    frames: int
    per_chunk: int
    n_chunks: int
    n_inner: np.ndarray
    do_eval: np.ndarray
    first: np.ndarray

    @property
    def padded(self) -> bool:
        return self.n_chunks * self.per_chunk > self.frames

    def chunk(self, c: int) -> tuple[int, int, np.ndarray, np.ndarray, np.ndarray]:
        """Chunk ``c``: its first block, its real block count, and its (per_chunk,) n_inner, do_eval and
        first steps (the step each block starts at: one clock for every member of a population)."""
        lo = c * self.per_chunk
        sl = slice(lo, lo + self.per_chunk)
        return lo, min(self.per_chunk, self.frames - lo), self.n_inner[sl], self.do_eval[sl], self.first[sl]

    def steps_done(self, kept: int) -> int:
        """Optimizer steps taken by the first ``kept`` blocks."""
        return int(self.n_inner[:kept].sum())


def block_plan(sched: Schedule) -> tuple[np.ndarray, np.ndarray]:
    """Per block: steps to take and whether to evaluate the test set at its start (block i starts
    at step ``i * record_every``, its frame; the last one may be short)."""
    k = sched.record_every
    full, tail = divmod(sched.steps, k)
    n_inner = np.asarray([k] * full + ([tail] if tail else []), np.int32)
    starts = k * np.arange(len(n_inner))
    return n_inner, starts % sched.eval_every == 0


def chunk_blocks(n_blocks: int, target: int, multiple: int = 1) -> int:
    """Blocks per compiled call, a multiple of ``multiple``: ``target`` or a divisor of ``n_blocks``
    near it (no padding needed)."""
    def up(n):
        return -(-n // multiple) * multiple
    if n_blocks <= target:
        return up(n_blocks)
    target = max(multiple, target // multiple * multiple)
    for size in range(target, max(multiple, target // 2) - 1, -multiple):
        if n_blocks % size == 0:
            return size
    return target


def plan_chunks(sched: Schedule, members: int, width: int, chunk_steps: int | None = None,
                cost: float = 0.0) -> ChunkPlan:
    """Cut the run into chunks of about ``chunk_steps`` steps (default CHUNK_STEPS; at least one block), fewer when
    ``members`` x ``width`` floats per block would make a chunk's output too large or its work long
    (MAX_CHUNK_WORK), or ``members`` x ``cost`` (a member's ``step_cost``, given for a population) per
    step its time long (MAX_CHUNK_COST)."""
    n_inner, do_eval = block_plan(sched)
    frames = len(n_inner)
    by_work = MAX_CHUNK_WORK // (members * width * sched.record_every)
    if cost:
        by_work = min(by_work, int(MAX_CHUNK_COST // (members * cost * sched.record_every)))
    target = max(1, min(math.ceil((chunk_steps or CHUNK_STEPS) / sched.record_every), MAX_CHUNK_FLOATS // (members * width), by_work))
    per_chunk = chunk_blocks(frames, target, frames_per_iteration(sched))
    n_chunks = math.ceil(frames / per_chunk)
    pad = n_chunks * per_chunk - frames
    n_inner = np.concatenate([n_inner, np.zeros(pad, np.int32)])
    return ChunkPlan(frames, per_chunk, n_chunks, n_inner, np.concatenate([do_eval, np.zeros(pad, bool)]),
                     (np.cumsum(n_inner) - n_inner).astype(np.int32))
