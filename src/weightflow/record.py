"""The record layer: every byte of a run directory is written and read here (format in docs/run-format.md).

Training hands a :class:`FrameWriter` blocks of frames as they come; ``Run.save`` / ``load_run``
(:mod:`weightflow.run`) use the readers and writers below for the rest. No jax, and nothing from the
layers above (training, viz, export). Arrays are ``.npy`` / ``.npz`` read with ``allow_pickle=False``:
no pickle is ever executed.
"""

from __future__ import annotations

import csv
import json
import math
import os
import secrets
import shutil
import zipfile
from pathlib import Path

import numpy as np

from .errors import WeightflowError

FORMAT_VERSION = 1
SPLIT_FIELDS = ("X_train", "y_train", "X_test", "y_test", "mean", "std", "train_index", "test_index")
VAL_FIELDS = ("X_val", "y_val", "val_index")  # in data.npz only when the run held out a validation set
HISTORY_COLUMNS = ("step", "train_loss", "train_accuracy", "test_loss", "test_accuracy")


# --- where a run is written: a staging folder beside its destination, renamed into place ------------

def check_destination(dest: Path, force: bool, flag: str = "--out", *, marker: str = "run.json", kind: str = "run",
                      noun: str = "directory") -> None:
    """Refuse a destination that is a file, lies below a file, is a non-empty folder that is not an
    earlier ``kind`` (it holds no ``marker`` file), or holds one (unless ``force``): user files are never
    overwritten. Runs and sweeps (``marker="summary.csv"``) both use it."""
    for parent in [dest, *dest.parents]:
        if parent.exists() and not parent.is_dir():
            where = "is a file" if parent == dest else f"lies below {parent}, which is a file"
            raise WeightflowError(f"{flag} {dest}: expected a {noun} path, got one that {where}; "
                                  "choose another path")
    if not dest.is_dir() or not any(dest.iterdir()):
        return
    if not (dest / marker).is_file():
        raise WeightflowError(f"{flag} {dest}: expected a new or empty {noun} (or an earlier {kind}), "
                              f"got a non-empty {noun}; choose another path")
    if not force:
        raise WeightflowError(f"{flag} {dest}: expected a new or empty {noun}, got an earlier {kind}; "
                              "pass --force (force=True) to replace it, or choose another path")


class Staging:
    """A run directory in the making: everything is written into ``.NAME.partial-*`` beside ``dest``
    and renamed into place by :meth:`commit`, so a folder that ``load_run`` accepts is always complete.
    A process killed before the commit leaves only the partial folder (never a ``dest`` that loads
    wrong); an earlier run at ``dest`` stays whole until the commit replaces it."""

    def __init__(self, dest: str | os.PathLike, force: bool = False):
        self.dest = Path(dest)
        check_destination(self.dest, force)
        self.force = force
        self.dest.parent.mkdir(parents=True, exist_ok=True)
        self.path = self.dest.parent / f".{self.dest.name}.partial-{os.getpid()}-{secrets.token_hex(3)}"
        self.path.mkdir()

    def commit(self) -> Path:
        """Move the finished run to ``dest`` (replacing an empty folder, or an earlier run with force)."""
        old = None
        if self.dest.exists():
            check_destination(self.dest, self.force)  # it may have changed while we trained
            old = self.dest.parent / f".{self.dest.name}.old-{os.getpid()}-{secrets.token_hex(3)}"
            os.rename(self.dest, old)
        try:
            os.rename(self.path, self.dest)
        except OSError as e:
            raise WeightflowError(f"--out {self.dest}: expected to move the finished run there, got {e.strerror} "
                                  f"(another process wrote it meanwhile?); the run is kept in {self.path}") from None
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return self.dest

    adopted = False  # a resumed run's folder: never deleted, its checkpoint is the user's

    def abort(self) -> None:
        """Drop what was written (after a failure; a no-op after the commit). An adopted folder is kept:
        a failed resume leaves its checkpoint, moved back to ``dest`` if it came from there."""
        if not self.adopted:
            shutil.rmtree(self.path, ignore_errors=True)
        elif self.path.exists() and self.path.name.endswith("-resume") and not self.dest.exists():
            os.rename(self.path, self.dest)

    @classmethod
    def adopt(cls, path: Path, dest: Path) -> "Staging":
        """Continue writing an existing staging folder (a resumed run) that will become ``dest``."""
        staging = cls.__new__(cls)
        staging.dest, staging.path, staging.force, staging.adopted = Path(dest), Path(path), True, True
        return staging


# --- checkpoints: what a resumed run needs, written between chunks ---------------------------------

CHECKPOINT = "checkpoint"


def write_checkpoint_start(directory: Path, config: dict, split_arrays: dict, names: list[str], initial) -> None:
    """What never changes during a run, written once before training: its config, data and initial
    parameters (the frames stream into ``frames/`` beside them)."""
    ck = directory / CHECKPOINT
    ck.mkdir(exist_ok=True)
    (ck / "config.json").write_text(json.dumps(clean(config), indent=2) + "\n")
    np.savez(ck / "data.npz", **split_arrays)
    write_npz(ck / "initial.npz", names, initial)


def write_checkpoint(directory: Path, leaves: list[np.ndarray], kept: int, hist: np.ndarray, end: np.ndarray,
                     seconds: float, chunk_steps: int | None = None) -> None:
    """The training state after ``kept`` frames (every leaf of it), the history so far, in one file
    replaced atomically: a kill at any moment leaves the previous checkpoint or this one, whole.
    ``chunk_steps``: the run's chunk size, so a resumed run cuts its chunks where this one did."""
    ck = directory / CHECKPOINT
    tmp = ck / "state.partial.npz"
    np.savez(tmp, kept=np.int64(kept), hist=hist[:, :kept], end=end, seconds=np.float64(seconds),
             chunk_steps=np.int64(chunk_steps or 0),
             **{f"leaf{i}": np.asarray(x) for i, x in enumerate(leaves)})
    os.replace(tmp, ck / "state.npz")


def link_checkpoint_data(directory: Path) -> bool:
    """Make ``directory``'s data.npz a hard link to its checkpoint's (the same split's arrays, written
    before training), so a large dataset is written once; False where there is none or links fail."""
    source, target = directory / CHECKPOINT / "data.npz", directory / "data.npz"
    if not source.is_file():
        return False
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        return False
    return True


def read_checkpoint(directory: Path) -> dict:
    """A checkpoint folder's contents: config (dict), split (dict of arrays), initial (list), leaves,
    kept, hist, end, seconds."""
    ck = directory / CHECKPOINT
    try:
        config = json.loads((ck / "config.json").read_text())
        state = read_npz_all(ck / "state.npz")
        split_arrays = read_npz_all(ck / "data.npz")
        initial = read_npz_all(ck / "initial.npz")
    except (DAMAGED + (json.JSONDecodeError,)) as e:
        raise damaged(ck, "a whole checkpoint (config.json, state.npz, data.npz, initial.npz)", e) from None
    n = sum(k.startswith("leaf") for k in state)
    return {"config": config, "split": split_arrays, "initial": initial,
            "leaves": [state[f"leaf{i}"] for i in range(n)], "kept": int(state["kept"]), "hist": state["hist"],
            "end": state["end"], "seconds": float(state["seconds"]),
            "chunk_steps": int(state["chunk_steps"]) if "chunk_steps" in state else None}


def find_checkpoint(dest: Path) -> Path | None:
    """Where the run meant for ``dest`` can be resumed from: ``dest`` itself (an interrupted run keeps its
    checkpoint), else the newest staging folder a killed run left beside it."""
    if (dest / CHECKPOINT / "state.npz").is_file():
        return dest
    partial = [p for p in dest.parent.glob(f".{dest.name}.partial-*") if (p / CHECKPOINT / "state.npz").is_file()]
    return max(partial, key=lambda p: (p / CHECKPOINT / "state.npz").stat().st_mtime) if partial else None


def reserve_new(base: str | os.PathLike) -> Path:
    """A new empty folder ``base``, or ``base-2``, ``base-3``, ... when taken: ``mkdir`` is atomic, so two
    processes started in the same second never get the same folder."""
    base = Path(base)
    base.parent.mkdir(parents=True, exist_ok=True)
    for i in range(1, 10_000):
        path = base if i == 1 else base.with_name(f"{base.name}-{i}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise WeightflowError(f"--out {base}: expected a free name, got 10000 taken ones; pass --out")


class FrameWriter:
    """Where a run's frames go as training records them: per parameter an array (members, frames, *shape),
    in memory, or streamed into ``DIR/frames/NAME.npy`` when a directory is given.

    On disk, chunks are written with positioned writes into the preallocated file, so the trajectory
    never has to be in memory (a memory map would count its dirty pages against the process); the
    finished frames are read back as read-only memory maps. A single run's file has no member axis.
    """

    def __init__(self, directory: Path | None, names: list[str], shapes: list[tuple], members: int,
                 frames: int, population: bool, reopen: bool = False):
        self.names, self.shapes, self.members, self.frames = names, shapes, members, frames
        self.population, self.directory = population, directory
        if directory is None:
            self.arrays = [np.empty((members, frames, *s), np.float32) for s in shapes]
            return
        (directory / "frames").mkdir(parents=True, exist_ok=True)
        if reopen:  # a resumed run: the frames so far are in place (cut short if it was interrupted)
            self.offsets = [self._extend(self.path(n), s) for n, s in zip(names, shapes)]
        else:
            self.offsets = [self._preallocate(self.path(n), s) for n, s in zip(names, shapes)]

    def path(self, name: str) -> Path:
        return self.directory / "frames" / f"{name}.npy"

    def _preallocate(self, path: Path, shape: tuple) -> int:
        """Create the .npy (header + sparse body); returns where its data starts."""
        lead = (self.members, self.frames) if self.population else (self.frames,)
        created = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(*lead, *shape))
        offset = created.offset
        created.flush()
        del created
        return offset

    def _extend(self, path: Path, shape: tuple) -> int:
        """Give a frame file its full frame axis again, keeping the frames it has; returns the data offset."""
        old = np.load(path, mmap_mode="r")
        axis = 1 if self.population else 0
        if old.shape[axis] == self.frames:
            return old.offset
        tmp = path.with_suffix(".extend.npy")
        offset = self._preallocate(tmp, shape)
        full = np.load(tmp, mmap_mode="r+")
        if self.population:
            full[:, :old.shape[1]] = old
        else:
            full[:old.shape[0]] = old
        full.flush()
        del full, old
        os.replace(tmp, path)
        return offset

    def write(self, lo: int, blocks: list[np.ndarray]) -> None:
        """Store per parameter ``blocks[i]`` (members, n, *shape) as frames ``lo .. lo + n - 1``."""
        if self.directory is None:
            for arr, block in zip(self.arrays, blocks):
                arr[:, lo:lo + block.shape[1]] = block
            return
        for name, shape, offset, block in zip(self.names, self.shapes, self.offsets, blocks):
            item = int(np.prod(shape, dtype=np.int64)) * 4
            block = np.ascontiguousarray(block, np.float32)
            fd = os.open(self.path(name), os.O_WRONLY)
            try:
                for m in range(self.members):
                    at = (m * self.frames if self.population else 0) + lo
                    os.pwrite(fd, block[m].tobytes(), offset + at * item)
            finally:
                os.close(fd)

    def so_far(self, kept: int) -> list[np.ndarray]:
        """A single run's first ``kept`` frames of every parameter, (kept, *shape), as views."""
        if self.directory is None:
            return [a[0, :kept] for a in self.arrays]
        return [np.load(self.path(n), mmap_mode="r")[:kept] for n in self.names]

    def finish(self, kept: int) -> list[np.ndarray]:
        """The first ``kept`` frames of every parameter, (members?, kept, *shape) (no member axis for a
        single run); on disk the files are cut to ``kept`` frames and memory-mapped read-only."""
        if self.directory is None:
            return [a[:, :kept] if self.population else a[0, :kept] for a in self.arrays]
        out = []
        for name in self.names:
            truncate_npy(self.path(name), kept, self.population)
            out.append(np.load(self.path(name), mmap_mode="r"))
        return out


def truncate_npy(path: Path, frames: int, population: bool) -> None:
    """Rewrite a streamed .npy whose frame axis was preallocated longer (a run that stopped early)."""
    arr = np.load(path, mmap_mode="r")
    axis = 1 if population else 0
    if arr.shape[axis] == frames:
        return
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, arr[:, :frames] if population else arr[:frames])
    del arr
    os.replace(tmp, path)  # a new file: maps of the old one stay valid


def is_streamed_to(array, path: Path) -> bool:
    """Whether ``array`` is a memory map of ``path`` itself (frames streamed there by a FrameWriter)."""
    return isinstance(array, np.memmap) and bool(array.filename) and Path(array.filename).resolve() == path.resolve()


# --- JSON ------------------------------------------------------------------------------------------

def clean(value):
    """JSON-safe copy: numpy arrays and scalars to Python, tuples to lists, NaN/inf to None."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return clean(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_meta(path: Path, status: str, metrics: dict, config: dict, version: str) -> None:
    meta = {"format_version": FORMAT_VERSION, "weightflow_version": version, "status": status,
            "metrics": metrics, "config": config}
    path.write_text(json.dumps(clean(meta), indent=2) + "\n")


def read_meta(path: Path) -> dict:
    """run.json, checked for its format version."""
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise WeightflowError(f"{path}: expected JSON, got a parse error ({e.msg} at line {e.lineno}); "
                              "the run directory is damaged") from None
    except (UnicodeDecodeError, RecursionError) as e:
        raise WeightflowError(f"{path}: expected UTF-8 JSON, got {type(e).__name__}; the run directory is "
                              "damaged") from None
    if not isinstance(meta, dict):
        raise WeightflowError(f"{path}: expected a JSON object, got a {type(meta).__name__}; the run directory "
                              "is damaged")
    version = meta.get("format_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        raise WeightflowError(f"{path}: expected run format version {FORMAT_VERSION}, got {version} "
                              "(written by a newer weightflow); upgrade weightflow to read it")
    if version != FORMAT_VERSION:
        raise WeightflowError(f"{path}: expected run format version {FORMAT_VERSION}, got {version!r}; "
                              "rerun it with this weightflow version")
    kinds = {"status": str, "config": dict, "metrics": dict}
    wrong = [k for k, kind in kinds.items() if not isinstance(meta.get(k, {} if k == "metrics" else None), kind)]
    if wrong:
        raise WeightflowError(f"{path}: expected {', '.join(wrong)} in run.json, got "
                              f"{', '.join(type(meta.get(k)).__name__ for k in wrong)}; the run directory is damaged")
    return meta


# --- arrays ----------------------------------------------------------------------------------------

DAMAGED = (OSError, ValueError, EOFError, KeyError, IndexError, TypeError, zipfile.BadZipFile)


def damaged(path: Path, expected: str, err: BaseException) -> WeightflowError:
    got = "no such file" if isinstance(err, FileNotFoundError) else f"{type(err).__name__}: {err}".split("\n")[0]
    return WeightflowError(f"{path}: expected {expected}, got {got}; the run directory is damaged (rerun it)")


def read_npy(path: Path, shape: tuple, what: str) -> np.ndarray:
    """A float .npy of exactly ``shape``, memory-mapped read-only."""
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except DAMAGED as e:
        raise damaged(path, f"{what} of shape {shape}", e) from None
    if arr.shape != tuple(shape):
        raise WeightflowError(f"{path}: expected {what} of shape {tuple(shape)}, got shape {arr.shape}; "
                              "the run directory is damaged (rerun it)")
    return arr

def write_npz(path: Path, names: list[str], arrays) -> None:
    np.savez(path, **dict(zip(names, arrays)))


def read_npz(path: Path, names: list[str], shapes: list[tuple] | None = None) -> list[np.ndarray]:
    """The arrays ``names`` of an npz (of ``shapes`` when given)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [n for n in names if n not in z.files]
            if missing:
                raise WeightflowError(f"{path}: expected arrays {names}, got {z.files}; the run directory is damaged")
            out = [z[n] for n in names]
    except DAMAGED as e:
        raise damaged(path, f"an npz with arrays {names}", e) from None
    for name, arr, shape in zip(names, out, shapes or [a.shape for a in out]):
        if arr.shape != tuple(shape):
            raise WeightflowError(f"{path}: expected {name} of shape {tuple(shape)}, got shape {arr.shape}; "
                                  "the run directory is damaged (rerun it)")
    return out


def split_arrays(split) -> dict[str, np.ndarray]:
    """A Split's arrays as data.npz holds them (the validation ones only when it has a validation set)."""
    fields = SPLIT_FIELDS + (VAL_FIELDS if split.n_val else ())
    return {f: np.asarray(getattr(split, f)) for f in fields}


def read_split_arrays(path: Path) -> dict[str, np.ndarray]:
    """data.npz's arrays by Split field: the required ones, and the validation ones when present."""
    arrays = read_npz_all(path)
    missing = [n for n in SPLIT_FIELDS if n not in arrays]
    if missing:
        raise WeightflowError(f"{path}: expected arrays {list(SPLIT_FIELDS)}, got {list(arrays)}; the run directory "
                              "is damaged")
    return {f: a for f, a in arrays.items() if f in SPLIT_FIELDS + VAL_FIELDS}


def read_npz_all(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except DAMAGED as e:
        raise damaged(path, "an npz of arrays", e) from None


# --- CSV -------------------------------------------------------------------------------------------

def _cell(v) -> str:
    return "" if not np.isfinite(v) else f"{v:.9g}"


def write_history_csv(path: Path, history: dict) -> None:
    """A single run's history: HISTORY_COLUMNS, then any optimizer statistics; empty = not evaluated."""
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        names = list(HISTORY_COLUMNS) + [c for c in history if c not in HISTORY_COLUMNS]
        w.writerow(names)
        for row in zip(*(np.asarray(history[c]) for c in names)):
            w.writerow([int(row[0])] + [_cell(v) for v in row[1:]])


def read_history_csv(path: Path) -> dict[str, np.ndarray]:
    try:
        with open(path, newline="") as fh:
            reader = csv.DictReader(fh)
            history = {c: [] for c in reader.fieldnames or HISTORY_COLUMNS}
            for row in reader:
                for c in history:
                    history[c].append(float(row[c]) if row[c] not in ("", None) else math.nan)
    except DAMAGED as e:
        raise damaged(path, "a CSV of numbers with a header", e) from None
    return {c: np.asarray(v, np.int64 if c == "step" else np.float64) for c, v in history.items()}


def write_members_csv(path: Path, head: list[str], fixed: list[list], metrics: dict[str, np.ndarray]) -> None:
    """One row per member: its ``fixed`` cells (member, seed, lr, grid axes, status) under ``head``,
    then its final ``metrics`` (column -> (members,))."""
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([*head, *metrics])
        for m, cells in enumerate(fixed):
            w.writerow([*cells, *(_cell(v[m]) for v in metrics.values())])


def read_members_csv(path: Path, axes) -> tuple[dict[str, np.ndarray], list[str]]:
    """Per-member final metrics (column -> (members,)) and statuses."""
    try:
        with open(path, newline="") as fh:
            rows = list(csv.DictReader(fh))
        columns = [c for c in rows[0] if c not in ("member", "seed", "lr", "status", *axes)] if rows else []
        metrics = {c: np.asarray([float(r[c]) if r[c] not in ("", None) else math.nan for r in rows])
                   for c in columns}
        return metrics, [str(r["status"]) for r in rows]
    except DAMAGED as e:
        raise damaged(path, "a CSV with one row per member", e) from None
