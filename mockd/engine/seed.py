"""Seeding: images (with files), containers in any state, volumes, networks, process rules and registry
refusals, from a YAML/JSON document (`mockd --seed FILE`, `POST /_mockd/seed`).

    images:
      - ref: myapp:1.0            # or refs: [a:1, b:2]
        cmd: ["sh", "-c", "serve"] # or config: {Cmd: ..., Env: ..., ...} (Docker's own keys)
        env: ["MODE=prod"]
        files: {/app/hello.txt: "hi"}
    registry:
      refusals: [{pattern: "private/*", kind: denied}, {pattern: "busybox:nope", kind: manifest-unknown}]
      images: [{ref: "acme/*", cmd: ["acme-server"]}]   # what a pull of a matching reference gets
      credentials: {alice: secret}                        # logins; every login succeeds without it
    rules:                       # how a match is chosen: mockd.engine.process.Rule, docs/mockd.md
      - {image: "myapp*", command: "*serve*", stdout: "listening on :80\\n", duration: 3600,
         scope: start, listen: [80]}  # scope: start | exec | healthcheck | any (default)
    volumes: [{name: data, labels: {a: b}, files: {/seed.txt: "x"}}]
    networks: [{name: backend, subnet: 10.10.0.0/24, labels: {}}]
    containers:
      - {name: web, image: myapp:1.0, state: running, env: [..], labels: {..}, volumes: ["data:/data"],
         network: backend, ports: {"80/tcp": 8080}, logs: "old line\\n", exit_code: 0}
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import references
from .errors import InvalidParameter
from .ids import now_ns
from .process import Rule, check_rules
from .registry import Refusal, RemoteImage, synthetic_image

if TYPE_CHECKING:
    from .engine import Engine

_CONFIG_KEYS = {"cmd": "Cmd", "entrypoint": "Entrypoint", "env": "Env", "workdir": "WorkingDir",
                "working_dir": "WorkingDir", "user": "User", "labels": "Labels", "exposed_ports": "ExposedPorts",
                "volumes": "Volumes", "stop_signal": "StopSignal"}


def load_seed_file(path: str | Path) -> dict:
    text = Path(path).read_text()
    return parse_seed(text)


def parse_seed(text: str | bytes) -> dict:
    if isinstance(text, bytes):
        text = text.decode()
    try:
        import yaml

        data = yaml.safe_load(text)
    except ImportError:
        data = json.loads(text)
    except Exception as err:  # noqa: BLE001 - yaml's errors are many
        raise InvalidParameter(f"invalid seed: {err}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidParameter("invalid seed: the document must be a mapping")
    # "faults" belongs to the server (mockd.faults), not the engine: accepted here, read by the app.
    unknown = set(data) - {"images", "registry", "rules", "volumes", "networks", "containers", "faults"}
    if unknown:
        raise InvalidParameter(f"invalid seed: unknown sections {sorted(unknown)}")
    load_rules(data.get("rules") or [])  # a bad rule refuses the document when it is read
    return data


def _image_config(spec: dict) -> dict:
    config = dict(spec.get("config") or {})
    for key, docker_key in _CONFIG_KEYS.items():
        if key in spec:
            value = spec[key]
            if docker_key in ("Cmd", "Entrypoint") and isinstance(value, str):
                value = ["/bin/sh", "-c", value]
            if docker_key == "ExposedPorts" and isinstance(value, list):
                value = {(p if "/" in str(p) else f"{p}/tcp"): {} for p in value}
            if docker_key == "Volumes" and isinstance(value, list):
                value = {p: {} for p in value}
            config[docker_key] = value
    if "Env" in config:
        config["Env"] = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", *config["Env"]]
    return config


def load_rules(items: list) -> list[Rule]:
    """The seed's rules, checked: a rule that can never match is an error here, not a silent no-op."""
    try:
        rules = [Rule.from_dict(item) for item in items]
        check_rules(rules)
    except (ValueError, TypeError) as err:
        raise InvalidParameter(f"invalid seed: {err}") from None
    return rules


def apply_seed(engine: Engine, seed: dict) -> None:
    registry = seed.get("registry") or {}
    for item in registry.get("refusals") or []:
        if isinstance(item, str):
            item = {"pattern": item}
        engine.registry.refusals.append(Refusal(item["pattern"], item.get("kind", "denied"),
                                                item.get("message", "")))
    for item in registry.get("images") or []:
        engine.registry.remote[item["ref"]] = RemoteImage(_image_config(item), item.get("files"))
    if registry.get("credentials") is not None:
        engine.registry.credentials = dict(registry["credentials"])
    engine.state.rules = load_rules(seed.get("rules") or [])
    for item in seed.get("images") or []:
        refs = item.get("refs") or [item["ref"]]
        first = references.parse(refs[0])
        image = synthetic_image(first, _image_config(item), item.get("files"))
        image = engine.images.add(image)
        for ref in refs:
            engine.images.tag(image, references.parse(ref).name)
            # The seed describes images that exist: a pull of one gets it back (strict registry included).
            engine.registry.pushed[references.parse(ref).name] = image
    for item in seed.get("volumes") or []:
        volume = engine.create_volume(item["name"], item.get("driver", "local"), item.get("labels"),
                                      item.get("options"))
        for path, content in (item.get("files") or {}).items():
            volume.tree.mkdir(path.rsplit("/", 1)[0] or "/", parents=True)
            volume.tree.write(path, content.encode() if isinstance(content, str) else content)
    for item in seed.get("networks") or []:
        ipam = {"Config": [{"Subnet": item["subnet"], **({"Gateway": item["gateway"]} if item.get("gateway")
                                                          else {})}]} if item.get("subnet") else None
        engine.create_network({"Name": item["name"], "Driver": item.get("driver", "bridge"), "IPAM": ipam,
                               "Labels": item.get("labels"), "Internal": item.get("internal", False),
                               "Attachable": item.get("attachable", False)})
    engine.state.seed_starts = []
    for item in seed.get("containers") or []:
        _seed_container(engine, item)
    engine.start_seeded()


def _seed_container(engine: Engine, item: dict[str, Any]) -> None:
    image_ref = item["image"]
    if engine.images.find(image_ref) is None:
        engine.pull(image_ref)
    body: dict[str, Any] = {"Image": image_ref, "Labels": item.get("labels") or {}}
    for key, docker_key in (("cmd", "Cmd"), ("entrypoint", "Entrypoint"), ("env", "Env"), ("user", "User"),
                            ("workdir", "WorkingDir"), ("tty", "Tty"), ("hostname", "Hostname")):
        if key in item:
            value = item[key]
            if docker_key in ("Cmd", "Entrypoint") and isinstance(value, str):
                value = ["/bin/sh", "-c", value]
            body[docker_key] = value
    host: dict[str, Any] = {}
    if item.get("volumes"):
        host["Binds"] = list(item["volumes"])
    if item.get("network"):
        host["NetworkMode"] = item["network"]
    if item.get("ports"):
        host["PortBindings"] = {(k if "/" in str(k) else f"{k}/tcp"): [{"HostIp": "", "HostPort": str(v)}]
                                for k, v in item["ports"].items()}
        body["ExposedPorts"] = {k: {} for k in host["PortBindings"]}
    if item.get("restart"):
        host["RestartPolicy"] = {"Name": item["restart"], "MaximumRetryCount": 0}
    body["HostConfig"] = host
    c, _ = engine.create_container(body, item.get("name", ""))
    if item.get("logs"):
        for line in str(item["logs"]).splitlines(keepends=True):
            c.emit(1, line.encode())
    state = item.get("state", "created")
    if state in ("running", "paused"):
        engine.state.seed_starts.append((c.id, state))
    elif state in ("exited", "dead"):
        c.status = state
        c.exit_code = int(item.get("exit_code", 0))
        c.started_ns = c.finished_ns = now_ns()
    elif state != "created":
        raise InvalidParameter(f"invalid seed: container state {state!r}")


def start_seeded(engine: Engine) -> None:
    """Start seeded running/paused containers once an event loop runs (an app built before its loop seeds
    lazily on the first request)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    pending, engine.state.seed_starts = engine.state.seed_starts, []
    for cid, state in pending:
        if cid in engine.containers:
            engine.start_container(cid)
            if state == "paused":
                engine.pause_container(cid)
