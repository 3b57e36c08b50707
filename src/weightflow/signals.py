"""How weightflow reacts to SIGINT and SIGTERM (no numpy, no jax: the CLI installs it before anything loads)."""

from __future__ import annotations

import contextlib
import signal
import threading


@contextlib.contextmanager
def signals_deferred():
    """Ignore SIGINT and SIGTERM while a run is being saved: a second Ctrl-C must not leave half a run,
    and the process ends right after the save anyway. A no-op off the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


@contextlib.contextmanager
def terminate_as_interrupt():
    """While training, SIGTERM stops the run as Ctrl-C does (the run is kept as ``interrupted``)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


@contextlib.contextmanager
def interrupts_held():
    """Hold SIGINT and SIGTERM while jax loads, and raise the interrupt once it has: a KeyboardInterrupt
    raised inside jaxlib's import callbacks aborts the whole process (a C++ ``terminate``) instead of
    stopping it cleanly. A no-op off the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got = []
    old = {s: signal.signal(s, lambda n, f: got.append(n)) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    if got:
        raise KeyboardInterrupt



class Stopper:
    """While a run trains: the first Ctrl-C or SIGTERM asks it to stop after the chunk being computed
    and says so at once; a second stops it at once (KeyboardInterrupt). ``wait(fn)`` runs ``fn`` in a
    worker thread so that the main thread stays free to hear the signal while XLA computes.
    Off the main thread it does nothing: ``wait`` just calls ``fn``."""

    MESSAGE = "stopping after this chunk (the run so far is kept); Ctrl-C again to stop at once"

    def __init__(self, echo=None):
        import sys

        self.requested = False
        self.echo = echo or (lambda text: print(text, file=sys.stderr, flush=True))
        self.active = threading.current_thread() is threading.main_thread()

    def _handler(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        self.echo(self.MESSAGE)

    def __enter__(self) -> "Stopper":
        if self.active:
            from concurrent.futures import ThreadPoolExecutor

            self.pool = ThreadPoolExecutor(1, thread_name_prefix="weightflow-chunk")
            self.old = {s: signal.signal(s, self._handler) for s in (signal.SIGINT, signal.SIGTERM)}
        return self

    def __exit__(self, *exc) -> None:
        if self.active:
            for s, h in self.old.items():
                signal.signal(s, h)
            self.pool.shutdown(wait=False)

    def wait(self, fn):
        """``fn()``, computed in the worker thread while the main thread waits in short, interruptible steps."""
        if not self.active:
            return fn()
        future = self.pool.submit(fn)
        while True:
            try:
                return future.result(timeout=0.05)
            except TimeoutError:
                continue
