"""Findings (the diagnosis) as the page draws them: dicts ``{name, severity, step, message}``."""

from __future__ import annotations

import importlib


def as_dict(finding) -> dict:
    """A finding given as a dict, or as an object with those attributes (or ``to_dict()``), as a dict.

    ``step`` may be missing (a finding about the whole run: no mark on the time axis)."""
    if not isinstance(finding, dict):
        finding = finding.to_dict() if hasattr(finding, "to_dict") else vars(finding)
    step = finding.get("step")
    return {"name": str(finding.get("name", "")), "severity": str(finding.get("severity", "info")),
            "step": None if step is None else int(step), "message": str(finding.get("message", ""))}


def diagnose_if_available(run) -> list[dict] | None:
    """``weightflow.diagnosis.diagnose(run)`` as dicts when that module exists, else None."""
    try:
        module = importlib.import_module("weightflow.diagnosis")
    except ImportError:
        return None
    diagnose = getattr(module, "diagnose", None)
    return None if diagnose is None else [as_dict(f) for f in diagnose(run)]
