"""Gradient checks: the engine's autodiff gradients against finite differences and the textbook.

``gradients(model, data, params)`` computes, in float64 and for every parameter array,

* the engine's gradient (``jax.grad`` of ``losses.loss_value(model.forward_t(...))``, exactly what
  training differentiates),
* central finite differences of the engine's loss, ``(E(w + eps) - E(w - eps)) / (2 eps)``, one weight
  at a time,
* the hand-written delta rule of :mod:`weightflow.reference` (numpy, no jax),

and reports the largest absolute and relative difference per parameter. The relative error of a
parameter array is ``max |a - b| / max(max |a|, max |b|, 1e-8 * G)`` with G the model's largest
gradient: the error measured against the size of that array's gradient, so a weight whose true
gradient is ~0 does not turn rounding into a failure, nor does an array whose whole gradient is 0.
An array passes when its relative error is within ``tol`` or its absolute error within ``atol``
(as ``torch.autograd.gradcheck`` combines the two): near a minimum the gradients are ~1e-5 and the
finite differences' own rounding (~1e-10 in float64) is then a visible share of them.

float64 is switched on only inside these functions (``jax.enable_x64``), never globally.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from . import loss_names, reference
from .errors import WeightflowError, bad_input

DEFAULT_EPS = 1e-6
DEFAULT_TOL = 1e-6
DEFAULT_ATOL = 1e-8  # far above float64 finite-difference rounding, far below any real gradient bug
_FD_CHUNK = 256  # perturbed parameter vectors evaluated together
_COMPILER_OPTIONS = {"xla_backend_optimization_level": 0, "xla_llvm_disable_expensive_passes": True}


@dataclass(frozen=True)
class ParamCheck:
    """One parameter array's row of the table."""

    name: str
    shape: tuple
    abs_fd: float  # max |autodiff - finite differences|
    rel_fd: float
    abs_ref: float  # max |autodiff - reference| (NaN when not compared)
    rel_ref: float
    grad_norm: float  # max |autodiff|

    def ok(self, tol: float, atol: float = DEFAULT_ATOL) -> bool:
        def close(abs_err, rel_err):
            return math.isnan(rel_err) or rel_err <= tol or abs_err <= atol

        return close(self.abs_fd, self.rel_fd) and close(self.abs_ref, self.rel_ref)


@dataclass
class GradientCheck:
    """The result of :func:`gradients`: one :class:`ParamCheck` per parameter, and the verdict."""

    rows: list[ParamCheck]
    tol: float
    eps: float
    loss: str
    description: str = ""
    grads: list = field(default_factory=list, repr=False)  # autodiff gradients (float64 numpy)
    fd_grads: list = field(default_factory=list, repr=False)
    ref_grads: list = field(default_factory=list, repr=False)
    atol: float = DEFAULT_ATOL

    @property
    def ok(self) -> bool:
        return all(r.ok(self.tol, self.atol) for r in self.rows)

    @property
    def max_rel(self) -> float:
        return max(max(r.rel_fd, 0.0 if math.isnan(r.rel_ref) else r.rel_ref) for r in self.rows)

    @property
    def failed(self) -> list[str]:
        return [r.name for r in self.rows if not r.ok(self.tol, self.atol)]

    def table(self) -> str:
        """A text table, one row per parameter, then the verdict."""
        header = ["param", "shape", "max|grad|", "abs err (FD)", "rel err (FD)", "abs err (ref)", "rel err (ref)", ""]
        rows = [[r.name, "x".join(map(str, r.shape)) or "()", _num(r.grad_norm), _num(r.abs_fd), _num(r.rel_fd),
                 _num(r.abs_ref), _num(r.rel_ref), "ok" if r.ok(self.tol, self.atol) else "FAIL"] for r in self.rows]
        widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
        lines = []
        if self.description:
            lines.append(self.description)
        for row in [header, *rows]:
            lines.append("  ".join(str(c).ljust(w) if i < 2 else str(c).rjust(w)
                                   for i, (c, w) in enumerate(zip(row, widths))).rstrip())
        verdict = "passed" if self.ok else f"FAILED ({', '.join(self.failed)})"
        lines.append(f"gradient check {verdict}: largest relative error {_num(self.max_rel)}, tolerance "
                     f"{self.tol:g} relative or {self.atol:g} absolute (float64, central differences with eps "
                     f"{self.eps:g})")
        return "\n".join(lines)

    __str__ = table

    def raise_if_failed(self) -> "GradientCheck":
        """Raise AssertionError with the table when any parameter is above the tolerance."""
        if not self.ok:
            raise AssertionError("gradient check failed\n" + self.table())
        return self


def _num(v: float) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.2e}"


ROUNDOFF = 1e-8  # relative to the model's largest gradient: an array whose gradient is below it counts as ~0


def _errors(a: np.ndarray, b: np.ndarray, floor: float = 0.0) -> tuple[float, float]:
    diff = float(np.max(np.abs(a - b))) if a.size else 0.0
    size = max(float(np.max(np.abs(a))) if a.size else 0.0, float(np.max(np.abs(b))) if b.size else 0.0, floor)
    if diff == 0.0:
        return 0.0, 0.0
    return diff, diff / size if size > 0 else math.inf


def _as_arrays(data) -> tuple[np.ndarray, np.ndarray]:
    from .datasets import Dataset, load

    if isinstance(data, str):
        data = load(data)
    if isinstance(data, Dataset):
        return data.X, data.y
    if isinstance(data, tuple) and len(data) == 2:
        X, y = np.asarray(data[0]), np.asarray(data[1])
        if X.ndim != 2 or y.ndim != 1 or len(X) != len(y):
            raise bad_input("data", "X (n, d) and y (n,)", f"X {X.shape}, y {y.shape}", "pass matching arrays")
        return X, y
    raise bad_input("data", "a dataset name, a Dataset or an (X, y) pair", type(data).__name__,
                    "e.g. gradients(model, 'xor')")


def gradients(model, data, params: Sequence | None = None, *, loss: str | None = None, eps: float = DEFAULT_EPS,
              tol: float = DEFAULT_TOL, seed: int = 0, grad_fn: Callable | None = None,
              compare_reference: bool = True, atol: float = DEFAULT_ATOL) -> GradientCheck:
    """Check the gradient of ``model``'s loss on ``data`` at ``params``, in float64.

    model: a :class:`weightflow.MLP`. data: a dataset name, a Dataset or ``(X, y)``.
    params: Keras-order parameter list (default: the model's initialiser with ``seed``).
    loss: bce, ce, mse or sse (default: the output's natural loss).
    eps: finite-difference step; tol: largest relative error accepted, atol: largest absolute error
    accepted (an array passes within either).
    grad_fn: the gradient under test, ``grad_fn(params) -> grads`` on a list of float64 jax arrays
    (default: the engine's autodiff). compare_reference: also compare with ``weightflow.reference``.
    Returns a :class:`GradientCheck` (``.ok``, ``.table()``, ``.raise_if_failed()``).
    """
    import jax
    import jax.numpy as jnp
    from jax.flatten_util import ravel_pytree

    from . import losses
    from .model import MLP

    if not isinstance(model, MLP):
        raise bad_input("model", "a weightflow.MLP", type(model).__name__, "e.g. weightflow.MLP([2, 4, 1])")
    X, y = _as_arrays(data)
    if X.shape[1] != model.sizes[0]:
        raise bad_input("model", f"{X.shape[1]} inputs (the data has {X.shape[1]} features)",
                        f"{model.sizes[0]} inputs", f"start sizes with {X.shape[1]}")
    loss = losses.check_loss(loss, model.output)
    if loss_names.per_sample(loss) == "bce" and model.sizes[-1] != 1:
        raise bad_input("loss", "1 output unit for bce", model.sizes[-1], "use --loss ce with softmax")
    if not (eps > 0 and math.isfinite(eps)):
        raise bad_input("eps", "a step > 0", eps, "e.g. --eps 1e-6")
    if params is None:
        params = model.init_params(jax.random.PRNGKey(seed))
    model.check_params(params, "params")  # shapes and finiteness
    params = [np.asarray(p, np.float64) for p in params]

    with jax.enable_x64(True):
        p64 = [jnp.asarray(p, jnp.float64) for p in params]
        flat, unravel = ravel_pytree(p64)
        xt = jnp.asarray(np.asarray(X, np.float64).T)
        yj = jnp.asarray(np.asarray(y), jnp.int32)
        program = _program(model, loss, flat.size, float(eps))
        auto, fd = program(flat, xt, yj)
        if grad_fn is not None:
            grads = [np.asarray(g, np.float64) for g in grad_fn(p64)]
        else:
            grads = [np.asarray(g, np.float64) for g in unravel(auto)]
        fd_grads = [np.asarray(g, np.float64) for g in unravel(fd)]

    ref_grads = reference.model_gradients(model, params, X, y, loss) if compare_reference else []
    rows = []
    # a gradient that is exactly 0 in exact arithmetic (b2 on XOR's symmetric patterns) comes out as
    # roundoff; measure it against the model's largest gradient instead of against itself
    floor = ROUNDOFF * max((float(np.max(np.abs(g))) for g in grads if g.size), default=0.0)
    for i, (name, g, f) in enumerate(zip(model.param_names, grads, fd_grads)):
        if g.shape != f.shape:
            raise WeightflowError(f"grad_fn: expected a gradient of shape {f.shape} for {name}, got {g.shape}; "
                                  "return one array per parameter, in Keras order")
        a_fd, r_fd = _errors(g, f, floor)
        a_ref, r_ref = _errors(g, ref_grads[i], floor) if compare_reference else (math.nan, math.nan)
        rows.append(ParamCheck(name, tuple(g.shape), a_fd, r_fd, a_ref, r_ref,
                               float(np.max(np.abs(g))) if g.size else 0.0))
    description = f"{model}, loss {loss}, {len(y)} samples"
    return GradientCheck(rows, float(tol), float(eps), loss, description, grads, fd_grads, ref_grads, float(atol))


_PROGRAMS: dict = {}


def _program(model, loss: str, n: int, eps: float):
    """One compiled program ``(flat params, xt, y) -> (autodiff gradient, central differences)``.

    The finite differences perturb one coordinate at a time, ``(E(w + eps e_i) - E(w - eps e_i)) / 2 eps``,
    evaluated ``_FD_CHUNK`` perturbations at a time (``lax.map`` over a vmapped loss), so memory
    stays small for large nets. Cached per (model, loss, size, eps): checks of the same net reuse it.
    """
    import jax
    import jax.numpy as jnp

    from . import losses

    key = (model, loss, n, eps)
    if key in _PROGRAMS:
        return _PROGRAMS[key]
    shapes = model.param_shapes

    def unflatten(v):
        out, at = [], 0
        for shape in shapes:
            size = math.prod(shape)
            out.append(v[at:at + size].reshape(shape))
            at += size
        return out

    def program(flat, xt, y):
        def objective(v):
            return losses.loss_value(model.forward_t(unflatten(v), xt), y, loss, model.output)

        def shifted(i):  # rows 0..n-1: +eps e_i; rows n..2n-1: -eps e_i
            step = jnp.where(i < n, eps, -eps)
            return objective(flat.at[i % n].add(step))

        if 2 * n <= _FD_CHUNK:  # small nets: all perturbations at once (no loop, quicker to compile)
            values = jax.vmap(shifted)(jnp.arange(2 * n))
        else:
            values = jax.lax.map(shifted, jnp.arange(2 * n), batch_size=_FD_CHUNK)
        return jax.grad(objective)(flat), (values[:n] - values[n:]) / (2 * eps)

    from .program_store import StoredProgram  # kept on disk too: a second check of this net loads it

    _PROGRAMS[key] = StoredProgram(program, ("gradient check", key), [_COMPILER_OPTIONS])
    if len(_PROGRAMS) > 64:
        _PROGRAMS.pop(next(iter(_PROGRAMS)))
    return _PROGRAMS[key]


def check_run(run, *, eps: float = DEFAULT_EPS, tol: float = DEFAULT_TOL, initial: bool = False,
              atol: float = DEFAULT_ATOL) -> GradientCheck:
    """:func:`gradients` for a stored run (a Run or a run directory), at its final parameters (or its
    initial ones with ``initial=True``), on the training data it stored, with its loss."""
    from .run import Run, load_run

    if isinstance(run, (str, os.PathLike)):
        run = load_run(run)
    if not isinstance(run, Run):
        raise bad_input("run", "a Run or a run directory", type(run).__name__, "pass the --out folder of a run")
    if run.split is None:
        raise WeightflowError("run: expected the data it trained on (data.npz), got none; "
                              "check it with model and data flags instead")
    params = run.initial_params if initial else run.params
    if initial and not params:
        raise WeightflowError("run: expected initial parameters (initial.npz), got none; drop --initial")
    return gradients(run.model, (np.asarray(run.split.X_train), np.asarray(run.split.y_train)), params,
                     loss=run.config.loss, eps=eps, tol=tol, atol=atol)
