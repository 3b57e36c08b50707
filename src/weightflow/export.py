"""Export a trained net: a PyTorch ``nn.Sequential`` holding its weights, or a plain ``.npz``.

``to_torch(run)`` builds ``Linear`` layers (``weight = W.T``, as PyTorch stores ``(out, in)``) with the
hidden activations between them and the output activation last (``Sigmoid``, ``Softmax(dim=1)``;
nothing for a linear output), so ``to_torch(run)(X)`` equals ``run.predict_proba(X)``; with
``logits=True`` the output activation is left off (what ``BCEWithLogitsLoss`` / ``CrossEntropyLoss``
expect). torch is imported only inside these functions; without it they raise a WeightflowError.
No jax here.

A run trained with ``standardize=True`` (``--standardize``) exports a model for **raw** inputs: the
torch model starts with a ``Standardize`` module ((x - mean) / std, the training part's statistics,
kept as buffers in its state_dict) and the npz has the standardisation folded into the first layer:
``W1' = W1 / std[:, None]``, ``b1' = b1 - (mean / std) @ W1``, so ``X @ W1' + b1'`` on raw X equals
``standardize(X) @ W1 + b1``. ``raw_inputs=False`` (``--standardized-inputs``) exports the weights as
trained, for inputs you standardise yourself (``run.split.standardize_X``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import WeightflowError, bad_input

FORMATS = ("torch", "npz")


def _import_torch():
    try:
        import torch
    except ImportError:
        raise WeightflowError("export to torch: expected PyTorch to be installed, got no module 'torch'; "
                              "pip install torch==2.13.0, or use --format npz") from None
    return torch


def _loaded(run):
    """A run directory's Run; anything else as it is."""
    if isinstance(run, (str, os.PathLike)):
        from .run import load_run

        return load_run(run)
    return run


def _model_and_params(run, params):
    from .model import MLP
    from .run import Run

    run = _loaded(run)
    if isinstance(run, Run):
        return run.model, list(run.params if params is None else params)
    if isinstance(run, MLP):
        if params is None:
            raise bad_input("params", "the parameter list for a bare MLP", None, "pass to_torch(model, params)")
        return run, list(params)
    raise bad_input("run", "a Run, a run directory or an MLP", type(run).__name__, "e.g. to_torch(run)")


def standardization(run) -> tuple[np.ndarray, np.ndarray] | None:
    """``(mean, std)`` (d,) float32 of a Run trained with standardize=True, else None (also for a bare MLP)."""
    from .run import Run

    if not isinstance(run, Run) or not run.config.data.standardize:
        return None
    if run.split is None:
        raise WeightflowError("export: expected the standardisation of a run trained with --standardize "
                              "(data.npz), got a run stored without its data; export with --standardized-inputs")
    return np.asarray(run.split.mean, np.float32), np.asarray(run.split.std, np.float32)


def fold_standardization(model, params: Sequence, mean, std) -> list[np.ndarray]:
    """Parameters for raw inputs: ``(x - mean) / std`` folded into the first layer (W1 / std, b1 - (mean/std) @ W1)."""
    params = [np.asarray(p) for p in params]
    mean, std = np.asarray(mean, np.float64), np.asarray(std, np.float64)
    W1 = params[0].astype(np.float64)
    shift = (mean / std) @ W1
    if not model.bias and np.any(shift != 0):
        raise WeightflowError("export --format npz: expected a first layer with biases to fold the standardisation "
                              "into, got a model without biases; use --format torch, or --standardized-inputs")
    out = [(W1 / std[:, None]).astype(np.float32), *params[1:]]
    if model.bias:
        out[1] = (params[1].astype(np.float64) - shift).astype(np.float32)
    return out


def to_torch(run, params: Sequence | None = None, *, logits: bool = False, dtype=None, raw_inputs: bool = True):
    """An ``nn.Sequential`` with the trained weights of ``run`` (a Run, a run directory, or an MLP
    with ``params``). ``logits=True`` leaves the output activation off; ``dtype`` defaults to
    ``torch.float32``. A run trained with standardize=True gets a first ``Standardize`` module
    (for raw inputs) unless ``raw_inputs=False``."""
    torch = _import_torch()
    from .activations import LEAKY_SLOPE

    run = _loaded(run)
    stats = standardization(run) if raw_inputs else None
    model, params = _model_and_params(run, params)
    params = model.check_params(params, "params")
    dtype = dtype or torch.float32
    hidden = {"sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "relu": torch.nn.ReLU,
              "leaky-relu": lambda: torch.nn.LeakyReLU(LEAKY_SLOPE), "linear": None}
    modules = []
    if stats is not None:
        from ._torch_modules import Standardize

        modules.append(Standardize(*stats, dtype=dtype))
    layers = model.layers(params)
    for i, (W, b) in enumerate(layers):
        lin = torch.nn.Linear(W.shape[0], W.shape[1], bias=b is not None, dtype=dtype)
        with torch.no_grad():
            lin.weight.copy_(torch.as_tensor(np.array(W.T), dtype=dtype))
            if b is not None:
                lin.bias.copy_(torch.as_tensor(np.array(b), dtype=dtype))
        modules.append(lin)
        if i < len(layers) - 1 and hidden[model.activations[i]] is not None:
            modules.append(hidden[model.activations[i]]())
    if not logits:
        if model.output == "sigmoid":
            modules.append(torch.nn.Sigmoid())
        elif model.output == "softmax":
            modules.append(torch.nn.Softmax(dim=1))
    return torch.nn.Sequential(*modules)


def save_npz(run, path: str | os.PathLike, params: Sequence | None = None, *, raw_inputs: bool = True) -> Path:
    """Write the parameters to ``path`` as ``W1, b1, W2, ...`` (Keras order, W as (in, out)); for a run
    trained with standardize=True the standardisation is folded into W1, b1 unless ``raw_inputs=False``."""
    run = _loaded(run)
    stats = standardization(run) if raw_inputs else None
    model, params = _model_and_params(run, params)
    if stats is not None:
        params = fold_standardization(model, params, *stats)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **dict(zip(model.param_names, (np.asarray(p) for p in params))))
    return path


def read_npz(path: str | os.PathLike, model) -> list[np.ndarray]:
    """Read a parameter list for ``model`` from an ``.npz`` with keys W1, b1, ... (as ``save_npz`` and a
    run's params.npz / initial.npz write them), checking the shapes."""
    path = Path(path)
    if not path.is_file():
        raise bad_input("--params", "an .npz file with arrays W1, b1, ...", str(path), "check the path")
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [n for n in model.param_names if n not in z.files]
            if missing:
                raise bad_input(f"--params {path}", f"arrays {model.param_names}", sorted(z.files),
                                "save them with keys W1, b1, W2, ... (Keras order, W as (in, out))")
            params = [z[n] for n in model.param_names]
    except (OSError, ValueError) as e:
        if isinstance(e, WeightflowError):
            raise
        raise bad_input("--params", "an .npz file", str(path), f"it could not be read ({e})") from None
    return model.check_params(params, f"--params {path}")


def save_torch(run, path: str | os.PathLike, *, logits: bool = False, raw_inputs: bool = True) -> Path:
    """``torch.save(to_torch(run).state_dict(), path)``."""
    torch = _import_torch()
    seq = to_torch(run, logits=logits, raw_inputs=raw_inputs)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(seq.state_dict(), path)
    return path


def export(run_dir: str | os.PathLike, fmt: str = "torch", out: str | os.PathLike | None = None, *,
           logits: bool = False, raw_inputs: bool = True, allow_diverged: bool = False) -> Path:
    """Write a run's final weights: ``RUN_DIR/export/model.pt`` (torch) or ``model.npz`` (npz) unless ``out``.
    A diverged run is refused unless ``allow_diverged`` (its weights are the last finite ones, from
    before the step that diverged)."""
    from .run import load_run

    if fmt not in FORMATS:
        raise bad_input("--format", "torch or npz", fmt, "e.g. --format npz")
    run = load_run(run_dir)
    if run.status == "diverged" and not allow_diverged:
        at = run.metrics.get("diverged_at_step")
        raise WeightflowError(f"{run_dir}: expected a run that trained to the end, got one that diverged"
                              f"{f' at step {at}' if at is not None else ''}; retrain with a smaller --lr, or pass "
                              "--allow-diverged to export its last finite weights")
    if out is None:
        out = Path(run_dir) / "export" / ("model.pt" if fmt == "torch" else "model.npz")
    out = Path(out)
    if out.is_dir():
        raise bad_input("--out", "a file path", f"the directory {out}", "name a file, e.g. --out model.pt")
    if fmt == "torch":
        return save_torch(run, out, logits=logits, raw_inputs=raw_inputs)
    if logits:
        raise WeightflowError("--logits: expected --format torch, got --format npz; an .npz holds weights only")
    return save_npz(run, out, raw_inputs=raw_inputs)
