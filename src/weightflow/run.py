"""A training run and its directory on disk (format in docs/run-format.md). No jax here.

Layout of a run directory, format version 1::

    run.json          format version, weightflow version, status, config, metrics
    history.csv       step, train_loss, train_accuracy, test_loss, test_accuracy, then val_loss, val_accuracy
                      with a validation_split and any optimizer statistics (empty cell = not evaluated)
    params.npz        final parameters, keys W1, b1, W2, ... (Keras order, W as (in, out))
    initial.npz       the parameters before the first step
    frames/NAME.npy   recorded frames of each parameter, shape (frames, *param shape)
    frames/steps.npy  the step of each frame (frames,)
    data.npz          X_train, y_train, X_test, y_test, mean, std, train_index, test_index: the data it saw
                      (and X_val, y_val, val_index with a validation_split)
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import record
from ._version import __version__
from .config import RunConfig
from .datasets import Split
from .errors import WeightflowError
from .model import MLP
from .signals import signals_deferred

HISTORY_COLUMNS = record.HISTORY_COLUMNS


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
    config: a :class:`~weightflow.config.RunConfig`, everything needed to rerun it.
    initial_params: the parameters before the first step. split: the data it trained on.
    """

    model: MLP
    params: list[np.ndarray]
    frames: list[np.ndarray]
    steps: np.ndarray
    history: dict[str, np.ndarray]
    metrics: dict
    status: str
    config: RunConfig
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
        config = self.config.member_config(m)
        history = {k: (v if k == "step" else v[m]) for k, v in self.history.items()}
        return Run(model=self.model, params=[p[m] for p in self.params], frames=[f[m] for f in self.frames],
                   steps=self.steps, history=history, metrics=metrics, status=self.member_status[m], config=config,
                   initial_params=[p[m] for p in self.initial_params], split=self.split)

    def grid_points(self) -> list[tuple[dict, slice]]:
        """The grid points of a population with the members that trained at each:
        ``[({"lr": 0.1, "eta": 5}, slice(0, 64)), ...]``; one ``({}, all members)`` without a grid."""
        if self.population is None:
            raise WeightflowError("grid_points: expected a population run, got a single run")
        pts = self.config.points()
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

    def report(self, findings=None) -> str:
        """The full self-contained HTML page of this run (see docs/report.md and ``weightflow report``)."""
        from .report import build_report

        return build_report(self, findings)

    def _repr_html_(self) -> str:  # a Run on its own in a notebook cell shows the compact player
        from .report import repr_html

        return repr_html(self)

    def animate(self, **options):
        """The weight movie inline in a notebook (see ``weightflow.viz.animate``)."""
        from .viz import animate

        return animate(self, **options)

    def __repr__(self) -> str:
        m = self.metrics
        acc = ", ".join(f"{k} {m[k]:.4f}" for k in ("train_accuracy", "val_accuracy", "test_accuracy")
                        if isinstance(m.get(k), float) and math.isfinite(m[k]))
        return f"<Run {self.model} {self.status}: {m.get('steps')} steps, {len(self.steps)} frames, {acc}>"

    def save(self, directory: str | os.PathLike, *, force: bool = False) -> Path:
        """Write the run directory (see module docstring); returns its path. It is written beside its
        destination and renamed into place, so it is whole or absent; an earlier run there is replaced
        only with ``force``."""
        staging = record.Staging(directory, force)
        try:
            with signals_deferred():
                self.write_into(staging.path)
                return staging.commit()
        finally:
            staging.abort()  # nothing left behind when writing failed (a no-op after the commit)

    def write_into(self, out: Path) -> None:
        """Write every file of the run into the folder ``out`` (a staging folder: see ``save``). Frames
        already streamed there (memory-mapped by ``train(out=...)``) are kept, not copied."""
        (out / "frames").mkdir(parents=True, exist_ok=True)
        names = self.param_names
        record.write_npz(out / "params.npz", names, self.params)
        if self.initial_params:
            record.write_npz(out / "initial.npz", names, self.initial_params)
        targets = {out / "frames" / f"{name}.npy": f for name, f in zip(names, self.frames)}
        for old in (out / "frames").glob("*.npy"):
            if old not in targets and old.name != "steps.npy":
                old.unlink()
        for path, f in targets.items():
            if not record.is_streamed_to(f, path):
                np.save(path, np.asarray(f))
        np.save(out / "frames" / "steps.npy", np.asarray(self.steps, np.int64))
        if self.split is not None and not record.link_checkpoint_data(out):
            arrays = record.split_arrays(self.split)
            record.write_npz(out / "data.npz", list(arrays), list(arrays.values()))
        if self.population is None:
            record.write_history_csv(out / "history.csv", self.history)
        else:
            record.write_npz(out / "history.npz", list(self.history), [np.asarray(v) for v in self.history.values()])
            self._write_members(out / "members.csv")
        record.write_meta(out / "run.json", self.status, self.metrics, self.config.to_dict(), __version__)

    def _write_members(self, path: Path) -> None:
        axes = [a for a in self.config.grid if a != "lr"]
        fixed = []
        for point, part in self.grid_points():
            lr = point.get("lr", self.config.optimizer.lr)
            fixed += [[m, self.config.seed + m - part.start, lr, *(point[a] for a in axes), self.member_status[m]]
                      for m in range(part.start, part.stop)]
        record.write_members_csv(path, ["member", "seed", "lr", *axes, "status"], fixed, self.member_metrics)


def load_run(directory: str | os.PathLike) -> Run:
    """Read a run directory written by ``Run.save`` (or ``weightflow train --out``). A damaged one (a
    missing or truncated file, arrays of the wrong shape, a config that does not read) is refused with
    one line naming the file; no pickle is ever executed."""
    d = Path(directory)
    meta_path = d / "run.json"
    if not meta_path.is_file():
        raise WeightflowError(f"run directory {str(d)!r}: expected a folder with run.json, got none; "
                              "pass the --out folder of a weightflow train run")
    meta = record.read_meta(meta_path)
    config = RunConfig.from_dict(meta["config"], f"{meta_path} config")
    members = (config.members,) if config.population else ()
    names, shapes = config.model.param_names, [(*members, *s) for s in config.model.param_shapes]
    params = record.read_npz(d / "params.npz", names, shapes)
    initial = record.read_npz(d / "initial.npz", names, shapes) if (d / "initial.npz").exists() else []
    steps = record.read_npy(d / "frames" / "steps.npy", _steps_shape(d), "frame steps")
    lead = (*members, len(steps))
    frames = [record.read_npy(d / "frames" / f"{n}.npy", (*lead, *s), f"frames of {n}")
              for n, s in zip(names, config.model.param_shapes)]
    member_metrics = member_status = None
    if config.population:
        history = record.read_npz_all(d / "history.npz")
        member_metrics, member_status = record.read_members_csv(d / "members.csv", config.grid)
        if len(member_status) != config.members:
            raise WeightflowError(f"{d / 'members.csv'}: expected {config.members} members, got "
                                  f"{len(member_status)}; the run directory is damaged (rerun it)")
    else:
        history = record.read_history_csv(d / "history.csv")
    _check_history(d, history, lead)
    split = None
    if (d / "data.npz").exists():
        split = Split(**record.read_split_arrays(d / "data.npz"))
    metrics = {k: (math.nan if v is None else v) for k, v in meta.get("metrics", {}).items()}
    return Run(model=config.model, params=params, frames=frames, steps=steps, history=history, metrics=metrics,
               status=meta["status"], config=config, initial_params=initial, split=split,
               member_metrics=member_metrics, member_status=member_status)


def _steps_shape(d: Path) -> tuple:
    """steps.npy must be one-dimensional; its length is the frame count everything else is checked against."""
    path = d / "frames" / "steps.npy"
    try:
        shape = np.load(path, mmap_mode="r", allow_pickle=False).shape
    except record.DAMAGED as e:
        raise record.damaged(path, "the frames' steps (frames,)", e) from None
    if len(shape) != 1:
        raise WeightflowError(f"{path}: expected the frames' steps of shape (frames,), got shape {shape}; "
                              "the run directory is damaged (rerun it)")
    return shape


def _check_history(d: Path, history: dict, lead: tuple) -> None:
    file = "history.npz" if len(lead) == 2 else "history.csv"
    for column in ("step", "train_loss"):
        if column not in history:
            raise WeightflowError(f"{d / file}: expected a {column} column, got {sorted(history)}; "
                                  "the run directory is damaged (rerun it)")
    for column, values in history.items():
        want = lead[-1:] if column == "step" else lead
        if np.shape(values) != want:
            raise WeightflowError(f"{d / file}: expected {column} of shape {want}, got {np.shape(values)}; "
                                  "the run directory is damaged (rerun it)")
