"""Response shapes: key sets, JSON types and nullability — never values (ids, times, sizes differ)."""

from __future__ import annotations

from typing import Any

# A shape is a JSON type name, or for objects {"object": {key: shape}}, for arrays {"array": shape-of-items}.
Shape = Any


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def shape(value: Any, depth: int = 0) -> Shape:
    """The shape of a JSON value; array items are united (every key any item has)."""
    if depth > 30:
        return json_type(value)
    if isinstance(value, dict):
        return {"object": {k: shape(v, depth + 1) for k, v in value.items()}}
    if isinstance(value, list):
        items: Shape = None
        for item in value:
            items = unite(items, shape(item, depth + 1))
        return {"array": items}
    return json_type(value)


def unite(a: Shape, b: Shape) -> Shape:
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, dict) and isinstance(b, dict) and "object" in a and "object" in b:
        keys = {**a["object"], **b["object"]}
        return {"object": {k: unite(a["object"].get(k), b["object"].get(k)) for k in keys}}
    if isinstance(a, dict) and isinstance(b, dict) and "array" in a and "array" in b:
        return {"array": unite(a["array"], b["array"])}
    return a if a == b else {"oneOf": sorted({_name(a), _name(b)})}


def _name(s: Shape) -> str:
    if isinstance(s, dict):
        if "object" in s:
            return "object"
        if "array" in s:
            return "array"
        return "|".join(s.get("oneOf", []))
    return str(s)


def is_map(value: dict[str, Any]) -> bool:
    """Objects keyed by data (labels, ports, networks by name, image ids) rather than by field names."""
    return any(("/" in k or ":" in k or "." in k or k.startswith("sha256")) for k in value) if value else False


def diff_shapes(ref: Shape, cand: Shape, path: str = "") -> list[tuple[str, str, str, str]]:
    """(kind, dotted field, reference, candidate) for every difference.

    kinds: ``missing-key`` (candidate lacks it), ``extra-key``, ``type`` (incl. null vs value: ``nullability``).
    Array items are compared as their united shape; an empty array on one side compares equal.
    """
    out: list[tuple[str, str, str, str]] = []
    if ref is None or cand is None:  # an empty array's items: nothing to compare
        return out
    r_obj = isinstance(ref, dict) and "object" in ref
    c_obj = isinstance(cand, dict) and "object" in cand
    r_arr = isinstance(ref, dict) and "array" in ref
    c_arr = isinstance(cand, dict) and "array" in cand
    if r_obj and c_obj:
        r_keys, c_keys = ref["object"], cand["object"]
        if is_map(r_keys) or is_map(c_keys):
            return out
        for key in sorted(set(r_keys) | set(c_keys)):
            sub = f"{path}.{key}" if path else key
            if key not in c_keys:
                out.append(("missing-key", sub, _name(r_keys[key]), "-"))
            elif key not in r_keys:
                out.append(("extra-key", sub, "-", _name(c_keys[key])))
            else:
                out += diff_shapes(r_keys[key], c_keys[key], sub)
        return out
    if r_arr and c_arr:
        return diff_shapes(ref["array"], cand["array"], path)
    r_name, c_name = _name(ref), _name(cand)
    r_set, c_set = set(r_name.split("|")), set(c_name.split("|"))
    if max(len(r_set), len(c_set)) > 1 and (r_set <= c_set or c_set <= r_set):
        # Items of a list (united): one side met shapes the other also has (e.g. images with and without
        # digests on the reference, only undigested ones on the candidate): other data, not another shape.
        return out
    if r_name != c_name:
        kind = "nullability" if "null" in (r_name, c_name) else "type"
        out.append((kind, path, r_name, c_name))
    return out
