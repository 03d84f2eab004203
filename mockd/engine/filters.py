"""Pieces of dockerd's list/prune filters shared by the object stores."""

from __future__ import annotations

from collections.abc import Mapping


def label_matches(labels: Mapping[str, str], spec: str) -> bool:
    """A `label=` filter value against an object's labels: "key" needs the key, "key=value" that value too."""
    name, eq, value = spec.partition("=")
    return name in labels and (not eq or labels[name] == value)
