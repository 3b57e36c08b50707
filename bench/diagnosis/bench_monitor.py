"""Cost of the online Monitor against training time: seed 001's run, a digits run and a deep net, with the
Monitor called as the engine would between chunks (one call per 4096 steps, at least 8 calls).

    PYTHONPATH=src python bench/diagnosis/bench_monitor.py
"""

from __future__ import annotations

import time

import numpy as np

import weightflow as wf
from weightflow.diagnose.online import Monitor


def cost(run) -> tuple[float, int]:
    calls = max(8, int(np.ceil(run.config.schedule.steps / 4096)))
    mon = Monitor(run.model, len(run.split.y_train), run.split, run.config)
    F = len(run.steps)
    t0 = time.perf_counter()
    for k in range(1, calls + 1):
        end = max(1, round(F * k / calls))
        mon.update({c: np.asarray(v)[:end] for c, v in run.history.items()}, [p[:end] for p in run.frames],
                   int(run.steps[end - 1]))
    return time.perf_counter() - t0, calls


def main() -> None:
    runs = {
        "seed 001 (15->1, 30000 steps)": wf.train(wf.MLP([15, 1]), "linear-embedded", lr=1e-4, steps=30000,
                                                 record_every=40, progress=False),
        "digits 64-32-10 relu, 2000 steps": wf.train(wf.MLP([64, 32, 10], activation="relu"), "digits", lr=0.005,
                                                     steps=2000, progress=False),
        "circle 2-(32x6)-1 relu, 3000 steps (gradients per layer)": wf.train(
            wf.MLP([2] + [32] * 6 + [1], activation="relu"), "circle", lr=0.01, steps=3000, standardize=True,
            progress=False),
    }
    print("| run | training s | monitor calls | monitor s | overhead |")
    print("| --- | --- | --- | --- | --- |")
    for name, run in runs.items():
        best = min(cost(run)[0] for _ in range(3))
        calls = cost(run)[1]
        train_s = run.metrics["seconds"]
        print(f"| {name} | {train_s:.2f} | {calls} | {best:.3f} | {100 * best / train_s:.1f}% |")


if __name__ == "__main__":
    main()
