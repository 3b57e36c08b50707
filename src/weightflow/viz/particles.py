"""Neurons as particles: the "mass shuffling" view of training (seed 000).

Each hidden neuron of a layer is a point in the plane of its input weights (``W1[:, j]`` for two
inputs; a chosen pair of inputs, or a PCA projection computed in numpy, for more; weight and bias
for one input), sized by the size of its output weight (``|W2[j, 0]|``, or the norm of row ``j`` of
``W2`` for several outputs) and coloured by that weight's sign. Its trail is the line through its
past positions, fading into the past. For a population every member's neurons are drawn together:
the empirical distribution of neurons that mean-field theory treats as a mass moved by the training
rule. Numpy and matplotlib only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import bad_input
from ..validate import whole_in
from ..grid import label as grid_label
from ._common import (NEGATIVE, POSITIVE, Display, check_inputs, feature_names, frame_index, new_axes,
                      nice_step, run_title)
from .population import groups_label, pick_groups

NEUTRAL = "#6a3d9a"  # several outputs: the size is a norm, it has no sign
MAX_SEGMENTS = 12800  # default frames shown: about this many trail segments in the still picture


def _check_frames(run, frames, n_particles, max_frames):
    F = len(run.steps)
    if frames is None:
        cap = max_frames if max_frames is not None else min(200, max(30, MAX_SEGMENTS // max(n_particles, 1)))
        cap = max(2, int(cap))
        if F <= cap:
            return np.arange(F)
        return np.unique(np.linspace(0, F - 1, cap).round().astype(int))
    if isinstance(frames, slice):
        idx = np.arange(F)[frames]
    else:
        if isinstance(frames, str):
            frames = [s for s in frames.replace(" ", "").split(",") if s]
        try:
            idx = np.asarray([frame_index(run, int(f)) for f in frames], int)
        except (TypeError, ValueError):
            raise bad_input("particles frames", "frame indices (a list or a slice)", frames,
                            "e.g. frames=range(0, 50) or frames=slice(None, None, 5)") from None
    if len(idx) == 0:
        raise bad_input("particles frames", "at least one frame", frames, "e.g. frames=slice(None, None, 5)")
    return np.asarray(idx, int)


class Particles(Display):
    """Hidden neurons as particles in the plane of their input weights, with trails.

    Build with ``Particles.from_run(run, layer=1, member=None, frames=None)``. Attributes:
    ``positions`` (particles, frames shown, 2), ``strength`` (particles, frames shown: ``|W2[j, 0]|``
    or the norm of row j), ``sign`` (same shape: +1 / -1, or 0 with several outputs), ``sizes``
    (marker areas in points^2, proportional to ``strength`` with one scale for every frame),
    ``frames`` (frame indices shown), ``steps``, ``owner`` (member of each particle, or None),
    ``neuron`` (neuron index of each particle), ``xlabel``/``ylabel``; after ``plot``: ``scatter_``,
    ``trails_`` (the LineCollection) and ``trail_lengths_`` (positions per trail = frames shown).
    """

    def __init__(self, *, positions, strength, sign, sizes, frames, steps, owner, neuron, layer, hidden, xlabel,
                 ylabel, plane, size_label, who=None, explained=None, population=False, title="", n_frames_run=None):
        """positions (particles, S, 2); strength, sign, sizes (particles, S); frames, steps (S,);
        owner (particles,) member indices or None; neuron (particles,); explained: the PCA's two
        variance fractions or None; n_frames_run: frames in the run (default S)."""
        self.positions, self.strength, self.sign, self.sizes = positions, strength, sign, sizes
        self.frames, self.steps, self.owner, self.neuron = frames, steps, owner, neuron
        self.layer, self.hidden, self.xlabel, self.ylabel = layer, hidden, xlabel, ylabel
        self.plane, self.size_label, self.who, self.explained = plane, size_label, who, explained
        self.population, self.title = population, title
        self.n_frames_run = len(frames) if n_frames_run is None else n_frames_run

    @classmethod
    def from_run(cls, run, layer=1, *, member=None, frames=None, inputs=None, projection="auto", max_frames=None,
                 lr=None, size=None):
        """layer: the hidden layer (1 = the first). member: for a population, ``"all"`` (default: every
        member's neurons together) or a member index; ignored for a single run. frames: frame indices
        or a slice (default all, evenly thinned to at most about 200, fewer for many particles;
        ``max_frames`` sets that cap). inputs: two input indices spanning the plane when the layer has
        more than two inputs; projection: ``"auto"`` (the inputs for two, PCA for more), ``"pca"`` or
        ``"inputs"``. lr: with ``member="all"``, the grid points drawn: an index into
        ``run.grid_points()``, a learning rate or a dict of axis values (default all). size: the
        largest marker area.
        """
        layer = _check_layer(run, layer)
        run, owner_members, who = _choose_members(run, member, lr)
        h = run.model.sizes[layer]
        n_particles = h * (len(owner_members) if owner_members is not None else 1)
        idx = _check_frames(run, frames, n_particles, max_frames)
        A, B, bias = _layer_frames(run, layer, owner_members, idx)
        M, S, d, _ = A.shape
        vec = np.moveaxis(A, 3, 1).reshape(M * h, S, d)  # particle = (member, neuron), member-major
        out = np.moveaxis(B, 2, 1).reshape(M * h, S, -1)
        in_names = _layer_input_names(run, layer, d)
        if projection not in ("auto", "pca", "inputs"):
            raise bad_input("particles projection", "auto, pca or inputs", projection, "e.g. projection='pca'")
        explained = None
        if d == 1:
            if bias is None:
                raise bad_input("particles", "a layer with 2 or more inputs, or a bias", "1 input and no bias",
                                "train with biases to see (weight, bias) particles")
            pos = np.stack([vec[..., 0], np.moveaxis(bias, 2, 1).reshape(M * h, S)], axis=-1)
            xlabel, ylabel, plane = f"weight from {in_names[0]}", "bias", "(weight, bias)"
        elif d == 2 or projection == "inputs" or (inputs is not None and projection == "auto"):
            pos, xlabel, ylabel, plane = _input_plane(run, vec, layer, inputs, in_names)
        else:
            pos, xlabel, ylabel, plane, explained = _pca_plane(vec)
        strength, sign, size_label = _output_strength(out, f"W{layer + 1}")
        top = np.nanmax(strength) if np.isfinite(strength).any() else 1.0
        size = float(size) if size is not None else (220.0 if n_particles <= 16 else 110.0 if n_particles <= 128 else 45.0)
        sizes = size * np.nan_to_num(strength) / max(float(top), 1e-12)
        owner = np.repeat(owner_members, h) if owner_members is not None else None
        return cls(positions=pos, strength=strength, sign=sign, sizes=sizes, frames=idx,
                   steps=np.asarray(run.steps)[idx], owner=owner, neuron=np.tile(np.arange(h), M), layer=layer,
                   hidden=h, xlabel=xlabel, ylabel=ylabel, plane=plane, size_label=size_label, who=who,
                   explained=explained, population=owner_members is not None, title=run_title(run),
                   n_frames_run=len(run.steps))

    # ---------------------------------------------------------------------------------- drawing
    def __len__(self) -> int:
        return len(self.frames)

    def _colors(self, sign):
        return np.where(sign[:, None] > 0, _rgba(POSITIVE), np.where(sign[:, None] < 0, _rgba(NEGATIVE), _rgba(NEUTRAL)))

    def _limits(self):
        p = self.positions.reshape(-1, 2)
        p = p[np.isfinite(p).all(axis=1)]
        if len(p) == 0:
            return (-1, 1), (-1, 1)
        if self.population and len(p) > 2000:  # a runaway member should not shrink everyone else
            lo, hi = np.quantile(p, 0.002, axis=0), np.quantile(p, 0.998, axis=0)
        else:
            lo, hi = p.min(axis=0), p.max(axis=0)
        lo, hi = np.minimum(lo, 0), np.maximum(hi, 0)  # keep the origin in view: the sign of a weight matters
        pad = np.maximum((hi - lo) * 0.08, 0.05)
        return (lo[0] - pad[0], hi[0] + pad[0]), (lo[1] - pad[1], hi[1] + pad[1])

    def _segments(self, upto, tail=None, floor=0.35):
        """Trail segments (particles * k, 2, 2) and their fading RGBA up to frame ``upto`` (shown index)."""
        start = 0 if tail is None else max(0, upto - tail)
        pts = self.positions[:, start:upto + 1]
        n, k = pts.shape[:2]
        if k < 2:
            return np.zeros((0, 2, 2)), np.zeros((0, 4))
        seg = np.stack([pts[:, :-1], pts[:, 1:]], axis=2).reshape(-1, 2, 2)
        age = np.linspace(0, 1, k - 1) if k > 2 else np.ones(1)  # 0 = oldest, 1 = newest
        base = self._colors(self.sign[:, upto])  # (n, 4)
        alpha_max = 0.8 if n <= 16 else 0.6 if n <= 128 else 0.35
        rgba = np.repeat(base[:, None, :], k - 1, axis=1).copy()
        rgba[..., 3] = alpha_max * (floor + (1 - floor) * age[None, :])
        ok = np.isfinite(seg).all(axis=(1, 2))
        return seg[ok], rgba.reshape(-1, 4)[ok]

    def _frame_title(self, k) -> str:
        step = nice_step(self.steps[k])
        return f"step {step}  (frame {int(self.frames[k])} of {self.n_frames_run - 1})"

    def _setup(self, ax, own):
        from matplotlib.lines import Line2D

        xl, yl = self._limits()
        ax.set_xlim(xl)
        ax.set_ylim(yl)
        ax.axhline(0, color="0.75", lw=0.8, zorder=0)
        ax.axvline(0, color="0.75", lw=0.8, zorder=0)
        ax.set_xlabel(self.xlabel)
        ax.set_ylabel(self.ylabel)
        ax.grid(alpha=0.2)
        n = len(self.positions)
        what = (f"{self.who}: {n} neurons of hidden layer {self.layer}" if self.who else
                f"the {n} neurons of hidden layer {self.layer}")
        head = f"{self.title}\n{what} as particles" if own else f"{what} as particles"
        ax.set_title(f"{head}\nposition = {self.plane}, area ∝ {self.size_label}", fontsize=9)
        handles = []
        if (self.sign != 0).any():
            handles += [Line2D([], [], ls="", marker="o", ms=8, color=POSITIVE, label="output weight > 0"),
                        Line2D([], [], ls="", marker="o", ms=8, color=NEGATIVE, label="output weight < 0")]
        else:
            handles += [Line2D([], [], ls="", marker="o", ms=8, color=NEUTRAL, label="neuron")]
        handles.append(Line2D([], [], ls="", marker="o", ms=5, mfc="none", color="0.45", label="start"))
        handles.append(Line2D([], [], color="0.45", lw=1.5, label="trail (fades into the past)"))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)

    def plot(self, ax=None, *, frame=-1):
        """The particles at shown frame ``frame`` (default the last) with their whole trails."""
        from matplotlib.collections import LineCollection

        own = ax is None
        fig, ax = new_axes(ax, (7.4, 5.6))
        k = int(frame) % len(self.frames)
        self._setup(ax, own)
        seg, rgba = self._segments(k)
        self.trails_ = LineCollection(seg, colors=rgba, linewidths=1.3 if len(self.positions) <= 16 else 0.8,
                                      capstyle="round", zorder=2)
        ax.add_collection(self.trails_)
        self.trail_lengths_ = np.full(len(self.positions), k + 1)
        p0 = self.positions[:, 0]
        ax.scatter(p0[:, 0], p0[:, 1], s=14 if len(p0) <= 128 else 5, facecolors="none", edgecolors="0.45",
                   linewidths=0.7, zorder=3)
        p = self.positions[:, k]
        self.scatter_ = ax.scatter(p[:, 0], p[:, 1], s=self.sizes[:, k], c=self._colors(self.sign[:, k]),
                                   edgecolors="white", linewidths=0.6 if len(p) <= 128 else 0.2, zorder=4)
        if not self.population and len(p) <= 12:
            for j in range(len(p)):
                if np.isfinite(p[j]).all():
                    ax.annotate(f"h{j + 1}", p[j], xytext=(6, 5), textcoords="offset points", fontsize=8,
                                color="0.25", zorder=5)
        ax.text(0.01, 0.01, f"{len(self.frames)} frames shown, steps {nice_step(self.steps[0])} to "
                f"{nice_step(self.steps[k])}", transform=ax.transAxes, fontsize=8, color="0.35", va="bottom")
        ax.set_aspect("equal", adjustable="box")
        self.figure_, self.ax_ = fig, ax
        return self

    # ------------------------------------------------------------------------------------ movie
    def default_fps(self) -> float:
        return float(min(25, max(5, round(len(self.frames) / 10))))

    def iter_frames(self, *, dpi=90, tail=None):
        """Yield each movie frame as RGB uint8 (H, W, 3): the axes are drawn once, then per frame only
        the particles, their trails (the last ``tail`` frames, default about a sixth of the movie) and
        the step are drawn onto a copy of that background (matplotlib's blitting, no full redraw)."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.collections import LineCollection
        from matplotlib.figure import Figure

        tail = max(3, len(self.frames) // 6) if tail is None else int(tail)
        fig = Figure(figsize=(7.4, 5.6), dpi=dpi)
        canvas = FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        self._setup(ax, True)
        ax.set_aspect("equal", adjustable="box")
        fig.tight_layout()
        trails = LineCollection([], linewidths=1.3 if len(self.positions) <= 16 else 0.8, capstyle="round",
                                zorder=2, animated=True)
        ax.add_collection(trails)
        p0 = self.positions[:, 0]
        dots = ax.scatter(p0[:, 0], p0[:, 1], s=self.sizes[:, 0], c=self._colors(self.sign[:, 0]),
                          edgecolors="white", linewidths=0.6 if len(p0) <= 128 else 0.2, zorder=4, animated=True)
        label = ax.text(0.01, 0.01, "", transform=ax.transAxes, fontsize=9, color="0.2", va="bottom", animated=True)
        canvas.draw()
        background = canvas.copy_from_bbox(fig.bbox)
        for k in range(len(self.frames)):
            canvas.restore_region(background)
            seg, rgba = self._segments(k, tail, floor=0.1)
            trails.set_segments(seg)
            trails.set_color(rgba)
            p = self.positions[:, k]
            dots.set_offsets(np.where(np.isfinite(p), p, np.nan))
            dots.set_sizes(self.sizes[:, k])
            dots.set_facecolor(self._colors(self.sign[:, k]))
            label.set_text(self._frame_title(k))
            for artist in (trails, dots, label):
                ax.draw_artist(artist)
            canvas.blit(fig.bbox)
            yield np.asarray(canvas.buffer_rgba())[..., :3].copy()

    def save(self, path, *, fps=None, dpi=90, tail=None):
        """An animated ``.gif`` (Pillow, one shared palette) of the particles moving; returns the path.
        For a still picture use ``savefig``."""
        from .movie import write_gif

        path = Path(path)
        if path.suffix.lower() != ".gif":
            raise bad_input("particles movie file", "a name ending in .gif", path.name,
                            "e.g. particles.gif (use savefig for a still picture)")
        fps = self.default_fps() if fps is None else fps
        if not (isinstance(fps, (int, float)) and 0 < fps <= 100):
            raise bad_input("particles fps", "a number of frames per second in (0, 100]", fps, "e.g. fps=12")
        write_gif(self.iter_frames(dpi=dpi, tail=tail), path, fps)
        return path


def _check_layer(run, layer) -> int:
    """``layer`` as an int when it names a hidden layer of the run's network, else a one-line error."""
    n_layers = run.model.n_layers
    if n_layers < 2:
        raise bad_input("particles", "a network with a hidden layer", f"{run.model} (no hidden layer)",
                        "train with --hidden N to watch neurons move")
    return whole_in(layer, 1, n_layers - 1, "particles layer", f"a hidden layer from 1 to {n_layers - 1}",
                    "e.g. layer=1")


def _choose_members(run, member, lr):
    """``(run, owner_members, who)``: for ``member="all"`` of a population the members drawn
    ((members,) indices) and the same run; for one member that member's run and None; ``who``
    names them for the title (None for a single run that is no member)."""
    population = getattr(run, "population", None)
    if population is None:
        if member not in (None, "all", 0):
            raise bad_input("particles member", "None for a single run", member,
                            "leave member out (it picks a member of a population run)")
        m = run.config.member
        return run, None, (f"member {m}" if m is not None else None)
    if member is None or (isinstance(member, str) and member == "all"):
        groups = pick_groups(run, lr, "particles")
        owner_members = np.concatenate([np.arange(s.start, s.stop) for _, s in groups])
        n_all = len(run.grid_points())
        if len(groups) == n_all > 1:  # every grid point
            kind = "learning rates" if list(groups[0][0]) == ["lr"] else "grid points"
            return run, owner_members, f"all {len(owner_members)} members ({n_all} {kind})"
        return run, owner_members, f"all {len(owner_members)} members with {groups_label(run, groups)}"
    try:
        m = int(member)
    except (TypeError, ValueError):
        raise bad_input("particles member", f"'all' or a member index from 0 to {population - 1}",
                        member, "e.g. member=0") from None
    point = next((pt for pt, part in run.grid_points() if part.start <= m % population < part.stop), {})
    who = f"member {m % population}" + (f" ({grid_label(point)})" if point else "")
    return run.member(m), None, who


def _layer_frames(run, layer, owner_members, idx):
    """The layer's frames ``idx`` as float64: ``A`` (M, S, d, h) input weights, ``B`` (M, S, h, o)
    output weights, ``bias`` (M, S, h) or None; M = 1 for a single run."""
    names = run.model.param_names
    W_in, W_out = run.frames[names.index(f"W{layer}")], run.frames[names.index(f"W{layer + 1}")]
    b_name = f"b{layer}"
    if owner_members is not None:
        A = np.asarray(W_in[owner_members][:, idx], np.float64)
        B = np.asarray(W_out[owner_members][:, idx], np.float64)
        bias = (np.asarray(run.frames[names.index(b_name)][owner_members][:, idx], np.float64)
                if b_name in names else None)
    else:
        A = np.asarray(W_in[idx], np.float64)[None]
        B = np.asarray(W_out[idx], np.float64)[None]
        bias = np.asarray(run.frames[names.index(b_name)][idx], np.float64)[None] if b_name in names else None
    return A, B, bias


def _layer_input_names(run, layer, d) -> list[str]:
    """Names of the ``d`` inputs of ``layer``: the features for the first, hidden units after."""
    if layer == 1:
        return feature_names(run)
    return [f"h{layer - 1}.{k + 1}" if run.model.n_layers > 2 else f"h{k + 1}" for k in range(d)]


def _input_plane(run, vec, layer, inputs, in_names):
    """Positions (particles, S, 2) in the plane of two chosen inputs' weights, and its labels."""
    d = vec.shape[2]
    if layer == 1:
        i, j = check_inputs(run, inputs, 2, "particles")
    else:
        i, j = (0, 1) if inputs is None else tuple(int(v) for v in inputs)
        if not (0 <= i < d and 0 <= j < d and i != j):
            raise bad_input("particles inputs", f"2 different indices from 0 to {d - 1}", inputs,
                            "e.g. inputs=(0, 1)")
    xlabel, ylabel = f"weight from {in_names[i]}", f"weight from {in_names[j]}"
    plane = "input weights" if d == 2 else f"input weights from {in_names[i]} and {in_names[j]}"
    return vec[..., [i, j]], xlabel, ylabel, plane


def _pca_plane(vec):
    """Positions (particles, S, 2) on the first two principal axes of every position shown
    (projected without centring, so that 0 stays at 0), their labels and explained variance (2,)."""
    d = vec.shape[2]
    flat = vec.reshape(-1, d)
    flat = flat[np.isfinite(flat).all(axis=1)]
    centred = flat - flat.mean(axis=0)
    _, sv, vt = np.linalg.svd(centred, full_matrices=False)
    axes = vt[:2]
    for k in range(2):  # a sign convention: the largest loading positive
        if axes[k][np.argmax(np.abs(axes[k]))] < 0:
            axes[k] = -axes[k]
    var = sv ** 2
    explained = var[:2] / max(var.sum(), 1e-300)
    xlabel = f"PC1 of the input weights ({explained[0]:.0%} of variance)"
    ylabel = f"PC2 ({explained[1]:.0%})"
    return vec @ axes.T, xlabel, ylabel, f"input weights (PCA of {d} inputs)", explained


def _output_strength(out, w_out_name):
    """``(strength, sign, label)`` of each particle from its output weights ``out`` (particles, S, o):
    ``|w|`` and its sign for one output, the row's norm and sign 0 for several."""
    if out.shape[2] == 1:
        return np.abs(out[..., 0]), np.sign(out[..., 0]), f"|{w_out_name}[j]|"
    return np.linalg.norm(out, axis=2), np.zeros(out.shape[:2]), f"norm of row j of {w_out_name}"


def _rgba(color):
    from matplotlib.colors import to_rgba

    return np.asarray(to_rgba(color))


__all__ = ["Particles"]
