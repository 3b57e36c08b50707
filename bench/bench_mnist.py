"""An MNIST-shaped MLP: one epoch of 784 -> 256 -> 256 -> 10 (relu, softmax, cross-entropy), batch 128,
Adam lr 1e-3, on synthetic 60000 x 784 float32 data, one frame per call; weightflow against PyTorch eager in one process
(torch.set_num_threads(2)), alternating, best of ``--repeats``. Also the peak resident memory of each
part (weightflow first, streaming its frames to a run directory) against the data's size.

weightflow's epoch: ``train(..., epochs=E, batch_size=128)`` on the data as weightflow's MNIST loader
gives it (a Dataset made once, as PyTorch's tensors are; its X 64-byte aligned, so the CPU device
takes it without a copy), timed on a second identical call (its program compiled), divided by E, as
PyTorch's loop is timed (training only). Also timed: the same call given the user's own float32
(X, y) arrays (not aligned: copied to the device at every call), and writing its run directory
(``out=DIR``: frames streamed, the 188 MB of data written once), with its peak memory. Minibatches are gathered inside the compiled program (``jnp.take`` of the
device-resident data by a permutation drawn on the device), so no step copies anything from the host.

    python bench/bench_mnist.py [--epochs 1] [--repeats 2]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time

import numpy as np


def data(n=60000, d=784, k=10, seed=0):
    """Inputs in [0, 1) (float32, as a user's converted pixels) and labels of a random linear teacher
    (learnable, so the loss moves)."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, d), dtype=np.float32)
    y = np.argmax((X - 0.5) @ rng.normal(size=(d, k)).astype(np.float32), axis=1).astype(np.int64)
    return X, y


def loaded(X, y):
    """The data as weightflow's loaders give it (MNIST's pixels / 255 are written into a 64-byte aligned
    array, which jax's CPU device then takes without a copy): a Dataset of an aligned copy."""
    import weightflow as wf
    from weightflow.datasets.dataset import aligned_empty

    X_aligned = aligned_empty(X.shape)
    X_aligned[:] = X
    return wf.Dataset(X_aligned, y)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def weightflow_epoch(data, epochs: int, out: str | None):
    import weightflow as wf

    model = wf.MLP([784, 256, 256, 10], activation="relu", output="softmax")

    def run():
        t = time.perf_counter()
        r = wf.train(model, data, "adam", 1e-3, epochs=epochs, batch_size=128, record_every=469 * epochs, test_size=0,
                     progress=False, diagnose=False, out=out, force=out is not None)
        return (time.perf_counter() - t) / epochs, r.metrics["train_loss"]

    return run


def torch_epoch(X, y, epochs: int):
    import torch

    torch.set_num_threads(2)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

    def run():
        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256),
                                  torch.nn.ReLU(), torch.nn.Linear(256, 10))
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        t = time.perf_counter()
        for _ in range(epochs):
            for idx in torch.randperm(len(yt)).split(128):
                opt.zero_grad()
                loss = torch.nn.functional.cross_entropy(net(Xt[idx]), yt[idx])
                loss.backward()
                opt.step()
        return (time.perf_counter() - t) / epochs, loss.item()

    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    X, y = data()
    ds = loaded(X, y)  # once, as torch.from_numpy below
    start = rss_mb()  # both copies of the data loaded
    out = tempfile.mkdtemp(prefix="wf-mnist-")
    wf_run, wf_write = weightflow_epoch(ds, args.epochs, None), weightflow_epoch(ds, args.epochs, f"{out}/run")
    wf_arrays = weightflow_epoch((X, y), args.epochs, None)
    t_first, _ = wf_write()  # compiles
    wf_rss = rss_mb()
    th_run = torch_epoch(ds.X, ds.y, args.epochs)
    th_run()
    wf_t, th_t, written, given = [], [], [], []
    for _ in range(args.repeats):
        wf_t.append(wf_run())
        th_t.append(th_run())
        written.append(wf_write())
        given.append(wf_arrays())
    best_wf, best_th = min(wf_t), min(th_t)
    print(f"60000 x 784, 784-256-256-10 relu, batch 128, Adam, {args.epochs} epoch(s) per call, best of "
          f"{args.repeats}; data {X.nbytes / 2**20:.0f} MiB")
    print("| implementation | s per epoch | final batch loss | peak RSS after (MiB) |")
    print("| --- | --- | --- | --- |")
    print(f"| weightflow | {best_wf[0]:.2f} | {best_wf[1]:.3f} | |")
    print(f"| weightflow given float32 (X, y) arrays each call (not aligned: copied to the device) | "
          f"{min(given)[0]:.2f} | {min(given)[1]:.3f} | |")
    print(f"| weightflow writing its run directory (first call, compiling: {t_first:.2f} s) | {min(written)[0]:.2f} | "
          f"{min(written)[1]:.3f} | {wf_rss:.0f} (data loaded, two copies: {start:.0f}) |")
    print(f"| PyTorch eager, 2 threads | {best_th[0]:.2f} | {best_th[1]:.3f} | {rss_mb():.0f} |")
    print(f"PyTorch / weightflow: {best_th[0] / best_wf[0]:.2f}x (target >= 2x)")
    import jax

    print("the CPU device takes the loaded X without a copy:",
          jax.device_put(ds.X).unsafe_buffer_pointer() == ds.X.ctypes.data)
    shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
