"""The "what was run" block: the config as table rows, the command that makes the run again, versions."""

from __future__ import annotations

import platform
import shlex
from importlib import metadata

from .._version import __version__

_DEFAULT_OPTIONS = {"adam": ("b1", "b2", "eps"), "nadam": ("b1", "b2", "eps"), "rmsprop": ("decay", "eps")}


def config_rows(cfg: dict, prefix: str = "") -> list[tuple[str, str]]:
    """Flatten the config into ``[("optimizer.lr", "0.05"), ...]`` rows (lists as comma lists)."""
    rows = []
    for key, value in cfg.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            rows += config_rows(value, name + ".")
        elif isinstance(value, (list, tuple)):
            rows.append((name, ", ".join(map(str, value))))
        else:
            rows.append((name, "" if value is None else str(value)))
    return rows


def _csv(value) -> str:
    return ",".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)


def _model_flags(cfg) -> list[str]:
    m = cfg.model
    args = ["--hidden", ",".join(map(str, m.sizes[1:-1])) or "none"]
    if m.activations:
        acts = list(m.activations)
        args += ["--activation", acts[0] if len(set(acts)) == 1 else ",".join(acts)]
    args += ["--output", str(m.output), "--loss", cfg.loss, "--init", str(m.init)]
    if m.bias_init:
        args += ["--bias-init", str(m.bias_init)]
    if not m.bias:
        args.append("--no-bias")
    return args


def _optimizer_flags(cfg) -> list[str]:
    from ..cli.rule_options import _FLAG_OF

    opt = cfg.optimizer
    args = ["--optimizer", opt.name, "--lr", _csv(opt.lr)]
    for key, value in opt.options.items():
        if key in _DEFAULT_OPTIONS.get(opt.name, ()) or value is None:
            continue
        if key == "nesterov":
            args += ["--nesterov"] if value else []
        elif key == "momentum":
            args += ["--momentum", str(value)] if value else []
        elif key in _FLAG_OF:
            args += [_FLAG_OF[key], _csv(value)]
    return args


def _schedule_flags(cfg) -> list[str]:
    s = cfg.schedule
    args = ["--epochs", str(cfg.epochs)] if cfg.epochs else ["--steps", str(s.steps)]
    for value, flag in ((s.batch_size, "--batch-size"), (s.record_every, "--record-every"),
                        (s.eval_every, "--eval-every"), (cfg.population, "--population")):
        if value is not None:
            args += [flag, str(value)]
    args += ["--test-size", str(cfg.data.test_size), "--seed", str(cfg.seed)]
    if cfg.data.standardize:
        args.append("--standardize")
    if cfg.init_scale not in (None, 1, 1.0):
        args += ["--init-scale", _csv(cfg.init_scale)]
    return args


def command(cfg) -> str | None:
    """The ``weightflow train ...`` line that trains this run (a RunConfig) again, or None (data given
    as arrays, or initial weights given)."""
    name = cfg.data.name
    if not name or name in ("arrays", "split") or cfg.init == "given" or cfg.optimizer.name == "custom":
        return None
    args = ["weightflow", "train", "--data", str(name)]
    for key, value in cfg.data.options.items():
        if key == "label":
            args += ["--label", str(value)]
        elif not (key == "seed" and value == cfg.seed):
            args += ["--data-option", f"{key}={_csv(value)}"]
    args += _model_flags(cfg) + _optimizer_flags(cfg) + _schedule_flags(cfg)
    return " ".join(shlex.quote(a) for a in args)


def versions() -> list[tuple[str, str]]:
    """``[("weightflow", "0.1.0"), ("python", "3.12.1"), ("jax", ...), ...]`` (installed, not imported)."""
    out = [("weightflow", __version__), ("python", platform.python_version())]
    for pkg in ("jax", "jaxlib", "optax", "numpy"):
        try:
            out.append((pkg, metadata.version(pkg)))
        except metadata.PackageNotFoundError:
            pass
    return out


def status_reason(run) -> str:
    """Why a run ended as it did, in one sentence."""
    steps = run.metrics.get("steps")
    if run.population is not None:
        bad = sum(s != "completed" for s in run.member_status)
        return f"{run.population - bad} of {run.population} members completed" + (
            f"; {bad} diverged or stopped" if bad else "") + f" ({steps} steps)."
    if run.status == "diverged":
        at = run.metrics.get("diverged_at_step")
        where = f"at step {int(at)}" if at is not None else f"after step {int(run.steps[-1])}"
        return (f"The loss diverged (NaN/inf, or 10000 times its start) {where}; the frames before it are kept "
                "and the final weights are the last finite ones.")
    if run.status == "interrupted":
        return f"Stopped by the user (Ctrl-C) after {steps} steps; the frames up to there are kept."
    return f"Completed {steps} steps."
