"""One training step, laid out the way seed 002 lays it out.

``one_step(model, data, params, lr=...)`` takes one full-batch gradient-descent step and lists
everything backpropagation computes on the way: the inputs, the net inputs and activations of
every layer, the loss of every pattern, the output deltas, the hidden deltas, every weight update
and the new weights. The intermediate quantities come from the textbook formulas of
:mod:`weightflow.reference`; the step itself is taken by the engine (``train(..., steps=1)``), whose
new weights are shown, and the two are compared (their largest difference is part of the page).

``Explanation.render("text" | "markdown" | "html")`` formats it; html is one self-contained page
with every string escaped.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from . import loss_names, reference
from .errors import bad_input

FORMATS = ("text", "markdown", "html")
DIGITS = 6  # significant digits shown, as the notebook's displays


@dataclass
class Table:
    """A titled table: ``rows`` of cells (numbers or text) under ``header``; ``note`` explains it."""

    title: str
    header: list[str]
    rows: list[list]
    note: str = ""
    key: str = ""  # a stable name for programs: "inputs", "layer1", "loss", "delta2", "update-W1", ...


@dataclass
class Explanation:
    """What :func:`one_step` returns: the tables, in order, and the numbers behind them.

    values: ``outputs`` (n, K) prediction, ``loss_per_pattern`` (n,), ``loss`` E, ``engine_loss``,
    ``nets`` / ``outs`` per layer, ``deltas`` per layer (d loss_p / d net), ``grads``, ``updates``
    (-lr * grad), ``reference_params`` (old + update, float64), ``new_params`` (the engine's),
    ``max_difference`` (largest |reference - engine| over the new weights).
    """

    title: str
    summary: list[str]
    tables: list[Table]
    values: dict = field(default_factory=dict, repr=False)
    digits: int = DIGITS

    def table(self, key: str) -> Table:
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(key)

    def render(self, fmt: str = "text") -> str:
        if fmt not in FORMATS:
            raise bad_input("--format", "text, markdown or html", fmt, "e.g. --format markdown")
        return {"text": self._text, "markdown": self._markdown, "html": self._html}[fmt]()

    def __str__(self) -> str:
        return self.render("text")

    # --- formats ------------------------------------------------------------------------------
    def _cell(self, v) -> str:
        return fmt_number(v, self.digits) if isinstance(v, (float, np.floating)) else str(v)

    def _text(self) -> str:
        lines = [self.title, "=" * len(self.title), *self.summary]
        for t in self.tables:
            lines += ["", t.title, "-" * len(t.title)]
            if t.note:
                lines.append(t.note)
            cells = [t.header] + [[self._cell(c) for c in row] for row in t.rows]
            widths = [max(len(r[i]) for r in cells) for i in range(len(t.header))]
            for r in cells:
                lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                       for i, (c, w) in enumerate(zip(r, widths))).rstrip())
        return "\n".join(lines) + "\n"

    def _markdown(self) -> str:
        def esc(s: str) -> str:
            return str(s).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

        lines = [f"# {esc(self.title)}", "", *[f"{esc(s)}  " for s in self.summary]]
        for t in self.tables:
            lines += ["", f"## {esc(t.title)}", ""]
            if t.note:
                lines += [esc(t.note), ""]
            lines.append("| " + " | ".join(esc(h) for h in t.header) + " |")
            lines.append("|" + "|".join(["---"] + ["---:"] * (len(t.header) - 1)) + "|")
            for row in t.rows:
                lines.append("| " + " | ".join(esc(self._cell(c)) for c in row) + " |")
        return "\n".join(lines) + "\n"

    def _html(self) -> str:
        e = html.escape
        parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
                 f"<title>{e(self.title)}</title>",
                 "<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}"
                 "table{border-collapse:collapse;margin:.5em 0 1.5em}"
                 "th,td{border:1px solid #ccc;padding:.2em .6em;text-align:right;font-variant-numeric:tabular-nums}"
                 "th:first-child,td:first-child{text-align:left}th{background:#f3f3f3}"
                 "p.note{color:#444;font-family:ui-monospace,monospace;font-size:.9em}</style>",
                 "</head>", "<body>", f"<h1>{e(self.title)}</h1>"]
        parts += [f"<p>{e(s)}</p>" for s in self.summary]
        for t in self.tables:
            parts.append(f'<h2 id="{e(t.key)}">{e(t.title)}</h2>')
            if t.note:
                parts.append(f'<p class="note">{e(t.note)}</p>')
            parts.append("<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in t.header) + "</tr></thead><tbody>")
            for row in t.rows:
                parts.append("<tr>" + "".join(f"<td>{e(self._cell(c))}</td>" for c in row) + "</tr>")
            parts.append("</tbody></table>")
        parts += ["</body>", "</html>"]
        return "\n".join(parts) + "\n"


def fmt_number(v, digits: int = DIGITS) -> str:
    """``digits`` significant digits, as the notebook shows them: 0.222117, -0.00904025, 2.98023e-09."""
    v = float(v)
    if v == 0:
        return "0"
    if not math.isfinite(v):
        return str(v)
    return f"{v:.{digits}g}"


def _unit_names(model, feature_names: Sequence[str] | None) -> list[list[str]]:
    """Names of the units of every layer: inputs x1.. (or the feature names), hidden h1.. (h1_1.. with
    several hidden layers), outputs o1.."""
    sizes = model.sizes
    names = [list(feature_names) if feature_names and len(feature_names) == sizes[0]
             else [f"x{i + 1}" for i in range(sizes[0])]]
    n_hidden = len(sizes) - 2
    for l in range(1, n_hidden + 1):
        prefix = "h" if n_hidden == 1 else f"h{l}_"
        names.append([f"{prefix}{j + 1}" for j in range(sizes[l])])
    names.append([f"o{j + 1}" for j in range(sizes[-1])])
    return names


_LOSS_TEXT = {
    "bce": "binary cross-entropy, loss_p = -(t log a + (1 - t) log(1 - a)); E = mean over patterns",
    "ce": "categorical cross-entropy, loss_p = -sum_k t_k log a_k; E = mean over patterns",
    "mse": "squared error, loss_p = mean_k (a_k - t_k)^2; E = mean over patterns",
    "sse": "squared error, loss_p = 1/2 sum_k (a_k - t_k)^2; E = sum over patterns",
    "bce-sum": "binary cross-entropy, loss_p = -(t log a + (1 - t) log(1 - a)); E = sum over patterns (seed 003)",
}

_DERIV_TEXT = {"sigmoid": "out (1 - out)", "tanh": "1 - out^2", "relu": "1 if net > 0 else 0",
               "leaky-relu": "1 if net >= 0 else 0.01", "linear": "1"}


def _output_delta_text(loss: str, output: str) -> str:
    loss = loss_names.per_sample(loss)
    if loss == "bce":
        return "delta = d loss_p / d net = a - t (sigmoid and cross-entropy derivatives cancel)"
    if loss == "ce":
        return "delta = d loss_p / d net = a - t (softmax and cross-entropy derivatives cancel)"
    g = "2 (a - t) / K" if loss == "mse" else "(a - t)"
    if output == "softmax":
        return f"delta_j = a_j (g_j - sum_k g_k a_k) with g = d loss_p / d a = {g} (through the softmax)"
    return f"delta = d loss_p / d a * f'(net) = {g} * {_DERIV_TEXT[output]}"


def one_step(model, data, params: Sequence | None = None, *, lr: float = 0.1, loss: str | None = None,
             seed: int = 0, max_patterns: int | None = 20, digits: int = DIGITS,
             feature_names: Sequence[str] | None = None) -> Explanation:
    """Explain one full-batch gradient-descent step of ``model`` on ``data`` from ``params``.

    data: a dataset name, a Dataset or ``(X, y)`` (every pattern takes part in the step).
    params: Keras-order initial parameters (default: the model's initialiser with ``seed``, as
    ``train`` draws them). lr: the learning rate; loss: bce, ce, mse or sse (default: by output).
    max_patterns: how many patterns the per-pattern tables list (None: all); the step uses all.
    """
    from .optim import check_lr
    from .training import train

    X, y, feature_names = _step_data(model, data, feature_names)
    lr = check_lr(lr)
    run = train(model, (X, y), optimizer="gd", lr=lr, steps=1, record_every=1, test_size=0, seed=seed,
                init=params, loss=loss, progress=False)
    step = _textbook_step(model, run, lr)
    v = step.values
    n = len(step.T)
    shown = n if max_patterns is None else min(n, int(max_patterns))
    rows = _PatternRows(shown, f" (the first {shown} of {n} patterns; the step uses all {n})" if shown < n else "")
    units = _unit_names(model, feature_names)
    tables = _weight_tables(model, units, "weights", "Weights before the step", v["old_params"],
                            "rows: the sending unit (bias: a unit that always outputs 1); columns: the receiving unit")
    tables += _forward_tables(model, step, units, rows)
    tables += _backward_tables(model, step, units, rows, digits)
    scale_text = f"1/{n} sum_p" if not loss_names.summed(v["loss_name"]) else "sum_p"
    tables += _weight_tables(model, units, "update", "Weight updates", v["updates"],
                             f"delta_W[i, j] = -lr * {scale_text} out_i * delta_j (lr {lr:g}); "
                             f"bias: -lr * {scale_text} delta_j")
    tables += _weight_tables(model, units, "new", "New weights (the engine's step)", v["new_params"],
                             f"W + delta_W, as the engine computed it; largest |textbook - engine| = "
                             f"{fmt_number(v['max_difference'], 3)}")
    summary = [f"data: {n} patterns, {model.sizes[0]} inputs; loss {v['loss_name']}; plain gradient descent, "
               f"lr {lr:g}, one full-batch step",
               f"loss before the step: E = {fmt_number(v['loss'], digits)} (textbook), "
               f"{fmt_number(v['engine_loss'], digits)} (engine); new weights: textbook and engine agree to "
               f"{fmt_number(v['max_difference'], 3)}"]
    return Explanation(f"One training step of {model}", summary, tables, v, digits)


def _step_data(model, data, feature_names):
    """``(X, y, feature_names)`` of ``data`` (a name, a Dataset or ``(X, y)``) for ``model`` (checked)."""
    from .check import _as_arrays
    from .datasets import Dataset
    from .model import MLP

    if not isinstance(model, MLP):
        raise bad_input("model", "a weightflow.MLP", type(model).__name__, "e.g. weightflow.MLP([2, 2, 1])")
    if isinstance(data, str):
        from .datasets import load

        data = load(data)
    if feature_names is None and isinstance(data, Dataset):
        feature_names = data.feature_names
    X, y = _as_arrays(data)
    return X, y, feature_names


@dataclass
class _Step:
    """The textbook step beside the engine's: ``values`` (as ``Explanation.values``), the inputs
    ``X`` (n, d) float64, the targets ``T`` (n, K) and the activation of every layer ``acts``."""

    values: dict
    X: np.ndarray
    T: np.ndarray
    acts: list


def _textbook_step(model, run, lr) -> _Step:
    """The step of ``run`` (one gd step, every pattern) computed again with :mod:`weightflow.reference`."""
    loss = run.config.loss
    old = [np.asarray(p, np.float64) for p in run.initial_params]
    new = [np.asarray(p, np.float64) for p in run.params]
    X64 = np.asarray(run.split.X_train, np.float64)
    acts = reference.model_activations(model)
    fwd = reference.forward(old, X64, acts, model.bias)
    T = reference.targets(np.asarray(run.split.y_train), model.sizes[-1])
    per = reference.loss_per_pattern(loss, fwd.nets[-1], fwd.outs[-1], T)
    ds = reference.deltas(old, fwd, T, acts, loss, model.bias)
    grads = reference.gradients_from_deltas(fwd, ds, loss, model.bias)
    updates = [-lr * g for g in grads]
    ref_new = [p + u for p, u in zip(old, updates)]
    values = {"outputs": fwd.outs[-1], "prediction": reference._prediction(loss, fwd.nets[-1], fwd.outs[-1]),
              "loss_per_pattern": per, "loss": reference.total_loss(loss, per),
              "engine_loss": float(run.history["train_loss"][0]), "nets": fwd.nets, "outs": fwd.outs,
              "deltas": ds, "grads": grads, "updates": updates, "old_params": old, "reference_params": ref_new,
              "new_params": new, "max_difference": max(float(np.max(np.abs(r - e))) for r, e in zip(ref_new, new)),
              "lr": lr, "loss_name": loss}
    return _Step(values, X64, T, acts)


@dataclass
class _PatternRows:
    """How many patterns the per-pattern tables list (``shown``) and the title suffix saying so."""

    shown: int
    cut: str

    def table(self, title, header, per_pattern, note, key, extra=()):
        """A table of one row per shown pattern: its number, then ``per_pattern(p)``; ``extra`` rows after."""
        rows = [[str(p + 1), *per_pattern(p)] for p in range(self.shown)]
        return Table(title + self.cut, header, rows + list(extra), note, key)


def _weight_tables(model, units, key, title, Ws, note=""):
    """One table per layer: a row per sending unit (and the bias), a column per receiving unit."""
    out = []
    for l in range(model.n_layers):
        W = Ws[2 * l] if model.bias else Ws[l]
        rows = [[units[l][i], *map(float, W[i])] for i in range(W.shape[0])]
        if model.bias:
            rows.append(["bias", *map(float, Ws[2 * l + 1])])
        names = f"W{l + 1}" + (f", b{l + 1}" if model.bias else "")
        out.append(Table(f"{title}: {names} (layer {l} -> layer {l + 1})", ["from \\ to", *units[l + 1]], rows,
                         note if l == 0 else "", f"{key}{l + 1}"))
    return out


def _forward_tables(model, step, units, rows):
    """The inputs and targets, then every layer's net inputs and activations."""
    X64, T, acts, v = step.X, step.T, step.acts, step.values
    L = model.n_layers
    t_head = ["target"] if T.shape[1] == 1 else [f"t_{u}" for u in units[-1]]
    tables = [rows.table("Inputs and targets", ["pattern", *units[0], *t_head],
                         lambda p: [*map(float, X64[p]), *map(float, T[p])], "out0 = the input pattern", "inputs")]
    for l in range(L):
        kind = f"hidden, {acts[l]}" if l < L - 1 else f"output, {acts[l]}"
        u = units[l + 1]
        b = f" + b{l + 1}" if model.bias else ""
        tables.append(rows.table(f"Layer {l + 1} ({kind}): net inputs and activations",
                                 ["pattern", *[f"net {x}" for x in u], *[f"out {x}" for x in u]],
                                 lambda p, l=l: [*map(float, v["nets"][l][p]), *map(float, v["outs"][l + 1][p])],
                                 f"net{l + 1} = out{l} @ W{l + 1}{b};  out{l + 1} = {acts[l]}(net{l + 1})",
                                 f"layer{l + 1}"))
    return tables


def _backward_tables(model, step, units, rows, digits):
    """The loss of every pattern, the output deltas and the hidden deltas (last layer first)."""
    v, acts, loss = step.values, step.acts, step.values["loss_name"]
    per, ds, L = v["loss_per_pattern"], v["deltas"], model.n_layers
    pred_note = (f" (a = {'softmax' if loss == 'ce' else 'sigmoid'}(net): the loss squashes the linear output itself)"
                 if loss_names.per_sample(loss) in ("bce", "ce") and model.output == "linear" else "")
    tables = [rows.table(f"Loss per pattern ({loss})", ["pattern", "loss"], lambda p: [float(per[p])],
                         _LOSS_TEXT[loss] + pred_note + f"; engine's E = {fmt_number(v['engine_loss'], digits)}",
                         "loss", extra=[["E (sum)" if loss_names.summed(loss) else "E (mean)", v["loss"]]]),
              rows.table("Output deltas", ["pattern", *[f"delta {x}" for x in units[-1]]],
                         lambda p: [*map(float, ds[-1][p])], _output_delta_text(loss, model.output), f"delta{L}")]
    for l in range(L - 2, -1, -1):
        tables.append(rows.table(f"Hidden deltas, layer {l + 1} ({acts[l]})",
                                 ["pattern", *[f"delta {x}" for x in units[l + 1]]],
                                 lambda p, l=l: [*map(float, ds[l][p])],
                                 f"delta{l + 1} = (delta{l + 2} @ W{l + 2}.T) * f'(net{l + 1}),  "
                                 f"f'(net) = {_DERIV_TEXT[acts[l]]}", f"delta{l + 1}"))
    return tables
