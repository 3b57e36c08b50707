"""Re-implementations of three published rule sets, as the issue describes them, mapped onto
weightflow's finding names. Each takes a Context (a run or a prefix of one) and returns the set of
symptom names it flags at that point.

- AUTOTRAINER (Zhang et al., ICSE 2021): checks only after 30% of training; slow convergence when
  the largest one-epoch accuracy gain is < 0.01 (an "epoch" = one recorded frame interval here;
  scored as too_slow and stuck);
  oscillating loss when the training accuracy drops by > 0.03 from one frame to the next at least
  3 times in the last 10 frames; exploding gradient on NaN/inf loss or a layer's gradient RMS > 70
  (scored as exploding_gradients and as diverging, the failure it names);
  vanishing gradient when the first layer's gradient RMS is < 1e-4 x the last layer's; dying ReLU
  when >= 70% of ReLU units output 0 on every sample. Its overfitting rule is disabled.
- DeepDiagnosis (Wardat et al., ICSE 2022): exploding tensor (NaN/inf loss or weights; scored as
  exploding_gradients and diverging); dead
  layer when >= 70% of a ReLU layer's outputs are <= 0; saturated when > 50% of a sigmoid/tanh
  layer's pre-activations lie outside +-5; unchanged weights (no weight moved by > 1e-8 between
  the last two frames); loss not decreasing (the last frame's loss >= the loss 10 frames before;
  scored as too_slow and stuck);
  vanishing gradient when a layer's gradient RMS is < 1e-7.
- UMLAUT (Schoop et al., CHI 2021): a learning rate outside [1e-7, 0.01] (above: scored as diverging
  and oscillating, what a too-high rate does); any single evaluation
  where the validation loss rises (overfitting); inputs outside [-1, 1] by more than a factor 10
  (missing normalisation).
"""

from __future__ import annotations

import numpy as np

from weightflow import reference
from weightflow.diagnose.context import Context
from weightflow.diagnose.units import layer_gradient_rms


def _last_frames(ctx: Context) -> np.ndarray:
    return ctx.sample_frames(2)[-1:]


def _nets(ctx: Context, f: int, X: np.ndarray) -> list[np.ndarray]:
    acts = reference.model_activations(ctx.model)
    return reference.forward(ctx.frame_params(f), X, acts, ctx.model.bias).nets[:-1]


def _nonfinite(ctx: Context) -> bool:
    return not np.all(np.isfinite(ctx.curve("train_loss")))


def _grad_rms(ctx: Context):
    data, frames = ctx.train_data(500), _last_frames(ctx)
    if data is None or not len(frames):
        return None
    return layer_gradient_rms(ctx, frames, *data)[0]


def autotrainer(ctx: Context) -> set[str]:
    if ctx.progress < 0.3:
        return set()
    out = set()
    acc = ctx.curve("train_accuracy")
    acc = acc[np.isfinite(acc)]
    if len(acc) > 1 and np.max(np.diff(acc)) < 0.01:
        out |= {"too_slow", "stuck"}
    if len(acc) > 2 and np.sum(np.diff(acc[-10:]) < -0.03) >= 3:
        out.add("oscillating")
    rms = _grad_rms(ctx)
    if _nonfinite(ctx) or (rms is not None and np.max(rms) > 70):
        out |= {"diverging", "exploding_gradients"}
    if rms is not None and len(rms) > 2 and rms[0] < 1e-4 * rms[-1]:
        out.add("vanishing_gradients")
    out |= _dead(ctx, 0.7, per_unit=True)
    return out


def _dead(ctx: Context, share: float, per_unit: bool) -> set[str]:
    data, frames = ctx.train_data(500), _last_frames(ctx)
    if data is None or not len(frames):
        return set()
    for act, net in zip(ctx.model.activations, _nets(ctx, frames[0], data[0])):
        if act != "relu":
            continue
        dead = (~(net > 0).any(axis=0)).mean() if per_unit else (net <= 0).mean()
        if dead >= share:
            return {"dead_units"}
    return set()


def deepdiagnosis(ctx: Context) -> set[str]:
    out = set()
    if _nonfinite(ctx) or any(not np.all(np.isfinite(p[-1])) for p in ctx.frames):
        out |= {"diverging", "exploding_gradients"}
    out |= _dead(ctx, 0.7, per_unit=False)
    data, frames = ctx.train_data(500), _last_frames(ctx)
    if data is not None and len(frames):
        for act, net in zip(ctx.model.activations, _nets(ctx, frames[0], data[0])):
            if act in ("sigmoid", "tanh") and (np.abs(net) > 5).mean() > 0.5:
                out.add("saturated_units")
    if ctx.n_frames >= 2 and max(float(np.abs(p[-1] - p[-2]).max()) for p in ctx.frames) <= 1e-8:
        out.add("stuck")
    loss = ctx.curve("train_loss")
    if len(loss) > 10 and np.isfinite(loss[-1]) and loss[-1] >= loss[-11]:
        out |= {"too_slow", "stuck"}
    rms = _grad_rms(ctx)
    if rms is not None and np.min(rms) < 1e-7:
        out.add("vanishing_gradients")
    return out


def umlaut(ctx: Context) -> set[str]:
    out = set()
    lr = ctx.config.optimizer.lr
    if isinstance(lr, (int, float)):
        if lr > 0.01:
            out |= {"diverging", "oscillating"}
        if lr < 1e-7:
            out.add("too_slow")
    test = ctx.curve("test_loss")
    test = test[np.isfinite(test)]
    if len(test) > 1 and np.any(np.diff(test) > 0):
        out.update({"overfitting"})
    if ctx.split is not None and np.abs(ctx.split.X_train).max() > 10:
        out.add("unstandardised_inputs")
    return out


BASELINES = {"AUTOTRAINER": autotrainer, "DeepDiagnosis": deepdiagnosis, "UMLAUT": umlaut}
