"""The wire profile: what real daemons and clients put on the wire that the strict documents forbid.

The upstream documents describe Go structs, but Go's JSON encoder writes a nil slice, map or
pointer as ``null``, an unset enum string as ``""``, and the docker CLI sends
``MemorySwappiness: -1`` for "unset". Python clients add ``True``/``False`` in query strings,
and every client sends array query parameters as repeated keys where the documents say csv.

The strict documents stay as they are (``specs/openapi``); this profile is applied on top of them
when validators are compiled, so both views exist: a violation of the strict schema that the
profile accepts is *known looseness* (reported with ``source="wire-profile"``, severity info),
anything else is a genuine departure (``source="spec"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class WireRule:
    name: str
    applies_to: str
    meaning: str


RULES: tuple[WireRule, ...] = (
    WireRule("go-nil-collection", "arrays and objects/maps", "null where an array or map is declared (Go nil slice/map)"),
    WireRule("go-nil-pointer", "objects", "null where a struct is declared (Go nil pointer)"),
    WireRule("go-zero-enum", "enum strings", '"" for an enum string that is unset (Go zero value)'),
    WireRule("go-nil-pointer-scalar", "fields in POINTER_SCALARS", "null for scalars that are Go pointers (*int64, *bool)"),
    WireRule("cli-unset-sentinel", "fields in SENTINELS", "an out-of-range sentinel the docker CLI sends for 'unset'"),
    WireRule("repeated-array-query", "array query parameters", "repeated keys instead of the declared csv"),
    WireRule("python-bool-query", "boolean query parameters", "True/False (docker-py) instead of true/false/1/0"),
)

# Scalars that are pointers in the Go types (nil -> null), though the documents do not say nullable.
POINTER_SCALARS = frozenset({
    "MemorySwappiness", "OomKillDisable", "PidsLimit", "Init", "CpuCount", "CpuPercent",
    "NanoCpus", "BlkioWeight", "KernelMemory", "KernelMemoryTCP", "OomScoreAdj", "StopTimeout",
    "Healthcheck", "Timeout",
})

# Values the CLI sends to mean "unset" that are outside the declared range.
SENTINELS: dict[str, tuple[str, Any]] = {
    "MemorySwappiness": ("minimum", -1),
}

# Query values dockerd reads as booleans (httputils.BoolValue: anything else but these is true).
CANONICAL_BOOLS = frozenset({"1", "0", "true", "false"})
PYTHON_BOOLS = frozenset({"True", "False"})
FALSE_WORDS = frozenset({"", "0", "no", "false", "none"})


def query_bool(value: str | None) -> bool:
    """dockerd's reading of a boolean query value."""
    return value is not None and value.strip().lower() not in FALSE_WORDS
