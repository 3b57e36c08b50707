"""A training seen while it runs: the frames and history recorded so far, and the report player's
payload built from them (``weightflow.report.payload.build_payload``, numpy only).

:class:`Recording` is filled by ``train(on_chunk=...)``; :func:`payload` gives the player's payload of
frames ``[lo, hi)``: the first message of a page (frames so far, the data points) and every update
after it (the new frames only, no data).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from ..report.payload import build_payload

FOREVER = 1 << 62  # a payload budget no update reaches: updates are never subsampled


@dataclass
class LiveRun:
    """The part of a ``Run`` that ``build_payload`` reads, for frames recorded so far."""

    config: object
    model: object
    split: object
    frames: list
    steps: np.ndarray
    history: dict
    member_metrics: dict | None = None
    member_status: list | None = None

    @property
    def population(self):
        return self.config.population


@dataclass
class Recording:
    """Frames (preallocated for the whole run) and the history, as chunks arrive; thread-safe.

    frames: per parameter (F, *shape), or (members, F, *shape); kept: frames filled so far.
    """

    config: object
    split: object
    total: int
    frames: list = field(default_factory=list)
    history: dict = field(default_factory=dict)
    kept: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self):
        members = self.config.population
        lead = () if members is None else (self.config.members,)
        self.frames = [np.zeros((*lead, self.total, *s), np.float32) for s in self.config.model.param_shapes]

    def add(self, first: int, frames: list, history: dict) -> None:
        """Store a chunk's frames (as ``ChunkReport`` gives them) starting at frame ``first``."""
        with self.lock:
            n = np.shape(frames[0])[0 if self.config.population is None else 1]
            for dst, src in zip(self.frames, frames):
                if self.config.population is None:
                    dst[first:first + n] = src
                else:
                    dst[:, first:first + n] = src
            self.history, self.kept = history, max(self.kept, first + n)

    def replace(self, run) -> None:
        """Take a finished Run's frames and history (its last, unreported chunk included)."""
        with self.lock:
            self.frames = [np.asarray(f, np.float32) for f in run.frames]
            self.history, self.kept = dict(run.history), len(run.steps)

    def frame_params(self, f: int, member: int = 0) -> list[np.ndarray]:
        """The parameters at frame ``f`` (of ``member`` in a population)."""
        with self.lock:
            if not 0 <= f < self.kept:
                raise IndexError(f)
            if self.config.population is None:
                return [np.array(a[f]) for a in self.frames]
            return [np.array(a[member, f]) for a in self.frames]

    def live_run(self, lo: int, hi: int, with_data: bool) -> LiveRun:
        with self.lock:
            single = self.config.population is None
            def cut(a):
                a = np.asarray(a)
                return np.array(a[lo:hi] if a.ndim == 1 or single else a[:, lo:hi])
            frames = [cut(a) for a in self.frames]
            history = {c: cut(v) for c, v in self.history.items()}
        metrics = status = None
        if not single:
            acc = history.get("train_accuracy")
            metrics = {"train_accuracy": None if acc is None or not acc.shape[1] else acc[:, -1]}
            status = ["running"] * self.config.members
        return LiveRun(self.config, self.config.model, self.split if with_data else None, frames,
                       np.asarray(history.get("step", []), np.int64), history, metrics, status)


def payload(rec: Recording, lo: int, hi: int, with_data: bool) -> dict:
    """The player's payload of frames [lo, hi) (float32, never subsampled), plus ``first`` (lo) and
    ``total`` (the frames the whole run will record)."""
    out = build_payload(rec.live_run(lo, hi, with_data), budget_bytes=FOREVER, dtype="float32")
    out.update(first=lo, total=rec.total)
    return out
