"""The compiled program of a run: one chunk of blocks as a pure jax function, jitted (and vmapped for a
population) once per static configuration. The only module that combines ``jit``, ``lax.scan`` and
``vmap``.

A block records one frame (every parameter, with its train and, when due, test loss and accuracy) and
then takes its optimizer steps; a chunk is a ``lax.scan`` over a fixed number of blocks (see
:mod:`weightflow.schedule`).
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from . import losses
from .config import Schedule
from .datasets.dataset import aligned_copy, aligned_rows
from .model import MLP
from .optim import Optimizer
from .optim.base import MEMBERS  # the vmapped member axis' name, for collectives
from .schedule import SMALL_BLOCK, frames_per_iteration


class TrainData(NamedTuple):
    """Training data: ``xt`` (d, n) float feature-major (or (n, d) for a ``rows_major`` program),
    ``y`` (n,) int32; test and validation may have n = 0."""

    xt: jax.Array
    y: jax.Array
    xt_test: jax.Array
    y_test: jax.Array
    xt_val: jax.Array | None = None
    y_val: jax.Array | None = None
    xt_sample: jax.Array | None = None  # the training rows a frame's train metrics use (see metric_sample)
    y_sample: jax.Array | None = None


class TrainState(NamedTuple):
    """What one run carries from step to step (a population is the same with a leading axis)."""

    params: list
    opt_state: Any
    key: jax.Array  # data-order key (the host draws each epoch's order from it: see data_order)
    step: jax.Array  # optimizer steps taken


# build_chunk is one long closure on purpose: its inner functions share the static configuration
# (model, loss, rule, schedule) and jax traces them together as one program.
def build_chunk(model: MLP, loss: str, opt: Optimizer, sched: Schedule, n_train: int, has_test: bool,
                padded: bool = True, has_val: bool = False, penalty: tuple[float, float] = (0.0, 0.0),
                rows_major: bool = False):
    """The compiled program: ``chunk(state, (n_inner, do_eval, first), data, orders) -> (state, per_block,
    at_end)``.

    ``n_inner`` (blocks,) steps to take in each block (0 for padding, only when ``padded``),
    ``do_eval`` (blocks,) whether to evaluate the test set, ``first`` (blocks,) the step each block
    starts at (the members' one clock: under a population's vmap a decision on it stays a branch,
    where one on each member's own step count would become a select); ``orders`` (epochs, n_pad)
    int32 the sample orders of the epochs the chunk's steps touch, from the epoch of ``first[0]`` on
    (``data_order.EpochOrders``; (0, 0) for full batches); blocks is a multiple of
    ``frames_per_iteration(sched)``. Each block records the parameters it starts from with their
    train loss/accuracy (and test loss/accuracy, NaN when not evaluated), then takes its steps.
    With full batches the first step's own forward pass gives those train metrics, so recording
    costs no extra pass over the data. ``per_block`` (blocks, width) holds one flat float vector per
    block, ``[train_loss, train_acc, test_loss, test_acc, (val_loss, val_acc,) *opt stats, *every
    parameter raveled]`` (one write per block instead of one per array; ``unpack_blocks`` splits it);
    the validation set, when ``has_val``, is evaluated with the test set.
    ``at_end``: those metrics (and optimizer stats) of the state the chunk ends with.
    ``penalty`` (l1, l2): ``l1 * sum |W| + l2 * sum W^2`` over the weight matrices is added to the
    loss the rule minimises; the recorded losses are the data's alone.
    ``rows_major``: the data is sample-major (n, d) and the forward pass computed so (see ``rows_major``).
    """
    forward = model.forward_rows if rows_major else model.forward_t
    sampled = metric_sample(sched, n_train) is not None
    output = model.output
    batch = sched.batch_size
    carried = batch is None and opt.carried_value is not None  # see Optimizer.carried_value
    k = sched.record_every
    group = frames_per_iteration(sched)
    short = padded or sched.steps % k != 0  # some block takes fewer than k steps

    weights = [i for i, name in enumerate(model.param_names) if name.startswith("W")]

    l1, l2 = penalty

    def regularizer(params):
        """``l1 * sum |W| + l2 * sum W^2`` over the weight matrices; a zero rate adds nothing to trace."""
        total = 0.0
        for i in weights:
            if l1:
                total = total + l1 * jnp.sum(jnp.abs(params[i]))
            if l2:
                total = total + l2 * jnp.sum(params[i] * params[i])
        return total

    def terms_of(params, xt, y):
        return losses.metric_terms(forward(params, xt), y, loss, output)

    def objective(params, xt, y):
        """(loss, accuracy) of ``params`` on inputs ``xt`` ((d, n), or (n, d) rows-major) and (n,) labels ``y``."""
        sums = losses.sum_terms(terms_of(params, xt, y), loss)
        return sums[0], sums[1]

    # A carried cost is unknown (NaN) only before a run's first step: the chunk evaluates the cost of
    # the parameters it starts from once, and step 0 takes it from here. (A per-step lax.cond on the
    # cost being known becomes a select under a population's vmap, which evaluates both branches.)
    start_cost = []
    epoch_orders = []  # (orders, the epoch of orders[0]) of the chunk being traced

    def minibatch(data: TrainData, t):
        """Step ``t``'s inputs, labels and weights (0 for the padding that fills an epoch's last batch)."""
        orders, e0 = epoch_orders
        j = t % sched.steps_per_epoch
        idx = jax.lax.dynamic_slice(orders, (t // sched.steps_per_epoch - e0, j * batch), (1, batch))[0]
        at = (idx,) if rows_major else (slice(None), idx)
        # the orders hold row numbers only: no bounds check (take's default fills out-of-range rows)
        xt, y = data.xt.at[at].get(mode="promise_in_bounds"), data.y.at[idx].get(mode="promise_in_bounds")
        return xt, y, ((j * batch + jnp.arange(batch)) < n_train).astype(data.xt.dtype)

    def step(state: TrainState, data: TrainData, t):
        """One update, the run's step ``t`` (unbatched); returns the new state and, with full batches,
        the metric terms (2, n) of the old parameters (None for minibatches)."""
        xt, y, w = (data.xt, data.y, None) if batch is None else minibatch(data, t)

        def batch_loss(p):
            if w is None:
                terms = terms_of(p, xt, y)
                return losses.reduce(terms[0], loss) + regularizer(p), terms
            return losses.loss_value(forward(p, xt), y, loss, output, w) + regularizer(p), None

        def value_fn(p):
            return batch_loss(p)[0]

        if opt.uses_gradients:
            (value, terms), grads = jax.value_and_grad(batch_loss, has_aux=True)(state.params)
        else:
            if carried:  # the rule knows the cost of its parameters (see first_cost): no forward pass here
                known = jnp.asarray(opt.carried_value(state.opt_state), data.xt.dtype)
                value, terms = jnp.where(state.step == 0, start_cost[0], known), None
            else:
                value, terms = batch_loss(state.params)
            grads = jax.tree_util.tree_map(jnp.zeros_like, state.params)
        updates, opt_state = opt.tx.update(grads, state.opt_state, state.params, value=value, value_fn=value_fn)
        params = jax.tree_util.tree_map(lambda p, u: p + u.astype(p.dtype), state.params, updates)
        return TrainState(params, opt_state, state.key, state.step + 1), terms

    def test_metrics(params, data, do_eval):
        """(test loss, test accuracy[, val loss, val accuracy]), NaN when not evaluated."""
        nan = jnp.full((), jnp.nan, data.xt.dtype)
        sets = [(data.xt_test, data.y_test)] if has_test else []
        sets += [(data.xt_val, data.y_val)] if has_val else []

        def evaluate():
            return tuple(v for xt, y in sets for v in objective(params, xt, y))

        out = jax.lax.cond(do_eval, evaluate, lambda: (nan,) * 2 * len(sets)) if sets else ()
        out = list(out) if has_test else [nan, nan, *out]
        return tuple(out)

    def metric_rows(data):
        """The rows a frame's train loss and accuracy are measured on: all, or the fixed sample."""
        return (data.xt_sample, data.y_sample) if sampled else (data.xt, data.y)

    def keep_if(cond, new, old):
        return jax.tree_util.tree_map(lambda a, b: jnp.where(cond, a, b), new, old)

    def steps_from(state: TrainState, start: int, n_inner, data: TrainData, first):
        """Steps ``start .. n_inner - 1`` of a block that begins at step ``first``. Short blocks
        (k <= SMALL_BLOCK) loop over a static range, unrolled, masking the steps a short block skips:
        the fixed cost of a loop iteration is a visible share of a microsecond step."""
        if start >= k:
            return state
        if k > SMALL_BLOCK:
            return jax.lax.fori_loop(start, n_inner, lambda i, s: step(s, data, first + i)[0], state)
        if short:
            return jax.lax.fori_loop(start, k, lambda i, s: keep_if(i < n_inner, step(s, data, first + i)[0], s),
                                     state, unroll=True)
        return jax.lax.fori_loop(start, k, lambda i, s: step(s, data, first + i)[0], state, unroll=True)

    def blocks(carry: TrainState, xs, data: TrainData):
        """``group`` consecutive blocks: (group,) n_inner, do_eval and first -> (group, width) records."""
        state, terms, starts = carry, [], []
        for g in range(group):
            n_inner, do_eval, first = xs[0][g], xs[1][g], xs[2][g]
            starts.append((state, test_metrics(state.params, data, do_eval)))
            if batch is None and not carried:
                stepped, t = step(state, data, first)
                state = keep_if(n_inner > 0, stepped, state) if padded else stepped
                state = steps_from(state, 1, n_inner, data, first)
            else:
                t = terms_of(state.params, *metric_rows(data))
                state = steps_from(state, 0, n_inner, data, first)
            terms.append(t)
        sums = losses.sum_terms(jnp.concatenate(terms), loss)  # train loss and accuracy of every block at once
        rows, dtype = [], sums.dtype
        for g, (start, held_out) in enumerate(starts):
            head = jnp.stack([sums[2 * g], sums[2 * g + 1], *(v.astype(dtype) for v in held_out),
                              *stats(start.opt_state)])
            rows.append(jnp.concatenate([head, *(p.ravel().astype(dtype) for p in start.params)]))
        return state, jnp.stack(rows)

    def stats(opt_state):
        return [jnp.asarray(v, jnp.float32).reshape(()) for v in opt.stats(opt_state)] if opt.stats else []

    def chunk(state, xs, data, orders):
        xs = tuple(x.reshape(-1, group) for x in xs)
        if batch is not None:
            epoch_orders[:] = [orders, xs[2][0, 0] // sched.steps_per_epoch]
        if carried:
            start_cost[:] = [losses.reduce(terms_of(state.params, data.xt, data.y)[0], loss)]  # as value_fn
        state, per_block = jax.lax.scan(lambda c, x: blocks(c, x, data), state, xs)
        at_end = (*objective(state.params, *metric_rows(data)), *test_metrics(state.params, data, True),
                  *stats(state.opt_state))
        return state, per_block.reshape(-1, per_block.shape[-1]), at_end

    return chunk


@functools.cache
def compiler_options(quick: bool = False, extras: bool = True) -> dict | None:
    """XLA options for the training programs. On a CPU with AVX-512, ask for 512-bit vectors: XLA:CPU
    vectorises for 256 bits by default, and exp / logistic over a population's hidden units run at
    half the cost per element with 512 (measured 0.30 -> 0.17 ns on this project's machine).
    ``quick`` (see ``quick_compile``): XLA:CPU's classic loop emitters instead of its fusion emitters,
    which compile a small program in about 60% of the time and run it about 10 ns slower per element;
    otherwise the scheduler that lets independent kernels of a step run side by side (measured in one
    process: the MNIST-shaped epoch 3-8% faster; digits and 2-32-32-1 on 400 points from -2.5% to
    +2.7%, within this machine's noise; about 10% more compile time).
    ``extras=False``: without those two, for a jaxlib that does not know their flags."""
    if jax.default_backend() != "cpu":
        return None
    options = {}
    if extras:
        options = {"xla_cpu_use_fusion_emitters": False} if quick else {"xla_cpu_enable_concurrency_optimized_scheduler": True}
    try:
        with open("/proc/cpuinfo") as fh:
            if any(line.startswith("flags") and " avx512f" in line for line in fh):
                options["xla_cpu_prefer_vector_width"] = 512
    except OSError:
        pass
    return options or None


QUICK_WORK = 1e7  # elements one member's run touches, below which compiling fast saves more than it costs


def quick_compile(model: MLP, sched: Schedule, n_train: int) -> bool:
    """Whether a run is short enough to compile for compile time rather than run time: its work per
    member (steps x (rows per step x units + parameters)) below QUICK_WORK. Measured whole (compile
    and run, bench/RESULTS.md): quick wins by 0.16-0.56 s up to 8.6M per member, single runs and
    64-member populations alike; plain wins by 0.07-0.09 s from 17M. Per member, so a population
    compiles as its members would alone."""
    rows = sched.batch_size or n_train
    return sched.steps * (rows * sum(model.sizes[1:]) + model.n_params) < QUICK_WORK


CHUNK_CACHE_SIZE = 8  # compiled chunk programs kept in memory (least recently used dropped first)
_CHUNKS: "OrderedDict[tuple, tuple]" = OrderedDict()  # key -> (compiled, the custom optax object or None)


def rows_major(model: MLP, sched: Schedule, n_train: int) -> bool:
    """Whether a run's program computes sample-major (data (n, d), ``x @ W``) rather than
    feature-major: for wide inputs (images) over many rows per step, where XLA:CPU runs it faster
    (an MNIST-shaped epoch 1.67x); feature-major stays for everything narrower (the notebooks' nets,
    digits, MNIST-1D), where it is as fast or faster. bench/RESULTS.md has the crossover."""
    return (sched.batch_size or n_train) >= ROWS_MAJOR_ROWS and model.sizes[0] >= ROWS_MAJOR_INPUTS


ROWS_MAJOR_ROWS, ROWS_MAJOR_INPUTS = 64, 256  # measured: 784 inputs win 1.67x; 64 or 40 inputs lose


def compiled_chunk(model, loss, opt: Optimizer, lr, options, sched, n_train, has_test, padded, population,
                   has_val: bool = False, penalty: tuple[float, float] = (0.0, 0.0)):
    """``build_chunk`` jitted, and for a population vmapped over the members' states (data and the
    block plan are shared). Reused across runs with the same static configuration: jax caches
    compiled code per jitted function, and a new closure would compile again. A custom optax object
    hides its hyperparameters in closures, so it is reused only when the same object is passed again
    (the cache keeps it alive, so its id cannot be taken by another). At most CHUNK_CACHE_SIZE
    programs are kept: a long process that trains many shapes does not grow without bound. On disk
    the programs are kept whole by ``program_store`` (not for a custom optax object)."""
    frozen = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in (options or {}).items()))
    custom = opt.tx if opt.name == "custom" else None
    key = (model, loss, opt.name, id(custom), None if opt.lr_in_state else float(lr), frozen, sched,
           frames_per_iteration(sched), n_train, has_test, padded, population, has_val,
           tuple(map(float, penalty)), rows_major(model, sched, n_train))
    hit = _CHUNKS.get(key)
    if hit is not None and hit[1] is custom:
        _CHUNKS.move_to_end(key)
        return hit[0]
    chunk = build_chunk(model, loss, opt, sched, n_train, has_test, padded, has_val, penalty, key[-1])
    # axis_name lets a rule that moves the members together (particles, e.g. SVGD) see all of them
    fn = jax.vmap(chunk, in_axes=(0, None, None, 0), axis_name=MEMBERS) if population else chunk
    quick = quick_compile(model, sched, n_train)
    # on disk without the id (a custom optax object's closures have no stable description: not kept)
    stored = None if custom is not None else ("chunk", key[:3] + key[4:])
    compiled = jit_program(fn, quick, stored)
    if population:
        compiled = _keeping_member_sharding(fn, compiled, quick, stored)
    _CHUNKS[key] = (compiled, custom)
    while len(_CHUNKS) > CHUNK_CACHE_SIZE:
        _CHUNKS.popitem(last=False)
    return compiled


def jit_program(fn, quick: bool, store_key=None, **kwargs):
    """``fn`` jitted with ``compiler_options(quick)`` (the options without its extra flags should this
    jaxlib not know them), compiled once per input signature and, with a ``store_key`` (a repr-stable
    description of everything ``fn`` closes over), kept whole on disk: see ``program_store``."""
    from .program_store import StoredProgram

    options = [compiler_options(quick), compiler_options(quick, extras=False)]
    return StoredProgram(fn, store_key, options, **kwargs)


def _keeping_member_sharding(fn, compiled, quick: bool, stored):
    """``compiled`` (``fn`` jitted) for a population whose state may be spread over the devices by member: its outputs
    (all with a leading member axis) keep the input state's sharding. Left free, XLA may give a leaf
    it passes through another sharding, and the next chunk's call compiles the program again."""
    pinned = {}

    def call(state, xs, data, orders):
        sharding = getattr(jax.tree_util.tree_leaves(state)[0], "sharding", None)
        if not isinstance(sharding, jax.sharding.NamedSharding) or len(sharding.device_set) == 1:
            return compiled(state, xs, data, orders)
        if sharding not in pinned:
            pinned[sharding] = jit_program(fn, quick, stored and (*stored, "pinned"), out_shardings=sharding)
        return pinned[sharding](state, xs, data, orders)

    return call


METRIC_ROWS = 8192


def metric_sample(sched: Schedule, n_train: int) -> np.ndarray | None:
    """The training rows a frame's train loss and accuracy are measured on, when not all: with
    minibatches over more than METRIC_ROWS rows, METRIC_ROWS evenly spaced ones (the same in every
    frame; the standard error of an accuracy is then under 0.6%). Measuring all 60000 rows of MNIST
    costs a third of an epoch's arithmetic per frame. Full-batch runs, and the test and validation
    sets, are always measured whole."""
    if sched.batch_size is None or n_train <= METRIC_ROWS:
        return None
    return np.linspace(0, n_train - 1, METRIC_ROWS).round().astype(np.int64)


def train_data(split, rows_major: bool = False, sample: np.ndarray | None = None) -> TrainData:
    """A split's arrays on the device, feature-major (sample-major for a ``rows_major`` program), put
    there directly (``jnp.asarray`` of a transposed or int64 array would compile a small conversion
    program per shape); ``sample``: the training rows of ``metric_sample``."""
    def put(a, dtype):  # (labels are 1-D: .T leaves them as they are)
        a = a if rows_major else a.T
        if not (a.flags.c_contiguous and a.dtype == dtype):  # a copy: into aligned memory, which jax takes as it is
            a = aligned_copy(a, dtype)
        return jax.device_put(a)

    val = (put(split.X_val, np.float32), put(split.y_val, np.int32)) if split.n_val else (None, None)
    rows = ()
    if sample is not None:  # gathered into aligned memory, which put passes on without another copy
        rows = (put(aligned_rows(split.X_train, sample), np.float32), put(split.y_train[sample], np.int32))
    return TrainData(put(split.X_train, np.float32), put(split.y_train, np.int32),
                     put(split.X_test, np.float32), put(split.y_test, np.int32), *val, *rows)


class Compilations(NamedTuple):
    """Programs jax compiled or loaded from a persistent cache (jax's, or ``program_store``'s) in this
    process (``from_cache`` of them loaded), and the seconds jax's compiles took."""

    programs: int
    from_cache: int
    seconds: float


_COUNTS = {"programs": 0, "from_cache": 0, "seconds": 0.0}


def _on_duration(event: str, duration: float, **_) -> None:
    if event == "/jax/core/compile/backend_compile_duration":
        _COUNTS["programs"] += 1
        _COUNTS["seconds"] += duration


def _on_event(event: str, **_) -> None:
    if event == "/jax/compilation_cache/cache_hits":
        _COUNTS["from_cache"] += 1


jax.monitoring.register_event_duration_secs_listener(_on_duration)
jax.monitoring.register_event_listener(_on_event)


def count_loaded() -> None:
    """Count a program loaded whole from ``program_store`` (no compile event fires for it)."""
    _COUNTS["programs"] += 1
    _COUNTS["from_cache"] += 1


def compilations() -> Compilations:
    """Counts since this module was imported; the difference of two calls counts a run's programs."""
    return Compilations(_COUNTS["programs"], _COUNTS["from_cache"], round(_COUNTS["seconds"], 6))


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
