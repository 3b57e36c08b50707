"""The report page: ``build_report(run)`` -> one self-contained HTML string (no jax, no network).

Every user string goes through jinja2 with autoescaping; the data reach the player as JSON in a
``<script type="application/json">`` block (with ``<`` written as ``\\u003c``, so no ``</script>`` or
``<!--`` can end it early), never pasted into code. Styles and the player are inlined.
"""

from __future__ import annotations

import json
import math
import uuid
from functools import lru_cache
from importlib import resources
from pathlib import Path

import jinja2

from .payload import build_payload
from .repro import command, config_rows, status_reason, versions

COMPACT_VIEWS = "curves,boundary,heatmaps"


@lru_cache(maxsize=None)
def _static(name: str) -> str:
    text = resources.files(__package__).joinpath("static", name).read_text(encoding="utf-8")
    assert "</script" not in text.lower(), name  # would end the inline block
    return text


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    env = jinja2.Environment(loader=jinja2.PackageLoader(__package__, "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.get_template("report.html.j2")


def script_json(value) -> str:
    """JSON safe inside a ``<script>`` element: ``<``, ``>`` and ``&`` escaped as ``\\u00XX``."""
    text = json.dumps(value, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _metric_text(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _summary(run) -> list[tuple[str, str]]:
    m = run.metrics
    keys = ("train_loss", "train_accuracy", "test_loss", "test_accuracy", "steps", "seconds")
    pre = "median " if run.population is not None else ""
    return [(pre + k.replace("_", " ") if k not in ("steps", "seconds") else k, _metric_text(m[k]))
            for k in keys if m.get(k) is not None and not (isinstance(m[k], float) and not math.isfinite(m[k]))]


def _members_rows(run, payload) -> list[tuple[str, str]] | None:
    if run.population is None:
        return None
    mem = payload["members"]
    rows = [("members", str(mem["count"])), ("members drawn on the page", str(mem["shown"]))]
    if mem["success_rate"] is not None:
        rows.append(("success rate (final train accuracy 1)", f"{mem['success_rate']:.3f}"))
    rows.append(("diverged", str(mem["diverged"])))
    return rows


def _context(run, findings, compact: bool, source, **payload_options) -> dict:
    cfg = run.config
    payload = build_payload(run, findings, **payload_options)
    uid = uuid.uuid4().hex[:10]
    title = str(Path(source).name) if source else str(cfg.data.name or "run")
    return {"title": title, "status": run.status, "status_reason": status_reason(run), "model": str(run.model),
            "description": cfg.data.description, "metrics": _summary(run),
            "root_id": f"wf-{uid}", "data_id": f"wf-data-{uid}", "views": COMPACT_VIEWS if compact else None,
            "findings": payload["findings"], "notes": payload["notes"], "compact": compact,
            "command": command(cfg), "seed": cfg.seed, "versions": versions(), "source": source,
            "config_rows": config_rows(cfg.to_dict()), "members": _members_rows(run, payload),
            "payload_json": script_json(payload), "css": _static("player.css"), "js": _static("player.js")}


def build_report(run, findings=None, *, source=None, **payload_options) -> str:
    """The full page for ``run`` (a single or population Run) as an HTML string.

    findings: optional list of dicts ``{name, severity, step, message}`` (the diagnosis), shown in a
    list and as marks on the time axis. source: the run directory, shown and used as the title.
    payload_options: ``budget_bytes``, ``dtype`` ("float32"/"float16"), ``max_points``, ``max_members``.
    """
    return _template().render(r=_context(run, findings, False, source, **payload_options), fragment=False)


def repr_html(run, findings=None, **payload_options) -> str:
    """The compact version for notebooks (summary, player, curves, boundary, weights): an HTML
    fragment whose script runs in Jupyter, VS Code and Colab without a server or extension."""
    payload_options.setdefault("budget_bytes", 1_000_000)
    return _template().render(r=_context(run, findings, True, None, **payload_options), fragment=True)


def write_report(run, path, findings=None, *, source=None, **payload_options) -> Path:
    """Write ``build_report(run)`` to ``path`` (UTF-8); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(build_report(run, findings, source=source, **payload_options), encoding="utf-8")
    return path
