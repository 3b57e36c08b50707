"""The MLP: a frozen spec (sizes, activations, output, initialiser) and pure functions of params.

Parameters travel in Keras order, a list ``[W1 (in, out), b1 (out,), W2, b2, ...]`` (no b's when
``bias=False``). Internally the forward pass runs feature-major, ``h = act(W.T @ h + b[:, None])``
with samples along the last axis: XLA on the CPU runs these tiny matrices several times faster
that way (see DESIGN.md), so data is transposed once, at the engine's boundary.

Importing this module does not import jax: the spec and ``forward_numpy`` serve pictures and
reloaded runs; the jax methods import it when called.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .activations import check_activation, jax_activation, numpy_activation
from .errors import WeightflowError, bad_input
from .initializers import Initializer

OUTPUTS = ("sigmoid", "softmax", "linear")


def _check_sizes(sizes) -> tuple[int, ...]:
    try:
        out = tuple(int(s) for s in sizes)
        ok = len(out) >= 2 and all(s > 0 and s == f for s, f in zip(out, sizes))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise bad_input("sizes", "a list of at least two positive integers [inputs, hidden..., outputs]", sizes,
                        "e.g. MLP([2, 4, 1]); logistic regression is MLP([d, 1])")
    return out


@dataclass(frozen=True)
class MLP:
    """A multi-layer perceptron spec.

    sizes: layer widths ``[d_in, h1, ..., d_out]``; ``MLP([d, 1])`` is logistic regression.
    activation: hidden activation name, or one name per hidden layer.
    output: ``sigmoid`` (binary, 1 unit), ``softmax`` (K >= 2 units) or ``linear``.
    bias: whether layers have biases; init: initialiser spec for W (see initializers.py);
    bias_init: constant for every bias (seed 002 uses 0.1 with ReLU).
    """

    sizes: tuple[int, ...]
    activation: str | tuple[str, ...] = "tanh"
    output: str | None = None
    bias: bool = True
    init: str | Initializer = "glorot-uniform"
    bias_init: float = 0.0
    activations: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self):
        sizes = _check_sizes(self.sizes)
        object.__setattr__(self, "sizes", sizes)
        n_hidden = len(sizes) - 2
        acts = (self.activation,) * n_hidden if isinstance(self.activation, str) else tuple(self.activation)
        if len(acts) != n_hidden:
            raise bad_input("activation", f"one name or {n_hidden} names (one per hidden layer)", self.activation,
                            "give a single name such as 'tanh'")
        for a in acts if acts else (self.activation,):  # a bad name is an error even with no hidden layer
            check_activation(a)
        object.__setattr__(self, "activations", acts)
        output = self.output or ("sigmoid" if sizes[-1] == 1 else "softmax")
        if output not in OUTPUTS:
            raise bad_input("output", "one of " + ", ".join(OUTPUTS), output, "e.g. --output sigmoid")
        if output == "sigmoid" and sizes[-1] != 1:
            raise bad_input("output", "1 output unit for a sigmoid output", sizes[-1],
                            "use output='softmax' for several classes")
        if output == "softmax" and sizes[-1] < 2:
            raise bad_input("output", "at least 2 output units for softmax", sizes[-1], "use output='sigmoid'")
        object.__setattr__(self, "output", output)
        object.__setattr__(self, "init", Initializer.parse(self.init))
        object.__setattr__(self, "bias_init", float(self.bias_init))

    # --- description -------------------------------------------------------------------------
    @property
    def n_layers(self) -> int:
        return len(self.sizes) - 1

    @property
    def param_names(self) -> list[str]:
        """``['W1', 'b1', 'W2', 'b2', ...]`` (no b's without bias)."""
        names = []
        for i in range(1, self.n_layers + 1):
            names += [f"W{i}", f"b{i}"] if self.bias else [f"W{i}"]
        return names

    @property
    def param_shapes(self) -> list[tuple[int, ...]]:
        shapes = []
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:]):
            shapes += [(fan_in, fan_out), (fan_out,)] if self.bias else [(fan_in, fan_out)]
        return shapes

    @property
    def n_params(self) -> int:
        return int(sum(np.prod(s) for s in self.param_shapes))

    def to_dict(self) -> dict:
        return {"sizes": list(self.sizes), "activation": list(self.activations), "output": self.output,
                "bias": self.bias, "init": str(self.init), "bias_init": self.bias_init}

    @classmethod
    def from_dict(cls, d: dict) -> "MLP":
        act = d["activation"]
        act = act[0] if isinstance(act, list) and len(set(act)) == 1 else (tuple(act) if act else "tanh")
        return cls(d["sizes"], activation=act, output=d["output"], bias=d["bias"], init=d["init"],
                   bias_init=d.get("bias_init", 0.0))

    def __str__(self) -> str:
        acts = ",".join(self.activations) or "-"
        return f"MLP({'-'.join(map(str, self.sizes))}, hidden {acts}, output {self.output})"

    # --- parameters --------------------------------------------------------------------------
    def init_params(self, key) -> list[np.ndarray]:
        """Draw initial parameters (Keras order, float32 numpy) from the PRNG ``key`` (2,) uint32, as
        ``jax.random`` would draw them, but on the host: no program is compiled. Keys (*batch, 2) draw
        one set per key, each array with the leading (*batch) axes."""
        from . import host_random as hr

        keys = np.asarray(key, np.uint32)
        batch = keys.shape[:-1]
        layer_keys = hr.split(keys, self.n_layers)
        params = []
        for i, (fan_in, fan_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
            params.append(self.init.weight(layer_keys[..., i, :], (fan_in, fan_out)))
            if self.bias:
                params.append(np.full((*batch, fan_out), 0.0 if self.init.name == "lattice" else self.bias_init,
                                      np.float32))
        return params

    def check_params(self, params: Sequence, what: str = "init") -> list[np.ndarray]:
        """Validate a user-given parameter list against the spec; returns float32 numpy arrays."""
        shapes = self.param_shapes
        if len(params) != len(shapes):
            raise bad_input(what, f"{len(shapes)} arrays {self.param_names}", f"{len(params)} arrays",
                            "pass [W1 (in, out), b1, W2, b2, ...] in Keras order")
        out = []
        for name, shape, p in zip(self.param_names, shapes, params):
            a = np.asarray(p, dtype=np.float32)
            if a.shape != shape:
                raise bad_input(f"{what} {name}", f"shape {shape}", f"shape {a.shape}",
                                "W is (inputs, outputs) as in Keras; transpose a PyTorch weight")
            if not np.all(np.isfinite(a)):
                raise WeightflowError(f"{what} {name}: expected finite numbers, got NaN or inf; fix the array")
            out.append(a)
        return out

    def layers(self, params: Sequence) -> list[tuple]:
        """Pair the flat list into ``[(W, b or None), ...]``."""
        if self.bias:
            return [(params[2 * i], params[2 * i + 1]) for i in range(self.n_layers)]
        return [(params[i], None) for i in range(self.n_layers)]

    # --- forward -----------------------------------------------------------------------------
    def _forward(self, params: Sequence, h, activation, rows: bool = False):
        """Logits (out, n) from inputs ``h``: feature-major (d, n) with ``w.T @ h``, or with ``rows``
        samples-first (n, d) with ``h @ w``, the same function in the other layout."""
        layers = self.layers(params)
        for i, (w, b) in enumerate(layers):
            z = h @ w if rows else w.T @ h
            if b is not None:
                z = z + (b if rows else b[:, None])
            h = activation(self.activations[i])(z) if i < len(layers) - 1 else z
        return h.T if rows else h

    def forward_t(self, params: Sequence, xt):
        """Logits (out, n) from feature-major inputs ``xt`` (d, n), in jax (traceable)."""
        return self._forward(params, xt, jax_activation)

    def forward_rows(self, params: Sequence, x):
        """Logits (out, n) from samples-first inputs ``x`` (n, d), in jax: ``forward_t``'s function
        computed sample-major (``x @ W``), which XLA runs faster for wide layers over many rows."""
        return self._forward(params, x, jax_activation, rows=True)

    def logits(self, params: Sequence, x):
        """Logits (n, out) for samples-first inputs ``x`` (n, d), in jax."""
        import jax.numpy as jnp

        return self.forward_t(params, jnp.asarray(x).T).T

    def predict_proba(self, params: Sequence, x):
        """The output activation (n, out): probabilities for sigmoid/softmax, values for linear."""
        import jax.numpy as jnp

        from . import losses

        return losses.output_activation(self.forward_t(params, jnp.asarray(x).T), self.output).T

    def forward_numpy(self, params: Sequence, x) -> tuple[np.ndarray, np.ndarray]:
        """Pure numpy: ``(logits (n, out), output activation (n, out))`` for inputs (n, d).

        For pictures and reloaded runs, which must not import jax.
        """
        z = self._forward([np.asarray(p, np.float64) for p in params], np.asarray(x, np.float64).T,
                          numpy_activation).T
        if self.output == "sigmoid":
            return z, numpy_activation("sigmoid")(z)
        if self.output == "softmax":
            e = np.exp(z - z.max(axis=1, keepdims=True))
            return z, e / e.sum(axis=1, keepdims=True)
        return z, z

    def predict(self, params: Sequence, x) -> np.ndarray:
        """Predicted class (n,), computed in numpy: threshold 0.5 on one output, argmax otherwise."""
        _, out = self.forward_numpy(params, x)
        if out.shape[1] > 1:
            return np.argmax(out, axis=1)
        return (out[:, 0] >= 0.5).astype(np.int64)
