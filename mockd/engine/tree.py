"""Copies of JSON-like trees (dicts, lists, scalars): what the engine hands out and the serializer projects.

``copy.deepcopy`` keeps a memo for shared and cyclic references, which such trees never have; the memo is
most of its cost (it dominated the profile of the container list)."""

from __future__ import annotations

from typing import Any


def tree_copy(obj: Any) -> Any:
    """A copy of ``obj`` sharing no dict or list with it (tuples become lists, as JSON would have them)."""
    if isinstance(obj, dict):
        return {k: tree_copy(v) if isinstance(v, dict | list | tuple) else v for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [tree_copy(v) if isinstance(v, dict | list | tuple) else v for v in obj]
    return obj
