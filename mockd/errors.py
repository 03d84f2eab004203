"""dockerd's error shapes. Handlers raise :class:`DockerError`; the middleware renders it.

dockerd writes ``{"message": "..."}`` and a newline with ``Content-Type: application/json`` for
API versions above 1.23, and Go's ``http.Error`` plain text (``text/plain; charset=utf-8``,
``X-Content-Type-Options: nosniff``) below.
"""

from __future__ import annotations

from aiohttp import web

from mockd.serializer import dumps


class DockerError(Exception):
    """An error a handler wants answered as dockerd would: ``raise DockerError(404, "No such container: x")``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_body(message: str) -> bytes:
    return dumps({"message": message})  # Go's json.Encoder, as dockerd writes it


def error_response(status: int, message: str, *, plain: bool = False) -> web.Response:
    if plain:
        resp = web.Response(status=status, body=(message + "\n").encode())
        resp.headers["Content-Type"] = "text/plain; charset=utf-8"
        resp.headers["X-Content-Type-Options"] = "nosniff"
        return resp
    resp = web.Response(status=status, body=error_body(message))
    resp.headers["Content-Type"] = "application/json"
    return resp


def page_not_found() -> web.Response:
    return error_response(404, "page not found")


# Texts dockerd uses for "nothing by that name", by the resource a path parameter names.
def no_such(resource: str, name: str) -> DockerError:
    texts = {
        "container": f"No such container: {name}",
        "image": f"No such image: {name}",
        "image-inspect": f"no such image: {name}: No such image: {_with_tag(name)}",
        "network": f"network {name} not found",
        "volume": f"get {name}: no such volume",
        "plugin": f'plugin "{name}" not found',
        "exec": f"No such exec instance: {name}",
        "node": f"node {name} not found",
        "service": f"service {name} not found",
        "task": f"task {name} not found",
        "secret": f"secret {name} not found",
        "config": f"config {name} not found",
    }
    return DockerError(404, texts[resource])


def _with_tag(ref: str) -> str:
    last = ref.rsplit("/", 1)[-1]
    return ref if (":" in last or "@" in ref) else f"{ref}:latest"


SWARM_NOT_MANAGER = ('This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" '
                     "to connect this node to swarm and try again.")
SWARM_NOT_MEMBER = "This node is not part of a swarm"
