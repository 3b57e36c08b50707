"""The loss landscape around a recorded path: the loss on a plane through the parameter space.

The plane passes through the first run's last frame theta_T and is spanned by two directions:
``pca`` (default) the top two principal directions of the recorded frames theta_t - theta_T (of every
run given, stacked), orthonormal, so the path's projection on the plane is the best 2-D picture of
it (the share of the path's variance they hold is reported); ``random`` two Gaussian directions,
filter-normalised as Li et al. 2018: each filter (the input weights of one neuron, a column of W) is
scaled to the norm of the same filter of theta_T, and bias directions are zero. The loss at
theta_T + alpha d1 + beta d2 is computed in numpy on the first run's training data with the run's
own loss (:func:`numpy_loss` follows weightflow.losses exactly). Paths are the frames' coordinates
(alpha, beta) = least-squares projection on the plane.
"""

from __future__ import annotations

import numpy as np

from .. import loss_names
from ..errors import bad_input
from ..viz._common import Display, new_axes, require_split

DIRECTIONS = ("pca", "random")
COLORS = ("#ffffff", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#17becf")


def _softplus(s):
    return np.maximum(s, 0) + np.log1p(np.exp(-np.abs(s)))


def numpy_loss(z: np.ndarray, y: np.ndarray, loss: str, output: str) -> float:
    """The scalar loss of logits ``z`` (n, out) against labels ``y`` (n,), as weightflow.losses computes
    it (bce from logits, ce log-softmax, mse mean over outputs and samples, sse 1/2 sum)."""
    z, y = np.asarray(z, np.float64), np.asarray(y).astype(int)
    n, out = z.shape
    if loss_names.per_sample(loss) == "bce":
        total = np.sum if loss_names.summed(loss) else np.mean
        return float(total(_softplus(z[:, 0]) - z[:, 0] * y))
    if loss == "ce":
        zs = z - z.max(axis=1, keepdims=True)
        logp = zs - np.log(np.exp(zs).sum(axis=1, keepdims=True))
        return float(-np.mean(logp[np.arange(n), y]))
    if output == "sigmoid":
        pred = 0.5 * (1 + np.tanh(0.5 * z))
    elif output == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        pred = e / e.sum(axis=1, keepdims=True)
    else:
        pred = z
    target = y[:, None].astype(np.float64) if out == 1 else np.eye(out)[y]
    err = pred - target
    return float(np.mean(err ** 2)) if loss == "mse" else float(0.5 * np.sum(err ** 2))


def flat_frames(run) -> np.ndarray:
    """Every frame's parameters as one vector, (F, P), Keras order."""
    F = len(run.steps)
    return np.hstack([np.asarray(f, np.float64).reshape(F, -1) for f in run.frames])


def _unflat(vec: np.ndarray, shapes) -> list[np.ndarray]:
    out, at = [], 0
    for s in shapes:
        k = int(np.prod(s))
        out.append(vec[at:at + k].reshape(s))
        at += k
    return out


def filter_normalised(direction: np.ndarray, centre: np.ndarray, model) -> np.ndarray:
    """``direction`` (P,) with each filter (column of each W) scaled to the norm of the centre's
    filter, and biases set to 0 (Li et al. 2018)."""
    shapes = model.param_shapes
    d, c = _unflat(direction.copy(), shapes), _unflat(centre, shapes)
    for i, (dp, cp) in enumerate(zip(d, c)):
        if dp.ndim == 2:
            dn = np.linalg.norm(dp, axis=0, keepdims=True)
            d[i] = dp * np.linalg.norm(cp, axis=0, keepdims=True) / np.maximum(dn, 1e-12)
        else:
            d[i] = np.zeros_like(dp)
    return np.concatenate([p.ravel() for p in d])


def pca_plane(flats) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(centre (P,), D (2, P), explained (2,))``: the plane through the last row of ``flats[0]`` spanned
    by the top two principal directions of every row of ``flats`` (each (F, P)) relative to it."""
    centre = np.asarray(flats[0], np.float64)[-1]
    offsets = np.vstack([np.asarray(f, np.float64) - centre for f in flats])
    _, sv, vt = np.linalg.svd(offsets, full_matrices=False)
    D = vt[:2] if len(vt) >= 2 else np.vstack([vt, np.zeros_like(vt)])
    total = float(np.sum(sv ** 2))
    explained = sv[:2] ** 2 / total if total > 0 else np.zeros(2)
    return centre, D, np.pad(explained, (0, 2 - len(explained)))


def plane(runs, directions: str = "pca", seed: int = 0):
    """``(centre (P,), D (2, P), explained (2,))``: the plane through the first run's last frame."""
    if directions not in DIRECTIONS:
        raise bad_input("landscape directions", "pca or random", directions, "e.g. --directions pca")
    if directions == "random":
        centre = flat_frames(runs[0])[-1]
        rng = np.random.default_rng(seed)
        D = np.stack([filter_normalised(rng.normal(size=centre.shape), centre, runs[0].model) for _ in range(2)])
        return centre, D, np.full(2, np.nan)
    return pca_plane([flat_frames(r) for r in runs])


def _check_runs(runs):
    first = runs[0]
    for r in runs:
        if r.population is not None:
            raise bad_input("landscape", "single runs", f"a population of {r.population}",
                            "pick one member: --member M (or run.member(m))")
        if r.model.param_shapes != first.model.param_shapes:
            raise bad_input("landscape runs", f"runs of one model shape ({first.model})", str(r.model),
                            "compare runs of the same network")


def coordinates(flat: np.ndarray, centre, D) -> np.ndarray:
    """Flat parameters (F, P) as plane coordinates (F, 2) (least squares)."""
    coords, *_ = np.linalg.lstsq(D.T, (np.asarray(flat, np.float64) - centre).T, rcond=None)
    return coords.T


def project(run, centre, D) -> np.ndarray:
    """The run's frames as plane coordinates (F, 2) (least squares)."""
    return coordinates(flat_frames(run), centre, D)


def window(paths, resolution: int, margin: float = 0.25, unit: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Grid axes ``(alphas (R,), betas (R,))`` around every path (each (F, 2)) and the centre, with
    ``margin`` of the span on each side; ``unit``: at least [-1, 1] (random directions)."""
    pts = np.vstack(list(paths) + [np.zeros((1, 2))])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = np.maximum(hi - lo, 1.0 if unit else 1e-3)
    if unit:  # the path barely projects on random directions: show a unit window
        lo, hi = np.minimum(lo, -1.0), np.maximum(hi, 1.0)
    return (np.linspace(lo[0] - margin * span[0], hi[0] + margin * span[0], resolution),
            np.linspace(lo[1] - margin * span[1], hi[1] + margin * span[1], resolution))


def batched_logits(model, thetas: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Logits (G, n, out) of ``model`` for G flat parameter vectors ``thetas`` (G, P) on X (n, d), in
    numpy (as ``model.forward_numpy``, one batched matmul per layer for every vector at once)."""
    from ..activations import numpy_activation

    sizes, h = model.sizes, np.asarray(X, np.float64)[None]
    parts = _unflat_batch(thetas, model.param_shapes)
    for layer in range(len(sizes) - 1):
        w = parts[2 * layer if model.bias else layer]
        z = np.matmul(h, w)  # (1 or G, n, in) @ (G, in, out)
        if model.bias:
            z = z + parts[2 * layer + 1][:, None, :]
        h = numpy_activation(model.activations[layer])(z) if layer < len(sizes) - 2 else z
    return h


def _unflat_batch(thetas, shapes) -> list[np.ndarray]:
    out, at = [], 0
    for sh in shapes:
        k = int(np.prod(sh))
        out.append(thetas[:, at:at + k].reshape(len(thetas), *sh))
        at += k
    return out


def grid_loss(model, loss: str, X, y, centre, D, alphas, betas) -> np.ndarray:
    """Loss (len(betas), len(alphas)) of ``model`` at centre + a d1 + b d2 on inputs X (n, d), labels y (n,)
    (one row of the grid per batched forward pass)."""
    X, y = np.asarray(X, np.float64), np.asarray(y)
    alphas = np.asarray(alphas, np.float64)
    grid = np.empty((len(betas), len(alphas)))
    for i, b in enumerate(betas):
        thetas = centre + alphas[:, None] * D[0] + b * D[1]
        z = batched_logits(model, thetas, X)
        grid[i] = [numpy_loss(zj, y, loss, model.output) for zj in z]
    return grid


def loss_grid(run, centre, D, alphas, betas) -> np.ndarray:
    """Loss (len(betas), len(alphas)) at centre + a d1 + b d2 on ``run``'s training data."""
    split = require_split(run, "landscape")
    return grid_loss(run.model, run.config.loss, split.X_train, split.y_train, centre, D, alphas, betas)


class Landscape(Display):
    """The loss on a plane around the recorded path(s), with the path(s) drawn on it.

    Build with ``Landscape.from_run(run, others=(), directions="pca", resolution=41, margin=0.25)``.
    Attributes: ``alphas`` (R,), ``betas`` (R,), ``loss`` (R, R) on the plane, ``paths`` (one (F, 2)
    per run), ``labels``, ``explained`` (2,) the variance share of the two PCA directions (NaN for
    random ones), ``centre_loss``; ``numbers()`` for JSON.
    """

    def __init__(self, alphas, betas, loss, paths, labels, explained, directions, centre_loss):
        self.alphas, self.betas, self.loss, self.paths = alphas, betas, loss, paths
        self.labels, self.explained, self.directions = labels, explained, directions
        self.centre_loss = centre_loss

    @classmethod
    def from_run(cls, run, others=(), *, directions: str = "pca", resolution: int = 41, margin: float = 0.25,
                 seed: int = 0):
        from .implicit_bias import run_label

        if not (isinstance(resolution, int) and 3 <= resolution <= 201):
            raise bad_input("landscape resolution", "a whole number from 3 to 201", resolution, "e.g. 41")
        runs = [run, *others]
        _check_runs(runs)
        centre, D, explained = plane(runs, directions, seed)
        paths = [project(r, centre, D) for r in runs]
        alphas, betas = window(paths, resolution, margin, unit=directions == "random")
        grid = loss_grid(run, centre, D, alphas, betas)
        centre_loss = float(loss_grid(run, centre, D, [0.0], [0.0])[0, 0])
        return cls(alphas, betas, grid, paths, [run_label(r) for r in runs], explained, directions, centre_loss)

    def numbers(self) -> dict:
        return {"directions": self.directions, "explained_variance": [float(v) for v in self.explained],
                "centre_loss": self.centre_loss, "min_loss": float(self.loss.min()),
                "max_loss": float(self.loss.max()), "runs": [
                    {"label": lab, "start": [float(v) for v in p[0]], "end": [float(v) for v in p[-1]]}
                    for lab, p in zip(self.labels, self.paths)]}

    def plot(self, ax=None):
        from matplotlib.colors import LogNorm

        fig, ax = new_axes(ax, (6.8, 5.6))
        positive = self.loss[self.loss > 0]
        norm = LogNorm(vmin=max(positive.min(), positive.max() * 1e-6), vmax=positive.max()) if positive.size else None
        levels = np.geomspace(norm.vmin, norm.vmax, 30) if norm else 30
        cs = ax.contourf(self.alphas, self.betas, np.maximum(self.loss, norm.vmin if norm else 0), levels=levels,
                         norm=norm, cmap="viridis")
        fig.colorbar(cs, ax=ax, label="train loss (log)", format="%.2g")
        for i, (p, lab) in enumerate(zip(self.paths, self.labels)):
            c = COLORS[i % len(COLORS)]
            ax.plot(p[:, 0], p[:, 1], color=c, lw=1.8, label=lab)
            ax.plot(*p[0], marker="o", color=c, mec="k", ms=7)
            ax.plot(*p[-1], marker="*", color=c, mec="k", ms=13)
        ev = self.explained
        names = (f"PC1 ({ev[0]:.0%} of the path)", f"PC2 ({ev[1]:.0%})") if self.directions == "pca" \
            else ("random direction 1 (filter-normalised)", "random direction 2")
        ax.set_xlabel(names[0])
        ax.set_ylabel(names[1])
        ax.set_title("loss around the path (o start, * end)", fontsize=10)
        ax.legend(frameon=True, fontsize=8, loc="best")
        self.figure_, self.ax_ = fig, ax
        return self
