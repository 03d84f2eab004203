"""The change rules and the hazard rules, registered in one place.

A *change rule* compares one attribute of a field as two versions declare it and names the change
(``type-changed``, ``enum-changed``, ...). A *hazard rule* says, for one change, whom it hurts:
``newer-client`` (a client built for the newer version talking to the older daemon) and/or
``newer-server`` (an older client talking to the newer daemon), and how badly.

Direction follows who writes the data: request parts (endpoint, query, path, header, body) are
written by the client and read by the daemon; response parts by the daemon and read by the client.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from checker.flatten import REQUEST_LOCATIONS, Rec

CHANGES = (
    "added", "removed", "type-changed", "enum-changed", "default-changed",
    "required-changed", "nullable-changed", "deprecated",
)
DIRECTIONS = ("newer-client", "newer-server")

ChangeRule = Callable[[Rec, Rec], "dict[str, Any] | None"]
CHANGE_RULES: dict[str, ChangeRule] = {}


def change_rule(name: str) -> Callable[[ChangeRule], ChangeRule]:
    def register(fn: ChangeRule) -> ChangeRule:
        CHANGE_RULES[name] = fn
        return fn

    return register


def _values(enum: frozenset[str] | None) -> list[Any] | None:
    if enum is None:
        return None
    return [json.loads(v) for v in sorted(enum)]


@change_rule("type-changed")
def type_changed(a: Rec, b: Rec) -> dict[str, Any] | None:
    return {"before": a.type, "after": b.type} if a.type != b.type else None


@change_rule("enum-changed")
def enum_changed(a: Rec, b: Rec) -> dict[str, Any] | None:
    if a.enum == b.enum:
        return None
    detail: dict[str, Any] = {"before": _values(a.enum), "after": _values(b.enum)}
    # No enum means "any value": an enum that appears removes values ("*"), one that goes adds them.
    if a.enum is None:
        detail["added"], detail["removed"] = [], ["*"]
    elif b.enum is None:
        detail["added"], detail["removed"] = ["*"], []
    else:
        detail["added"], detail["removed"] = _values(b.enum - a.enum), _values(a.enum - b.enum)
    return detail


@change_rule("default-changed")
def default_changed(a: Rec, b: Rec) -> dict[str, Any] | None:
    if a.default == b.default:
        return None
    load = lambda d: None if d is None else json.loads(d)  # noqa: E731
    return {"before": load(a.default), "after": load(b.default)}


@change_rule("required-changed")
def required_changed(a: Rec, b: Rec) -> dict[str, Any] | None:
    return {"before": a.required, "after": b.required} if a.required != b.required else None


@change_rule("nullable-changed")
def nullable_changed(a: Rec, b: Rec) -> dict[str, Any] | None:
    return {"before": a.nullable, "after": b.nullable} if a.nullable != b.nullable else None


@change_rule("deprecated")
def deprecated(a: Rec, b: Rec) -> dict[str, Any] | None:
    return {"before": a.deprecated, "after": b.deprecated} if a.deprecated != b.deprecated else None


def describe(rec: Rec) -> dict[str, Any]:
    """A field as the detail of an ``added``/``removed`` change shows it."""
    out: dict[str, Any] = {"type": rec.type}
    if rec.enum is not None:
        out["enum"] = _values(rec.enum)
    if rec.default is not None:
        out["default"] = json.loads(rec.default)
    for flag in ("required", "nullable", "deprecated"):
        if getattr(rec, flag):
            out[flag] = True
    return out


def changes(a: Rec | None, b: Rec | None) -> list[tuple[str, dict[str, Any]]]:
    """Every change between two declarations of one field (either may be absent)."""
    if a is None and b is None:
        return []
    if a is None:
        return [("added", {"before": None, "after": describe(b)})]  # type: ignore[arg-type]
    if b is None:
        return [("removed", {"before": describe(a), "after": None})]
    out = []
    for name, rule in CHANGE_RULES.items():
        detail = rule(a, b)
        if detail is not None:
            out.append((name, detail))
    return out


# --- hazards ---------------------------------------------------------------------------------------

Effects = dict[str, str]  # direction -> severity
HazardRule = Callable[[bool, str, str, dict[str, Any]], Effects]
HAZARD_RULES: dict[str, HazardRule] = {}


def hazard_rule(change: str) -> Callable[[HazardRule], HazardRule]:
    def register(fn: HazardRule) -> HazardRule:
        HAZARD_RULES[change] = fn
        return fn

    return register


@hazard_rule("added")
def added_hazard(request: bool, location: str, name: str, detail: dict[str, Any]) -> Effects:
    if request:
        # The newer client may call/send it; the older daemon answers 404, rejects or silently ignores it.
        effects = {"newer-client": "error" if location == "endpoint" else "warning"}
        if (detail.get("after") or {}).get("required"):
            effects["newer-server"] = "error"  # an older client never sends what is now required
        return effects
    if location == "response" and not name:
        return {"newer-client": "info", "newer-server": "info"}  # a newly documented status code
    # The newer client may count on it, the older daemon never sends it; an older client meets an unknown.
    return {"newer-client": "warning", "newer-server": "info"}


@hazard_rule("removed")
def removed_hazard(request: bool, location: str, name: str, detail: dict[str, Any]) -> Effects:
    if request:
        return {"newer-server": "error" if location == "endpoint" else "warning"}
    return {"newer-server": "warning"}


@hazard_rule("deprecated")
def deprecated_hazard(request: bool, location: str, name: str, detail: dict[str, Any]) -> Effects:
    if detail.get("after"):
        return {"newer-server": "info"}  # an older client still relies on it and is not told
    return {"newer-client": "info"}


@hazard_rule("enum-changed")
def enum_hazard(request: bool, location: str, name: str, detail: dict[str, Any]) -> Effects:
    effects: Effects = {}
    added, removed = detail.get("added"), detail.get("removed")
    # Request: new values are sent by newer clients; dropped values by older clients.
    # Response: new values reach older clients; dropped values are still sent by older daemons.
    if added:
        effects["newer-client" if request else "newer-server"] = "warning"
    if removed:
        effects["newer-server" if request else "newer-client"] = "warning"
    return effects


@hazard_rule("type-changed")
def type_hazard(request: bool, location: str, name: str, detail: dict[str, Any]) -> Effects:
    # Only the format changed (string -> string(date-time)): the JSON on the wire is the same.
    same_base = _base(detail.get("before")) == _base(detail.get("after"))
    severity = "info" if same_base else "warning"
    return {"newer-client": severity, "newer-server": severity}


def _base(typ: Any) -> str:
    return re.sub(r"\([^)]*\)", "", str(typ))


@hazard_rule("default-changed")
def default_hazard(request: bool, location: str, name: str, detail: dict[str, Any]) -> Effects:
    # The same request without the value means different things to the two daemons.
    severity = "warning" if request else "info"
    return {"newer-client": severity, "newer-server": severity}


@hazard_rule("required-changed")
def required_hazard(request: bool, location: str, name: str, detail: dict[str, Any]) -> Effects:
    now_required = bool(detail.get("after"))
    if request:
        return {"newer-server": "error"} if now_required else {"newer-client": "warning"}
    return {"newer-client": "warning"} if now_required else {"newer-server": "warning"}


@hazard_rule("nullable-changed")
def nullable_hazard(request: bool, location: str, name: str, detail: dict[str, Any]) -> Effects:
    now_nullable = bool(detail.get("after"))
    if request:
        return {"newer-client": "warning"} if now_nullable else {"newer-server": "warning"}
    return {"newer-server": "warning"} if now_nullable else {"newer-client": "info"}


def effects_of(change: str, location: str, name: str, detail: dict[str, Any]) -> Effects:
    return HAZARD_RULES[change](location in REQUEST_LOCATIONS, location, name, detail)


def hazard_label(effects: Effects) -> str | None:
    if len(effects) == 2:
        return "both"
    return next(iter(effects), None)
