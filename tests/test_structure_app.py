"""The app layer's structure (issue 10): no import circles, keys in a leaf module, framing apart from the takeover.

Imports are read from the source (an ast walk of every ``import`` anywhere in a module, imports inside functions
included: a circle dodged by a late import is still a circle), and circles are the strongly connected components
of that graph (Tarjan). The engine's own structure tests (mockd/engine/) are the engine's side.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MOCKD = ROOT / "mockd"
ENGINE = "mockd.engine"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in MOCKD.rglob("*.py")}


def _imported(module: str, path: Path, node: ast.Import | ast.ImportFrom, known: set[str]) -> set[str]:
    """The mockd modules one import statement reaches (``from pkg import name`` reaches pkg.name if a module)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
            package = package[: len(package) - node.level + 1]
            base = ".".join([*package, base] if base else package)
        subs = [f"{base}.{alias.name}" for alias in node.names]
        # `from . import sub` inside the package imports the submodule; the package itself is already loading.
        inside = module.startswith(base + ".") and all(sub in known for sub in subs)
        names = subs if inside else [base, *subs]
    found = set()
    for name in names:
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name and name != module:
            found.add(name)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in _executed_imports(ast.parse(path.read_text(), str(path))):
            graph[name] |= _imported(name, path, node, known)
    return graph


def _executed_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import that runs, wherever it is (module level, functions, classes, branches); not those under
    ``if TYPE_CHECKING:``, which never run."""
    found, stack = [], [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return found


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module (a module importing itself is no circle)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
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
                found.append(sorted(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(graph) + 100))
    try:
        for v in sorted(graph):
            if v not in index:
                visit(v)
    finally:
        sys.setrecursionlimit(limit)
    return found


def _is_app_layer(module: str) -> bool:
    return module != ENGINE and not module.startswith(ENGINE + ".")


def test_the_circle_finder_finds_circles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert circles(graph) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_the_import_reader_sees_imports_inside_functions():
    tree = ast.parse("def f():\n    from mockd.keys import REGISTRY\n")
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom))
    assert _imported("mockd.control", MOCKD / "control.py", node, set(_modules())) == {"mockd.keys"}
    package_import = ast.parse("from . import references\n").body[0]
    assert _imported("mockd.engine.images", MOCKD / "engine" / "images.py", package_import,  # type: ignore[arg-type]
                     set(_modules())) == {"mockd.engine.references"}
    guarded = ast.parse("if TYPE_CHECKING:\n    import mockd.app\nelse:\n    import mockd.keys\n")
    assert [ast.unparse(n) for n in _executed_imports(guarded)] == ["import mockd.keys"]
    relative = ast.parse("from ._engine import route\n").body[0]
    assert _imported("mockd.handlers.images", MOCKD / "handlers" / "images.py", relative,  # type: ignore[arg-type]
                     set(_modules())) == {"mockd.handlers._engine"}


def test_no_app_layer_module_is_in_an_import_circle():
    """Every module of mockd/ outside mockd/engine/ (app, control, keys, routes, streams, hijack, handlers, ...)."""
    offending = [c for c in circles(import_graph()) if any(_is_app_layer(m) for m in c)]
    assert not offending, f"import circles through the app layer: {offending}"


def test_no_import_circle_anywhere_in_mockd():
    assert circles(import_graph()) == []


def test_keys_module_is_a_leaf_of_the_app_layer():
    """mockd.keys imports only the types it names, never the modules that read the keys."""
    graph = import_graph()
    readers = {m for m, deps in graph.items() if "mockd.keys" in deps}
    assert {"mockd.app", "mockd.control", "mockd.handlers.seed", "mockd.routes", "mockd.cli"} <= readers
    assert not graph["mockd.keys"] & readers


def test_no_module_imports_the_app_factory_for_its_keys():
    graph = import_graph()
    importers = sorted(m for m, deps in graph.items() if "mockd.app" in deps)
    assert importers == ["mockd.cli"], importers  # only the CLI builds the app


def test_only_hijack_touches_raw_transports():
    """Framing lives in mockd.streams; set_protocol (taking over a connection) only in mockd.hijack."""
    takers = sorted(_module_name(p) for p in MOCKD.rglob("*.py") if "set_protocol(" in p.read_text())
    assert takers == ["mockd.hijack"], takers
    tree = ast.parse((MOCKD / "hijack.py").read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported <= {"__future__", "asyncio", "collections.abc", "contextlib", "select", "aiohttp"}, imported
    defined = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}
    assert not {name for name in defined if "frame" in name or "multiplex" in name or "media" in name}, defined


def test_no_import_time_control_registry():
    """Control extensions are handed to the app factory: control.py keeps no mutable table filled at import."""
    tree = ast.parse((MOCKD / "control.py").read_text())
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert "register" not in functions
    for node in tree.body:
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        assert not isinstance(value, ast.Dict | ast.List | ast.Set), ast.unparse(node)
