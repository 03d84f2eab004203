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
    WireRule("misdeclared-map", "objects whose only property is named additionalProperties",
             "a map the 1.25-1.36 documents declare as one property literally named additionalProperties "
             "(ContainerConfig.Volumes: an indentation slip upstream, fixed in 1.37)"),
    WireRule("misdeclared-array-map", "IPAM.Options (MISDECLARED_ARRAY_MAPS)",
             "a string map the 1.25-1.38 documents declare as an array of string maps (fixed in 1.39)"),
    WireRule("misdeclared-query-type", "query parameters in MISDECLARED_QUERY_TYPES",
             "a parameter an older document types wrongly (build's buildargs: integer in 1.25-1.36, a JSON map)"),
    WireRule("repeated-array-query", "array query parameters", "repeated keys instead of the declared csv"),
    WireRule("python-bool-query", "boolean query parameters", "True/False (docker-py) instead of true/false/1/0"),
    WireRule("known-client-extra", "CLIENT_EXTRAS", "a field or parameter real clients send that dockerd ignores"),
    WireRule("hijack-101", "HIJACKED_OPERATIONS", "101 UPGRADED answers an upgrade request, documented or not"),
    WireRule("swarm-inactive-503", "SWARM_ROOTS", "503 from swarm endpoints outside a swarm (documented only from 1.27)"),
)

# Path roots of the swarm endpoints: dockerd answers 503 there while the node is not in a swarm;
# the 1.25 and 1.26 documents forgot to list it.
SWARM_ROOTS = frozenset({"swarm", "nodes", "services", "tasks", "secrets", "configs"})

# Undocumented fields and query parameters that real clients send and dockerd ignores (measured,
# tests/fixtures/wire): (operationId, location, dotted name) -> who sends it.
CLIENT_EXTRAS: dict[tuple[str, str, str], str] = {
    ("ContainerExec", "body", "Detach"): "docker CLI 20.10 and 28.x (Go ExecOptions.Detach)",
    ("ContainerExec", "body", "Container"): "docker-py (exec_create)",
    ("ContainerList", "query", "trunc_cmd"): "docker-py (containers.list)",
    ("ImageList", "query", "only_ids"): "docker-py (images.list)",
}

# Operations a client may take over with "Upgrade: tcp"; dockerd then answers 101 UPGRADED.
HIJACKED_OPERATIONS = frozenset({"ContainerAttach", "ExecStart"})

# Scalars that are pointers in the Go types (nil -> null), though the documents do not say nullable.
POINTER_SCALARS = frozenset({
    "MemorySwappiness", "OomKillDisable", "PidsLimit", "Init", "CpuCount", "CpuPercent",
    "NanoCpus", "BlkioWeight", "KernelMemory", "KernelMemoryTCP", "OomScoreAdj", "StopTimeout",
    "Healthcheck", "Timeout", "ExitCode",
})

# Properties the older documents declare as an array of string maps where dockerd's Go type is one
# map (network create's IPAM.Options, 1.25-1.38; the docker CLI sends {}): the profile takes both.
MISDECLARED_ARRAY_MAPS = frozenset({"Options"})

# Query parameters whose type an older document gets wrong: (operationId, name) -> the real type.
# ImageBuild's buildargs is typed integer in 1.25-1.36; dockerd reads a JSON map (fixed in 1.37).
MISDECLARED_QUERY_TYPES: dict[tuple[str, str], str] = {("ImageBuild", "buildargs"): "string"}

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


def loosen_document(doc: dict[str, Any]) -> dict[str, Any]:
    """A copy of an OpenAPI 3.0 document with the wire profile applied, for openapi-core (the
    reference checker): arrays, objects and pointer scalars take ``null``, enum strings take ``""``,
    sentinels are in range. The strict document stays as it is."""
    return {**doc, "paths": _loosen(doc.get("paths", {}), ""), "components": _loosen(doc.get("components", {}), "")}


def _loosen(node: Any, prop: str) -> Any:
    if isinstance(node, list):
        return [_loosen(item, "") for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _loosen(sub, name) for name, sub in value.items()}
        elif key in ("example", "default", "enum", "examples"):
            out[key] = value
        else:
            out[key] = _loosen(value, "")
    if "$ref" in node:
        return out
    if loosen_schema(node, out, prop):
        out["nullable"] = True
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def is_object_schema(node: dict[str, Any]) -> bool:
    return node.get("type") == "object" or "properties" in node or "additionalProperties" in node


def _string_map(node: Any) -> bool:
    return isinstance(node, dict) and node.get("type") == "object" and node.get("additionalProperties") == {"type": "string"}


def loosen_schema(node: dict[str, Any], out: dict[str, Any], prop: str) -> bool:
    """Apply the profile to one converted schema node ``out`` (made from ``node``, the value of
    property ``prop``): ``""`` joins string enums, sentinels come into range. Returns whether the
    profile lets the node be ``null`` (Go nil slices, maps, struct and scalar pointers)."""
    typ = node.get("type")
    props = out.get("properties")
    if isinstance(props, dict) and list(props) == ["additionalProperties"]:
        out["additionalProperties"] = props["additionalProperties"]  # misdeclared-map: it is a map
        del out["properties"]
    if prop in MISDECLARED_ARRAY_MAPS and typ == "array" and _string_map(node.get("items")):
        out["type"] = ["array", "object"]  # misdeclared-array-map: "items" checks arrays, this checks maps
        out["additionalProperties"] = {"type": "string"}
    if typ == "string" and "enum" in out and "" not in out["enum"]:
        out["enum"] = [*out["enum"], ""]
    if prop in SENTINELS:
        keyword, sentinel = SENTINELS[prop]
        if keyword in out:
            out[keyword] = min(out[keyword], sentinel)
    return typ == "array" or is_object_schema(node) or (prop in POINTER_SCALARS and typ is not None)
