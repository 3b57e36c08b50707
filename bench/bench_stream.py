"""A population whose recorded frames exceed 4 GB, trained within the machine's memory.

1024 members of a 2 -> 32 tanh -> 1 network (129 parameters) on moons, a frame at every one of
8192 steps: 1024 * 8192 * 129 * 4 bytes = 4.3 GB of frames, streamed to DIR/frames chunk by chunk.
Reports the frames' size on disk, the wall time and the process's peak resident memory.

    python bench/bench_stream.py [--out /tmp/wf-stream] [--members 1024] [--steps 8192]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import time
from pathlib import Path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="/tmp/wf-stream")
    ap.add_argument("--members", type=int, default=1024)
    ap.add_argument("--steps", type=int, default=8192)
    args = ap.parse_args()
    import weightflow as wf

    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    t = time.perf_counter()
    run = wf.train(wf.MLP([2, 32, 1], activation="tanh"), "moons", optimizer="adam", lr=0.01, steps=args.steps,
                   record_every=1, test_size=0.2, population=args.members, seed=0, progress=False, out=out)
    seconds = time.perf_counter() - t
    frames_bytes = sum(p.stat().st_size for p in (out / "frames").glob("*.npy"))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024  # KiB -> GiB
    print(f"| members | steps | frames on disk | wall time | peak RSS | median train accuracy |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(f"| {args.members} | {args.steps} | {frames_bytes / 1e9:.2f} GB | {seconds:.0f} s | {peak:.2f} GiB | "
          f"{run.metrics['train_accuracy']:.3f} |")
    shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
