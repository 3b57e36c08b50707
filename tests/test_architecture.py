"""The package's shape: public names resolve, imports flow one way, the record layer stays below training."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "weightflow"


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, top_level_only: bool) -> set[str]:
    """Modules ``path`` imports (absolute names); ``top_level_only``: only statements run at import
    time (module body, not inside functions or classes' methods)."""
    tree = ast.parse(path.read_text())
    me = _module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    if top_level_only:  # imports under module-level if/try still run at import time
        nodes = [n for stmt in tree.body for n in ast.walk(stmt)
                 if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    out = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(max(node.level - 1, 0)):
                base = base.rpartition(".")[0]
            mod = node.module or ""
            full = (f"{base}.{mod}" if mod else base) if node.level else mod
            out.add(full)
            out.update(f"{full}.{a.name}" for a in node.names)  # `from . import grid` names a module
    return out


MODULES = {_module_name(p): p for p in SRC.rglob("*.py")}


def _graph(top_level_only: bool) -> dict[str, set[str]]:
    return {m: {i for i in _imports(p, top_level_only) if i in MODULES and i != m} for m, p in MODULES.items()}


def test_every_public_name_resolves_after_a_bare_import():
    code = ("import weightflow as wf\n"
            "missing = [n for n in wf.__all__ if getattr(wf, n, None) is None]\n"
            "assert not missing, missing\n"
            "assert wf.datasets.load('xor').n_samples == 4\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_no_import_cycle_at_import_time():
    graph = _graph(top_level_only=True)
    # a package importing its own submodules is how packages work, not a cycle
    graph = {m: {i for i in deps if not i.startswith(m + ".")} for m, deps in graph.items()}
    state: dict[str, int] = {}

    def visit(m, stack):
        state[m] = 1
        for dep in sorted(graph[m]):
            if state.get(dep) == 1:
                pytest.fail("import cycle: " + " -> ".join([*stack[stack.index(dep):], dep]))
            if dep not in state:
                visit(dep, [*stack, dep])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])


def _reach(graph, start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        m = todo.pop()
        for dep in graph.get(m, ()):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


ENGINE = {"weightflow.training", "weightflow.program", "weightflow.state", "weightflow.resolve"}


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("weightflow.viz")
                                          or m in ("weightflow.run", "weightflow.record", "weightflow.config")))
def test_viz_and_the_record_layer_never_import_jax_or_training(module):
    """Neither the module itself (any import, even inside a function) nor anything it imports at import
    time reaches jax or the engine. (The model spec's own jax methods import jax when called; pictures
    never call them, which test_viz checks by drawing in a fresh process.)"""
    at_import = _reach(_graph(top_level_only=True), module) | {module}
    own = {i for i in _imports(MODULES[module], top_level_only=False)}
    assert not (at_import | own) & ENGINE, f"{module} reaches {sorted((at_import | own) & ENGINE)}"
    outside = own | set().union(*(_imports(MODULES[m], True) for m in at_import))
    assert not {i.split(".")[0] for i in outside} & {"jax", "optax", "jaxlib"}, module


def test_the_record_layer_depends_on_nothing_above_it():
    above = ENGINE | {"weightflow.run", "weightflow.export", "weightflow.viz", "weightflow.cli", "weightflow.sweep"}
    for module in ("weightflow.record", "weightflow.config"):
        deps = {i for i in _imports(MODULES[module], False) if i.startswith("weightflow")}
        assert not {d for d in deps if any(d == a or d.startswith(a + ".") for a in above)}, (module, deps)


def _code_lines(node) -> int:
    """Lines of a function, its docstring not counted."""
    n = node.end_lineno - node.lineno + 1
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        n -= first.end_lineno - first.lineno + 1
    return n


def test_no_function_in_src_is_long_without_a_reason():
    """Functions over 60 lines of code need a comment saying why, right above their ``def``."""
    long = []
    for path in MODULES.values():
        lines = path.read_text().splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                start = node.lineno - 1 - len(node.decorator_list)
                if _code_lines(node) > 60 and not lines[start - 1].lstrip().startswith("#"):
                    long.append(f"{_module_name(path)}.{node.name} ({_code_lines(node)} lines)")
    assert not long, long
