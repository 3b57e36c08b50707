"""Export a trained net: a PyTorch ``nn.Sequential`` holding its weights, or a plain ``.npz``.

``to_torch(run)`` builds ``Linear`` layers (``weight = W.T``, as PyTorch stores ``(out, in)``) with the
hidden activations between them and the output activation last (``Sigmoid``, ``Softmax(dim=1)``;
nothing for a linear output), so ``to_torch(run)(X)`` equals ``run.predict_proba(X)``; with
``logits=True`` the output activation is left off (what ``BCEWithLogitsLoss`` / ``CrossEntropyLoss``
expect). torch is imported only inside these functions; without it they raise a WeightflowError.
No jax here.
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


def _model_and_params(run, params):
    from .model import MLP
    from .run import Run

    if isinstance(run, (str, os.PathLike)):
        from .run import load_run

        run = load_run(run)
    if isinstance(run, Run):
        return run.model, list(run.params if params is None else params)
    if isinstance(run, MLP):
        if params is None:
            raise bad_input("params", "the parameter list for a bare MLP", None, "pass to_torch(model, params)")
        return run, list(params)
    raise bad_input("run", "a Run, a run directory or an MLP", type(run).__name__, "e.g. to_torch(run)")


def to_torch(run, params: Sequence | None = None, *, logits: bool = False, dtype=None):
    """An ``nn.Sequential`` with the trained weights of ``run`` (a Run, a run directory, or an MLP
    with ``params``). ``logits=True`` leaves the output activation off; ``dtype`` defaults to
    ``torch.float32``."""
    torch = _import_torch()
    from .activations import LEAKY_SLOPE

    model, params = _model_and_params(run, params)
    params = model.check_params(params, "params")
    dtype = dtype or torch.float32
    hidden = {"sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "relu": torch.nn.ReLU,
              "leaky-relu": lambda: torch.nn.LeakyReLU(LEAKY_SLOPE), "linear": None}
    modules = []
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


def save_npz(run, path: str | os.PathLike, params: Sequence | None = None) -> Path:
    """Write the parameters to ``path`` as ``W1, b1, W2, ...`` (Keras order, W as (in, out))."""
    model, params = _model_and_params(run, params)
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


def save_torch(run, path: str | os.PathLike, *, logits: bool = False) -> Path:
    """``torch.save(to_torch(run).state_dict(), path)``."""
    torch = _import_torch()
    seq = to_torch(run, logits=logits)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(seq.state_dict(), path)
    return path


def export(run_dir: str | os.PathLike, fmt: str = "torch", out: str | os.PathLike | None = None, *,
           logits: bool = False) -> Path:
    """Write a run's final weights: ``RUN_DIR/export/model.pt`` (torch) or ``model.npz`` (npz) unless ``out``."""
    from .run import load_run

    if fmt not in FORMATS:
        raise bad_input("--format", "torch or npz", fmt, "e.g. --format npz")
    run = load_run(run_dir)
    if out is None:
        out = Path(run_dir) / "export" / ("model.pt" if fmt == "torch" else "model.npz")
    out = Path(out)
    if out.is_dir():
        raise bad_input("--out", "a file path", f"the directory {out}", "name a file, e.g. --out model.pt")
    if fmt == "torch":
        return save_torch(run, out, logits=logits)
    if logits:
        raise WeightflowError("--logits: expected --format torch, got --format npz; an .npz holds weights only")
    return save_npz(run, out)
