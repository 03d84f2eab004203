"""Exec: a second process in a running container (create, start through the runtime, resize)."""

from __future__ import annotations

import asyncio

from .detach import exec_keys
from .errors import Conflict, EngineError, InvalidParameter, NotFound
from .execs import ExecInstance
from .ids import new_id
from .network_ops import embedded_dns
from .pipe import Pipe
from .runtime import Process, Runtime, StartError, container_job, launch
from .state import DaemonState

EXEC_READY_TIMEOUT = 10.0  # seconds dockerd waits for an exec's process before a resize gives up


class ExecOps:
    def __init__(self, state: DaemonState, runtime: Runtime) -> None:
        self.state = state
        self.runtime = runtime

    # -- exec --
    def create_exec(self, ref: str, config: dict) -> ExecInstance:
        c = self.state.container(ref)
        if c.status == "paused":
            raise Conflict(f"Container {c.id} is paused, unpause the container before exec")
        if not c.running or c.status == "restarting":
            raise Conflict(f"Container {c.id} is not running")
        if not config.get("Cmd"):
            raise InvalidParameter("No exec command specified")
        # Go's JSON decoder matches field names case-insensitively: docker-py sends `detachKeys`.
        keys = exec_keys(next((v for k, v in config.items() if k.lower() == "detachkeys" and v), "") or "")
        ex = ExecInstance(id=new_id(), container_id=c.id, config=dict(config), detach_keys=keys)
        if not config.get("AttachStdin"):
            ex.stdin = Pipe(closed=True)
        self.state.execs[ex.id] = ex
        c.exec_ids.append(ex.id)
        self.state.container_event(c, f"exec_create: {' '.join(config.get('Cmd') or [])}",
                              execID=ex.id)
        return ex

    def get_exec(self, exec_id: str) -> ExecInstance:
        ex = self.state.execs.get(exec_id)
        if ex is None:
            raise NotFound(f"No such exec instance: {exec_id}")
        return ex

    def start_exec(self, exec_id: str) -> ExecInstance:
        ex = self.get_exec(exec_id)
        if ex.started:
            raise Conflict(f"Error: Exec command {exec_id} has already run" if ex.running is False
                           else f"Error: Exec command {exec_id} is already running")
        c = self.state.container(ex.container_id)
        if not c.running:
            raise Conflict(f"Container {c.id} is not running")
        ex.started = True
        argv = list(ex.config.get("Cmd") or [])
        job = container_job(c, argv, self.state.rules, write=ex.emit, stdin=ex.stdin, env_extra=ex.config.get("Env"),
                            cwd=ex.config.get("WorkingDir") or "", user=ex.config.get("User") or "",
                            pid=self.runtime.next_pid, tty=ex.tty, scope="exec",
                            unsimulated=self.runtime.unsimulated_program,
                            dns=lambda name: embedded_dns(self.state, c, name))
        self.state.container_event(c, f"exec_start: {' '.join(argv)}", execID=ex.id)
        generation = self.runtime.generation

        def on_exit(code: int) -> None:
            if ex.detached:
                return  # dockerd stopped following it when the client detached
            ex.exit_code = code
            ex.running = False
            ex.process = None  # the record outlives its process (inspectable until the container goes): not its task
            c.finished_execs.add(ex.id)
            ex.end_streams()
            ex.done.set()
            ex.ready.set()
            if generation == self.runtime.generation:
                self.state.container_event(c, "exec_die", execID=ex.id, exitCode=code)

        def started(proc: Process) -> None:
            ex.running = True
            ex.pid = proc.pid
            ex.process = proc
            ex.ready.set()

        try:
            proc = launch(job, on_exit, started)
        except StartError as err:
            ex.emit(1, f"OCI runtime exec failed: exec failed: unable to start container process: "
                       f"{err.message}: unknown\r\n".encode())
            on_exit(126 if err.exit_code == 126 or "not found" in err.message else err.exit_code)
            return ex
        if c.status == "paused":
            proc.running.clear()
        return ex

    def exec_detached(self, exec_id: str) -> None:
        """The client typed the detach keys: dockerd 20.10 takes the wrapped escape error for a failed start, so
        the exec shows Running false and ExitCode 126 while its process runs on in the container."""
        ex = self.get_exec(exec_id)
        if ex.detached or not ex.running:
            return
        ex.detached, ex.running, ex.exit_code = True, False, 126
        c = self.state.container(ex.container_id)
        c.finished_execs.add(ex.id)
        ex.end_streams()
        ex.done.set()

    async def resize_exec(self, exec_id: str, h: int, w: int) -> None:
        """dockerd waits up to 10 s for the exec's process to start (a client resizes right after the start's
        101, before the runtime ran it); then a 500. An exec that has ended is gone for a resize (404), as
        measured on dockerd 20.10."""
        ex = self.get_exec(exec_id)
        if not self.state.container(ex.container_id).running:
            raise Conflict(f"Container {ex.container_id} is not running")
        try:
            await asyncio.wait_for(ex.ready.wait(), EXEC_READY_TIMEOUT)
        except TimeoutError:
            raise EngineError("timeout waiting for exec session ready", 500) from None
        if not ex.running:
            raise NotFound("no such exec")
        ex.tty_size = (h, w)

