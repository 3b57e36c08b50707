"""Findings (the diagnosis) as the page draws them: dicts ``{name, severity, step, message}``."""

from __future__ import annotations


def as_dict(finding) -> dict:
    """A finding given as a dict, or as an object with those attributes (or ``to_dict()``), as a dict.

    ``step`` may be missing (a finding about the whole run: no mark on the time axis)."""
    if not isinstance(finding, dict):
        finding = finding.to_dict() if hasattr(finding, "to_dict") else vars(finding)
    step = finding.get("step")
    return {"name": str(finding.get("name", "")), "severity": str(finding.get("severity", "info")),
            "step": None if step is None else int(step), "message": str(finding.get("message", ""))}


def findings_of(run) -> list[dict] | None:
    """The diagnosis of a single run as dicts (None for a population: its members differ)."""
    if run.population is not None:
        return None
    from ..diagnose import diagnose

    return [as_dict(f) for f in diagnose(run)]
