"""What the rules of ``checker.client.rules`` share: one request as the target daemon sees it
(:class:`Ctx`), and how the values and field names of what it sent are read."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import specs
from checker.client.model import Exchange
from checker.client.targets import Target
from checker.flatten import Key
from specs.findings import Finding
from specs.model import ApiSpec, Operation
from specs.releases import dockerd_key
from specs.validation import NO_BODY

_PREFIX = re.compile(r"^/v([0-9.]+)(/.*)$")


def split_prefix(path: str) -> tuple[str | None, str]:
    """dockerd's router: ``/v{version:[0-9.]+}/...``; anything else is unprefixed."""
    m = _PREFIX.match(path)
    return (m.group(1), m.group(2)) if m else (None, path)


def document_for(version: str) -> ApiSpec:
    """The bundled document a request at ``version`` is checked against (the nearest older one;
    below the oldest, the oldest), as mockd does."""
    best = specs.versions()[0]
    for v in specs.versions():
        if dockerd_key(v) <= dockerd_key(version):
            best = v
    return specs.load(best)


@dataclass
class Ctx:
    """One request as the target daemon sees it."""

    target: Target
    exchange: Exchange
    requested: str | None  # the URL prefix, None when unprefixed
    rest: str  # the path without the prefix
    sent: str  # the version it is served at: the prefix, or the daemon's max
    server_op: Operation | None = None  # the route at the daemon's own version
    sent_spec: ApiSpec | None = None
    sent_op: Operation | None = None  # the operation at the version sent
    stop: bool = False
    findings: list[Finding] = field(default_factory=list)

    @property
    def template(self) -> str | None:
        op = self.sent_op or self.server_op
        return op.path if op else None

    def finding(self, kind: str, severity: str, location: str, name: str, detail: str, *,
                hazard: str | None = None, source: str = "spec", **facts: Any) -> Finding:
        op = self.sent_op or self.server_op
        extra: dict[str, Any] = {
            "server": self.target.label, "server_api": self.target.api, "sent_version": self.sent,
            "request": self.exchange.ref(self.template), **{k: v for k, v in facts.items() if v is not None},
        }
        return Finding(kind=kind, severity=severity, api_version=self.target.api,  # type: ignore[arg-type]
                       method=self.exchange.method, path=op.path if op else self.rest, location=location, name=name,
                       detail=detail, source=source, hazard=hazard, extra=extra)  # type: ignore[arg-type]


def is_empty(value: Any) -> bool:
    """A Go zero value: what a client sends for "not set" (0, "", false, null, [], {})."""
    return value in (None, 0, "", False) or value == [] or value == {}


def _body_value(body: Any, name: str) -> Any:
    """The value(s) of a dotted field in a JSON body, arrays and maps transparent (first found)."""
    values = list(_walk_values(body, name.split(".") if name else []))
    non_empty = [v for v in values if not is_empty(v)]
    return non_empty[0] if non_empty else (values[0] if values else None)


def _walk_values(node: Any, parts: list[str]) -> Iterable[Any]:
    if not parts:
        yield node
        return
    if isinstance(node, list):
        for item in node:
            yield from _walk_values(item, parts)
    elif isinstance(node, dict):
        if parts[0] in node:
            yield from _walk_values(node[parts[0]], parts[1:])
        else:  # a map: its values are transparent
            for value in node.values():
                if isinstance(value, dict | list):
                    yield from _walk_values(value, parts)


def sent_value(ctx: Ctx, location: str, name: str) -> Any:
    if location == "query":
        return (ctx.exchange.query.get(name) or [""])[0]
    return _body_value(ctx.exchange.body, name)


def is_default(rec: Any, value: Any) -> bool:
    """Whether ``value`` (JSON, or a query string) is the field's documented default."""
    if rec is None or rec.default is None:
        return False
    default = json.loads(rec.default)
    return value == default or (isinstance(value, str) and value == str(default).lower() if isinstance(default, bool)
                                else isinstance(value, str) and value == str(default))


def plain_version(version: str) -> bool:
    try:
        specs.parse_version(version)
    except specs.InvalidVersion:
        return False
    return True


def changelog_removal(method: str, path: str, location: str, name: str) -> Any:
    from checker.skew import behaviour_facts

    for fact in behaviour_facts():
        if (fact.method, fact.path, fact.location, fact.name, fact.change) == (method, path, location, name, "removed"):
            return fact
    return None


def sent_names(ctx: Ctx) -> list[tuple[str, str]]:
    """(location, name) of every query parameter and body field sent that exists at the version sent."""
    op, spec = ctx.sent_op, ctx.sent_spec
    assert op is not None and spec is not None
    recs = {k.name: r for k, r in _view(spec.version).items() if k.method == op.method and k.path == op.path
            and k.location == "body"}
    out = [("query", name) for name in ctx.exchange.query]
    body = ctx.exchange.body
    if body is not NO_BODY and isinstance(body, dict | list):
        out += [("body", name) for name in _fields(body, "", recs)]
    return out


def _view(version: str) -> dict[Key, Any]:
    from checker.flatten import view_for

    return view_for(version).recs


def _fields(node: Any, prefix: str, recs: dict[str, Any]) -> Iterable[str]:
    if isinstance(node, list):
        for item in node:
            yield from _fields(item, prefix, recs)
        return
    if not isinstance(node, dict):
        return
    rec = recs.get(prefix)
    if rec is not None and rec.type.startswith("map["):
        for value in node.values():  # map values are transparent in field names
            yield from _fields(value, prefix, recs)
        return
    for k, v in node.items():
        name = f"{prefix}.{k}" if prefix else k
        if name in recs:
            yield name
            yield from _fields(v, name, recs)
