"""Checks on the data and what the model made of it: accuracy at chance, class imbalance, inputs
not standardised (reported as a warning only when it hurts the run)."""

from __future__ import annotations

import math

import numpy as np

from .context import Context
from .finding import Finding

CHANCE_Z = 1.96          # accuracy within 1.96 standard errors of the majority share is chance
IMBALANCE = 0.4          # a class with under 0.4/K of the training labels
SCALE = 5.0              # an input with std > 5 or < 1/5, or |mean| > 3 std, is not standardised


def _majority(y: np.ndarray) -> float:
    return float(np.bincount(np.asarray(y, int)).max() / len(y)) if len(y) else math.nan


def check_chance(ctx: Context) -> list[Finding]:
    """Accuracy (test if there is a test set, else train) not above the majority-class share."""
    if not ctx.classifier or ctx.split is None or (not ctx.final and ctx.progress < 0.5):
        return []
    use_test = ctx.final and len(ctx.split.y_test) > 0 and math.isfinite(ctx.last_finite("test_accuracy"))
    y = ctx.split.y_test if use_test else ctx.split.y_train
    acc = ctx.last_finite("test_accuracy" if use_test else "train_accuracy")
    n, p0 = len(y), _majority(y)
    if not n or not math.isfinite(acc) or p0 >= 1:
        return []
    se = math.sqrt(p0 * (1 - p0) / n)
    if acc < p0 + CHANCE_Z * se and not ctx.train_accuracy >= 0.9:  # fitted train set: overfitting instead
        which = "test" if use_test else "train"
        return [Finding("chance_accuracy", "error", ctx.done,
                        {"accuracy": acc, "set": which, "majority_share": p0, "standard_error": se, "n": n},
                        f"{which} accuracy {acc:.3f} is no better than always answering the largest class "
                        f"({p0:.3f}, within {CHANCE_Z} standard errors of {se:.3f})",
                        "check the labels match the inputs, then the learning rate and the model's capacity")]
    return []


def check_imbalance(ctx: Context) -> list[Finding]:
    """A class holding under 0.4/K of the training labels (K classes)."""
    if not ctx.classifier or ctx.split is None or not len(ctx.split.y_train):
        return []
    y = np.asarray(ctx.split.y_train, int)
    k = max(int(y.max()) + 1, 2 if ctx.model.output == "sigmoid" else ctx.model.sizes[-1])
    counts = np.bincount(y, minlength=k)
    share = counts / counts.sum()
    small = [int(c) for c in np.nonzero(share < IMBALANCE / k)[0]]
    if not small:
        return []
    names = list(ctx.config.data.class_names) or [str(c) for c in range(k)]
    recall = _recall(ctx, y, k)
    return [Finding("class_imbalance", "warning", None,
                    {"counts": counts.tolist(), "shares": share.tolist(), "small_classes": small,
                     "train_recall_per_class": recall},
                    f"class{'es' if len(small) > 1 else ''} {', '.join(names[c] if c < len(names) else str(c) for c in small)} "
                    f"hold{'' if len(small) > 1 else 's'} {', '.join(f'{share[c]:.1%}' for c in small)} of the training "
                    f"labels (counts {counts.tolist()})",
                    "weight the loss by class, resample the classes, and judge by per-class recall, not accuracy")]


def _recall(ctx: Context, y: np.ndarray, k: int) -> list | None:
    if not ctx.frames:
        return None
    pred = ctx.model.predict(ctx.frame_params(ctx.n_frames - 1), ctx.split.X_train)
    return [float(np.mean(pred[y == c] == c)) if np.any(y == c) else None for c in range(k)]


def check_scale(ctx: Context, hurts: bool) -> list[Finding]:
    """Inputs far from mean 0 / std 1; a warning when ``hurts`` (the run trains badly or its first
    layer starts saturated), else information."""
    if ctx.split is None or not len(ctx.split.y_train):
        return []
    X = np.asarray(ctx.split.X_train, np.float64)
    mean, std = X.mean(axis=0), X.std(axis=0)
    live = std > 0
    bad = live & ((std > SCALE) | (std < 1 / SCALE) | (np.abs(mean) > 3 * np.maximum(std, 1e-12)))
    if not bad.any():
        return []
    names = ctx.feature_names()
    idx = np.nonzero(bad)[0]
    return [Finding("unstandardised_inputs", "warning" if hurts else "info", None,
                    {"inputs": [names[i] for i in idx], "mean": mean[idx].tolist(), "std": std[idx].tolist(),
                     "hurts": hurts, "train_accuracy": ctx.train_accuracy},
                    f"{len(idx)} input(s) are far from mean 0 / std 1: "
                    + ", ".join(f"{names[i]} (mean {mean[i]:.3g}, std {std[i]:.3g})" for i in idx[:6])
                    + (" ..." if len(idx) > 6 else "")
                    + ("; the run trains badly" if hurts else "; the run trains well anyway"),
                    "standardise the inputs (--standardize): subtract the training mean, divide by the std")]
