"""The weight movie: every layer's W (and b) as a heat map per recorded frame.

Each parameter keeps one colour scale for the whole movie, symmetric around 0 (``vmax`` = the
largest |w| it reaches in any frame), drawn with its colour bar; the title carries the step and the
train loss. Small matrices get their values written in the cells, so weights near 0 stay readable
whatever the scale.

Rendering is fast because the figure is drawn once: per frame only the images, the cell values and
the title are redrawn over a saved background (Agg blitting), and the pixels go straight to Pillow
(GIF) or imageio-ffmpeg (MP4). The figure is a bare ``matplotlib.figure.Figure`` with its own Agg
canvas, so writing a movie never touches the user's pyplot backend.
"""

from __future__ import annotations

import functools

import math
from pathlib import Path

import numpy as np

from ..errors import bad_input
from ..validate import index
from ._common import (WEIGHT_CMAP, Display, class_names, feature_names, nice_step, pyplot,
                      run_title)

CELL = 0.42  # inches per matrix cell, before clipping to the panel limits
MAX_W, MAX_H, MIN_W, MIN_H = 8.5, 5.0, 1.1, 0.9
BIAS_W, CBAR_W, CBAR_GAP, CBAR_LABELS, PANEL_GAP = 0.42, 0.12, 0.08, 0.6, 0.35


def _unit_names(run, layer: int) -> list[str]:
    """Names of the units a layer feeds: hidden ``h{layer}.{j}``, output classes or ``out``."""
    sizes = run.model.sizes
    n = sizes[layer + 1]
    if layer + 1 == len(sizes) - 1:
        if run.model.output == "softmax":
            names = class_names(run)
            return names[:n] if len(names) >= n else [f"out{j + 1}" for j in range(n)]
        return ["out"] if n == 1 else [f"out{j + 1}" for j in range(n)]
    return [f"h{j + 1}" if len(sizes) == 3 else f"h{layer + 1}.{j + 1}" for j in range(n)]


def _input_names(run, layer: int) -> list[str]:
    return feature_names(run) if layer == 0 else _unit_names(run, layer - 1)


@functools.lru_cache(maxsize=16)
def _colormap(cmap):
    """A colormap object from its name (matplotlib's registry hands out a copy per lookup)."""
    from matplotlib import colormaps

    return colormaps[cmap] if isinstance(cmap, str) else cmap


def _fmt(v: float) -> str:
    a = abs(v)
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 0.01 or a == 0:
        return f"{v:.2f}"
    return f"{v:.0e}".replace("e-0", "e-")


class WeightMovie(Display):
    """Heat maps of the chosen parameters at every recorded frame.

    Build with ``WeightMovie.from_run(run)``; ``plot(frame=-1)`` draws one frame, ``save("w.gif")``
    or ``save("w.mp4")`` writes the movie, ``animation()`` gives a matplotlib ``FuncAnimation``.

    Attributes: ``names`` (the parameters shown), ``matrices`` (per parameter, (F, rows, cols): W is
    shown transposed, one row per unit it feeds and one column per input, b as a column),
    ``vmax`` (per parameter, the fixed symmetric scale), ``frames`` (the frame indices in the movie),
    ``steps``, ``loss``, ``accuracy`` (per movie frame), ``cmap``.
    """

    def __init__(self, names, matrices, vmax, frames, steps, loss, accuracy, row_names, col_names, cmap,
                 title, annotate, total_steps):
        self.names, self.matrices, self.vmax = names, matrices, vmax
        self.frames, self.steps, self.loss, self.accuracy = frames, steps, loss, accuracy
        self.row_names, self.col_names, self.cmap, self.title = row_names, col_names, cmap, title
        self.annotate, self.total_steps = annotate, total_steps
        self.norms_ = None

    @classmethod
    def from_run(cls, run, params=None, *, cmap=WEIGHT_CMAP, vmax=None, share=False, every=1,
                 annotate="auto"):
        """Collect the frames.

        params: parameter names to show (default all: ``W1, b1, W2, ...``).
        cmap: a matplotlib colormap name; diverging ones (the default ``RdBu_r``) show 0 as white.
        vmax: a fixed scale ``[-vmax, vmax]`` for every panel (seed 001 used ``cmap='hot', vmax=1``);
            default: per parameter, the largest |w| over all frames.
        share: one scale for all panels (the largest |w| of any shown parameter).
        every: keep every k-th frame (the movie of a long run at a lower frame count).
        annotate: write the values in the cells: ``True``, ``False`` or ``"auto"`` (panels of at most 40 cells).
        """
        all_names = run.model.param_names
        if params is None:
            names = list(all_names)
        else:
            names = [params] if isinstance(params, str) else list(params)
            unknown = [n for n in names if n not in all_names]
            if unknown or not names:
                raise bad_input("movie params", "names from " + ", ".join(all_names), unknown or names,
                                f"e.g. params=['{all_names[0]}']")
        try:
            every = int(every)
            assert every >= 1
        except (TypeError, ValueError, AssertionError):
            raise bad_input("movie every", "a whole number >= 1", every, "e.g. every=2 for every other frame") from None
        if vmax is not None and not (isinstance(vmax, (int, float)) and math.isfinite(vmax) and vmax > 0):
            raise bad_input("movie vmax", "a number > 0", vmax, "e.g. vmax=1 (scale -1 .. 1)")
        n_frames = len(run.steps)
        idx = np.arange(0, n_frames, every)
        matrices, row_names, col_names = {}, {}, {}
        for name in names:
            k = all_names.index(name)
            layer = k // 2 if run.model.bias else k
            f = np.asarray(run.frames[k])[idx].astype(np.float32)
            if name.startswith("W"):
                matrices[name] = np.transpose(f, (0, 2, 1))  # (F, units, inputs)
                col_names[name] = _input_names(run, layer)
            else:
                matrices[name] = f[:, :, None]  # (F, units, 1)
                col_names[name] = [name]
            row_names[name] = _unit_names(run, layer)
        finite = {n: m[np.isfinite(m)] for n, m in matrices.items()}
        scale = {n: float(np.abs(v).max()) if v.size else 0.0 for n, v in finite.items()}
        if vmax is not None:
            scale = {n: float(vmax) for n in names}
        elif share:
            top = max(scale.values())
            scale = {n: top for n in names}
        scale = {n: (v if v > 0 else 1.0) for n, v in scale.items()}
        hist = run.history
        loss = np.asarray(hist.get("train_loss", np.full(n_frames, np.nan)), float)[idx]
        acc = np.asarray(hist.get("train_accuracy", np.full(n_frames, np.nan)), float)[idx]
        total = run.metrics.get("steps")
        return cls(names, matrices, scale, idx, np.asarray(run.steps)[idx], loss, acc, row_names, col_names,
                   cmap, run_title(run), annotate, total)

    # ------------------------------------------------------------------------------ layout
    def __len__(self) -> int:
        return len(self.frames)

    def _annotated(self, name) -> bool:
        rows, cols = self.matrices[name].shape[1:]
        return bool(self.annotate) if self.annotate != "auto" else rows * cols <= 40 and cols <= 16

    def _rows(self):
        """Panels grouped per layer: ``[[W1, b1], [W2, b2], ...]`` (whichever are shown)."""
        rows, current = [], {}
        for name in self.names:
            layer = name[1:]
            if layer not in current:
                current[layer] = []
                rows.append(current[layer])
            current[layer].append(name)
        return rows

    def _panel_size(self, name):
        rows, cols = self.matrices[name].shape[1:]
        h = min(MAX_H, max(MIN_H, rows * CELL))
        w = BIAS_W if cols == 1 and name.startswith("b") else min(MAX_W, max(MIN_W, cols * CELL))
        return w, h

    @staticmethod
    def _tick_space(labels, rotate) -> float:
        longest = max((len(s) for s in labels), default=1)
        return 0.07 * longest + 0.15 if rotate else 0.25

    def _rotate(self, name) -> bool:
        labels = self.col_names[name]
        return len(labels) > 6 and max(len(s) for s in labels) > 2 or max(len(s) for s in labels) > 5

    def _build(self, fig):
        """Place every panel on ``fig`` (sized here) and return the per-frame artists."""
        from matplotlib import colors

        ylab = max(len(s) for n in self.names for s in self.row_names[n])
        left = 0.35 + 0.07 * ylab
        rows = self._rows()
        # sizes in inches
        heights, widths = [], []
        for row in rows:
            h = max(self._panel_size(n)[1] for n in row)
            below = max(self._tick_space(self._shown_ticks(self.col_names[n])[1], self._rotate(n)) for n in row)
            heights.append((h, below + 0.1))
            w = left
            for n in row:
                w += self._panel_size(n)[0] + CBAR_GAP + CBAR_W + CBAR_LABELS + PANEL_GAP
            widths.append(w)
        top = 0.75
        header = max(0.075 * (len(self.title) + 45), 0.105 * len(self._title_text(len(self.frames) - 1)))
        fig_w = max(max(widths) + 0.1, 0.45 + header, 4.8)
        fig_h = top + sum(0.3 + h + b for h, b in heights) + 0.05
        dpi = fig.dpi
        fig_w = math.ceil(fig_w * dpi / 16) * 16 / dpi  # whole macro blocks for MP4
        fig_h = math.ceil(fig_h * dpi / 16) * 16 / dpi
        fig.set_size_inches(fig_w, fig_h)

        def box(x, y_top, w, h):  # inches from the top-left -> figure fraction
            return [x / fig_w, 1 - (y_top + h) / fig_h, w / fig_w, h / fig_h]

        fig.text(0.35 / fig_w, 1 - 0.12 / fig_h, f"{self.title};  colour scale fixed for the whole movie", ha="left", va="top", fontsize=10, color="0.3")
        title = fig.text(0.35 / fig_w, 1 - 0.38 / fig_h, "", ha="left", va="top", fontsize=12, weight="bold")
        images, texts, self.norms_ = {}, {}, {}
        y = top
        for row, (h, below) in zip(rows, heights):
            x = left
            for n in row:
                pw, ph = self._panel_size(n)
                ax = fig.add_axes(box(x, y + 0.3, pw, ph))
                norm = colors.Normalize(vmin=-self.vmax[n], vmax=self.vmax[n])
                self.norms_[n] = norm
                m = self.matrices[n][0]
                im = ax.imshow(m, cmap=self.cmap, norm=norm, aspect="auto", interpolation="nearest")
                im.set_animated(True)
                images[n] = im
                ax.set_title(self._panel_title(n), fontsize=10, loc="left")
                self._ticks(ax, n)
                cax = fig.add_axes(box(x + pw + CBAR_GAP, y + 0.3, CBAR_W, ph))
                cb = fig.colorbar(im, cax=cax)
                cb.ax.tick_params(labelsize=8)
                cb.ax.locator_params(nbins=5)
                if self._annotated(n):
                    rows_, cols_ = m.shape
                    fs = 7 if cols_ > 8 or pw / cols_ < 0.5 else 8
                    texts[n] = [[ax.text(j, i, "", ha="center", va="center", fontsize=fs, animated=True)
                                 for j in range(cols_)] for i in range(rows_)]
                x += pw + CBAR_GAP + CBAR_W + CBAR_LABELS + PANEL_GAP
            y += 0.3 + h + below
        return title, images, texts

    def _ink(self, n, v: float) -> str:
        """Black or white, whichever reads on the cell's own colour (any colormap, values past vmax too)."""
        r, g, b, _ = _colormap(self.cmap)(self.norms_[n](v))
        return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"

    def _panel_title(self, n):
        return f"{n}  (unit × input)" if n.startswith("W") and self._panel_size(n)[0] >= 1.6 else n

    @staticmethod
    def _shown_ticks(labels):
        """Tick positions and labels, thinned to at most about 20."""
        k = max(1, math.ceil(len(labels) / 20))
        pos = list(range(0, len(labels), k))
        return pos, [labels[i] for i in pos]

    def _ticks(self, ax, n):
        rows, cols = self.matrices[n].shape[1:]
        pos, lab = self._shown_ticks(self.col_names[n])
        if n.startswith("b"):
            ax.set_xticks([])
        else:
            ax.set_xticks(pos, lab, fontsize=8, rotation=90 if self._rotate(n) else 0)
        pos, lab = self._shown_ticks(self.row_names[n])
        ax.set_yticks(pos, lab if n.startswith("W") or len(self.names) == 1 or self._alone(n) else [""] * len(pos),
                      fontsize=8)
        ax.tick_params(length=2)

    def _alone(self, n) -> bool:
        return f"W{n[1:]}" not in self.names

    def _title_text(self, i) -> str:
        step, loss, acc = self.steps[i], self.loss[i], self.accuracy[i]
        words = [f"step {nice_step(step)}"]
        if self.total_steps:
            words[0] += f" of {nice_step(self.total_steps)}"
        if np.isfinite(loss):
            words.append(f"train loss {loss:.4g}")
        if np.isfinite(acc):
            words.append(f"accuracy {acc:.3f}")
        return "    ".join(words)

    def _update(self, i, title, images, texts):
        """Set the artists to movie frame ``i``; returns them."""
        title.set_text(self._title_text(i))
        changed = [title]
        for n, im in images.items():
            m = self.matrices[n][i]
            im.set_data(m)
            changed.append(im)
            if n in texts:
                for r, row in enumerate(texts[n]):
                    for c, t in enumerate(row):
                        v = float(m[r, c])
                        t.set_text(_fmt(v))
                        t.set_color(self._ink(n, v))
                        changed.append(t)
        return changed

    # ------------------------------------------------------------------------------ drawing
    def plot(self, ax=None, *, frame=-1, dpi=100):
        """Draw one movie frame (default the last) on a new pyplot figure; returns self.

        ``ax`` is not used for a movie of several panels (a movie lays out its own figure); pass
        ``params=['W1']`` to ``from_run`` and an ``ax`` to draw a single heat map into it.
        """
        n = len(self.frames)
        i = index(frame, n, "movie frame", f"an index from {-n} to {n - 1}", "use -1 for the last frame")
        if ax is not None:
            if len(self.names) != 1:
                raise bad_input("movie ax", "a movie of one parameter when an ax is given",
                                f"{len(self.names)} parameters", "use from_run(run, params=['W1'])")
            return self._plot_one(ax, i)
        fig = pyplot().figure(dpi=dpi)
        title, images, texts = self._build(fig)
        for a in self._update(i, title, images, texts):
            a.set_animated(False)
        self.figure_, self.axes_ = fig, fig.axes
        return self

    def _plot_one(self, ax, i):
        from matplotlib import colors

        n = self.names[0]
        norm = colors.Normalize(vmin=-self.vmax[n], vmax=self.vmax[n])
        self.norms_ = {n: norm}
        im = ax.imshow(self.matrices[n][i], cmap=self.cmap, norm=norm, aspect="auto", interpolation="nearest")
        ax.figure.colorbar(im, ax=ax)
        self._ticks(ax, n)
        ax.set_title(f"{n} at step {nice_step(self.steps[i])}")
        self.figure_, self.ax_ = ax.figure, ax
        return self

    def iter_frames(self, dpi=100):
        """Yield each movie frame as an RGB uint8 array (H, W, 3).

        The figure (axes, ticks, colour bars, labels) is drawn once by matplotlib; per frame the heat
        maps are painted from the colormap's lookup table and the changing text is rasterised with
        matplotlib's own FreeType fonts straight into a copy of that background: about 2 ms a frame
        instead of 20 for a full redraw.
        """
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(dpi=dpi)
        canvas = FigureCanvasAgg(fig)
        title, images, texts = self._build(fig)
        title.set_animated(True)
        canvas.draw()  # everything but the animated artists
        background = np.asarray(canvas.buffer_rgba())[..., :3].copy()
        self.figure_ = fig
        renderer = canvas.get_renderer()
        height = background.shape[0]
        painters = [_HeatMapPainter(im, self.norms_[n], height, renderer) for n, im in images.items()]
        title_pen = _TextPen(title, dpi)
        cell_pens = {n: _TextPen(rows[0][0], dpi) for n, rows in texts.items()}
        title_xy = _anchor(title, renderer, height)
        for i in range(len(self.frames)):
            buf = background.copy()
            for p, n in zip(painters, images):
                p.paint(buf, self.matrices[n][i])
            title_pen.draw(buf, self._title_text(i), title_xy, "left", "black")
            for n, rows in texts.items():
                m = self.matrices[n][i]
                pen = cell_pens[n]
                for r, row in enumerate(rows):
                    for c, t in enumerate(row):
                        v = float(m[r, c])
                        pen.draw(buf, _fmt(v), painters[list(images).index(n)].cell_center(r, c), "center",
                                 self._ink(n, v))
            yield buf

    def default_fps(self) -> float:
        """About 12 s of movie, between 5 and 50 frames per second."""
        return float(min(50, max(5, round(len(self.frames) / 12))))

    def save(self, path, *, fps=None, dpi=100):
        """Write the movie as ``.gif`` (Pillow) or ``.mp4`` (imageio-ffmpeg's own ffmpeg); returns the path."""
        path = Path(path)
        suffix = path.suffix.lower()
        fps = self.default_fps() if fps is None else fps
        if not (isinstance(fps, (int, float)) and 0 < fps <= 100):
            raise bad_input("movie fps", "a number of frames per second in (0, 100]", fps, "e.g. fps=25")
        if suffix == ".gif":
            write_gif(self.iter_frames(dpi), path, fps)
        elif suffix == ".mp4":
            write_mp4(self.iter_frames(dpi), path, fps)
        else:
            raise bad_input("movie file", "a name ending in .gif or .mp4", path.name, "e.g. weights.gif")
        return path

    def animation(self, *, interval=None, dpi=100):
        """A matplotlib ``FuncAnimation`` on a new pyplot figure (for interactive backends, ``to_jshtml``)."""
        from matplotlib.animation import FuncAnimation

        fig = pyplot().figure(dpi=dpi)
        title, images, texts = self._build(fig)
        interval = 1000 / self.default_fps() if interval is None else interval
        self.figure_ = fig
        return FuncAnimation(fig, lambda i: self._update(i, title, images, texts), frames=len(self.frames),
                             interval=interval, blit=True)

    def to_gif_bytes(self, *, fps=None, dpi=80) -> bytes:
        import io

        buf = io.BytesIO()
        write_gif(self.iter_frames(dpi), buf, self.default_fps() if fps is None else fps)
        return buf.getvalue()


# ------------------------------------------------------------------------------- fast painting
def _anchor(text, renderer, height):
    """Pixel (x, baseline row) of a text artist's anchor, in buffer coordinates (row 0 at the top)."""
    x, y = text.get_transform().transform(text.get_position())
    return float(x), float(height - y)


class _HeatMapPainter:
    """Paints a matrix into the pixels of an ``imshow`` axes through the colormap's lookup table."""

    def __init__(self, image, norm, height, renderer):
        cmap = image.get_cmap()
        self.lut = (cmap(np.linspace(0, 1, cmap.N)) [:, :3] * 255).round().astype(np.uint8)
        self.bad = (np.asarray(cmap.get_bad()[:3]) * 255).round().astype(np.uint8)
        self.n, self.vmin, self.vmax = cmap.N, norm.vmin, norm.vmax
        box = image.axes.get_window_extent(renderer)
        self.c0, self.c1 = int(round(box.x0)), int(round(box.x1))
        self.r0, self.r1 = int(round(height - box.y1)), int(round(height - box.y0))
        rows, cols = image.get_array().shape[:2]
        self.rows, self.cols = rows, cols
        self.row_of = np.minimum((np.arange(self.r0 + 1, self.r1 - 1) - self.r0) * rows // max(1, self.r1 - self.r0),
                                 rows - 1)
        self.col_of = np.minimum((np.arange(self.c0 + 1, self.c1 - 1) - self.c0) * cols // max(1, self.c1 - self.c0),
                                 cols - 1)

    def colors(self, m):
        m = np.asarray(m, np.float64)
        x = (m - self.vmin) / (self.vmax - self.vmin)
        idx = np.clip((x * self.n).astype(np.int64, copy=False) if np.all(np.isfinite(x)) else
                      np.nan_to_num(x * self.n).astype(np.int64), 0, self.n - 1)
        rgb = self.lut[idx]
        bad = ~np.isfinite(m)
        if bad.any():
            rgb[bad] = self.bad
        return rgb

    def paint(self, buf, m):
        rgb = self.colors(m)
        buf[self.r0 + 1:self.r1 - 1, self.c0 + 1:self.c1 - 1] = rgb[self.row_of[:, None], self.col_of[None, :]]

    def cell_center(self, r, c):
        return (self.c0 + (c + 0.5) * (self.c1 - self.c0) / self.cols,
                self.r0 + (r + 0.5) * (self.r1 - self.r0) / self.rows)


class _TextPen:
    """Rasterises short strings with a text artist's font (matplotlib's FreeType) into an RGB buffer."""

    def __init__(self, text, dpi):
        from matplotlib.backends.backend_agg import get_hinting_flag
        from matplotlib.font_manager import findfont, get_font

        prop = text.get_fontproperties()
        self.font = get_font(findfont(prop))
        self.size, self.dpi, self.flags = prop.get_size_in_points(), dpi, get_hinting_flag()
        self.font.set_size(self.size, self.dpi)
        self.font.set_text("0", 0, flags=self.flags)
        self.digit_h = self.font.get_width_height()[1] / 64  # ink height of a digit: centres numbers
        self.va = text.get_verticalalignment()

    def draw(self, buf, s, xy, ha, color):
        from matplotlib.colors import to_rgb

        font = self.font
        font.set_size(self.size, self.dpi)
        font.set_text(s, 0, flags=self.flags)
        font.draw_glyphs_to_bitmap(antialiased=True)
        alpha = np.asarray(font.get_image())
        h, w = alpha.shape
        descent = font.get_descent() / 64
        x, y = xy
        if self.va == "top":
            baseline = y + self.digit_h + 2
        else:  # centre the digits' ink on y
            baseline = y + self.digit_h / 2
        top = int(round(baseline - (h - descent)))
        left = int(round(x - (w / 2 if ha == "center" else 0)))
        r0, c0 = max(top, 0), max(left, 0)
        r1, c1 = min(top + h, buf.shape[0]), min(left + w, buf.shape[1])
        if r1 <= r0 or c1 <= c0:
            return
        a = alpha[r0 - top:r1 - top, c0 - left:c1 - left, None].astype(np.float32) / 255
        region = buf[r0:r1, c0:c1]
        rgb = np.asarray(to_rgb(color), np.float32) * 255
        region[...] = (region * (1 - a) + rgb * a + 0.5).astype(np.uint8)


# ---------------------------------------------------------------------------------------- writers
def write_gif(frames, path, fps):
    """RGB arrays -> animated GIF with one shared palette (from the first, middle and last frame)."""
    from PIL import Image

    frames = list(frames)
    if not frames:
        raise bad_input("movie", "at least one frame", 0, "record the run with frames")
    sample = np.concatenate([frames[0], frames[len(frames) // 2], frames[-1]], axis=0)
    palette = Image.fromarray(sample).quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    images = [Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    duration = max(20, int(round(1000 / fps / 10)) * 10)  # GIF time is in 1/100 s; browsers slow < 20 ms
    images[0].save(path, format="GIF", save_all=True, append_images=images[1:], duration=duration, loop=0,
                   optimize=False, disposal=1)


def write_mp4(frames, path, fps):
    """RGB arrays -> H.264 MP4 with the ffmpeg that imageio-ffmpeg ships."""
    import imageio_ffmpeg

    writer = None
    try:
        for f in frames:
            if writer is None:
                h, w = f.shape[:2]
                writer = imageio_ffmpeg.write_frames(str(path), (w, h), fps=fps, codec="libx264",
                                                     pix_fmt_in="rgb24", pix_fmt_out="yuv420p", quality=7,
                                                     macro_block_size=16, ffmpeg_log_level="error")
                writer.send(None)
            writer.send(np.ascontiguousarray(f))
    finally:
        if writer is not None:
            writer.close()


def has_ffmpeg() -> bool:
    """Whether imageio-ffmpeg has an ffmpeg binary for this platform (MP4 needs it)."""
    try:
        import imageio_ffmpeg

        imageio_ffmpeg.get_ffmpeg_exe()
        return True
    except Exception:  # not installed, or no binary for this platform
        return False
