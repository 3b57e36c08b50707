"""Make docs/dynamics.md's runs, numbers and pictures: python scripts/dynamics_figures.py [OUT_DIR].

Trains seed 001's run (Adam) and GD on the same data, the 15-D separable GD/Adam pair, two XOR runs,
seed 000's data with the random walk and the ES rules, then calls ``weightflow analyze``. Pictures go
to docs/img/ (small PNGs), runs and JSON numbers to OUT_DIR (default runs/dynamics).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

import weightflow as wf
from weightflow.cli import main
from weightflow.datasets import load
from weightflow.optim.evolution import one_plus_one_es, openai_es

IMG = Path(__file__).resolve().parent.parent / "docs" / "img"


def separable_15d(n=200, band=0.5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(3 * n, 15))
    X = X[np.abs(X[:, 0] + X[:, 1]) > band][:n].astype(np.float32)
    return X, (X[:, 0] + X[:, 1] > 0).astype(np.int64)


def analyze(args, out: Path, name: str, picture: bool = True):
    import contextlib
    import io

    from PIL import Image

    png = IMG / f"dynamics-{name}.png" if picture else out / f"{name}.png"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(["analyze", *args, "--json", "--out", str(png)])
    assert rc == 0, (name, rc)
    Image.open(png).convert("RGB").quantize(colors=128).save(png, optimize=True)  # a small PNG for the docs
    (out / f"{name}.json").write_text(buf.getvalue())
    return json.loads(buf.getvalue())


def es_on_seed000(out: Path):
    import jax

    data = load("linear-embedded", coef=(1, 2), threshold=10)
    rules = {"random-walk": ("random-walk", dict(init="lattice:1")),
             "one-plus-one-es": (one_plus_one_es(key=jax.random.PRNGKey(0), sigma0=1.0), {}),
             "es": (openai_es(0.5, key=jax.random.PRNGKey(0), sigma=0.5, pairs=16), {})}
    rows = {}
    for name, (opt, model_kw) in rules.items():
        run = wf.train(wf.MLP([15, 1], **model_kw), data, optimizer=opt, lr=1.0, steps=200, record_every=2,
                       seed=0, progress=False, out=out / f"seed000-{name}")
        rows[name] = {k: run.metrics[k] for k in ("train_loss", "train_accuracy", "test_accuracy")}
    (out / "seed000-es.json").write_text(json.dumps(rows, indent=2))
    return rows


def main_script(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    data = load("linear-embedded", seed=0)
    wf.train(wf.MLP([15, 1]), data, optimizer="adam", lr=1e-4, steps=30000, record_every=40, seed=0,
             progress=False, out=out / "seed001-adam")
    wf.train(wf.MLP([15, 1]), data, optimizer="adam", lr=1e-4, steps=300000, record_every=400, seed=0,
             progress=False, out=out / "seed001-adam-long")
    wf.train(wf.MLP([15, 1]), data, optimizer="gd", lr=0.05, steps=300000, record_every=400, seed=0,
             progress=False, out=out / "seed001-gd-long")
    analyze(["implicit-bias", str(out / "seed001-adam-long"), "--compare", str(out / "seed001-gd-long"),
             "--relevant", "0"], out, "implicit-bias-seed001")
    analyze(["implicit-bias", str(out / "seed001-adam"), "--relevant", "0"], out, "implicit-bias-seed001-30k",
            picture=False)
    for opt, lr in (("gd", 1.0), ("adam", 1e-2)):
        wf.train(wf.MLP([15, 1]), separable_15d(), optimizer=opt, lr=lr, steps=100_001, record_every=500,
                 test_size=0.0, progress=False, out=out / f"sep15-{opt}")
    analyze(["implicit-bias", str(out / "sep15-gd"), "--compare", str(out / "sep15-adam")], out, "implicit-bias-15d")
    for opt, lr in (("gd", 0.5), ("adam", 0.02)):
        wf.train(wf.MLP([2, 4, 1], activation="tanh"), "xor", optimizer=opt, lr=lr, steps=2000, record_every=20,
                 test_size=0.0, seed=1, progress=False, out=out / f"xor-{opt}")
    analyze(["landscape", str(out / "xor-gd"), str(out / "xor-adam")], out, "landscape")
    analyze(["mean-field"], out, "mean-field")
    analyze(["svgd"], out, "svgd")
    print(json.dumps(es_on_seed000(out), indent=2))


if __name__ == "__main__":
    main_script(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("runs/dynamics"))
