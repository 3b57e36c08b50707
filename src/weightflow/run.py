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

from . import grid
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
    member_metrics: dict[str, np.ndarray] | None = None  # population only: column -> (members,)
    member_status: list[str] | None = None  # population only

    @property
    def population(self) -> int | None:
        """Number of members, or None for a single run (then no array has a member axis)."""
        return None if self.member_metrics is None else len(self.member_status)

    def member(self, m: int) -> "Run":
        """Member ``m`` of a population as a single Run (views, no copies of the frames)."""
        if self.population is None:
            raise WeightflowError("member: expected a population run, got a single run; use the run itself")
        if not -self.population <= m < self.population:
            raise WeightflowError(f"member: expected an index in [0, {self.population}), got {m}; pick a member")
        m = m % self.population
        metrics = {k: float(v[m]) for k, v in self.member_metrics.items()}
        metrics.update(steps=self.metrics.get("steps"), seconds=self.metrics.get("seconds"))
        config = grid.member_config(self.config, m)
        history = {k: (v if k == "step" else v[m]) for k, v in self.history.items()}
        return Run(model=self.model, params=[p[m] for p in self.params], frames=[f[m] for f in self.frames],
                   steps=self.steps, history=history, metrics=metrics, status=self.member_status[m], config=config,
                   initial_params=[p[m] for p in self.initial_params], split=self.split)

    def grid_points(self) -> list[tuple[dict, slice]]:
        """The grid points of a population with the members that trained at each:
        ``[({"lr": 0.1, "eta": 5}, slice(0, 64)), ...]``; one ``({}, all members)`` without a grid."""
        if self.population is None:
            raise WeightflowError("grid_points: expected a population run, got a single run")
        pts = grid.points(grid.axis_values(self.config))
        per = self.population // len(pts)
        return [(pt, slice(g * per, (g + 1) * per)) for g, pt in enumerate(pts)]

    @property
    def param_names(self) -> list[str]:
        return self.model.param_names

    def predict(self, x) -> np.ndarray:
        """Predicted class (n,) for inputs (n, d) with the final parameters (numpy, no compiling)."""
        return self.model.predict(self.params, x)

    def predict_proba(self, x) -> np.ndarray:
        """Output activation (n, out) for inputs (n, d) with the final parameters."""
        return self.model.forward_numpy(self.params, x)[1]

    def to_torch(self, logits: bool = False):
        """An ``nn.Sequential`` holding the trained weights (see ``weightflow.export.to_torch``)."""
        from .export import to_torch

        return to_torch(self, logits=logits)

    def animate(self, **options):
        """The weight movie inline in a notebook (see ``weightflow.viz.animate``)."""
        from .viz import animate

        return animate(self, **options)

    def __repr__(self) -> str:
        m = self.metrics
        acc = ", ".join(f"{k} {m[k]:.4f}" for k in ("train_accuracy", "test_accuracy")
                        if isinstance(m.get(k), float) and math.isfinite(m[k]))
        return f"<Run {self.model} {self.status}: {m.get('steps')} steps, {len(self.steps)} frames, {acc}>"

    @staticmethod
    def prepare_directory(directory: str | os.PathLike) -> Path:
        """Create ``directory`` for a run, refusing a file or a non-empty folder that is not a run
        (so user files are never overwritten); an earlier run there is replaced."""
        out = Path(directory)
        if out.exists() and not out.is_dir():
            raise WeightflowError(f"--out {out}: expected a directory, got a file; choose another path")
        ours = {"run.json", "frames"}  # an earlier run, or one being streamed into it right now
        if out.is_dir() and not (out / "run.json").exists() and any(p.name not in ours for p in out.iterdir()):
            raise WeightflowError(f"--out {out}: expected a new or empty directory (or an earlier run), "
                                  "got a non-empty directory; choose another path")
        (out / "frames").mkdir(parents=True, exist_ok=True)
        return out

    def save(self, directory: str | os.PathLike) -> Path:
        """Write the run directory (see module docstring); returns its path.

        Frames already streamed into this directory (memory-mapped by ``train(out=...)``) are
        flushed, not copied.
        """
        out = self.prepare_directory(directory)
        names = self.param_names
        np.savez(out / "params.npz", **dict(zip(names, self.params)))
        if self.initial_params:
            np.savez(out / "initial.npz", **dict(zip(names, self.initial_params)))
        targets = {out / "frames" / f"{name}.npy": f for name, f in zip(names, self.frames)}
        for old in (out / "frames").glob("*.npy"):
            if old not in targets and old.name != "steps.npy":
                old.unlink()
        for path, f in targets.items():
            if isinstance(f, np.memmap) and f.filename and Path(f.filename).resolve() == path.resolve():
                f.flush()
                kept = f.shape[0 if self.population is None else 1]  # frames axis
                _truncate_npy(path, kept, self.population is not None)
            else:
                np.save(path, np.asarray(f))
        np.save(out / "frames" / "steps.npy", np.asarray(self.steps, np.int64))
        if self.split is not None:
            s = self.split
            np.savez(out / "data.npz", **{f: getattr(s, f) for f in SPLIT_FIELDS})
        if self.population is None:
            self._write_history_csv(out / "history.csv")
        else:
            np.savez(out / "history.npz", **{k: np.asarray(v) for k, v in self.history.items()})
            with open(out / "members.csv", "w", newline="") as fh:
                w = csv.writer(fh)
                axes = [a for a in grid.axis_values(self.config) if a != "lr"]
                w.writerow(["member", "seed", "lr", *axes, "status", *self.member_metrics])
                for point, part in self.grid_points():
                    lr = point.get("lr", self.config["optimizer"]["lr"])
                    for m in range(part.start, part.stop):
                        w.writerow([m, self.config["seed"] + m - part.start, lr, *(point[a] for a in axes),
                                    self.member_status[m], *(f"{v[m]:.9g}" if np.isfinite(v[m]) else ""
                                                             for v in self.member_metrics.values())])
        meta = {"format_version": FORMAT_VERSION, "weightflow_version": __version__, "status": self.status,
                "metrics": self.metrics, "config": self.config}
        (out / "run.json").write_text(json.dumps(_clean(meta), indent=2) + "\n")
        return out

    def _write_history_csv(self, path: Path) -> None:
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            names_ = list(HISTORY_COLUMNS) + [c for c in self.history if c not in HISTORY_COLUMNS]
            w.writerow(names_)
            cols = [np.asarray(self.history[c]) for c in names_]
            for row in zip(*cols):
                w.writerow([int(row[0])] + ["" if not np.isfinite(v) else f"{v:.9g}" for v in row[1:]])


def _truncate_npy(path: Path, frames: int, population: bool) -> None:
    """Rewrite a streamed .npy whose frame axis was preallocated longer (a run that stopped early)."""
    arr = np.load(path, mmap_mode="r")
    axis = 1 if population else 0
    if arr.shape[axis] == frames:
        return
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, arr[:, :frames] if population else arr[:frames])
    del arr
    os.replace(tmp, path)  # a new file: maps of the old one stay valid


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
    member_metrics = member_status = None
    if config.get("population"):
        with np.load(d / "history.npz", allow_pickle=False) as z:
            history = {k: z[k] for k in z.files}
        member_metrics, member_status = _read_members(d / "members.csv", grid.axis_values(meta["config"]))
    else:
        history = _read_history_csv(d / "history.csv")
    split = None
    if (d / "data.npz").exists():
        with np.load(d / "data.npz", allow_pickle=False) as z:
            split = Split(**{f: z[f] for f in SPLIT_FIELDS})
    metrics = {k: (math.nan if v is None else v) for k, v in meta.get("metrics", {}).items()}
    return Run(model=model, params=params, frames=frames, steps=steps, history=history, metrics=metrics,
               status=meta["status"], config=config, initial_params=initial, split=split,
               member_metrics=member_metrics, member_status=member_status)


def _read_history_csv(path: Path) -> dict[str, np.ndarray]:
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        history = {c: [] for c in reader.fieldnames or HISTORY_COLUMNS}
        for row in reader:
            for c in history:
                history[c].append(float(row[c]) if row[c] != "" else math.nan)
    history = {c: np.asarray(v, np.int64 if c == "step" else np.float64) for c, v in history.items()}
    return history


def _read_members(path: Path, axes) -> tuple[dict[str, np.ndarray], list[str]]:
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    columns = [c for c in rows[0] if c not in ("member", "seed", "lr", "status", *axes)] if rows else []
    metrics = {c: np.asarray([float(r[c]) if r[c] != "" else math.nan for r in rows]) for c in columns}
    return metrics, [r["status"] for r in rows]
