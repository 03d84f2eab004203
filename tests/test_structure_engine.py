"""The engine's structure, checked on the source: one way to launch a process, no private reach-ins, no import
circles. These read the code with `ast`, so they fail as soon as a change breaks the layout."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MOCKD = ROOT / "mockd"


def _modules() -> dict[str, Path]:
    """mockd.* module name -> its file (a package is its __init__.py)."""
    out = {}
    for path in sorted(MOCKD.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_imports(tree: ast.AST):
    """Every import statement that runs: at module level, in functions, in classes, under `if`; not the
    ones under `if TYPE_CHECKING:` (never executed, annotations only)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _runtime_imports(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    mod = ".".join(base + ([node.module] if node.module else []))
                else:
                    mod = node.module or ""
                # `from pkg import sub` imports the submodule sub (the package is already being imported when
                # it is the importer's own); `from mod import name` imports mod.
                subs = [f"{mod}.{alias.name}" for alias in node.names if f"{mod}.{alias.name}" in modules]
                targets = subs if len(subs) == len(node.names) and name.startswith(mod + ".") else [mod, *subs]
            for target in targets:
                if target in modules and target != name:
                    graph[name].add(target)
    return graph


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm; the components of more than one module are the import circles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_import_graph_sees_function_level_imports():
    """The walk must see an import inside a function, or the circle check below proves nothing."""
    tree = ast.parse("def f():\n    from . import x\nif TYPE_CHECKING:\n    import y\n")
    assert [type(n).__name__ for n in _runtime_imports(tree)] == ["ImportFrom"]
    assert _strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_circle_in_the_engine():
    graph = _import_graph()
    engine = {k: {v for v in vs if v.startswith("mockd.engine")} for k, vs in graph.items()
              if k.startswith("mockd.engine")}
    assert _strongly_connected(engine) == []


# app<->control and versioning<->behaviours are the app layer's half of issue 10, which also adds mockd/keys.py:
# until it has landed the circles are expected (strictly: the marker fails once they are gone); after, none is.
@pytest.mark.xfail(not (MOCKD / "keys.py").exists(), strict=True,
                   reason="app<->control and versioning<->behaviours: the app layer's half of issue 10")
def test_no_import_circle_in_mockd():
    assert _strongly_connected(_import_graph()) == []


def test_no_private_reach_ins():
    offenders = [f"{p.relative_to(ROOT)}:{i}" for p in MOCKD.rglob("*.py")
                 for i, line in enumerate(p.read_text().splitlines(), 1) if "noqa: SLF001" in line]
    assert offenders == []


def _calls(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.id if isinstance(func, ast.Name) else getattr(func, "attr", ""))
    return names


def test_processes_are_built_only_by_the_runtime():
    builders = sorted(str(p.relative_to(ROOT)) for p in MOCKD.rglob("*.py") if "Process" in _calls(p))
    assert builders == ["mockd/engine/runtime.py"]


def test_containers_exec_health_and_build_launch_through_the_runtime():
    engine = MOCKD / "engine"
    for name in ("lifecycle.py", "exec_ops.py", "health.py", "build.py"):
        calls = _calls(engine / name)
        assert "launch" in calls, name
        assert not calls & {"find_executable", "resolve_user", "start"}, name


def test_engine_is_a_facade_without_mixins():
    from mockd.engine import Engine

    assert Engine.__bases__ == (object,)
    for path in (MOCKD / "engine").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.args.args:
                first = node.args.args[0]
                assert not (first.arg == "self" and first.annotation is not None), f"{path.name}: {node.name}"


def test_only_the_cli_reads_the_environment():
    readers = sorted(str(p.relative_to(ROOT)) for p in MOCKD.rglob("*.py")
                     if "MOCKD_SEED" in p.read_text())
    assert readers == ["mockd/cli.py"]
