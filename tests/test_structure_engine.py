"""The engine's structure, checked on the source: one way to launch a process, no private reach-ins, no import
circles. These read the code with `ast`, so they fail as soon as a change breaks the layout."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.structure_support import MOCKD, ROOT, circles, executed_imports, import_graph


def test_the_import_graph_sees_function_level_imports():
    """The walk must see an import inside a function, or the circle check below proves nothing."""
    tree = ast.parse("def f():\n    from . import x\nif TYPE_CHECKING:\n    import y\n")
    assert [type(n).__name__ for n in executed_imports(tree)] == ["ImportFrom"]
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_circle_in_the_engine():
    graph = import_graph()
    engine = {k: {v for v in vs if v.startswith("mockd.engine")} for k, vs in graph.items()
              if k.startswith("mockd.engine")}
    assert circles(engine) == []


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
