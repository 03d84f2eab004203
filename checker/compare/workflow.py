"""Workflows: sequences of API calls whose later steps use values saved from earlier ones.

A workflow is YAML (bundled ones live in ``checker/workflows/``)::

    name: common
    steps:
      - name: create a container
        method: POST
        path: /containers/create
        query: {name: "apicheck-{run}-c"}
        body: {Image: "{image}", Cmd: [sh, -c, "echo hi"], Labels: {apicheck.sandbox: "{run}"}}
        save: {cid: Id}            # variable <- dotted path in the JSON answer
      - {name: inspect, method: GET, path: "/containers/{cid}/json"}
    cleanup:                       # always run, on both daemons, whatever happened
      - {method: DELETE, path: "/containers/{cid}", query: {force: "1"}}

Strings may use ``{run}`` (a fresh id per run), ``{image}``, ``{now}`` (unix time), ``{start}`` (the run's
start time) and any saved variable. ``versioned: false`` sends the path without the ``/vX.Y`` prefix.
``stream: true`` marks a streamed answer (its framing is compared). ``delay`` waits before the step;
``until`` (a substring) repeats the step for up to 5 s until the body contains it.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from checker.daemon.client import DaemonClient, Response, TransportError

BUNDLED_DIR = Path(__file__).resolve().parent.parent / "workflows"
_VAR = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class WorkflowError(ValueError):
    """A workflow file that cannot be used."""


@dataclass
class Step:
    name: str
    method: str
    path: str
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    save: dict[str, str] = field(default_factory=dict)
    versioned: bool = True
    stream: bool = False
    delay: float = 0.0
    until: str = ""
    compare: bool = True  # False: run it (setup), but do not compare it


@dataclass
class Workflow:
    name: str
    steps: list[Step]
    cleanup: list[Step] = field(default_factory=list)
    description: str = ""


def _step(raw: Any, index: int, source: str) -> Step:
    if not isinstance(raw, dict) or "method" not in raw or "path" not in raw:
        raise WorkflowError(f"{source}: step {index + 1} needs at least method and path")
    known = set(Step.__dataclass_fields__)
    unknown = set(raw) - known
    if unknown:
        raise WorkflowError(f"{source}: step {index + 1} has unknown keys {sorted(unknown)}")
    data = dict(raw)
    data.setdefault("name", f"{data['method']} {data['path']}")
    data["method"] = str(data["method"]).upper()
    return Step(**data)


def load_workflow(ref: str) -> Workflow:
    """A bundled workflow by name (``common``) or a YAML file."""
    path = Path(ref)
    if not path.exists():
        path = BUNDLED_DIR / f"{ref}.yaml"
    if not path.exists():
        names = ", ".join(bundled_workflows())
        raise WorkflowError(f"{ref!r} is neither a file nor a bundled workflow ({names})")
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or not isinstance(raw.get("steps"), list):
        raise WorkflowError(f"{path}: a workflow is a mapping with a list of steps")
    steps = [_step(s, i, str(path)) for i, s in enumerate(raw["steps"])]
    cleanup = [_step(s, i, str(path)) for i, s in enumerate(raw.get("cleanup") or [])]
    return Workflow(str(raw.get("name", path.stem)), steps, cleanup, str(raw.get("description", "")))


def bundled_workflows() -> list[str]:
    return sorted(p.stem for p in BUNDLED_DIR.glob("*.yaml"))


class MissingVariable(KeyError):
    pass


def substitute(value: Any, variables: dict[str, str]) -> Any:
    if isinstance(value, str):
        def repl(m: re.Match[str]) -> str:
            name = m.group(1)
            if name == "now":
                return str(int(time.time()))
            if name not in variables:
                raise MissingVariable(name)
            return str(variables[name])

        return _VAR.sub(repl, value)
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    if isinstance(value, dict):
        return {substitute(k, variables): substitute(v, variables) for k, v in value.items()}
    return value


def dig(value: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return None
    return value


@dataclass
class StepResult:
    step: Step
    url: str = ""
    response: Response | None = None
    skipped: str = ""
    error: str = ""


@dataclass
class WorkflowRun:
    host: str
    version: str
    variables: dict[str, str]
    results: list[StepResult]
    cleanup: list[StepResult]


def run_workflow(client: DaemonClient, wf: Workflow, version: str, variables: dict[str, str]) -> WorkflowRun:
    """Run every step (then the cleanup steps, always) against one daemon."""
    env = dict(variables)
    env.setdefault("run", uuid.uuid4().hex[:10])
    env.setdefault("start", str(int(time.time()) - 1))
    results: list[StepResult] = []
    cleanup: list[StepResult] = []
    try:
        for step in wf.steps:
            results.append(_run_step(client, step, version, env))
    finally:
        for step in wf.cleanup:
            cleanup.append(_run_step(client, step, version, env))
    return WorkflowRun(str(client.host), version, env, results, cleanup)


def _run_step(client: DaemonClient, step: Step, version: str, env: dict[str, str]) -> StepResult:
    try:
        path = substitute(step.path, env)
        query = substitute(step.query, env)
        body = substitute(step.body, env)
        headers = substitute(step.headers, env)
    except MissingVariable as exc:
        return StepResult(step, skipped=f"needs {exc.args[0]}, which no earlier step saved")
    if step.delay:
        time.sleep(step.delay)
    deadline = time.monotonic() + 5.0
    while True:
        try:
            resp = client.request(step.method, path, version=version if step.versioned else None, query=query,
                                  body=body, headers=headers, read_seconds=10.0 if step.stream else None,
                                  max_bytes=1 << 20 if step.stream else None)
        except TransportError as exc:
            return StepResult(step, url=path, error=str(exc))
        if not step.until or step.until.encode() in resp.body or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    data = resp.json_or_none()
    for var, dotted in step.save.items():
        value = dig(data, dotted)
        if value is not None:
            env[var] = str(value)
    return StepResult(step, url=resp.url, response=resp)
