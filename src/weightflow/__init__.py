"""weightflow: build, train and watch small neural networks.

Public names are imported lazily (PEP 562), so ``import weightflow`` and ``weightflow --help``
stay fast and only code that trains pays for importing jax.
"""

import os as _os
import sys as _sys

from ._version import __version__


def _one_cpu_device_per_core() -> None:
    """Before jax starts, ask XLA for one CPU device per core. XLA:CPU runs each elementwise kernel on
    one thread, so a population on one device leaves the other cores mostly idle; populations shard
    their members over all devices (measured 0.62 -> 0.53 us per member-step on 2 cores), and a single
    run uses the first device as before. ``WEIGHTFLOW_CPU_DEVICES=N`` sets the count (1 turns this
    off); an ``XLA_FLAGS`` that already sets it, or jax imported before weightflow, is left alone."""
    flags = _os.environ.get("XLA_FLAGS", "")
    if "jax" in _sys.modules or "xla_force_host_platform_device_count" in flags:
        return
    try:
        count = int(_os.environ.get("WEIGHTFLOW_CPU_DEVICES") or len(_os.sched_getaffinity(0)))
    except (ValueError, AttributeError):
        count = _os.cpu_count() or 1
    if count > 1:
        _os.environ["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count={count}".strip()


_one_cpu_device_per_core()

__all__ = ["MLP", "Dataset", "Run", "RunConfig", "WeightflowError", "datasets", "diagnose", "load_run", "optim",
           "train", "viz", "__version__"]

_LAZY = {
    "MLP": ("weightflow.model", "MLP"),
    "Dataset": ("weightflow.datasets", "Dataset"),
    "Run": ("weightflow.run", "Run"),
    "RunConfig": ("weightflow.config", "RunConfig"),
    "load_run": ("weightflow.run", "load_run"),
    "train": ("weightflow.training", "train"),
    "WeightflowError": ("weightflow.errors", "WeightflowError"),
}


_SUBPACKAGES = ("datasets", "viz", "optim", "diagnose")  # diagnose is also callable: wf.diagnose(run)  # ``wf.datasets.load(...)`` after a bare ``import weightflow``


def __getattr__(name: str):
    import importlib

    if name in _SUBPACKAGES:
        value = importlib.import_module(f"weightflow.{name}")
        globals()[name] = value
        return value
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'weightflow' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
