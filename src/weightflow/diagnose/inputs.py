"""Each input's influence over time: the norm of its first-layer weights times its spread on the
training set, relative to the most influential input. Names the inputs the network ignores."""

from __future__ import annotations

import numpy as np

from .context import Context
from .finding import Finding

IGNORED = 0.05  # an input with under 5% of the largest influence at the end


def influence(ctx: Context) -> np.ndarray:
    """(F, d): ||W1[i, :]|| * std(x_i) at every frame (NaN where a frame is not finite)."""
    X = np.asarray(ctx.split.X_train, np.float64)
    w1 = np.asarray(ctx.frames[0], np.float64)  # (F, d, h1)
    return np.sqrt((w1 ** 2).sum(axis=2)) * X.std(axis=0)[None, :]


def check_ignored(ctx: Context) -> list[Finding]:
    """Inputs (with any spread) whose relative influence ends below 5%."""
    if ctx.split is None or not ctx.frames or ctx.model.sizes[0] < 2 or not len(ctx.split.y_train):
        return []
    inf = influence(ctx)
    ok = np.all(np.isfinite(inf), axis=1)
    if ok.sum() < 2:
        return []
    inf = inf[ok]
    rel = inf / np.maximum(inf.max(axis=1, keepdims=True), 1e-300)
    live = np.asarray(ctx.split.X_train).std(axis=0) > 0
    ignored = np.nonzero(live & (rel[-1] < IGNORED))[0]
    if not len(ignored) or len(ignored) == live.sum():
        return []
    names = ctx.feature_names()
    kept = [names[i] for i in np.nonzero(live)[0] if i not in set(ignored)]
    steps = np.asarray(ctx.steps)[ok]
    since = {names[i]: int(steps[np.nonzero(rel[:, i] >= IGNORED)[0][-1] + 1])
             if (rel[:, i] >= IGNORED).any() else int(steps[0]) for i in ignored}
    return [Finding("ignored_inputs", "info", min(since.values()),
                    {"inputs": [names[i] for i in ignored], "indices": ignored.tolist(), "used": kept,
                     "relative_influence_end": rel[-1].tolist(), "relative_influence_start": rel[0].tolist(),
                     "below_since_step": since},
                    f"the network ignores {len(ignored)} of {len(names)} inputs (under {IGNORED:.0%} of the largest "
                    f"influence at the end): {', '.join(names[i] for i in ignored[:15])}"
                    + (" ..." if len(ignored) > 15 else "") + f"; it uses {', '.join(kept[:8])}",
                    "these inputs carry little signal for this model: drop them, or check they are the right columns")]
