"""The network diagram: every neuron and every weight at one frame (seed 004, without ``daft``).

Edge colour is the weight's sign (red positive, blue negative, as in the weight movie), edge width
grows with |w|. Bias nodes ("1") sit above each layer that feeds another, as in seed 004's drawing.
Labels ``w1 .. wn`` follow seed 004's numbering: layer by layer, first the biases of the units the
layer feeds, then the weights from each input in turn (for 2-3-1: w1..w3 biases of h1..h3, w4..w6
from x1, w7..w9 from x2, w10 the output bias, w11..w13 from h1..h3).
"""

from __future__ import annotations

import numpy as np

from ..errors import bad_input
from ._common import (NEGATIVE, POSITIVE, Display, class_names, feature_names, frame_index, frame_params,
                      new_axes, nice_step, run_title)

LABELS = ("names", "values", "both", "none")


def seed004_numbering(sizes, bias=True):
    """Weight numbers (1-based) of every W entry and every bias, in seed 004's order.

    Returns ``(w_numbers, b_numbers)``: per layer, an (in, out) int array and an (out,) int array
    (empty without biases).
    """
    w_numbers, b_numbers, k = [], [], 1
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        if bias:
            b_numbers.append(np.arange(k, k + fan_out))
            k += fan_out
        else:
            b_numbers.append(np.zeros(0, int))
        w_numbers.append(np.arange(k, k + fan_in * fan_out).reshape(fan_in, fan_out))
        k += fan_in * fan_out
    return w_numbers, b_numbers


class NetworkDiagram(Display):
    """Neurons as circles, weights as lines.

    Attributes: ``positions`` (per layer, (units, 2) node centres), ``bias_positions`` (per feeding
    layer, the bias node), ``weights``/``biases`` (per layer, at the chosen frame),
    ``w_numbers``/``b_numbers`` (seed 004's numbering), ``frame``, ``step``; after ``plot``:
    ``weight_edges_`` (a LineCollection with one segment per W entry, in layer, input, unit order) and
    ``bias_edges_`` (one per bias).
    """

    def __init__(self, *, positions, bias_positions, weights, biases, w_numbers, b_numbers, frame, step, sizes,
                 node_names, labels="names", title=""):
        """positions: per layer (units, 2); bias_positions: per feeding layer (2,); weights: per layer
        (in, out); biases: per layer (out,) or None; w_numbers/b_numbers: the same shapes, ints;
        sizes: units per layer; node_names: per layer a list of names; labels: one of ``LABELS``."""
        self.positions, self.bias_positions, self.weights, self.biases = positions, bias_positions, weights, biases
        self.w_numbers, self.b_numbers, self.frame, self.step = w_numbers, b_numbers, frame, step
        self.sizes, self.node_names, self.labels, self.title = sizes, node_names, labels, title

    @classmethod
    def from_run(cls, run, *, frame=-1, labels="auto"):
        """labels: ``names`` (w1..wn), ``values`` (the weights), ``both``, ``none`` or ``auto``
        (names for networks of at most 40 parameters)."""
        if labels == "auto":
            labels = "names" if run.model.n_params <= 40 else "none"
        if labels is None or labels is False:
            labels = "none"
        if labels is True:
            labels = "names"
        if labels not in LABELS:
            raise bad_input("diagram labels", "one of " + ", ".join(LABELS), labels, "e.g. labels='names'")
        f = frame_index(run, frame)
        layers = run.model.layers(frame_params(run, f))
        sizes = run.model.sizes
        gap_y = 1.0
        gap_x = max(3.0, 0.12 * max(sizes))
        top = (max(sizes) - 1) * gap_y / 2
        positions, bias_positions = [], []
        for k, n in enumerate(sizes):
            y = (np.arange(n)[::-1] - (n - 1) / 2) * gap_y
            positions.append(np.column_stack([np.full(n, k * gap_x), y]))
            if run.model.bias and k < len(sizes) - 1:
                bias_positions.append(np.array([k * gap_x + 0.35 * gap_x * (k > 0), top + 1.1 * gap_y]))
        names = [feature_names(run)]
        for k, n in enumerate(sizes[1:-1]):
            names.append([f"h{j + 1}" if len(sizes) == 3 else f"h{k + 1}.{j + 1}" for j in range(n)])
        if sizes[-1] == 1:
            names.append(["y"])
        else:
            cn = class_names(run)
            names.append([cn[j] if j < len(cn) else f"y{j + 1}" for j in range(sizes[-1])])
        w_numbers, b_numbers = seed004_numbering(sizes, run.model.bias)
        return cls(positions=positions, bias_positions=bias_positions, weights=[np.asarray(w) for w, _ in layers],
                   biases=[None if b is None else np.asarray(b) for _, b in layers], w_numbers=w_numbers,
                   b_numbers=b_numbers, frame=f, step=int(run.steps[f]), labels=labels, node_names=names,
                   sizes=sizes, title=run_title(run))

    @property
    def n_edges(self) -> int:
        return int(sum(w.size for w in self.weights))

    def plot(self, ax=None):
        big = max(self.sizes)
        fig, ax = new_axes(ax, (min(3 + 2.4 * len(self.sizes), 14), min(2.5 + 0.55 * big, 14)))
        values = [w.ravel() for w in self.weights] + [b for b in self.biases if b is not None]
        vmax = max(float(np.abs(np.concatenate(values)).max()), 1e-12)
        thin = min(1.0, float(np.sqrt(40 / max(1, self.n_edges))))  # many edges: thinner lines
        label_at = self._draw_weight_edges(ax, vmax, thin) + self._draw_bias_edges(ax, vmax, thin)
        self._draw_nodes(ax, big)
        if self.labels != "none":
            self._draw_edge_labels(ax, label_at)
        self._finish_axes(ax, vmax)
        self.figure_, self.ax_ = fig, ax
        return self

    @staticmethod
    def _edge_style(w, vmax, thin):
        """Colours (by sign) and line widths (growing with |w|) of the edges of weights ``w``."""
        w = np.asarray(w).ravel()
        colors = np.where(w >= 0, POSITIVE, NEGATIVE)
        widths = (0.3 + 4.2 * np.abs(w) / vmax) * thin
        return list(colors), widths

    def _draw_weight_edges(self, ax, vmax, thin):
        """One line per W entry (``weight_edges_``); returns ``[(label position, number, value), ...]``."""
        from matplotlib.collections import LineCollection

        segs, ws, label_at = [], [], []
        for k, w in enumerate(self.weights):
            src, dst = self.positions[k], self.positions[k + 1]
            n_out = len(dst)
            for i in range(w.shape[0]):
                for j in range(w.shape[1]):
                    segs.append([src[i], dst[j]])
                    t = 0.25 + 0.4 * (j / max(1, n_out - 1))
                    label_at.append((src[i] + t * (dst[j] - src[i]), self.w_numbers[k][i, j], w[i, j]))
            ws.append(w.ravel())
        colors, widths = self._edge_style(np.concatenate(ws), vmax, thin)
        self.weight_edges_ = LineCollection(segs, colors=colors, linewidths=widths, alpha=0.85, zorder=1,
                                            capstyle="round")
        ax.add_collection(self.weight_edges_)
        return label_at

    def _draw_bias_edges(self, ax, vmax, thin):
        """One dashed line per bias (``bias_edges_``); returns their labels as ``_draw_weight_edges``."""
        from matplotlib.collections import LineCollection

        bsegs, bws, label_at = [], [], []
        for k, b in enumerate(self.biases):
            if b is None:
                continue
            dst = self.positions[k + 1]
            for j in range(len(b)):
                bsegs.append([self.bias_positions[k], dst[j]])
                t = 0.3 + 0.35 * (j / max(1, len(b) - 1))
                label_at.append((self.bias_positions[k] + t * (dst[j] - self.bias_positions[k]),
                                 self.b_numbers[k][j], b[j]))
            bws.append(b)
        if bsegs:
            colors, widths = self._edge_style(np.concatenate(bws), vmax, thin)
            self.bias_edges_ = LineCollection(bsegs, colors=colors, linewidths=widths, alpha=0.85, zorder=1,
                                              linestyles="--")
            ax.add_collection(self.bias_edges_)
        else:
            self.bias_edges_ = LineCollection([], zorder=1)
        return label_at

    def _draw_nodes(self, ax, big, r=0.28):
        """The neurons (circles with their names) and the bias nodes ("1")."""
        from matplotlib.patches import Circle

        fs = 10 if big <= 8 else (8 if big <= 20 else 6)
        for k, pos in enumerate(self.positions):
            face = "#e8eef7" if k == 0 else ("#fdebd0" if k == len(self.positions) - 1 else "white")
            for j, (x, y) in enumerate(pos):
                ax.add_patch(Circle((x, y), r, facecolor=face, edgecolor="0.2", lw=1.2, zorder=3))
                name = self.node_names[k][j] if j < len(self.node_names[k]) else ""
                if big <= 30:
                    ax.text(x, y, name if len(name) <= 4 else "", ha="center", va="center", fontsize=fs, zorder=4)
                if len(name) > 4 or big > 30:
                    side = -1 if k == 0 else 1
                    if big <= 30 or k != 1:
                        ax.text(x + side * (r + 0.08), y, name, ha="right" if side < 0 else "left", va="center",
                                fontsize=fs, zorder=4)
        for k, (x, y) in enumerate(self.bias_positions):
            ax.add_patch(Circle((x, y), r, facecolor="0.92", edgecolor="0.5", lw=1.0, ls="--", zorder=3))
            ax.text(x, y, "1", ha="center", va="center", fontsize=fs, color="0.3", zorder=4)

    def _draw_edge_labels(self, ax, label_at):
        for (x, y), num, val in label_at:
            text = {"names": f"w{num}", "values": f"{val:+.2f}", "both": f"w{num} {val:+.2f}"}[self.labels]
            ax.text(x, y, text, ha="center", va="center", fontsize=8, zorder=5,
                    bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85))

    def _finish_axes(self, ax, vmax):
        """Limits around every node, equal aspect, the colour/width legend and the title."""
        from matplotlib.lines import Line2D

        xs = np.concatenate([p[:, 0] for p in self.positions])
        ys = np.concatenate([p[:, 1] for p in self.positions] + [np.array([b[1]]) for b in self.bias_positions])
        pad_left = 1.6 if max(len(n) for n in self.node_names[0]) > 4 else 0.6
        pad_right = 1.6 if max(len(n) for n in self.node_names[-1]) > 4 else 0.6
        ax.set_xlim(xs.min() - pad_left, xs.max() + pad_right)
        ax.set_ylim(ys.min() - 0.7, ys.max() + 0.6)
        ax.set_aspect("equal")
        ax.axis("off")
        handles = [Line2D([], [], color=POSITIVE, lw=3, label="positive"),
                   Line2D([], [], color=NEGATIVE, lw=3, label="negative"),
                   Line2D([], [], color="0.3", lw=0.6, label=f"width ∝ |w| (max {vmax:.2g})")]
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3, frameon=False, fontsize=8)
        ax.set_title(f"{self.title}\nstep {nice_step(self.step)}", fontsize=10)
