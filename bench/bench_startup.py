"""Whole-process start-up, as a user runs it: each command a fresh Python process, side by side.

Commands (each ``--repeats`` times, the variants interleaved so a busy minute hits all of them alike;
median and min reported, with the ratio of the medians to ``python -c "import jax"``):
  * ``python -c "import jax"`` (the reference);
  * ``weightflow --help``;
  * ``weightflow train --data xor --hidden 2 --activation tanh --steps 300 --test-size 0 --out D``;
  * the same with ``--population 64``;
each train command with a cold compilation cache (a new empty ``WEIGHTFLOW_CACHE`` folder every time)
and a warm one (a folder filled by one earlier run of the same command, then another seed or lr).
Targets (issue 13): train <= 2x import jax cold, <= 1.5x warm.

    python bench/bench_startup.py [--repeats 5] [--python PATH]

``weightflow`` runs as ``python -m weightflow`` with this checkout's ``src`` (or ``--src DIR``) first on
PYTHONPATH.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
TRAIN = ["train", "--data", "xor", "--hidden", "2", "--activation", "tanh", "--steps", "300", "--test-size", "0",
         "-q", "--force"]


def timed(cmd: list[str], env: dict) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - t


def variants(python: str, tmp: Path) -> dict:
    """name -> (command, cache: None (not used) | 'cold' | 'warm')."""
    wf = [python, "-m", "weightflow"]
    out = ["--out", str(tmp / "run")]
    return {
        "python -c 'import jax'": ([python, "-c", "import jax"], None),
        "weightflow --help": ([*wf, "--help"], None),
        "train xor, cold cache": ([*wf, *TRAIN, *out], "cold"),
        "train xor, warm cache (other lr)": ([*wf, *TRAIN, *out, "--lr", "0.002"], "warm"),
        "train xor --population 64, cold cache": ([*wf, *TRAIN, *out, "--population", "64"], "cold"),
        "train xor --population 64, warm cache (other seed)": ([*wf, *TRAIN, *out, "--population", "64",
                                                               "--seed", "7"], "warm"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--src", default=str(SRC), help="the weightflow source folder to time (default: this checkout's)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="wf-startup-"))
    base = {**os.environ, "PYTHONPATH": f"{args.src}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    warm_dir = tmp / "warm-cache"
    table = variants(args.python, tmp)
    for cmd, cache in table.values():  # fill the warm cache: the same shapes, the default lr and seed
        if cache == "warm":
            subprocess.run([c for c in cmd if c not in ("0.002", "7", "--lr", "--seed")], check=True,
                           env={**base, "WEIGHTFLOW_CACHE": str(warm_dir)}, stdout=subprocess.DEVNULL)
    times: dict[str, list[float]] = {name: [] for name in table}
    for r in range(args.repeats):
        for name, (cmd, cache) in table.items():
            env = dict(base)
            if cache == "cold":
                env["WEIGHTFLOW_CACHE"] = tempfile.mkdtemp(prefix=f"cold-{r}-", dir=tmp)
            elif cache == "warm":
                env["WEIGHTFLOW_CACHE"] = str(warm_dir)
            times[name].append(timed(cmd, env))
    ref = statistics.median(times["python -c 'import jax'"])
    print(f"{args.repeats} repeats, interleaved; python {sys.version.split()[0]}; load average before the "
          f"last repeat {os.getloadavg()[0]:.1f}")
    print("| command | median s | min s | median / import jax | target |")
    print("| --- | --- | --- | --- | --- |")
    for name, ts in times.items():
        target = "<= 2x" if "cold" in name else "<= 1.5x" if "warm" in name else ""
        med = statistics.median(ts)
        print(f"| `{name}` | {med:.2f} | {min(ts):.2f} | {med / ref:.2f}x | {target} |")


if __name__ == "__main__":
    main()
