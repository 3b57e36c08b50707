"""Image data shown as images: example inputs, and each unit's input weights as a picture (seed 002's MNIST).

For logistic regression on MNIST the ten output units' weights are ten 28x28 templates, one per digit;
``UnitWeightImages(...).save("unit-weights.gif")`` shows them form over training. A run's inputs are
images when its features are named as pixels (``px_R_C`` as mnist, ``px0..pxN`` as digits; see
``_runinfo.image_shape``).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..errors import WeightflowError, bad_input
from ._common import (WEIGHT_CMAP, Display, frame_index, frame_params, history_at, nice_step, pyplot,
                      require_split, run_title)
from ._runinfo import class_labels, image_shape
from .movie import _anchor, _HeatMapPainter, _TextPen, write_gif, write_mp4

MISTAKE = "#d62728"
MOVIE_FRAMES = 300  # a longer run's movie keeps about this many frames


def inputs_apply(run) -> bool:
    """A single run stored with its data whose inputs are image pixels."""
    return run.population is None and run.split is not None and image_shape(run) is not None


def unit_weights_apply(run) -> bool:
    """A single run whose first layer reads image pixels."""
    return run.population is None and image_shape(run) is not None


def _grid(n: int, max_cols: int) -> tuple[int, int]:
    """(rows, cols) for n panels, about twice as wide as high, at most ``max_cols`` wide (10 -> 2 x 5)."""
    rows = max(1, round(math.sqrt(n / 2)))
    cols = min(max_cols, math.ceil(n / rows))
    return math.ceil(n / cols), cols


def _require_images(run, picture: str) -> tuple[int, int]:
    if run.population is not None:
        raise WeightflowError(f"{picture}: expected a single run, got a population of {run.population} "
                              "members; draw one member: from_run(run.member(0))")
    shape = image_shape(run)
    if shape is None:
        raise WeightflowError(f"{picture}: expected a run whose inputs are image pixels (features px_R_C or "
                              f"px0..pxN, e.g. mnist or digits), got {run.model.sizes[0]} inputs named otherwise; "
                              "draw the data with DataScatter instead")
    return shape


class InputImages(Display):
    """A grid of example inputs drawn as images: one row per class, its first ``per_class`` examples.

    Pixels are shown as they were before any standardisation. With the run's predictions (``frame``),
    a misclassified example gets a red frame and the predicted class under it.
    Attributes: ``images`` (rows, per_class, H, W) with NaN where a class has fewer examples, ``labels``
    (rows,) class names, ``predicted`` (rows, per_class) class indices or -1, ``truth`` (rows,),
    ``split``, ``step``, ``title``.
    """

    def __init__(self, *, images, labels, truth, predicted, class_names, split, step, title):
        self.images, self.labels, self.truth, self.predicted = images, labels, truth, predicted
        self.class_names, self.split, self.step, self.title = class_names, split, step, title
        self.figure_ = self.axes_ = None

    @classmethod
    def from_run(cls, run, *, per_class=8, split="train", frame=-1):
        """split: ``train`` or ``test``; per_class: examples shown per class (1..20)."""
        shape = _require_images(run, "input images")
        if not (isinstance(per_class, int) and 1 <= per_class <= 20):
            raise bad_input("input images per_class", "a whole number from 1 to 20", per_class, "e.g. per_class=8")
        if split not in ("train", "test"):
            raise bad_input("input images split", "train or test", split, "e.g. split='train'")
        s = require_split(run, "input images")
        X, y = (s.X_train, s.y_train) if split == "train" else (s.X_test, s.y_test)
        if len(y) == 0:
            raise bad_input("input images split", "a part with samples", f"no {split} samples", "use split='train'")
        f = frame_index(run, frame)
        names = class_labels(run)
        classes = [k for k in range(len(names)) if np.any(y == k)]
        images = np.full((len(classes), per_class, *shape), np.nan)
        predicted = np.full((len(classes), per_class), -1, dtype=np.int64)
        params = frame_params(run, f)
        for r, k in enumerate(classes):
            rows = np.flatnonzero(y == k)[:per_class]
            raw = np.asarray(X[rows], np.float64) * s.std + s.mean  # undo the standardisation, if any
            images[r, : len(rows)] = raw.reshape(len(rows), *shape)
            predicted[r, : len(rows)] = run.model.predict(params, X[rows])
        return cls(images=images, labels=[names[k] for k in classes], truth=np.asarray(classes), predicted=predicted,
                   class_names=names, split=split, step=int(run.steps[f]), title=run_title(run))

    def plot(self, axes=None):
        """One small image per example (ink dark on white, one grey scale for all)."""
        rows, cols = self.images.shape[:2]
        fig = pyplot().figure(figsize=(0.95 * cols + 0.8, 1.05 * rows + 0.9))
        grid = fig.subplots(rows, cols, squeeze=False)
        finite = self.images[np.isfinite(self.images)]
        vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        for r in range(rows):
            for c in range(cols):
                ax = grid[r][c]
                ax.set_xticks([])
                ax.set_yticks([])
                if c == 0:
                    ax.set_ylabel(self.labels[r], rotation=0, ha="right", va="center", fontsize=11)
                image = self.images[r, c]
                if not np.isfinite(image).all():
                    ax.set_axis_off()
                    continue
                ax.imshow(image, cmap="gray_r", vmin=vmin, vmax=vmax, interpolation="nearest")
                p = int(self.predicted[r, c])
                wrong = p >= 0 and p != self.truth[r]
                for spine in ax.spines.values():
                    spine.set_color(MISTAKE if wrong else "0.8")
                    spine.set_linewidth(2.5 if wrong else 0.6)
                if wrong:
                    ax.set_xlabel(f"as {self.class_names[p]}", color=MISTAKE, fontsize=8, labelpad=1)
        n_wrong = int(sum(int(p) >= 0 and p != self.truth[r] for r in range(rows) for p in self.predicted[r]))
        fig.suptitle(f"{self.title}\nfirst {cols} {self.split} examples of each class; red: misclassified at "
                     f"step {nice_step(self.step)} ({n_wrong} shown)", fontsize=10)
        fig.tight_layout()
        self.figure_, self.axes_ = fig, grid
        return self


class UnitWeightImages(Display):
    """Each unit's incoming weights from the image, drawn as an image (red positive, blue negative, 0 white).

    ``layer`` 0 is the first weight matrix (the only one whose inputs are pixels). For logistic regression
    on MNIST the units are the ten classes: ten 28x28 templates. Attributes: ``weights`` (F, units, H, W)
    for the frames kept (``steps`` (F,), ``frame_numbers`` (F,)), ``unit_names``, ``vmax`` (one colour
    scale for every frame), ``frame`` (the position in those frames that ``plot`` draws), ``loss``,
    ``accuracy`` (F,), ``n_units`` (all units; only the first ``max_units`` are kept), ``title``.
    """

    def __init__(self, *, weights, steps, frame_numbers, unit_names, n_units, frame, loss, accuracy, title):
        self.weights, self.steps, self.frame_numbers = weights, steps, frame_numbers
        self.unit_names, self.n_units, self.frame, self.title = unit_names, n_units, frame, title
        self.loss, self.accuracy = loss, accuracy
        finite = np.abs(weights[np.isfinite(weights)])
        self.vmax = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
        self.figure_ = self.axes_ = None

    @classmethod
    def from_run(cls, run, frame=-1, layer=0, *, max_units=64, every=None):
        """frame: the frame ``plot`` draws; every: keep every k-th frame for the movie (default: at most
        about 300 frames, always with the last and the chosen one)."""
        shape = _require_images(run, "unit weight images")
        if layer != 0:
            raise bad_input("unit weight images layer", "0 (the first layer, whose inputs are the pixels)", layer,
                            "use layer=0; deeper layers read hidden units, not pixels")
        if not (isinstance(max_units, int) and max_units >= 1):
            raise bad_input("unit weight images max_units", "a whole number >= 1", max_units, "e.g. max_units=64")
        f = frame_index(run, frame)
        n = len(run.steps)
        every = max(1, -(-n // MOVIE_FRAMES)) if every is None else every
        if not (isinstance(every, int) and every >= 1):
            raise bad_input("unit weight images every", "a whole number >= 1", every, "e.g. every=2")
        kept = sorted({*range(0, n, every), n - 1, f})
        W = run.frames[0]  # (F, pixels, units)
        units = int(W.shape[-1])
        shown = min(units, max_units)
        weights = np.stack([np.asarray(W[i])[:, :shown].T.reshape(shown, *shape) for i in kept]).astype(np.float64)
        last_layer = run.model.n_layers == 1
        names = class_labels(run) if last_layer and units > 1 else (
            ["output"] if last_layer else [f"h1.{j + 1}" for j in range(units)])
        return cls(weights=weights, steps=np.asarray(run.steps)[kept], frame_numbers=np.asarray(kept),
                   unit_names=names[:shown], n_units=units, frame=kept.index(f),
                   loss=np.asarray([history_at(run, "train_loss", i) for i in kept]),
                   accuracy=np.asarray([history_at(run, "train_accuracy", i) for i in kept]), title=run_title(run))

    # ------------------------------------------------------------------------------ layout
    def _build(self, fig):
        """Lay out the panels on ``fig``; returns (title text, [image per unit])."""
        units = self.weights.shape[1]
        rows, cols = _grid(units, 10 if units <= 10 else 8)
        cell = 1.25 if units <= 16 else 0.95
        fig.set_size_inches(max(cols * cell + 1.0, 6.0), rows * (cell + 0.2) + 1.05)
        w, h = fig.get_size_inches()
        fig.text(0.2 / w, 1 - 0.1 / h, self.title, ha="left", va="top", fontsize=9, color="0.3")
        fig.text(0.2 / w, 1 - 0.28 / h, "incoming weights of each unit: red +, blue -, one colour scale for every "
                 "frame" + (f"; first {units} of {self.n_units} units" if units < self.n_units else ""),
                 ha="left", va="top", fontsize=8, color="0.3")
        title = fig.text(0.2 / w, 1 - 0.5 / h, "", ha="left", va="top", fontsize=11, weight="bold")
        images = []
        top = 0.9
        for j in range(units):
            r, c = divmod(j, cols)
            left_in, bottom_in = 0.2 + c * cell, h - top - (r + 1) * (cell + 0.2) + 0.2
            ax = fig.add_axes((left_in / w, bottom_in / h, (cell - 0.12) / w, (cell - 0.12) / h))
            im = ax.imshow(self.weights[self.frame, j], cmap=WEIGHT_CMAP, vmin=-self.vmax, vmax=self.vmax,
                           interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(self.unit_names[j], fontsize=9, pad=2)
            images.append(im)
        cax = fig.add_axes(((0.2 + cols * cell + 0.05) / w, 0.25 / h, 0.12 / w, max(0.5, h - top - 0.35) / h))
        fig.colorbar(images[0], cax=cax).ax.tick_params(labelsize=8)
        return title, images

    def _title_text(self, i) -> str:
        words = [f"step {nice_step(self.steps[i])}"]
        if np.isfinite(self.loss[i]):
            words.append(f"train loss {self.loss[i]:.4g}")
        if np.isfinite(self.accuracy[i]):
            words.append(f"accuracy {self.accuracy[i]:.3f}")
        return "    ".join(words)

    def plot(self, ax=None, *, dpi=100):
        """Draw the chosen frame on a new pyplot figure (``ax`` is not used: the panels make their own layout)."""
        fig = pyplot().figure(dpi=dpi)
        title, _ = self._build(fig)
        title.set_text(self._title_text(self.frame))
        self.figure_, self.axes_ = fig, fig.axes
        return self

    def iter_frames(self, dpi=100):
        """Each kept frame as an RGB uint8 array (H, W, 3): the figure is drawn once, then only the pixels of
        the weight images and the title are painted per frame (as ``WeightMovie`` does)."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(dpi=dpi)
        canvas = FigureCanvasAgg(fig)
        title, images = self._build(fig)
        title.set_animated(True)
        for im in images:  # the painters fill each image's inside; its edge pixels stay as drawn here: white
            im.set_data(np.zeros_like(im.get_array()))
        canvas.draw()
        background = np.asarray(canvas.buffer_rgba())[..., :3].copy()
        renderer = canvas.get_renderer()
        height = background.shape[0]
        painters = [_HeatMapPainter(im, im.norm, height, renderer) for im in images]
        pen, xy = _TextPen(title, dpi), _anchor(title, renderer, height)
        self.figure_ = fig
        for i in range(len(self.steps)):
            buf = background.copy()
            for j, p in enumerate(painters):
                p.paint(buf, self.weights[i, j])
            pen.draw(buf, self._title_text(i), xy, "left", "black")
            yield buf

    def save(self, path, *, fps=None, dpi=100):
        """Write the movie over the kept frames as ``.gif`` or ``.mp4`` (about 12 s by default); returns the path."""
        path = Path(path)
        fps = float(min(50, max(5, round(len(self.steps) / 12)))) if fps is None else fps
        if not (isinstance(fps, (int, float)) and 0 < fps <= 100):
            raise bad_input("movie fps", "a number of frames per second in (0, 100]", fps, "e.g. fps=25")
        writers = {".gif": write_gif, ".mp4": write_mp4}
        if path.suffix.lower() not in writers:
            raise bad_input("movie file", "a name ending in .gif or .mp4", path.name, "e.g. unit-weights.gif")
        writers[path.suffix.lower()](self.iter_frames(dpi), path, fps)
        return path
