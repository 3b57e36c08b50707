"""The mean-field view: a wide ReLU student's neurons, as particles, gather on a teacher's neurons.

Teacher (Chizat & Bach 2018's laptop figure): m0 unit-norm ReLU neurons in 2-D,
f*(x) = sum_j (a*_j . x)_+, on n inputs x_k evenly spread on the unit circle. Student:
f(x) = (1/m) sum_i b_i (a_i . x)_+ with m neurons, loss
L = 1/(2n) sum_k (f(x_k) - f*(x_k))^2 + (weight_decay / 2m) sum_i (|a_i|^2 + b_i^2), trained by full-batch
gradient descent in the mean-field scaling (each neuron moves by -lr * m * dL/dtheta_i, so the step of
a neuron does not shrink as the width grows). Start: a_i on a small circle (radius ``init``), b_i = +-|a_i|.

ReLU is positively homogeneous, so neuron i acts only through its direction a_i / |a_i| and its mass
|b_i| |a_i| / m (its share of the output). Drawn at b_i a_i (|b_i| |a_i| from the origin, along a_i),
a neuron is a particle; gradient descent is then a flow of the particles' measure (Mei, Montanari &
Nguyen 2018; Chizat & Bach 2018) and the mass gathers on the teacher directions. Numpy only.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import bad_input
from ..viz._common import NEGATIVE, POSITIVE, Display, new_axes_row


def teacher(m0: int = 3, n: int = 15, seed: int = 0, arc: float = 0.75 * np.pi, separation: float = 0.3):
    """``(A*, X, y)``: teacher directions A* (m0, 2) unit norm, inputs X (n, 2) on the circle, y (n,).

    The teacher's angles are drawn uniformly in [0, ``arc``) (a half-plane: see below), at least
    ``separation`` rad apart. Why a half-plane: (a . x)_+ - (-a . x)_+ = a . x, so ReLU neurons in
    opposite directions add up to a linear function, and a teacher whose directions surround the origin
    can be rebuilt from other neurons at the same norm; it is then not where the particles go (measured:
    with angles drawn on the whole circle, 3 teachers of 8 were missed by more than 0.1 rad).
    """
    rng = np.random.default_rng(seed)
    for _ in range(1000):
        angles = np.sort(rng.uniform(0, arc, m0))
        if m0 == 1 or np.diff(angles).min() >= separation:
            break
    A = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    t = 2 * np.pi * np.arange(n) / n
    X = np.stack([np.cos(t), np.sin(t)], axis=1)
    return A, X, np.maximum(X @ A.T, 0).sum(axis=1)


def _loss_and_grads(a, b, X, y, weight_decay):
    m = len(b)
    pre = X @ a.T  # (n, m)
    act = np.maximum(pre, 0)
    err = act @ b / m - y  # (n,)
    n = len(y)
    fit = 0.5 * np.mean(err ** 2)
    loss = fit + weight_decay / (2 * m) * (np.sum(a ** 2) + np.sum(b ** 2))
    gb = act.T @ err / (n * m) + weight_decay * b / m
    ga = ((err[:, None] * (pre > 0)) * b[None, :]).T @ X / (n * m) + weight_decay * a / m
    return loss, fit, ga, gb


def _check_int(value, what, low, example):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise bad_input(what, f"a whole number >= {low}", value, example)
    return int(value)


def teacher_student(m: int = 20, m0: int = 3, n: int = 15, steps: int = 10_000, lr: float = 0.5,
                    weight_decay: float = 1e-3, init: float = 1e-3, record_every: int = 100, seed: int = 0) -> dict:
    """Train the student; returns ``teacher`` (m0, 2), ``X`` (n, 2), ``steps`` (F,), ``a`` (F, m, 2),
    ``b`` (F, m), ``loss`` (F,) at the recorded frames (frame 0 the start), and ``end`` (the final
    state's numbers, see :func:`particle_report`)."""
    m = _check_int(m, "width m", 1, "e.g. --width 20")
    steps = _check_int(steps, "steps", 1, "e.g. --steps 10000")
    record_every = _check_int(record_every, "record_every", 1, "e.g. 100")
    A, X, y = teacher(_check_int(m0, "teachers m0", 1, "e.g. 3"), _check_int(n, "inputs n", 1, "e.g. 15"), seed)
    rng = np.random.default_rng(seed + 1)
    ang = rng.uniform(0, 2 * np.pi, m)
    a = init * np.stack([np.cos(ang), np.sin(ang)], axis=1)
    b = init * rng.choice([-1.0, 1.0], m)
    frames = {"steps": [], "a": [], "b": [], "loss": [], "fit": []}
    for t in range(steps + 1):
        loss, fit, ga, gb = _loss_and_grads(a, b, X, y, weight_decay)
        if t % record_every == 0 or t == steps:
            for k, v in (("steps", t), ("a", a.copy()), ("b", b.copy()), ("loss", loss), ("fit", fit)):
                frames[k].append(v)
        if t < steps:
            a, b = a - lr * m * ga, b - lr * m * gb
    out = {k: np.asarray(v) for k, v in frames.items()}
    out.update(teacher=A, X=X, y=y)
    out["end"] = particle_report(out["a"][-1], out["b"][-1], A)
    out["end"]["loss"] = float(out["loss"][-1])
    return out


def particle_report(a, b, A, negligible: float = 0.05) -> dict:
    """Each neuron's mass |b_i| |a_i| / m and its angle (rad) to the nearest teacher direction of A
    (m0, 2); ``heavy``: neurons with b_i > 0 and mass >= ``negligible`` times the largest mass, and
    ``max_heavy_angle`` their largest angle (NaN when none); ``mass_on_teachers``: the share of the total
    mass within 0.1 rad of a teacher."""
    m = len(b)
    mass = np.abs(b) * np.linalg.norm(a, axis=1) / m
    unit = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-300)
    angle = np.arccos(np.clip(unit @ A.T, -1, 1)).min(axis=1)
    heavy = (b > 0) & (mass >= negligible * mass.max())
    near = angle <= 0.1
    return {"mass": mass, "angle": angle, "heavy": heavy,
            "max_heavy_angle": float(angle[heavy].max()) if heavy.any() else math.nan,
            "mass_on_teachers": float(mass[near & (b > 0)].sum() / mass.sum())}


def width_sweep(widths=(2, 4, 8, 16, 32, 64), seeds=(0, 1, 2), init: float = 1.0, **options) -> dict:
    """Long-time data-fit loss against width: ``widths`` (k,), ``fit`` (k,) the mean over ``seeds`` of
    the last 1/(2n) sum (f - f*)^2 (the weight-decay term is left out: it has a floor of about
    weight_decay * total mass at every width), ``slope`` and ``intercept`` of the least-squares line
    through (log m, log fit). Started at ``init`` = 1 (particles spread over the plane from the start),
    so the width, not the escape from a small start, sets how fast the mass reaches the teachers."""
    widths = [_check_int(w, "width", 1, "e.g. --sweep 4,8,16") for w in widths]
    options.setdefault("record_every", options.get("steps", 10_000))
    fits = np.array([[teacher_student(w, seed=s, init=init, **options)["fit"][-1] for s in seeds] for w in widths])
    mean = fits.mean(axis=1)
    slope, intercept = np.polyfit(np.log(widths), np.log(mean), 1) if len(widths) >= 2 else (math.nan, math.nan)
    return {"widths": np.asarray(widths), "fit": mean, "fit_per_seed": fits, "slope": float(slope),
            "intercept": float(intercept)}


class TeacherStudent(Display):
    """Student neurons as particles at b_i a_i, with trails, on the teacher directions; the loss beside.

    Build with ``TeacherStudent.from_run(result)`` (a :func:`teacher_student` dict) or
    ``TeacherStudent.compute(**options)``; optionally ``sweep`` (a :func:`width_sweep` dict) adds a third
    panel. Attributes: ``result``, ``sweep``; after ``plot``: ``axes_``.
    """

    def __init__(self, result: dict, sweep: dict | None = None):
        self.result, self.sweep = result, sweep

    @classmethod
    def from_run(cls, result: dict, sweep: dict | None = None):
        return cls(result, sweep)

    @classmethod
    def compute(cls, sweep_widths=None, **options):
        sweep = None if not sweep_widths else width_sweep(sweep_widths, steps=options.get("steps", 10_000))
        return cls(teacher_student(**options), sweep)

    def numbers(self) -> dict:
        r, end = self.result, self.result["end"]
        out = {"width": int(r["b"].shape[1]), "teachers": r["teacher"].shape[0], "inputs": r["X"].shape[0],
               "steps": int(r["steps"][-1]), "loss": end["loss"], "fit": float(r["fit"][-1]),
               "heavy_particles": int(end["heavy"].sum()), "max_heavy_angle": end["max_heavy_angle"],
               "mass_on_teachers": end["mass_on_teachers"],
               "teacher_angles": [float(v) for v in np.arctan2(r["teacher"][:, 1], r["teacher"][:, 0])]}
        if self.sweep is not None:
            out["sweep"] = {"widths": self.sweep["widths"].tolist(), "fit": self.sweep["fit"].tolist(),
                            "slope": self.sweep["slope"]}
        return out

    def plot(self, ax=None, *, axes=None):
        """Particles (and loss, and the sweep when present) side by side; ``ax`` alone: particles only."""
        n = 2 + (self.sweep is not None)
        fig, axs = (ax.figure, [ax]) if ax is not None else new_axes_row(axes, n, (5.2 * n, 4.8))
        self._particles(axs[0])
        if len(axs) > 1:
            self._loss(axs[1])
        if len(axs) > 2:
            self._sweep(axs[2])
        if ax is None:
            fig.tight_layout()
        self.figure_, self.axes_ = fig, axs
        return self

    def _particles(self, a):
        r = self.result
        pos = r["b"][:, :, None] * r["a"] / r["b"].shape[1]  # (F, m, 2): b_i a_i / m, |.| = mass
        reach = 1.1 * max(np.abs(pos).max(), 1.0)
        for j, d in enumerate(r["teacher"]):
            a.plot([0, reach * d[0]], [0, reach * d[1]], color="0.2", lw=1, ls="--", zorder=1,
                   label="teacher directions (star: mass 1)" if j == 0 else None)
            a.plot(d[0], d[1], marker="*", ms=12, color="0.2", zorder=2)
        sign = np.sign(r["b"][-1])
        for i in range(pos.shape[1]):
            a.plot(pos[:, i, 0], pos[:, i, 1], color=POSITIVE if sign[i] > 0 else NEGATIVE, lw=0.7, alpha=0.45)
        mass = r["end"]["mass"]
        a.scatter(pos[-1, :, 0], pos[-1, :, 1], s=20 + 200 * mass / max(mass.max(), 1e-12),
                  c=[POSITIVE if s > 0 else NEGATIVE for s in sign], edgecolor="k", lw=0.5, zorder=3,
                  label="student neurons (area: mass)")
        pts = np.vstack([pos.reshape(-1, 2), r["teacher"], [[0.0, 0.0]]])
        pad = 0.08 * reach
        a.set_xlim(pts[:, 0].min() - pad, pts[:, 0].max() + pad)
        a.set_ylim(pts[:, 1].min() - pad, pts[:, 1].max() + pad)
        a.set_aspect("equal")
        a.axhline(0, color="0.85", lw=0.6)
        a.axvline(0, color="0.85", lw=0.6)
        a.set_title(f"m = {pos.shape[1]} students on {len(r['teacher'])} teachers: particles at b a / m", fontsize=10)
        a.legend(frameon=False, fontsize=8, loc="upper right")

    def _loss(self, a):
        r = self.result
        ok = r["steps"] > 0
        a.plot(r["steps"][ok], r["loss"][ok], lw=1.6, label="loss (with weight decay)")
        a.plot(r["steps"][ok], r["fit"][ok], lw=1.2, ls="--", label="data fit 1/2n sum (f - f*)^2")
        a.set_xscale("log")
        a.set_yscale("log")
        a.set_xlabel("step (log)")
        a.set_title("loss", fontsize=10)
        a.grid(alpha=0.3, which="both")
        a.legend(frameon=False, fontsize=8)

    def _sweep(self, a):
        s = self.sweep
        w = s["widths"]
        a.loglog(w, s["fit"], "o-", label="mean over seeds")
        a.loglog(w, np.exp(s["intercept"]) * w ** s["slope"], ls=":", color="0.3", label=f"slope {s['slope']:.2f}")
        from matplotlib.ticker import NullFormatter, ScalarFormatter

        a.xaxis.set_major_formatter(ScalarFormatter())
        a.xaxis.set_minor_formatter(NullFormatter())
        a.set_xticks(w)
        a.set_xlabel("width m")
        a.set_ylabel("long-time data-fit loss")
        a.set_title("width sweep", fontsize=10)
        a.grid(alpha=0.3, which="both")
        a.legend(frameon=False, fontsize=8)
