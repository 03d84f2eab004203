"""A registry mirror on loopback for the real dockerd of a conformance run: the offline images served as Docker
Hub would serve them, so the suites' own pulls work as they do online.

Why a mirror and not only `docker import`: aiodocker's tests delete `python:3.13-alpine` and let
`containers.run` pull it again (test_run_container_with_missing_image, test_run_failing_start_container), and
its `testing_images` fixture runs `docker pull` before every test. Against an offline dockerd with imported
images the first such delete loses the image for every later test (about 30 cascade failures that say nothing
about the daemon). mockd pulls its catalog's images; this gives dockerd the same (`--registry-mirror`: a pull
of docker.io/library/python asks here first, then Docker Hub, which is unreachable).

The registry speaks the part of the distribution API v2 a pull uses: `GET /v2/`, manifests (schema 2) by tag or
digest and blobs, HEAD and GET. Each image is one gzip layer (the rootfs) and a config with the image's Cmd
and Env; unknown repositories and tags are MANIFEST_UNKNOWN, as Docker Hub answers."""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG_V1 = "application/vnd.docker.container.image.v1+json"
LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
CREATED = "2026-08-13T03:27:51Z"


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Store:
    """Blobs by digest and manifests by (repository, tag or digest)."""
    blobs: dict[str, bytes] = field(default_factory=dict)
    manifests: dict[tuple[str, str], bytes] = field(default_factory=dict)
    _layers: dict[str, tuple[str, int]] = field(default_factory=dict)  # diff_id -> blob digest, size

    def _layer(self, rootfs: bytes) -> tuple[str, str, int]:
        diff_id = _digest(rootfs)
        if diff_id not in self._layers:
            # mtime=0 and level 1: deterministic bytes, quick to make (the python rootfs is tens of MB)
            blob = gzip.compress(rootfs, compresslevel=1, mtime=0)
            self.blobs[_digest(blob)] = blob
            self._layers[diff_id] = (_digest(blob), len(blob))
        return self._layers[diff_id][0], diff_id, self._layers[diff_id][1]

    def add(self, ref: str, rootfs: bytes, cmd: list[str], env: list[str]) -> None:
        """Serve `ref` (`name:tag`, Docker Hub's `library/` added to a one-part name) as that rootfs and config."""
        name, _, tag = ref.partition(":")
        repo = name if "/" in name else f"library/{name}"
        layer, diff_id, size = self._layer(rootfs)
        config = json.dumps({
            "architecture": "amd64", "os": "linux", "created": CREATED,
            "config": {"Cmd": cmd, "Env": env},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
            "history": [{"created": CREATED, "created_by": f"conformance mirror: {ref}"}],
        }, sort_keys=True).encode()
        self.blobs[_digest(config)] = config
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": MANIFEST_V2,
            "config": {"mediaType": CONFIG_V1, "size": len(config), "digest": _digest(config)},
            "layers": [{"mediaType": LAYER_GZIP, "size": size, "digest": layer}],
        }, indent=3).encode()
        self.manifests[(repo, tag or "latest")] = manifest
        self.manifests[(repo, _digest(manifest))] = manifest


class _Handler(BaseHTTPRequestHandler):
    store: Store  # set on the subclass made per server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass  # dockerd's own log says what it pulled

    def _send(self, status: int, body: bytes, content_type: str, digest: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        if digest:
            self.send_header("Docker-Content-Digest", digest)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _unknown(self, code: str, what: str) -> None:
        body = json.dumps({"errors": [{"code": code, "message": f"{what} unknown", "detail": self.path}]})
        self._send(404, body.encode(), "application/json")

    def do_GET(self) -> None:  # noqa: N802 - http.server's method name
        path = self.path.split("?", 1)[0]
        if path in ("/v2", "/v2/"):
            self._send(200, b"{}", "application/json")
            return
        head, sep, ref = path.removeprefix("/v2/").rpartition("/manifests/")
        if sep:
            manifest = self.store.manifests.get((head, ref))
            if manifest is None:
                self._unknown("MANIFEST_UNKNOWN", "manifest")
            else:
                self._send(200, manifest, MANIFEST_V2, _digest(manifest))
            return
        head, sep, digest = path.removeprefix("/v2/").rpartition("/blobs/")
        blob = self.store.blobs.get(digest) if sep else None
        if blob is None:
            self._unknown("BLOB_UNKNOWN", "blob")
        else:
            self._send(200, blob, "application/octet-stream", digest)

    do_HEAD = do_GET  # noqa: N815 - http.server's method name


class Mirror:
    """The registry, served from a thread of this process on 127.0.0.1 (a loopback registry is insecure-allowed
    by dockerd's defaults, so plain http works)."""

    def __init__(self, store: Store):
        handler = type("Handler", (_Handler,), {"store": store})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="conformance-mirror", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
