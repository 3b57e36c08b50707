"""A training run and its directory on disk (format in docs/run-format.md). No jax here.

Layout of a run directory, format version 1::

    run.json          format version, weightflow version, status, config, metrics
    history.csv       step, train_loss, train_accuracy, test_loss, test_accuracy (empty cell = not evaluated)
    params.npz        final parameters, keys W1, b1, W2, ... (Keras order, W as (in, out))
    initial.npz       the parameters before the first step
    frames/NAME.npy   recorded frames of each parameter, shape (frames, *param shape)
    frames/steps.npy  the step of each frame (frames,)
    data.npz          X_train, y_train, X_test, y_test, mean, std, train_index, test_index: the data it saw
"""

from __future__ import annotations

import csv
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._version import __version__
from .datasets import Split
from .errors import WeightflowError
from .model import MLP

FORMAT_VERSION = 1
SPLIT_FIELDS = ("X_train", "y_train", "X_test", "y_test", "mean", "std", "train_index", "test_index")
HISTORY_COLUMNS = ("step", "train_loss", "train_accuracy", "test_loss", "test_accuracy")


def _clean(value):
    """JSON-safe copy: numpy scalars to Python, NaN/inf to None."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass
class Run:
    """One training run: what ``train`` returns and ``load_run`` reads back.

    params: final parameters, Keras order ``[W1 (in, out), b1, ...]``.
    frames: per parameter, the recorded values with a leading frame axis (F, *shape).
    steps: (F,) the optimizer step after which each frame was taken.
    history: column name -> (F,) array (HISTORY_COLUMNS, then any optimizer statistics such as an
        acceptance rate); NaN where the test set was not evaluated.
    metrics: end-of-run train/test loss and accuracy, steps done, seconds.
    status: ``completed``, ``diverged`` or ``interrupted``.
    config: everything needed to rerun it (model, loss, optimizer, schedule, seed, data).
    initial_params: the parameters before the first step. split: the data it trained on.
    """

    model: MLP
    params: list[np.ndarray]
    frames: list[np.ndarray]
    steps: np.ndarray
    history: dict[str, np.ndarray]
    metrics: dict
    status: str
    config: dict
    initial_params: list[np.ndarray] = field(default_factory=list)
    split: Split | None = None

    @property
    def param_names(self) -> list[str]:
        return self.model.param_names

    def predict(self, x) -> np.ndarray:
        """Predicted class (n,) for inputs (n, d) with the final parameters (numpy, no compiling)."""
        return self.model.predict(self.params, x)

    def predict_proba(self, x) -> np.ndarray:
        """Output activation (n, out) for inputs (n, d) with the final parameters."""
        return self.model.forward_numpy(self.params, x)[1]

    def animate(self, **options):
        """The weight movie inline in a notebook (see ``weightflow.viz.animate``)."""
        from .viz import animate

        return animate(self, **options)

    def __repr__(self) -> str:
        m = self.metrics
        acc = ", ".join(f"{k} {m[k]:.4f}" for k in ("train_accuracy", "test_accuracy")
                        if isinstance(m.get(k), float) and math.isfinite(m[k]))
        return f"<Run {self.model} {self.status}: {m.get('steps')} steps, {len(self.steps)} frames, {acc}>"

    def save(self, directory: str | os.PathLike) -> Path:
        """Write the run directory (see module docstring); returns its path.

        Refuses a non-empty directory that is not already a weightflow run, so user files are never
        overwritten; an earlier run in the same directory is replaced.
        """
        out = Path(directory)
        if out.exists() and not out.is_dir():
            raise WeightflowError(f"--out {out}: expected a directory, got a file; choose another path")
        if out.is_dir() and any(out.iterdir()) and not (out / "run.json").exists():
            raise WeightflowError(f"--out {out}: expected a new or empty directory (or an earlier run), "
                                  "got a non-empty directory; choose another path")
        (out / "frames").mkdir(parents=True, exist_ok=True)
        names = self.param_names
        np.savez(out / "params.npz", **dict(zip(names, self.params)))
        if self.initial_params:
            np.savez(out / "initial.npz", **dict(zip(names, self.initial_params)))
        for old in (out / "frames").glob("*.npy"):
            old.unlink()
        for name, f in zip(names, self.frames):
            np.save(out / "frames" / f"{name}.npy", np.asarray(f))
        np.save(out / "frames" / "steps.npy", np.asarray(self.steps, np.int64))
        if self.split is not None:
            s = self.split
            np.savez(out / "data.npz", **{f: getattr(s, f) for f in SPLIT_FIELDS})
        with open(out / "history.csv", "w", newline="") as fh:
            w = csv.writer(fh)
            names_ = list(HISTORY_COLUMNS) + [c for c in self.history if c not in HISTORY_COLUMNS]
            w.writerow(names_)
            cols = [np.asarray(self.history[c]) for c in names_]
            for row in zip(*cols):
                w.writerow([int(row[0])] + ["" if not np.isfinite(v) else f"{v:.9g}" for v in row[1:]])
        meta = {"format_version": FORMAT_VERSION, "weightflow_version": __version__, "status": self.status,
                "metrics": self.metrics, "config": self.config}
        (out / "run.json").write_text(json.dumps(_clean(meta), indent=2) + "\n")
        return out


def _load_npz(path: Path, names: list[str]) -> list[np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        missing = [n for n in names if n not in z.files]
        if missing:
            raise WeightflowError(f"{path}: expected arrays {names}, got {z.files}; the run directory is damaged")
        return [z[n] for n in names]


def load_run(directory: str | os.PathLike) -> Run:
    """Read a run directory written by ``Run.save`` (or ``weightflow train --out``)."""
    d = Path(directory)
    meta_path = d / "run.json"
    if not meta_path.is_file():
        raise WeightflowError(f"run directory {str(d)!r}: expected a folder with run.json, got none; "
                              "pass the --out folder of a weightflow train run")
    try:
        meta = json.loads(meta_path.read_text())
    except json.JSONDecodeError as e:
        raise WeightflowError(f"{meta_path}: expected JSON, got a parse error ({e.msg} at line {e.lineno}); "
                              "the run directory is damaged") from None
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        raise WeightflowError(f"{meta_path}: expected run format version {FORMAT_VERSION}, got {version!r}; "
                              "rerun it with this weightflow version")
    config = meta["config"]
    model = MLP.from_dict(config["model"])
    names = model.param_names
    params = _load_npz(d / "params.npz", names)
    initial = _load_npz(d / "initial.npz", names) if (d / "initial.npz").exists() else []
    frames = [np.load(d / "frames" / f"{n}.npy", mmap_mode="r") for n in names]
    steps = np.load(d / "frames" / "steps.npy")
    with open(d / "history.csv", newline="") as fh:
        reader = csv.DictReader(fh)
        history = {c: [] for c in reader.fieldnames or HISTORY_COLUMNS}
        for row in reader:
            for c in history:
                history[c].append(float(row[c]) if row[c] != "" else math.nan)
    history = {c: np.asarray(v, np.int64 if c == "step" else np.float64) for c, v in history.items()}
    split = None
    if (d / "data.npz").exists():
        with np.load(d / "data.npz", allow_pickle=False) as z:
            split = Split(**{f: z[f] for f in SPLIT_FIELDS})
    metrics = {k: (math.nan if v is None else v) for k, v in meta.get("metrics", {}).items()}
    return Run(model=model, params=params, frames=frames, steps=steps, history=history, metrics=metrics,
               status=meta["status"], config=config, initial_params=initial, split=split)
