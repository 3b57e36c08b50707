"""What every picture shares: frames, names, data access, the Display base. No jax, no backend choice."""

from __future__ import annotations

import math

import numpy as np

from ..errors import WeightflowError, bad_input
from ..validate import index

# Class colours (tab10 without its red/blue pair first, so classes never look like weight signs).
CLASS_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
                "#17becf", "#d62728")
WEIGHT_CMAP = "RdBu_r"  # diverging: 0 is white, positive red, negative blue
POSITIVE, NEGATIVE = "#c0392b", "#2e6db4"  # edge colours by sign (match WEIGHT_CMAP's ends)


def pyplot():
    """Import pyplot lazily (the user's backend is left as it is)."""
    import matplotlib.pyplot as plt

    return plt


class Display:
    """Base of every picture: ``X.from_run(run, ...)`` computes, ``.plot(ax=None)`` draws.

    After ``plot`` the object holds ``figure_`` and ``ax_`` (or ``axes_``) and returns itself, so
    ``X.from_run(run).plot().savefig("x.png")`` works in a script and the object shows in a notebook.
    """

    figure_ = None

    def savefig(self, path, **kwargs):
        """Save the drawn figure (``plot()`` first if needed); returns the path."""
        if self.figure_ is None:
            self.plot()
        kwargs.setdefault("dpi", 120)
        kwargs.setdefault("bbox_inches", "tight")
        self.figure_.savefig(path, **kwargs)
        return path

    def _repr_png_(self):  # a Display on its own in a notebook cell shows its picture
        import io

        if self.figure_ is None:
            self.plot()
        buf = io.BytesIO()
        self.figure_.savefig(buf, format="png", dpi=100, bbox_inches="tight")
        # shown once: closed, so matplotlib's inline backend does not draw it again at the cell's end
        pyplot().close(self.figure_)
        return buf.getvalue()


def new_axes(ax, figsize, **subplot_kw):
    """``(figure, ax)``: the given axes, or a new pyplot figure with one axes."""
    if ax is not None:
        return ax.figure, ax
    fig, ax = pyplot().subplots(figsize=figsize, subplot_kw=subplot_kw or None)
    return fig, ax


def new_axes_row(axes, n, figsize, **kw):
    """``(figure, [ax, ...])`` with ``n`` axes side by side, or the given ones (checked)."""
    if axes is not None:
        axes = list(np.ravel(axes))
        if len(axes) != n:
            raise bad_input("axes", f"{n} axes", f"{len(axes)} axes", f"pass {n} axes or none")
        return axes[0].figure, axes
    fig, axs = pyplot().subplots(1, n, figsize=figsize, squeeze=False, **kw)
    return fig, list(axs[0])


# ----------------------------------------------------------------------------------------- frames
def given_ax(ax, n: int, picture: str, unit: str, fix: str):
    """``(ax.figure, [ax])`` for a display asked to draw into ``ax``, which holds one panel only: ``n``
    panels of ``unit`` (e.g. "column") otherwise get a one-line error with ``fix``."""
    if n != 1:
        raise bad_input(f"{picture} ax", f"one {unit} when an ax is given", f"{n} {unit}s", fix)
    return ax.figure, [ax]


def frame_index(run, frame) -> int:
    """A frame number (negative counts from the end, as in Python) checked against the run."""
    n = len(run.steps)
    return index(frame, n, "frame", f"an index from {-n} to {n - 1} (the run has {n} frames)",
                 "use 0 for the initial weights, -1 for the last frame")


def frame_params(run, frame) -> list[np.ndarray]:
    """Every parameter at frame ``frame`` (Keras order)."""
    i = frame_index(run, frame)
    return [np.asarray(f[i]) for f in run.frames]


def frame_step(run, frame) -> int:
    return int(run.steps[frame_index(run, frame)])


def history_at(run, column, frame) -> float:
    h = run.history.get(column)
    if h is None or len(h) == 0:
        return math.nan
    return float(h[frame_index(run, frame)])


# ------------------------------------------------------------------------------------------ names
def feature_names(run) -> list[str]:
    names = run.config.data.feature_names
    d = run.model.sizes[0]
    if not names or len(names) != d:
        names = [f"x{i + 1}" for i in range(d)]
    return [str(n) for n in names]


def class_names(run) -> list[str]:
    names = run.config.data.class_names
    k = max(2, run.model.sizes[-1])
    if not names or len(names) < 2:
        names = [str(i) for i in range(k)]
    return [str(n) for n in names]


def run_title(run) -> str:
    """A short title: dataset and model, e.g. ``diamond: MLP(2-3-1, hidden tanh, output sigmoid)``."""
    data = run.config.data.name
    return f"{data}: {run.model}" if data else str(run.model)


def is_classifier(run) -> bool:
    return run.model.output in ("sigmoid", "softmax")


# ------------------------------------------------------------------------------------------- data
def require_split(run, picture: str):
    """The run's data (``run.split``), or a clear error for runs stored without it."""
    if run.split is None:
        raise WeightflowError(f"{picture}: expected a run stored with its data (data.npz), got a run without it; "
                              "train it again with this weightflow version to draw this picture")
    return run.split


def subset_data(run, subset: str, picture: str):
    """``(X, y)`` of ``train``, ``test`` or ``all`` (train then test)."""
    s = require_split(run, picture)
    if subset == "train":
        return np.asarray(s.X_train), np.asarray(s.y_train)
    if subset == "test":
        if len(s.y_test) == 0:
            raise bad_input(f"{picture} subset", "a run with a test set for subset='test'", "no test set",
                            "use subset='train' or 'all'")
        return np.asarray(s.X_test), np.asarray(s.y_test)
    if subset == "all":
        return (np.concatenate([s.X_train, s.X_test]), np.concatenate([s.y_train, s.y_test]))
    raise bad_input(f"{picture} subset", "train, test or all", subset, "e.g. subset='test'")


def check_inputs(run, inputs, n: int, picture: str) -> tuple[int, ...]:
    """``n`` distinct input indices, each within the model's inputs (0-based)."""
    d = run.model.sizes[0]
    if d < n:
        raise bad_input(picture, f"a run with at least {n} inputs", f"a run with {d} input{'s' * (d != 1)}",
                        f"this picture needs {n} inputs to span its axes")
    if inputs is None:
        return tuple(range(n))
    if isinstance(inputs, str):
        inputs = [s for s in inputs.replace(" ", "").split(",") if s]
    try:
        idx = tuple(int(i) for i in inputs)
        ok = len(idx) == n and len(set(idx)) == n and all(0 <= i < d for i in idx)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        example = ",".join(str(i) for i in range(n))
        raise bad_input(f"{picture} inputs", f"{n} different input indices from 0 to {d - 1}", inputs,
                        f"e.g. --inputs {example}")
    return idx


def parse_int_list(value, what: str, example: str) -> tuple[int, ...] | None:
    """``"0,1"`` / ``[0, 1]`` -> ``(0, 1)``; ``None`` stays ``None``."""
    if value is None:
        return None
    items = value.replace(" ", "").split(",") if isinstance(value, str) else list(value)
    try:
        out = tuple(int(i) for i in items if i != "")
        ok = len(out) > 0 and all(i >= 0 for i in out)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise bad_input(what, "a comma-separated list of indices >= 0", value, f"e.g. {example}")
    return out


def nice_step(step: int) -> str:
    return f"{int(step):,}"


def step_axis(ax):
    """Steps as plain whole numbers with thousands separators (30,000, not 3.0 x 1e4)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(nbins=7, integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_xlabel("step")
