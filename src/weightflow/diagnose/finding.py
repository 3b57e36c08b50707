"""The one thing every check returns: a Finding (name, severity, step, evidence, message, advice)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..record import clean as _clean

SEVERITIES = ("error", "warning", "info")  # most serious first


def _plain(value):
    """JSON-safe copy of evidence: numpy arrays and scalars to Python, NaN/inf to None."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return _clean(value)


@dataclass(frozen=True)
class Finding:
    """One diagnosis.

    name: the check (``overfitting``, ``dead_units``, ...); severity: ``error`` (the run failed or
    will), ``warning`` (it hurts the run), ``info`` (worth knowing); step: the optimizer step where
    it began or became visible (None when it has no time, e.g. class imbalance); evidence: the
    numbers behind it; message: one sentence with those numbers; advice: what to try.
    """

    name: str
    severity: str
    step: int | None
    evidence: dict = field(default_factory=dict)
    message: str = ""
    advice: str = ""

    def to_dict(self) -> dict:
        """``{name, severity, step, message, advice, evidence}``, JSON-safe."""
        return {"name": self.name, "severity": self.severity, "step": None if self.step is None else int(self.step),
                "message": self.message, "advice": self.advice, "evidence": _plain(self.evidence)}

    @property
    def alarm(self) -> bool:
        """True for errors and warnings (what the benchmark counts as a detection)."""
        return self.severity in ("error", "warning")
