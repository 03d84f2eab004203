"""A request body decoded the way Go's ``encoding/json`` decodes it into one of dockerd's structs.

The struct is described by the operation's request-body schema (the API document of that version) plus
the Go names the document cannot know (:class:`GoNames`: the struct's package-qualified type name, the
names of referenced components, fields whose Go type differs from the schema, such as ``StrSlice``).
From these :func:`go_type` builds a :class:`GoType` tree once; :func:`go_unmarshal` then applies Go's rules:

- object keys are matched to struct fields exactly or else case-insensitively (the last of duplicates wins),
  unknown keys are ignored;
- ``null`` leaves a scalar field as it was and sets a slice, map, pointer or interface to nil (``None`` here);
- a value of the wrong JSON kind is an ``UnmarshalTypeError``: ``json: cannot unmarshal string into Go
  struct field VolumeCreateBody.Labels of type map[string]string`` (Struct: the innermost struct type's
  name; Field: the key path from the root), or ``... into Go
  value of type runconfig.ContainerConfigWrapper`` for the top-level value (how much of the field the text names
  depends on the Go release, :attr:`GoNames.field_path`). The first such error is the answer (Go keeps
  decoding, and keeps the first).

The result has the schema's own field names (``{"image": "x"}`` gives ``{"Image": "x"}``), so readers of
a decoded body never see the client's spelling. Syntax (bytes to a value) is :mod:`specs.godecode`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from specs.model import ApiSpec

#: Go types by schema integer formats (an integer without a format is Go's int).
_INT_TYPES = {"int64": ("int64", True, 64), "int32": ("int32", True, 32), "uint64": ("uint64", False, 64),
              "uint32": ("uint32", False, 32), "uint16": ("uint16", False, 16), "uint8": ("uint8", False, 8),
              None: ("int", True, 64)}
_INT_LITERAL = re.compile(r"-?(0|[1-9][0-9]*)")
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, eq=False)  # hashed by identity: a key of the type-tree cache, kept alive by it
class GoNames:
    """The Go facts about one operation's body at one release that its schema does not carry."""

    top: str  # the struct the router decodes into, package-qualified: "volume.VolumeCreateBody"
    components: dict[str, str] = field(default_factory=dict)  # schema component -> Go type ("container.HostConfig")
    # (component, property) -> the Go type where the document's type says less: "strslice.StrSlice" (a list of
    # strings or one string), "uint16" for an integer without a format, "container.NetworkMode" for a named string
    fields: dict[tuple[str, str], str] = field(default_factory=dict)
    # What UnmarshalTypeError says of the field, by the Go the daemon was built with: "value" (Go 1.7: no struct
    # field at all), "name" (1.8-1.13: the field's own name), "full" (1.14+: the key path from the root),
    # "embedded" (1.24+: with the embedded structs on the way)
    field_path: str = "full"


@dataclass
class GoType:
    kind: str  # struct, map, slice, string, bool, int, float, strslice, any
    name: str  # reflect.Type.String(): "int64", "[]string", "container.HostConfig"
    fields: dict[str, GoField] = field(default_factory=dict)  # struct: lower-cased key -> field
    exact: dict[str, GoField] = field(default_factory=dict)  # struct: exact key -> field
    elem: GoType | None = None  # map, slice
    signed: bool = True
    bits: int = 64

    @property
    def struct_name(self) -> str:  # reflect.Type.Name(): without the package
        return self.name.rsplit(".", 1)[-1]


@dataclass
class GoField:
    name: str
    type: GoType
    embedded: tuple[str, ...] = ()  # the embedded structs it is promoted through ("Resources",)


class GoUnmarshalError(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


_ANY = GoType("any", "interface {}")


def go_type(spec: ApiSpec, schema: Any, names: GoNames) -> GoType:
    """The Go type tree of a request-body schema (cached on the spec per schema node, which lives as long as its
    document, and per ``names`` object: callers make one per operation and release, mockd.bodies.names_for)."""
    key = ("go_type", id(schema), names)
    cached = spec.cache.get(key)
    if cached is None:
        cached = spec.cache[key] = _Builder(spec, names).build(schema, top=True)
    return cached


class _Builder:
    def __init__(self, spec: ApiSpec, names: GoNames) -> None:
        self.spec = spec
        self.names = names
        self.structs: dict[str, GoType] = {}  # by component: recursive schemas end in the same object

    def build(self, node: Any, *, top: bool = False, component: str | None = None) -> GoType:
        if not isinstance(node, dict):
            return _ANY
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            built = self.build(self.spec.schemas.get(name, {}), top=top, component=name)
            if built.kind in ("string", "int", "bool", "float") and name in self.names.components:
                built = _renamed(built, self.names.components[name])  # a named Go type: mount.Type
            return built
        parts = node.get("allOf")
        if parts and len(parts) == 1 and "properties" not in node:  # a property that only names a component
            return self.build(parts[0], top=top, component=component)
        branches = node.get("anyOf") or node.get("oneOf")
        if branches:
            real = [b for b in branches if not (isinstance(b, dict) and b.get("enum") == [None])]
            return self.build(real[0], top=top, component=component) if len(real) == 1 else _ANY
        typ = node.get("type")
        if "allOf" in node or "properties" in node:
            return self._struct(node, top, component)
        if typ == "object":
            extra = node.get("additionalProperties")
            if isinstance(extra, dict):
                elem = self.build(extra)
                if extra.get("enum") == [{}]:  # map[string]struct{}: ExposedPorts, Volumes
                    elem = GoType("struct", "struct {}")
                return GoType("map", f"map[string]{elem.name}", elem=elem)
            return GoType("map", "map[string]interface {}", elem=_ANY)
        if typ == "array":
            elem = self.build(node.get("items"))
            return GoType("slice", f"[]{elem.name}", elem=elem)
        if typ == "string":
            return GoType("string", "string")
        if typ == "boolean":
            return GoType("bool", "bool")
        if typ == "integer":
            name, signed, bits = _INT_TYPES.get(node.get("format"), _INT_TYPES[None])
            return GoType("int", name, signed=signed, bits=bits)
        if typ == "number":
            return GoType("float", "float64")
        return _ANY

    def _struct(self, node: dict, top: bool, component: str | None) -> GoType:
        if component is not None and component in self.structs and not top:
            return self.structs[component]
        name = self.names.top if top else self.names.components.get(component or "", component or "struct {...}")
        struct = GoType("struct", name)
        if component is not None and not top:
            self.structs[component] = struct
        self._add_fields(struct, node, component, ())
        return struct

    def _add_fields(self, struct: GoType, node: dict, component: str | None, embedded: tuple[str, ...]) -> None:
        for part in node.get("allOf", []):
            # An allOf member that is a component is a Go embedded struct (Config in the create wrapper,
            # Resources in HostConfig): its fields are promoted, its name joins the error path from Go 1.24.
            if isinstance(part, dict) and "$ref" in part:
                ref = part["$ref"].rsplit("/", 1)[-1]
                go = self.names.components.get(ref, ref)
                self._add_fields(struct, self.spec.schemas.get(ref, {}), ref, (*embedded, go.rsplit(".", 1)[-1]))
            elif isinstance(part, dict):
                self._add_fields(struct, part, component, embedded)
        for prop, sub in node.get("properties", {}).items():
            typ = self.build(sub)
            go = self.names.fields.get((component or "", prop))
            if go == "strslice.StrSlice":
                typ = GoType("strslice", go)
            elif go == "map[string]string":  # a document that says otherwise is wrong (IPAM.Options up to 1.3x)
                typ = GoType("map", go, elem=GoType("string", "string"))
            elif go is not None:
                typ = _renamed(typ, go)
            f = GoField(prop, typ, embedded)
            struct.exact[prop] = f
            struct.fields.setdefault(prop.lower(), f)


def _renamed(typ: GoType, name: str) -> GoType:
    """``typ`` under another Go name; an integer's range follows the name (uint16, int64)."""
    for _format, (int_name, signed, bits) in _INT_TYPES.items():
        if int_name == name:
            return GoType("int", name, signed=signed, bits=bits)
    return GoType(typ.kind, name, typ.fields, typ.exact, typ.elem, typ.signed, typ.bits)


# --- decoding ------------------------------------------------------------------------------------------------


class _Num:
    """A JSON number as its literal: Go decides by the target type whether it fits."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class _Obj(list):
    """A JSON object as its (key, value) pairs in order, duplicates kept."""


def parse_value(data: bytes) -> Any:
    """One JSON value (known to be valid Go JSON) with numbers as literals and objects as pairs. Invalid UTF-8
    becomes U+FFFD, as Go's decoder replaces it."""
    return json.loads(data.decode("utf-8", "replace"), parse_int=_Num, parse_float=_Num, object_pairs_hook=_Obj)


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_whole(data: bytes) -> Any:
    """:func:`parse_value` for a body that is exactly one JSON value Go reads alike, the common case, nearer the C
    parser's speed (integers stay ints: their literal is their decimal form); ValueError for anything else (the Go scanner then finds the value and words the error). Python
    accepts NaN and Infinity, which Go does not; strict UTF-8 leaves the replacements to the slow path."""
    return json.loads(data.decode("utf-8"), parse_float=_Num, object_pairs_hook=_Obj, parse_constant=_not_json)


def plain(value: Any) -> Any:
    """A parsed value as ordinary Python data (last duplicate key wins, as in Go's map decoding)."""
    if isinstance(value, _Obj):
        return {_text(k): plain(v) for k, v in value}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, _Num):
        return _number(value.text)
    if isinstance(value, str):
        return _text(value)
    return value  # None, bools, ints


def _number(text: str) -> int | float:
    if _INT_LITERAL.fullmatch(text):
        return int(text)
    return float(text)


def _text(s: str) -> str:
    # A lone surrogate escape (\ud800) is U+FFFD in Go; Python would keep it and fail to encode it later.
    return s.encode("utf-16", "surrogatepass").decode("utf-16", "replace") if _SURROGATE.search(s) else s


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, _Num | int):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object" if isinstance(value, _Obj) else "array"


def go_unmarshal(value: Any, typ: GoType, names: GoNames) -> Any:
    """``value`` (from :func:`parse_value`) decoded into ``typ``; :class:`GoUnmarshalError` with Go's text for
    the first value of the wrong kind."""
    return _Decoder(names.field_path).decode(value, typ, None, (), present=None)


_ABSENT = object()


class _Decoder:
    def __init__(self, field_path: str) -> None:
        self.field_path = field_path
        self.embedded_in_path = field_path == "embedded"

    def fail(self, what: str, typ: GoType, struct: GoType | None, path: tuple[str, ...]) -> GoUnmarshalError:
        if struct is None or self.field_path == "value":
            return GoUnmarshalError(f"json: cannot unmarshal {what} into Go value of type {typ.name}")
        if self.field_path == "name":
            path = path[-1:]
        return GoUnmarshalError(f"json: cannot unmarshal {what} into Go struct field "
                                f"{struct.struct_name}.{'.'.join(path)} of type {typ.name}")

    def decode(self, value: Any, typ: GoType, struct: GoType | None, path: tuple[str, ...], present: Any) -> Any:
        """``present``: what the destination held before (null keeps it for scalars and value structs)."""
        if value is None:
            return present if typ.kind in ("string", "bool", "int", "float") else _ABSENT
        kind = typ.kind
        if kind == "any":
            return plain(value)
        if kind == "struct":
            return self._struct(value, typ, struct, path, present)
        if kind == "map":
            if not isinstance(value, _Obj):
                raise self.fail(_kind(value), typ, struct, path)
            out = dict(present) if isinstance(present, dict) else {}  # Go decodes into the map already there
            for key, item in value:
                decoded = self.decode(item, typ.elem, struct, path, None)  # type: ignore[arg-type]
                out[_text(key)] = _zero(typ.elem) if decoded is _ABSENT or decoded is None else decoded  # type: ignore[arg-type]
            return out
        if kind == "slice":
            if not isinstance(value, list) or isinstance(value, _Obj):
                raise self.fail(_kind(value), typ, struct, path)
            items = [self.decode(item, typ.elem, struct, path, None) for item in value]  # type: ignore[arg-type]
            return [_zero(typ.elem) if i is _ABSENT or i is None else i for i in items]  # type: ignore[arg-type]
        if kind == "strslice":
            # strslice.StrSlice.UnmarshalJSON: a list of strings, else one string; the error is the string attempt's
            if isinstance(value, list) and not isinstance(value, _Obj) and all(
                    v is None or isinstance(v, str) for v in value):
                return [_text(v) if v is not None else "" for v in value]
            if isinstance(value, str):
                return [_text(value)]
            raise self.fail(_kind(value), GoType("string", "string"), struct, path)
        return self._scalar(value, typ, struct, path)

    def _scalar(self, value: Any, typ: GoType, struct: GoType | None, path: tuple[str, ...]) -> Any:
        kind = typ.kind
        if kind == "string" and isinstance(value, str):
            return _text(value)
        if kind == "bool" and isinstance(value, bool):
            return value
        if isinstance(value, int) and not isinstance(value, bool) and kind in ("int", "float"):
            value = _Num(str(value))  # an integer from the fast parser: its literal is its decimal form
        if isinstance(value, _Num) and kind in ("int", "float"):
            if kind == "float":
                number = float(value.text)
                if number in (float("inf"), float("-inf")):
                    raise self.fail(f"number {value.text}", typ, struct, path)
                return number
            if _INT_LITERAL.fullmatch(value.text):
                number = int(value.text)
                low, high = (-(2 ** (typ.bits - 1)), 2 ** (typ.bits - 1) - 1) if typ.signed else (0, 2 ** typ.bits - 1)
                if low <= number <= high:
                    return number
            raise self.fail(f"number {value.text}", typ, struct, path)
        raise self.fail(_kind(value), typ, struct, path)

    def _struct(self, value: Any, typ: GoType, struct: GoType | None, path: tuple[str, ...], present: Any) -> Any:
        if not isinstance(value, _Obj):
            raise self.fail(_kind(value), typ, struct, path)
        out: dict[str, Any] = dict(present) if isinstance(present, dict) else {}
        for key, item in value:
            f = typ.exact.get(key) or typ.fields.get(key.lower())
            if f is None:
                continue  # Go ignores keys the struct does not have
            where = (*path, *(f.embedded if self.embedded_in_path else ()), f.name)
            decoded = self.decode(item, f.type, typ, where, out.get(f.name))
            if decoded is _ABSENT:
                out[f.name] = None  # a nil slice, map or pointer: unset, as the field would be without the key
            elif decoded is not None or f.name in out:
                out[f.name] = decoded
        return out


def _zero(typ: GoType) -> Any:
    """The zero value a null element decodes to: a struct's is an empty one (the documents' list items are value
    structs: []mount.Mount), a slice's or map's is nil."""
    return {} if typ.kind == "struct" else {"string": "", "bool": False, "int": 0, "float": 0.0}.get(typ.kind)
