"""program_store: compiled programs kept whole on disk. A loaded program computes what the compiled one
does, a damaged file is replaced, keys keep programs apart, the folder stays bounded, and a whole run
from a warm store (a real second process) equals the cold one bit for bit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import weightflow as wf  # before jax: weightflow gives XLA one CPU device per core, as other test files see it

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from weightflow import program, program_store

SRC = Path(wf.__file__).resolve().parents[1]


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setattr(program_store, "store_dir", lambda: tmp_path)
    return tmp_path


def _fn(x, y):
    return jnp.tanh(x @ y).sum(axis=0), x * 2


ARGS = (np.arange(12, dtype=np.float32).reshape(4, 3) / 10, np.ones((3, 2), np.float32))


def _stored(key=("test", 1)):
    return program_store.StoredProgram(_fn, key, [None])


def test_a_loaded_program_computes_what_the_compiled_one_does(store):
    first = _stored()(*ARGS)
    files = list(store.glob(f"*{program_store.SUFFIX}"))
    assert len(files) == 1
    before = program.compilations()
    again = _stored()(*ARGS)  # a new object, as in a new process: from the file
    after = program.compilations()
    assert after.programs - before.programs == 1 and after.from_cache - before.from_cache == 1
    for a, b, c in zip(first, again, jax.jit(_fn)(*ARGS)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
        np.testing.assert_array_equal(np.asarray(a), np.asarray(c))
    other = _stored()(ARGS[0][:2], ARGS[1])  # another input shape: another program, another file
    assert np.asarray(other[1]).shape == (2, 3) and len(list(store.glob(f"*{program_store.SUFFIX}"))) == 2


def test_options_this_jaxlib_does_not_know_give_way_to_the_next(store):
    refused = {"xla_cpu_no_such_option_anywhere": True}
    with pytest.raises(jax.errors.JaxRuntimeError, match="compile option"):  # the error the fallback looks for
        jax.jit(_fn, compiler_options=refused).lower(*ARGS).compile()
    got = program_store.StoredProgram(_fn, ("fallback",), [refused, None])(*ARGS)
    for a, b in zip(got, jax.jit(_fn)(*ARGS)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_keys_and_inputs_keep_programs_apart(store):
    _stored(("a",))(*ARGS)
    _stored(("b",))(*ARGS)
    _stored(("a",))(ARGS[0].astype(np.float32), jnp.asarray(ARGS[1]))  # numpy or jax array: the same program
    assert len(list(store.glob(f"*{program_store.SUFFIX}"))) == 2
    assert program_store.signature(ARGS) == program_store.signature((ARGS[0], jnp.asarray(ARGS[1])))
    assert program_store.signature(ARGS) != program_store.signature((ARGS[0], ARGS[1].astype(np.float16)))
    assert program_store.signature((1.0,)) != program_store.signature((np.float32(1.0),))  # weak type
    none = program_store.StoredProgram(_fn, None, [None])  # no key (a custom optax object): memory only
    none(*ARGS)
    assert len(list(store.glob(f"*{program_store.SUFFIX}"))) == 2


def test_a_damaged_or_foreign_file_is_replaced(store):
    want = np.asarray(_stored()(*ARGS)[0])
    (path,) = store.glob(f"*{program_store.SUFFIX}")
    for damage in (b"", path.read_bytes()[:100], b"not a pickle at all"):
        path.write_bytes(damage)
        got = _stored()(*ARGS)
        np.testing.assert_array_equal(np.asarray(got[0]), want)
        assert path.stat().st_size > 1000  # compiled again and written whole
    assert not list(store.glob("*.tmp"))


JAX_CACHE_SCRIPT = r"""
import pickle, sys
import jax, jax.numpy as jnp, numpy as np
from jax.experimental.serialize_executable import deserialize_and_load, serialize
from weightflow import program_store
from pathlib import Path

jax.config.update("jax_compilation_cache_dir", sys.argv[1])  # as a user may: jax's own cache on
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
store = Path(sys.argv[2])
program_store.store_dir = lambda: store
fn = lambda x: (jnp.broadcast_to(jnp.sum(x) * 3, (3, 4)), x * 2)
x = np.arange(4, dtype=np.float32)
jax.jit(fn).lower(x).compile()
jax.clear_caches()
from_jax = jax.jit(fn).lower(x).compile()  # loaded from jax's cache
stored = program_store.StoredProgram(fn, ("jax cache", 1), [None])
path = stored._path(program_store.signature((x,)), None)
with open(path, "wb") as fh:  # a file that loads: the serialised executable of jax's cache
    pickle.dump((*serialize(from_jax), [0]), fh)
try:
    deserialize_and_load(*serialize(from_jax))(x)
    broken = False
except Exception:
    broken = True
out = stored(x)
assert float(out[0][0, 0]) == 18.0 and float(out[1][3]) == 6.0, out
fresh = program_store.StoredProgram(lambda x: x + 1, ("jax cache", 2), [None])
assert float(fresh(x)[0]) == 1.0
print(broken, path.exists(), len(list(store.glob("*" + program_store.SUFFIX))))
"""


def test_with_jax_s_own_cache_on_nothing_is_kept_and_a_file_that_cannot_run_is_replaced(tmp_path):
    """XLA:CPU serialises an executable loaded from jax's cache without its kernels: such a file loads,
    then fails to run. The program is compiled again, and with jax's cache on nothing is written."""
    (tmp_path / "store").mkdir()
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run([sys.executable, "-c", JAX_CACHE_SCRIPT, str(tmp_path / "jax"), str(tmp_path / "store")],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    broken, exists, files = done.stdout.split()
    if broken == "True":  # this jaxlib has the fault: the file was dropped, nothing written instead
        assert exists == "False" and files == "0"
    else:  # a jaxlib without it: the file ran as it was
        assert exists == "True" and files == "1"


def test_an_edited_source_file_changes_every_key():
    program_store._environment.cache_clear()
    before = program_store._environment()
    target = Path(program.__file__)
    st = target.stat()
    try:
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        program_store._environment.cache_clear()
        assert program_store._environment() != before
    finally:
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
        program_store._environment.cache_clear()
    assert program_store._environment() == before


def test_the_folder_keeps_only_the_recent_programs(tmp_path):
    for i in range(6):
        p = tmp_path / f"{i}{program_store.SUFFIX}"
        p.write_bytes(b"x" * 1000)
        os.utime(p, (1000 + i, 1000 + i))
    program_store._bound(tmp_path, limit=3500)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{i}{program_store.SUFFIX}" for i in (3, 4, 5)]


def _cli_run(out: Path, cache: Path, *extra: str) -> str:
    env = {**os.environ, "WEIGHTFLOW_CACHE": str(cache), "PYTHONPATH": str(SRC)}
    cmd = [sys.executable, "-m", "weightflow", "train", "--data", "xor", "--hidden", "3", "--activation", "tanh",
           "--steps", "40", "--test-size", "0", "-q", "-v", "--force", "--out", str(out), *extra]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("population", [None, "4"])
def test_a_run_from_a_warm_store_equals_the_cold_one(tmp_path, population):
    extra = ("--population", population) if population else ()
    cold = _cli_run(tmp_path / "cold", tmp_path / "cache", *extra)
    assert "compiled programs: 2\n" in cold  # nothing from the cache yet
    warm = _cli_run(tmp_path / "warm", tmp_path / "cache", *extra)
    assert "compiled programs: 2 (2 from the cache)" in warm
    a, b = wf.load_run(tmp_path / "cold"), wf.load_run(tmp_path / "warm")
    for x, y in zip(a.frames, b.frames):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a.history["train_loss"], b.history["train_loss"])
