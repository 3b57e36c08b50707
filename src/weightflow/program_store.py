"""weightflow's persistent compilation cache: compiled programs kept whole on disk
(``jax.experimental.serialize_executable``), so a run of a shape this machine has trained before
neither traces, lowers nor compiles its programs. jax's own persistent cache skips only XLA's compile
(tracing and lowering a chunk still cost about 0.2 s of a warm start, three times the time to load
it whole), and an executable it loads cannot be kept here: XLA:CPU serialises such an executable
without its kernels. So weightflow does not turn jax's cache on, and keeps nothing here while a
user has (``JAX_COMPILATION_CACHE_DIR``): every program in the process is then compiled afresh.

A program is filed under a digest of everything that decides it: the caller's static key (model,
loss, rule, options, schedule...: see ``program.compiled_chunk``), every input's shape, dtype, weak
type and multi-device sharding, the compiler options, the jax and jaxlib versions, the devices, the
jax settings that change tracing, ``XLA_FLAGS``, and the size and time of every weightflow source
file (an edited engine never loads a stale program). A file that fails to load is deleted and the
program compiled again; the folder keeps at most STORE_BYTES (the least recently used go first).
As jax's own cache does, it loads executables from the user's cache folder: it is as trustworthy as
that folder. The folder is ``programs`` in weightflow's cache folder (the one the generated datasets
use): ``$WEIGHTFLOW_CACHE/programs``, else ``$XDG_CACHE_HOME/weightflow/programs``, else
``~/.cache/weightflow/programs``; ``WEIGHTFLOW_CACHE=off`` turns it off.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import threading
from pathlib import Path

import jax

STORE_BYTES = 1 << 30
SUFFIX = ".wfprog"
_SETTINGS = ("jax_enable_x64", "jax_default_matmul_precision", "jax_threefry_partitionable",
             "jax_default_prng_impl", "jax_numpy_rank_promotion", "jax_numpy_dtype_promotion")


@functools.cache
def store_dir() -> Path | None:
    """The folder programs are kept in (None when turned off or it cannot be made), once per process."""
    from .datasets.mnist1d import cache_dir  # weightflow's one cache folder, the generated datasets' too

    base = cache_dir()
    if base is None:
        return None
    directory = base / "programs"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:  # a read-only home: compile every time rather than fail
        return None
    return directory


def _jax_cache_on() -> bool:
    return bool(jax.config.jax_compilation_cache_dir) and bool(jax.config.jax_enable_compilation_cache)


@functools.cache
def _environment() -> str:
    """What outside the program decides its code: versions, devices, jax settings, weightflow's sources."""
    import jaxlib

    package = Path(__file__).resolve().parent
    stamps = sorted((str(p.relative_to(package)), p.stat().st_size, p.stat().st_mtime_ns)
                    for p in package.rglob("*.py"))
    devices = [(d.platform, d.device_kind, d.id) for d in jax.devices()]
    settings = [(name, str(getattr(jax.config, name, None))) for name in _SETTINGS]
    return repr((jax.__version__, jaxlib.__version__, devices, settings, os.environ.get("XLA_FLAGS", ""), stamps))


def signature(args) -> tuple:
    """The inputs as the compiled code sees them: the tree's structure and, per leaf, shape, dtype,
    weak type and (only when it spans several devices) sharding. A numpy array and a one-device
    jax array of the same aval share a signature, as they share jax's compiled code."""
    leaves, tree = jax.tree_util.tree_flatten(args)
    described = []
    for leaf in leaves:
        aval = jax.typeof(leaf)
        sharding = getattr(leaf, "sharding", None)
        spread = repr(sharding) if sharding is not None and len(sharding.device_set) > 1 else None
        described.append((aval.shape, str(aval.dtype), aval.weak_type, spread))
    return str(tree), tuple(described)


class StoredProgram:
    """``jax.jit(fn, **jit_kwargs)`` compiled once per input signature, kept in memory and (when
    ``key`` is given: a repr-stable description of everything ``fn`` closes over) on disk.
    ``options``: compiler options to try in order (a later one is used only when this jaxlib
    refuses an earlier one's flag)."""

    def __init__(self, fn, key, options: list, **jit_kwargs):
        self.fn, self.key, self.options, self.jit_kwargs = fn, key, options, jit_kwargs
        self.loaded: dict = {}

    def __call__(self, *args):
        sig = signature(args)
        compiled = self.loaded.get(sig)
        if compiled is not None:
            return compiled(*args)
        compiled, path = self._load_or_compile(sig, args, use_store=True)
        try:
            out = compiled(*args)
        except jax.errors.JaxRuntimeError:
            if path is None:  # compiled here: a real error
                raise
            path.unlink(missing_ok=True)  # a stored program that loads but cannot run: compile afresh
            compiled, _ = self._load_or_compile(sig, args, use_store=False)
            out = compiled(*args)
        self.loaded[sig] = compiled
        return out

    def _path(self, sig, options) -> Path | None:
        directory = None if self.key is None else store_dir()
        if directory is None:
            return None
        digest = hashlib.sha256(repr((self.key, sig, options, sorted(self.jit_kwargs.items()), _environment()))
                                .encode()).hexdigest()
        return directory / f"{digest[:40]}{SUFFIX}"

    def _load_or_compile(self, sig, args, use_store: bool):
        """(the program, the store file it was loaded from or None)."""
        for i, options in enumerate(self.options):
            path = self._path(sig, options)
            compiled = _load(path) if path is not None and use_store else None
            if compiled is not None:
                return compiled, path
            try:
                compiled = jax.jit(self.fn, compiler_options=options, **self.jit_kwargs).lower(*args).compile()
            except jax.errors.JaxRuntimeError as err:
                if "compile option" in str(err) and i + 1 < len(self.options):
                    continue  # an XLA flag this jaxlib does not know: the next options
                raise
            if path is not None and not _jax_cache_on():  # see the module's docstring
                _save(path, compiled)
            return compiled, None
        raise AssertionError("no compiler options to try")


def _load(path: Path):
    from jax.experimental.serialize_executable import deserialize_and_load

    from .program import count_loaded

    try:
        with open(path, "rb") as fh:
            blob, in_tree, out_tree, device_ids = pickle.load(fh)
        by_id = {d.id: d for d in jax.devices()}  # on the devices it was compiled for (default: all)
        compiled = deserialize_and_load(blob, in_tree, out_tree, execution_devices=[by_id[i] for i in device_ids])
    except FileNotFoundError:
        return None
    except Exception:  # a damaged or foreign file: drop it and compile
        path.unlink(missing_ok=True)
        return None
    os.utime(path)  # its time is its last use, for the size bound
    count_loaded()
    return compiled


def _save(path: Path, compiled) -> None:
    """Write atomically (a reader sees the whole file or none), then keep the folder within STORE_BYTES.
    A program that cannot be serialised, or a full disk, just goes unsaved."""
    from jax.experimental.serialize_executable import serialize

    tmp = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            device_ids = [d.id for d in compiled.runtime_executable().local_devices()]
            pickle.dump((*serialize(compiled), device_ids), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except Exception:
        tmp.unlink(missing_ok=True)
        return
    _bound(path.parent)


def _bound(directory: Path, limit: int = STORE_BYTES) -> None:
    files = []
    for p in directory.glob(f"*{SUFFIX}"):
        try:
            st = p.stat()
        except OSError:
            continue
        files.append((st.st_mtime, st.st_size, p))
    total = sum(size for _, size, _ in files)
    for _, size, p in sorted(files, key=lambda f: f[0]):
        if total <= limit:
            break
        p.unlink(missing_ok=True)
        total -= size
