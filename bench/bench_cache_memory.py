"""Memory of a long process that trains many shapes: resident memory after each run of a new shape
(a new hidden width: new programs), with the compiled-program cache bounded (program.CHUNK_CACHE_SIZE,
the default) and unbounded (as before issue 13), each in a fresh subprocess.

    python bench/bench_cache_memory.py [--shapes 16]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

CHILD = r"""
import gc, os, sys
import weightflow as wf
from weightflow import program, state
if sys.argv[2] == "unbounded":
    program.CHUNK_CACHE_SIZE = 10**9
    state._compiled_init = state.functools.cache(state._compiled_init.__wrapped__)
def rss():
    with open("/proc/self/status") as fh:
        return next(int(l.split()[1]) for l in fh if l.startswith("VmRSS")) / 1024
out = []
for h in range(2, 2 + int(sys.argv[1])):
    wf.train(wf.MLP([2, h, 1], activation="tanh"), "xor", steps=16, test_size=0, progress=False, diagnose=False)
    gc.collect()
    out.append(rss())
print(" ".join(f"{r:.1f}" for r in out))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shapes", type=int, default=16)
    args = ap.parse_args()
    env = {**os.environ, "WEIGHTFLOW_CACHE": "off"}
    print("| cache | RSS after shape 1 (MiB) | after the last | growth per shape over the last half |")
    print("| --- | --- | --- | --- |")
    for kind in ("bounded", "unbounded"):
        text = subprocess.run([sys.executable, "-c", CHILD, str(args.shapes), kind], env=env, check=True,
                              capture_output=True, text=True).stdout
        rss = [float(v) for v in text.split()]
        half = len(rss) // 2
        print(f"| {kind} | {rss[0]:.0f} | {rss[-1]:.0f} | {(rss[-1] - rss[half]) / (len(rss) - 1 - half):+.2f} |")


if __name__ == "__main__":
    main()
