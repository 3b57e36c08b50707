"""Reproduction: every experiment file run once, the notebook's figure beside ours, as one markdown page.

``run_all(names, quick)`` trains each experiment (``experiments/*.toml``; with ``quick`` its ``[quick]``
variant) into ``RUNS/NAME``, times it (wall clock: data, compiling, training and writing the run) and
judges it against the file's ``[notebook] pass`` thresholds (``metric = minimum`` or ``[low, high]``);
``markdown(outcomes)`` is the page (``docs/REPRODUCTION.md``), ``weightflow reproduce`` both.

An experiment that cannot run here (the MNIST ones without their files) is reported with the reason
and the command that runs it, not as a failure. A quick variant is not judged: its few steps are meant to
show that every file still trains, not to reach the notebook's numbers. No jax at import.
"""

from __future__ import annotations

import math
import os
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import experiment as ex
from .errors import WeightflowError

PASS, FAIL, QUICK, NO_THRESHOLD = "pass", "FAIL", "not judged (quick)", "no threshold"
NEEDS_MNIST = "needs the MNIST files (WEIGHTFLOW_DATA)"
_SHOWN = ("train_accuracy", "test_accuracy", "train_loss", "test_loss")  # singles without notebook numbers


@dataclass
class Outcome:
    """One experiment's result: ``values`` are our numbers by metric name (a sweep's as POINT/COLUMN)."""

    name: str
    cfg: dict
    path: Path
    values: dict[str, float] = field(default_factory=dict)
    seconds: float | None = None
    status: str = ""
    table: str = ""  # a sweep's summary (markdown)

    @property
    def notebook(self) -> dict:
        return self.cfg.get("notebook", {})

    @property
    def checks(self) -> dict:
        return self.notebook.get("pass", {})

    def shown(self) -> list[str]:
        """The metrics the page lists: the notebook's and the thresholds', else the usual four."""
        keys = list(dict.fromkeys([*self.notebook.get("expected", {}), *self.checks]))
        if keys or ex.is_sweep(self.cfg):
            return keys
        return [k for k in _SHOWN if _finite(self.values.get(k))]


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and not math.isnan(v)


def judge(value, want) -> bool | None:
    """Whether ``value`` meets ``want`` (a minimum, or a ``[low, high]`` range); None when there is no value."""
    if not _finite(value):
        return None
    if isinstance(want, (list, tuple)):
        return want[0] <= value <= want[1]
    return value >= want


def verdict(values: dict, checks: dict, quick: bool) -> str:
    if quick:
        return QUICK
    if not checks:
        return NO_THRESHOLD
    return PASS if all(judge(values.get(k), w) for k, w in checks.items()) else FAIL


def run_one(path: Path, runs: Path, quick: bool = False) -> Outcome:
    """Train one experiment file into ``runs/NAME`` (replacing an earlier reproduction there)."""
    cfg = ex.read(path)
    cfg = ex.quick(cfg) if quick else cfg
    out = Outcome(path.stem, cfg, path)
    start = time.perf_counter()
    try:
        out.values, out.table = (_sweep if ex.is_sweep(cfg) else _single)(cfg, runs / path.stem)
    except WeightflowError as e:
        out.status = NEEDS_MNIST if "WEIGHTFLOW_DATA" in str(e) else f"not run: {e}"
        return out
    out.seconds = time.perf_counter() - start
    out.status = verdict(out.values, out.checks, quick)
    return out


def _single(cfg: dict, out: Path) -> tuple[dict, str]:
    run = ex.train_config(cfg, out=out, force=True, progress=False, diagnose=False)
    return {k: float(v) for k, v in run.metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}, ""


def _sweep(cfg: dict, out: Path) -> tuple[dict, str]:
    from .sweep import difficulty_table, point_metrics, run_sweep, summary_table

    rows = run_sweep(cfg, out, progress=False, echo=lambda *_: None, force=True)
    several = isinstance(cfg["data"]["name"], list)
    return point_metrics(rows), difficulty_table(rows) if several else summary_table(rows)


def _order(path: Path) -> tuple:
    source = ex.read(path).get("notebook", {}).get("source", "")
    return (not source.startswith("seed"), source, path.stem)


def run_all(names=None, quick: bool = False, runs: str | Path = "runs/reproduce", echo=print) -> list[Outcome]:
    """Every experiment of ``experiments/`` (or those named), in the notebooks' order."""
    paths = [ex.locate(n) for n in names] if names else sorted(ex.EXPERIMENTS.glob("*.toml"))
    from . import training  # noqa: F401  (jax loads here, not inside the first experiment's time)

    outcomes = []
    for path in sorted(paths, key=_order):
        outcomes.append(run_one(path, Path(runs), quick))
        o = outcomes[-1]
        echo(f"{o.name}: {o.status}" + ("" if o.seconds is None else f" ({o.seconds:.1f} s)"))
    return outcomes


# --- the page ------------------------------------------------------------------------------------

def _num(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return "never" if v == math.inf else f"{v:.4g}"


def _want(w) -> str:
    if w is None:
        return "-"
    return f"{w[0]:g} to {w[1]:g}" if isinstance(w, (list, tuple)) else f">= {w:g}"


def _result(o: Outcome, key: str) -> str:
    if key not in o.checks or o.seconds is None:
        return "-"
    ok = judge(o.values.get(key), o.checks[key])
    return "-" if o.status == QUICK else {True: "pass", False: "FAIL", None: "no value"}[ok]


def _command(o: Outcome, quick: bool) -> str:
    own = o.path.resolve() == (ex.EXPERIMENTS / f"{o.name}.toml").resolve()
    base = f"weightflow run {o.name if own else o.path}" + (" --quick" if quick else "")
    return f"WEIGHTFLOW_DATA=FOLDER {base}" if o.status == NEEDS_MNIST else base


def _time(o: Outcome) -> str:
    return "-" if o.seconds is None else f"{o.seconds:.1f} s"


def _section(o: Outcome, quick: bool) -> list[str]:
    nb = o.notebook
    lines = [f"## {o.name}", "", ex.describe(o.path), "",
             f"- source: {nb.get('source', '-')}; the notebook: {nb.get('figure', '-')}",
             f"- command: `{_command(o, quick)}`; time here: {_time(o)}; result: **{o.status}**",
             *(["- where to put the files and what to expect: [experiments.md](experiments.md#real-mnist)"]
               if o.status == NEEDS_MNIST else []), ""]
    keys = o.shown()
    if keys:
        lines += ["| metric | notebook | ours | threshold | result |", "|---|---|---|---|---|"]
        expected = nb.get("expected", {})
        lines += [f"| {k} | {_num(expected.get(k))} | {_num(o.values.get(k))} | {_want(o.checks.get(k))} | "
                  f"{_result(o, k)} |" for k in keys]
        lines.append("")
    if o.table:
        lines += [o.table, ""]
    return lines


def _ours(o: Outcome) -> str:
    keys = list(o.checks) or list(o.notebook.get("expected", {}))
    if o.seconds is None or not keys:
        return "-" if o.seconds is None else "see below"
    return ", ".join(f"{k} {_num(o.values.get(k))}" for k in keys)


def machine() -> str:
    """The machine in a few words: CPU, cores, jax's backend."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), cpu)
    except OSError:
        pass
    import jax

    load = f", load average {os.getloadavg()[0]:.1f} at the end" if hasattr(os, "getloadavg") else ""
    return f"{cpu}, {os.cpu_count()} cores, jax {jax.__version__} on {jax.default_backend()}{load}"


def markdown(outcomes: list[Outcome], quick: bool = False, where: str | None = None) -> str:
    """The reproduction page: a summary table, then a table per experiment."""
    command = "weightflow reproduce" + (" --quick" if quick else "")
    total = sum(o.seconds or 0 for o in outcomes)
    head = ["# Reproduction: the notebooks' numbers beside ours", "",
            f"Made by `{command}` on {time.strftime('%Y-%m-%d', time.gmtime())} ({where or machine()}); "
            f"{total:.0f} s in all. Rerun it to check this page. Thresholds (`[notebook] pass` in each "
            "experiment file) are the issue's where it names one, else the notebook's figure less about 3 points; times are wall clock per experiment "
            "(data, compiling, training, writing the run) on a machine shared with other work, so they vary.",
            "", "| experiment | source | the notebook | ours | result | time |", "|---|---|---|---|---|---|"]
    head += [f"| [{o.name}](#{o.name}) | {o.notebook.get('source', '-')} | {o.notebook.get('figure', '-')} | "
             f"{_ours(o)} | {o.status} | {_time(o)} |" for o in outcomes]
    body = [line for o in outcomes for line in _section(o, quick)]
    return "\n".join([*head, "", *body]).rstrip("\n") + "\n"


def failed(outcomes: list[Outcome]) -> list[str]:
    return [o.name for o in outcomes if o.status == FAIL]
