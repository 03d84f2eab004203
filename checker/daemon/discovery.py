"""Real ids for path parameters, discovered from the daemon's list endpoints (read-only)."""

from __future__ import annotations

from typing import Any

from checker.daemon.client import DaemonClient, TransportError

# First path segment of a template -> the kind of object its {id}/{name} parameter names.
SEGMENT_KIND = {
    "containers": "container", "images": "image", "networks": "network", "volumes": "volume",
    "plugins": "plugin", "exec": "exec", "services": "service", "nodes": "node", "tasks": "task",
    "secrets": "secret", "configs": "config", "distribution": "image-ref",
}  # fmt: skip

# kind -> (list path, how to pull ids out of the list body)
_LISTS: dict[str, tuple[str, dict[str, Any]]] = {
    "container": ("/containers/json", {"all": "1"}),
    "image": ("/images/json", {}),
    "network": ("/networks", {}),
    "volume": ("/volumes", {}),
    "plugin": ("/plugins", {}),
    "service": ("/services", {}),
    "node": ("/nodes", {}),
    "task": ("/tasks", {}),
    "secret": ("/secrets", {}),
    "config": ("/configs", {}),
}


def kind_of(template: str) -> str | None:
    """The object kind a template's path parameter names (``/containers/{id}/json`` -> container)."""
    if "{" not in template:
        return None
    return SEGMENT_KIND.get(template.strip("/").split("/")[0])


def _ids(kind: str, body: Any) -> list[str]:
    if kind == "volume":
        items = (body or {}).get("Volumes") or [] if isinstance(body, dict) else []
        return [v["Name"] for v in items if isinstance(v, dict) and v.get("Name")]
    if not isinstance(body, list):
        return []
    if kind == "container":
        # Running containers first: top and stats need one.
        body = sorted(body, key=lambda c: 0 if isinstance(c, dict) and c.get("State") == "running" else 1)
    if kind == "plugin":
        return [p["Name"] for p in body if isinstance(p, dict) and p.get("Name")]
    out = []
    for item in body:
        if isinstance(item, dict):
            value = item.get("Id") or item.get("ID") or item.get("Name")
            if value:
                out.append(str(value))
    return out


def discover(client: DaemonClient, version: str | None = None, extra: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """kind -> ids that exist now (first ones preferred). ``extra`` ids (e.g. sandbox objects) come first."""
    found: dict[str, list[str]] = {k: list(v) for k, v in (extra or {}).items()}
    for kind, (path, query) in _LISTS.items():
        try:
            resp = client.request("GET", path, version=version, query=query, timeout=15)
        except TransportError:
            continue
        if resp.status != 200:
            continue
        for ident in _ids(kind, resp.json_or_none()):
            if ident not in found.setdefault(kind, []):
                found[kind].append(ident)
    # Image references (for distribution/{name}/json, which asks the registry about one).
    try:
        resp = client.request("GET", "/images/json", version=version, timeout=15)
        for image in resp.json_or_none() or [] if resp.status == 200 else []:
            for tag in (image.get("RepoTags") or []) if isinstance(image, dict) else []:
                if tag and tag != "<none>:<none>" and tag not in found.setdefault("image-ref", []):
                    found["image-ref"].append(tag)
    except TransportError:
        pass
    # Exec ids are listed by the containers that own them.
    for cid in found.get("container", [])[:5]:
        try:
            resp = client.request("GET", f"/containers/{cid}/json", version=version, timeout=15)
        except TransportError:
            continue
        body = resp.json_or_none()
        if resp.status == 200 and isinstance(body, dict):
            for exec_id in body.get("ExecIDs") or []:
                if exec_id not in found.setdefault("exec", []):
                    found["exec"].append(exec_id)
    return {k: v for k, v in found.items() if v}
