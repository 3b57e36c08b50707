"""Checks on hidden units and gradients, recomputed in numpy from the recorded frames and the
training data: dead ReLUs, saturated sigmoid/tanh units, symmetric units, vanishing/exploding
gradients per layer. Units are named ``h<layer>.<unit>`` (1-based layer, 0-based unit)."""

from __future__ import annotations

import numpy as np

from .. import reference
from .context import Context
from .finding import Finding

SATURATION = {"sigmoid": 5.0, "tanh": 3.0}  # |pre-activation| beyond which the slope is < 0.01
SATURATED_SHARE = 0.5   # a unit is saturated at a frame when half the training set is beyond it
GRADIENT_RATIO = 1e-3   # vanishing: first layer's RMS gradient below 1e-3 x the last layer's
EXPLODE_GROWTH = 5.0    # exploding: the error reaching layer 1 is >= 5x the output's (healthy nets: < 0.5)
EXPLODE_RELATIVE = 0.1  # ... and RMS dLoss/dW1 >= 0.1 x RMS W1 (healthy: about 0.01)


def hidden_nets(ctx: Context, frames: np.ndarray, X: np.ndarray) -> list[list[np.ndarray]]:
    """Per sampled frame, the hidden layers' pre-activations [(n, units), ...]."""
    acts = reference.model_activations(ctx.model)
    return [reference.forward(ctx.frame_params(f), X, acts, ctx.model.bias).nets[:-1] for f in frames]


def _name(layer: int, unit: int) -> str:
    return f"h{layer + 1}.{unit}"


def _since(flags: np.ndarray, steps: np.ndarray) -> int:
    """The step from which ``flags`` (frames,) is True up to the last frame."""
    off = np.nonzero(~flags)[0]
    return int(steps[off[-1] + 1]) if len(off) else int(steps[0])


def check_dead(ctx: Context, frames: np.ndarray, nets) -> list[Finding]:
    """ReLU units whose pre-activation is <= 0 on every training sample at the last sampled frame."""
    out = []
    for li, act in enumerate(ctx.model.activations):
        if act != "relu":
            continue
        dead = np.stack([~(n[li] > 0).any(axis=0) for n in nets])  # (frames, units)
        units = np.nonzero(dead[-1])[0]
        if not len(units):
            continue
        width = dead.shape[1]
        share = len(units) / width
        sev = "error" if share == 1 else "warning" if share >= 0.5 or (ctx.final and ctx.poor()) else "info"
        since = {_name(li, u): _since(dead[:, u], ctx.steps[frames]) for u in units}
        first = min(since.values())
        out.append(Finding("dead_units", sev, first,
                           {"layer": li + 1, "units": list(since), "dead_since_step": since, "dead": len(units),
                            "width": width, "share": share, "frames": [int(ctx.steps[f]) for f in frames]},
                           f"{len(units)} of {width} ReLU units in hidden layer {li + 1} never fire on the training "
                           f"set: {', '.join(list(since)[:12])}" + (" ..." if len(units) > 12 else "")
                           + f" (dead from step {first})",
                           "initialise biases at 0 or slightly positive, lower the learning rate, or use "
                           "leaky-relu / He initialisation"))
    return out


def check_saturated(ctx: Context, frames: np.ndarray, nets) -> list[Finding]:
    """Sigmoid/tanh units with > 90% of training pre-activations beyond +-5 (sigmoid) / +-3 (tanh)."""
    out = []
    for li, act in enumerate(ctx.model.activations):
        if act not in SATURATION:
            continue
        sat = np.stack([(np.abs(n[li]) > SATURATION[act]).mean(axis=0) > SATURATED_SHARE for n in nets])
        width = sat.shape[1]
        start, end = sat[0].mean(), sat[-1].mean()
        if not sat.any():
            continue
        if start >= 0.5:
            sev = "error" if ctx.final and ctx.poor() else "warning"
        else:  # saturation that grows during training is mostly confidence: worth knowing, not an alarm
            sev = "info"
        when = 0 if start >= 0.5 else int(np.argmax(sat.mean(axis=1) == sat.mean(axis=1).max()))
        units = [_name(li, u) for u in np.nonzero(sat[when])[0]]
        step = int(ctx.steps[frames[when]])
        out.append(Finding("saturated_units", sev, step,
                           {"layer": li + 1, "activation": act, "threshold": SATURATION[act], "units": units,
                            "share_at_start": float(start), "share_at_end": float(end),
                            "saturated_frames": {u: [int(ctx.steps[f]) for f, s in zip(frames, sat[:, int(u.split('.')[1])])
                                                     if s] for u in units},
                            "frames": [int(ctx.steps[f]) for f in frames]},
                           f"{len(units)} of {width} {act} units in hidden layer {li + 1} are saturated "
                           f"(|pre-activation| > {SATURATION[act]:g} on > {SATURATED_SHARE:.0%} of the training set) at step {step}: "
                           f"{', '.join(units[:12])}" + (" ..." if len(units) > 12 else ""),
                           "shrink the initial weights (glorot / init scale), standardise the inputs, "
                           "or lower the learning rate"))
    return out


def _groups(vectors: np.ndarray) -> list[list[int]]:
    """Groups (size >= 2) of rows of ``vectors`` (units, k) equal within a relative 1e-6."""
    tol = 1e-6 * max(float(np.abs(vectors).max()), 1e-12)
    same = np.eye(len(vectors), dtype=bool)  # (units, units)
    key = vectors.sum(axis=1)  # equal rows have sums within k * tol: compare only those (wide layers)
    near = np.abs(key[:, None] - key[None, :]) <= vectors.shape[1] * tol
    for u in np.nonzero(near.sum(axis=1) > 1)[0]:
        same[u] = near[u] & (np.abs(vectors - vectors[u]).max(axis=1) <= tol)
    groups, seen = [], np.zeros(len(vectors), bool)
    for u in np.nonzero(same.sum(axis=1) > 1)[0]:
        if not seen[u]:
            members = np.nonzero(same[u] & ~seen)[0]
            seen[members] = True
            if len(members) > 1:
                groups.append(members.tolist())
    return groups


def _unit_vectors(ctx: Context, f: int, li: int) -> np.ndarray:
    """(units, k): each hidden unit's incoming weights, bias and outgoing weights at frame f."""
    layers = ctx.model.layers(ctx.frame_params(f))
    (w, b), (w_next, _) = layers[li], layers[li + 1]
    parts = [w.T, w_next] + ([b[:, None]] if b is not None else [])
    return np.concatenate(parts, axis=1)


def check_symmetric(ctx: Context, frames: np.ndarray) -> list[Finding]:
    """Hidden units identical (in, bias, out weights) at the first and at the last sampled frame."""
    out = []
    for li in range(len(ctx.model.activations)):
        width = ctx.model.sizes[li + 1]
        g0 = {tuple(g) for g in _groups(_unit_vectors(ctx, frames[0], li))}
        groups = [g for g in _groups(_unit_vectors(ctx, frames[-1], li)) if tuple(g) in g0]
        if not groups:
            continue
        names = [[_name(li, u) for u in g] for g in groups]
        sev = "error" if len(groups) == 1 and len(groups[0]) == width else "warning"
        out.append(Finding("symmetric_units", sev, int(ctx.steps[frames[0]]),
                           {"layer": li + 1, "groups": names, "width": width,
                            "distinct_units": width - sum(len(g) - 1 for g in groups)},
                           f"hidden layer {li + 1}: {'; '.join('=' .join(n) for n in names[:6])} started identical and "
                           f"stay identical to step {int(ctx.steps[frames[-1]])}: the layer works like "
                           f"{width - sum(len(g) - 1 for g in groups)} unit(s)",
                           "break the symmetry: random initial weights (glorot), not zeros or a constant"))
    return out


def _backprop(ctx: Context, f: int, X: np.ndarray, y: np.ndarray) -> tuple[list, list, list]:
    """At frame f, per layer (hidden layers then the output): the RMS of the backpropagated error
    dLoss/dnet over samples and units, the RMS of dLoss/dW, and the RMS of W."""
    params, acts = ctx.frame_params(f), reference.model_activations(ctx.model)
    fwd = reference.forward(params, X, acts, ctx.model.bias)
    T = reference.targets(y, fwd.outs[-1].shape[1])
    ds = reference.deltas(params, fwd, T, acts, ctx.config.loss, ctx.model.bias)
    grads = reference.gradients_from_deltas(fwd, ds, ctx.config.loss, ctx.model.bias)
    step = 2 if ctx.model.bias else 1
    return [_rms(d) for d in ds], [_rms(g) for g in grads[::step]], [_rms(w) for w in params[::step]]


def _rms(a: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(a))))


def layer_gradient_rms(ctx: Context, frames: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(frames, layers): RMS of dLoss/dW per layer at each frame, in numpy (float64)."""
    return np.asarray([_backprop(ctx, f, X, y)[1] for f in frames])


def _exploding_at(delta: np.ndarray, grad: np.ndarray, weight: np.ndarray) -> bool:
    """The error grows layer by layer on its way back (each hidden layer's above the one after it),
    reaches the first layer >= EXPLODE_GROWTH x the output's, and moves the first layer's weights
    fast (RMS dLoss/dW1 >= EXPLODE_RELATIVE x RMS W1)."""
    hidden = delta[:-1]
    return bool(np.all(hidden[:-1] > hidden[1:]) and delta[0] >= EXPLODE_GROWTH * delta[-1]
                and grad[0] >= EXPLODE_RELATIVE * max(weight[0], 1e-300))


def check_vanishing(ctx: Context, grad: np.ndarray, steps: list[int]) -> list[Finding]:
    """First layer's RMS gradient below 1e-3 x the last layer's at the first frame (later a
    converged or stuck net has tiny gradients everywhere). grad: (frames, layers)."""
    ratio = grad[:, 0] / np.maximum(grad[:, -1], 1e-300)
    if ratio[0] >= GRADIENT_RATIO:
        return []
    sev = "warning" if ctx.poor() else "info"
    return [Finding("vanishing_gradients", sev, steps[0],
                    {"frames": steps, "rms_per_layer": grad.tolist(), "first_over_last": ratio.tolist(),
                     "ratio_at_start": float(ratio[0])},
                    f"the first layer's gradient is {ratio[0]:.2g}x the last layer's (at step {steps[0]}; "
                    f"RMS per layer at the start {', '.join(f'{r:.2g}' for r in grad[0])})",
                    "use relu / leaky-relu or tanh instead of sigmoid, fewer layers, He/Glorot "
                    "initialisation, or an adaptive optimizer (adam)")]


def check_exploding(ctx: Context, delta: np.ndarray, grad: np.ndarray, weight: np.ndarray,
                    steps: list[int]) -> list[Finding]:
    """The backpropagated error growing layer by layer towards the input (``_exploding_at``) at
    some frame; the step is the first such frame. delta, grad, weight: (frames, layers)."""
    hits = [i for i in range(len(steps)) if _exploding_at(delta[i], grad[i], weight[i])]
    if not hits:
        return []
    i = hits[0]
    growth = delta[i, :-1] / delta[i, 1:]  # per layer: its error over the error of the layer above
    layers = [li + 1 for li in range(len(growth)) if delta[i, li] > delta[i, -1]]
    return [Finding("exploding_gradients", "warning", steps[i],
                    {"from_step": steps[i], "frames": steps, "exploding_frames": [steps[h] for h in hits],
                     "layers": layers, "error_rms_per_layer": delta.tolist(), "rms_per_layer": grad.tolist(),
                     "weight_rms_per_layer": weight.tolist(), "growth_per_layer": growth.tolist(),
                     "first_over_output": float(delta[i, 0] / max(delta[i, -1], 1e-300))},
                    f"from step {steps[i]} the gradient grows layer by layer towards the input: the error reaching "
                    f"hidden layer 1 is {delta[i, 0] / max(delta[i, -1], 1e-300):.3g}x the output's (x"
                    f"{np.exp(np.mean(np.log(growth[:-1]))):.2g} per layer; amplified in layers "
                    f"{', '.join(map(str, layers))}), and dLoss/dW1 is {grad[i, 0] / max(weight[i, 0], 1e-300):.2g}x W1's size",
                    "smaller initial weights (glorot / he, or a smaller init scale), fewer layers, gradient "
                    "clipping, or a lower learning rate")]


def check_gradients(ctx: Context, frames: np.ndarray, X: np.ndarray, y: np.ndarray) -> list[Finding]:
    """Vanishing and exploding gradients per layer, by numpy backprop (``weightflow.reference``) at
    the given frames. Needs two hidden layers or more."""
    if ctx.model.n_layers < 3 or not len(frames):
        return []
    delta, grad, weight = (np.asarray(a) for a in zip(*[_backprop(ctx, f, X, y) for f in frames]))
    steps = [int(ctx.steps[f]) for f in frames]
    return check_vanishing(ctx, grad, steps) + check_exploding(ctx, delta, grad, weight, steps)


def check_units(ctx: Context, most_frames: int = 12) -> list[Finding]:
    """Every unit check, on up to ``most_frames`` sampled frames."""
    data = ctx.train_data()
    if data is None or not ctx.frames or not ctx.model.activations:
        return []
    frames = ctx.sample_frames(most_frames)
    if not len(frames):
        return []
    X, y = data
    nets = hidden_nets(ctx, frames, X)
    return (check_dead(ctx, frames, nets) + check_saturated(ctx, frames, nets) + check_symmetric(ctx, frames)
            + check_gradients(ctx, frames, X, y))
