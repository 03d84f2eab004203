"""The server's settings, built by ``mockd.cli`` from flags or directly by tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from mockd.tls import TLSOptions
from mockd.versioning import Bounds, resolve_bounds


@dataclass
class Config:
    # Listener URLs in dockerd's -H forms: unix:///path, tcp://host:port, fd:// is not supported.
    hosts: list[str] = field(default_factory=list)
    api_version: str | None = None  # newest version this daemon speaks (default: newest document)
    min_api_version: str | None = None  # oldest accepted (default 1.24, or the named engine release's floor)
    engine_version: str | None = None  # Server: / /version strings; alone it also sets the bounds
    strict: bool = False  # request findings of severity error/warning from the spec become 400 errors
    record: str | None = None  # --record FILE.jsonl, started at start-up
    record_dir: str | None = None  # --record-dir DIR: the only place POST /_mockd/record/start may write
    control_on_tcp: bool = False  # --control-on-tcp: serve /_mockd/ on TCP listeners too (token required)
    control_token_file: str | None = None  # --control-token-file FILE (default: next to the default socket)
    seed: str | None = None  # --seed FILE (YAML/JSON): the engine starts from it and returns to it on reset
    registry: str = "permissive"  # --registry: "strict" pulls only what Docker Hub (the catalog), the seed, a push has
    log_level: str = "info"
    os_type: str = "linux"
    arch: str = "amd64"
    kernel_version: str = "6.1.0-mockd"
    experimental: bool = False
    hostname: str = "mockd"
    tls: TLSOptions | None = None  # --tls/--tlsverify on TCP listeners (mockd.tls)
    faults: list[str] = field(default_factory=list)  # --fault SPEC (mockd.faults), applied from start-up
    data_root: str | None = None  # --data-root DIR: the state kept there across restarts (mockd/persist)
    publish_ports: str = "loopback"  # where published ports listen: loopback | all | off (mockd/engine/publish.py)

    def bounds(self) -> Bounds:
        return resolve_bounds(self.api_version, self.min_api_version, self.engine_version)
