"""What the report page gets: one JSON-ready dict built from a Run (numpy only, never jax).

Keys: ``model`` (sizes, activations, output, parameter names and shapes), ``frames`` (one base64
blob per parameter, (F, *shape) or (members, F, *shape), with the dtype, the largest encoding
error and which recorded frames were kept), ``steps`` (F,), ``history`` (column -> (F,) list, or
median/quantile bands for a population), ``ranges`` (one symmetric colour scale per parameter over
the whole run), ``data`` (the points, subsampled to ``max_points``), ``names``, ``findings`` and
``notes`` (sentences the page shows, e.g. that frames were subsampled), and ``landscape`` (the loss on
the plane of the top two principal directions of the frames on the page, with every shown member's
path on it; None when the weights never move or there is no data).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..analysis import landscape as ls
from ..record import clean
from .encoding import FLOAT16_MAX, choose_storage, encode, even_indices
from .findings import as_dict

FRAME_BUDGET = 2_500_000  # raw bytes of frames; base64 makes it 4/3 larger
MAX_POINTS = 2000
DATA_BUDGET = 1_000_000  # raw bytes of data points: MNIST's 784 inputs get about 300 points
MAX_MEMBERS = 32
IMAGE_DATASETS = ("digits", "mnist")
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
LANDSCAPE_RESOLUTION = 41
LANDSCAPE_MACS = 1e9  # multiply-adds the landscape's loss grid may cost (fewer points or a coarser grid beyond)


def build_payload(run, findings=None, *, budget_bytes: int = FRAME_BUDGET, dtype: str | None = None,
                  max_points: int = MAX_POINTS, max_members: int = MAX_MEMBERS) -> dict:
    """Everything the player draws, for a single or a population run (see the module docstring)."""
    frames, keep = _frames(run, budget_bytes, dtype, max_members)
    payload = {"model": _model(run), "frames": frames, "steps": np.asarray(run.steps)[keep].tolist(),
               "history": _history(run, keep), "ranges": _ranges(run), "data": _data(run, max_points),
               "names": _names(run), "population": run.population, "findings": [clean(as_dict(f)) for f in findings or []],
               "notes": []}
    payload["notes"] = _notes(run, frames, payload["data"])
    payload["landscape"] = landscape(run, keep, frames["members"])
    if run.population is not None:
        payload["members"] = _members(run, frames["members"])
    return clean(payload)


def _frame_arrays(run, members) -> list[np.ndarray]:
    if run.population is None:
        return [np.asarray(f) for f in run.frames]
    return [np.asarray(f)[members] for f in run.frames]


def _frames(run, budget_bytes, dtype, max_members) -> tuple[dict, np.ndarray]:
    n_frames = len(run.steps)
    members = even_indices(run.population, max_members) if run.population is not None else None
    per_member = sum(int(np.prod(s)) for s in run.model.param_shapes)
    per_frame = per_member * (1 if members is None else len(members))
    arrays = _frame_arrays(run, members)
    max_abs = max((float(np.nanmax(np.abs(a))) for a in arrays if a.size), default=0.0)
    dtype, n_keep = choose_storage(per_frame, n_frames, budget_bytes, dtype, max_abs)
    keep = even_indices(n_frames, n_keep)
    blobs, err = {}, 0.0
    for name, a in zip(run.model.param_names, arrays):
        a = a[keep] if members is None else a[:, keep]
        blobs[name], e = encode(np.nan_to_num(a, nan=0.0, posinf=FLOAT16_MAX, neginf=-FLOAT16_MAX), dtype)
        err = max(err, e)
    part = {"dtype": dtype, "max_error": err, "count": int(len(keep)), "recorded": n_frames,
            "kept": keep.tolist() if len(keep) < n_frames else None, "params": blobs,
            "members": None if members is None else members.tolist()}
    return part, keep



def landscape(run, keep, members=None, resolution: int = LANDSCAPE_RESOLUTION) -> dict | None:
    """The loss on the plane through the (first shown member's) last frame spanned by the top two
    principal directions of the frames ``keep`` of every shown member (``analysis.landscape``), on at
    most the training points the budget allows: ``alphas`` (R,), ``betas`` (R,), ``loss`` (R*R, rows
    of betas, a float32 blob), ``paths`` ((members shown, len(keep), 2) blob, one path per shown member),
    ``explained`` (2,), ``points`` (training points used)."""
    s = run.split
    if s is None or len(s.y_train) == 0 or len(keep) < 2:
        return None
    arrays = [np.asarray(f) for f in run.frames]
    lead = [None] if members is None else list(members)
    flats = [np.hstack([(a[keep] if m is None else a[m][keep]).reshape(len(keep), -1) for a in arrays])
             for m in lead]
    flats = [np.nan_to_num(f.astype(np.float64)) for f in flats]
    centre, D, explained = ls.pca_plane(flats)
    if not np.any(explained):
        return None  # the weights never moved: no plane to show
    macs = sum(int(np.prod(sh)) for sh in run.model.param_shapes)
    res = resolution if macs * len(s.y_train) * resolution ** 2 <= LANDSCAPE_MACS else 21
    n = int(min(len(s.y_train), max(200, LANDSCAPE_MACS // (macs * res ** 2))))
    X, y = _subsample(np.asarray(s.X_train), np.asarray(s.y_train), n, seed=2)
    paths = [ls.coordinates(f, centre, D) for f in flats]
    alphas, betas = ls.window(paths, res, 0.15)
    with np.errstate(all="ignore"):
        grid = ls.grid_loss(run.model, run.config.loss, X, y, centre, D, alphas, betas)
    grid = np.where(np.isfinite(grid), grid, np.nan_to_num(grid, nan=0.0, posinf=np.finfo(np.float32).max))
    return {"alphas": alphas, "betas": betas, "loss": encode(grid, "float32")[0],
            "paths": encode(np.stack(paths), "float32")[0], "explained": explained, "points": len(y),
            "n_train": len(s.y_train), "loss_name": run.config.loss}


def _model(run) -> dict:
    m = run.model
    return {"sizes": list(m.sizes), "activations": list(m.activations), "output": m.output, "bias": m.bias,
            "param_names": m.param_names, "param_shapes": [list(s) for s in m.param_shapes],
            "text": str(m)}


def _ranges(run) -> dict:
    """Per parameter the largest |w| over every frame (and member): one colour scale for the whole run."""
    out = {}
    for name, f in zip(run.model.param_names, run.frames):
        a = np.asarray(f)
        v = float(np.nanmax(np.abs(a[np.isfinite(a)]))) if np.isfinite(a).any() else 1.0
        out[name] = v if v > 0 else 1.0
    return out


def _history(run, keep) -> dict:
    """Single run: column -> (F,). Population: column -> {q10, q25, q50, q75, q90} over members, and
    ``success`` -> {q50: share of members at train accuracy 1} per frame."""
    cols = [c for c in run.history if c != "step"]
    if run.population is None:
        return {c: np.asarray(run.history[c], np.float64)[keep] for c in cols}
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns (no test set) stay NaN
        for c in cols:
            v = np.asarray(run.history[c], np.float64)[:, keep]
            if not np.isnan(v).all():
                qs = np.nanquantile(v, QUANTILES, axis=0)
                out[c] = {f"q{round(q * 100)}": qs[i] for i, q in enumerate(QUANTILES)}
    if "train_accuracy" in run.history:
        acc = np.asarray(run.history["train_accuracy"], np.float64)[:, keep]
        out["success"] = {"q50": np.mean(acc >= 1.0, axis=0)}
    return out


def _members(run, shown) -> dict:
    acc = run.member_metrics.get("train_accuracy")
    success = None if acc is None else float(np.mean(np.asarray(acc) >= 1.0))
    return {"count": run.population, "shown": len(shown), "success_rate": success,
            "diverged": sum(s == "diverged" for s in run.member_status)}


def _subsample(X, y, n, seed=0):
    if len(y) <= n:
        return X, y
    idx = np.sort(np.random.default_rng(seed).choice(len(y), n, replace=False))
    return X[idx], y[idx]


def _data(run, max_points) -> dict | None:
    s = run.split
    if s is None:
        return None
    n_train, n_test = len(s.y_train), len(s.y_test)
    max_points = max(2, min(max_points, DATA_BUDGET // (4 * run.model.sizes[0])))
    share = max_points * n_train // max(1, n_train + n_test)
    Xtr, ytr = _subsample(np.asarray(s.X_train), np.asarray(s.y_train), max(1, share))
    Xte, yte = _subsample(np.asarray(s.X_test), np.asarray(s.y_test), max(0, max_points - len(ytr)), seed=1)
    d = run.model.sizes[0]
    X_all = np.asarray(s.X_train, np.float64)
    name = str(run.config.data.name or "")
    side = int(round(math.sqrt(d)))
    image = side if (d >= 64 and side * side == d and name.split(":")[0].split("-")[0] in IMAGE_DATASETS) else None
    return {"X_train": encode(Xtr, "float32")[0], "y_train": np.asarray(ytr).tolist(),
            "X_test": encode(Xte.reshape(-1, d), "float32")[0], "y_test": np.asarray(yte).tolist(),
            "n_train": n_train, "n_test": n_test, "shown": len(ytr) + len(yte), "mean": X_all.mean(axis=0), "lo": X_all.min(axis=0),
            "hi": X_all.max(axis=0), "image_side": image,
            "description": run.config.data.description or name}


def _names(run) -> dict:
    d, k = run.model.sizes[0], max(2, run.model.sizes[-1])
    feats, classes = run.config.data.feature_names, run.config.data.class_names
    return {"features": [str(f) for f in feats] if len(feats) == d else [f"x{i + 1}" for i in range(d)],
            "classes": [str(c) for c in classes] if len(classes) >= 2 else [str(i) for i in range(k)]}


def _notes(run, frames, data) -> list[str]:
    notes = []
    if data is not None and data["shown"] < data["n_train"] + data["n_test"]:
        notes.append(f"The page holds {data['shown']} of the {data['n_train'] + data['n_test']} data points "
                     f"(drawn at random): the boundary's dots and the confusion matrix use those.")
    if frames["kept"] is not None:
        notes.append(f"This run recorded {frames['recorded']} frames; the page holds {frames['count']} of them, "
                     f"spread evenly, to stay within its size budget.")
    if frames["dtype"] == "float16":
        notes.append(f"Weights are stored as float16: each shown value is within {frames['max_error']:.2g} "
                     f"of the recorded float32 value.")
    if run.population is not None and frames["members"] is not None and len(frames["members"]) < run.population:
        notes.append(f"Weights of {len(frames['members'])} of the {run.population} members (spread evenly) are "
                     f"on the page; the curves and success rate use every member.")
    return notes
