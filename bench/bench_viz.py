"""Pictures from a stored run: the 750-frame weight movie of seed 001, and `weightflow plot` without jax.

Trains seed 001's run once (logistic regression 15 -> 1, Adam lr 1e-4, 30000 steps, a frame every 40:
750 frames), saves it, then in a fresh process that never imports jax:
  * times the movie written as GIF (Pillow) and MP4 (imageio-ffmpeg), best of --repeats;
  * times the whole `weightflow plot RUN_DIR` (every picture that applies);
  * lists the top-level packages `weightflow plot` imported, and asserts jax/jaxlib/optax are not among them.
Prints markdown tables (paste into bench/RESULTS.md).

    python bench/bench_viz.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "src")

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import matplotlib
matplotlib.use("Agg")
from weightflow import load_run
from weightflow.viz import WeightMovie
run_dir, out, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
run = load_run(run_dir)
movie = WeightMovie.from_run(run)
times = {}
for ext in ("gif", "mp4"):
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        movie.save(f"{out}/weights.{ext}")
        best = min(best, time.perf_counter() - t)
    times[ext] = best
from PIL import Image, ImageSequence
with Image.open(f"{out}/weights.gif") as im:
    gif_frames = sum(1 for _ in ImageSequence.Iterator(im))
import os
print(json.dumps({"frames": len(run.steps), "gif_frames": gif_frames, "times": times,
                  "size": [int(v) for v in movie.figure_.get_size_inches() * movie.figure_.dpi],
                  "gif_mb": os.path.getsize(f"{out}/weights.gif") / 1e6,
                  "mp4_mb": os.path.getsize(f"{out}/weights.mp4") / 1e6}))
"""

PLOT = r"""
import json, sys, time
t = time.perf_counter()
from weightflow.cli import main
rc = main(["plot", sys.argv[1], "--out", sys.argv[2]])
seconds = time.perf_counter() - t
top = sorted({m.split(".")[0] for m in sys.modules if not m.startswith("_")} - set(sys.builtin_module_names)
             - set(getattr(sys, "stdlib_module_names", ())))
print(json.dumps({"rc": rc, "seconds": seconds, "packages": top,
                  "jax": sorted(m for m in sys.modules if m.split(".")[0] in ("jax", "jaxlib", "optax"))}))
"""


def child(script, *args):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.abspath(SRC), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True, env=env)
    if proc.returncode:
        sys.exit(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    sys.path.insert(0, os.path.abspath(SRC))
    import weightflow as wf

    with tempfile.TemporaryDirectory() as tmp:
        run_dir = os.path.join(tmp, "seed001")
        run = wf.train(wf.MLP([15, 1]), "linear-embedded", optimizer="adam", lr=1e-4, steps=30000,
                       record_every=40, progress=False)
        run.save(run_dir)
        movie = child(CHILD, run_dir, tmp, args.repeats)
        plot = child(PLOT, run_dir, os.path.join(tmp, "figures"))
        n_files = len(os.listdir(os.path.join(tmp, "figures")))

    import matplotlib
    import PIL

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; python {platform.python_version()}, "
          f"matplotlib {matplotlib.__version__}, Pillow {PIL.__version__}; best of {args.repeats}\n")
    w, h = movie["size"]
    print("| picture | frames | size (px) | seconds | file MB | target |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(f"| seed 001 weight movie, GIF | {movie['gif_frames']} of {movie['frames']} | {w}x{h} | "
          f"{movie['times']['gif']:.2f} | {movie['gif_mb']:.1f} | < 20 s |")
    print(f"| seed 001 weight movie, MP4 (H.264) | {movie['frames']} | {w}x{h} | {movie['times']['mp4']:.2f} | "
          f"{movie['mp4_mb']:.1f} | |")
    print(f"| `weightflow plot` (all {n_files} files, movie included) | | | {plot['seconds']:.2f} | | |")
    print()
    print(f"`weightflow plot` imported jax/jaxlib/optax: {plot['jax'] or 'none'}; exit code {plot['rc']}")
    print(f"third-party packages imported: {', '.join(p for p in plot['packages'] if p != 'weightflow')}")
    assert movie["gif_frames"] == movie["frames"]
    assert not plot["jax"], plot["jax"]
    assert plot["rc"] == 0


if __name__ == "__main__":
    main()
