"""Sweeps: a grid of configurations, each trained as a population, summarised per grid point.

Widths, depths and activations change the program, so each is its own run; learning rates,
in-state optimizer options (eta, temperature, ...), init scales and seeds are population axes of
one program (see ``train(population=..., lr=[...])`` and :mod:`weightflow.grid`). A sweep writes
one population run directory per program and ``summary.csv`` with, per (program, grid point):
the success rate (members whose final ``metric`` reaches ``threshold``), the median final metric,
and the median step at which members first reach ``reach`` (from the recorded frames).

Config (TOML, or the same dict from Python)::

    [data]   name = "xor", test_size = 0, options = {...}
    [model]  hidden = [[1], [2], [4, 4]], activation = ["relu", "tanh"], output, init, init_scale = [0.5, 1],
             bias_init, loss
    [train]  optimizer = "adam", lr = [0.01, 0.1], steps = 2000, population = 256, seed = 0, record_every,
             options = {eta = [1, 5]} (a list of an in-state option is a grid axis)
    [success] metric = "train_accuracy", threshold = 1.0, reach = 0.9
"""

from __future__ import annotations

import csv
import itertools
import math
import tomllib
from pathlib import Path

import numpy as np

from .datasets import load
from .errors import WeightflowError, bad_input
from .model import MLP
from .record import check_destination
from .run import Run

_SECTIONS = {"data": {"name", "test_size", "options", "standardize"},
             "model": {"hidden", "activation", "output", "init", "init_scale", "bias_init", "loss", "bias"},
             "train": {"optimizer", "lr", "steps", "epochs", "batch_size", "population", "seed", "record_every",
                       "eval_every", "options"},
             "success": {"metric", "threshold", "reach"},
             "name": None}


def read_config(path: str | Path) -> dict:
    """Parse a sweep TOML file, with one-line errors for a missing file or bad TOML."""
    p = Path(path)
    if not p.is_file():
        raise bad_input("sweep config", "a TOML file that exists", str(p), "check the path, e.g. experiments/*.toml")
    try:
        return tomllib.loads(p.read_text())
    except tomllib.TOMLDecodeError as e:
        raise WeightflowError(f"sweep config {p}: expected TOML, got a parse error ({e}); fix the file") from None


def _as_list(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def check_config(cfg: dict) -> dict:
    for key, value in cfg.items():
        if key not in _SECTIONS:
            raise bad_input("sweep config", "sections among " + ", ".join(_SECTIONS), key, "remove or rename it")
        allowed = _SECTIONS[key]
        if allowed is not None:
            unknown = sorted(set(value) - allowed)
            if unknown:
                raise bad_input(f"sweep config [{key}]", "keys among " + ", ".join(sorted(allowed)),
                                ", ".join(unknown), "remove or rename them")
    if "name" not in cfg.get("data", {}):
        raise WeightflowError("sweep config [data]: expected a dataset name, got none; add name = \"xor\"")
    return cfg


def first_reach(history: dict, metric: str, level: float) -> np.ndarray:
    """Per member (members,), the first recorded step whose ``metric`` >= ``level`` (inf if never)."""
    values = np.asarray(history[metric])
    hit = values >= level
    steps = np.asarray(history["step"], np.float64)
    return np.where(hit.any(axis=1), steps[np.argmax(hit, axis=1)], np.inf)


def check_sweep_folder(out: Path, force: bool) -> None:
    """A sweep writes into a new or empty folder, or replaces an earlier sweep (summary.csv) with ``force``;
    a user's own folder is never written into."""
    check_destination(out, force, marker="summary.csv", kind="sweep", noun="folder")


def run_sweep(cfg: dict, out: str | Path, progress: bool | None = None, echo=print, force: bool = False) -> list[dict]:
    """Train every grid point of ``cfg`` into ``out``; returns the summary rows (also summary.csv)."""
    from .training import train

    check_sweep_folder(Path(out), force)

    cfg = check_config(cfg)
    data, model_cfg, tr, success = (cfg.get(k, {}) for k in ("data", "model", "train", "success"))
    dataset = load(data["name"], **data.get("options", {}))
    metric = success.get("metric", "train_accuracy")
    threshold, reach = float(success.get("threshold", 1.0)), float(success.get("reach", 0.9))
    population = int(tr.get("population", 64))
    lr = tr.get("lr", 1e-3)
    lr = [float(v) for v in lr] if isinstance(lr, (list, tuple)) else float(lr)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    hiddens = [_as_list(h) for h in _as_list(model_cfg.get("hidden", [[4]]))]
    for hidden, activation in itertools.product(hiddens, _as_list(model_cfg.get("activation", "tanh"))):
        n_out = 1 if dataset.n_classes == 2 and model_cfg.get("output") != "softmax" else dataset.n_classes
        model = MLP([dataset.n_features, *hidden, n_out], activation=activation, output=model_cfg.get("output"),
                    init=model_cfg.get("init", "glorot-uniform"), bias_init=model_cfg.get("bias_init", 0.0),
                    bias=model_cfg.get("bias", True))
        label = f"{activation}-{'x'.join(map(str, hidden)) or 'none'}"
        run = train(model, dataset, optimizer=tr.get("optimizer", "adam"), lr=lr, population=population,
                    init_scale=model_cfg.get("init_scale", 1.0),
                    steps=tr.get("steps"), epochs=tr.get("epochs"), batch_size=tr.get("batch_size"),
                    record_every=tr.get("record_every"), test_size=data.get("test_size", 0.2),
                    standardize=data.get("standardize", False), seed=int(tr.get("seed", 0)),
                    loss=model_cfg.get("loss"), optimizer_options=tr.get("options"), progress=progress,
                    out=out / label, force=force)
        final = run.member_metrics[metric]
        reached = first_reach(run.history, metric, reach)
        for point, part in run.grid_points():
            med = float(np.median(reached[part]))
            axes = {k: v for k, v in point.items() if k != "lr"}
            rows.append({"run": label, "activation": activation, "hidden": "x".join(map(str, hidden)) or "none",
                         "lr": point.get("lr", run.config.optimizer.lr), **axes, "members": population,
                         f"success_rate ({metric} >= {threshold:g})":
                         float(np.mean(final[part] >= threshold)), f"median_final_{metric}": float(np.median(final[part])),
                         f"median_steps_to_{reach:g}": med if math.isfinite(med) else "never"})
            echo("  ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in rows[-1].items()))
    part = out / ".summary.csv.partial"
    with open(part, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    part.replace(out / "summary.csv")  # whole or absent
    return rows


def member_run(out: str | Path, label: str) -> Run:
    """One grid point's population run of a finished sweep."""
    from .run import load_run

    return load_run(Path(out) / label)
