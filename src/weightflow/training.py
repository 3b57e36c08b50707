"""Training: the only module that combines ``jit``, ``lax.scan`` and (later) ``vmap``.

A run is one compiled program. Its unit is a *block*: one recorded frame (every parameter, with
its train and, when due, test loss and accuracy) followed by ``record_every`` optimizer steps. A
*chunk* is a ``lax.scan`` over a fixed number of blocks; the host calls the same compiled chunk
again and again, and between calls it updates the progress bar, stops on NaN/inf, honours Ctrl-C
and copies the frames into preallocated arrays. Every chunk has the same shape (spare blocks run
zero steps and are dropped), so a run compiles exactly once.
"""

from __future__ import annotations

import functools
import math
import os
import sys
import time
from pathlib import Path
from typing import Any, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from . import grid, losses
from .datasets import Dataset, Split, load, split
from .errors import WeightflowError, bad_input
from .model import MLP
from .optim import Optimizer, check_lr, make_optimizer, set_hyperparams
from .run import Run

CHUNK_STEPS = 4096  # optimizer steps per compiled call, about; bounds how often the host looks in
SMALL_BLOCK = 8  # blocks of at most this many steps are unrolled


class TrainData(NamedTuple):
    """Feature-major training data: ``xt`` (d, n) float, ``y`` (n,) int32; test may have n = 0."""

    xt: jax.Array
    y: jax.Array
    xt_test: jax.Array
    y_test: jax.Array


class TrainState(NamedTuple):
    """What one run carries from step to step (a population is the same with a leading axis)."""

    params: list
    opt_state: Any
    perm: jax.Array  # this epoch's sample order, padded to whole batches ((0,) for full batch)
    key: jax.Array  # data-order key
    step: jax.Array  # optimizer steps taken


class Schedule(NamedTuple):
    """Static shape of a run, fixed before compiling."""

    steps: int
    record_every: int
    eval_every: int
    batch_size: int | None  # None: full batch
    steps_per_epoch: int


def _positive_int(value, what: str, example: str) -> int:
    try:
        ok = int(value) == value and int(value) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise bad_input(what, "a whole number > 0", value, f"e.g. {example}")
    return int(value)


def make_schedule(n_train: int, steps, epochs, batch_size, record_every, eval_every) -> Schedule:
    """Validate the step counts and fill the defaults (1000 steps; about 500 frames)."""
    if batch_size is not None:
        batch_size = _positive_int(batch_size, "batch_size", "--batch-size 32")
        if batch_size >= n_train:
            batch_size = None
    per_epoch = 1 if batch_size is None else math.ceil(n_train / batch_size)
    if steps is not None and epochs is not None:
        raise WeightflowError("steps and epochs: expected one of them, got both; pass only --steps or --epochs")
    if epochs is not None:
        steps = _positive_int(epochs, "epochs", "--epochs 100") * per_epoch
    steps = _positive_int(1000 if steps is None else steps, "steps", "--steps 1000")
    record_every = math.ceil(steps / 500) if record_every is None else \
        _positive_int(record_every, "record_every", "--record-every 10")
    if record_every > steps:
        raise bad_input("record_every", f"at most the number of steps ({steps})", record_every,
                        f"use --record-every {max(1, steps // 100)} or more steps")
    eval_every = record_every if eval_every is None else _positive_int(eval_every, "eval_every", "--eval-every 100")
    if eval_every % record_every:
        raise bad_input("eval_every", f"a multiple of record_every ({record_every})", eval_every,
                        f"use --eval-every {record_every * max(1, round(eval_every / record_every))}")
    return Schedule(steps, record_every, eval_every, batch_size, per_epoch)


def _as_split(data, test_size, seed, standardize, data_options) -> tuple[Split, Dataset]:
    if isinstance(data, Split):
        return data, getattr(data, "dataset", None)
    if isinstance(data, str):
        data = load(data, **(data_options or {}))
    elif isinstance(data, tuple) and len(data) == 2:
        data = Dataset(*data)
    if not isinstance(data, Dataset):
        raise bad_input("data", "a dataset name, a Dataset or an (X, y) pair", type(data).__name__,
                        "e.g. train(model, 'xor') or train(model, (X, y))")
    return split(data, test_size=test_size, seed=seed, standardize=standardize), data


def frames_per_iteration(sched: Schedule) -> int:
    """Frames one loop iteration records: several when frames are only a few steps apart (4 at a
    frame every step), so that the loop's fixed cost is shared and their train metrics are summed
    in one product."""
    k = sched.record_every
    return max(1, SMALL_BLOCK // (2 * k)) if k <= SMALL_BLOCK else 1


def build_chunk(model: MLP, loss: str, opt: Optimizer, sched: Schedule, n_train: int, has_test: bool,
                padded: bool = True):
    """The compiled program: ``chunk(state, (n_inner, do_eval), data) -> (state, per_block, at_end)``.

    ``n_inner`` (blocks,) steps to take in each block (0 for padding, only when ``padded``),
    ``do_eval`` (blocks,) whether to evaluate the test set; blocks is a multiple of
    ``frames_per_iteration(sched)``. Each block records the parameters it starts from with their
    train loss/accuracy (and test loss/accuracy, NaN when not evaluated), then takes its steps.
    With full batches the first step's own forward pass gives those train metrics, so recording
    costs no extra pass over the data. ``per_block`` (blocks, width) holds one flat float vector per
    block, ``[train_loss, train_acc, test_loss, test_acc, *opt stats, *every parameter raveled]``
    (one write per block instead of one per array; ``unpack_blocks`` splits it).
    ``at_end``: the four metrics (and optimizer stats) of the state the chunk ends with.
    """
    output = model.output
    batch = sched.batch_size
    carried = batch is None and opt.carried_value is not None  # see Optimizer.carried_value
    k = sched.record_every
    group = frames_per_iteration(sched)
    short = padded or sched.steps % k != 0  # some block takes fewer than k steps

    def terms_of(params, xt, y):
        return losses.metric_terms(model.forward_t(params, xt), y, loss, output)

    def objective(params, xt, y):
        """(loss, accuracy) of ``params`` on (d, n) inputs ``xt`` and (n,) labels ``y``."""
        sums = losses.sum_terms(terms_of(params, xt, y), loss)
        return sums[0], sums[1]

    def step(state: TrainState, data: TrainData):
        """One update; returns the new state and, with full batches, the metric terms (2, n) of the
        old parameters (None for minibatches)."""
        perm = state.perm
        if batch is None:
            xt, y, w = data.xt, data.y, None
        else:
            j = state.step % sched.steps_per_epoch
            epoch = state.step // sched.steps_per_epoch
            pad = sched.steps_per_epoch * batch - n_train

            def reshuffle():
                order = jax.random.permutation(jax.random.fold_in(state.key, epoch), n_train).astype(jnp.int32)
                return jnp.concatenate([order, jnp.zeros((pad,), jnp.int32)])

            perm = jax.lax.cond(j == 0, reshuffle, lambda: state.perm)
            idx = jax.lax.dynamic_slice(perm, (j * batch,), (batch,))
            xt, y = jnp.take(data.xt, idx, axis=1), data.y[idx]
            w = ((j * batch + jnp.arange(batch)) < n_train).astype(data.xt.dtype)

        def batch_loss(p):
            if w is None:
                terms = terms_of(p, xt, y)
                return losses.reduce(terms[0], loss), terms
            return losses.loss_value(model.forward_t(p, xt), y, loss, output, w), None

        def value_fn(p):
            return batch_loss(p)[0]

        if opt.uses_gradients:
            (value, terms), grads = jax.value_and_grad(batch_loss, has_aux=True)(state.params)
        else:
            if carried:  # the rule knows the cost of its parameters: skip this forward pass (cond runs one branch)
                known = jnp.asarray(opt.carried_value(state.opt_state), data.xt.dtype)
                value, terms = jax.lax.cond(jnp.isfinite(known), lambda: known, lambda: value_fn(state.params)), None
            else:
                value, terms = batch_loss(state.params)
            grads = jax.tree_util.tree_map(jnp.zeros_like, state.params)
        updates, opt_state = opt.tx.update(grads, state.opt_state, state.params, value=value, value_fn=value_fn)
        params = jax.tree_util.tree_map(lambda p, u: p + u.astype(p.dtype), state.params, updates)
        return TrainState(params, opt_state, perm, state.key, state.step + 1), terms

    def test_metrics(params, data, do_eval):
        nan = jnp.full((), jnp.nan, data.xt.dtype)
        if not has_test:
            return nan, nan
        return jax.lax.cond(do_eval, lambda: objective(params, data.xt_test, data.y_test), lambda: (nan, nan))

    def keep_if(cond, new, old):
        return jax.tree_util.tree_map(lambda a, b: jnp.where(cond, a, b), new, old)

    def steps_from(state: TrainState, start: int, n_inner, data: TrainData):
        """Steps ``start .. n_inner - 1`` of a block. Short blocks (k <= SMALL_BLOCK) loop over a static
        range, unrolled, masking the steps a short block skips: the fixed cost of a loop iteration is a
        visible share of a microsecond step."""
        if start >= k:
            return state
        if k > SMALL_BLOCK:
            return jax.lax.fori_loop(start, n_inner, lambda _, s: step(s, data)[0], state)
        if short:
            return jax.lax.fori_loop(start, k, lambda i, s: keep_if(i < n_inner, step(s, data)[0], s), state,
                                     unroll=True)
        return jax.lax.fori_loop(start, k, lambda _, s: step(s, data)[0], state, unroll=True)

    def blocks(carry: TrainState, xs, data: TrainData):
        """``group`` consecutive blocks: (group,) n_inner and do_eval -> (group, width) records."""
        state, terms, starts = carry, [], []
        for g in range(group):
            n_inner, do_eval = xs[0][g], xs[1][g]
            starts.append((state, *test_metrics(state.params, data, do_eval)))
            if batch is None and not carried:
                stepped, t = step(state, data)
                state = keep_if(n_inner > 0, stepped, state) if padded else stepped
                state = steps_from(state, 1, n_inner, data)
            else:
                t = terms_of(state.params, data.xt, data.y)
                state = steps_from(state, 0, n_inner, data)
            terms.append(t)
        sums = losses.sum_terms(jnp.concatenate(terms), loss)  # train loss and accuracy of every block at once
        rows, dtype = [], sums.dtype
        for g, (start, test_loss, test_acc) in enumerate(starts):
            head = jnp.stack([sums[2 * g], sums[2 * g + 1], test_loss, test_acc.astype(dtype),
                              *stats(start.opt_state)])
            rows.append(jnp.concatenate([head, *(p.ravel().astype(dtype) for p in start.params)]))
        return state, jnp.stack(rows)

    def stats(opt_state):
        return [jnp.asarray(v, jnp.float32).reshape(()) for v in opt.stats(opt_state)] if opt.stats else []

    def chunk(state, xs, data):
        xs = tuple(x.reshape(-1, group) for x in xs)
        state, per_block = jax.lax.scan(lambda c, x: blocks(c, x, data), state, xs)
        at_end = (*objective(state.params, data.xt, data.y), *test_metrics(state.params, data, True),
                  *stats(state.opt_state))
        return state, per_block.reshape(-1, per_block.shape[-1]), at_end

    return chunk


@functools.cache
def compiler_options() -> dict | None:
    """XLA options for the training programs. On a CPU with AVX-512, ask for 512-bit vectors: XLA:CPU
    vectorises for 256 bits by default, and exp / logistic over a population's hidden units run at
    half the cost per element with 512 (measured 0.30 -> 0.17 ns on this project's machine)."""
    if jax.default_backend() != "cpu":
        return None
    try:
        with open("/proc/cpuinfo") as fh:
            avx512 = any(line.startswith("flags") and " avx512f" in line for line in fh)
    except OSError:
        return None
    return {"xla_cpu_prefer_vector_width": 512} if avx512 else None


_CHUNKS: dict = {}


def _compiled_chunk(model, loss, opt: Optimizer, lr, options, sched, n_train, has_test, padded, population):
    """``build_chunk`` jitted, and for a population vmapped over the members' states (data and the
    block plan are shared). Reused across runs with the same static configuration: jax caches
    compiled code per jitted function, and a new closure would compile again. Custom optax objects
    are not cached: their hyperparameters are hidden in closures."""
    frozen = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in (options or {}).items()))
    key = (model, loss, opt.name, None if opt.lr_in_state else float(lr), frozen, sched, n_train, has_test, padded,
           population)
    if opt.name != "custom" and key in _CHUNKS:
        return _CHUNKS[key]
    chunk = build_chunk(model, loss, opt, sched, n_train, has_test, padded)
    compiled = jax.jit(jax.vmap(chunk, in_axes=(0, None, None)) if population else chunk,
                       compiler_options=compiler_options())
    if opt.name != "custom":
        if len(_CHUNKS) > 64:
            _CHUNKS.clear()
        _CHUNKS[key] = compiled
    return compiled


def unpack_blocks(flat: np.ndarray, shapes: list[tuple], n_head: int = 4) -> tuple[np.ndarray, list[np.ndarray]]:
    """Split ``per_block`` (..., n_head + n_params) into metrics (..., n_head) and per-parameter
    frames (..., *shape); leading axes (members, blocks) are kept."""
    lead = flat.shape[:-1]
    metrics, out, at = flat[..., :n_head], [], n_head
    for shape in shapes:
        size = int(np.prod(shape))
        out.append(flat[..., at:at + size].reshape(*lead, *shape))
        at += size
    return metrics, out


def _chunk_blocks(n_blocks: int, target: int, multiple: int = 1) -> int:
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


def _block_plan(sched: Schedule):
    """Per block: steps to take and whether to evaluate the test set at its start.

    Block i starts at step ``i * record_every`` (its frame); the last one may be short."""
    k = sched.record_every
    full, tail = divmod(sched.steps, k)
    n_inner = np.asarray([k] * full + ([tail] if tail else []), np.int32)
    starts = k * np.arange(len(n_inner))
    return n_inner, starts % sched.eval_every == 0


def _progress(enabled: bool | None, total: int):
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("training"), BarColumn(), MofNCompleteColumn(), TextColumn("steps"),
                   TimeRemainingColumn(), TextColumn("{task.fields[info]}"), transient=True)
    bar.start()
    bar.add_task("train", total=total, info="")
    return bar


def _initial_state(model: MLP, optimizer, lr, options, seeds: list[int], init, perm_len: int,
                   member_values: dict | None = None, init_scale: list[float] | None = None):
    """Every member's TrainState stacked on a leading axis (members,): keys from each member's seed,
    each member's values of in-state options (``member_values``: name -> (members,), see
    ``grid``), and each member's initial weight matrices times its ``init_scale``."""
    keys = jax.vmap(lambda s: jax.random.split(jax.random.PRNGKey(s), 3))(jnp.asarray(seeds, jnp.uint32))
    k_init, k_data, k_opt = keys[:, 0], keys[:, 1], keys[:, 2]
    if init is not None:
        given = [jnp.asarray(p) for p in model.check_params(init)]
        params0 = [jnp.broadcast_to(p, (len(seeds), *p.shape)) for p in given]
    else:
        params0 = jax.vmap(model.init_params)(k_init)
    if init_scale is not None and any(v != 1 for v in init_scale):
        factor = jnp.asarray(init_scale, jnp.float32)
        params0 = [p * factor.reshape(-1, *([1] * (p.ndim - 1))).astype(p.dtype) if p.ndim == 3 else p
                   for p in params0]  # weight matrices (members, in, out); biases keep their init
    # a rule's state takes its member's key; optax's ignore it
    opt_state = jax.vmap(lambda p, k: make_optimizer(optimizer, lr, key=k, **options).tx.init(p))(params0, k_opt)
    if member_values:
        opt_state = set_hyperparams(opt_state, member_values)
    perm = jnp.zeros((len(seeds), perm_len), jnp.int32)
    return TrainState(list(params0), opt_state, perm, k_data, jnp.zeros((len(seeds),), jnp.int32))


class FrameFile:
    """Frames streamed into ``DIR/frames/NAME.npy``, shape (members?, frames, *param shape).

    Chunks are written with positioned writes into the preallocated file, so the trajectory never
    has to be in memory (a memory map would count its dirty pages against the process); the
    finished frames are read back as a read-only memory map.
    """

    def __init__(self, path: Path, shape: tuple, population: bool):
        self.path, self.shape, self.population = path, shape, population
        created = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=shape)  # header + sparse body
        self.offset = created.offset  # where the data starts, after the .npy header
        created.flush()
        del created
        lead = 2 if population else 1
        self.frames = shape[lead - 1]
        self.item = int(np.prod(shape[lead:], dtype=np.int64)) * 4

    def __setitem__(self, frame_slice: slice, block: np.ndarray) -> None:
        """Write ``block`` (members?, n, *shape) at frames ``frame_slice.start`` onwards."""
        block = np.ascontiguousarray(block, np.float32)
        lo = frame_slice.start
        fd = os.open(self.path, os.O_WRONLY)
        try:
            if not self.population:
                os.pwrite(fd, block.tobytes(), self.offset + lo * self.item)
            else:
                for m in range(block.shape[0]):
                    os.pwrite(fd, block[m].tobytes(), self.offset + (m * self.frames + lo) * self.item)
        finally:
            os.close(fd)

    def read(self, kept: int) -> np.ndarray:
        arr = np.load(self.path, mmap_mode="r")
        return arr[:, :kept] if self.population else arr[:kept]


def _frame_store(shape: tuple, stream_to: Path | None, name: str, population: bool):
    """Where frames go: an array in memory, or a FrameFile in ``stream_to/frames``."""
    if stream_to is None:
        return np.empty(shape, np.float32)
    (stream_to / "frames").mkdir(parents=True, exist_ok=True)
    return FrameFile(stream_to / "frames" / f"{name}.npy", shape, population)


def _shard_members(state: TrainState, members: int):
    """Spread the member axis over every visible device (results equal one device's); returns the
    state and the number of devices used. Needs members divisible by the device count."""
    n_dev = jax.device_count()
    if n_dev == 1 or members % n_dev:
        return state, 1
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    mesh = Mesh(np.asarray(jax.devices()), ("members",))
    return jax.device_put(state, NamedSharding(mesh, PartitionSpec("members"))), n_dev


def _read(store, kept: int, population: bool) -> np.ndarray:
    """The first ``kept`` frames of a frame store (frames on axis 0, or axis 1 with members)."""
    if isinstance(store, FrameFile):
        return store.read(kept)
    return store[:, :kept] if population else store[:kept]


def _grid_axes(optimizer, lr, options: dict, init_scale, population):
    """Resolve the grid axes among ``lr``, the in-state optimizer options and ``init_scale``: a list
    of values makes an axis (only with a population). Returns the optimizer built from each axis'
    largest value (a rule may drop work a zero value never needs, e.g. Langevin's noise at T = 0;
    the members' own values live in the state), that lr and options, and the axes (name -> values)."""
    axes = {}
    if isinstance(lr, (list, tuple, np.ndarray)):
        axes["lr"] = [check_lr(v) for v in lr]
        if not axes["lr"]:
            raise bad_input("lr", "a non-empty list of learning rates", [], "e.g. --lr 1e-3,1e-2")
    lr0 = max(axes["lr"]) if axes else lr
    in_state = make_optimizer(optimizer, lr0).in_state  # validates the name (and lr)
    for k, v in options.items():
        if isinstance(v, (list, tuple, np.ndarray)) and k in in_state:
            axes[k] = list(v)
    plain = {k: v for k, v in options.items() if k not in axes}
    for k in axes.keys() - {"lr"}:
        if not axes[k]:
            raise bad_input(k, f"a non-empty list of {k} values", [], f"e.g. --{k.replace('_', '-')} 1,2")
        for value in axes[k]:  # the rule's own checks, one value at a time
            make_optimizer(optimizer, lr0, **{**plain, k: value})
    if isinstance(init_scale, (list, tuple, np.ndarray)):
        axes["init_scale"] = [_as_scale(v) for v in init_scale]
        if not axes["init_scale"]:
            raise bad_input("init_scale", "a non-empty list of factors", [], "e.g. --init-scale 0.5,1,2")
    else:
        _as_scale(init_scale)
    if "lr" in axes and "lr" not in in_state:
        raise bad_input("lr", f"one learning rate for optimizer {optimizer}", axes["lr"],
                        "grids of learning rates work with gd, sgd, adam, nadam, rmsprop, langevin")
    if axes and population is None:
        name, values = next(iter(axes.items()))
        raise bad_input(name, f"one value of {name} for a single run", values,
                        "give --population P to train P members per value")
    rep = {k: max(v) for k, v in axes.items() if k not in ("lr", "init_scale")}
    opt = make_optimizer(optimizer, lr0, key=jax.random.PRNGKey(0), **plain, **rep)
    return opt, lr0, {**plain, **rep}, axes


def _as_scale(value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = math.nan
    if not (v > 0 and math.isfinite(v)):
        raise bad_input("init_scale", "a factor > 0 on the initial weights", value, "e.g. --init-scale 0.5")
    return v


def train(model: MLP, data, optimizer="adam", lr: float = 1e-3, *, steps: int | None = None,
          epochs: int | None = None, batch_size: int | None = None, record_every: int | None = None,
          eval_every: int | None = None, test_size: float = 0.2, seed: int = 0,
          init: Sequence | None = None, loss: str | None = None, standardize: bool = False,
          data_options: dict | None = None, progress: bool | None = None,
          optimizer_options: dict | None = None, population: int | None = None,
          split_seed: int | None = None, init_scale: float | Sequence[float] = 1.0,
          out: str | os.PathLike | None = None) -> Run:
    """Train ``model`` on ``data`` and record its weights as it goes.

    data: a dataset name (with ``data_options``), a :class:`Dataset`, an ``(X, y)`` pair of arrays
    (n, d) and (n,), or a ready :class:`Split`. optimizer: a name (gd, sgd, adam, nadam, rmsprop, or
    a registered rule) taken with ``lr`` and ``optimizer_options``, or any optax transformation.
    steps | epochs: how long (default 1000 steps); batch_size None means full batch; minibatches
    are reshuffled every epoch as Keras' fit does, a short last batch included. Frames are taken
    at steps 0, record_every, 2*record_every, ... < steps (frame 0 is the initial parameters), each
    with its train loss/accuracy; the test set is evaluated every ``eval_every`` steps (a multiple
    of record_every). ``run.params`` and ``run.metrics`` are those after the last step.
    init: the initial parameter list in Keras order (default: drawn by ``model.init`` from seed).
    population: train this many members at once in one vmapped program; member m draws its
    initial weights, data order and rule randomness from seed ``seed + m`` (so it equals
    ``train(..., seed=seed + m, split_seed=seed)``); all share the train/test split of
    ``split_seed`` (default ``seed``). Arrays then carry a leading member axis, and the member
    axis is sharded over every visible device when the count divides it.
    Grids (still one program): a list of learning rates ``lr=[a, b]``, of an option the optimizer
    keeps in its state (``optimizer_options={"eta": [1, 5]}``, ``temperature``, ``b1``, ...) or of
    ``init_scale`` repeats the population for every combination (the same seeds), first axis
    slowest: member ``g * population + m`` has grid point ``g`` and seed ``seed + m`` (see
    :mod:`weightflow.grid`). init_scale: a factor on every initial weight matrix (biases keep theirs).
    out: write the run directory there, streaming frames to disk chunk by chunk.
    Returns a :class:`Run`; its status is ``completed``, ``diverged`` (NaN/inf loss: training stops,
    frames up to there are kept) or ``interrupted`` (Ctrl-C between chunks). In a population a
    member that diverges does not stop the others; ``run.member_status`` says which did.
    """
    if not isinstance(model, MLP):
        raise bad_input("model", "a weightflow.MLP", type(model).__name__, "e.g. weightflow.MLP([2, 4, 1])")
    for name, value in (("seed", seed), ("split_seed", 0 if split_seed is None else split_seed)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise bad_input(name, "a whole number >= 0", value, f"e.g. --{name.replace('_', '-')} 0")
    seed = int(seed)
    members = 1 if population is None else _positive_int(population, "population", "--population 64")
    sp, dataset = _as_split(data, test_size, seed if split_seed is None else int(split_seed), standardize,
                            data_options)
    n_train, d = sp.X_train.shape
    if d != model.sizes[0]:
        raise bad_input("model", f"{d} inputs (the data has {d} features)", f"{model.sizes[0]} inputs",
                        f"start sizes with {d}, e.g. MLP([{d}, 4, {model.sizes[-1]}])")
    n_classes = int(max(sp.y_train.max(initial=0), sp.y_test.max(initial=0))) + 1
    if model.output == "sigmoid" and n_classes > 2:
        raise bad_input("output", f"softmax with {n_classes} output units for {n_classes} classes", "sigmoid",
                        f"use --output softmax (MLP([..., {n_classes}]))")
    if model.output == "softmax" and model.sizes[-1] != n_classes:
        raise bad_input("model", f"{n_classes} output units for {n_classes} classes", model.sizes[-1],
                        f"end sizes with {n_classes}")
    loss = losses.check_loss(loss, model.output)
    if loss == "bce" and model.sizes[-1] != 1:
        raise bad_input("loss", "1 output unit for bce", model.sizes[-1], "use --loss ce with softmax")
    sched = make_schedule(n_train, steps, epochs, batch_size, record_every, eval_every)
    opt, lr, options, axes = _grid_axes(optimizer, lr, dict(optimizer_options or {}), init_scale, population)
    stream_to = None if out is None else Run.prepare_directory(out)

    has_test = len(sp.y_test) > 0
    tdata = TrainData(jnp.asarray(sp.X_train.T), jnp.asarray(sp.y_train, jnp.int32),
                      jnp.asarray(sp.X_test.T), jnp.asarray(sp.y_test, jnp.int32))
    perm_len = 0 if sched.batch_size is None else sched.steps_per_epoch * sched.batch_size
    per, point_list = members, grid.points(axes)  # grid-point-major: all seeds of point 0, then point 1...
    seeds = [seed + m for m in range(per)] * len(point_list)
    members = len(seeds)
    member_values = {name: [pt[name] for pt in point_list for _ in range(per)] for name in axes}
    scale = member_values.pop("init_scale", [init_scale] * members)
    state = _initial_state(model, optimizer, lr, options, seeds, init, perm_len, member_values, scale)
    params0 = [np.asarray(p) for p in state.params]  # (members, *shape)
    n_devices = 1
    if population is None:
        state = jax.tree_util.tree_map(lambda a: a[0], state)
    else:
        state, n_devices = _shard_members(state, members)

    n_inner, do_eval = _block_plan(sched)
    n_frames = len(n_inner)
    n_head = 4 + len(opt.stat_names)
    width = n_head + model.n_params
    target = max(1, min(math.ceil(CHUNK_STEPS / sched.record_every), (1 << 24) // (members * width)))
    per_chunk = _chunk_blocks(n_frames, target, frames_per_iteration(sched))
    n_chunks = math.ceil(n_frames / per_chunk)
    pad = n_chunks * per_chunk - n_frames
    chunk = _compiled_chunk(model, loss, opt, lr, options, sched, n_train, has_test, pad > 0, population is not None)
    n_inner = np.concatenate([n_inner, np.zeros(pad, np.int32)])
    do_eval = np.concatenate([do_eval, np.zeros(pad, bool)])

    lead = (n_frames,) if population is None else (members, n_frames)
    frames = [_frame_store((*lead, *shape), stream_to, name, population is not None)
              for name, shape in zip(model.param_names, model.param_shapes)]
    hist = np.full((members, n_frames, n_head), np.nan, np.float32)
    end = np.full((members, n_head), np.nan)
    status, kept = "completed", 0
    bar = _progress(progress, sched.steps)
    t0 = time.perf_counter()
    try:
        for c in range(n_chunks):
            lo = c * per_chunk
            real = min(per_chunk, n_frames - lo)
            state, flat, at_end = chunk(
                state, (jnp.asarray(n_inner[lo:lo + per_chunk]), jnp.asarray(do_eval[lo:lo + per_chunk])), tdata)
            flat = np.asarray(flat)[..., :real, :]
            at_end = np.stack([np.asarray(a, np.float64) for a in at_end], axis=-1)
            if population is None:
                flat, at_end = flat[None], at_end[None]
            block_hist, pframes = unpack_blocks(flat, model.param_shapes, n_head)
            hist[:, lo:lo + real] = block_hist
            for f, p in zip(frames, pframes):
                block = p if population is not None else p[0]
                if isinstance(f, FrameFile) or population is None:
                    f[lo:lo + real] = block
                else:
                    f[:, lo:lo + real] = block
            bad = ~np.isfinite(block_hist[0, :, 0])
            if population is None and bad.any():  # keep the frames up to the first non-finite loss, and stop
                kept, status = lo + int(np.argmax(bad)) + 1, "diverged"
                break
            kept, end = lo + real, at_end
            if population is None and not np.isfinite(end[0, 0]):
                status = "diverged"
                break
            if bar is not None:
                bar.update(bar.task_ids[0], completed=int(n_inner[:kept].sum()),
                           info=f"loss {np.nanmedian(end[:, 0]):.4g}" + (" (median)" if population else ""))
    except KeyboardInterrupt:
        status = "interrupted"
    finally:
        if bar is not None:
            bar.stop()
    seconds = time.perf_counter() - t0

    if status != "diverged":  # completed, or interrupted after the last whole chunk
        final, done_steps = [np.asarray(p) for p in state.params], int(n_inner[:kept].sum())
    else:  # the last frame kept: parameters and metrics at the same step
        final = [np.array(_read(f, kept, False)[kept - 1]) for f in frames] if kept else [p[0] for p in params0]
        done_steps = sched.record_every * max(kept - 1, 0)
        end = hist[:, kept - 1].astype(np.float64) if kept else end
    record_steps = sched.record_every * np.arange(kept)
    columns = ["train_loss", "train_accuracy", "test_loss", "test_accuracy", *opt.stat_names]
    if population is None:
        history = {"step": record_steps, **{c: hist[0, :kept, i].astype(np.float64) for i, c in enumerate(columns)}}
        metrics = {c: float(end[0, i]) for i, c in enumerate(columns)}
        member_metrics, member_status, params0 = None, None, [p[0] for p in params0]
    else:
        history = {"step": record_steps, **{c: hist[:, :kept, i] for i, c in enumerate(columns)}}
        member_metrics = {c: end[:, i] for i, c in enumerate(columns)}
        metrics = {c: float(np.nanmedian(v)) if np.isfinite(v).any() else math.nan for c, v in member_metrics.items()}
        member_status = ["diverged" if not np.all(np.isfinite(hist[m, :kept, 0])) or not np.isfinite(end[m, 0])
                         else status for m in range(members)]
    metrics.update(steps=done_steps, seconds=round(seconds, 3))
    opt_cfg = {"name": opt.name, "lr": axes.get("lr", float(lr)) if opt.name != "custom" else None,
               "options": {**opt.options, **{k: v for k, v in axes.items() if k not in ("lr", "init_scale")}}}
    config = {
        "model": model.to_dict(), "loss": loss, "optimizer": opt_cfg, "steps": sched.steps,
        "epochs": epochs, "batch_size": sched.batch_size, "steps_per_epoch": sched.steps_per_epoch,
        "record_every": sched.record_every, "eval_every": sched.eval_every, "test_size": test_size,
        "seed": seed, "split_seed": seed if split_seed is None else int(split_seed),
        "population": population, "members": members, "devices": n_devices,
        "standardize": bool(standardize), "init": "given" if init is not None else str(model.init),
        "init_scale": axes.get("init_scale", init_scale), "grid": list(axes),
        "data": {"name": dataset.name if dataset else "split", "options": dict(dataset.options) if dataset else {},
                 "description": dataset.description if dataset else "",
                 "feature_names": list(dataset.feature_names) if dataset else [],
                 "class_names": list(dataset.class_names) if dataset else [],
                 "n_train": int(n_train), "n_test": int(len(sp.y_test))},
    }
    run = Run(model=model, params=final, frames=[_read(f, kept, population is not None) for f in frames],
              steps=record_steps, history=history, metrics=metrics, status=status, config=config,
              initial_params=params0, split=sp, member_metrics=member_metrics, member_status=member_status)
    if stream_to is not None:
        run.save(stream_to)
    return run
