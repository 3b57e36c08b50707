"""The checks during training: the engine calls ``Monitor.update`` between chunks and warns about
the findings that became certain since the last call.

A check only concludes what the curve so far proves: stuck needs a quarter of the run, too slow a
third, chance accuracy half (see each check); divergence, oscillation, overfitting (a turn confirmed
by a Mann-Kendall test), dead or saturated units and exploding gradients need no wait. Unit and
gradient checks read only the first and the newest frame, so a call costs a few milliseconds
whatever the run's length.
"""

from __future__ import annotations

import numpy as np

from . import curves, data, inputs, order
from . import units as unit_checks
from .context import Context, one_blas_thread
from .finding import Finding


class Monitor:
    """Incremental diagnosis of one run while it trains.

    model: the MLP; n_train: training samples; split: the data (enables the data and unit checks);
    config: the run's config dict, if known; total_steps: the planned steps; unit_every: run the
    unit checks every this many calls (1 = every call); include_info: also return information
    findings (ignored inputs, inputs not standardised while harmless), not only alarms.
    """

    def __init__(self, model, n_train: int, split, config, total_steps: int | None = None, unit_every: int = 1,
                 include_info: bool = False):
        self.model, self.n_train, self.split = model, int(n_train), split
        self.config = config  # the run's RunConfig
        self.total_steps = int(total_steps or config.schedule.steps)
        self.unit_every = max(1, int(unit_every))
        self.include_info = include_info
        self.reported: dict[tuple, Finding] = {}
        self.calls = 0

    def _context(self, history: dict, frames, step: int) -> Context:
        steps = np.asarray(history["step"])
        return Context(self.model, self.config, self.split, steps, history, frames,
                       self.total_steps or int(step), final=False)

    def update(self, history_so_far: dict, frames_so_far: list | None, step: int) -> list[Finding]:
        """history_so_far: col -> (F,) up to now (``step`` column included); frames_so_far: per
        parameter (F, *shape) or None; step: steps done. Returns only the new certain findings."""
        with one_blas_thread(bool(self.model.activations)):
            return self._update(history_so_far, frames_so_far, step)

    def _update(self, history_so_far: dict, frames_so_far: list | None, step: int) -> list[Finding]:
        self.calls += 1
        if not len(history_so_far.get("step", ())):
            return []
        ctx = self._context(history_so_far, frames_so_far, step)
        found = [f for check in curves.CHECKS for f in check(ctx)] + data.check_chance(ctx)
        if self.calls == 1:
            found += data.check_imbalance(ctx)
        if frames_so_far is not None and self.split is not None and (self.calls - 1) % self.unit_every == 0:
            found += self._units(ctx)
        return self._new(order([f for f in found if f.alarm or self.include_info]))

    def _units(self, ctx: Context) -> list[Finding]:
        """Unit checks on the first and the newest frame only (cheap)."""
        data_ = ctx.train_data(500)
        if data_ is None:
            return []
        frames = np.unique([0, ctx.n_frames - 1])
        frames = np.asarray([f for f in frames if all(np.all(np.isfinite(p[f])) for p in ctx.frames)], int)
        if not len(frames):
            return []
        found = inputs.check_ignored(ctx)
        if self.model.activations:
            nets = unit_checks.hidden_nets(ctx, frames, data_[0])
            found += (unit_checks.check_dead(ctx, frames, nets) + unit_checks.check_saturated(ctx, frames, nets)
                      + unit_checks.check_symmetric(ctx, frames))
        sat_start = any(f.name == "saturated_units" and f.evidence["layer"] == 1 and f.evidence["share_at_start"] >= 0.5
                        for f in found)
        found += unit_checks.check_gradients(ctx, frames, *data_)  # the start and the newest frame
        return found + data.check_scale(ctx, sat_start)

    def _new(self, found: list[Finding]) -> list[Finding]:
        fresh = []
        for f in found:
            key = (f.name, f.evidence.get("layer"))
            if key not in self.reported:
                self.reported[key] = f
                fresh.append(f)
        return fresh


def replay(run, checkpoints: int = 10) -> list[tuple[int, Finding]]:
    """Feed a finished single run to a Monitor at ``checkpoints`` evenly spaced prefixes, as the
    engine would between chunks: ``[(step when reported, finding), ...]``."""
    mon = Monitor(run.model, len(run.split.y_train) if run.split is not None else 0, run.split, run.config)
    F, out = len(run.steps), []
    for k in range(1, checkpoints + 1):
        end = max(1, round(F * k / checkpoints))
        hist = {c: np.asarray(v)[:end] for c, v in run.history.items()}
        frames = [p[:end] for p in run.frames]
        for f in mon.update(hist, frames, int(run.steps[end - 1])):
            out.append((int(run.steps[end - 1]), f))
    return out


def engine_history(hist: np.ndarray, kept: int, record_every: int, columns: list[str]) -> dict:
    """The engine's history buffer (members, frames, columns) of a single run as Monitor input:
    ``{"step": (kept,), column: (kept,), ...}``."""
    return {"step": record_every * np.arange(kept), **{c: hist[0, :kept, i].astype(np.float64)
                                                         for i, c in enumerate(columns)}}


def announce(findings: list[Finding], echo=None) -> None:
    """Print each finding as one line ``diagnosis: NAME from step S: MESSAGE`` (stderr by default)."""
    import sys

    for f in findings:
        at = "" if f.step is None else f" from step {f.step}"
        line = f"diagnosis: {f.severity} {f.name}{at}: {f.message} ({f.advice})"
        (echo or (lambda s: print(s, file=sys.stderr)))(line)
