"""The app layer's structure (issue 10): no import circles, keys in a leaf module, framing apart from the takeover.

Imports are read from the source (an ast walk of every ``import`` anywhere in a module, imports inside functions
included: a circle dodged by a late import is still a circle), and circles are the strongly connected components
of that graph (Tarjan). The engine's own structure tests (mockd/engine/) are the engine's side.
"""

from __future__ import annotations

import ast

from tests.structure_support import MOCKD, circles, executed_imports, import_graph, imported, module_name, modules

ENGINE = "mockd.engine"


def _is_app_layer(module: str) -> bool:
    return module != ENGINE and not module.startswith(ENGINE + ".")


def test_the_circle_finder_finds_circles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert circles(graph) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_the_import_reader_sees_imports_inside_functions():
    tree = ast.parse("def f():\n    from mockd.keys import REGISTRY\n")
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom))
    assert imported("mockd.control", MOCKD / "control.py", node, set(modules())) == {"mockd.keys"}
    package_import = ast.parse("from . import references\n").body[0]
    assert imported("mockd.engine.images", MOCKD / "engine" / "images.py", package_import,  # type: ignore[arg-type]
                     set(modules())) == {"mockd.engine.references"}
    guarded = ast.parse("if TYPE_CHECKING:\n    import mockd.app\nelse:\n    import mockd.keys\n")
    assert [ast.unparse(n) for n in executed_imports(guarded)] == ["import mockd.keys"]
    relative = ast.parse("from ._engine import route\n").body[0]
    assert imported("mockd.handlers.images", MOCKD / "handlers" / "images.py", relative,  # type: ignore[arg-type]
                     set(modules())) == {"mockd.handlers._engine"}


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
    takers = sorted(module_name(p) for p in MOCKD.rglob("*.py") if "set_protocol(" in p.read_text())
    assert takers == ["mockd.hijack"], takers
    tree = ast.parse((MOCKD / "hijack.py").read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    # the kernel's view of the socket (select: hang-ups; fcntl/termios/socket/struct: what the peer has not read)
    assert imported <= {"__future__", "asyncio", "collections.abc", "contextlib", "select", "fcntl", "termios",
                        "socket", "struct", "aiohttp"}, imported
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
