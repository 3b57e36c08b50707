"""What every check reads: one run (or a prefix of one, during training) in a single shape.

A Context holds the model, the config dict, the data split, the recorded steps and history, the
frames (or None) and how many steps the run was planned for. ``final`` says whether the run is
over (post-hoc diagnosis) or still training (the online monitor), which changes what a check may
conclude: a curve that is still short proves less.
"""

from __future__ import annotations

import math
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np

from ..errors import bad_input


def one_blas_thread(needed: bool = True):
    """A context in which numpy's BLAS uses one thread: the checks multiply small matrices, where
    threads only cost (on a busy 2-core machine a 1000x64 @ 64x64 product took 23 ms with two
    threads, 1 ms with one), and during training the engine holds the cores. ``needed=False`` (a
    net without hidden layers: no products worth it) skips the one-time library scan (~50 ms)."""
    global _CONTROLLER
    if not needed:
        return nullcontext()
    if _CONTROLLER is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # scikit-learn brings it; without it, numpy's default
            return nullcontext()
        _CONTROLLER = ThreadpoolController()  # scanning the loaded libraries once: it takes milliseconds
    return _CONTROLLER.limit(limits=1, user_api="blas")


_CONTROLLER = None


@dataclass
class Context:
    """model: an MLP; config: the run's RunConfig; split: the data (or None); steps (F,);
    history: col -> (F,); frames: per parameter (F, *shape) or None; total_steps: planned steps;
    final: True when the run is over."""

    model: object
    config: object
    split: object
    steps: np.ndarray
    history: dict
    frames: list | None
    total_steps: int
    final: bool = True
    status: str = "completed"
    diverged_at: int | None = None  # the step where the engine stopped a diverged run (frames stop before it)

    @classmethod
    def from_run(cls, run) -> "Context":
        if run.population is not None:
            raise bad_input("diagnose", "a single run", f"a population of {run.population} members",
                            "use diagnose_population(run) or diagnose(run.member(m))")
        cfg = run.config
        total = int(cfg.schedule.steps)
        return cls(run.model, cfg, run.split, np.asarray(run.steps), run.history, run.frames, total,
                   True, run.status, run.metrics.get("diverged_at_step"))

    # --- curves ---------------------------------------------------------------------------
    def curve(self, name: str) -> np.ndarray:
        """History column ``name`` as float64 (F,), NaN-filled when absent."""
        v = self.history.get(name)
        return np.full(len(self.steps), np.nan) if v is None else np.asarray(v, np.float64)

    @property
    def n_frames(self) -> int:
        return len(self.steps)

    @property
    def done(self) -> int:
        """Steps done so far (the last recorded frame's step, or the planned total at the end)."""
        if self.final and self.status == "completed":
            return max(self.total_steps, int(self.steps[-1]) if len(self.steps) else 0)
        return int(self.steps[-1]) if len(self.steps) else 0

    @property
    def progress(self) -> float:
        """Share of the planned steps done, in [0, 1]."""
        return 1.0 if self.total_steps <= 0 else min(1.0, self.done / self.total_steps)

    def last_finite(self, name: str) -> float:
        v = self.curve(name)
        v = v[np.isfinite(v)]
        return float(v[-1]) if len(v) else math.nan

    @property
    def classifier(self) -> bool:
        return self.model.output in ("sigmoid", "softmax")

    @property
    def train_accuracy(self) -> float:
        return self.last_finite("train_accuracy")

    def poor(self, level: float = 0.9) -> bool:
        """Whether the run trains badly: train accuracy below ``level`` (or loss not finite)."""
        acc = self.train_accuracy
        return self.classifier and (not math.isfinite(acc) or acc < level)

    # --- data -----------------------------------------------------------------------------
    def train_data(self, limit: int = 1000) -> tuple[np.ndarray, np.ndarray] | None:
        """(X (n, d), y (n,)) of the training set, at most ``limit`` rows (evenly picked)."""
        if self.split is None or len(self.split.y_train) == 0:
            return None
        X, y = np.asarray(self.split.X_train, np.float64), np.asarray(self.split.y_train)
        if len(y) > limit:
            pick = np.linspace(0, len(y) - 1, limit).astype(int)
            X, y = X[pick], y[pick]
        return X, y

    def frame_params(self, f: int) -> list[np.ndarray]:
        """Every parameter at frame ``f``."""
        return [np.asarray(p[f], np.float64) for p in self.frames]

    def sample_frames(self, most: int = 12) -> np.ndarray:
        """Up to ``most`` frame indices, evenly spaced, first and last included, finite ones only."""
        if not self.frames or self.n_frames == 0:
            return np.zeros(0, int)
        loss = self.curve("train_loss")
        good = np.nonzero(np.isfinite(loss))[0] if np.isfinite(loss).any() else np.arange(self.n_frames)
        if not len(good):
            return np.zeros(0, int)
        idx = good[np.unique(np.linspace(0, len(good) - 1, min(most, len(good))).astype(int))]
        ok = [f for f in idx if all(np.all(np.isfinite(p[f])) for p in self.frames)]
        return np.asarray(ok, int)

    def feature_names(self) -> list[str]:
        d = self.model.sizes[0]
        names = list(self.config.data.feature_names)
        return names if len(names) == d else [f"x{i + 1}" for i in range(d)]
