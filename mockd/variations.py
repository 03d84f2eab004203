"""Response fuzzing: JSON answers varied only in ways a real daemon of that version may answer (``--fuzz-responses``).

Each variation kind is a row of :data:`RULES`: a name, which nodes of the answer it applies to (read from the
response schema of the requested version, and for forward compatibility from the newest document), and why a real
daemon may send it. ``invalid`` rows (a required field missing, a wrong type, a nonsense enum value) are what no
daemon sends: only ``mode="invalid"`` uses them, and apicheck reports what they break apart.

Reproducible and shrinkable: a *site* is one node of one answer, named ``OperationId#N:path`` (the N-th answer of
that operation since start or reset, the JSON path in it). Whether a site is varied, by which rule and with which
value follows from ``random.Random(f"{seed}:{site}")`` alone, so the same seed and client flow give the same
variations, and ``only=[ids]`` applies exactly those (ids are ``site:rule``) whatever else happens: delta debugging
(apicheck) reruns the client with subsets of what a failing run received.

Values are drawn from hypothesis strategies built from the schemas (:func:`strategy`, one builder, cached per
version, operation and field), with a seeded ``ConjectureData``. Layered over the stateful engine: ids, names and
states are never varied (no rule selects them), so the client's flow still works and only the variation can break
it.
"""

from __future__ import annotations

import copy
import csv
import fnmatch
import hashlib
import json
import logging
import random
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import specs

log = logging.getLogger("mockd.variations")

VALID, INVALID = "valid", "invalid"
DATA = Path(__file__).parent / "data"
FREE_TEXT_MAPS = frozenset({"Labels"})  # maps of the user's own text: edge-text adds one entry (EDGE_LABEL)
EDGE_LABEL = "org.example.image-author.note"
# Strings users or programs choose: an image's comment and author (commit/build), a runtime's error message, a
# healthcheck's output. Not the daemon's own formatted text (a container's Status, "Up 2 hours"): no daemon sends
# an arbitrary string there.
FREE_TEXT_FIELDS = frozenset({("ImageInspect", "Comment"), ("ImageInspect", "Author"), ("ContainerState", "Error"),
                              ("HealthcheckResult", "Output")})
# Formatted strings as Go writes them: a time.Time is RFC 3339 (the zero time when unset, as dockerd's FinishedAt of
# a container never started), an address is dotted or empty. Arbitrary text there is a schema-valid answer no daemon
# sends.
_TIMES = ("0001-01-01T00:00:00Z", "2024-05-06T07:08:09.123456789Z")
FORMATTED = {"dateTime": _TIMES, "date-time": _TIMES, "ip-address": ("", "172.17.0.2"), "CIDR": ("", "172.17.0.0/16"),
             "cidr": ("", "172.17.0.0/16"), "uri": ("", "https://registry.example.com/v2/")}
INT_MAX = {"uint8": 255, "uint16": 65535}
EDGE_TEXT = ("", " ", "ünïcödé ✓ 日本", "line one\nline two", "tab\tand \"quotes\" and \\", "x" * 4096,
             "<script>&amp;</script>", "emoji 🐳🐳")


@dataclass(frozen=True)
class Rule:
    name: str
    mode: str  # valid | invalid
    why: str


RULES: dict[str, Rule] = {r.name: r for r in (
    Rule("omitempty-drop", VALID, "a zero value (0, \"\", false, null, empty) of a field that is `omitempty` in "
                                  "dockerd's Go type (mockd/data/omitempty.csv), or not among the document's required "
                                  "fields: Go leaves it out"),
    Rule("go-nil-slice", VALID, "an empty slice sent as null: Go writes a nil slice so, and whether dockerd's code "
                                "path makes it nil or empty varies (specs/wire.py go-nil-collection); never for "
                                "slices dockerd always makes (mockd/data/never_nil.csv)"),
    Rule("go-nil-map", VALID, "an empty map sent as null: Go writes a nil map so (specs/wire.py go-nil-collection)"),
    Rule("empty-list", VALID, "a null slice sent as []: the same nothing, from another code path"),
    Rule("empty-map", VALID, "a null map sent as {}: the same nothing, from another code path"),
    Rule("later-field", VALID, "a newer daemon answering this older API version still sends the fields its own "
                               "version adds (forward compatibility, as dockerd), except those its router clears "
                               "below their version (mockd/data/version_hidden.csv)"),
    Rule("later-enum", VALID, "a newer daemon sends the enum values its own version adds, whatever version was asked"),
    Rule("edge-text", VALID, "free text chosen by users or programs (an image's labels, which its containers inherit, "
                             "comments, error messages, healthcheck output) may be empty, long, multi-line or any "
                             "unicode; the labels a client set itself come back unchanged"),
    Rule("missing-required", INVALID, "a required field missing: no daemon of this version sends that"),
    Rule("wrong-type", INVALID, "a value of another JSON type than the document's: no daemon sends that"),
    Rule("unknown-enum", INVALID, "an enum value no version defines"),
)}


def _version(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in v.split("."))


@lru_cache(maxsize=1)
def never_nil() -> dict[tuple[str, str], tuple[int, ...]]:
    """(schema, field) -> the first API version from which dockerd always makes that slice (never null): sending
    null there would be a variation no daemon sends (mockd/data/never_nil.csv, each row with moby's code)."""
    with open(DATA / "never_nil.csv", newline="", encoding="utf-8") as fh:
        return {(row["schema"], row["field"]): _version(row["since"]) for row in csv.DictReader(fh)}


@lru_cache(maxsize=1)
def version_hidden() -> dict[str, list[tuple[str, tuple[int, ...]]]]:
    """operationId -> [(field pattern, since)]: fields a newer dockerd clears for requests below ``since`` (its
    router's ``versions.LessThan`` gates, mockd/data/version_hidden.csv): ``later-field`` never sends them there."""
    out: dict[str, list[tuple[str, tuple[int, ...]]]] = {}
    with open(DATA / "version_hidden.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out.setdefault(row["operation"], []).append((row["field"], _version(row["since"])))
    return out


@lru_cache(maxsize=1)
def omitempty() -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    with open(DATA / "omitempty.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out.setdefault(row["schema"], set()).add(row["field"])
    return {k: frozenset(v) for k, v in out.items()}


# --- schemas ---------------------------------------------------------------------------------------------------


EMPTY: dict = {}  # the one "no schema" node (never a fresh {}: _resolve's cache is keyed by identity)
_RESOLVED: dict[tuple[int, int, str | None], tuple[Any, tuple[dict, str | None]]] = {}


def _resolve(doc: dict, node: Any, name: str | None = None) -> tuple[dict, str | None]:
    """A schema node with ``$ref`` followed and ``allOf`` merged; its component name when it had one. Cached by the
    nodes' identity (the documents are loaded once and kept; the entry holds the node, so its id stays its own):
    an answer walk resolves the same few hundred nodes for every item of a list."""
    key = (id(doc), id(node), name)
    hit = _RESOLVED.get(key)
    if hit is not None and hit[0] is node:
        return hit[1]
    out = _RESOLVED[key] = (node, _resolve_uncached(doc, node, name))
    return out[1]


def _resolve_uncached(doc: dict, node: Any, name: str | None) -> tuple[dict, str | None]:
    while isinstance(node, dict) and "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = doc["components"]["schemas"].get(name, EMPTY)
    if not isinstance(node, dict):
        return EMPTY, name
    for key in ("anyOf", "oneOf"):  # a nullable reference: the value's own schema
        if key in node:
            options = [o for o in node[key] if not (isinstance(o, dict) and o.get("enum") == [None])]
            return _resolve(doc, options[0] if options else EMPTY, name)
    if "allOf" in node:
        merged: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
        props: dict[str, Any] = dict(merged.get("properties") or {})
        required = list(merged.get("required") or [])
        for part in node["allOf"]:
            sub, sub_name = _resolve(doc, part)
            name = name or sub_name
            props.update(sub.get("properties") or {})
            required += sub.get("required") or []
            for k, v in sub.items():
                merged.setdefault(k, v)
        merged["properties"], merged["required"] = props, required
        node = merged
    return node, name


def response_schema(version: str, operation_id: str, status: int) -> Any:
    op = specs.load(version).operation_by_id(operation_id)
    return op.response_schema(status) if op is not None else None


# --- hypothesis strategies -------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def strategy(version: str, operation_id: str, where: str, schema_json: str, text: bool = False) -> Any:
    """The hypothesis strategy for one field (cached per version, operation and field)."""
    from hypothesis import strategies as st

    if text:
        return st.one_of(st.sampled_from(EDGE_TEXT), st.text(st.characters(blacklist_categories=("Cs",)),
                                                             min_size=0, max_size=40))
    return _from_schema(json.loads(schema_json), specs.load(version).doc, depth=0)


def _from_schema(schema: dict, doc: dict, depth: int) -> Any:
    from hypothesis import strategies as st

    node, _name = _resolve(doc, schema)
    if "enum" in node and node["enum"]:
        return st.sampled_from(node["enum"])
    if "example" in node and not isinstance(node["example"], dict | list):
        # A field's documented example is a value dockerd sends; arbitrary text in a digest, a time or an id would
        # be a schema-valid answer no daemon sends (and a false "client bug").
        return st.just(node["example"])
    kind = node.get("type")
    if kind == "string" and node.get("format") in FORMATTED:
        return st.sampled_from(FORMATTED[node["format"]])
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(min_value=0, max_value=INT_MAX.get(node.get("format", ""), 2 ** 31))
    if kind == "number":
        return st.floats(min_value=0, max_value=1e6, allow_nan=False)
    if kind == "array":
        if depth > 2:
            return st.just([])
        return st.lists(_from_schema(node.get("items") or {}, doc, depth + 1), max_size=2)
    if kind == "object" or "properties" in node:
        props = node.get("properties") or {}
        if not props or depth > 2:
            return st.dictionaries(st.sampled_from(["com.example.key", "a"]), st.text(max_size=8), max_size=2)
        return st.fixed_dictionaries({k: _from_schema(v, doc, depth + 1) for k, v in list(props.items())[:8]})
    return st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)  # a name-like word


POOL = 32  # hypothesis examples drawn once per strategy; a site picks one with its own random source


_POOLS: dict[int, tuple[Any, list[Any]]] = {}


def pick_value(strat: Any, rng: random.Random) -> Any:
    """A value of ``strat`` for a site: one of ``POOL`` examples hypothesis drew once (seeds 0..POOL-1, so the same in
    every process), chosen by the site's ``rng``. A hypothesis draw costs about a millisecond; a fuzzed answer may
    not (tests/perf/bench_fuzz.py)."""
    entry = _POOLS.get(id(strat))
    if entry is None or entry[0] is not strat:
        entry = _POOLS[id(strat)] = (strat, [draw(strat, random.Random(i)) for i in range(POOL)])
    value = entry[1][rng.randrange(POOL)]
    return copy.deepcopy(value) if isinstance(value, dict | list) else value


def draw(strat: Any, rng: random.Random) -> Any:
    """One value of ``strat`` from ``rng`` (a seeded draw outside a hypothesis test: the same rng, the same value).
    Some strategies (dictionaries) want a build context: a bare one is given."""
    from hypothesis.control import BuildContext
    from hypothesis.internal.conjecture.data import ConjectureData

    data = ConjectureData(random=rng)
    with BuildContext(data, wrapped_test=draw):
        return data.draw(strat)


# --- the plan of one answer ------------------------------------------------------------------------------------


@dataclass
class Applied:
    id: str  # site:rule
    rule: str
    path: str
    value: Any  # what was sent (absent: "<absent>")
    valid: bool

    def to_dict(self) -> dict[str, Any]:
        value = self.value
        text = value if isinstance(value, str) else json.dumps(value)
        return {"id": self.id, "rule": self.rule, "path": self.path, "valid": self.valid,
                "value": text if len(text) <= 200 else text[:200] + "..."}


@dataclass(frozen=True)
class _Context:
    """What a plan's rules depend on besides the schema: the two documents, the operation and the mode."""

    version: str
    newest: str
    op: str
    invalid: bool
    doc: dict = field(repr=False, compare=False, hash=False)
    new_doc: dict = field(repr=False, compare=False, hash=False)


CHILD_PLANS = 1024  # per plan: children beyond these (a map's keys are the user's) are compiled per visit, not kept
_DROP, _DROP_REQUIRED, _REQUIRED = ("omitempty-drop",), ("omitempty-drop", "missing-required"), ("missing-required",)


class _Plan:
    """One node of an answer's schema at one path (list indices aside), compiled once per version, newest
    document, operation, status and mode: the rules that are candidates for each kind of value found there, and its
    children's plans (made on first use). Walking an answer then costs per value only what the value itself decides
    (its type, whether it is empty): a container list of 32 visits some 600 values (tests/perf/bench_fuzz.py)."""

    __slots__ = ("ctx", "template", "node", "new_node", "owner", "name", "sub_owner", "is_map", "free_text",
                 "later_enum", "str_cands", "none_cands", "empty_list_cands", "empty_dict_cands", "other_cands",
                 "_items", "children", "_object")

    def __init__(self, ctx: _Context, schema: Any, later: Any, owner: str | None, name: str | None,
                 template: str) -> None:
        self.ctx, self.template, self.owner, self.name = ctx, template, owner, name
        node, ref = _resolve(ctx.doc, schema if schema is not None else EMPTY)
        new_node = _resolve(ctx.new_doc, later)[0] if later is not None else EMPTY
        self.node, self.new_node, self.sub_owner = node, new_node, ref or owner
        kind = node.get("type") or ("object" if "properties" in node else None)
        self.is_map = kind == "object" and not node.get("properties") and "additionalProperties" in node
        self.free_text = self.is_map and name in FREE_TEXT_MAPS
        enum = bool(node.get("enum"))
        self.later_enum = _added(node.get("enum"), new_node.get("enum"))
        # Candidates per kind of value (the root, path "", is never replaced but by an enum or a text rule);
        # ``invalid`` rules are candidates only in that mode: most values are scalars no valid rule varies.
        in_answer, invalid = template != "", ctx.invalid
        strs = ["edge-text"] if name and (owner, name) in FREE_TEXT_FIELDS else []
        if enum:
            strs += (["later-enum"] if self.later_enum else []) + (["unknown-enum"] if invalid else [])
        elif invalid and in_answer and kind == "string":
            strs.append("wrong-type")
        self.str_cands = tuple(strs)
        # Nil and empty are the same nothing: toggled only where there is nothing, so the state stays the engine's.
        self.none_cands = (("empty-list",) if in_answer and kind == "array"
                           else ("empty-map",) if in_answer and self.is_map else ())
        nil_since = never_nil().get((owner or "", name or ""))
        never = nil_since is not None and _version(ctx.version) >= nil_since
        self.empty_list_cands = ("go-nil-slice",) if in_answer and not never else ()
        self.empty_dict_cands = ("go-nil-map",) if in_answer and self.is_map else ()
        self.other_cands = (("wrong-type",) if invalid and in_answer and kind in ("integer", "boolean") and not enum
                            else ())
        self._items: _Plan | None = None
        self.children: dict[str, tuple[tuple[str, ...] | None, tuple[str, ...], _Plan]] = {}
        self._object: _ObjectPlan | None = None

    def items(self) -> _Plan:
        if self._items is None:
            node, new_node = self.node, self.new_node
            self._items = _Plan(self.ctx, node.get("items") or EMPTY, new_node.get("items") if new_node else None,
                                self.sub_owner, self.name, self.template + "[0]")
        return self._items

    def child(self, key: str) -> tuple[tuple[str, ...] | None, tuple[str, ...], _Plan]:
        """A key's plan (of a map's entry or an object's property), with the key-level candidates when its value is
        zero and when it is not (an object's ``omitempty-drop``, ``missing-required``)."""
        got = self.children.get(key)
        if got is not None:
            return got
        sub = f"{self.template}.{key}" if self.template else key
        if self.is_map:
            inner = self.node.get("additionalProperties")
            got = (None, (), _Plan(self.ctx, inner if isinstance(inner, dict) else EMPTY, None, self.sub_owner, key,
                                   sub))
        else:
            obj = self.object()
            required = key in obj.required and self.ctx.invalid
            drop = key in obj.droppable or (bool(obj.required) and key not in obj.required and key in obj.props)
            got = (_DROP_REQUIRED if drop and required else _DROP if drop else _REQUIRED if required else (),
                   _REQUIRED if required else (),
                   _Plan(self.ctx, obj.props.get(key), obj.new_props.get(key), self.sub_owner, key, sub))
        if len(self.children) < CHILD_PLANS:
            self.children[key] = got
        return got

    def object(self) -> _ObjectPlan:
        if self._object is None:
            self._object = _ObjectPlan(self)
        return self._object


class _ObjectPlan:
    """An object node's properties: which scalars no valid rule varies (``inert``: not even visited), which keys the
    newest daemon adds (``later``, with their value strategies made on first use)."""

    __slots__ = ("props", "new_props", "required", "droppable", "inert", "later", "_strategies")

    def __init__(self, plan: _Plan) -> None:
        ctx, owner = plan.ctx, plan.sub_owner
        node, new_node = plan.node, plan.new_node
        self.props = node.get("properties") or {}
        self.new_props = new_node.get("properties") or {}
        self.required = frozenset(node.get("required") or ())
        self.droppable = omitempty().get(owner or "", frozenset())
        self.inert = frozenset() if ctx.invalid else frozenset(
            k for k, sub in self.props.items()
            if (owner, k) not in FREE_TEXT_FIELDS and k not in self.droppable
            and not (self.required and k not in self.required)
            and not _resolve(ctx.doc, sub if sub is not None else EMPTY)[0].get("enum"))
        # Cleared for this version by the newest daemon's router, or omitempty and so sent only by objects that use
        # that feature (a cluster volume's ClusterVolume): not what the newest daemon sends for this object.
        self.later = tuple(k for k in self.new_props if k not in self.props
                           and not _hidden(ctx.op, ctx.version, f"{plan.template}.{k}" if plan.template else k)
                           and k not in self.droppable)
        self._strategies: dict[str, Any] = {}

    def strategy(self, ctx: _Context, owner: str | None, key: str) -> Any:
        got = self._strategies.get(key)
        if got is None:
            got = self._strategies[key] = strategy(ctx.newest, ctx.op, f"{owner}.{key}",
                                                   json.dumps(self.new_props[key], sort_keys=True))
        return got


@dataclass
class Fuzzer:
    """The fuzzing in force (``/_mockd/fuzz``): seed, mode, how often a site is varied, the allowlist."""

    seed: int = 0
    mode: str = VALID  # valid | invalid (invalid also applies the valid rules)
    rate: float = 0.3
    only: frozenset[str] | None = None
    on: bool = False
    calls: dict[str, int] = field(default_factory=dict)
    applied: int = 0
    # (version, newest, operation, status, mode) -> the answer's root plan; plans depend on the documents alone.
    plans: dict[tuple[str, str, str, int, str], _Plan | None] = field(default_factory=dict, repr=False)

    def configure(self, seed: int, mode: str, rate: float, only: list[str] | None) -> None:
        if mode not in (VALID, INVALID):
            raise ValueError(f"fuzz mode {mode!r}: valid or invalid")
        if not 0 <= rate <= 1:
            raise ValueError("fuzz rate must be between 0 and 1")
        self.seed, self.mode, self.rate = seed, mode, rate
        self.only = frozenset(only) if only is not None else None
        self.on = True
        self.restart()

    def off(self) -> None:
        self.on = False
        self.restart()

    def restart(self) -> None:
        self.calls.clear()
        self.applied = 0

    def status(self) -> dict[str, Any]:
        return {"active": self.on, "seed": self.seed, "mode": self.mode, "rate": self.rate,
                "only": sorted(self.only) if self.only is not None else None, "applied": self.applied,
                "rules": {r.name: {"mode": r.mode, "why": r.why} for r in RULES.values()}}

    def plan(self, version: str, newest: str, operation_id: str, status: int) -> _Plan | None:
        key = (version, newest, operation_id, status, self.mode)
        if key not in self.plans:
            schema = response_schema(version, operation_id, status)
            later = response_schema(newest, operation_id, status) if newest != version else None
            ctx = _Context(version, newest, operation_id, self.mode == INVALID, specs.load(version).doc,
                           specs.load(newest).doc)
            self.plans[key] = _Plan(ctx, schema, later, None, None, "") if schema is not None else None
        return self.plans[key]

    def vary(self, body: Any, *, version: str, newest: str, operation_id: str, status: int) -> list[Applied]:
        """Vary ``body`` (the decoded answer) in place; what was applied."""
        n = self.calls[operation_id] = self.calls.get(operation_id, 0) + 1
        plan = self.plan(version, newest, operation_id, status)
        if plan is None:
            return []
        walk = _Walk(self, f"{operation_id}#{n}")
        holder = [body]
        try:
            walk.visit(plan, holder, 0, body, "")
        except Exception:  # noqa: BLE001 - the fuzzer's own bug must not become the daemon's 500
            # Nothing applied: the caller keeps the plain answer's bytes (the body may be half varied).
            log.exception("mockd: fuzzing %s failed; the answer goes out plain", operation_id)
            return []
        self.applied += len(walk.applied)
        return walk.applied


class _Walk:
    """One answer's walk: the plans say what may vary where, ``_pick`` whether this site does."""

    def __init__(self, fuzzer: Fuzzer, answer: str) -> None:
        self.seed, self.rate, self.only = fuzzer.seed, fuzzer.rate, fuzzer.only
        self.answer = answer
        self.applied: list[Applied] = []

    def _pick(self, path: str, candidates: tuple[str, ...], kind: str = "") -> tuple[str, int] | None:
        """The rule applied at ``path`` (None: left alone), and the site's seed for its value. ``kind`` tells a
        node's own rules from the key-level ones (drop ``!``, add ``+``) at the same path. Candidates are the mode's
        (a plan has ``invalid`` rules only in that mode)."""
        site = f"{self.answer}:{path}"
        # One 128-bit hash of (seed, site) decides everything, whether or not ``only`` is given: a shrinking rerun
        # sends the very value the failing run sent. (A Random per site costs more than the rest of the walk.)
        h = int.from_bytes(hashlib.blake2b(f"{self.seed}:{site}{kind}".encode(), digest_size=16).digest(), "big")
        if self.only is not None:
            chosen = next((c for c in candidates if f"{site}:{c}" in self.only), None)
        else:
            hit = (h & 0xFFFFFFFF) < self.rate * 0x100000000
            chosen = candidates[(h >> 32) % len(candidates)] if hit else None
        return (chosen, h >> 64) if chosen else None

    def _record(self, path: str, rule: str, value: Any) -> None:
        self.applied.append(Applied(f"{self.answer}:{path}:{rule}", rule, path or "(answer)", value,
                                    RULES[rule].mode == VALID))

    def visit(self, plan: _Plan, parent: Any, key: Any, value: Any, path: str) -> None:
        """Visit ``parent[key]`` (== value), whose schema ``plan`` compiled."""
        if isinstance(value, str):
            candidates = plan.str_cands
        elif value is None:
            candidates = plan.none_cands
        elif isinstance(value, list):
            candidates = () if value else plan.empty_list_cands
        elif isinstance(value, dict):
            candidates = () if value else plan.empty_dict_cands
        else:
            candidates = plan.other_cands
        if candidates:
            chosen = self._pick(path, candidates)
            if chosen is not None:
                rule, site_seed = chosen
                parent[key] = new = _value(rule, value, plan, site_seed)
                self._record(path, rule, new)
                return
        if isinstance(value, list):
            if value:
                items = plan.items()
                for i, item in enumerate(value):
                    self.visit(items, value, i, item, f"{path}[{i}]")
        elif isinstance(value, dict):
            if not plan.is_map:
                self.object(plan, value, path)
            elif plan.free_text:
                self._text_site(plan, value, path)
            else:
                for k in list(value):
                    self.visit(plan.child(k)[2], value, k, value[k], f"{path}.{k}" if path else k)

    def object(self, plan: _Plan, value: dict, path: str) -> None:
        obj = plan.object()
        inert, children = obj.inert, plan.children
        prefix = f"{path}." if path else ""
        for k in list(value):
            v = value[k]
            container = isinstance(v, dict | list)
            if k in inert and v is not None and not container:
                continue  # a scalar no valid rule varies (no enum, not free text): not even visited
            if_zero, otherwise, child = children.get(k) or plan.child(k)
            options = if_zero if if_zero and _zero(v) else otherwise
            if options:
                chosen = self._pick(prefix + k, options, "!")
                if chosen is not None:
                    del value[k]
                    self._record(prefix + k, chosen[0], "<absent>")
                    continue
            if container:
                self.visit(child, value, k, v, prefix + k)
                continue
            # A scalar's own rules, inline: most of an answer's values are scalars, most with no candidate.
            candidates = child.none_cands if v is None else child.str_cands if isinstance(v, str) else \
                child.other_cands
            if candidates:
                chosen = self._pick(prefix + k, candidates)
                if chosen is not None:
                    value[k] = new = _value(chosen[0], v, child, chosen[1])
                    self._record(prefix + k, chosen[0], new)
        for k in obj.later:  # what the newest daemon adds to this object
            if k in value:
                continue
            sub = prefix + k
            chosen = self._pick(sub, ("later-field",), "+")
            if chosen is not None:
                value[k] = pick_value(obj.strategy(plan.ctx, plan.sub_owner, k), random.Random(chosen[1]))
                self._record(sub, "later-field", value[k])

    def _text_site(self, plan: _Plan, labels: dict, path: str) -> None:
        """One more label, of any text: the labels a client set come back as it set them (compose finds its
        containers by theirs), but a container also carries its image's labels, which the image's author wrote."""
        chosen = self._pick(path, ("edge-text",), "+")
        if chosen is not None:
            labels[EDGE_LABEL] = pick_value(_edge_text(plan.ctx), random.Random(chosen[1]))
            self._record(path, "edge-text", {EDGE_LABEL: labels[EDGE_LABEL]})  # the id names the map: its site


def _edge_text(ctx: _Context) -> Any:
    return strategy(ctx.version, ctx.op, "text", "", text=True)


def _value(rule: str, value: Any, plan: _Plan, site_seed: int) -> Any:
    """The value ``rule`` sends in place of ``value`` (a site's random source only for the rules that draw)."""
    if rule in ("go-nil-slice", "go-nil-map"):
        return None
    if rule == "empty-list":
        return []
    if rule == "empty-map":
        return {}
    if rule == "later-enum":
        return random.Random(site_seed).choice(plan.later_enum)
    if rule == "unknown-enum":
        return "mockd-unknown-value"
    if rule == "edge-text":
        return pick_value(_edge_text(plan.ctx), random.Random(site_seed))
    if rule == "wrong-type":
        return 12345 if isinstance(value, str) else str(value)
    raise AssertionError(rule)


ITEM = re.compile(r"\[\d+\]\.?")  # "[0].HostConfig.Annotations" -> "HostConfig.Annotations"


@lru_cache(maxsize=65536)
def _hidden(operation_id: str, version: str, path: str) -> bool:
    plain = ITEM.sub("", path)
    return any(fnmatch.fnmatchcase(plain, pattern) and _version(version) < since
               for pattern, since in version_hidden().get(operation_id, ()))


def _added(old: list | None, new: list | None) -> list[Any]:
    """The enum values ``new`` has and ``old`` lacks (values may be objects: compared, not hashed)."""
    return sorted((v for v in new or () if v not in (old or ())), key=str)


def _zero(value: Any) -> bool:
    """Go's omitempty test: false, 0, "", nil, and empty slices and maps."""
    return value is None or value is False or value == 0 and not isinstance(value, bool) or value in ("", [], {})
