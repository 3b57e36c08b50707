"""Trainings of the playground: each a ``train(on_chunk=...)`` in its own thread that the page plays,
pauses, steps and stops between compiled chunks, and the table of them with its limits.

A session belongs to the page (its token) that started it. Its thread blocks inside ``on_chunk`` while
paused; stopping makes ``on_chunk`` return True (the run ends ``interrupted``). A session whose page has
no event stream open for ``grace`` seconds (the tab was closed) is stopped by the watchdog.
"""

from __future__ import annotations

import itertools
import threading
import time

from ..errors import WeightflowError
from .live import Recording
from .setup import Plan

KEPT_FLOATS = 1 << 27  # recorded floats the ended sessions may hold together (512 MB)


class Full(WeightflowError):
    """Every training slot of the server is taken."""


class Session:
    """One training. ``state``: starting, running, paused, then completed, diverged, interrupted or
    failed (``error`` says why); ``version`` grows on every change (new frames, a state change)."""

    def __init__(self, sid: str, owner: str, plan: Plan, init=None, parent: str | None = None, offset: int = 0,
                 paused: bool = False, ready: threading.Event | None = None):
        self.id, self.owner, self.plan, self.init = sid, owner, plan, init
        self.parent, self.offset = parent, offset  # branched from session `parent` at step `offset`
        self.cond = threading.Condition()
        self.state, self.error, self.version = "starting", None, 0
        self.paused, self.step_budget, self.stopping = paused, 0, False
        self.rec: Recording | None = None
        self.run, self.kept, self.steps_done = None, None, 0
        self.clients, self.alone_since = 0, time.monotonic()
        self.started = time.perf_counter()
        self.first_frame_s: float | None = None
        self._clock = (self.started, 0)  # (time, frames kept) the pace counts from
        self.ready = ready  # set once the server's warm-up compiled the default program (compiling it twice costs)
        self.thread = threading.Thread(target=self._train, name=f"weightflow-serve-{sid}", daemon=True)

    # ------------------------------------------------------------------ the training thread
    def _arguments(self) -> dict:
        k = dict(self.plan.kwargs)
        return dict(steps=k["steps"], epochs=None, batch_size=k["batch_size"], record_every=k["record_every"],
                    eval_every=None, test_size=k["test_size"], seed=k["seed"], init=self.init, loss=None,
                    standardize=k["standardize"], data_options=k.get("data_options"), optimizer_options=None,
                    population=k["population"], split_seed=None, init_scale=1.0, l1=k["l1"], l2=k["l2"])

    def _train(self) -> None:
        from ..resolve import resolve
        from ..training import train

        p, args = self.plan, self._arguments()
        opt, lr = p.kwargs["optimizer"], p.kwargs["lr"]
        if self.ready is not None:
            self.ready.wait(60)
        try:
            res = resolve(p.model, p.data, opt, lr, **args)
            sched = res.config.schedule
            self.rec = Recording(res.config, res.split, -(-sched.steps // sched.record_every))
            run = train(p.model, p.data, opt, lr, **args, progress=False, diagnose=False,
                        on_chunk=self._on_chunk, chunk_steps=sched.record_every)
            self.rec.replace(run)
            self._set(run=run, state=run.status, steps_done=int(run.metrics.get("steps", 0)))
        except WeightflowError as e:
            self._set(state="failed", error=str(e))
        except Exception as e:  # the page shows it; the server keeps serving
            self._set(state="failed", error=f"{type(e).__name__}: {e}")

    def _set(self, **changes) -> None:
        with self.cond:
            for k, v in changes.items():
                setattr(self, k, v)
            self.version += 1
            self.cond.notify_all()

    def _on_chunk(self, report) -> bool:
        self.rec.add(report.first, report.frames, report.history)
        with self.cond:
            if self.first_frame_s is None:
                self.first_frame_s = time.perf_counter() - self.started
            self.steps_done, self.version = report.steps, self.version + 1
            if self.state == "starting":
                self.state = "running"
            self.cond.notify_all()
            self._hold()
            return self.stopping

    def _hold(self) -> None:
        """Block while paused (a step lets one chunk through) or ahead of the pace; the lock is held."""
        while not self.stopping:
            if self.paused and self.step_budget == 0:
                if self.state != "paused":
                    self.state, self.version = "paused", self.version + 1
                    self.cond.notify_all()
                self.cond.wait(0.5)
                continue
            if self.paused:
                self.step_budget -= 1
                return
            t0, k0 = self._clock
            wait = 0.0 if self.plan.pace <= 0 else t0 + (self.rec.kept - k0) / self.plan.pace - time.perf_counter()
            if wait <= 0:
                return
            self.cond.wait(wait)

    # ------------------------------------------------------------------ what the page asks
    def control(self, action: str) -> None:
        """play, pause, step (one chunk, then paused) or stop."""
        with self.cond:
            if action == "play":
                self.paused, self._clock = False, (time.perf_counter(), self.rec.kept if self.rec else 0)
                if self.state == "paused":
                    self.state = "running"
            elif action == "pause":
                self.paused = True
            elif action == "step":
                self.paused, self.step_budget = True, self.step_budget + 1
            elif action == "stop":
                self.stopping = True
            self.version += 1
            self.cond.notify_all()

    @property
    def live(self) -> bool:
        return self.thread.is_alive() or self.state == "starting"

    def wait_change(self, seen: int, timeout: float) -> int:
        """Wait until ``version`` passes ``seen`` (or ``timeout`` seconds); returns ``version``."""
        with self.cond:
            if self.version == seen:
                self.cond.wait(timeout)
            return self.version

    def attach(self) -> None:
        with self.cond:
            self.clients += 1

    def detach(self) -> None:
        with self.cond:
            self.clients -= 1
            self.alone_since = time.monotonic()

    def status(self) -> dict:
        """What the page shows about this session (JSON-ready)."""
        with self.cond:
            total = self.plan.kwargs["steps"]
            return {"id": self.id, "version": self.version, "state": self.state, "error": self.error, "steps": self.steps_done,
                    "total_steps": total, "frames": self.rec.kept if self.rec else 0,
                    "parent": self.parent, "offset": self.offset, "kept": self.kept,
                    "first_frame_s": self.first_frame_s, "setup": self.plan.setup,
                    "population": self.plan.kwargs["population"]}


class Sessions:
    """Every session of the server: at most ``max_trainings`` training at once; the ``keep_ended``
    most recent ended ones are kept (to rewind, branch, compare and keep), older ones dropped."""

    def __init__(self, max_trainings: int = 4, grace: float = 3.0, keep_ended: int = 24):
        self.max_trainings, self.grace, self.keep_ended = max_trainings, grace, keep_ended
        self.ready = threading.Event()  # the server's warm-up is done (set at once when there is none)
        self.lock = threading.Lock()
        self.table: dict[str, Session] = {}
        self.ids = itertools.count(1)
        self.closed = threading.Event()
        self.watchdog = threading.Thread(target=self._watch, name="weightflow-serve-watchdog", daemon=True)
        self.watchdog.start()

    def create(self, owner: str, plan: Plan, **options) -> Session:
        with self.lock:
            busy = sum(s.live for s in self.table.values())
            if busy >= self.max_trainings:
                raise Full(f"play: expected a free training slot, got all {self.max_trainings} busy (the server "
                           f"trains at most {self.max_trainings} runs at once: weightflow serve --max-trainings); "
                           "pause is not enough: stop or keep a run, or close its tab, then press play again")
            s = Session(f"s{next(self.ids)}", owner, plan, ready=self.ready, **options)
            self.table[s.id] = s
            self._prune()
        s.thread.start()
        return s

    def get(self, sid: object) -> Session | None:
        with self.lock:
            return self.table.get(sid) if isinstance(sid, str) else None

    def busy(self) -> int:
        with self.lock:
            return sum(s.live for s in self.table.values())

    def _prune(self) -> None:
        """Drop the oldest ended sessions beyond ``keep_ended`` of them or ``KEPT_FLOATS`` recorded floats."""
        ended, floats = [s for s in self.table.values() if not s.live], 0
        for i, s in enumerate(reversed(ended)):
            floats += 0 if s.rec is None else sum(f.size for f in s.rec.frames)
            if i >= self.keep_ended or floats > KEPT_FLOATS:
                del self.table[s.id]

    def _watch(self) -> None:
        while not self.closed.wait(0.25):
            now = time.monotonic()
            with self.lock:
                alone = [s for s in self.table.values()
                         if s.live and s.clients <= 0 and now - s.alone_since > self.grace]
            for s in alone:
                s.control("stop")

    def close(self, timeout: float = 10.0) -> bool:
        """Stop every training and wait for their threads; whether they all ended (a training still
        compiling ends only when the compile does)."""
        self.closed.set()
        with self.lock:
            sessions = list(self.table.values())
        for s in sessions:
            s.control("stop")
        for s in sessions:
            s.thread.join(timeout)
        return not any(s.thread.is_alive() for s in sessions)
