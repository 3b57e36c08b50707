"""Checks on the loss and accuracy curves: diverging, oscillating, stuck, too slow, overfitting,
generalisation gap. Each takes a Context and returns a list of Findings (empty when healthy)."""

from __future__ import annotations

import math

import numpy as np

from .context import Context
from .finding import Finding
from .stats import finite, mad, mann_kendall, running_median, window

TREND_Z = 3.0          # Mann-Kendall |z| for a trend: noise gives it with p < 0.3%
FLAT_RANGE = 0.01      # stuck: the train loss moved less than 1% of its start over the run
SLOW_FACTOR = 2.0      # too slow: reaching the target at today's rate needs 2x the planned steps
STEADY = 0.3           # ... and the last quarter still falls at >= 0.3x the first quarter's rate (no plateau)
GOOD_ACCURACY = 0.95
OSC_SHARE = 0.25      # oscillating: share of the loss's movement that is upward (clean runs: <= 0.02)
OSC_CLIMB = 0.02      # ... the rises add up to 2% of the initial loss
OSC_BIG = 0.05        # ... and the largest tenth of them exceed 5% of the loss level
OVERFIT_RISE = 0.25    # overfitting is a warning when the test loss rose by > 25% of its start (else info)


def _train(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    return finite(ctx.steps, ctx.curve("train_loss"))


def check_divergence(ctx: Context) -> list[Finding]:
    """NaN/inf loss (step of the first one), or a train loss that turned and rose far above its best."""
    loss = ctx.curve("train_loss")
    bad = ~np.isfinite(loss)
    if bad.any() or ctx.status == "diverged":
        i = int(np.argmax(bad)) if bad.any() else ctx.n_frames - 1
        at = ctx.diverged_at if ctx.diverged_at is not None else (int(ctx.steps[i]) if ctx.n_frames else 0)
        s, v = _train(ctx)
        return [Finding("diverging", "error", int(at),
                        {"first_nonfinite_step": int(at),
                         "last_finite_loss": float(v[-1]) if len(v) else math.nan,
                         "initial_loss": float(v[0]) if len(v) else math.nan, "lr": _lr(ctx)},
                        f"the train loss diverged (NaN/inf, or 10^4 x its start) at step {int(at)} "
                        f"(last finite value {float(v[-1]) if len(v) else math.nan:.4g})",
                        "lower the learning rate (try 10x smaller), or clip gradients")]
    s, v = _train(ctx)
    if len(v) < 10:
        return []
    sm = running_median(v)
    above = np.nonzero(sm > 1.5 * abs(v[0]))[0]
    if len(above) and np.all(sm[above[0]:] > 1.5 * abs(v[0])):
        at = int(s[above[0]])
        return [Finding("diverging", "error", at,
                        {"from_step": at, "initial_loss": float(v[0]), "end_loss": float(sm[-1]),
                         "max_loss": float(v.max()), "lr": _lr(ctx)},
                        f"from step {at} the train loss stays above 1.5x its start ({v[0]:.4g} -> {sm[-1]:.4g}, "
                        f"max {v.max():.4g})", "lower the learning rate (try 10x smaller)")]
    m = int(np.argmin(sm))
    rise, z = float(sm[-1] - sm[m]), mann_kendall(v[m:])
    if len(v) - m >= 6 and z > TREND_Z and rise > 0.1 * abs(v[0]) and sm[-1] > 1.05 * sm[m]:
        return [Finding("diverging", "error", int(s[m]),
                        {"turn_step": int(s[m]), "best_loss": float(sm[m]), "end_loss": float(sm[-1]),
                         "initial_loss": float(v[0]), "trend_z": z, "lr": _lr(ctx)},
                        f"the train loss rises from step {int(s[m])}: {sm[m]:.4g} -> {sm[-1]:.4g} "
                        f"(Mann-Kendall z {z:.1f})", "lower the learning rate (try 3-10x smaller)")]
    return []


def _lr(ctx: Context):
    return ctx.config.optimizer.lr


def check_oscillation(ctx: Context) -> list[Finding]:
    """A train loss that keeps climbing back: after the first 20% of frames, >= 25% of its total
    movement is upward, the rises add up to >= 2% of the initial loss, and the largest tenth of
    them exceed 5% of the loss's level (a smooth or merely noisy descent has almost no upward
    movement). The step is the first rise of > 5% of that level, anywhere in the curve."""
    s, v = _train(ctx)
    if len(v) < 20 or not np.all(np.isfinite(ctx.curve("train_loss"))):
        return []
    k = len(v) // 5
    part, ps = v[k:], s[k:]
    d = np.diff(part)
    ups = d[d > 0]
    level = max(float(np.median(part)), 1e-12)
    share = float(ups.sum() / max(np.abs(d).sum(), 1e-300))
    climbed = float(ups.sum() / max(abs(v[0]), 1e-12))
    big = float(np.percentile(ups, 90)) / level if len(ups) else 0.0
    if share < OSC_SHARE or climbed < OSC_CLIMB or big < OSC_BIG:
        return []
    first = np.nonzero(np.diff(v) > OSC_BIG * level)[0]  # over the whole curve: from which step
    at = int(s[first[0]]) if len(first) else int(ps[0])
    rises = len(first)
    return [Finding("oscillating", "warning", at,
                    {"from_step": at, "upward_share": share, "climbed_over_initial_loss": climbed,
                     "large_rise_over_level": big, "large_rises": rises, "loss_level": level,
                     "initial_loss": float(v[0]), "lr": _lr(ctx), "optimizer": ctx.config.optimizer.name,
                     "momentum": _momentum(ctx)},
                    f"from step {at} the train loss oscillates: {share:.0%} of its movement is upward, "
                    f"{rises} rises of > {OSC_BIG:.0%} of its level ({level:.3g}), adding up to "
                    f"{climbed:.2g}x the initial loss",
                    "lower the learning rate (try 3x smaller), or the momentum (e.g. 0.9)")]


def _momentum(ctx: Context):
    return dict(ctx.config.optimizer.options).get("momentum")


def check_stuck(ctx: Context) -> list[Finding]:
    """The train loss hardly moved (< 1% of its start) over the run (online: over >= 25% of it)."""
    s, v = _train(ctx)
    if len(v) < 5 or (not ctx.final and ctx.progress < 0.25) or not np.all(np.isfinite(ctx.curve("train_loss"))):
        return []
    span = float(v.max() - v.min())
    if span < FLAT_RANGE * max(abs(v[0]), 1e-12) and ctx.poor(GOOD_ACCURACY):
        return [Finding("stuck", "error", int(s[0]),
                        {"loss_range": span, "initial_loss": float(v[0]), "steps": int(s[-1]),
                         "train_accuracy": ctx.train_accuracy, "lr": _lr(ctx)},
                        f"the train loss stayed at {v[0]:.4g} (range {span:.2g}) for {int(s[-1])} steps",
                        "dead or saturated units, or a symmetric start: inspect the initialisation "
                        "(see the unit findings); with healthy units the learning rate is too small")]
    return []


def check_too_slow(ctx: Context) -> list[Finding]:
    """Still falling steadily (the last quarter at >= 0.3x the first quarter's rate: no plateau), but at
    the second half's rate reaching 10% of the initial loss needs >= 2x the planned steps; or still
    falling after having lost under 10% of its start in all the steps."""
    s, v = _train(ctx)
    if len(v) < 10 or not ctx.poor(GOOD_ACCURACY) or (not ctx.final and ctx.progress < 0.3):
        return []
    if not np.all(np.isfinite(ctx.curve("train_loss"))):
        return []
    h = len(v) // 2
    z = mann_kendall(v[h:])
    sm = running_median(v)
    rate = float(sm[h] - sm[-1]) / max(float(s[-1] - s[h]), 1.0)
    target = 0.1 * abs(v[0])
    if z > -TREND_Z or rate <= 0 or sm[-1] <= target or float(v.max() - v.min()) < FLAT_RANGE * abs(v[0]):
        return []
    ts, tv = finite(ctx.steps, ctx.curve("test_loss"))
    if len(tv) >= 8 and mann_kendall(tv[len(tv) // 2:]) > 0:
        return []  # the test loss is not falling with it: faster training would not help
    need = (sm[-1] - target) / rate
    planned = max(ctx.total_steps, ctx.done, 1)
    q = max(len(v) // 4, 1)
    first = float(sm[0] - sm[q]) / max(float(s[q] - s[0]), 1.0)
    last = float(sm[-q - 1] - sm[-1]) / max(float(s[-1] - s[-q - 1]), 1.0)
    barely = float(v[0] - sm[-1]) < 0.1 * abs(v[0])  # still falling, but by under 10% of its start in all
    if not barely and (need < SLOW_FACTOR * planned or last < STEADY * first):  # a plateau is not a step-size problem
        return []
    return [Finding("too_slow", "warning", int(s[h]),
                    {"loss_per_step": rate, "loss_now": float(sm[-1]), "target_loss": target,
                     "steps_needed": float(need), "planned_steps": planned, "trend_z": z, "lr": _lr(ctx),
                     "rate_first_quarter": first, "rate_last_quarter": last,
                     "batch_size": ctx.config.schedule.batch_size},
                    f"the train loss falls by {rate:.2g} per step (from step {int(s[h])}); reaching {target:.3g} "
                    f"would take about {need:.3g} more steps, {need / planned:.0f}x the {planned} planned",
                    "raise the learning rate (try 10x), use smaller batches, or a smaller model")]


def check_overfitting(ctx: Context) -> list[Finding]:
    """The test loss turned and rose (running median, Mann-Kendall z > 3 after the turn, a rise above
    the noise) while the train loss kept falling. The step is the turn of the smoothed test loss."""
    s, t = finite(ctx.steps, ctx.curve("test_loss"))
    if len(t) < 12:
        return []
    sm = running_median(t, window(len(t)))
    m = int(np.argmin(sm))
    after = t[m:]
    if len(after) < 6 or (s[-1] - s[m]) < 0.05 * max(ctx.total_steps, 1):
        return []
    tail = float(np.median(t[-max(3, window(len(t))):]))
    rise, noise, z = tail - float(sm[m]), mad(t - sm), mann_kendall(after)
    tr_s, tr = _train(ctx)
    if len(tr) < 2:
        return []
    tr_turn, tr_end = float(np.interp(s[m], tr_s, running_median(tr))), float(running_median(tr)[-1])
    if z > TREND_Z and rise > max(0.1 * abs(sm[m]), 3 * noise, 1e-3) and tr_end < 0.95 * tr_turn:
        sev = "warning" if rise > OVERFIT_RISE * abs(t[0]) else "info"
        return [Finding("overfitting", sev, int(s[m]),
                        {"turn_step": int(s[m]), "test_loss_best": float(sm[m]), "test_loss_end": tail,
                         "train_loss_at_turn": tr_turn, "train_loss_end": tr_end, "trend_z": z,
                         "noise": noise, "rise_over_initial_test_loss": rise / max(abs(t[0]), 1e-12)},
                        f"from step {int(s[m])} the test loss rises ({sm[m]:.4g} -> {tail:.4g}, Mann-Kendall "
                        f"z {z:.1f}) while the train loss falls ({tr_turn:.4g} -> {tr_end:.4g})",
                        f"stop near step {int(s[m])} (early stopping), use a smaller model, more data, "
                        "or regularisation (weight decay, dropout)")]
    return []


def check_generalisation_gap(ctx: Context) -> list[Finding]:
    """At the end, train accuracy above test accuracy by > 0.1 and by > 2 standard errors."""
    if not ctx.final or not ctx.classifier or ctx.split is None:
        return []
    n = len(ctx.split.y_test)
    tr, te = ctx.train_accuracy, ctx.last_finite("test_accuracy")
    if n < 20 or not (math.isfinite(tr) and math.isfinite(te)):
        return []
    gap = tr - te
    se = math.sqrt(max(te * (1 - te), 1.0 / n) / n)
    if gap > 0.1 and gap > 2 * se:
        return [Finding("generalisation_gap", "warning", ctx.done,
                        {"train_accuracy": tr, "test_accuracy": te, "gap": gap, "standard_error": se, "n_test": n},
                        f"train accuracy {tr:.3f} vs test {te:.3f}: a gap of {gap:.3f} ({gap / se:.1f} standard errors)",
                        "more data (or augmentation), a smaller model, or regularisation")]
    return []


CHECKS = (check_divergence, check_oscillation, check_stuck, check_too_slow, check_overfitting,
          check_generalisation_gap)
