"""Weight trajectories: every weight against step (seeds 000 and 001), grouped views, bias trajectories."""

from __future__ import annotations

import numpy as np

from ..errors import bad_input
from ._common import Display, given_ax, new_axes, parse_int_list, pyplot, run_title, step_axis
from .movie import _input_names, _unit_names


def entry_names(run, name) -> list[str]:
    """A readable name for every entry of a parameter, in C order: ``x1`` for logistic regression,
    ``x1→h2`` for a W entry, ``b(h2)`` for a bias."""
    names = run.model.param_names
    k = names.index(name)
    layer = k // 2 if run.model.bias else k
    units = _unit_names(run, layer)
    if name.startswith("b"):
        return [f"b({u})" for u in units]
    inputs = _input_names(run, layer)
    if len(units) == 1:
        return list(inputs)
    return [f"{i}→{u}" for i in inputs for u in units]


def _check_params(run, params, default):
    names = run.model.param_names
    if params is None:
        params = [n for n in names if n.startswith(default)]
    params = [params] if isinstance(params, str) else list(params)
    bad = [p for p in params if p not in names]
    if bad or not params:
        raise bad_input("trajectories params", "names from " + ", ".join(names), bad or params,
                        f"e.g. params=['{names[0]}']")
    return params


class WeightTrajectories(Display):
    """Every entry of the chosen parameters against step, one panel per parameter.

    Attributes: ``steps``, ``series`` (parameter -> (F, entries) array, C order), ``labels``
    (parameter -> entry names); after ``plot``: ``lines_`` (parameter -> list of lines).
    """

    def __init__(self, steps, series, labels, title):
        self.steps, self.series, self.labels, self.title = steps, series, labels, title
        self.lines_ = {}

    @classmethod
    def from_run(cls, run, params=None, *, biases=False):
        """params: parameter names (default every W; with ``biases=True`` every b)."""
        params = _check_params(run, params, "b" if biases else "W")
        names = run.model.param_names
        series = {p: np.asarray(run.frames[names.index(p)], np.float64).reshape(len(run.steps), -1) for p in params}
        return cls(np.asarray(run.steps), series, {p: entry_names(run, p) for p in params}, run_title(run))

    def plot(self, ax=None):
        n = len(self.series)
        if ax is not None:
            fig, axs = given_ax(ax, n, "trajectories", "parameter", "pass params=['W1'] or no ax")
        else:
            fig, axs = pyplot().subplots(n, 1, figsize=(9, 3.2 * n + 0.6), squeeze=False, sharex=True)
            axs = list(axs[:, 0])
        self.lines_ = {}
        for a, (p, y) in zip(axs, self.series.items()):
            m = y.shape[1]
            cmap = pyplot().get_cmap("tab10" if m <= 10 else "tab20")
            lines = []
            for e in range(m):
                color = cmap(e % cmap.N) if m <= 20 else cmap(e % 20)
                (line,) = a.plot(self.steps, y[:, e], color=color, lw=1.3 if m <= 20 else 0.7,
                                 label=self.labels[p][e])
                lines.append(line)
            self.lines_[p] = lines
            a.axhline(0, color="0.6", lw=0.8, zorder=0)
            a.set_ylabel(f"{p} entries")
            a.grid(alpha=0.25)
            a.set_title(f"{p}: {m} {'bias' if p.startswith('b') and m == 1 else 'entries'}", fontsize=10, loc="left")
            if m <= 20:
                a.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8,
                         ncol=1 if m <= 12 else 2)
        step_axis(axs[-1])
        if ax is None:
            fig.suptitle(self.title, fontsize=10, color="0.3")
            fig.tight_layout()
        self.figure_, self.axes_ = fig, axs
        return self


class GroupedTrajectories(Display):
    """Chosen weights of one parameter, plus the average of the rest (seeds 000 and 001's view:
    W[0] and W[1] carry the signal, the noise weights are summed up by their mean and range).

    Attributes: ``steps``, ``chosen`` (entry index -> (F,) series), ``labels`` (entry index -> name),
    ``rest`` (indices averaged), ``rest_mean``, ``rest_min``, ``rest_max`` (F,).
    """

    def __init__(self, *, steps, chosen, labels, rest, rest_mean, rest_min, rest_max, param, title=""):
        """steps (F,); chosen: entry index -> (F,); rest: the averaged entry indices; rest_mean,
        rest_min, rest_max: (F,) each, or None when nothing is left to average."""
        self.steps, self.chosen, self.labels, self.param, self.title = steps, chosen, labels, param, title
        self.rest, self.rest_mean, self.rest_min, self.rest_max = rest, rest_mean, rest_min, rest_max

    @classmethod
    def from_run(cls, run, param="W1", *, weights=(0, 1)):
        """weights: entries of ``param`` (flattened, C order: for logistic regression the input index)
        drawn on their own; the others are averaged."""
        param = _check_params(run, param, "W")[0]
        y = np.asarray(run.frames[run.model.param_names.index(param)], np.float64).reshape(len(run.steps), -1)
        m = y.shape[1]
        weights = parse_int_list(weights, "trajectories weights", "--weights 0,1")
        if any(w >= m for w in weights) or len(set(weights)) != len(weights):
            raise bad_input("trajectories weights", f"different entry indices from 0 to {m - 1} of {param}",
                            ",".join(map(str, weights)), "e.g. --weights 0,1")
        names = entry_names(run, param)
        rest = [e for e in range(m) if e not in weights]
        r = y[:, rest] if rest else np.full((len(y), 0), np.nan)
        with np.errstate(all="ignore"):
            mean = r.mean(axis=1) if rest else None
        return cls(steps=np.asarray(run.steps), chosen={w: y[:, w] for w in weights},
                   labels={w: f"{param}[{w}] ({names[w]})" for w in weights}, rest=rest, rest_mean=mean,
                   rest_min=r.min(axis=1) if rest else None, rest_max=r.max(axis=1) if rest else None,
                   param=param, title=run_title(run))

    def plot(self, ax=None):
        fig, ax = new_axes(ax, (9, 4.2))
        colors = pyplot().get_cmap("tab10")
        self.lines_ = {}
        for k, (w, y) in enumerate(self.chosen.items()):
            (self.lines_[w],) = ax.plot(self.steps, y, color=colors(k % 10), lw=1.8, label=self.labels[w])
        if self.rest:
            ax.fill_between(self.steps, self.rest_min, self.rest_max, color="0.5", alpha=0.15, lw=0,
                            label=f"range of the other {len(self.rest)}")
            (self.lines_["rest"],) = ax.plot(self.steps, self.rest_mean, color="0.25", lw=1.8, ls="--",
                                             label=f"average of the other {len(self.rest)}")
        ax.axhline(0, color="0.6", lw=0.8, zorder=0)
        step_axis(ax)
        ax.set_ylabel("weight")
        ax.grid(alpha=0.25)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=9)
        ax.set_title(f"{self.title}\n{self.param}: chosen weights and the average of the rest", fontsize=10)
        self.figure_, self.ax_ = fig, ax
        return self


__all__ = ["WeightTrajectories", "GroupedTrajectories", "entry_names"]
