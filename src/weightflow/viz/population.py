"""Pictures of a population run (``train(..., population=P)``) and of a sweep: the statistics of many
seeds instead of one lucky run. Numpy and matplotlib only, drawn from the stored run like every picture.

* ``PopulationCurves``: the median of a history column over members with quantile bands, per grid point
  (learning rate, optimizer option, init scale: ``run.grid_points()``).
* ``WeightDistribution``: the distribution over members of each weight (or of a parameter's entries
  pooled) at every recorded frame, as a heat map of histograms with the median on top.
* ``BoundaryOverlay``: the decision boundaries of many members on one plane, with the data.
* ``SuccessRate``: the fraction of members that reach a threshold, against width, learning rate or
  any grid axis, with binomial standard errors (from a sweep's ``summary.csv`` or from a grid run).
"""

from __future__ import annotations

import csv
import math
import re
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..grid import label as grid_label
from ..errors import WeightflowError, bad_input
from ..validate import whole_in
from ._common import (CLASS_COLORS, Display, frame_index, given_ax, new_axes, new_axes_row, nice_step,
                      parse_int_list, pyplot, run_title, step_axis)

# One colour per grid point (and per line in the success picture); not the class colours' first pair.
# Ordered like the points; none is class 0's blue or class 1's orange, so lines never read as classes.
GROUP_COLORS = ("#6a3d9a", "#1b9e77", "#d62728", "#8c564b", "#e7298a", "#17becf", "#66a61e", "#7f7f7f",
                "#bcbd22", "#2c3e50")


# ------------------------------------------------------------------------------------------ helpers
def require_population(run, picture: str):
    """``run`` itself when it is a population run, else a one-line error."""
    if getattr(run, "population", None) is None:
        raise WeightflowError(f"{picture}: expected a population run (train with population=P), got a single run; "
                              "train with --population P, or draw the single-run pictures")
    return run


def grid_groups(run) -> list[tuple[dict, slice]]:
    """``[(grid point, members slice), ...]`` (``run.grid_points()``): one entry per point of the
    run's grid (e.g. ``{"lr": 0.1, "eta": 5.0}``), one ``({}, all members)`` without a grid."""
    return run.grid_points()


def _run_lr(run) -> float:
    """The run's learning rate when it is one number (no lr axis), else NaN."""
    lr = run.config.optimizer.lr
    return float(lr) if isinstance(lr, (int, float)) and not isinstance(lr, bool) else math.nan


def lr_groups(run) -> list[tuple[float, slice]]:
    """``[(lr, members slice), ...]`` per grid point (kept for older callers; use ``grid_groups``):
    the point's learning rate, or the run's single rate when lr is not an axis of the grid."""
    return [(float(pt["lr"]) if "lr" in pt else _run_lr(run), part) for pt, part in grid_groups(run)]


def fmt_lr(lr) -> str:
    return f"lr {lr:g}" if isinstance(lr, (int, float)) and math.isfinite(lr) else "lr ?"


def group_label(run, point: dict) -> str:
    """A grid point's label (``grid.label``: ``lr 0.1, eta 5``); without a grid the run's learning rate."""
    return grid_label(point) if point else fmt_lr(_run_lr(run))


def _axis_phrase(name: str, n: int) -> str:
    if name == "lr":
        return f"{n} learning rate{'s' if n != 1 else ''}"
    return f"{n} {name.replace('_', ' ')} value{'s' if n != 1 else ''}"


def population_title(run) -> str:
    """``<run title>\n64 members, lr 0.05`` without a grid, ``... 2 learning rates x 3 eta values x 16 members``
    with one."""
    groups = grid_groups(run)
    per = groups[0][1].stop - groups[0][1].start
    axes = run.config.axes()
    if axes:
        sizes = " x ".join(_axis_phrase(a, len(v)) for a, v in axes.items())
        return f"{run_title(run)}\n{sizes} x {per} members"
    return f"{run_title(run)}\n{per} members, {group_label(run, groups[0][0])}"


def selection_title(run, groups) -> str:
    """The title for the members of ``groups`` (all of them: ``population_title``)."""
    if len(groups) == len(grid_groups(run)):
        return population_title(run)
    n = sum(s.stop - s.start for _, s in groups)
    return f"{run_title(run)}\n{n} members, {groups_label(run, groups)}"


def groups_label(run, groups) -> str:
    """One group's label; for several, the axis values they share and how many points they are."""
    if len(groups) == 1:
        return group_label(run, groups[0][0])
    first = groups[0][0]
    common = {a: v for a, v in first.items() if all(pt.get(a) == v for pt, _ in groups)}
    return (f"{grid_label(common)} ({len(groups)} grid points)" if common else f"{len(groups)} grid points")


def _close(a, b) -> bool:
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-6)
    except (TypeError, ValueError):
        return False


def pick_groups(run, select, picture: str, arg: str = "lr"):
    """The (grid point, slice) groups chosen by a picture's ``lr=`` argument: None = all; an index
    into ``run.grid_points()`` (a whole number is read as an index first); a learning rate (every
    point with that rate: a value of the lr axis, or the run's single rate); a dict of axis values
    (every point that has them, e.g. ``{"eta": 5}``)."""
    groups = grid_groups(run)
    if select is None:
        return groups
    axes = run.config.axes()
    chosen = []
    if isinstance(select, dict):
        if select and set(select) <= set(axes):
            chosen = [g for g in groups if all(_close(g[0][a], v) for a, v in select.items())]
    elif isinstance(select, (int, float, np.integer, np.floating)) and not isinstance(select, (bool, np.bool_)):
        if isinstance(select, (int, np.integer)) and 0 <= select < len(groups):
            chosen = [groups[int(select)]]
        else:
            chosen = [g for g in groups if _close(g[0].get("lr", _run_lr(run)), select)]
    if chosen:
        return chosen
    n = len(groups)
    shown = "; ".join(f"{k}: {group_label(run, pt)}" for k, (pt, _) in enumerate(groups[:6]))
    shown += "; ..." if n > 6 else ""
    dict_too = " or a dict of axis values" if len(axes) > 1 else ""
    if "lr" in axes:
        expected = ("a learning rate of the run (" + ", ".join(f"{v:g}" for v in axes["lr"]) + ")"
                    + (", " if dict_too else " or ") + f"a grid point index from 0 to {n - 1} ({shown}){dict_too}")
    elif axes:
        expected = f"a grid point index from 0 to {n - 1} ({shown}) or a dict of axis values"
    else:
        expected = f"the run's learning rate ({_run_lr(run):g}) or 0 (the run has no grid)"
    example = f"e.g. {arg}=0 for {group_label(run, groups[0][0])}"
    if len(axes) > 1:
        a = next(a for a in axes if a != "lr")
        example += f", {arg}={{{a!r}: {axes[a][0]:g}}} for every point with that {a.replace('_', ' ')}"
    raise bad_input(f"{picture} {arg}", expected, select, example + ", or leave it out for all members")


@contextmanager
def _quiet_nan():
    """All-NaN slices (members that diverged, test columns never evaluated) are not warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


# ------------------------------------------------------------------------------- PopulationCurves
class PopulationCurves(Display):
    """The median over members of history columns against step, with quantile bands; one colour
    per grid point (``run.grid_points()``). Train columns solid with their bands, the matching test column
    (when the run evaluated one) dashed with fainter bands.

    Build with ``PopulationCurves.from_run(run, column="train_loss", quantiles=(0.1, 0.25, 0.75, 0.9))``.
    Attributes: ``steps`` (frames,), ``panels`` (list of train column names, one panel each),
    ``columns`` (column -> list over ``groups`` of dicts with ``median`` (frames,), ``quantiles``
    (q -> (frames,)), ``members``), ``groups`` (list of (grid point dict, members slice), as
    ``run.grid_points()``; ``[({}, all)]`` without a grid), ``labels`` (one per group), ``quantiles``
    (sorted), ``log``; after ``plot``: ``lines_`` ((column, group index) -> the median line).
    """

    def __init__(self, *, steps, panels, columns, groups, labels, quantiles, log=False, loss_name="", title=""):
        """steps (frames,); panels: train column names; columns: column -> per group a dict of
        ``median`` (frames,), ``quantiles`` (q -> (frames,)), ``members``; groups: (grid point,
        members slice) pairs; labels: one per group; quantiles: sorted, low/high pairs."""
        self.steps, self.panels, self.columns, self.groups, self.labels = steps, panels, columns, groups, labels
        self.quantiles, self.log, self.loss_name, self.title = quantiles, log, loss_name, title
        self.lines_ = {}

    @classmethod
    def from_run(cls, run, column="train_loss", *, quantiles=(0.1, 0.25, 0.75, 0.9), log=False, test=True, lr=None):
        """column: a history column, a list of them (one panel each), ``"loss"``/``"accuracy"`` (the
        train column) or ``"all"`` (loss and accuracy). test: also draw the matching ``test_`` column
        where the run evaluated it. quantiles: pairs from the outside in, each pair a band (an even
        number of values in [0, 1]). lr: the grid points drawn: an index into ``run.grid_points()``,
        a learning rate, or a dict of axis values (``{"eta": 5}``); default all.
        """
        require_population(run, "population curves")
        hist = run.history
        if column == "all":
            column = [c for c in ("train_loss", "train_accuracy") if c in hist and np.isfinite(hist[c]).any()]
        cols = [column] if isinstance(column, str) else list(column)
        cols = [f"train_{c}" if c in ("loss", "accuracy") else c for c in cols]
        avail = [c for c in hist if c != "step"]
        bad = [c for c in cols if c not in avail]
        if bad or not cols:
            raise bad_input("population curves column", "history columns among " + ", ".join(avail), column,
                            "e.g. column='train_loss' or column='all'")
        try:
            qs = sorted(float(q) for q in quantiles)
            ok = len(qs) % 2 == 0 and all(0 <= q <= 1 for q in qs)
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise bad_input("population curves quantiles", "an even number of values in [0, 1] (low/high pairs)",
                            quantiles, "e.g. quantiles=(0.1, 0.25, 0.75, 0.9)")
        groups = pick_groups(run, lr, "population curves")
        wanted = []
        for c in cols:
            wanted.append(c)
            t = "test_" + c[len("train_"):] if c.startswith("train_") else None
            if test and t in hist and np.isfinite(np.asarray(hist[t], float)).any() and t not in cols:
                wanted.append(t)
        series = {}
        with _quiet_nan():
            for c in wanted:
                h = np.asarray(hist[c], np.float64)
                per = []
                for _, part in groups:
                    v = h[part]
                    per.append({"median": np.nanmedian(v, axis=0),
                                "quantiles": {q: np.nanquantile(v, q, axis=0) for q in qs},
                                "members": v.shape[0]})
                series[c] = per
        return cls(steps=np.asarray(hist["step"] if "step" in hist else run.steps), panels=cols, columns=series,
                   groups=groups, labels=[group_label(run, pt) for pt, _ in groups], quantiles=qs, log=bool(log),
                   title=selection_title(run, groups),
                   loss_name=run.config.loss)

    def _bands(self):
        qs = self.quantiles
        return [(qs[k], qs[-1 - k]) for k in range(len(qs) // 2)]

    def plot(self, ax=None, *, axes=None):
        """One panel per train column (``axes=[...]`` to draw into given ones; ``ax`` for one panel)."""
        n = len(self.panels)
        if ax is not None:
            fig, axs = given_ax(ax, n, "population curves", "column", "pass column='train_loss' or no ax")
        else:
            fig, axs = new_axes_row(axes, n, (6.2 * n + 1.8, 4.4))
        self.lines_ = {}
        bands = self._bands()
        many = len(self.groups) > 1
        for a, col in zip(axs, self.panels):
            t = "test_" + col[len("train_"):] if col.startswith("train_") else None
            for c in (col, t):
                if c not in self.columns:
                    continue
                test = c != col
                for g, (name, s) in enumerate(zip(self.labels, self.columns[c])):
                    color = GROUP_COLORS[g % len(GROUP_COLORS)]
                    ok = np.isfinite(s["median"])
                    x = self.steps[ok]
                    for b, (lo, hi) in enumerate(bands):
                        alpha = (0.12 + 0.1 * b) * (0.5 if test else 1.0)
                        a.fill_between(x, s["quantiles"][lo][ok], s["quantiles"][hi][ok], color=color, alpha=alpha,
                                       lw=0)
                    who = f"{name}, " if many else ""
                    (line,) = a.plot(x, s["median"][ok], color=color, lw=1.8, ls="--" if test else "-",
                                     marker="o" if ok.sum() < 3 else None, ms=4,
                                     label=f"{who}{'test' if test else 'train'} median of {s['members']}")
                    self.lines_[(c, g)] = line
            step_axis(a)
            a.grid(alpha=0.3)
            what = col[len("train_"):] if col.startswith("train_") else col
            if "loss" in what:
                a.set_ylabel(f"{self.loss_name} loss")
                if self.log:
                    a.set_yscale("log")
            else:
                a.set_ylabel(what.replace("_", " "))
                if "accuracy" in what:
                    a.set_ylim(top=1.02)
            a.set_title(what.replace("_", " "), fontsize=10)
            handles, labels = a.get_legend_handles_labels()
            from matplotlib.patches import Patch

            for b, (lo, hi) in enumerate(bands):
                handles.append(Patch(color="0.4", alpha=0.12 + 0.1 * b, lw=0))
                labels.append(f"{lo * 100:g}–{hi * 100:g}% of members")
            a.legend(handles, labels, frameon=False, fontsize=8, loc="best")
        fig.suptitle(self.title, fontsize=10, color="0.3")
        if ax is None:
            fig.tight_layout()
        self.figure_, self.axes_ = fig, axs
        return self


# ----------------------------------------------------------------------------- WeightDistribution
class WeightDistribution(Display):
    """How each weight is spread over the members at every recorded frame (TensorBoard's
    distributions, but every frame): per panel a heat map with x = step, y = weight value (``bins``
    bins; default about twice the square root of the values per frame, 12 to 60), colour = the fraction of values in the bin, and the median (and 10/90 % quantiles) on top.

    Build with ``WeightDistribution.from_run(run, param="W1", entries="pooled")``. Attributes:
    ``steps``, ``edges`` (panel -> bin edges (bins + 1,)), ``counts`` (panel -> (frames, bins) ints:
    how many values fall in each bin at each frame; each row sums to members x entries, values
    outside ``value_range`` counted in the edge bins), ``median``, ``q10``, ``q90`` (panel ->
    (frames,)), ``labels`` (panel titles), ``members``, ``entries`` (panel -> entries pooled).
    """

    def __init__(self, *, steps, labels, edges, counts, median, q10, q90, entries, members, title=""):
        """steps (frames,); labels: panel titles; per panel label: edges (bins + 1,), counts
        (frames, bins) ints, median, q10, q90 (frames,), entries (the entry indices pooled);
        members: how many members are pooled."""
        self.steps, self.labels, self.edges, self.counts = steps, labels, edges, counts
        self.median, self.q10, self.q90 = median, q10, q90
        self.entries, self.members, self.title = entries, members, title

    @classmethod
    def from_run(cls, run, param="W1", *, entries="pooled", bins=None, value_range=None, lr=None):
        """param: a parameter name, a list of them, or ``"W"`` (every weight matrix). entries:
        ``"pooled"`` (all entries of a parameter in one panel), ``"each"`` (one panel per entry) or
        entry indices (flattened, C order) drawn one panel each. value_range: ``(lo, hi)`` of the
        value axis; default the 0.1 to 99.9 % range of the values (the rest counted in the edge bins).
        lr: the grid points pooled (index, learning rate or dict of axis values, as in
        ``PopulationCurves``); default all members.
        """
        require_population(run, "weight distribution")
        params = _distribution_params(run, param)
        bins = _check_bins(bins)
        groups = pick_groups(run, lr, "weight distribution")
        idx = np.concatenate([np.arange(p.start, p.stop) for _, p in groups])
        panels = _distribution_panels(run, params, idx, entries)
        out = {k: {} for k in ("edges", "counts", "median", "q10", "q90", "entries")}
        labels = []
        with _quiet_nan():
            for label, v, ent in panels:
                F = v.shape[1]
                flat = np.moveaxis(v, 1, 0).reshape(F, -1)  # (frames, members * k)
                lo, hi = _value_range(flat, value_range)
                nb = bins if bins is not None else int(np.clip(2 * np.sqrt(flat.shape[1]), 12, 60))
                labels.append(label)
                out["edges"][label], out["counts"][label] = _histograms(flat, lo, hi, nb)
                out["entries"][label] = ent
                out["median"][label] = np.nanmedian(flat, axis=1)
                out["q10"][label], out["q90"][label] = np.nanquantile(flat, [0.1, 0.9], axis=1)
        return cls(steps=np.asarray(run.steps), labels=labels, members=len(idx), title=selection_title(run, groups),
                   **out)

    def plot(self, ax=None, *, cmap="magma_r", ncols=None):
        """One heat map per panel (``ax`` only with one panel); colour = fraction of the values per frame."""
        n = len(self.labels)
        if ax is not None:
            fig, axs = given_ax(ax, n, "weight distribution", "panel", "choose one entry or no ax")
        else:
            ncols = ncols or min(n, 3)
            nrows = -(-n // ncols)
            fig, grid = pyplot().subplots(nrows, ncols, figsize=(5.4 * ncols + 0.8, 3.6 * nrows + 0.9),
                                          squeeze=False, sharex=True)
            axs = list(grid.ravel())
            for a in axs[n:]:
                a.set_visible(False)
            axs = axs[:n]
        self.images_, self.lines_ = {}, {}
        x = self.steps
        for a, label in zip(axs, self.labels):
            counts = self.counts[label]
            frac = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
            edges = self.edges[label]
            centers = (edges[:-1] + edges[1:]) / 2
            masked = np.ma.masked_equal(frac.T, 0)
            im = a.pcolormesh(x, centers, masked, cmap=cmap, shading="nearest", rasterized=True,
                              vmin=0, vmax=max(float(frac.max()), 1e-9))
            self.images_[label] = im
            (self.lines_[label],) = a.plot(x, self.median[label], color="#17becf", lw=1.6, label="median")
            a.plot(x, self.q10[label], color="#17becf", lw=0.9, ls=":", label="10% and 90%")
            a.plot(x, self.q90[label], color="#17becf", lw=0.9, ls=":")
            a.axhline(0, color="0.6", lw=0.6, zorder=0)
            a.set_ylim(edges[0], edges[-1])
            a.set_title(label, fontsize=10, loc="left")
            a.set_ylabel("weight value")
            step_axis(a)
            cb = fig.colorbar(im, ax=a, pad=0.02, fraction=0.05)
            cb.set_label("fraction of values", fontsize=8)
            cb.ax.tick_params(labelsize=7)
        axs[0].legend(loc="upper left", frameon=True, framealpha=0.8, fontsize=8)
        if ax is None:
            fig.suptitle(self.title, fontsize=10, color="0.3")
            fig.tight_layout()
        self.figure_, self.axes_ = fig, axs
        return self


def _distribution_params(run, param) -> list[str]:
    """The parameter names ``param`` picks (``"W"``: every weight matrix), checked."""
    names = run.model.param_names
    params = [n for n in names if n.startswith("W")] if param == "W" else \
        ([param] if isinstance(param, str) else list(param))
    bad = [p for p in params if p not in names]
    if bad or not params:
        raise bad_input("weight distribution param", "names from " + ", ".join(names) + " or W", param,
                        "e.g. param='W1'")
    return params


def _check_bins(bins):
    """``bins`` as an int from 2 to 1000, or None (automatic)."""
    if bins is None:
        return None
    return whole_in(bins, 2, 1000, "weight distribution bins", "a whole number from 2 to 1000", "e.g. bins=60")


def _distribution_panels(run, params, idx, entries):
    """``[(label, values (members, frames, k), entry indices), ...]``: per parameter one pooled panel,
    or one panel per chosen entry (``entries``: "pooled", "each" or indices), members ``idx``."""
    from .trajectories import entry_names

    names = run.model.param_names
    panels = []
    for p in params:
        f = np.asarray(run.frames[names.index(p)])
        v = f[idx].reshape(len(idx), f.shape[1], -1).astype(np.float64)
        m = v.shape[2]
        if isinstance(entries, str) and entries == "pooled":
            panels.append((f"{p}: all {m} entries pooled" if m > 1 else p, v, list(range(m))))
            continue
        if isinstance(entries, str) and entries == "each":
            chosen = list(range(m))
        else:
            chosen = parse_int_list(entries, "weight distribution entries", "entries=(0, 1) or 'pooled'")
            if chosen is None or any(e >= m for e in chosen):
                raise bad_input("weight distribution entries", f"'pooled', 'each' or indices from 0 to {m - 1} "
                                f"of {p}", entries, "e.g. entries=(0, 1)")
        labels = entry_names(run, p)
        for e in chosen:
            panels.append((f"{p}[{e}] ({labels[e]})", v[:, :, e:e + 1], [e]))
    return panels


def _value_range(flat, value_range) -> tuple[float, float]:
    """``(lo, hi)`` of the value axis for values ``flat`` (frames, n): the given ``value_range``
    (checked), else the values' range (0.1 to 99.9 % of many values); never empty."""
    finite = flat[np.isfinite(flat)]
    if value_range is not None:
        try:
            lo, hi = (float(x) for x in value_range)
            good = hi > lo
        except (TypeError, ValueError):
            good = False
        if not good:
            raise bad_input("weight distribution value_range", "(lo, hi) with hi > lo", value_range,
                            "e.g. value_range=(-3, 3)")
    elif finite.size:
        # few values: their whole range; many: 0.1 to 99.9 %, so one runaway member cannot squash the rest
        lo, hi = (finite.min(), finite.max()) if finite.size < 1000 else np.quantile(finite, [0.001, 0.999])
        lo, hi = float(lo), float(hi)
    else:
        lo, hi = -1.0, 1.0
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5
    return lo, hi


def _histograms(flat, lo, hi, nb):
    """``(edges (nb + 1,), counts (frames, nb))``: a histogram of each row of ``flat`` (frames, n),
    values outside ``[lo, hi]`` counted in the edge bins, non-finite values not at all."""
    F = flat.shape[0]
    edges = np.linspace(lo, hi, nb + 1)
    b = np.clip(np.floor((flat - lo) / (hi - lo) * nb), 0, nb - 1)
    counts = np.zeros((F, nb), np.int64)
    rows = np.broadcast_to(np.arange(F)[:, None], flat.shape)
    ok = np.isfinite(flat)
    np.add.at(counts, (rows[ok], b[ok].astype(np.int64)), 1)
    return edges, counts


# -------------------------------------------------------------------------------- BoundaryOverlay
class BoundaryOverlay(Display):
    """The decision boundaries of many members on one shared grid, with the data: for a sigmoid
    output the 0.5 contour of each member's output, for softmax the borders of its predicted classes.

    Build with ``BoundaryOverlay.from_run(run, frame=-1, members=None, inputs=None)``. Attributes:
    ``members`` (indices shown), ``proba`` ((shown, resolution, resolution): each member's positive
    class probability (sigmoid) or predicted class (softmax)), ``solved`` (per shown member: train
    accuracy 1 at that frame), ``group`` (grid point index of each shown member), ``grid_points`` and
    ``group_labels`` (per grid point), ``xx``, ``yy``,
    the data as in ``DecisionBoundary``; after ``plot``: ``contours_`` (one contour set per member).
    """

    def __init__(self, *, members, proba, solved, group, grid_points, group_labels, lrs, sigmoid, frame, step,
                 inputs, xx, yy, points, held, X_train, y_train, X_test, y_test, feature_names, class_names,
                 n_classes, extent, title=""):
        """members, solved, group (shown,); proba (shown, resolution, resolution); grid_points,
        group_labels, lrs: one per grid point; the plane and the data as in ``DecisionBoundary``."""
        self.members, self.proba, self.solved, self.group = members, proba, solved, group
        self.grid_points, self.group_labels, self.lrs, self.sigmoid = grid_points, group_labels, lrs, sigmoid
        self.frame, self.step, self.title = frame, step, title
        self.inputs, self.xx, self.yy, self.points, self.held = inputs, xx, yy, points, held
        self.X_train, self.y_train, self.X_test, self.y_test = X_train, y_train, X_test, y_test
        self.feature_names, self.class_names, self.n_classes, self.extent = feature_names, class_names, n_classes, extent

    @classmethod
    def from_run(cls, run, *, frame=-1, members=None, inputs=None, resolution=150, max_members=200, extent=None):
        """frame: frame index (0 = initial weights, -1 = last). members: member indices to overlay
        (default all, or ``max_members`` of them spread evenly over the grid points).
        inputs: the two inputs spanning the plane (others at their training mean)."""
        from .boundary import DecisionBoundary

        require_population(run, "boundaries")
        if run.model.output not in ("sigmoid", "softmax"):
            raise bad_input("boundaries", "a classifier (sigmoid or softmax output)", f"a {run.model.output} output",
                            "draw the population curves instead")
        n = run.population
        if members is None:
            shown = np.arange(n)
            if n > max_members:
                shown = np.unique(np.linspace(0, n - 1, int(max_members)).round().astype(int))
        else:
            shown = parse_int_list(members, "boundaries members", "members=(0, 1, 2)")
            if shown is None or any(m >= n for m in shown):
                raise bad_input("boundaries members", f"member indices from 0 to {n - 1}", members,
                                "e.g. members=range(16)")
            shown = np.asarray(shown)
        f = frame_index(run, frame)
        base = DecisionBoundary.from_run(run.member(int(shown[0])), frame=f, inputs=inputs, resolution=resolution,
                                         extent=extent)
        sigmoid = run.model.sizes[-1] == 1
        maps = np.empty((len(shown), *base.xx.shape))
        for k, m in enumerate(shown):
            params = [np.asarray(p[m, f]) for p in run.frames]
            _, out = run.model.forward_numpy(params, base.points)
            maps[k] = (out[:, 0] if sigmoid else np.argmax(out, axis=1)).reshape(base.xx.shape)
        acc = run.history.get("train_accuracy")
        solved = (np.asarray(acc)[shown, f] >= 1.0) if acc is not None else np.zeros(len(shown), bool)
        groups = grid_groups(run)
        group = np.asarray([next(g for g, (_, s) in enumerate(groups) if s.start <= m < s.stop) for m in shown])
        kw = {k: getattr(base, k) for k in ("inputs", "xx", "yy", "points", "held", "X_train", "y_train", "X_test",
                                            "y_test", "feature_names", "class_names", "n_classes", "extent")}
        return cls(members=shown, proba=maps, solved=solved, group=group, grid_points=[pt for pt, _ in groups],
                   group_labels=[group_label(run, pt) for pt, _ in groups], lrs=[lr for lr, _ in lr_groups(run)],
                   sigmoid=sigmoid,
                   frame=f, step=int(run.steps[f]), title=population_title(run), **kw)

    def plot(self, ax=None):
        from matplotlib.lines import Line2D

        fig, ax = new_axes(ax, (6.4, 5.2))
        k = self.n_classes
        colors = [CLASS_COLORS[c % len(CLASS_COLORS)] for c in range(k)]
        i, j = self.inputs
        for X, y, marker, face in ((self.X_train, self.y_train, "o", True), (self.X_test, self.y_test, "^", False)):
            if len(y) == 0:
                continue
            c = list(np.asarray(colors, dtype=object)[np.asarray(y) % len(colors)])
            size = 60 if len(y) < 50 else 14
            if face:
                ax.scatter(X[:, i], X[:, j], c=c, marker=marker, s=size, edgecolors="white", linewidths=0.5, zorder=3)
            else:
                ax.scatter(X[:, i], X[:, j], facecolors="none", edgecolors=c, marker=marker, s=size * 1.3,
                           linewidths=1.0, zorder=3)
        many_lr = len(self.group_labels) > 1
        n = len(self.members)
        alpha = float(np.clip(8 / n, 0.12, 0.9))
        levels = [0.5] if self.sigmoid else list(np.arange(k - 1) + 0.5)
        self.contours_ = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "no contour levels were found": a member that predicts one class
            for m, grid, ok, g in zip(self.members, self.proba, self.solved, self.group):
                color = GROUP_COLORS[g % len(GROUP_COLORS)] if many_lr else ("#2ca02c" if ok else "#d62728")
                cs = ax.contour(self.xx, self.yy, grid, levels=levels, colors=[color], linewidths=1.0, alpha=alpha,
                                linestyles="solid" if ok or not many_lr else "dashed")
                self.contours_.append(cs)
        ax.set_xlim(self.extent[:2])
        ax.set_ylim(self.extent[2:])
        ax.set_xlabel(self.feature_names[i])
        ax.set_ylabel(self.feature_names[j])
        n_ok = int(np.sum(self.solved))
        t = f"{n} members' boundaries at step {nice_step(self.step)}: {n_ok} of {n} classify all training points"
        others = [nm for q, nm in enumerate(self.feature_names) if q not in (i, j)]
        if others:
            t += f"\n({', '.join(others) if len(others) <= 3 else f'{len(others)} other inputs'} at their mean)"
        ax.set_title(f"{self.title}\n{t}", fontsize=9)
        handles = [Line2D([], [], ls="", marker="o", color=colors[c], label=f"class {self.class_names[c]}"
                          if c < len(self.class_names) else f"class {c}") for c in range(k)]
        if many_lr:
            handles += [Line2D([], [], color=GROUP_COLORS[g % len(GROUP_COLORS)], label=name)
                        for g, name in enumerate(self.group_labels) if g in set(self.group.tolist())]
            handles += [Line2D([], [], color="0.4", ls="--", label="not all train points right")]
        else:
            handles += [Line2D([], [], color="#2ca02c", label=f"all train points right ({n_ok})"),
                        Line2D([], [], color="#d62728", label=f"some wrong ({n - n_ok})")]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
        self.figure_, self.ax_ = fig, ax
        return self


# ------------------------------------------------------------------------------------ SuccessRate
_RATE = re.compile(r"success_rate \((?P<metric>\w+) >= (?P<threshold>[^)]+)\)")


def _width(hidden: str):
    """``"4"`` -> 4, ``"4x4"`` -> None (not one number), ``"none"`` -> 0."""
    if hidden == "none":
        return 0
    try:
        return int(hidden)
    except ValueError:
        return None


class SuccessRate(Display):
    """The fraction of members that reach a threshold (e.g. train accuracy 1 on XOR), with binomial
    standard-error bars ``sqrt(p (1 - p) / n)``: against the hidden width (one line per activation,
    and per learning rate when there are several), against the learning rate (log x), or against
    one axis of a population's grid (one line per combination of the other axes).

    Build with ``SuccessRate.from_sweep(sweep_dir)`` (its ``summary.csv``) or
    ``SuccessRate.from_run(run, metric="train_accuracy", threshold=1.0, x=None)`` (per grid point of
    a population). Attributes: ``x_kind`` (``"width"``, or the axis on x: ``"lr"``, ``"eta"``,
    ``"init_scale"``, ...), ``log`` (log x axis), ``lines`` (label -> dict with ``x``, ``rate``,
    ``se``, ``n``, ``xlabels``), ``metric``, ``threshold``; after ``plot``: ``lines_`` (label -> the
    errorbar container).
    """

    def __init__(self, *, x_kind, lines, metric, threshold, log=None, numeric_width=True, width_labels=(),
                 table=None, title=""):
        """lines: label -> dict of ``x``, ``rate``, ``se`` (points,) floats, ``n`` (points,) ints and
        ``xlabels``; log: a log x axis (default: for the learning rate); width_labels: the hidden
        layouts when widths are not numbers; table: a sweep's summary rows (None from a run)."""
        self.x_kind, self.lines, self.metric, self.threshold = x_kind, lines, metric, threshold
        self.log = x_kind == "lr" if log is None else log
        self.numeric_width, self.width_labels, self.table, self.title = numeric_width, width_labels, table, title

    @staticmethod
    def _se(rate, n):
        rate, n = np.asarray(rate, float), np.asarray(n, float)
        return np.sqrt(np.clip(rate * (1 - rate), 0, None) / np.maximum(n, 1))

    @staticmethod
    def _log_axis(name, values) -> bool:
        """Log x for the learning rate, and for positive values spanning more than a factor of 10."""
        v = np.asarray([float(x) for x in values], float)
        v = v[np.isfinite(v)]
        if len(v) == 0 or (v <= 0).any():
            return False
        return name == "lr" or v.max() / v.min() > 10

    @classmethod
    def from_sweep(cls, sweep_dir, *, x="auto"):
        """sweep_dir: the ``--out`` folder of ``weightflow sweep`` (or its summary.csv). x: ``"width"``,
        ``"lr"`` or ``"auto"`` (width when the sweep has several widths, else learning rate). Columns
        between ``lr`` and ``members`` (further grid axes) that vary split the lines."""
        path = Path(sweep_dir)
        if path.is_dir():
            path = path / "summary.csv"
        if not path.is_file():
            raise bad_input("success rate", "a sweep folder with summary.csv (the --out of weightflow sweep)",
                            str(sweep_dir), "check the path, e.g. runs/xor-widths")
        with open(path, newline="") as fh:
            rows = list(csv.DictReader(fh))
        cols = list(rows[0]) if rows else []
        rate_col = next((c for c in cols if c.startswith("success_rate")), None)
        need = {"run", "activation", "hidden", "lr", "members"}
        if rate_col is None or not need <= set(cols):
            raise bad_input(f"success rate {path}", "a summary.csv with run, activation, hidden, lr, members and "
                            "success_rate columns", ",".join(cols) or "an empty file", "rerun weightflow sweep")
        mt = _RATE.match(rate_col)
        metric, threshold = (mt["metric"], mt["threshold"]) if mt else ("metric", "threshold")
        extra = cols[cols.index("lr") + 1:cols.index("members")] if cols.index("lr") < cols.index("members") else []
        extra = [c for c in extra if not c.startswith(("success_rate", "median_", "mean_"))
                 and len({r[c] for r in rows}) > 1]
        table = [{"run": r["run"], "activation": r["activation"], "hidden": r["hidden"], "lr": float(r["lr"]),
                  "members": int(r["members"]), "rate": float(r[rate_col]),
                  "extra": "".join(f", {c.replace('_', ' ')} {_fmt_cell(r[c])}" for c in extra)} for r in rows]
        hiddens = list(dict.fromkeys(r["hidden"] for r in table))
        lrs = list(dict.fromkeys(r["lr"] for r in table))
        if x == "auto":
            x = "width" if len(hiddens) > 1 or len(lrs) == 1 else "lr"
        if x not in ("width", "lr"):
            raise bad_input("success rate x", "width, lr or auto", x, "e.g. x='lr'")
        lines = {}
        numeric = all(_width(h) is not None for h in hiddens)
        for r in table:
            if x == "width":
                label = r["activation"] + (f", {fmt_lr(r['lr'])}" if len(lrs) > 1 else "") + r["extra"]
                xv = _width(r["hidden"]) if numeric else hiddens.index(r["hidden"])
            else:
                label = r["activation"] + (f", hidden {r['hidden']}" if len(hiddens) > 1 else "") + r["extra"]
                xv = r["lr"]
            d = lines.setdefault(label, {"x": [], "rate": [], "n": [], "xlabels": []})
            d["x"].append(xv)
            d["rate"].append(r["rate"])
            d["n"].append(r["members"])
            d["xlabels"].append(r["hidden"] if x == "width" else f"{r['lr']:g}")
        cls._finish(lines)
        name = path.parent.name
        return cls(x_kind=x, log=x == "lr", lines=lines, metric=metric, threshold=threshold, numeric_width=numeric,
                   width_labels=hiddens, title=f"sweep {name}", table=table)

    @classmethod
    def _finish(cls, lines):
        """Sort each line by x and add its standard errors (in place)."""
        for d in lines.values():
            order = np.argsort(d["x"], kind="stable")
            for key in ("x", "rate", "n", "xlabels"):
                d[key] = [d[key][o] for o in order]
            d["x"], d["rate"], d["n"] = np.asarray(d["x"], float), np.asarray(d["rate"], float), np.asarray(d["n"])
            d["se"] = cls._se(d["rate"], d["n"])

    @classmethod
    def from_run(cls, run, *, metric="train_accuracy", threshold=1.0, x=None):
        """Success per grid point of a population run: a member succeeds when its final ``metric``
        (``run.member_metrics``) is >= ``threshold``; a member with no value (diverged) fails.
        x: the grid axis on the x axis (default the first; log scale for ``lr`` and for positive
        values spanning more than a factor of 10); one line per combination of the other axes.
        Without a grid: one point at the run's learning rate."""
        require_population(run, "success rate")
        avail = list(run.member_metrics)
        if metric not in avail:
            raise bad_input("success rate metric", "one of " + ", ".join(avail), metric, "e.g. metric='train_accuracy'")
        try:
            threshold = float(threshold)
        except (TypeError, ValueError):
            raise bad_input("success rate threshold", "a number", threshold, "e.g. threshold=1.0") from None
        values = np.asarray(run.member_metrics[metric], float)
        axes = run.config.axes()
        groups = grid_groups(run)
        if x is None:
            x = next(iter(axes), "lr")
        if not isinstance(x, str) or x not in (axes or {"lr": None}):
            names = ", ".join(axes) if axes else "lr (the run has no grid)"
            raise bad_input("success rate x", f"an axis of the run's grid: {names}", x,
                            f"e.g. x={next(iter(axes), 'lr')!r}, or leave it out for the first axis")
        with np.errstate(invalid="ignore"):
            ok = values >= threshold
        activation = run.model.activations[0] if run.model.n_layers > 1 else "logistic"
        hidden = "x".join(str(s) for s in run.model.sizes[1:-1]) or "none"
        others = [a for a in axes if a != x]
        lines = {}
        for pt, part in groups:
            label = grid_label({a: pt[a] for a in others}) if others else f"{activation}, hidden {hidden}"
            xv = float(pt[x]) if axes else _run_lr(run)
            d = lines.setdefault(label, {"x": [], "rate": [], "n": [], "xlabels": []})
            d["x"].append(xv)
            d["rate"].append(float(ok[part].mean()))
            d["n"].append(part.stop - part.start)
            d["xlabels"].append(f"{xv:g}")
        cls._finish(lines)
        xs = [v for d in lines.values() for v in d["x"]]
        title = run_title(run) + (f"\n{activation}, hidden {hidden}" if others else "")
        return cls(x_kind=x, log=cls._log_axis(x, xs), lines=lines, metric=metric, threshold=f"{threshold:g}",
                   numeric_width=True, width_labels=[], title=title, table=None)

    def plot(self, ax=None):
        fig, ax = new_axes(ax, (7.4, 4.6))
        self.lines_ = {}
        n_lines = len(self.lines)
        log = self.log
        allx = np.asarray(sorted({float(v) for d in self.lines.values() for v in d["x"] if np.isfinite(v)}))
        spread = np.ptp(allx) if len(allx) > 1 and np.ptp(allx) else 1.0
        for k, (label, d) in enumerate(self.lines.items()):
            color = GROUP_COLORS[k % len(GROUP_COLORS)]
            # spread overlapping error bars a little sideways so each line's bars stay visible
            shift = (k - (n_lines - 1) / 2) * 0.03
            xs = d["x"] * (10 ** shift) if log else d["x"] + shift * spread * 0.5
            self.lines_[label] = ax.errorbar(xs, d["rate"], yerr=d["se"], color=color, marker="o", ms=5, lw=1.6,
                                             capsize=3, label=label)
        if self.x_kind == "width":
            ax.set_xlabel("hidden units" if self.numeric_width else "hidden layers")
            if self.numeric_width:
                ticks = sorted({float(v) for d in self.lines.values() for v in d["x"]})
            else:
                ticks = list(range(len(self.width_labels)))
            ax.set_xticks(ticks)
            ax.set_xticklabels([f"{v:g}" for v in ticks] if self.numeric_width else self.width_labels)
            pad = max((ticks[-1] - ticks[0]) * 0.06, 0.4)
            ax.set_xlim(ticks[0] - pad, ticks[-1] + pad)
        else:
            ax.set_xlabel("learning rate" if self.x_kind == "lr" else self.x_kind.replace("_", " "))
            if log:
                ax.set_xscale("log")
            if len(allx):
                ax.set_xticks(allx)
                ax.set_xticklabels([f"{v:g}" for v in allx])
                ax.minorticks_off()
                if log:
                    pad = max((allx[-1] / allx[0]) ** 0.08, 1.6)  # room for the end points' error bars
                    ax.set_xlim(allx[0] / pad, allx[-1] * pad)
                else:
                    pad = np.ptp(allx) * 0.08 if len(allx) > 1 else max(abs(allx[0]) * 0.2, 0.5)
                    ax.set_xlim(allx[0] - pad, allx[-1] + pad)
        ax.set_ylim(-0.03, 1.05)
        ax.set_ylabel(f"success rate ({self.metric} >= {self.threshold})")
        ax.grid(alpha=0.3)
        ns = sorted({int(v) for d in self.lines.values() for v in d["n"]})
        per = f"{ns[0]} members per point" if len(ns) == 1 else f"{ns[0]} to {ns[-1]} members per point"
        ax.set_title(f"{self.title}\n{per}; bars: binomial standard error sqrt(p(1-p)/n), 0 at p = 0 or 1",
                     fontsize=10)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=9)
        self.figure_, self.ax_ = fig, ax
        return self


def _fmt_cell(text: str) -> str:
    """A summary.csv cell as a label: numbers as ``:g``, anything else as written."""
    try:
        return f"{float(text):g}"
    except ValueError:
        return text


__all__ = ["PopulationCurves", "WeightDistribution", "BoundaryOverlay", "SuccessRate", "grid_groups", "lr_groups",
           "pick_groups", "group_label", "require_population"]
