"""Per-version flattened views: every field an operation reads or writes, under one key.

A view maps ``Key(method, path, location, name, status)`` to a ``Rec`` (type, enum, default,
required, nullable, deprecated). Names are dotted paths seen from the endpoint: references are
resolved, ``allOf`` is merged, array items and map values are transparent
(``HostConfig.Mounts.BindOptions.ReadOnlyNonRecursive``, ``NetworkSettings.Networks.GwPriority``).
Diffing two views is then a comparison of two dicts. Views of bundled versions are cached per
process; a shared schema is flattened once per version and reused by every operation reaching it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import specs
from specs.model import ApiSpec

# Locations on the request side (sent by the client) and on the response side (sent by the daemon).
REQUEST_LOCATIONS = ("endpoint", "query", "path", "header", "body")
RESPONSE_LOCATIONS = ("response", "response-header")


class Key(NamedTuple):
    method: str
    path: str
    location: str
    name: str
    status: str  # response status for response/response-header, '' otherwise


class Rec(NamedTuple):
    """What a view knows of one field; equality of two Recs means "no change"."""

    type: str
    enum: frozenset[str] | None  # JSON texts of the values: reordering is no change
    default: str | None  # JSON text of the default, None when there is none
    required: bool
    nullable: bool
    deprecated: bool


class Origin(NamedTuple):
    """Where a field is declared: a shared schema and the field's path inside it (not compared)."""

    schema: str
    path: str


ENDPOINT_REC = Rec("endpoint", None, None, False, False, False)


@dataclass
class View:
    version: str
    recs: dict[Key, Rec] = field(default_factory=dict)
    origins: dict[Key, Origin] = field(default_factory=dict)


def parent_key(key: Key) -> Key | None:
    """The field a key belongs to: an added parent swallows its added children."""
    if key.location == "endpoint":
        return None
    endpoint = Key(key.method, key.path, "endpoint", "", "")
    if key.name and "." in key.name:
        return key._replace(name=key.name.rsplit(".", 1)[0])
    if key.location in ("body", "response") and key.name:
        return key._replace(name="")
    if key.location == "response-header" and key.status:
        return Key(key.method, key.path, "response", "", key.status)
    return endpoint


# --- schema walking ------------------------------------------------------------------------------


class _Node(NamedTuple):
    """A schema reduced to what the view compares, with its children (relative names)."""

    type: str
    enum: frozenset[str] | None
    default: str | None
    nullable: bool
    deprecated: bool
    children: tuple[tuple[str, Rec, Origin], ...]  # (relative dotted name, rec, origin)


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


class _Flattener:
    def __init__(self, spec: ApiSpec) -> None:
        self.schemas = spec.schemas
        self.memo: dict[str, _Node] = {}
        self.in_progress: set[str] = set()

    def ref(self, ref: str) -> _Node:
        name = ref.rsplit("/", 1)[-1]
        node = self.memo.get(name)
        if node is not None:
            return node
        if name in self.in_progress or name not in self.schemas:  # a cycle: cut to "anything"
            return _Node("object", None, None, False, False, ())
        self.in_progress.add(name)
        try:
            node = self.node(self.schemas[name], name, "")
        finally:
            self.in_progress.discard(name)
        self.memo[name] = node
        return node

    def node(self, schema: Any, owner: str, at: str) -> _Node:
        """Reduce one schema; ``owner``/``at`` name the shared schema (and path in it) declaring it."""
        if not isinstance(schema, dict):
            return _Node("", None, None, False, False, ())
        if "$ref" in schema:
            return self.ref(schema["$ref"])
        nullable = bool(schema.get("nullable"))
        deprecated = bool(schema.get("deprecated"))
        default = _json(schema["default"]) if "default" in schema else None
        variants = schema.get("anyOf") or schema.get("oneOf")
        if variants:
            real = [v for v in variants if not (isinstance(v, dict) and v.get("enum") == [None])]
            nullable = nullable or len(real) < len(variants)
            inner = [self.node(v, owner, at) for v in real]
            base = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
            if len(inner) == 1 and not base.get("type") and not base.get("allOf"):
                n = inner[0]
                return n._replace(
                    nullable=nullable or n.nullable,
                    deprecated=deprecated or n.deprecated,
                    default=default if default is not None else n.default,
                )
            # type: [array, string] (Cmd in old documents): one field, several types.
            typ = "|".join(sorted(n.type for n in inner))
            children = tuple(c for n in inner for c in n.children)
            return _Node(typ, None, default, nullable, deprecated, _dedupe(children))
        if "allOf" in schema:
            return self.merged(schema, owner, at, nullable, deprecated, default)
        typ = schema.get("type", "")
        enum = frozenset(_json(v) for v in schema["enum"]) if "enum" in schema else None
        if typ == "array" or "items" in schema:
            item = self.node(schema.get("items", {}), owner, at)
            return _Node(
                f"array[{item.type}]", enum if enum is not None else item.enum,
                default, nullable, deprecated, item.children,
            )
        props = schema.get("properties")
        addl = schema.get("additionalProperties")
        if isinstance(addl, dict) and addl and not props:
            value = self.node(addl, owner, at)
            return _Node(f"map[{value.type}]", value.enum, default, nullable, deprecated, value.children)
        if props or typ == "object":
            required = set(schema.get("required", ()))
            children = self.properties(props or {}, required, owner, at)
            return _Node("object", enum, default, nullable, deprecated, children)
        fmt = schema.get("format")
        if fmt:
            typ = f"{typ}({fmt})"
        return _Node(typ, enum, default, nullable, deprecated, ())

    def properties(self, props: dict[str, Any], required: set[str], owner: str, at: str) -> tuple:
        out: list[tuple[str, Rec, Origin]] = []
        for prop, sub in props.items():
            here = f"{at}.{prop}" if at else prop
            inner_owner, inner_at = owner, here
            if isinstance(sub, dict) and "$ref" in sub:
                inner_owner, inner_at = sub["$ref"].rsplit("/", 1)[-1], ""
            n = self.node(sub, inner_owner, inner_at)
            out.append((prop, Rec(n.type, n.enum, n.default, prop in required, n.nullable, n.deprecated), Origin(owner, here)))
            out.extend((f"{prop}.{name}", rec, origin) for name, rec, origin in n.children)
        return tuple(out)

    def merged(self, schema: dict, owner: str, at: str, nullable: bool, deprecated: bool, default: str | None) -> _Node:
        """``allOf``: one object whose properties and required lists unite, later members win."""
        own = {k: v for k, v in schema.items() if k not in ("allOf", "nullable", "deprecated", "default", "example")}
        parts = [*schema["allOf"], *([own] if own else [])]
        types: list[str] = []
        enum = None
        children: dict[str, tuple[Rec, Origin]] = {}
        for part in parts:
            n = self.node(part, owner, at)
            if n.type:
                types.append(n.type)
            enum = n.enum if n.enum is not None else enum
            nullable = nullable or n.nullable
            deprecated = deprecated or n.deprecated
            default = default if default is not None else n.default
            for name, rec, origin in n.children:
                children[name] = (rec, origin)
        # A member may require a property another member declares.
        for name in schema.get("required", ()):
            if name in children and not children[name][0].required:
                rec, origin = children[name]
                children[name] = (rec._replace(required=True), origin)
        typ = next((t for t in types if t != "object"), "object" if types or children else "")
        flat = tuple((name, rec, origin) for name, (rec, origin) in children.items())
        return _Node(typ, enum, default, nullable, deprecated, flat)


def _dedupe(children: tuple) -> tuple:
    seen: dict[str, tuple] = {}
    for c in children:
        seen.setdefault(c[0], c)
    return tuple(seen.values())


# --- building a view -----------------------------------------------------------------------------


def build_view(spec: ApiSpec) -> View:
    """Flatten every operation of one document."""
    fl = _Flattener(spec)
    view = View(spec.version)
    recs, origins = view.recs, view.origins

    def put(key: Key, rec: Rec, origin: Origin | None = None) -> None:
        recs[key] = rec
        if origin is not None and origin.schema:
            origins[key] = origin

    def put_tree(m: str, p: str, loc: str, status: str, n: _Node, required: bool, root_origin: Origin | None) -> None:
        put(Key(m, p, loc, "", status), Rec(n.type, n.enum, n.default, required, n.nullable, n.deprecated), root_origin)
        for name, rec, origin in n.children:
            put(Key(m, p, loc, name, status), rec, origin)

    for op in spec.operations:
        m, p = op.method, op.path
        put(Key(m, p, "endpoint", "", ""), ENDPOINT_REC._replace(deprecated=op.deprecated))
        header_params = set()
        for param in op.parameters:
            loc = param["in"]
            if loc == "header":
                header_params.add(param["name"].lower())
            n = fl.node(param.get("schema", {}), "", "")
            rec = Rec(n.type, n.enum, n.default, bool(param.get("required")), n.nullable,
                      bool(param.get("deprecated")) or n.deprecated)
            put(Key(m, p, loc, param["name"], ""), rec)
        body = op.request_body
        schema = op.request_schema()
        if body is not None:
            origin = Origin(schema["$ref"].rsplit("/", 1)[-1], "") if isinstance(schema, dict) and "$ref" in schema else None
            n = fl.node(schema or {}, origin.schema if origin else "", "")
            if body.get("x-deprecated"):
                n = n._replace(deprecated=True)
            put_tree(m, p, "body", "", n, bool(body.get("required")), origin)
            if "content-type" not in header_params:
                put(Key(m, p, "header", "Content-Type", ""), Rec("string", frozenset(_json(c) for c in op.consumes), None, False, False, False))
        for status, resp in op.responses.items():
            content = resp.get("content", {})
            rschema = None
            for mime in ("application/json", *content):
                if mime in content and "schema" in content[mime]:
                    rschema = content[mime]["schema"]
                    break
            origin = Origin(rschema["$ref"].rsplit("/", 1)[-1], "") if isinstance(rschema, dict) and "$ref" in rschema else None
            n = fl.node(rschema, origin.schema if origin else "", "") if rschema is not None else _Node("none", None, None, False, False, ())
            put_tree(m, p, "response", status, n, False, origin)
            for hname, header in resp.get("headers", {}).items():
                hn = fl.node(header.get("schema", {}), "", "")
                put(Key(m, p, "response-header", hname, status),
                    Rec(hn.type, hn.enum, hn.default, False, hn.nullable, bool(header.get("deprecated")) or hn.deprecated))
        # The content types the operation may answer with: a daemon's new Content-Type is a change.
        put(Key(m, p, "response-header", "Content-Type", ""), Rec("string", frozenset(_json(c) for c in op.produces), None, False, False, False))
    return view


@cache
def _bundled_view(version: str) -> View:
    return build_view(specs.load(version))


_file_views: dict[tuple[str, float], View] = {}


def _looks_like_path(text: str) -> bool:
    """A reference meant as a file (a separator or a document suffix), not a mistyped version."""
    return "/" in text or "\\" in text or text.endswith((".yaml", ".yml", ".json", ".gz"))


def view_for(ref: str | Path) -> View:
    """The view of a bundled version ("1.44") or of a user's spec file (cached per process)."""
    text = str(ref)
    try:
        specs.parse_version(text)
    except specs.InvalidVersion:
        path = Path(text)
        if not path.exists():
            if _looks_like_path(text):
                raise FileNotFoundError(f"{text}: no such spec file (give an API version like 1.41 or a spec file)") from None
            raise
        if path.is_dir():
            raise IsADirectoryError(f"{text}: is a directory, not a spec file") from None
        stamp = (str(path.resolve()), path.stat().st_mtime)
        if stamp not in _file_views:
            spec = specs.load_file(path)
            view = build_view(spec)
            view.version = spec.version or path.name
            _file_views[stamp] = view
        return _file_views[stamp]
    return _bundled_view(specs.normalize(text))
