"""Subcommands of ``apicheck``: one module each, registered from this list.

A command module has ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

COMMANDS: list[str] = ["diff", "skew", "matrix", "daemon", "compare", "client", "traffic"]


def load() -> list[ModuleType]:
    return [importlib.import_module(f"checker.commands.{name}") for name in COMMANDS]
