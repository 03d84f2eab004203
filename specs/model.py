"""One API version's document as objects: operations, path matching, schema resolution."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

HTTP_METHODS = ("get", "head", "post", "put", "delete", "patch", "options")
_PARAM = re.compile(r"\{([^}]+)\}")


@dataclass(frozen=True, eq=False)
class Operation:
    """One (method, path template) of one API version."""

    method: str  # upper case
    path: str  # template, e.g. /containers/{id}/json
    operation_id: str
    raw: dict[str, Any] = field(repr=False)

    @property
    def parameters(self) -> list[dict[str, Any]]:
        return self.raw.get("parameters", [])

    def parameters_in(self, location: str) -> dict[str, dict[str, Any]]:
        return {p["name"]: p for p in self.parameters if p["in"] == location}

    @property
    def request_body(self) -> dict[str, Any] | None:
        return self.raw.get("requestBody")

    @property
    def responses(self) -> dict[str, Any]:
        return self.raw.get("responses", {})

    @property
    def produces(self) -> list[str]:
        return self.raw.get("x-produces", ["application/json"])

    @property
    def consumes(self) -> list[str]:
        return self.raw.get("x-consumes", ["application/json"])

    @property
    def deprecated(self) -> bool:
        return bool(self.raw.get("deprecated"))

    @property
    def takes_json(self) -> bool:
        """Whether the operation's body may be JSON (some take tars or nothing)."""
        return "application/json" in (self.request_body or {}).get("content", {})

    def request_schema(self) -> dict[str, Any] | None:
        """The schema of the JSON request body, if the operation takes one."""
        body = self.request_body
        if not body:
            return None
        content = body.get("content", {})
        for mime in ("application/json", *content):
            if mime in content and "schema" in content[mime]:
                return content[mime]["schema"]
        return None

    def response_schema(self, status: int | str) -> dict[str, Any] | None:
        resp = self.responses.get(str(status)) or self.responses.get("default")
        if not resp:
            return None
        content = resp.get("content", {})
        for mime in ("application/json", *content):
            if mime in content and "schema" in content[mime]:
                return content[mime]["schema"]
        return None


class _Route:
    __slots__ = ("template", "regex", "params", "literal_len")

    def __init__(self, template: str) -> None:
        self.template = template
        self.params = _PARAM.findall(template)
        # dockerd's router declares its ids as {name:.*}: a name may hold slashes (image references).
        pattern = _PARAM.sub(lambda m: f"(?P<{_group(m.group(1))}>.+)", re.escape(template).replace(r"\{", "{").replace(r"\}", "}"))
        self.regex = re.compile(f"^{pattern}$")
        self.literal_len = len(_PARAM.sub("", template))


def _group(name: str) -> str:
    return re.sub(r"\W", "_", name)


class ApiSpec:
    """An OpenAPI 3 document of the Docker Engine API for one version."""

    def __init__(self, doc: dict[str, Any], source: str = "") -> None:
        self.doc = doc
        self.version: str = str(doc.get("info", {}).get("version", ""))
        self.source = source
        # Things derived from the document and built lazily by their users (compiled validators).
        self.cache: dict[str, Any] = {}
        self.operations: list[Operation] = []
        self._by_key: dict[tuple[str, str], Operation] = {}
        self._by_id: dict[str, Operation] = {}
        for path, item in doc.get("paths", {}).items():
            for method, raw in item.items():
                if method not in HTTP_METHODS:
                    continue
                if "parameters" in item:  # path-level parameters apply to every operation
                    raw = {**raw, "parameters": [*item["parameters"], *raw.get("parameters", [])]}
                op = Operation(method.upper(), path, raw.get("operationId", f"{method} {path}"), raw)
                self.operations.append(op)
                self._by_key[(op.method, path)] = op
                self._by_id[op.operation_id] = op
        # Literal segments win over parameters: /images/json before /images/{name}/json.
        routes = [_Route(path) for path in doc.get("paths", {})]
        self._routes = sorted(routes, key=lambda r: (len(r.params), -r.literal_len, r.template))

    def __repr__(self) -> str:
        return f"<ApiSpec {self.version} {len(self.operations)} operations>"

    @property
    def schemas(self) -> dict[str, Any]:
        return self.doc.get("components", {}).get("schemas", {})

    def operation(self, method: str, template: str) -> Operation | None:
        return self._by_key.get((method.upper(), template))

    def operation_by_id(self, operation_id: str) -> Operation | None:
        return self._by_id.get(operation_id)

    def match_path(self, path: str) -> list[tuple[str, dict[str, str]]]:
        """Every template a concrete path (no version prefix, no query) fits, most specific first."""
        found = []
        for route in self._routes:
            m = route.regex.match(path)
            if m:
                found.append((route.template, {p: m.group(_group(p)) for p in route.params}))
        return found

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        """The operation a concrete request hits, with its path parameters, or None."""
        method = method.upper()
        for template, params in self.match_path(path):
            op = self._by_key.get((method, template))
            if op is not None:
                return op, params
        return None

    # --- schemas -------------------------------------------------------------------------

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        """Follow a local ``$ref`` (repeatedly) to the schema it names."""
        seen = 0
        while isinstance(node, dict) and "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            node = self.schemas[name]
            seen += 1
            if seen > 50:
                raise ValueError(f"reference cycle at {name}")
        return node

    def flatten(self, node: Any) -> Any:
        """A self-contained copy of a schema: refs inlined, ``allOf`` merged into one object.

        A recursive reference is cut to ``{}`` (anything) at its second appearance on a branch.
        """
        return _flatten(self, node, ())


def _flatten(spec: ApiSpec, node: Any, stack: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_flatten(spec, n, stack) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name in stack:
            return {}
        return _flatten(spec, spec.schemas[name], (*stack, name))
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("example", "default", "enum", "x-example"):
            out[key] = value
        elif key == "allOf":
            continue
        elif key == "properties":
            out[key] = {k: _flatten(spec, v, stack) for k, v in value.items()}
        else:
            out[key] = _flatten(spec, value, stack)
    for part in node.get("allOf", []):
        merge_into(out, _flatten(spec, part, stack))
    return out


def merge_into(target: dict[str, Any], part: dict[str, Any]) -> None:
    """Merge one ``allOf`` member into the schema being built (properties and required unite)."""
    for key, value in part.items():
        if key == "properties":
            props = target.setdefault("properties", {})
            for name, sub in value.items():
                props[name] = sub if name not in props else {**props[name], **sub}
        elif key == "required":
            target["required"] = sorted(set(target.get("required", [])) | set(value))
        elif key not in target:
            target[key] = value
