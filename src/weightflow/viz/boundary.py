"""Decision boundaries: the predicted class on a grid over two inputs, with the data on top (seed 002).

Predictions are pure numpy (``run.model.forward_numpy``) with the parameters of any recorded frame.
With more than two inputs the grid lies in the plane of two chosen inputs, the others held at their
mean over the training data.
"""

from __future__ import annotations

import numpy as np

from ._common import (CLASS_COLORS, Display, check_inputs, class_names, feature_names, frame_index,
                      frame_params, new_axes, new_axes_row, nice_step, require_split, run_title)


class DecisionBoundary(Display):
    """The predicted class on a ``resolution`` x ``resolution`` grid at one frame.

    Attributes: ``inputs`` (the two input indices spanning the plane), ``xx``, ``yy`` (grid
    coordinates), ``points`` (the grid as model inputs, (resolution**2, d)), ``classes`` (predicted
    class per grid point, shaped like ``xx``), ``proba`` (the positive class's probability for a
    sigmoid output, else the winning class's), ``frame``, ``step``, ``held`` (the values of the other
    inputs), the data (``X_train``, ``y_train``, ``X_test``, ``y_test``).
    """

    def __init__(self, *, inputs, xx, yy, points, classes, proba, frame, step, held, X_train, y_train, X_test,
                 y_test, feature_names, class_names, n_classes, sigmoid, extent, title=""):
        """xx, yy, classes, proba: (resolution, resolution); points: (resolution**2, d); held: (d,);
        X_train (n, d), y_train (n,), X_test (m, d), y_test (m,); extent: (xmin, xmax, ymin, ymax)."""
        self.inputs, self.xx, self.yy, self.points = inputs, xx, yy, points
        self.classes, self.proba, self.frame, self.step, self.held = classes, proba, frame, step, held
        self.X_train, self.y_train, self.X_test, self.y_test = X_train, y_train, X_test, y_test
        self.feature_names, self.class_names, self.n_classes = feature_names, class_names, n_classes
        self.sigmoid, self.extent, self.title = sigmoid, extent, title

    @classmethod
    def from_run(cls, run, *, frame=-1, inputs=None, resolution=200, margin=0.1, extent=None):
        """frame: frame index (0 = initial weights, -1 = last). inputs: two input indices (default 0, 1).

        extent: ``(xmin, xmax, ymin, ymax)``; default the data's range plus ``margin`` on each side.
        """
        i, j = check_inputs(run, inputs, 2, "boundary")
        s = require_split(run, "boundary")
        f = frame_index(run, frame)
        params = frame_params(run, f)
        X = np.concatenate([s.X_train, s.X_test]) if len(s.y_test) else np.asarray(s.X_train)
        if extent is None:
            lo, hi = X[:, [i, j]].min(axis=0), X[:, [i, j]].max(axis=0)
            pad = np.maximum((hi - lo) * margin, 1e-3)
            extent = (lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1])
        resolution = int(resolution)
        xs = np.linspace(extent[0], extent[1], resolution)
        ys = np.linspace(extent[2], extent[3], resolution)
        xx, yy = np.meshgrid(xs, ys)
        held = np.asarray(s.X_train, np.float64).mean(axis=0)
        points = np.tile(held, (xx.size, 1))
        points[:, i], points[:, j] = xx.ravel(), yy.ravel()
        _, out = run.model.forward_numpy(params, points)
        if out.shape[1] == 1:
            classes = (out[:, 0] >= 0.5).astype(np.int64)
            proba = out[:, 0]
        else:
            classes = np.argmax(out, axis=1)
            proba = out.max(axis=1)
        names = feature_names(run)
        return cls(inputs=(i, j), xx=xx, yy=yy, points=points, classes=classes.reshape(xx.shape),
                   proba=proba.reshape(xx.shape), frame=f, step=int(run.steps[f]), held=held,
                   X_train=np.asarray(s.X_train), y_train=np.asarray(s.y_train), X_test=np.asarray(s.X_test),
                   y_test=np.asarray(s.y_test), feature_names=names, class_names=class_names(run),
                   n_classes=max(2, run.model.sizes[-1]), sigmoid=out.shape[1] == 1, title=run_title(run),
                   extent=tuple(float(e) for e in extent))

    def plot(self, ax=None, *, show_title=True, legend=True):
        own = ax is None
        from matplotlib.colors import ListedColormap
        from matplotlib.lines import Line2D

        fig, ax = new_axes(ax, (5.6, 5))
        k = self.n_classes
        colors = [CLASS_COLORS[c % len(CLASS_COLORS)] for c in range(k)]
        ax.pcolormesh(self.xx, self.yy, self.classes, cmap=ListedColormap(colors), vmin=-0.5, vmax=k - 0.5,
                      alpha=0.25, shading="auto", rasterized=True)
        if self.sigmoid and 0 < self.classes.mean() < 1:
            ax.contour(self.xx, self.yy, self.proba, levels=[0.5], colors="0.2", linewidths=1.2)
        i, j = self.inputs
        for X, y, marker, face in ((self.X_train, self.y_train, "o", True), (self.X_test, self.y_test, "^", False)):
            if len(y) == 0:
                continue
            c = np.asarray(colors, dtype=object)[np.asarray(y) % len(colors)]
            size = 36 if len(y) < 50 else 14
            if face:
                ax.scatter(X[:, i], X[:, j], c=list(c), marker=marker, s=size, edgecolors="white", linewidths=0.4)
            else:
                ax.scatter(X[:, i], X[:, j], facecolors="none", edgecolors=list(c), marker=marker, s=size * 1.3,
                           linewidths=1.0)
        ax.set_xlim(self.extent[:2])
        ax.set_ylim(self.extent[2:])
        ax.set_xlabel(self.feature_names[i])
        ax.set_ylabel(self.feature_names[j])
        if show_title:
            t = f"step {nice_step(self.step)}"
            others = [n for m, n in enumerate(self.feature_names) if m not in (i, j)]
            if others:
                t += f"  ({', '.join(others) if len(others) <= 3 else f'{len(others)} other inputs'} at their mean)"
            ax.set_title(f"{self.title}\n{t}" if own else t, fontsize=10)
        if legend:
            handles = [Line2D([], [], ls="", marker="s", ms=9, color=colors[c], alpha=0.45,
                              label=f"predicted {self.class_names[c] if c < len(self.class_names) else c}")
                       for c in range(k)]
            handles += [Line2D([], [], ls="", marker="o", color="0.4", label="train"),
                        Line2D([], [], ls="", marker="^", mfc="none", color="0.4", label="test")]
            ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
        self.figure_, self.ax_ = fig, ax
        return self


class BoundaryPanels(Display):
    """Decision boundaries at several frames side by side (default before and after training)."""

    def __init__(self, panels, title):
        self.panels, self.title = panels, title

    @classmethod
    def from_run(cls, run, *, frames=(0, -1), **options):
        return cls([DecisionBoundary.from_run(run, frame=f, **options) for f in frames], run_title(run))

    def plot(self, axes=None):
        n = len(self.panels)
        fig, axs = new_axes_row(axes, n, (4.6 * n + 1.6, 4.6), sharex=True, sharey=True)
        for k, (p, a) in enumerate(zip(self.panels, axs)):
            p.plot(a, legend=k == n - 1)
            label = "before training" if p.frame == 0 else ("after training" if k == n - 1 else "")
            a.set_title(f"{label}, step {nice_step(p.step)}" if label else f"step {nice_step(p.step)}", fontsize=10)
            if k:
                a.set_ylabel("")
        fig.suptitle(self.title, fontsize=10, color="0.3")
        if axes is None:
            fig.tight_layout()
        self.figure_, self.axes_ = fig, axs
        return self
