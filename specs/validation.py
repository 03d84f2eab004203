"""Request and response checks against one version's document, with the wire profile on top.

Validators are compiled lazily with jsonschema-rs, once per (version, operation), and kept on the
``ApiSpec``. Two variants of every schema are compiled from the flattened document, both closed
(``additionalProperties: false`` wherever an object lists its properties and says nothing of
others), because a field that does not exist in the version is the skew finding that matters most
and openapi-core cannot see it:

- ``strict``: the document as written;
- ``loose``: the same, with the wire profile applied (nulls for Go nil values, ``""`` enums,
  CLI sentinels).

A strict error that the loose schema does not repeat is known looseness (``wire-profile``);
a loose error is genuine (``spec``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import jsonschema_rs

from specs.findings import Finding
from specs.model import ApiSpec, Operation
from specs.wire import (
    CANONICAL_BOOLS,
    CLIENT_EXTRAS,
    HIJACKED_OPERATIONS,
    MISDECLARED_QUERY_TYPES,
    PYTHON_BOOLS,
    SWARM_ROOTS,
    loosen_schema,
)

NO_BODY: Any = type("NoBody", (), {"__repr__": lambda self: "NO_BODY"})()

_OPENAPI_ONLY = {"nullable", "deprecated", "example", "discriminator", "readOnly", "writeOnly", "xml", "externalDocs", "format"}


def to_json_schema(node: Any, *, loose: bool, prop: str = "") -> Any:
    """A flattened OpenAPI 3.0 schema -> a closed JSON Schema jsonschema-rs compiles (nullable as a type)."""
    if not isinstance(node, dict):
        return node
    # anyOf [X, {nullable, enum:[null]}] (a nullable $ref) is X that also takes null: folding it
    # keeps errors precise (an anyOf error would hide which field inside X is wrong).
    branches = node.get("anyOf")
    if branches and len(branches) == 2 and any(_is_null_branch(b) for b in branches):
        real = next(b for b in branches if not _is_null_branch(b))
        rest = {k: v for k, v in node.items() if k != "anyOf"}
        merged = {**real, **rest, "nullable": True}
        return to_json_schema(merged, loose=loose, prop=prop)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _OPENAPI_ONLY or key.startswith("x-"):
            continue
        if key == "properties":
            out[key] = {name: to_json_schema(sub, loose=loose, prop=name) for name, sub in value.items()}
        elif key in ("items", "not"):
            out[key] = to_json_schema(value, loose=loose)
        elif key == "additionalProperties":
            out[key] = to_json_schema(value, loose=loose) if isinstance(value, dict) else value
        elif key in ("anyOf", "oneOf", "allOf"):
            out[key] = [to_json_schema(sub, loose=loose) for sub in value]
        else:
            out[key] = value
    typ = node.get("type")
    if "properties" in node and "additionalProperties" not in node:
        out["additionalProperties"] = False
    nullable = bool(node.get("nullable"))
    if loose and loosen_schema(node, out, prop):
        nullable = True
    if nullable:
        typ = out.get("type", typ)  # the profile may have widened it
        if typ is not None:
            out["type"] = [typ, "null"] if isinstance(typ, str) else [*typ, "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def _is_null_branch(node: Any) -> bool:
    return isinstance(node, dict) and node.get("enum") == [None]


class _Compiled:
    """The strict and loose validators of one schema."""

    __slots__ = ("strict", "loose")

    def __init__(self, spec: ApiSpec, schema: dict[str, Any]) -> None:
        flat = spec.flatten(schema)
        self.strict = jsonschema_rs.Draft7Validator(to_json_schema(flat, loose=False))
        self.loose = jsonschema_rs.Draft7Validator(to_json_schema(flat, loose=True))


def _compiled(spec: ApiSpec, key: tuple[Any, ...], schema: dict[str, Any]) -> _Compiled:
    cache = spec.cache.setdefault("validators", {})
    found = cache.get(key)
    if found is None:
        found = cache[key] = _Compiled(spec, schema)
    return found


def _field_name(schema_path: Iterable[Any], instance_path: Iterable[Any]) -> str:
    """Dotted field name of an error: properties by name, array items and map values transparent."""
    tokens = list(schema_path)[:-1]  # the last token is the failing keyword itself
    names: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok == "properties" and i + 1 < len(tokens):
            names.append(str(tokens[i + 1]))
            i += 2
            continue
        i += 1
    if not names:  # fall back on the instance path without indices
        names = [str(p) for p in instance_path if not isinstance(p, int)]
    return ".".join(names)


def _errors(validator: Any, instance: Any) -> list[tuple[str, str, str]]:
    """(kind, field name, message) for every error."""
    out = []
    for err in validator.iter_errors(instance):
        kind = err.kind
        kind_name = type(kind).__name__
        name = _field_name(err.schema_path, err.instance_path)
        if kind_name == "AdditionalProperties":
            for unexpected in kind.unexpected:
                out.append(("unknown-field", f"{name}.{unexpected}" if name else unexpected,
                            f"{unexpected!r} is not defined here by this version's document"))
        elif kind_name == "Required":
            out.append(("missing-required", f"{name}.{kind.property}" if name else kind.property, err.message))
        elif kind_name == "Type":
            out.append(("null-value" if err.instance is None else "wrong-type", name, err.message))
        elif kind_name == "Enum":
            out.append(("enum-mismatch", name, err.message))
        else:
            out.append(("schema-violation", name, err.message))
    return out


_KIND_SEVERITY = {
    "unknown-field": "warning",
    "missing-required": "error",
    "wrong-type": "error",
    "null-value": "warning",
    "enum-mismatch": "warning",
    "schema-violation": "warning",
}


def _validate(
    compiled: _Compiled, instance: Any, *, spec: ApiSpec, op: Operation, location: str, unknown_kind: str,
) -> list[Finding]:
    strict = _errors(compiled.strict, instance)
    if not strict:
        return []
    loose = _errors(compiled.loose, instance)
    genuine = {(k, n) for k, n, _ in loose}
    findings = []
    for kind, name, message in loose:
        known = CLIENT_EXTRAS.get((op.operation_id, location, name)) if kind == "unknown-field" else None
        findings.append(Finding(
            kind="known-client-extra" if known else unknown_kind if kind == "unknown-field" else kind,
            severity="info" if known else _KIND_SEVERITY[kind],  # type: ignore[arg-type]
            api_version=spec.version, method=op.method, path=op.path, location=location, name=name,
            detail=f"{message}; sent by {known}" if known else message, source="wire-profile" if known else "spec",
        ))
    for kind, name, message in strict:
        if (kind, name) in genuine:
            continue
        findings.append(Finding(
            kind=kind, severity="info", api_version=spec.version, method=op.method, path=op.path,
            location=location, name=name, detail=message, source="wire-profile",
        ))
    return findings


# --- requests ----------------------------------------------------------------------------------


def check_request(
    spec: ApiSpec, op: Operation, query: Mapping[str, list[str]] | None = None, body: Any = NO_BODY,
) -> list[Finding]:
    """Findings for one request: query parameters and the JSON body, against ``spec``."""
    findings = check_query(spec, op, query or {})
    schema = op.request_schema()
    if body is not NO_BODY and schema is not None and op.takes_json:
        findings += _validate(
            _compiled(spec, ("request", op.method, op.path), schema), body,
            spec=spec, op=op, location="body", unknown_kind="unknown-field",
        )
    elif body is NO_BODY and op.request_body and op.request_body.get("required") and op.takes_json:
        findings.append(Finding(
            kind="missing-required", severity="warning", api_version=spec.version, method=op.method, path=op.path,
            location="body", name="", detail="the operation requires a body", source="spec",
        ))
    return findings


def check_query(spec: ApiSpec, op: Operation, query: Mapping[str, list[str]]) -> list[Finding]:
    if not query:
        return _query_findings(spec, op, ())  # only the missing-required checks
    return _query_findings(spec, op, tuple((name, tuple(values)) for name, values in query.items()))


def _query_findings(spec: ApiSpec, op: Operation, query: tuple[tuple[str, tuple[str, ...]], ...]) -> list[Finding]:
    # Clients repeat the same few queries thousands of times: the findings (frozen) of each are kept.
    return list(_query_findings_of(spec, op, query))


@lru_cache(maxsize=4096)  # operations hash by identity and live as long as their (cached) document
def _query_findings_of(spec: ApiSpec, op: Operation, items: tuple[tuple[str, tuple[str, ...]], ...],
                       ) -> tuple[Finding, ...]:
    return tuple(_check_query(spec, op, {name: list(values) for name, values in items}))


def _check_query(spec: ApiSpec, op: Operation, query: Mapping[str, list[str]]) -> list[Finding]:
    params = op.parameters_in("query")
    findings: list[Finding] = []

    def add(kind: str, severity: str, name: str, detail: str, source: str = "spec") -> None:
        findings.append(Finding(
            kind=kind, severity=severity, api_version=spec.version, method=op.method,  # type: ignore[arg-type]
            path=op.path, location="query", name=name, detail=detail, source=source,  # type: ignore[arg-type]
        ))

    def add_problem(name: str, problem: tuple[str, str, str] | None) -> None:
        if problem:
            kind, severity, detail = problem
            real = MISDECLARED_QUERY_TYPES.get((op.operation_id, name))
            if kind == "wrong-type" and real is not None:
                add("misdeclared-query-type", "info", name, f"{detail}; the document mistypes it (really {real})",
                    "wire-profile")
                return
            add(kind, severity, name, detail, "wire-profile" if kind == "python-bool-query" else "spec")

    for name, values in query.items():
        param = params.get(name)
        if param is None:
            known = CLIENT_EXTRAS.get((op.operation_id, "query", name))
            if known:
                add("known-client-extra", "info", name, f"not a parameter at {spec.version}; sent by {known}", "wire-profile")
            else:
                add("unknown-query-parameter", "warning", name, f"{name} is not a query parameter of {op.operation_id} at {spec.version}")
            continue
        schema = param.get("schema", {})
        typ = schema.get("type")
        if typ == "array":
            fmt = param.get("x-collection-format", "csv")
            if len(values) > 1 and fmt != "multi":
                add("repeated-array-query", "info", name, f"sent as repeated keys; the document declares {fmt}", "wire-profile")
            items = values[0].split(",") if len(values) == 1 and fmt == "csv" else values
            for value in items:
                add_problem(name, _scalar_problem(schema.get("items", {}), value))
            continue
        if len(values) > 1:
            add("repeated-query-parameter", "info", name, f"{len(values)} values; dockerd reads the first")
        add_problem(name, _scalar_problem(schema, values[0]))
    for name, param in params.items():
        if param.get("required") and name not in query:
            add("missing-required", "error", name, f"required query parameter {name} is missing")
    return findings


def _scalar_problem(schema: Mapping[str, Any], value: str) -> tuple[str, str, str] | None:
    typ = schema.get("type")
    if typ == "boolean":
        if value in CANONICAL_BOOLS:
            return None
        if value in PYTHON_BOOLS:
            return ("python-bool-query", "info", f"{value!r}: a Python-style boolean")
        return ("wrong-type", "warning", f"{value!r} is not a boolean (dockerd reads it as true)")
    if typ == "integer":
        try:
            int(value)
        except ValueError:
            return ("wrong-type", "error", f"{value!r} is not an integer")
    elif typ == "number":
        try:
            float(value)
        except ValueError:
            return ("wrong-type", "error", f"{value!r} is not a number")
    if "enum" in schema and value not in schema["enum"] and value != "":
        return ("enum-mismatch", "warning", f"{value!r} is not one of {schema['enum']}")
    return None


# --- responses ---------------------------------------------------------------------------------


def check_response(spec: ApiSpec, op: Operation, status: int, content_type: str | None, body: Any = NO_BODY) -> list[Finding]:
    """Findings for one response: status, content type and JSON body, against ``spec``."""
    findings: list[Finding] = []

    def add(kind: str, severity: str, location: str, name: str, detail: str) -> None:
        findings.append(Finding(
            kind=kind, severity=severity, api_version=spec.version, method=op.method,  # type: ignore[arg-type]
            path=op.path, location=location, name=name, detail=detail, source="spec",
        ))

    response = op.responses.get(str(status)) or op.responses.get("default")
    if status == 101 and op.operation_id in HIJACKED_OPERATIONS:
        return findings
    if response is None and status == 503 and op.path.split("/")[1] in SWARM_ROOTS:
        findings.append(Finding(
            kind="undocumented-status", severity="info", api_version=spec.version, method=op.method, path=op.path,
            location="response", name="", detail="503 outside a swarm, as dockerd; not listed by this document",
            source="wire-profile",
        ))
        return findings
    if response is None:
        add("undocumented-status", "warning", "response", "", f"status {status} is not documented (documented: {sorted(op.responses)})")
        return findings
    mime = (content_type or "").split(";")[0].strip().lower()
    declared = set(response.get("content", {})) | set(op.produces)
    if mime and declared and mime not in declared and status < 400:
        add("undocumented-content-type", "warning", "response-header", "Content-Type", f"{mime} is not among {sorted(declared)}")
    schema = op.response_schema(status)
    if schema is not None and body is not NO_BODY and mime in ("application/json", ""):
        findings += _validate(
            _compiled(spec, ("response", op.method, op.path, str(status)), schema), body,
            spec=spec, op=op, location="response", unknown_kind="undocumented-field",
        )
    return findings
