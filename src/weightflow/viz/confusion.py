"""The confusion matrix of a classifier at one frame, with each class's accuracy (seed 002's MNIST)."""

from __future__ import annotations

import numpy as np

from ..errors import WeightflowError
from ._common import Display, frame_index, frame_params, new_axes, nice_step, run_title, subset_data
from ._runinfo import class_labels, n_classes


def applies(run) -> bool:
    """A single classifier run stored with its data."""
    return run.population is None and run.split is not None and run.model.output in ("sigmoid", "softmax")


def default_split(run) -> str:
    """``test`` when the run has a test set, else ``train``."""
    return "test" if len(run.split.y_test) else "train"


class ConfusionMatrix(Display):
    """Counts of (true class, predicted class) on one part of the data at one frame.

    Attributes: ``counts`` (K, K) int64, rows the true class and columns the predicted one;
    ``per_class_accuracy`` (K,) the fraction of each true class predicted right (NaN for a class
    with no samples); ``accuracy``; ``class_names``; ``split``, ``frame``, ``step``, ``title``.
    """

    def __init__(self, *, counts, class_names, split, frame, step, title):
        self.counts = np.asarray(counts, dtype=np.int64)
        self.class_names = list(class_names)
        self.split, self.frame, self.step, self.title = split, frame, step, title
        totals = self.counts.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.per_class_accuracy = np.where(totals > 0, np.diag(self.counts) / totals, np.nan)
        n = int(self.counts.sum())
        self.accuracy = float(np.trace(self.counts)) / n if n else float("nan")
        self.figure_ = self.ax_ = None

    @classmethod
    def from_run(cls, run, frame=-1, split="test"):
        """split: ``train``, ``test`` or ``all``; frame: the weights used (default the last frame)."""
        if run.population is not None:
            raise WeightflowError(f"confusion matrix: expected a single run, got a population of {run.population} "
                                  "members; draw one member: from_run(run.member(0))")
        X, y = subset_data(run, split, "confusion matrix")
        f = frame_index(run, frame)
        predicted = run.model.predict(frame_params(run, f), X)
        k = n_classes(run)
        counts = np.zeros((k, k), dtype=np.int64)
        np.add.at(counts, (np.asarray(y, np.int64), np.asarray(predicted, np.int64)), 1)
        return cls(counts=counts, class_names=class_labels(run), split=split, frame=f, step=int(run.steps[f]),
                   title=run_title(run))

    def plot(self, ax=None):
        """Rows normalised to fractions (colour), counts written in the cells, per-class accuracy at the right."""
        k = len(self.class_names)
        size = min(11.0, 2.5 + 0.55 * k)
        fig, ax = new_axes(ax, (size + 1.2, size))
        totals = self.counts.sum(axis=1, keepdims=True)
        fractions = np.divide(self.counts, totals, out=np.zeros(self.counts.shape), where=totals > 0)
        im = ax.imshow(fractions, cmap="Blues", vmin=0, vmax=1, interpolation="nearest")
        fs = 9 if k <= 12 else 7
        for (i, j), c in np.ndenumerate(self.counts):
            if c:
                ax.text(j, i, str(c), ha="center", va="center", fontsize=fs,
                        color="white" if fractions[i, j] > 0.6 else "black")
        ticks = list(range(k))
        ax.set_xticks(ticks, self.class_names, fontsize=fs)
        ax.set_yticks(ticks, self.class_names, fontsize=fs)
        ax.set_xlabel("predicted class")
        ax.set_ylabel("true class")
        right = ax.secondary_yaxis("right")
        right.set_yticks(ticks, [("-" if np.isnan(a) else f"{a:.3f}") for a in self.per_class_accuracy],
                         fontsize=fs)
        right.set_ylabel("accuracy of the class (recall)")
        fig.colorbar(im, ax=ax, fraction=0.04, pad=0.14, label="fraction of the true class")
        ax.set_title(f"{self.title}\n{self.split} data, step {nice_step(self.step)}: accuracy {self.accuracy:.4f} "
                     f"({int(np.trace(self.counts))} of {int(self.counts.sum())})", fontsize=10)
        self.figure_, self.ax_ = fig, ax
        return self
