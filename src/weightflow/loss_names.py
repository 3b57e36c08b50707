"""Loss names, what each computes per sample and how it sums over samples: jax-free, shared by the
engine (:mod:`weightflow.losses`) and the numpy references (:mod:`weightflow.reference`, the landscape).

``bce-sum`` is seed 003's summed log loss (the notebook's ``-sum(t log a + (1 - t) log(1 - a))``
with lr 0.001): ``bce`` per sample, summed instead of averaged, so its learning rates are the
notebook's.
"""

from __future__ import annotations

LOSSES = ("bce", "bce-sum", "ce", "mse", "sse")
_PER_SAMPLE = {"bce-sum": "bce"}
_SUMMED = {"bce-sum", "sse"}


def per_sample(name: str) -> str:
    """The per-sample loss of ``name`` (``bce`` for ``bce-sum``, else itself)."""
    return _PER_SAMPLE.get(name, name)


def summed(name: str) -> bool:
    """Whether ``name`` sums its per-sample losses over the samples (else it takes their mean)."""
    return name in _SUMMED
