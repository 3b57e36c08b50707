"""Training curves: loss and accuracy against step, train against validation and test (seed 002's
validation_split, seed 003, seed 004)."""

from __future__ import annotations

import numpy as np

from ._common import Display, new_axes_row, run_title, step_axis

TRAIN, TEST, VAL = "#1f77b4", "#ff7f0e", "#2ca02c"
PARTS = (("train", TRAIN), ("validation", VAL), ("test", TEST))
COLUMNS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "test_loss", "test_accuracy")


class TrainingCurves(Display):
    """Loss and accuracy against step, train, validation (when the run held one out) and test, side by side.

    Build with ``TrainingCurves.from_run(run, log=False)``. Attributes: ``steps``, ``columns``
    (``train_loss``, ``train_accuracy``, ``val_loss``, ``val_accuracy``, ``test_loss``,
    ``test_accuracy`` as stored in the run's history; NaN where not evaluated), ``log``; after ``plot``: ``lines_`` (column
    -> the matplotlib line, whose y-data are that column at the steps where it is finite).
    ``diverged_at``: the step where a diverged run stopped (marked on both panels), else None.
    """

    def __init__(self, steps, columns, log, title, loss_name, diverged_at=None):
        self.steps, self.columns, self.log, self.title, self.loss_name = steps, columns, log, title, loss_name
        self.diverged_at = diverged_at
        self.lines_ = {}

    @classmethod
    def from_run(cls, run, *, log=False):
        """log: loss on a log scale (falls over orders of magnitude in long runs)."""
        cols = {c: np.asarray(run.history[c], float) for c in COLUMNS if c in run.history}
        at = run.metrics.get("diverged_at_step") if run.status == "diverged" else None
        return cls(np.asarray(run.steps), cols, bool(log), run_title(run), run.config.loss,
                   None if at is None else int(at))

    def _has(self, column) -> bool:
        return column in self.columns and bool(np.isfinite(self.columns[column]).any())

    def plot(self, ax=None, *, axes=None):
        """Draw on two new axes (or ``axes=[loss_ax, accuracy_ax]``; ``ax`` alone draws the loss only)."""
        has_acc = self._has("train_accuracy")
        if ax is not None:
            axs = [ax]
            fig = ax.figure
        else:
            fig, axs = new_axes_row(axes, 2 if has_acc else 1, (11, 4) if has_acc else (6, 4))
        self.lines_ = {}
        panels = [("loss", axs[0])] + ([("accuracy", axs[1])] if has_acc and len(axs) > 1 else [])
        for what, a in panels:
            for part, color in PARTS:
                col = f"{part[:3] if part == 'validation' else part}_{what}"
                if not self._has(col):
                    continue
                y = self.columns[col]
                ok = np.isfinite(y)
                sparse = ok.sum() < 40
                (line,) = a.plot(self.steps[ok], y[ok], color=color, lw=1.6, label=part,
                                 marker="o" if sparse else None, ms=3)
                self.lines_[col] = line
            if self.diverged_at is not None:
                a.axvline(self.diverged_at, color="#c0392b", ls="--", lw=1.2,
                          label=f"diverged at step {self.diverged_at:,}")
            step_axis(a)
            a.grid(alpha=0.3)
            if what == "loss":
                a.set_ylabel(f"{self.loss_name} loss")
                if self.log:
                    a.set_yscale("log")
            else:
                a.set_ylabel("accuracy")
                a.set_ylim(min(0.0, np.nanmin([np.nanmin(self.columns[c]) for c in self.lines_ if "acc" in c])),
                           1.02)
            a.legend(frameon=False, loc="best")
            a.set_title(what)
        fig.suptitle(self.title, fontsize=10, color="0.3")
        if ax is None:
            fig.tight_layout()
        self.figure_, self.axes_ = fig, [a for _, a in panels]
        return self
