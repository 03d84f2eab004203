"""The one serializer: full domain objects -> what dockerd puts on the wire at a requested version.

Two steps, both data-driven:

1. **Projection onto the daemon's own document.** A daemon only emits fields its release knows: every
   JSON answer is cut down to the response schema of the *daemon's* newest API version (``--api-version``,
   the release mockd impersonates). ``mockd --api-version 1.41`` never sends ``GwPriority`` or
   ``Descriptor``, whatever the engine holds. Free-form maps (labels, options) and objects the document
   leaves open are kept whole. The compiled shape is cached per (daemon version, operation, status).
2. **Per-requested-version rules** (:data:`RULES`). dockerd does *not* trim answers to the requested
   version (20.10 returns ``CgroupVersion``, defined from 1.41, at ``/v1.25/info``); it hides, adds or
   reshapes specific fields for specific versions. One row each, applied here and nowhere else.

A field a rule names is exempt from the projection: the rows also say what dockerd sends although its own
document does not define it (``status``/``id``/``from`` in events, ``BuilderSize`` below 1.42) or no
longer defines it (legacy ``NetworkSettings`` fields for requests below 1.52). Handlers build the full,
newest object and call ``ctx.serialize(obj)``.

A rule's ``root`` is a component schema name (applied wherever a response is, or lists, that schema) or
an operationId; ``field`` is a dotted path under it (``*`` for every array item or map value).
``when`` is the window of requested versions the rule applies to (``Since("1.45")``, ``Before("1.44")``:
:class:`mockd.versioning.Window`, the type the behaviours table uses too). Actions:

- ``hide``: drop the field where the rule applies;
- ``add``: where the rule applies, set the field to ``compute(parent, query)`` (``SKIP``: leave it
  out); elsewhere drop it (``VirtualSize = Size`` below 1.44, as dockerd 25+ answers old clients);
- ``adapt``: replace the field's value with ``compute(value, query)`` where the rule applies;
- ``fill``: where the rule applies, ``compute(parent, query)`` changes the object holding the field in place
  (fields that depend on each other, such as the ``<none>`` placeholders of an untagged image);
- ``omitempty``: drop the field when its value is empty (Go's ``json:",omitempty"``: null, "", 0, false,
  [] or {}), as dockerd's structs do; measured against dockerd 20.10 (``apicheck compare``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import specs
from mockd.engine.tree import tree_copy
from mockd.versioning import ALWAYS, Before, Since, Window
from specs.model import ApiSpec, Operation
from specs.wire import query_bool

SKIP: Any = type("Skip", (), {"__repr__": lambda self: "SKIP"})()

Compute = Callable[[Any, Mapping[str, list[str]]], Any]


@dataclass(frozen=True)
class Rule:
    root: str
    field: str
    action: str  # "hide" | "hide-when" (compute says when) | "add" | "adapt" | "fill" | "omitempty"
    when: Window = ALWAYS  # the requested versions it applies at
    why: str = ""
    compute: Compute | None = None

    def applies(self, version: str) -> bool:
        return self.when.applies(version)


# --- computed fields -------------------------------------------------------------------------------


def _same_as_size(parent: Any, _query: Mapping[str, list[str]]) -> Any:
    return parent.get("Size", SKIP) if isinstance(parent, dict) else SKIP


def _builder_size(parent: Any, _query: Mapping[str, list[str]]) -> Any:
    return sum(int(r.get("Size") or 0) for r in parent.get("BuildCache") or [] if isinstance(r, dict))


def _false(_parent: Any, _query: Mapping[str, list[str]]) -> Any:
    return False


def _none_placeholders(parent: Any, _query: Mapping[str, list[str]]) -> None:
    if not parent.get("RepoTags") and not parent.get("RepoDigests"):
        parent["RepoTags"], parent["RepoDigests"] = ["<none>:<none>"], ["<none>@<none>"]


def _zero_time_if_unset(value: Any, _query: Mapping[str, list[str]]) -> Any:
    return value or "0001-01-01T00:00:00Z"  # Go's zero time.Time in RFC 3339


def _count_if_shared_size(value: Any, query: Mapping[str, list[str]]) -> Any:
    values = query.get("shared-size")
    return value if values and query_bool(values[0]) else -1


def _verbose(query: Mapping[str, list[str]]) -> bool:
    values = query.get("verbose")
    return bool(values) and query_bool(values[0])


def _verbose_asked(_parent: Any, query: Mapping[str, list[str]]) -> bool:
    return _verbose(query)


def _usage(items: list[dict[str, Any]], active: Callable[[dict], bool], size: Callable[[dict], int],
           query: Mapping[str, list[str]], total: int | None = None) -> dict[str, Any]:
    """One ``*Usage`` object of the 1.52 ``/system/df`` shape, from the legacy item list."""
    out: dict[str, Any] = {
        "ActiveCount": sum(1 for i in items if active(i)),
        "TotalCount": len(items),
        "Reclaimable": sum(max(size(i), 0) for i in items if not active(i)),
        "TotalSize": total if total is not None else sum(max(size(i), 0) for i in items),
    }
    # Items always: the daemon reads the usage verbosely for the legacy lists or for verbose=1 (getDiskUsage).
    out["Items"] = items
    return out


def _image_usage(parent: Any, query: Mapping[str, list[str]]) -> Any:
    if "Images" not in parent:
        return SKIP
    images = parent["Images"] or []
    return _usage(images, lambda i: (i.get("Containers") or 0) > 0,
                  lambda i: int(i.get("Size") or 0) - int(i.get("SharedSize") or 0), query,
                  total=parent.get("LayersSize") or 0)


def _container_usage(parent: Any, query: Mapping[str, list[str]]) -> Any:
    if "Containers" not in parent:
        return SKIP
    return _usage(parent["Containers"] or [], lambda c: c.get("State") == "running",
                  lambda c: int(c.get("SizeRw") or 0), query)


def _volume_usage(parent: Any, query: Mapping[str, list[str]]) -> Any:
    if "Volumes" not in parent:
        return SKIP
    return _usage(parent["Volumes"] or [], lambda v: ((v.get("UsageData") or {}).get("RefCount") or 0) > 0,
                  lambda v: int((v.get("UsageData") or {}).get("Size") or 0), query)


def _build_cache_usage(parent: Any, query: Mapping[str, list[str]]) -> Any:
    if "BuildCache" not in parent:
        return SKIP
    return _usage(parent["BuildCache"] or [], lambda r: bool(r.get("InUse")), lambda r: int(r.get("Size") or 0), query)


# --- the table ------------------------------------------------------------------------------------

_R = Rule
_LEGACY_NETWORK_SETTINGS = (
    "Bridge", "HairpinMode", "LinkLocalIPv6Address", "LinkLocalIPv6PrefixLen", "SecondaryIPAddresses",
    "SecondaryIPv6Addresses", "EndpointID", "Gateway", "GlobalIPv6Address", "GlobalIPv6PrefixLen", "IPAddress",
    "IPPrefixLen", "IPv6Gateway", "MacAddress",
)  # fmt: skip
_IMAGE_CONFIG_CONTAINER_FIELDS = (
    "Hostname", "Domainname", "AttachStdin", "AttachStdout", "AttachStderr", "Tty", "OpenStdin", "StdinOnce", "Image",
)  # fmt: skip
_DF_LEGACY = ("LayersSize", "Images", "Containers", "Volumes", "BuildCache")

RULES: tuple[Rule, ...] = (
    # Images: VirtualSize went at 1.44; dockerd 25+ still fills it in (= Size) for older clients.
    _R("ImageSummary", "VirtualSize", "add", when=Before("1.44"), compute=_same_as_size,
       why="deprecated, omitted from API 1.44 (Engine 25); set to Size for older requests"),
    _R("ImageInspect", "VirtualSize", "add", when=Before("1.44"), compute=_same_as_size,
       why="deprecated, omitted from API 1.44 (Engine 25); set to Size for older requests"),
    _R("SystemDataUsage", "Images.*.VirtualSize", "add", when=Before("1.44"), compute=_same_as_size,
       why="deprecated, omitted from API 1.44 (Engine 25); set to Size for older requests"),
    # An image config without a creation time (moby #47368): omitted from 1.44, Go's zero time before.
    _R("ImageInspect", "Created", "omitempty", when=Since("1.44"), why="omitted when the config has no creation time "
       "from API 1.44 (Engine 25)"),
    _R("ImageInspect", "Created", "adapt", when=Before("1.44"), compute=_zero_time_if_unset,
       why="an unset creation time reads 0001-01-01T00:00:00Z below API 1.44 (image_routes.go)"),
    _R("ImageInspect", "Container", "hide", when=Since("1.45"), why="deprecated, omitted from API 1.45 (Engine 26)"),
    _R("ImageInspect", "ContainerConfig", "hide", when=Since("1.45"), why="deprecated, omitted from API 1.45 (Engine 26)"),
    *(_R("ImageInspect", f"Config.{name}", "hide", when=Since("1.50"),
         why="container-only fields of the image config, documented 1.39-1.49, omitted from API 1.50 (Engine 28.2)")
      for name in _IMAGE_CONFIG_CONTAINER_FIELDS),
    _R("ImageInspect", "DockerVersion", "hide", when=Since("1.52"), why="omitted from API 1.52 (Engine 29)"),
    *(_R("ImageInspect", f"Config.{name}", "omitempty", when=Since("1.52"),
         why="the image config's fields are omitted when not set from API 1.52 (Engine 29)")
      for name in ("Cmd", "Entrypoint", "Env", "Labels", "OnBuild", "User", "Volumes", "WorkingDir")),
    _R("ImageSummary", "RepoTags", "fill", when=Before("1.43"), compute=_none_placeholders,
       why="an image with neither tags nor digests lists <none>:<none> and <none>@<none> below API 1.43 "
           "(daemon/images/images.go of 20.10; [] from 1.43, Engine 24)"),
    _R("ImageSummary", "Containers", "adapt", when=Before("1.51"), compute=_count_if_shared_size,
       why="the per-image container count is sent from API 1.51; below, -1 (not computed) unless shared-size=1"),
    _R("ImageInspect", "Parent", "hide", when=Since("1.52"), why="omitted from API 1.52 (Engine 29)"),
    # Containers.
    _R("ContainerInspect", "HostConfig.KernelMemory", "hide", when=Since("1.42"), why="kernel memory limit, gone from API 1.42"),
    _R("ContainerInspect", "Config.OnBuild", "omitempty", when=Since("1.52"), why="omitted when empty from API 1.52"),
    _R("ContainerInspect", "HostConfig.KernelMemoryTCP", "hide", when=Since("1.52"), why="omitted from API 1.52 (Engine 29)"),
    *(_R("ContainerInspect", f"NetworkSettings.{name}", "hide", when=Since("1.52"),
         why="legacy top-level NetworkSettings fields (default network), omitted from API 1.52 (Engine 29)")
      for name in _LEGACY_NETWORK_SETTINGS),
    # Networks: the list stopped listing attached containers (empty since 1.28), and dropped the key at 1.52.
    _R("NetworkList", "*.Containers", "hide", when=Since("1.52"), why="omitted from the network list from API 1.52"),
    # System.
    _R("SystemInfo", "ContainerdCommit.Expected", "hide", when=Since("1.49"), why="deprecated, omitted from API 1.49 (Engine 28.1)"),
    _R("SystemInfo", "RuncCommit.Expected", "hide", when=Since("1.49"), why="deprecated, omitted from API 1.49 (Engine 28.1)"),
    _R("SystemInfo", "InitCommit.Expected", "hide", when=Since("1.49"), why="deprecated, omitted from API 1.49 (Engine 28.1)"),
    *(_R("SystemInfo", f"RegistryConfig.AllowNondistributableArtifacts{name}", "hide", when=Since("1.47"),
         why="always empty; the changelog says omitted from 1.49, but the daemon's code (api/server/router/system, "
             "v28.1) sends them only below 1.47: the code is followed")
      for name in ("CIDRs", "Hostnames")),
    *(_R("SystemInfo", name, "add", when=Before("1.50"), compute=_false,
         why="always false from 1.48, omitted from API 1.50; older requests still get false")
      for name in ("BridgeNfIptables", "BridgeNfIp6tables")),
    # Go structs' omitempty fields: absent, not null or "", when unset (dockerd 20.10, measured).
    *(_R("ContainerInspect", f"HostConfig.{name}", "omitempty", why="omitempty in dockerd's HostConfig")
      for name in ("Annotations", "Init", "Mounts")),
    *(_R("ImageInspect", f"{part}.ExposedPorts", "omitempty", why="omitempty in dockerd's container config")
      for part in ("Config", "ContainerConfig")),
    _R("ImageInspect", "Variant", "omitempty", why="omitempty in dockerd's image inspect"),
    _R("ExecInspect", "ProcessConfig.user", "omitempty", why="omitempty in dockerd's exec process config"),
    *(_R("SystemInfo", name, "omitempty", why="omitempty in dockerd's info")
      for name in ("ProductLicense", "ClusterStore", "ClusterAdvertise", "DefaultAddressPools", "Swarm.Cluster",
                   "Swarm.Nodes", "Swarm.Managers")),
    # Events: the pre-1.22 fields, undocumented, still sent by dockerd until API 1.52 (measured on 20.10).
    _R("EventMessage", "status", "hide", when=Since("1.52"), why="undocumented legacy field, sent below API 1.52"),
    _R("EventMessage", "id", "hide", when=Since("1.52"), why="undocumented legacy field, sent below API 1.52"),
    _R("EventMessage", "from", "hide", when=Since("1.52"), why="undocumented legacy field, sent below API 1.52"),
    _R("SystemDataUsage", "BuildCache.*.Parent", "hide", when=Since("1.42"),
       why="a build cache record's Parent is omitted from API 1.42 (Parents instead)"),
    # /system/df: BuilderSize (undocumented since 1.39, measured on 20.10) below 1.42; the 1.52 summary shape.
    _R("SystemDataUsage", "BuilderSize", "add", when=Before("1.42"), compute=_builder_size,
       why="sum of the build cache sizes, sent below API 1.42 (undocumented in those documents)"),
    _R("SystemDataUsage", "ImageUsage", "add", when=Since("1.52"), compute=_image_usage, why="the 1.52 summary shape"),
    _R("SystemDataUsage", "ContainerUsage", "add", when=Since("1.52"), compute=_container_usage, why="the 1.52 summary shape"),
    _R("SystemDataUsage", "VolumeUsage", "add", when=Since("1.52"), compute=_volume_usage, why="the 1.52 summary shape"),
    _R("SystemDataUsage", "BuildCacheUsage", "add", when=Since("1.52"), compute=_build_cache_usage,
       why="the 1.52 summary shape"),
    # The daemon's code keeps the legacy fields from 1.52 unless verbose=1 (the client knows the new shape): the
    # changelog announces their removal at 1.53, getDiskUsage (v29.0 and later) has no such gate. Code followed.
    *(_R("SystemDataUsage", name, "hide-when", when=Since("1.52"), compute=_verbose_asked,
         why="legacy shape, sent beside the *Usage summaries from 1.52 unless verbose=1")
      for name in _DF_LEGACY),
)


# --- projection -----------------------------------------------------------------------------------


class _Shape:
    """The keys a schema allows. ``props``: named properties (None: any key); ``values``: the shape of other
    keys' values (additionalProperties), ``items``: of array items. ``FREE`` keeps a value whole."""

    __slots__ = ("props", "values", "items")

    def __init__(self, props: dict[str, _Shape] | None = None, values: _Shape | None = None,
                 items: _Shape | None = None) -> None:
        self.props = props
        self.values = values
        self.items = items


FREE = _Shape()


def _shape(node: Any) -> _Shape:
    if not isinstance(node, dict):
        return FREE
    branches = node.get("anyOf") or node.get("oneOf")
    if branches:
        real = [b for b in branches if not (isinstance(b, dict) and b.get("enum") == [None])]
        if len(real) != 1:
            return FREE  # a real choice of shapes: keep what the engine built
        return _shape({**real[0], **{k: v for k, v in node.items() if k not in ("anyOf", "oneOf")}})
    if node.get("type") == "array" or "items" in node:
        items = _shape(node.get("items"))
        return FREE if items is FREE else _Shape(items=items)
    props = node.get("properties")
    extra = node.get("additionalProperties")
    if not props:
        if isinstance(extra, dict):
            values = _shape(extra)
            return FREE if values is FREE else _Shape(values=values)
        return FREE  # a free-form object (labels, options, driver data)
    values = _shape(extra) if isinstance(extra, dict) else (FREE if extra is True else None)
    return _Shape(props={name: _shape(sub) for name, sub in props.items()}, values=values)


def _exempt(shape: _Shape, parts: list[str]) -> _Shape:
    """``shape`` with the path ``parts`` kept whatever the document says (a rule names it)."""
    if shape is FREE or not parts:
        return shape
    head, rest = parts[0], parts[1:]
    if head == "*":
        if shape.items is not None:
            return _Shape(shape.props, shape.values, _exempt(shape.items, rest))
        if shape.values is not None:
            return _Shape(shape.props, _exempt(shape.values, rest), shape.items)
        return shape
    if shape.props is None:
        return shape  # any key goes already
    props = dict(shape.props)
    if head in props:
        props[head] = _exempt(props[head], rest)  # documented: keep its shape
    else:
        props[head] = FREE  # undocumented in the daemon's document: kept as the engine built it
    return _Shape(props, shape.values, shape.items)


def _project(value: Any, shape: _Shape) -> Any:
    """A copy of ``value`` with only the keys ``shape`` allows."""
    if shape is FREE:
        return _copy(value)
    if isinstance(value, list):
        items = shape.items or FREE
        return [_project(v, items) for v in value]
    if not isinstance(value, dict):
        return value
    props = shape.props
    out = {}
    for key, sub in value.items():
        if props is not None and key in props:
            out[key] = _project(sub, props[key])
        elif shape.values is not None:
            out[key] = _project(sub, shape.values)
        elif props is None:
            out[key] = _copy(sub)
    return out


_copy = tree_copy


def _response_roots(op: Operation | None, status: int) -> list[tuple[str, tuple[str, ...]]]:
    """Names a response can be addressed by in RULES: its operationId, and the component schema
    it is (or lists), with the path prefix that reaches it."""
    if op is None:
        return []
    roots: list[tuple[str, tuple[str, ...]]] = [(op.operation_id, ())]
    schema = op.response_schema(status)
    if isinstance(schema, dict):
        if "$ref" in schema:
            roots.append((schema["$ref"].rsplit("/", 1)[-1], ()))
        elif schema.get("type") == "array" and "$ref" in schema.get("items", {}):
            roots.append((schema["items"]["$ref"].rsplit("/", 1)[-1], ("*",)))
    return roots


@dataclass(frozen=True)
class _Plan:
    """What serializing one kind of answer takes: the projected shape and the rules (with their paths)."""

    shape: _Shape | None  # None: no schema to project onto (keep everything)
    rules: tuple[tuple[Rule, tuple[str, ...]], ...]


_PLANS: dict[tuple[Any, ...], _Plan] = {}
# Rows that say the daemon sends a field (to some requested versions) whatever its own document says.
_SENT_BEYOND_DOCUMENT = frozenset({"hide", "hide-when", "add"})


def _plan(daemon: ApiSpec, spec: ApiSpec, target: Operation | str, status: int, rules: tuple[Rule, ...]) -> _Plan:
    key = (daemon.version, spec.version, target if isinstance(target, str) else (target.method, target.path),
           status, id(rules))
    found = _PLANS.get(key)
    if found is not None:
        return found
    if isinstance(target, str):
        roots = [(target, ())]
        schema = daemon.schemas.get(target)
    else:
        own = daemon.operation_by_id(target.operation_id)
        roots = _response_roots(target, status)
        roots += [r for r in _response_roots(own, status) if r not in roots]
        schema = own.response_schema(status) if own is not None else target.response_schema(status)
    matched = tuple((rule, (*prefix, *rule.field.split("."))) for rule in rules for name, prefix in roots
                    if rule.root == name)
    shape = None
    if schema is not None:
        shape = _shape(daemon.flatten(schema))
        for rule, parts in matched:
            if rule.action in _SENT_BEYOND_DOCUMENT:
                shape = _exempt(shape, list(parts))
    found = _PLANS[key] = _Plan(shape, matched)
    return found


def _apply(node: Any, parts: tuple[str, ...], rule: Rule, applies: bool, query: Mapping[str, list[str]]) -> None:
    if not parts:
        return
    head, rest = parts[0], parts[1:]
    if head == "*":
        children = node if isinstance(node, list) else list(node.values()) if isinstance(node, dict) else []
        for child in children:
            _apply(child, rest, rule, applies, query)
        return
    if not isinstance(node, dict):
        return
    if rest:
        if head in node:
            _apply(node[head], rest, rule, applies, query)
        return
    if rule.action == "add":
        value = rule.compute(node, query) if applies and rule.compute else SKIP
        if value is SKIP:
            node.pop(head, None)
        else:
            node[head] = value
    elif not applies or head not in node:
        return
    elif rule.action == "hide":
        del node[head]
    elif rule.action == "hide-when" and rule.compute is not None:
        if rule.compute(node, query):
            del node[head]
    elif rule.action == "omitempty":
        if node[head] in _EMPTY:
            del node[head]
    elif rule.action == "adapt" and rule.compute is not None:
        node[head] = rule.compute(node[head], query)
    elif rule.action == "fill" and rule.compute is not None:
        rule.compute(node, query)


_EMPTY = (None, "", 0, False, [], {})


def serialize(obj: Any, *, spec: ApiSpec, version: str, target: Operation | str, status: int = 200,
              daemon: ApiSpec | str | None = None, query: Mapping[str, list[str]] | None = None,
              rules: tuple[Rule, ...] = RULES) -> Any:
    """``obj`` as dockerd answers it at ``version``: projected onto the daemon's own document, then
    the version rules applied (always a copy).

    ``target`` is the Operation the object answers (its response schema at ``status``) or a component
    schema name (for objects inside streams, e.g. events). ``daemon`` is the document of the daemon's
    newest version (default: ``spec``); ``query`` the request's query (some rules read it)."""
    own = spec if daemon is None else specs.for_request(daemon) if isinstance(daemon, str) else daemon
    plan = _plan(own, spec, target, status, rules)
    out = _project(obj, plan.shape) if plan.shape is not None else _copy(obj)
    q = query or {}
    for rule, parts in plan.rules:
        _apply(out, parts, rule, rule.applies(version), q)
    return out


def go_json(obj: Any) -> bytes:
    """Go's json encoding: compact, HTML characters escaped (no trailing newline)."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode()


def dumps(obj: Any) -> bytes:
    """Go's json.Encoder output: :func:`go_json`, newline-terminated."""
    return go_json(obj) + b"\n"
