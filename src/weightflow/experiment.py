"""Experiment files: one notebook experiment as one TOML file, trained by ``weightflow run FILE``.

The format is the sweep's (see :mod:`weightflow.sweep`) with one configuration instead of lists:
``[data]`` (name, options, test_size, validation_split, standardize), ``[model]`` (hidden, activation,
output, init, bias_init, bias, loss, init_scale), ``[train]`` (optimizer, lr, options, steps or epochs,
batch_size, record_every, eval_every, seed, population, l1, l2), and optionally:

- ``[notebook]``: what the source reports. ``source`` ("seed 001"), ``figure`` (its numbers in words),
  ``expected`` (a table of its numbers by our metric names, printed beside ours by ``weightflow run``)
  and ``pass`` (what counts as reproducing it: ``metric = minimum`` or ``metric = [low, high]``);
- ``[quick]``: ``[train]`` or ``[model]`` values that make a quick variant (``weightflow run --quick``,
  ``weightflow reproduce --quick``, the tests).

A file whose ``[model]`` lists several widths or activations, whose ``[data]`` lists several dataset
names, or that has a ``[success]`` table is a sweep and is run as one; its metrics are then named ``POINT/COLUMN`` after its
summary (see :func:`weightflow.sweep.point_metrics`).

``to_toml(config)`` turns a run's :class:`~weightflow.config.RunConfig` back into such a file
(``weightflow run --from RUN_DIR``), so any run can be shared and repeated. No jax here.
"""

from __future__ import annotations

import math
from pathlib import Path

from .config import RunConfig
from .errors import WeightflowError, bad_input
from .sweep import EXPERIMENT_SECTIONS, SECTIONS, check_config, read_config

EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"  # the checkout's own experiment files
_NOTEBOOK = {"source", "figure", "expected", "pass"}


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _check_notebook(nb, where: str) -> None:
    if not isinstance(nb, dict):
        raise bad_input(where, "a table", nb, "write it as [notebook]")
    unknown = sorted(set(nb) - _NOTEBOOK)
    if unknown:
        raise bad_input(where, "keys among " + ", ".join(sorted(_NOTEBOOK)), ", ".join(unknown),
                        "remove or rename them")
    for key in ("source", "figure"):
        if key in nb and not isinstance(nb[key], str):
            raise bad_input(f"{where} {key}", "text", nb[key], f'e.g. {key} = "seed 001"')
    expected = nb.get("expected", {})
    if not isinstance(expected, dict) or not all(_number(v) for v in expected.values()):
        raise bad_input(f"{where} expected", "a table of numbers (the notebook's values)", expected,
                        "e.g. expected = {train_accuracy = 1.0}")
    for key, want in nb.get("pass", {}).items():
        pair = isinstance(want, list) and len(want) == 2 and all(map(_number, want)) and want[0] <= want[1]
        if not (_number(want) or pair):
            raise bad_input(f"{where} pass {key}", "a minimum or a [low, high] range", want,
                            f"e.g. {key} = 0.98 or {key} = [0.29, 0.35]")


def read(path: str | Path) -> dict:
    """Parse and check an experiment file (one line naming the key for anything wrong)."""
    cfg = read_config(path)
    extra = {k: cfg.pop(k) for k in EXPERIMENT_SECTIONS if k in cfg}
    check_config(cfg)
    if "notebook" in extra:
        _check_notebook(extra["notebook"], f"experiment {path} [notebook]")
    q = extra.get("quick", {})
    unknown = sorted(set(q) - SECTIONS["train"] - SECTIONS["model"]) if isinstance(q, dict) else ["(not a table)"]
    if unknown:
        raise bad_input(f"experiment {path} [quick]", "[train] or [model] keys (steps, epochs, population, "
                        "hidden, ...)", ", ".join(unknown), "remove or rename them")
    return {**_beside(cfg, Path(path)), **extra}


def _beside(cfg: dict, path: Path) -> dict:
    """A ``csv:PATH`` dataset named relative to the experiment file, as a path that works from anywhere."""
    name = cfg["data"]["name"]
    if isinstance(name, str) and name.startswith("csv:") and not Path(name[4:]).is_absolute():
        cfg["data"]["name"] = "csv:" + str((path.parent / name[4:]).resolve())
    return cfg


def with_length(cfg: dict, steps: int | None = None, epochs: int | None = None) -> dict:
    """``cfg`` trained for ``steps`` or ``epochs`` instead of the file's length (the other one dropped)."""
    if steps is None and epochs is None:
        return cfg
    return {**cfg, "train": {**cfg.get("train", {}), "steps": steps, "epochs": epochs}}


def quick(cfg: dict) -> dict:
    """The file's quick variant: its ``[quick]`` values over ``[train]`` and ``[model]`` (a length replaces
    the other)."""
    q = dict(cfg.get("quick", {}))
    out = with_length(cfg, q.pop("steps", None), q.pop("epochs", None))
    model = {k: q.pop(k) for k in list(q) if k in SECTIONS["model"]}
    return {**out, "train": {**out.get("train", {}), **q}, "model": {**out.get("model", {}), **model}}


def is_sweep(cfg: dict) -> bool:
    """A sweep: several programs (hidden layouts, activations or datasets), or a ``[success]`` table."""
    model = cfg.get("model", {})
    hidden, act = model.get("hidden", []), model.get("activation", "tanh")
    layouts = hidden if hidden and all(isinstance(h, list) for h in hidden) else [hidden]
    several = [len(layouts) > 1, isinstance(act, list) and len(act) > 1,
               isinstance(cfg.get("data", {}).get("name"), list), "success" in cfg]
    return any(several)


def train_kwargs(cfg: dict) -> tuple[dict, dict]:
    """``(model kwargs, train kwargs)`` of a single-configuration experiment: MLP(**model), train(**train)."""
    from .datasets import load

    data, model, tr = (cfg.get(k, {}) for k in ("data", "model", "train"))
    dataset = load(data["name"], **data.get("options", {}))
    hidden = model.get("hidden", [])
    hidden = hidden[0] if hidden and isinstance(hidden[0], list) else hidden
    act = model.get("activation", "tanh")
    act = act[0] if isinstance(act, list) else act
    n_out = 1 if dataset.n_classes == 2 and model.get("output") != "softmax" else dataset.n_classes
    mlp = {"sizes": [dataset.n_features, *hidden, n_out], "activation": act, "output": model.get("output"),
           "init": model.get("init", "glorot-uniform"), "bias_init": model.get("bias_init", 0.0),
           "bias": model.get("bias", True)}
    kw = {"data": dataset, "optimizer": tr.get("optimizer", "adam"), "lr": tr.get("lr", 1e-3),
          "optimizer_options": tr.get("options"), "steps": tr.get("steps"), "epochs": tr.get("epochs"),
          "batch_size": tr.get("batch_size"), "record_every": tr.get("record_every"),
          "eval_every": tr.get("eval_every"), "seed": int(tr.get("seed", 0)), "population": tr.get("population"), "l1": tr.get("l1"), "l2": tr.get("l2"),
          "test_size": data.get("test_size"), "validation_split": data.get("validation_split"),
          "standardize": data.get("standardize", False),
          "loss": model.get("loss"), "init_scale": model.get("init_scale", 1.0)}
    return mlp, kw


def train(name_or_path: str | Path, data=None, **changes):
    """Train a single-configuration experiment (what ``weightflow run NAME`` trains) and return the Run.

    ``changes``: ``weightflow.train`` keyword arguments over the file's (``steps`` replaces its
    ``epochs`` and the other way round); ``data``: another dataset in place of the file's.
    """
    return train_config(read(locate(str(name_or_path))), data, **changes)


def train_config(cfg: dict, data=None, **changes):
    """``train`` for an experiment already read (``read``, ``quick``, ``with_length``)."""
    from .model import MLP
    from .training import train as train_run

    mlp, kw = train_kwargs(cfg)
    kw = {k: v for k, v in kw.items() if v is not None}
    for a, b in (("steps", "epochs"), ("epochs", "steps")):
        if a in changes:
            kw.pop(b, None)
    kw.update(changes)
    dataset = kw.pop("data")
    return train_run(MLP(**mlp), dataset if data is None else data, **kw)


def names(folder: Path = EXPERIMENTS) -> list[tuple[str, str]]:
    """``[(name, first comment line or description), ...]`` of the experiment files in ``folder``."""
    return [(path.stem, describe(path)) for path in sorted(folder.glob("*.toml"))]


def describe(path: Path) -> str:
    """The file's first comment line (what the experiment is), or ''."""
    lines = Path(path).read_text().splitlines()
    return next((ln.lstrip("# ").strip() for ln in lines if ln.startswith("#")), "")


def locate(name_or_path: str) -> Path:
    """A path, or the name of one of the project's experiments (``mass-shuffle-adam``)."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    own = EXPERIMENTS / f"{name_or_path}.toml"
    if own.is_file():
        return own
    known = ", ".join(n for n, _ in names()) or "none"
    raise bad_input("experiment", f"a TOML file or one of: {known}", name_or_path, "see weightflow run --list")


# --- a run's config back as an experiment file -------------------------------------------------------

def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        if isinstance(v, float) and not math.isfinite(v):
            raise WeightflowError(f"to_toml: expected finite numbers, got {v}; the config cannot be written")
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items() if x is not None) + "}"
    raise WeightflowError(f"to_toml: expected numbers, text, lists or tables, got {type(v).__name__}")


def _key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() else _value(k)


def _section(title: str, items: dict) -> list[str]:
    return [f"[{title}]", *(f"{_key(k)} = {_value(v)}" for k, v in items.items() if v is not None), ""]


def to_toml(config: RunConfig, name: str = "run") -> str:
    """An experiment file that trains ``config`` again (data given as arrays cannot be: refused)."""
    if config.data.name in ("split", "arrays") or config.optimizer.name == "custom" or config.init == "given":
        raise WeightflowError("run: expected a run trained on a named dataset with a named optimizer and drawn "
                              "initial weights, got one trained on arrays, a custom optax rule or given weights; "
                              "it cannot be written as an experiment file")
    m, s, d = config.model, config.schedule, config.data
    data = {"name": d.name, "options": dict(d.options), "test_size": d.test_size,
            "validation_split": d.validation_split or None, "standardize": d.standardize}
    acts = list(m.activations)
    model = {"hidden": list(m.sizes[1:-1]), "activation": acts[0] if len(set(acts)) <= 1 and acts else acts,
             "output": m.output, "init": str(m.init), "bias_init": m.bias_init, "bias": m.bias, "loss": config.loss,
             "init_scale": config.init_scale}
    if not acts:
        model.pop("activation")
    train = {"optimizer": config.optimizer.name, "lr": config.optimizer.lr, "options": config.optimizer.options,
             "steps": None if config.epochs else s.steps, "epochs": config.epochs, "batch_size": s.batch_size,
             "record_every": s.record_every, "eval_every": s.eval_every, "seed": config.seed,
             "population": config.population, "l1": config.l1 or None, "l2": config.l2 or None}
    head = [f"# made by weightflow run --from: trains this run again", f"name = {_value(name)}", ""]
    return "\n".join(head + _section("data", data) + _section("model", model) + _section("train", train))
