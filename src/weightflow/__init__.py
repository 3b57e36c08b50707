"""weightflow: build, train and watch small neural networks.

Public names are imported lazily (PEP 562), so ``import weightflow`` and ``weightflow --help``
stay fast and only code that trains pays for importing jax.
"""

from ._version import __version__

__all__ = ["MLP", "Dataset", "Run", "WeightflowError", "datasets", "load_run", "train", "__version__"]

_LAZY = {
    "MLP": ("weightflow.model", "MLP"),
    "Dataset": ("weightflow.datasets", "Dataset"),
    "Run": ("weightflow.run", "Run"),
    "load_run": ("weightflow.run", "load_run"),
    "train": ("weightflow.training", "train"),
    "WeightflowError": ("weightflow.errors", "WeightflowError"),
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'weightflow' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
