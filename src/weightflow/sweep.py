"""Sweeps: a grid of configurations, each trained as a population, summarised per grid point.

Widths, depths and activations change the program, so each is its own run; learning rates,
in-state optimizer options (eta, temperature, ...), init scales and seeds are population axes of
one program (see ``train(population=..., lr=[...])`` and :mod:`weightflow.grid`). A sweep writes
one population run directory per program and ``summary.csv`` with, per (program, grid point):
the success rate (members whose final ``metric`` reaches ``threshold``), the median final metric,
and the median step at which members first reach ``reach`` (from the recorded frames).

Config (TOML, or the same dict from Python)::

    [data]   name = "xor" (or a list of names: one program each), test_size = 0, validation_split, options = {...}
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

SECTIONS = {"data": {"name", "test_size", "validation_split", "options", "standardize"},
             "model": {"hidden", "activation", "output", "init", "init_scale", "bias_init", "loss", "bias"},
             "train": {"optimizer", "lr", "steps", "epochs", "batch_size", "population", "seed", "record_every",
                       "eval_every", "options", "l1", "l2"},
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


EXPERIMENT_SECTIONS = {"description", "notebook", "quick"}  # checked by weightflow.experiment.read; unused here


def check_config(cfg: dict) -> dict:
    for key, value in cfg.items():
        if key in EXPERIMENT_SECTIONS:
            continue
        if key not in SECTIONS:
            raise bad_input("sweep config", "sections among " + ", ".join([*SECTIONS, *sorted(EXPERIMENT_SECTIONS)]), key, "remove or rename it")
        allowed = SECTIONS[key]
        if allowed is not None:
            unknown = sorted(set(value) - allowed)
            if unknown:
                raise bad_input(f"sweep config [{key}]", "keys among " + ", ".join(sorted(allowed)),
                                ", ".join(unknown), "remove or rename them")
    name = cfg.get("data", {}).get("name")
    if name is None:
        raise WeightflowError("sweep config [data]: expected a dataset name, got none; add name = \"xor\"")
    if not (isinstance(name, str) or isinstance(name, list) and name and all(isinstance(n, str) for n in name)):
        raise bad_input("sweep config [data] name", "a dataset name or a list of them", name,
                        'e.g. name = "xor" or name = ["diamond", "circle"]')
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


def _programs(cfg: dict):
    """``(dataset name, hidden, activation)`` of every program, datasets slowest."""
    model_cfg = cfg.get("model", {})
    hiddens = [_as_list(h) for h in _as_list(model_cfg.get("hidden", [[4]]))]
    return itertools.product(_as_list(cfg["data"]["name"]), hiddens, _as_list(model_cfg.get("activation", "tanh")))


def _train_program(cfg: dict, dataset, hidden: list, activation: str, out: Path, progress, force: bool) -> Run:
    from .training import train

    data, model_cfg, tr = (cfg.get(k, {}) for k in ("data", "model", "train"))
    n_out = 1 if dataset.n_classes == 2 and model_cfg.get("output") != "softmax" else dataset.n_classes
    model = MLP([dataset.n_features, *hidden, n_out], activation=activation, output=model_cfg.get("output"),
                init=model_cfg.get("init", "glorot-uniform"), bias_init=model_cfg.get("bias_init", 0.0),
                bias=model_cfg.get("bias", True))
    lr = tr.get("lr", 1e-3)
    lr = [float(v) for v in lr] if isinstance(lr, (list, tuple)) else float(lr)
    given = {k: data[k] for k in ("validation_split",) if data.get(k) is not None}  # only when the file says
    given.update({k: tr[k] for k in ("l1", "l2") if tr.get(k)})
    return train(model, dataset, optimizer=tr.get("optimizer", "adam"), lr=lr,
                 population=int(tr.get("population", 64)), init_scale=model_cfg.get("init_scale", 1.0),
                 steps=tr.get("steps"), epochs=tr.get("epochs"), batch_size=tr.get("batch_size"),
                 record_every=tr.get("record_every"), test_size=data.get("test_size", 0.2),
                 standardize=data.get("standardize", False), seed=int(tr.get("seed", 0)),
                 loss=model_cfg.get("loss"), optimizer_options=tr.get("options"), progress=progress,
                 out=out, force=force, **given)


def _rows(run: Run, label: str, data_name: str | None, hidden: list, activation: str, success: dict) -> list[dict]:
    """The summary rows of one program's population run, one per grid point."""
    metric = success.get("metric", "train_accuracy")
    threshold, reach = float(success.get("threshold", 1.0)), float(success.get("reach", 0.9))
    final, loss = run.member_metrics[metric], run.member_metrics["train_loss"]
    reached = first_reach(run.history, metric, reach)
    rows = []
    for point, part in run.grid_points():
        med = float(np.median(reached[part]))
        axes = {k: v for k, v in point.items() if k != "lr"}
        rows.append({"run": label, "activation": activation, "hidden": "x".join(map(str, hidden)) or "none",
                     "lr": point.get("lr", run.config.optimizer.lr), **axes,
                     **({"data": data_name} if data_name else {}), "members": run.config.population,
                     f"success_rate ({metric} >= {threshold:g})": float(np.mean(final[part] >= threshold)),
                     f"median_final_{metric}": float(np.median(final[part])),
                     "median_final_train_loss": float(np.nanmedian(loss[part])),
                     f"median_steps_to_{reach:g}": med if math.isfinite(med) else "never"})
    return rows


def run_sweep(cfg: dict, out: str | Path, progress: bool | None = None, echo=print, force: bool = False) -> list[dict]:
    """Train every grid point of ``cfg`` into ``out``; returns the summary rows (also summary.csv).

    ``[data] name`` may list several datasets: each is then a program of its own (folder
    ``DATA-ACTIVATION-WIDTHS``), the rows carry a ``data`` column, and ``difficulty.md`` ranks the
    datasets by how quickly they are learned (also echoed)."""
    check_sweep_folder(Path(out), force)
    cfg = check_config(cfg)
    several = isinstance(cfg["data"]["name"], list)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for data_name, hidden, activation in _programs(cfg):
        dataset = load(data_name, **cfg["data"].get("options", {}))
        label = (f"{data_name}-" if several else "") + f"{activation}-{'x'.join(map(str, hidden)) or 'none'}"
        run = _train_program(cfg, dataset, hidden, activation, out / label, progress, force)
        for row in _rows(run, label, data_name if several else None, hidden, activation, cfg.get("success", {})):
            rows.append(row)
            echo("  ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()))
    _write_atomically(out / "summary.csv", lambda fh: _write_csv(fh, rows))
    if several:
        table = difficulty_table(rows)
        _write_atomically(out / "difficulty.md", lambda fh: fh.write(table))
        echo(table)
    return rows


def _write_csv(fh, rows: list[dict]) -> None:
    w = csv.DictWriter(fh, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)


def _write_atomically(path: Path, write) -> None:
    part = path.with_name(f".{path.name}.partial")
    with open(part, "w", newline="") as fh:
        write(fh)
    part.replace(path)  # whole or absent


def _column(rows: list[dict], prefix: str) -> str:
    return next(c for c in rows[0] if c.startswith(prefix))


def _cell(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _programs_vary(rows: list[dict]) -> bool:
    return len({(r["activation"], r["hidden"]) for r in rows}) > 1


def difficulty_table(rows: list[dict]) -> str:
    """Markdown: one line per dataset (and program, learning rate), quickest learned first: the success
    over seeds, the median final metric and train loss, the median first recorded step reaching ``reach``."""
    rate, final, steps = (_column(rows, p) for p in ("success_rate", "median_final_", "median_steps_to_"))
    order = sorted(rows, key=lambda r: (r[steps] == "never", r[steps] if r[steps] != "never" else 0, -r[rate]))
    lrs = len({r["lr"] for r in rows}) > 1
    head = ["rank", "data", *(["run"] if _programs_vary(rows) else []),
            *(["lr"] if lrs else []), rate, final, "median_final_train_loss", steps]
    lines = ["| " + " | ".join(h.replace("_", " ") for h in head) + " |", "|" + "---|" * len(head)]
    for i, r in enumerate(order, 1):
        cells = {"rank": i, **r, rate: f"{round(r[rate] * r['members'])}/{r['members']} ({r[rate]:.3f})"}
        lines.append("| " + " | ".join(_cell(cells[h]) for h in head) + " |")
    return "\n".join(lines) + "\n"


def summary_table(rows: list[dict]) -> str:
    """Markdown of the summary rows, without the columns that are the same in every row."""
    keep = [c for c in rows[0] if c != "run" and (len({str(r[c]) for r in rows}) > 1
                                                  or c.startswith(("success_rate", "median_")))]
    lines = ["| " + " | ".join(c.replace("_", " ") for c in keep) + " |", "|" + "---|" * len(keep)]
    lines += ["| " + " | ".join(_cell(r[c]) for c in keep) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def point_metrics(rows: list[dict]) -> dict[str, float]:
    """A sweep's numbers as ``{"POINT/COLUMN": value}``: POINT names a row by what varies between rows
    (its dataset, program, ``lr X``, other grid axes), e.g. ``diamond/median_final_train_accuracy`` or
    ``lr 0.5/success_rate``; a sweep of one row has POINT ``all``. "never" steps are inf."""
    keys = list(rows[0])[:list(rows[0]).index("members")]
    varying = [k for k in keys if k not in ("activation", "hidden") and len({r[k] for r in rows}) > 1]
    if "data" in varying and not _programs_vary(rows):
        varying.remove("run")  # the run label only repeats the dataset
    out = {}
    for r in rows:
        point = " ".join(str(r[k]) if k in ("data", "run") else f"{k} {r[k]:g}" for k in varying) or "all"
        for col, v in r.items():
            if col.startswith(("success_rate", "median_")):
                name = "success_rate" if col.startswith("success_rate") else col
                out[f"{point}/{name}"] = math.inf if v == "never" else float(v)
    return out


def member_run(out: str | Path, label: str) -> Run:
    """One grid point's population run of a finished sweep."""
    from .run import load_run

    return load_run(Path(out) / label)
