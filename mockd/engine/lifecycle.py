"""Container lifecycle: start, stop, kill, restart, pause, wait and remove, and the restart policy that runs
when a container's process exits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from . import health
from .containers import Container, legacy_links
from .errors import Conflict, EngineError, InvalidParameter, NotModified
from .ids import now_ns
from .network_ops import NetworkOps, embedded_dns
from .peers import link_env
from .pipe import Pipe
from .process import parse_signal
from .publish import Publisher
from .runtime import Process, Runtime, StartError, container_job, launch
from .state import DaemonState

RUNTIME_PREFIX = ("failed to create task for container: failed to create shim task: OCI runtime create failed: "
                  "runc create failed: unable to start container process: ")


class Lifecycle:
    def __init__(self, state: DaemonState, runtime: Runtime, network_ops: NetworkOps, publisher: Publisher) -> None:
        self.state = state
        self.runtime = runtime
        self.network_ops = network_ops
        self.publisher = publisher
        # The engine's view for a container's programs (peers.ContainerLink): names on its networks, the daemon.
        self.link: Callable[[Container], Any] | None = None

    # -- start / stop --
    def start_container(self, ref: str) -> Container:
        c = self.state.container(ref)
        if c.status == "paused":
            raise Conflict("cannot start a paused container, try unpause instead")
        if c.status in ("running", "restarting"):
            raise NotModified("Container already started")
        if c.status in ("removing", "dead"):
            raise Conflict("container is marked for removal and cannot be started")
        self._check_links(c)
        try:
            self._run(c, checked=True)
        except StartError as err:
            c.exit_code = err.exit_code
            c.error = RUNTIME_PREFIX + err.message + ": unknown"
            self.state.container_event(c, "die", exitCode=err.exit_code)
            if c.host_config.get("AutoRemove"):  # dockerd cleans up a failed --rm start
                self.runtime.spawn(self._auto_remove(c, self.runtime.generation))
            raise EngineError(c.error, 400) from None
        return c

    def _check_links(self, c: Container) -> None:
        """On the default bridge every container it links to must run (dockerd's setupLinkedContainers)."""
        if (c.host_config.get("NetworkMode") or "default") not in ("default", "bridge"):
            return
        for target, alias in legacy_links(c):
            linked = self.state.find_container_by_name(target)
            if linked is not None and not linked.running:
                raise EngineError(f"Cannot link to a non running container: /{linked.name} AS /{c.name}/{alias}")

    def _run(self, c: Container, checked: bool) -> None:
        """Launch the container's command; `checked`: the runtime checks the user and the executable first
        (a start; a restart by the policy reuses the first start's checks). Raises StartError."""
        stdin = c.stdin
        if not c.config.get("OpenStdin"):
            stdin = Pipe(closed=True)
        elif c.started_ns and c.stdin.closed:
            stdin = Pipe()  # a restart gets a fresh stdin; a first start keeps what attach fed before it
        c.link_env = link_env(self.state, c)
        job = container_job(c, [c.path, *c.args], self.state.rules, write=c.emit, stdin=stdin, pid=1, tty=c.tty,
                            init=bool(c.host_config.get("Init")), scope="start",
                            unsimulated=self.runtime.unsimulated_program,
                            dns=lambda name: embedded_dns(self.state, c, name))
        job.check_user = job.check_executable = checked
        if self.link is not None:
            c.net.link = self.link(c)
        generation = self.runtime.generation

        def started(proc: Process) -> None:
            self.network_ops.connect_endpoints(c)
            try:  # dockerd programs the port mapping before the process runs; a refusal leaves it created
                self.publisher.publish(c)
            except EngineError:
                self.network_ops.disconnect_endpoints(c)
                raise
            c.stdin = stdin
            c.status = "running"
            c.pid = self.runtime.next_pid()
            c.started_ns = now_ns()
            c.error = ""
            c.manual_stop = False
            c.process = proc
            self.state.container_event(c, "start")

        proc = launch(job, lambda code: self._on_exit(c, proc, code, generation), started)
        health.start_monitor(self.state, self.runtime, c)

    def _on_exit(self, c: Container, proc: Process, code: int, generation: int) -> None:
        if generation != self.runtime.generation or c.process is not proc:
            return
        c.exit_code = code
        c.finished_ns = now_ns()
        c.pid = 0
        c.status = "exited"
        for ex in self.state.execs.values():
            if ex.container_id == c.id and ex.process is not None and ex.process.alive:
                ex.process.kill(9)
        self.publisher.unpublish(c)  # docker-proxy stops with the container's process
        c.net.close_all()
        self.network_ops.disconnect_endpoints(c)
        self.state.container_event(c, "die", exitCode=code)
        c.end_streams()
        waiters, c.exit_waiters = c.exit_waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(code)
        policy = c.host_config.get("RestartPolicy") or {}
        name = policy.get("Name") or "no"
        retry = int(policy.get("MaximumRetryCount") or 0)
        restart = (not c.manual_stop and not c.removed and (
            name == "always" or name == "unless-stopped" or
            (name == "on-failure" and code != 0 and (retry == 0 or c.restart_count < retry))))
        if restart:
            c.status = "restarting"
            delay = min(0.1 * (2 ** min(c.restart_count, 10)), 60.0)
            self.runtime.spawn(self._restart_later(c, delay, generation))
        elif c.host_config.get("AutoRemove") and not c.removed:
            self.runtime.spawn(self._auto_remove(c, generation))

    async def _restart_later(self, c: Container, delay: float, generation: int) -> None:
        await asyncio.sleep(delay)
        if generation != self.runtime.generation or c.status != "restarting" or c.removed:
            return
        c.restart_count += 1
        try:
            self._run(c, checked=False)
        except EngineError as err:  # e.g. its port was taken meanwhile: it stays exited, as dockerd leaves it
            c.status = "exited"
            c.error = err.message

    async def _auto_remove(self, c: Container, generation: int) -> None:
        await asyncio.sleep(0)
        if generation == self.runtime.generation and c.id in self.state.containers and not c.running:
            self.drop(c, volumes=True)

    async def stop_container(self, ref: str, timeout: int | None = None, signal: str | None = None) -> Container:
        c = self.state.container(ref)
        if not c.running:
            raise NotModified("Container already stopped")
        sig = self._signal(signal or c.config.get("StopSignal") or "SIGTERM")
        if timeout is None:
            timeout = c.config.get("StopTimeout")
            timeout = 10 if timeout is None else int(timeout)
        c.manual_stop = True
        if c.status == "restarting":
            c.status = "exited"
            self.state.container_event(c, "stop")
            return c
        if c.status == "paused":
            self._unpause(c)
        self.state.container_event(c, "kill", signal=sig)
        if c.process is not None:
            exited = c.process.kill(sig)
            if not exited:
                waiter = c.process.task
                try:
                    if timeout < 0:
                        await asyncio.shield(waiter)
                    else:
                        await asyncio.wait_for(asyncio.shield(waiter), timeout)
                except (TimeoutError, asyncio.CancelledError):
                    pass
                if c.process.alive:
                    self.state.container_event(c, "kill", signal=9)
                    c.process.kill(9)
        await self._until_exited(c)
        self.state.container_event(c, "stop")
        return c

    async def _until_exited(self, c: Container) -> None:
        if c.process is not None and c.process.task is not None:
            try:
                await asyncio.shield(c.process.task)
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - the exit callback records the outcome
                pass
        for _ in range(3):  # let done-callbacks run
            await asyncio.sleep(0)

    def _signal(self, value: str | int | None) -> int:
        try:
            return parse_signal(value)
        except ValueError as err:
            raise InvalidParameter(str(err)) from None

    async def kill_container(self, ref: str, signal: str | None = None) -> Container:
        c = self.state.container(ref)
        sig = self._signal(signal or "SIGKILL")
        if not c.running:
            raise Conflict(f"Cannot kill container: {ref}: Container {c.id} is not running")
        if c.status == "paused" and sig != 9:
            raise Conflict(f"Cannot kill container: {ref}: Container {c.id} is paused. Unpause the container "
                           "before stopping or killing")
        if sig in (9, 15, 2, 1, 3, 6):
            c.manual_stop = True
        self.state.container_event(c, "kill", signal=sig)
        if c.status == "paused":
            self._unpause(c, event=False)
        if c.process is not None and c.process.kill(sig):
            await self._until_exited(c)
        return c

    async def restart_container(self, ref: str, timeout: int | None = None, signal: str | None = None) -> Container:
        c = self.state.container(ref)
        if c.running:
            await self.stop_container(ref, timeout, signal)
        self.start_container(c.id)
        self.state.container_event(c, "restart")
        return c

    def pause_container(self, ref: str) -> Container:
        c = self.state.container(ref)
        if c.status == "paused":
            raise Conflict(f"Container {c.id} is already paused")
        if c.status != "running":
            raise Conflict(f"Container {c.id} is not running")
        c.status = "paused"
        for proc in self._processes(c):
            proc.running.clear()
        self.state.container_event(c, "pause")
        return c

    def unpause_container(self, ref: str) -> Container:
        c = self.state.container(ref)
        if c.status != "paused":
            raise Conflict(f"Container {c.id} is not paused")
        self._unpause(c)
        return c

    def _unpause(self, c: Container, event: bool = True) -> None:
        c.status = "running"
        for proc in self._processes(c):
            proc.running.set()
        if event:
            self.state.container_event(c, "unpause")

    def _processes(self, c: Container) -> list[Process]:
        """The container's process and its execs' (what a pause freezes)."""
        execs = [ex.process for ex in self.state.execs.values() if ex.container_id == c.id]
        return [p for p in (c.process, *execs) if p is not None]

    # -- wait --
    def wait_future(self, ref: str, condition: str = "not-running") -> asyncio.Future:
        """A future for the exit code when the condition is met. Registered at once, so a wait opened before
        start (as `docker run` does) sees the exit."""
        c = self.state.container(ref)
        condition = condition or "not-running"
        if condition not in ("not-running", "next-exit", "removed"):
            raise InvalidParameter(f"invalid condition: \"{condition}\"")
        fut: asyncio.Future = asyncio.get_running_loop().create_future()
        if condition == "not-running" and not c.running:
            fut.set_result(c.exit_code)
        elif condition == "removed":
            c.removed_waiters.append(fut)
        else:
            c.exit_waiters.append(fut)
        return fut

    # -- remove --
    async def remove_container(self, ref: str, force: bool = False, volumes: bool = False,
                               link: bool = False) -> None:
        c = self.state.container(ref)
        if link:
            self._remove_link(ref)
            return
        if c.running:
            if not force:
                state = "paused" if c.status == "paused" else "running"
                raise Conflict(f"You cannot remove a {state} container {c.id}. Stop the container before "
                               "attempting removal or force remove")
            c.manual_stop = True
            c.removed = True  # no auto-restart, no auto-remove race
            if c.status == "paused":
                self._unpause(c, event=False)
            self.state.container_event(c, "kill", signal=9)
            if c.process is not None and c.process.kill(9):
                await self._until_exited(c)
            if c.status == "restarting":
                c.status = "exited"
        if c.id in self.state.containers:
            self.drop(c, volumes)

    def _remove_link(self, link_name: str) -> None:
        """`DELETE /containers/parent/alias?link=1` (dockerd's rmLink): the parent loses the link, both containers
        stay. A plain container name is its default link name, which cannot go (a 500 in dockerd)."""
        parent_name, _, alias = link_name.strip("/").rpartition("/")
        parent = self.state.find_container_by_name(parent_name) if parent_name else None
        if parent is None:
            raise EngineError("Conflict, cannot remove the default link name of the container" if not parent_name
                              else f"Cannot get parent /{parent_name} for link name /{link_name.strip('/')}")
        kept = [raw for raw, (_, a) in zip(parent.host_config.get("Links") or [], legacy_links(parent), strict=True)
                if a != alias]
        parent.host_config["Links"] = kept or None  # dockerd 20.10's inspect shows `null` once the last one goes
        self.state.events.changed_silently()

    def drop(self, c: Container, volumes: bool) -> None:
        """Remove a stopped container: execs and endpoints dropped, anonymous volumes with `volumes`."""
        c.removed = True
        del self.state.containers[c.id]
        for ex_id in list(c.exec_ids):
            self.state.execs.pop(ex_id, None)
        for net in self.state.networks.networks.values():
            net.endpoints.pop(c.id, None)
        self.state.container_event(c, "destroy")
        if volumes:
            for m in c.mounts:
                if m.type != "volume":
                    continue
                vol = self.state.volumes.volumes.get(m.name)
                if vol is not None and vol.anonymous and not self.state.volume_users(vol.name):
                    del self.state.volumes.volumes[vol.name]
                    self.state.events.emit("volume", "destroy", vol.name, {"driver": vol.driver})
        c.end_streams()
        waiters, c.removed_waiters = c.removed_waiters, []
        pending, c.exit_waiters = c.exit_waiters, []
        for fut in waiters + pending:
            if not fut.done():
                fut.set_result(c.exit_code)

