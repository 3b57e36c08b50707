"""Implicit bias: where a linear classifier's direction goes on separable data (Soudry et al. 2018).

For separable data and the logistic loss, gradient descent drives |w| to infinity and its direction
w / |w| to the L2 max-margin separator, with direction error O(1 / log t); Adam and sign-like methods
head for other geometries instead (sign descent: the L-infinity max-margin separator, which spreads
weight over every coordinate that helps the margin, the irrelevant ones included).

Everything here reads a stored run of a linear model (``MLP([d, 1])``, sigmoid output) with numpy,
scipy and scikit-learn. The bias is a constant feature: the model's parameters are
w~ = (W[:, 0], b) acting on x~ = (x, 1), and the separators are homogeneous in x~, which is the
problem gradient descent on (W, b) solves. Labels are y in {-1, +1}.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import WeightflowError, bad_input
from ..viz._common import Display, pyplot, require_split

HARD_C = 1e6  # C of the linear SVM standing in for the hard margin


def augment(X: np.ndarray, bias: bool = True) -> np.ndarray:
    """(n, d) inputs as (n, d + 1) with a constant 1 column when ``bias`` (else unchanged), float64."""
    X = np.asarray(X, np.float64)
    return np.hstack([X, np.ones((len(X), 1))]) if bias else X


def signs(y: np.ndarray) -> np.ndarray:
    """Labels 0/1 (n,) as -1/+1."""
    return np.where(np.asarray(y) > 0, 1.0, -1.0)


def _check_separable(w: np.ndarray, Xa: np.ndarray, s: np.ndarray, method: str) -> np.ndarray:
    if not np.all(s * (Xa @ w) > 0):
        raise WeightflowError(f"max margin ({method}): expected linearly separable training data, got classes "
                              "that no hyperplane separates; the implicit-bias analysis needs separable data")
    return w


def max_margin(X, y, bias: bool = True, method: str = "qp") -> np.ndarray:
    """The L2 max-margin separator w (d + bias,) with min_i y_i w . x~_i = 1, so the margin is 1 / |w|.

    method ``qp``: the hard-margin primal min |w|^2 / 2 subject to y_i w . x~_i >= 1, solved by
    scipy's SLSQP; ``svm``: scikit-learn's LinearSVC (hinge loss, C = 1e6, no separate intercept:
    the bias is the constant feature), rescaled to margin 1.
    """
    from scipy.optimize import minimize

    Xa, s = augment(X, bias), signs(y)
    A = s[:, None] * Xa  # constraints A w >= 1
    if method == "svm":
        from sklearn.svm import LinearSVC

        svm = LinearSVC(C=HARD_C, loss="hinge", fit_intercept=False, dual=True, tol=1e-10, max_iter=200000)
        w = svm.fit(Xa, s).coef_[0]
    elif method == "qp":
        w0, *_ = np.linalg.lstsq(A, np.ones(len(A)), rcond=None)
        w0 = w0 / max(np.min(A @ w0), 1e-12) if np.min(A @ w0) > 0 else w0
        res = minimize(lambda w: 0.5 * w @ w, w0, jac=lambda w: w, method="SLSQP",
                       constraints=[{"type": "ineq", "fun": lambda w: A @ w - 1.0, "jac": lambda w: A}],
                       options={"ftol": 1e-14, "maxiter": 2000})
        w = res.x
    else:
        raise bad_input("max margin method", "qp or svm", method, "e.g. method='qp'")
    _check_separable(w, Xa, s, method)
    return w / np.min(A @ w)


def linf_max_margin(X, y, bias: bool = True) -> np.ndarray:
    """The L-infinity max-margin separator: maximise min_i y_i w . x~_i over |w|_inf <= 1 (a linear
    program, scipy's HiGHS); returns w (d + bias,) with |w|_inf = 1. Sign descent heads there."""
    from scipy.optimize import linprog

    Xa, s = augment(X, bias), signs(y)
    n, k = Xa.shape
    # variables (w, gamma): maximise gamma subject to gamma - y_i w . x_i <= 0, -1 <= w <= 1
    A_ub = np.hstack([-(s[:, None] * Xa), np.ones((n, 1))])
    res = linprog(np.r_[np.zeros(k), -1.0], A_ub=A_ub, b_ub=np.zeros(n), bounds=[(-1, 1)] * k + [(None, None)],
                  method="highs")
    return _check_separable(res.x[:k], Xa, s, "L-infinity")


def direction_error(W: np.ndarray, target: np.ndarray) -> np.ndarray:
    """| w_t / |w_t| - target / |target| | for rows w_t of ``W`` (F, k); NaN where w_t = 0."""
    W = np.asarray(W, np.float64)
    norms = np.linalg.norm(W, axis=1, keepdims=True)
    unit = np.divide(W, norms, out=np.full_like(W, np.nan), where=norms > 0)
    return np.linalg.norm(unit - target / np.linalg.norm(target), axis=1)


def normalised_margin(W: np.ndarray, X, y, bias: bool = True) -> np.ndarray:
    """min_i y_i w_t . x~_i / |w_t| (F,) for rows w_t of ``W`` (F, k): negative while a point is wrong."""
    W = np.asarray(W, np.float64)
    scores = (signs(y)[:, None] * augment(X, bias)) @ W.T  # (n, F)
    with np.errstate(invalid="ignore", divide="ignore"):
        return scores.min(axis=0) / np.linalg.norm(W, axis=1)


def linear_weights(run, picture: str = "implicit-bias") -> np.ndarray:
    """w~_t = (W[:, 0], b) at every frame, (F, d + bias), of a single linear sigmoid run."""
    m = run.model
    if run.population is not None:
        raise bad_input(picture, "a single run", f"a population of {run.population}",
                        "pick one member: --member M (or run.member(m))")
    if len(m.sizes) != 2 or m.sizes[1] != 1 or m.output != "sigmoid":
        raise bad_input(picture, "a linear classifier MLP([d, 1]) with a sigmoid output", str(m),
                        "train logistic regression, e.g. weightflow train --hidden '' (sizes [d, 1])")
    W = np.asarray(run.frames[0], np.float64)[:, :, 0]
    return np.hstack([W, np.asarray(run.frames[1], np.float64)]) if m.bias else W


def run_label(run) -> str:
    opt = run.config.optimizer
    return opt.name + (f" lr {opt.lr:g}" if isinstance(opt.lr, (int, float)) else "")


def check_relevant(relevant, d: int) -> tuple[int, ...]:
    if isinstance(relevant, str):
        relevant = [r for r in relevant.replace(" ", "").split(",") if r]
    try:
        idx = tuple(sorted({int(i) for i in relevant}))
        ok = len(idx) > 0 and all(0 <= i < d for i in idx) and len(idx) < d
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise bad_input("relevant", f"input indices from 0 to {d - 1} (not all of them)", relevant,
                        "e.g. --relevant 0,1")
    return idx


def analyze_run(run, relevant=(0, 1), method: str = "qp") -> dict:
    """Every number of the analysis for one run (arrays per frame, floats at the end); see ImplicitBias."""
    Wt = linear_weights(run)
    split = require_split(run, "implicit-bias")
    X, y = np.asarray(split.X_train, np.float64), np.asarray(split.y_train)
    bias = run.model.bias
    d = X.shape[1]
    rel = check_relevant(relevant, d)
    irr = [i for i in range(d) if i not in rel]
    w_star, w_inf = max_margin(X, y, bias, method), linf_max_margin(X, y, bias)
    weights = Wt[:, :d]
    norms = np.linalg.norm(weights, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.linalg.norm(weights[:, irr], axis=1) / norms
    return {
        "label": run_label(run), "steps": np.asarray(run.steps, np.int64), "relevant": list(rel),
        "irrelevant": irr, "max_margin_direction": w_star / np.linalg.norm(w_star),
        "max_margin": 1.0 / float(np.linalg.norm(w_star)),
        "direction_error": direction_error(Wt, w_star), "linf_direction_error": direction_error(Wt, w_inf),
        "margin": normalised_margin(Wt, X, y, bias), "norm": np.linalg.norm(Wt, axis=1),
        "irrelevant_mean_abs": np.abs(weights[:, irr]).mean(axis=1), "irrelevant_share": share,
        "max_margin_irrelevant_share": float(np.linalg.norm(w_star[irr]) / np.linalg.norm(w_star[:d])),
        "linf_irrelevant_share": float(np.linalg.norm(w_inf[irr]) / np.linalg.norm(w_inf[:d])),
    }


def at_steps(trace: dict, steps) -> list[dict]:
    """The trace's numbers at the recorded frames nearest to ``steps`` (for tables and --json)."""
    out = []
    for s in steps:
        i = int(np.argmin(np.abs(trace["steps"] - s)))
        out.append({"step": int(trace["steps"][i]), **{k: _num(trace[k][i]) for k in
                    ("direction_error", "linf_direction_error", "margin", "norm", "irrelevant_mean_abs",
                     "irrelevant_share")}})
    return out


def _num(v) -> float | None:
    v = float(v)
    return v if math.isfinite(v) else None


def decades(steps: np.ndarray) -> list[int]:
    """Powers of ten from 10 up to the last recorded step, plus the last step."""
    last = int(steps[-1])
    if len(steps) < 2:
        return [last]
    powers = [10 ** k for k in range(1, int(math.log10(max(last, 1))) + 1)]
    return sorted({p for p in powers if p >= steps[1]} | {last})


def summary(trace: dict) -> dict:
    """JSON-ready numbers of one trace: the separators and the values at each decade of steps."""
    keys = ("label", "relevant", "irrelevant", "max_margin", "max_margin_irrelevant_share", "linf_irrelevant_share")
    out = {k: trace[k] for k in keys}
    out["max_margin_direction"] = [float(v) for v in trace["max_margin_direction"]]
    out["at"] = at_steps(trace, decades(trace["steps"]))
    return out


COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")


class ImplicitBias(Display):
    """The implicit-bias picture: four panels against log step, one line per run.

    Build with ``ImplicitBias.from_run(run, compare=None, relevant=(0, 1), method="qp", labels=None)``
    (``compare``: another run, or a list of them, drawn beside it, e.g. Adam beside GD). ``traces``: one dict per
    run from :func:`analyze_run` (``steps`` (F,), ``direction_error`` (F,) to the L2 max-margin
    direction, ``linf_direction_error`` (F,), ``margin`` (F,) normalised, ``max_margin``,
    ``irrelevant_mean_abs`` (F,), ``irrelevant_share`` (F,) = |w_irrelevant| / |w| ...).
    ``summaries()`` gives the JSON numbers; ``plot(ax=None)`` draws (``axes``: 4 axes).
    """

    def __init__(self, traces: list[dict]):
        self.traces = traces

    @classmethod
    def from_run(cls, run, *, compare=None, relevant=(0, 1), method: str = "qp", labels=None):
        """``labels``: one legend label per run (default: optimizer and learning rate)."""
        others = [] if compare is None else list(compare) if isinstance(compare, (list, tuple)) else [compare]
        traces = [analyze_run(r, relevant, method) for r in [run, *others]]
        for t, label in zip(traces, labels or ()):
            t["label"] = str(label)
        return cls(traces)

    def summaries(self) -> list[dict]:
        return [summary(t) for t in self.traces]

    def plot(self, ax=None, *, axes=None):
        """Draw the four panels (``axes``: four axes); ``ax`` alone draws the direction error only."""
        if ax is not None:
            fig, axs = ax.figure, [ax]
        elif axes is not None:
            axs = list(np.ravel(axes))
            if len(axs) != 4:
                raise bad_input("implicit-bias axes", "4 axes", f"{len(axs)} axes", "pass 4 axes or none")
            fig = axs[0].figure
        else:
            fig, grid = pyplot().subplots(2, 2, figsize=(10.5, 7.5))
            axs = list(grid.ravel())
        panels = [self._error, self._margin, self._size, self._share][:len(axs)]
        for draw, a in zip(panels, axs):
            for i, t in enumerate(self.traces):
                draw(a, t, COLORS[i % len(COLORS)], i)
            a.set_xscale("log")
            a.set_xlabel("step (log)")
            a.grid(alpha=0.3, which="both")
            a.legend(frameon=False, fontsize=8)
        axs[0].set_ylim(bottom=0)  # after every trace: set_ylim stops autoscaling
        if ax is None:
            fig.tight_layout()
        self.figure_, self.axes_ = fig, axs
        return self

    @staticmethod
    def _positive(t):
        return t["steps"] > 0

    def _error(self, a, t, color, i):
        ok = self._positive(t)
        a.plot(t["steps"][ok], t["direction_error"][ok], color=color, lw=1.8, label=f"{t['label']}: to L2 max margin")
        a.plot(t["steps"][ok], t["linf_direction_error"][ok], color=color, lw=1.2, ls="--",
               label=f"{t['label']}: to L-inf max margin")
        a.set_ylabel("direction error |w/|w| - w*/|w*||")
        a.set_title("direction (GD tends to the L2 max margin, ~1/log t)", fontsize=10)

    def _margin(self, a, t, color, i):
        ok = self._positive(t)
        a.plot(t["steps"][ok], t["margin"][ok], color=color, lw=1.8, label=t["label"])
        self._reference(a, i, "max_margin", color, ":", "max margin {:.3g}")
        a.set_ylabel("normalised margin min y w.x / |w|")
        top = max(tr["max_margin"] for tr in self.traces)
        low = min(np.nanmin(tr["margin"][self._positive(tr)], initial=0.0) for tr in self.traces)
        a.set_ylim(max(low, -1.5 * top), 1.15 * top)  # early frames' margins can be far below 0
        a.set_title("margin (rises to the max margin)", fontsize=10)

    def _reference(self, a, i, key, color, ls, label):
        """A horizontal line at trace i's ``key``; grey and drawn once when every trace has the same value."""
        values = [tr[key] for tr in self.traces]
        if np.allclose(values, values[0], rtol=1e-6):
            if i == 0:
                a.axhline(values[0], color="0.35", ls=ls, lw=1.2, label=label.format(values[0]))
        else:
            a.axhline(values[i], color=color, ls=ls, lw=1.2, label=label.format(values[i]))

    def _size(self, a, t, color, i):
        ok = self._positive(t)
        a.plot(t["steps"][ok], t["irrelevant_mean_abs"][ok], color=color, lw=1.8, label=t["label"])
        a.set_yscale("log")
        a.set_ylabel(f"mean |w| of the {len(t['irrelevant'])} irrelevant inputs")
        a.set_title("irrelevant weights: size", fontsize=10)

    def _share(self, a, t, color, i):
        ok = self._positive(t)
        a.plot(t["steps"][ok], t["irrelevant_share"][ok], color=color, lw=1.8, label=t["label"])
        self._reference(a, i, "max_margin_irrelevant_share", color, ":", "L2 max margin {:.2f}")
        self._reference(a, i, "linf_irrelevant_share", color, "-.", "L-inf max margin {:.2f}")
        a.set_ylim(0, 1.02)
        a.set_ylabel("|w irrelevant| / |w|")
        a.set_title("irrelevant weights: share of |w|", fontsize=10)
