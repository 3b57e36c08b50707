"""Truth against prediction, mistakes highlighted (seed 003): false positives and false negatives."""

from __future__ import annotations

import numpy as np

from ._common import (CLASS_COLORS, Display, check_inputs, class_names, feature_names, frame_index,
                      frame_params, new_axes_row, nice_step, run_title, subset_data)

FP_COLOR, FN_COLOR = "#d62728", "#000000"


class Mistakes(Display):
    """Two panels over two inputs: points coloured by their true class, then by the predicted class
    with every mistake marked (binary: false positives as red crosses, false negatives as black rings;
    several classes: every misclassified point).

    Attributes: ``X``, ``y`` (the chosen subset), ``predicted``, ``mistakes`` (bool mask),
    ``false_positive``, ``false_negative`` (bool masks; binary only, positive = class 1),
    ``n_false_positive``, ``n_false_negative``, ``accuracy``, ``frame``, ``step``, ``subset``.
    """

    def __init__(self, *, X, y, predicted, mistakes, false_positive, false_negative, n_false_positive,
                 n_false_negative, accuracy, frame, step, subset, inputs, binary, feature_names, class_names,
                 n_classes, title=""):
        """X (n, d); y, predicted (n,) class indices; mistakes, false_positive, false_negative (n,) bool."""
        self.X, self.y, self.predicted, self.mistakes = X, y, predicted, mistakes
        self.false_positive, self.false_negative = false_positive, false_negative
        self.n_false_positive, self.n_false_negative, self.accuracy = n_false_positive, n_false_negative, accuracy
        self.frame, self.step, self.subset, self.inputs, self.binary = frame, step, subset, inputs, binary
        self.feature_names, self.class_names, self.n_classes, self.title = feature_names, class_names, n_classes, title

    @classmethod
    def from_run(cls, run, *, frame=-1, subset="all", inputs=None):
        """subset: ``train``, ``test`` or ``all``; inputs: the two inputs on the axes (default 0, 1)."""
        i, j = check_inputs(run, inputs, 2, "mistakes")
        X, y = subset_data(run, subset, "mistakes")
        f = frame_index(run, frame)
        pred = run.model.predict(frame_params(run, f), X)
        binary = max(2, run.model.sizes[-1]) == 2
        fp = (pred == 1) & (y == 0) if binary else np.zeros(len(y), bool)
        fn = (pred == 0) & (y == 1) if binary else np.zeros(len(y), bool)
        return cls(X=X, y=y, predicted=pred, mistakes=pred != y, false_positive=fp, false_negative=fn,
                   n_false_positive=int(fp.sum()), n_false_negative=int(fn.sum()),
                   accuracy=float((pred == y).mean()) if len(y) else float("nan"), frame=f,
                   step=int(run.steps[f]), subset=subset, inputs=(i, j), binary=binary,
                   feature_names=feature_names(run), class_names=class_names(run),
                   n_classes=max(2, run.model.sizes[-1]), title=run_title(run))

    def plot(self, axes=None):
        from matplotlib.lines import Line2D

        fig, axs = new_axes_row(axes, 2, (11, 5), sharex=True, sharey=True)
        i, j = self.inputs
        colors = np.asarray([CLASS_COLORS[c % len(CLASS_COLORS)] for c in range(self.n_classes)], dtype=object)
        size = 30 if len(self.y) < 100 else 12
        for a, labels, name in ((axs[0], self.y, "truth"), (axs[1], self.predicted, "prediction")):
            a.scatter(self.X[:, i], self.X[:, j], c=list(colors[labels % len(colors)]), s=size, linewidths=0)
            a.set_xlabel(self.feature_names[i])
            a.set_title(name)
            a.grid(alpha=0.2)
        axs[0].set_ylabel(self.feature_names[j])
        ax = axs[1]
        handles = [Line2D([], [], ls="", marker="o", color=colors[c], label=self.class_names[c]
                          if c < len(self.class_names) else str(c)) for c in range(self.n_classes)]
        if self.binary:
            fp, fn = self.false_positive, self.false_negative
            ax.scatter(self.X[fp, i], self.X[fp, j], marker="x", s=size * 2.5, c=FP_COLOR, linewidths=1.6)
            ax.scatter(self.X[fn, i], self.X[fn, j], marker="o", s=size * 3.5, facecolors="none",
                       edgecolors=FN_COLOR, linewidths=1.4)
            handles += [Line2D([], [], ls="", marker="x", color=FP_COLOR, mew=1.6,
                               label=f"false positive ({self.n_false_positive})"),
                        Line2D([], [], ls="", marker="o", mfc="none", color=FN_COLOR, mew=1.4,
                               label=f"false negative ({self.n_false_negative})")]
        else:
            m = self.mistakes
            ax.scatter(self.X[m, i], self.X[m, j], marker="x", s=size * 2.5, c=FP_COLOR, linewidths=1.6)
            handles.append(Line2D([], [], ls="", marker="x", color=FP_COLOR, label=f"mistake ({int(m.sum())})"))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=9)
        fig.suptitle(f"{self.title}\n{self.subset} data, step {nice_step(self.step)}: accuracy {self.accuracy:.3f}, "
                     f"{int(self.mistakes.sum())} of {len(self.y)} wrong", fontsize=10)
        if axes is None:
            fig.tight_layout()
        self.figure_, self.axes_ = fig, axs
        return self
