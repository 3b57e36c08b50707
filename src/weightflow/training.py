"""``train``: resolve the config, plan the chunks, start the members, drive the compiled program, build
the Run.

The engine's parts, in the order data flows: :mod:`weightflow.resolve` (arguments checked once, a
``RunConfig``), :mod:`weightflow.schedule` (blocks and chunks), :mod:`weightflow.state` (the members'
initial state), :mod:`weightflow.program` (the compiled chunk) and :mod:`weightflow.record` (frames to
memory or disk). Between chunks the host updates the progress bar, stops on NaN/inf and honours Ctrl-C.
Arrays keep a leading member axis throughout; a single run drops it once, in ``_finish``.
"""

from __future__ import annotations

import functools
import math
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Callable, NamedTuple, Sequence

import jax
import numpy as np

from .model import MLP
from .program import compilations, compiled_chunk, metric_sample, rows_major, train_data, unpack_blocks
from . import record
from .config import RunConfig
from .data_order import EpochOrders
from .datasets import Split
from .errors import WeightflowError
from .progress import make_bar
from .record import FrameWriter, Staging
from .signals import Stopper, signals_deferred
from .resolve import Resolved, resolve
from .run import Run
from .schedule import ChunkPlan, plan_chunks, step_cost
from .state import first_member, initial_state, shard_members
from .validate import positive_int

METRICS = ("train_loss", "train_accuracy", "test_loss", "test_accuracy")
VAL_METRICS = ("val_loss", "val_accuracy")  # with a validation_split, evaluated with the test set
EXPLODED = 1e4  # a train loss this many times its start (and not below 1) counts as diverged, NaN or not


def train(model: MLP, data, optimizer="adam", lr: float = 1e-3, *, steps: int | None = None,
          epochs: int | None = None, batch_size: int | None = None, record_every: int | None = None,
          eval_every: int | None = None, test_size: float | str | None = None, seed: int = 0,
          init: Sequence | None = None, loss: str | None = None, standardize: bool = False,
          data_options: dict | None = None, progress: bool | None = None,
          optimizer_options: dict | None = None, population: int | None = None,
          split_seed: int | None = None, init_scale: float | Sequence[float] = 1.0,
          validation_split: float | None = None, l1: float = 0.0, l2: float = 0.0,
          out: str | os.PathLike | None = None, force: bool = False,
          resume: str | os.PathLike | None = None, diagnose: bool = True,
          on_chunk: "Callable[[ChunkReport], bool | None] | None" = None, chunk_steps: int | None = None) -> Run:
    """Train ``model`` on ``data`` and record its weights as it goes.

    data: a dataset name (with ``data_options``), a :class:`Dataset`, an ``(X, y)`` pair of arrays
    (n, d) and (n,), or a ready :class:`Split`. optimizer: a name (gd, sgd, adam, nadam, rmsprop, or
    a gradient-free rule) taken with ``lr`` and ``optimizer_options``, or any optax transformation.
    steps | epochs: how long (default 1000 steps); batch_size None means full batch; minibatches
    are reshuffled every epoch as Keras' fit does, a short last batch included. Frames are taken
    at steps 0, record_every, 2*record_every, ... < steps (frame 0 is the initial parameters), each
    with its train loss/accuracy (on the whole training set; with minibatches over more than 8192
    rows, on 8192 fixed evenly spaced ones: ``program.metric_sample``); the test set is evaluated
    every ``eval_every`` steps (a multiple of record_every). ``run.params`` and ``run.metrics`` are those after the last step.
    test_size: the held-out fraction (stratified; 0 trains on all), or ``"given"``: the dataset's own
    test set (mnist, mnist1d); default: the dataset's own when it has one, else 0.2.
    validation_split: as Keras' fit, hold out the last fraction of the training rows as a validation
    set, evaluated with the test set (history ``val_loss``, ``val_accuracy``; ``metrics`` too).
    l1, l2: penalties on the weight matrices (not the biases) added to the loss that is minimised,
    ``l1 * sum |W| + l2 * sum W^2`` as Keras' kernel_regularizer; the recorded losses stay the data's.
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
    out: write the run directory there, streaming frames to disk chunk by chunk into a staging folder
    beside it that is renamed into place at the end (so ``out`` is whole or absent); an earlier run
    there is replaced only with ``force``. While it trains, a checkpoint (the whole training state and
    the history so far) is written there at most once a second; ``resume=DIR`` continues an interrupted
    or killed run from it (every other argument is then taken from the checkpoint), and the result
    equals the uninterrupted run bit for bit.
    diagnose: while a single run trains, check it between chunks (``weightflow.diagnose``) and print a
    line on stderr as soon as a problem is certain (e.g. the step from which the test loss rises).
    on_chunk: called after every compiled chunk with a :class:`ChunkReport` (the frames it added,
    the history so far); returning True stops training there (status ``interrupted``). Blocking in
    it pauses training. chunk_steps: about how many steps one compiled call takes (default
    ``schedule.CHUNK_STEPS``); smaller means more frequent ``on_chunk`` calls (a live view).
    Returns a :class:`Run`; its status is ``completed``, ``diverged`` or ``interrupted`` (Ctrl-C or
    SIGTERM, between chunks, or ``on_chunk``). Diverged: the train loss became NaN/inf or grew past
    ``EXPLODED`` times its start; training stops, the frames before it are kept, the final parameters
    are the last kept frame's, and ``metrics["diverged_at_step"]`` names the frame's step. In a
    population a member that diverges does not stop the others; ``run.member_status`` says which did,
    ``metrics["diverged_members"]`` how many, and the status is ``diverged`` when all of them did.
    """
    if resume is not None:
        return _resume(Path(resume), progress, on_chunk)
    res = resolve(model, data, optimizer, lr, steps=steps, epochs=epochs, batch_size=batch_size,
                  record_every=record_every, eval_every=eval_every, test_size=test_size, seed=seed, init=init,
                  loss=loss, standardize=standardize, data_options=data_options,
                  optimizer_options=optimizer_options, population=population, split_seed=split_seed,
                  init_scale=init_scale, validation_split=validation_split, l1=l1, l2=l2)
    if chunk_steps is not None:
        chunk_steps = positive_int(chunk_steps, "chunk_steps", "chunk_steps=64")
    return _train(res, None if out is None else Staging(out, force), init, progress, diagnose=diagnose,
                  on_chunk=on_chunk, chunk_steps=chunk_steps)


def _train(res: Resolved, staging: Staging | None, init, progress, start: dict | None = None,
           diagnose: bool = True, on_chunk=None, chunk_steps: int | None = None) -> Run:
    """Plan, start (or restore ``start``, a checkpoint), drive and finish a resolved run, writing it
    into ``staging`` (then renamed into place) when given."""
    try:
        compiled_before = compilations()
        cfg = res.config
        cost = step_cost(cfg.model.sizes, cfg.schedule.batch_size or cfg.data.n_train) if cfg.members > 1 else 0.0
        plan = plan_chunks(cfg.schedule, cfg.members, _width(res), chunk_steps, cost)
        state, params0, devices = _start(res, init)
        names = res.config.model.param_names
        if start is not None:
            state, params0 = _restored(state, start["leaves"]), [start["initial"][n] for n in names]
        writer = FrameWriter(staging and staging.path, names, res.config.model.param_shapes, res.config.members,
                             plan.frames, res.config.population is not None, reopen=start is not None)
        if staging is not None and start is None:
            record.write_checkpoint_start(staging.path, res.config.to_dict(),
                                          record.split_arrays(res.split), names, params0)
        save = None if staging is None else functools.partial(_checkpoint, staging.path, chunk_steps=chunk_steps)
        watch = _monitor(res, plan, writer) if diagnose and res.config.population is None else None
        report = None if on_chunk is None else _reporter(res, plan, on_chunk)
        outcome = _drive(res, plan, state, writer, progress, start, save, watch, report)  # its Stopper handles SIGTERM too
        with signals_deferred():  # a second Ctrl-C now must not lose the run
            run = _finish(res._replace(config=res.config.replace(devices=devices)), plan, outcome, writer, params0)
            now = compilations()  # at most 2 programs (start, chunk); from a cache on a shape seen before
            run.metrics["compiled_programs"] = now.programs - compiled_before.programs
            run.metrics["programs_from_cache"] = now.from_cache - compiled_before.from_cache
            if staging is not None:
                run.write_into(staging.path)  # first: its data.npz links the checkpoint's
                _keep_checkpoint_if_resumable(staging.path, outcome, chunk_steps)
                staging.commit()
        return run
    finally:
        if staging is not None:
            staging.abort()  # a no-op after the commit


def _monitor(res: Resolved, plan: ChunkPlan, writer: FrameWriter):
    """``watch(hist, kept, echo)``: the diagnosis of the run so far, printing what became certain."""
    from .diagnose.online import Monitor, announce, engine_history

    monitor = Monitor(res.config.model, res.config.data.n_train, res.split, res.config)
    columns, every, broken = _columns(res), res.config.schedule.record_every, []
    started, spent = time.perf_counter(), [0.0]

    def watch(hist, kept: int, echo=None) -> None:
        # at most MONITOR_SHARE of the time trained so far: a long run with many frames is checked less often
        if broken or kept == 0 or spent[0] > MONITOR_SHARE * (time.perf_counter() - started):
            return
        t0 = time.perf_counter()
        try:
            found = monitor.update(engine_history(hist, kept, every, columns), writer.so_far(kept),
                                   plan.steps_done(kept))
        except Exception as e:  # a diagnosis must never cost a run: say so once and stop checking
            broken.append(e)
            print(f"diagnosis: stopped checking this run ({type(e).__name__}: {e})", file=sys.stderr)
            return
        finally:
            spent[0] += time.perf_counter() - t0
        announce(found, echo=echo)

    return watch


class ChunkReport(NamedTuple):
    """What a compiled chunk added, handed to ``train(on_chunk=...)``.

    first: index of the chunk's first frame; frames: per parameter its new frames (new, *shape), or
    (members, new, *shape) for a population; steps: optimizer steps taken so far, of total_steps;
    history: every column so far as in ``Run.history`` ((kept,) arrays, or (members, kept)).
    """

    first: int
    frames: list
    steps: int
    total_steps: int
    history: dict


def _reporter(res: Resolved, plan: ChunkPlan, on_chunk):
    """``report(lo, blocks, hist, kept) -> stop?``: calls ``on_chunk`` with a ChunkReport."""
    cfg, columns = res.config, _columns(res)
    single = cfg.population is None

    def report(lo: int, blocks: list, hist: np.ndarray, kept: int) -> bool:
        frames = [b[0] for b in blocks] if single else blocks
        history = _history(hist, kept, columns, cfg.schedule.record_every, single)
        return bool(on_chunk(ChunkReport(lo, frames, plan.steps_done(kept), cfg.schedule.steps, history)))

    return report


def _history(hist: np.ndarray, kept: int, columns: list, every: int, single: bool) -> dict:
    """``Run.history`` of the first ``kept`` frames of ``hist`` (members, frames, columns)."""
    history = {"step": every * np.arange(kept), **{c: hist[:, :kept, i] for i, c in enumerate(columns)}}
    if single:
        return {c: (v if c == "step" else v[0].astype(np.float64)) for c, v in history.items()}
    return history


def _checkpoint(directory: Path, state, kept: int, hist: np.ndarray, end: np.ndarray, seconds: float,
                chunk_steps: int | None = None) -> None:
    leaves = [np.asarray(x) for x in jax.tree_util.tree_leaves(state)]
    record.write_checkpoint(directory, leaves, kept, hist, end, seconds, chunk_steps)


def _keep_checkpoint_if_resumable(directory: Path, outcome: "Outcome", chunk_steps: int | None) -> None:
    """An interrupted run keeps its checkpoint (``--resume`` continues it); others drop it."""
    if outcome.status == "interrupted":
        _checkpoint(directory, outcome.state, outcome.kept, outcome.hist, outcome.end, outcome.seconds, chunk_steps)
    else:
        shutil.rmtree(directory / record.CHECKPOINT, ignore_errors=True)


def _restored(state, leaves: list[np.ndarray]):
    """``state`` with every leaf replaced by a checkpoint's, on the same devices and sharding."""
    ref, treedef = jax.tree_util.tree_flatten(state)
    if len(ref) != len(leaves) or any(np.shape(a) != np.shape(b) for a, b in zip(ref, leaves)):
        raise WeightflowError("checkpoint state.npz: expected the training state of this run, got arrays of other "
                              "shapes; the checkpoint is damaged or from another weightflow version (train again)")
    return treedef.unflatten([jax.device_put(np.asarray(x, a.dtype), a.sharding) for a, x in zip(ref, leaves)])


def _resume(dest: Path, progress, on_chunk=None) -> Run:
    """Continue the run meant for ``dest`` from its checkpoint: the result equals the uninterrupted run."""
    where = record.find_checkpoint(dest)
    if where is None:
        done = (dest / "run.json").is_file()
        raise WeightflowError(f"--resume {dest}: expected an interrupted or killed run with a checkpoint, got "
                              f"{'a run that ended' if done else 'none'}; "
                              f"{'it needs no resuming' if done else 'check the path (the --out of the run)'}")
    ck = record.read_checkpoint(where)
    cfg = RunConfig.from_dict(ck["config"], f"{where / record.CHECKPOINT / 'config.json'}")
    if cfg.optimizer.name == "custom":
        raise WeightflowError(f"--resume {dest}: expected a run with a named optimizer, got a custom optax one "
                              "(its settings are not stored); train it again")
    s = cfg.schedule
    res = resolve(cfg.model, Split(**ck["split"]), cfg.optimizer.name, cfg.optimizer.lr, steps=s.steps, epochs=None,
                  batch_size=s.batch_size, record_every=s.record_every, eval_every=s.eval_every,
                  test_size=cfg.data.test_size, seed=cfg.seed, init=None, loss=cfg.loss,
                  standardize=cfg.data.standardize, data_options=None, optimizer_options=cfg.optimizer.options,
                  population=cfg.population, split_seed=cfg.data.split_seed, init_scale=cfg.init_scale)
    if where == dest:  # an interrupted run: back into a staging folder until it is whole again
        moved = dest.parent / f".{dest.name}.partial-{os.getpid()}-resume"
        os.rename(dest, moved)
        where = moved
    return _train(res._replace(config=cfg), Staging.adopt(where, dest), None, progress, ck, on_chunk=on_chunk,
                  chunk_steps=ck["chunk_steps"] or None)


def _width(res: Resolved) -> int:
    """Floats per recorded block: the metrics, the optimizer's statistics and every parameter."""
    return len(_columns(res)) + res.config.model.n_params


def _columns(res: Resolved) -> list[str]:
    """The history columns of a block, in the program's order."""
    return [*METRICS, *(VAL_METRICS if res.split.n_val else ()), *res.opt.stat_names]


def _start(res: Resolved, init):
    """The members' initial state, sharded over the devices (squeezed for a single run); the initial
    parameters (members, *shape); the number of devices."""
    cfg = res.config
    state = initial_state(cfg.model, res.rule, res.lr, res.options, res.members.seeds, init,
                          res.members.values, res.members.init_scale)
    params0 = [np.asarray(p) for p in state.params]
    if cfg.population is None:
        return first_member(state), params0, 1
    state, devices = shard_members(state, cfg.members)
    return state, params0, devices


class Outcome(NamedTuple):
    """What driving the chunks left: the last state, every block's metrics (members, frames, head), the
    metrics of the last state (members, head), frames kept, status, seconds."""

    state: object
    hist: np.ndarray
    end: np.ndarray
    kept: int
    status: str
    seconds: float
    diverged_at: int | None = None  # the step whose loss diverged (single runs)


MONITOR_SHARE = 0.05  # the diagnosis between chunks may take at most this share of the training time
CHECKPOINT_SECONDS = 1.0  # at most one checkpoint a second (and one after the first chunk)


def _drive(res: Resolved, plan: ChunkPlan, state, writer: FrameWriter, progress, start: dict | None = None,
           save=None, watch=None, report=None) -> Outcome:
    """See ``_chunks``; the first Ctrl-C or SIGTERM asks it to stop after the chunk being computed.
    ``watch(hist, kept, echo)`` is called after every chunk (the diagnosis), then
    ``report(lo, blocks, hist, kept)``, which may ask to stop."""
    with Stopper() as stopper:
        return _chunks(res, plan, state, writer, progress, start, save, stopper, watch, report)


# one loop on purpose: its state, frames kept and end metrics are committed together (see below)
def _chunks(res: Resolved, plan: ChunkPlan, state, writer: FrameWriter, progress, start, save,
            stopper: Stopper, watch, report=None) -> Outcome:
    """Call the compiled chunk over the plan, handing each chunk's frames to ``writer``. A single run
    stops at its first non-finite loss (``diverged``); Ctrl-C stops between chunks (``interrupted``).
    ``start``: a checkpoint to continue from (its frames kept, history, end metrics, seconds);
    ``save(state, kept, hist, end, seconds)`` writes a checkpoint."""
    cfg, single = res.config, res.config.population is None
    tdata = train_data(res.split, rows_major(cfg.model, cfg.schedule, cfg.data.n_train),
                       metric_sample(cfg.schedule, cfg.data.n_train))
    chunk = compiled_chunk(cfg.model, cfg.loss, res.opt, res.lr, res.options, cfg.schedule, cfg.data.n_train,
                           cfg.data.n_test > 0, plan.padded, not single, res.split.n_val > 0,
                           (cfg.l1, cfg.l2))
    orders = EpochOrders(np.asarray(state.key), cfg.schedule, cfg.data.n_train,
                         plan.per_chunk * cfg.schedule.record_every)
    n_head = len(_columns(res))
    hist = np.full((cfg.members, plan.frames, n_head), np.nan, np.float32)
    end = np.full((cfg.members, n_head), np.nan)
    status, kept, at, bar, t0 = "completed", 0, None, make_bar(progress, cfg.schedule.steps), time.perf_counter()
    before = 0.0  # seconds trained before a resume
    if start is not None:
        kept, before = start["kept"], start["seconds"]
        hist[:, :kept], end = start["hist"], start["end"]
    saved = -math.inf
    try:
        for c in range(kept // plan.per_chunk, plan.n_chunks):
            if stopper.requested:
                status = "interrupted"
                break
            lo, real, *xs = plan.chunk(c)  # numpy: converting them on the device would compile programs
            order = orders.chunk(int(xs[2][0]), int(xs[0].sum()))
            new_state, flat, at_end = stopper.wait(lambda: jax.block_until_ready(chunk(state, xs, tdata, order)))
            flat = np.asarray(flat)[..., :real, :]
            at_end = np.stack([np.asarray(a, np.float64) for a in at_end], axis=-1)
            if single:  # the one place a single run's missing member axis is added
                flat, at_end = flat[None], at_end[None]
            block_hist, blocks = unpack_blocks(flat, cfg.model.param_shapes, n_head)
            hist[:, lo:lo + real] = block_hist
            writer.write(lo, blocks)
            bad = _diverged(block_hist[0, :, 0], hist[0, 0, 0])
            if watch is not None:
                watch(hist, lo + real, None if bar is None else bar.echo)
            if single and bad.any():  # keep the frames before the first diverged one (at least frame 0), and stop
                first = lo + int(np.argmax(bad))
                kept, status, at = max(first, 1), "diverged", first * cfg.schedule.record_every
                break
            # one statement, no call: a Ctrl-C lands before or after it, so the state, the frames kept and
            # the end metrics always belong to the same chunk
            state, kept, end = new_state, lo + real, at_end
            if single and _diverged(end[0, :1], hist[0, 0, 0]).any():
                status, at = "diverged", plan.steps_done(kept)  # after the last frame: its frames are kept
                break
            if save is not None and time.perf_counter() - saved >= CHECKPOINT_SECONDS and c < plan.n_chunks - 1:
                save(state, kept, hist, end, before + time.perf_counter() - t0)
                saved = time.perf_counter()
            _advance(bar, plan.steps_done(kept), end, single)
            if report is not None and report(lo, blocks, hist, kept) and c < plan.n_chunks - 1:
                status = "interrupted"
                break
    except KeyboardInterrupt:  # a second Ctrl-C: at once, keeping the chunks before this one
        status = "interrupted"
    finally:
        if bar is not None:
            bar.stop()
    return Outcome(state, hist, end, kept, status, before + time.perf_counter() - t0, at)


def _diverged(loss: np.ndarray, start: float) -> np.ndarray:
    """Which losses count as diverged: NaN/inf, or past EXPLODED times the run's first loss (and past 1)."""
    with np.errstate(invalid="ignore"):
        return ~np.isfinite(loss) | (loss > EXPLODED * max(float(start), 1e-4)) & (loss > 1.0)


def _advance(bar, steps: int, end: np.ndarray, single: bool) -> None:
    if bar is not None:
        bar.update(steps, f"loss {np.nanmedian(end[:, 0]):.4g}" + ("" if single else " (median)"))


def _finish(res: Resolved, plan: ChunkPlan, out: Outcome, writer: FrameWriter, params0) -> Run:
    """The Run: final parameters and metrics (for a diverged run, those of the last frame kept),
    history, member statuses; a single run's member axis dropped."""
    cfg, kept, single = res.config, out.kept, res.config.population is None
    frames = writer.finish(kept)
    end = out.end
    if out.status != "diverged":  # completed, or interrupted after the last whole chunk
        final, done = [np.asarray(p) for p in out.state.params], plan.steps_done(kept)
    else:  # the last frame kept: parameters and metrics at the same step
        final = [np.array(f[kept - 1]) for f in frames] if kept else [p[0] for p in params0]
        done = cfg.schedule.record_every * max(kept - 1, 0)
        end = out.hist[:, kept - 1].astype(np.float64) if kept else end
    columns = _columns(res)
    history = _history(out.hist, kept, columns, cfg.schedule.record_every, single)
    steps = history["step"]
    member_metrics = {c: end[:, i] for i, c in enumerate(columns)}
    if single:
        metrics = {c: float(v[0]) for c, v in member_metrics.items()}
        member_metrics, member_status, params0 = None, None, [p[0] for p in params0]
        status = out.status
        if out.diverged_at is not None:
            metrics["diverged_at_step"] = out.diverged_at
    else:
        metrics = {c: float(np.nanmedian(v)) if np.isfinite(v).any() else math.nan for c, v in member_metrics.items()}
        member_status = ["diverged" if _member_diverged(out.hist[m, :kept, 0], end[m, 0]) else out.status
                         for m in range(cfg.members)]
        metrics["diverged_members"] = member_status.count("diverged")
        status = "diverged" if metrics["diverged_members"] == cfg.members else out.status
    metrics.update(steps=done, seconds=round(out.seconds, 3))
    return Run(model=cfg.model, params=final, frames=frames, steps=steps, history=history, metrics=metrics,
               status=status, config=cfg, initial_params=params0, split=res.split,
               member_metrics=member_metrics, member_status=member_status)


def _member_diverged(losses: np.ndarray, end: float) -> bool:
    if not len(losses):  # stopped before its first chunk: nothing diverged
        return False
    start = losses[0]
    return bool(_diverged(losses, start).any() or _diverged(np.asarray([end]), start).any())
