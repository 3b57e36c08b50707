"""Progress that moves: how often a large population's training reports back (the progress bar moves and
Ctrl-C is answered only between compiled chunks), and how long a real SIGINT takes to stop it.

For each case, a population trains with an ``on_chunk`` hook that stamps the time of every chunk; the
longest gap between two chunks after the first (which includes compiling) is reported, with the
chunk count. Then the same run is started as ``weightflow train`` in a subprocess, sent SIGINT once
it is training, and the time from the signal to the process's exit is measured.
Target (issue 13): at least every 0.5 s on a 512-member population.

    python bench/bench_progress.py [--members 512]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
CASES = {  # name -> (MLP sizes, activation, dataset, steps, batch size)
    "seed 003's net on the diamond (2-4-4-1 sigmoid, 400 points, full batch)": ([2, 4, 4, 1], "sigmoid", "diamond", 3000, None),
    "XOR 2-8-1 tanh": ([2, 8, 1], "tanh", "xor", 20000, None),
    "moons 2-32-32-1 tanh, batch 32": ([2, 32, 32, 1], "tanh", "moons", 2000, 32),
}


def gaps(members: int, sizes, activation, data, steps, batch) -> tuple[float, int, float]:
    import weightflow as wf

    stamps = []
    t0 = time.perf_counter()
    wf.train(wf.MLP(sizes, activation=activation), data, steps=steps, batch_size=batch, population=members,
             test_size=0, progress=False, diagnose=False, on_chunk=lambda r: stamps.append(time.perf_counter()))
    total = time.perf_counter() - t0
    between = [b - a for a, b in zip(stamps, stamps[1:])]
    return max(between, default=float("nan")), len(stamps), total


def sigint_latency(members: int, sizes, activation, data, steps, batch) -> float:
    out = Path(tempfile.mkdtemp(prefix="wf-progress-")) / "run"
    cmd = [sys.executable, "-m", "weightflow", "train", "--data", data, "--hidden", ",".join(map(str, sizes[1:-1])),
           "--activation", activation, "--steps", str(steps * 20), "--population", str(members),
           "--test-size", "0", "--out", str(out)]
    if batch:
        cmd += ["--batch-size", str(batch)]
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:  # training: its first checkpoint is written
        if any(out.parent.glob(f".{out.name}.partial-*/checkpoint/state.npz")):
            break
        time.sleep(0.02)
    time.sleep(0.3)
    t = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=120)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=512)
    args = ap.parse_args()
    print(f"{args.members} members; load average {os.getloadavg()[0]:.1f}")
    print("| case | chunks | longest gap between chunks (s) | whole run (s) | SIGINT to exit (s) | target |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, case in CASES.items():
        gap, chunks, total = gaps(args.members, *case)
        latency = sigint_latency(args.members, *case)
        print(f"| {name} | {chunks} | {gap:.2f} | {total:.1f} | {latency:.2f} | <= 0.5 |", flush=True)


if __name__ == "__main__":
    main()
