"""The data: a 2-D scatter of two inputs, a 3-D scatter of three (seed 001, with an equal-scale option)."""

from __future__ import annotations

import numpy as np

from ._common import CLASS_COLORS, Display, check_inputs, class_names, feature_names, new_axes, run_title, \
    require_split


def _standardised(run) -> bool:
    return run.config.data.standardize


class DataScatter(Display):
    """Training (filled) and test (hollow) points over two inputs, coloured by class.

    Attributes: ``inputs``, ``X_train``, ``y_train``, ``X_test``, ``y_test``.
    """

    def __init__(self, *, inputs, X_train, y_train, X_test, y_test, feature_names, class_names, title="",
                 standardised=False):
        """inputs: two input indices; X_train (n, d), y_train (n,), X_test (m, d), y_test (m,)."""
        self.inputs, self.X_train, self.y_train, self.X_test, self.y_test = inputs, X_train, y_train, X_test, y_test
        self.feature_names, self.class_names, self.title = feature_names, class_names, title
        self.standardised = standardised

    @classmethod
    def from_run(cls, run, *, inputs=None):
        idx = check_inputs(run, inputs, 2, "data")
        s = require_split(run, "data")
        return cls(inputs=idx, X_train=np.asarray(s.X_train), y_train=np.asarray(s.y_train),
                   X_test=np.asarray(s.X_test), y_test=np.asarray(s.y_test), feature_names=feature_names(run),
                   class_names=class_names(run), title=run_title(run), standardised=_standardised(run))

    def plot(self, ax=None):
        fig, ax = new_axes(ax, (6.4, 5))
        i, j = self.inputs
        classes = np.unique(np.concatenate([self.y_train, self.y_test]))
        size = 30 if len(self.y_train) < 100 else 12
        for c in classes:
            color = CLASS_COLORS[int(c) % len(CLASS_COLORS)]
            name = self.class_names[c] if c < len(self.class_names) else str(c)
            tr, te = self.y_train == c, self.y_test == c
            ax.scatter(self.X_train[tr, i], self.X_train[tr, j], s=size, color=color, linewidths=0,
                       label=f"{name} (train {int(tr.sum())})")
            if te.any():
                ax.scatter(self.X_test[te, i], self.X_test[te, j], s=size * 1.3, facecolors="none",
                           edgecolors=color, linewidths=1.0, label=f"{name} (test {int(te.sum())})")
        suffix = " (standardised)" if self.standardised else ""
        ax.set_xlabel(self.feature_names[i] + suffix)
        ax.set_ylabel(self.feature_names[j] + suffix)
        ax.grid(alpha=0.2)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=9, title="class")
        ax.set_title(self.title, fontsize=10)
        self.figure_, self.ax_ = fig, ax
        return self


class DataScatter3D(Display):
    """Three inputs in 3-D (seed 001: x1, x2 and the first noise coordinate), coloured by class.

    ``equal=True`` puts the same scale on all three axes, which shows how flat the noise dimensions
    are. Attributes: ``inputs``, ``X`` (all points), ``y``, ``equal``; after ``plot``: ``limits_``.
    """

    def __init__(self, *, inputs, X, y, feature_names, class_names, equal=False, title=""):
        """inputs: three input indices; X (n, d) every point, train then test; y (n,)."""
        self.inputs, self.X, self.y, self.equal = inputs, X, y, equal
        self.feature_names, self.class_names, self.title = feature_names, class_names, title

    @classmethod
    def from_run(cls, run, *, inputs=None, equal=False):
        idx = check_inputs(run, inputs, 3, "data 3-D")
        s = require_split(run, "data 3-D")
        X = np.concatenate([s.X_train, s.X_test]) if len(s.y_test) else np.asarray(s.X_train)
        y = np.concatenate([s.y_train, s.y_test]) if len(s.y_test) else np.asarray(s.y_train)
        return cls(inputs=idx, X=X, y=y, equal=bool(equal), feature_names=feature_names(run),
                   class_names=class_names(run), title=run_title(run))

    def plot(self, ax=None):
        fig, ax = new_axes(ax, (6.5, 5.6), projection="3d")
        i, j, k = self.inputs
        size = 14 if len(self.y) < 500 else 6
        for c in np.unique(self.y):
            m = self.y == c
            name = self.class_names[c] if c < len(self.class_names) else str(c)
            ax.scatter(self.X[m, i], self.X[m, j], self.X[m, k], s=size, color=CLASS_COLORS[int(c) % 10],
                       label=name, depthshade=False)
        if self.equal:
            lo = self.X[:, [i, j, k]].min(axis=0)
            hi = self.X[:, [i, j, k]].max(axis=0)
            mid, half = (lo + hi) / 2, (hi - lo).max() / 2
            for setter, m in zip((ax.set_xlim, ax.set_ylim, ax.set_zlim), mid):
                setter(m - half, m + half)
            ax.set_box_aspect((1, 1, 1))
        self.limits_ = (ax.get_xlim(), ax.get_ylim(), ax.get_zlim())
        ax.set_xlabel(self.feature_names[i])
        ax.set_ylabel(self.feature_names[j])
        ax.set_zlabel(self.feature_names[k])
        ax.tick_params(labelsize=7)
        ax.legend(title="class", fontsize=8, loc="upper left")
        ax.set_title(self.title + ("\nequal scale on all axes" if self.equal else ""), fontsize=10)
        self.figure_, self.ax_ = fig, ax
        return self
