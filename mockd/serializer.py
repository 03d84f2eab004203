"""The one serializer: full domain objects -> what dockerd puts on the wire at a requested version.

dockerd does *not* trim responses to the requested version's schema (20.10 returns ``CgroupVersion``,
defined from 1.41, at ``/v1.25/info``). It hides or adapts specific fields for specific versions.
Those rules live in :data:`RULES`, one row each, applied here and nowhere else: handlers build the
full, newest object and call ``ctx.serialize(obj)``.

A rule's ``root`` is a component schema name (applied wherever a response is, or lists, that
schema) or an operationId; ``field`` is a dotted path under it (``*`` for every array item or map
value). ``since``/``before`` bound the requested versions the rule applies to.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mockd.versioning import less_than
from specs.model import ApiSpec, Operation


@dataclass(frozen=True)
class Rule:
    root: str
    field: str
    action: str  # "hide": drop the field; "adapt": replace it with adapt(value)
    since: str | None = None  # applies at requested versions >= since
    before: str | None = None  # applies at requested versions < before
    why: str = ""
    adapt: Callable[[Any], Any] | None = None

    def applies(self, version: str) -> bool:
        if self.since and less_than(version, self.since):
            return False
        return not (self.before and not less_than(version, self.before))


RULES: tuple[Rule, ...] = (
    Rule("ImageInspect", "VirtualSize", "hide", since="1.44", why="deprecated, omitted from API 1.44 (Engine 25)"),
    Rule("ImageSummary", "VirtualSize", "hide", since="1.44", why="deprecated, omitted from API 1.44 (Engine 25)"),
    Rule("SystemInfo", "ContainerdCommit.Expected", "hide", since="1.49", why="deprecated, omitted from API 1.49 (Engine 28.1)"),
    Rule("SystemInfo", "RuncCommit.Expected", "hide", since="1.49", why="deprecated, omitted from API 1.49 (Engine 28.1)"),
    Rule("SystemInfo", "InitCommit.Expected", "hide", since="1.49", why="deprecated, omitted from API 1.49 (Engine 28.1)"),
    Rule("SystemInfo", "RegistryConfig.AllowNondistributableArtifactsCIDRs", "hide", since="1.49",
         why="always empty, omitted from API 1.49 (Engine 28.1)"),
    Rule("SystemInfo", "RegistryConfig.AllowNondistributableArtifactsHostnames", "hide", since="1.49",
         why="always empty, omitted from API 1.49 (Engine 28.1)"),
    Rule("ImageInspect", "Container", "hide", since="1.45", why="deprecated, omitted from API 1.45 (Engine 26)"),
    Rule("ImageInspect", "ContainerConfig", "hide", since="1.45", why="deprecated, omitted from API 1.45 (Engine 26)"),
)


def _roots(spec: ApiSpec, op: Operation, status: int) -> list[tuple[str, tuple[str, ...]]]:
    """Names a response can be addressed by in RULES: its operationId, and the component schema
    it is (or lists), with the path prefix that reaches it."""
    roots: list[tuple[str, tuple[str, ...]]] = [(op.operation_id, ())]
    schema = op.response_schema(status)
    if isinstance(schema, dict):
        if "$ref" in schema:
            roots.append((schema["$ref"].rsplit("/", 1)[-1], ()))
        elif schema.get("type") == "array" and "$ref" in schema.get("items", {}):
            roots.append((schema["items"]["$ref"].rsplit("/", 1)[-1], ("*",)))
    return roots


def _apply(node: Any, parts: tuple[str, ...], rule: Rule) -> None:
    if not parts:
        return
    head, rest = parts[0], parts[1:]
    if head == "*":
        children = node if isinstance(node, list) else list(node.values()) if isinstance(node, dict) else []
        for child in children:
            _apply(child, rest, rule)
        return
    if not isinstance(node, dict) or head not in node:
        return
    if rest:
        _apply(node[head], rest, rule)
    elif rule.action == "hide":
        del node[head]
    elif rule.action == "adapt" and rule.adapt is not None:
        node[head] = rule.adapt(node[head])


def _copy(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _copy(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_copy(v) for v in obj]
    return obj


def serialize(obj: Any, *, spec: ApiSpec, version: str, target: Operation | str, status: int = 200,
              rules: tuple[Rule, ...] = RULES) -> Any:
    """``obj`` as dockerd answers it at ``version``: a copy with the version rules applied.

    ``target`` is the Operation the object answers (its response schema at ``status``) or a
    component schema name (for objects inside streams, e.g. events)."""
    if isinstance(target, str):
        roots = [(target, ())]
    else:
        roots = _roots(spec, target, status)
    out = _copy(obj)
    for rule in rules:
        for name, prefix in roots:
            if rule.root == name and rule.applies(version):
                _apply(out, (*prefix, *rule.field.split(".")), rule)
    return out


def dumps(obj: Any) -> bytes:
    """Go's json.Encoder output: compact, HTML characters escaped, newline-terminated."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n").encode()
