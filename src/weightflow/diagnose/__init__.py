"""Say what went wrong with a run, with the numbers that prove it (numpy only, no jax).

``diagnose(run)`` reads a stored or fresh single Run (frames, history, the data it trained on),
recomputes what it needs in numpy and returns a list of :class:`Finding`, root causes first.
``diagnose_population(run)`` does it per member. ``weightflow.diagnose.online.Monitor`` runs the
same checks during training. The checks, their statistics and thresholds: docs/diagnosis.md.
"""

from __future__ import annotations

from .context import Context, one_blas_thread
from .finding import SEVERITIES, Finding

__all__ = ["Finding", "diagnose", "diagnose_population", "diagnose_context", "ORDER"]

# Root causes before the symptoms they explain: the first finding is the one to fix first.
ORDER = ("exploding_gradients", "diverging", "unstandardised_inputs", "class_imbalance", "symmetric_units",
         "dead_units", "saturated_units", "vanishing_gradients", "oscillating", "too_slow", "stuck",
         "chance_accuracy", "overfitting", "generalisation_gap", "ignored_inputs")


_STEP_TOO_LARGE = ("diverging", "oscillating")  # a learning rate too large: units it killed come after
_KILLED_BY_STEPS = ("dead_units", "saturated_units")


def order(findings: list[Finding]) -> list[Finding]:
    """Alarms (errors, warnings) before information, then by ORDER, then by step. Units that died
    or saturated after step 0, at or after the step where the loss began to diverge or oscillate,
    are a consequence of the too-large step: they go right after that finding."""
    rank = {f.name: ORDER.index(f.name) for f in findings if f.name in ORDER}
    curve = [f for f in findings if f.name in _STEP_TOO_LARGE and f.alarm and f.step is not None]

    def place(f: Finding) -> float:
        r = rank.get(f.name, len(ORDER))
        if f.name in _KILLED_BY_STEPS and f.step and any(c.step <= f.step for c in curve):
            return min(rank[c.name] for c in curve if c.step <= f.step) + 0.5
        return r

    def key(f: Finding):
        return (f.severity == "info", place(f), SEVERITIES.index(f.severity), f.step if f.step is not None else -1)
    return sorted(findings, key=key)


def diagnose_context(ctx: Context, units: bool = True) -> list[Finding]:
    """Every check on a Context (``units=False`` skips the frame-based unit and input checks)."""
    with one_blas_thread(bool(ctx.model.activations)):
        return _diagnose_context(ctx, units)


def _diagnose_context(ctx: Context, units: bool) -> list[Finding]:
    from . import curves, data, inputs
    from . import units as unit_checks

    found = [f for check in curves.CHECKS for f in check(ctx)]
    found += data.check_chance(ctx) + data.check_imbalance(ctx)
    if units:
        found += unit_checks.check_units(ctx) + inputs.check_ignored(ctx)
    sat_start = any(f.name == "saturated_units" and f.evidence.get("layer") == 1 and f.evidence["share_at_start"] >= 0.5
                    for f in found)
    hurts = ctx.poor() or sat_start or any(f.name in ("stuck", "too_slow") for f in found)
    found += data.check_scale(ctx, hurts)
    return order(found)


def diagnose(run) -> list[Finding]:
    """Findings for a single Run (``weightflow.train``'s result or ``load_run(dir)``), root causes first.
    A population raises a WeightflowError: use ``diagnose_population`` or ``diagnose(run.member(m))``."""
    return diagnose_context(Context.from_run(run))


def diagnose_population(run) -> list[list[Finding]]:
    """``[diagnose(run.member(m)) for every member]`` of a population run."""
    if run.population is None:
        return [diagnose(run)]
    return [diagnose(run.member(m)) for m in range(run.population)]


def _make_callable() -> None:
    """Let ``weightflow.diagnose(run)`` work as the issue writes it (the module is callable)."""
    import sys
    import types

    class _CallableModule(types.ModuleType):
        def __call__(self, run):
            return diagnose(run)

    sys.modules[__name__].__class__ = _CallableModule


_make_callable()
