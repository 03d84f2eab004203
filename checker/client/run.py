"""Run a client command against every target daemon: one ``mockd`` process impersonating all of
them (``mockd --daemon ...``, one socket and one record each), the command per version in its
own temporary working directory with ``DOCKER_HOST`` pointing at that version's socket.

apicheck never imports mockd: it runs the ``mockd`` command and reads the records it writes.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from checker.client import robustness
from checker.client.analyze import analyze
from checker.client.fuzzing import FuzzOptions, Run, control, fuzz, hang_limit
from checker.client.model import ClientReport, CommandOutcome, Exchange
from checker.client.robustness import crash_text
from checker.client.targets import Target

# What could point a client somewhere else than the daemon under test.
REMOVED_ENV = ("DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")
PINNING_ENV = "DOCKER_API_VERSION"
STDERR_LINES = 8
READY_SECONDS = 120.0


class UsageError(ValueError):
    """A bad command line (exit 2 with one line)."""


@dataclass
class Options:
    command: list[str]
    targets: list[Target]
    setup: str | None = None
    seed: str | None = None
    timeout: float = 120.0
    jobs: int = 4
    keep_api_version: bool = False
    client_version: str | None = None
    mockd: str = "mockd"
    keep_records: str | None = None  # copy each version's record into this directory
    fuzz: FuzzOptions | None = None  # --fuzz-responses (checker.client.fuzzing)
    faults: list | None = None  # --faults: mockd's fault list, installed before COMMAND (checker.client.robustness)
    notes: list[str] = field(default_factory=list)


def mockd_argv(mockd: str) -> list[str]:
    argv = shlex.split(mockd)
    if not argv or shutil.which(argv[0]) is None:
        raise UsageError(f"mockd command not found: {mockd!r} (install mockd or pass --mockd)")
    return argv


@lru_cache(maxsize=8)
def mockd_flags(mockd: str) -> str:
    """``mockd --help``: which flags this mockd knows (newer ones are passed only when known)."""
    proc = subprocess.run([*mockd_argv(mockd), "--help"], capture_output=True, text=True, timeout=60)
    return proc.stdout


def client_env(socket: str, keep_api_version: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in REMOVED_ENV}
    if not keep_api_version:
        env.pop(PINNING_ENV, None)
    env["DOCKER_HOST"] = f"unix://{socket}"
    return env


class Daemons:
    """One mockd process serving a daemon per target; ``socket(i)`` and ``record(i)`` for each."""

    def __init__(self, opts: Options, workdir: str) -> None:
        self.opts = opts
        self.dir = workdir
        self.proc: subprocess.Popen[str] | None = None
        self.output: list[str] = []

    def socket(self, i: int) -> str:
        return os.path.join(self.dir, f"d{i}.sock")

    def record(self, i: int) -> str:
        return os.path.join(self.dir, f"d{i}.jsonl")

    def argv(self) -> list[str]:
        argv = [*mockd_argv(self.opts.mockd), "--log-level", "warning"]
        extra = []
        if "--publish-ports" in mockd_flags(self.opts.mockd):
            extra.append("publish-ports=off")  # fixed host ports of parallel daemons cannot collide
        else:
            self.opts.notes.append("this mockd has no --publish-ports flag: daemons run with its default")
        if self.opts.seed:
            extra.append(f"seed={os.path.abspath(self.opts.seed)}")
        for i, t in enumerate(self.opts.targets):
            spec = [f"unix://{self.socket(i)}", *t.mockd_spec(), f"record={self.record(i)}", *extra]
            argv += ["--daemon", ",".join(spec)]
        return argv

    def start(self) -> None:
        self.spawn()
        self.wait_ready()

    def spawn(self) -> None:
        self.proc = subprocess.Popen(self.argv(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env={k: v for k, v in os.environ.items() if k != "DOCKER_HOST"})
        self._ready = threading.Event()
        ready = self._ready

        def read() -> None:
            assert self.proc is not None and self.proc.stdout is not None
            for line in self.proc.stdout:
                self.output.append(line.rstrip("\n"))
                if "daemons ready" in line:
                    ready.set()
            ready.set()  # exited

        threading.Thread(target=read, name="mockd-output", daemon=True).start()

    def wait_ready(self) -> None:
        assert self.proc is not None
        if not self._ready.wait(READY_SECONDS) or self.proc.poll() is not None:
            self.stop()
            tail = "\n".join(self.output[-10:])
            raise RuntimeError(f"mockd did not start: {tail or 'no output'}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def _run(argv: Sequence[str] | str, cwd: str, env: dict[str, str], timeout: float,
         keep_stdout: bool = False) -> CommandOutcome:
    started = time.monotonic()
    shell = isinstance(argv, str)
    try:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, shell=shell, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE if keep_stdout else subprocess.DEVNULL,
                                stderr=subprocess.PIPE, start_new_session=True)
    except OSError as exc:
        return CommandOutcome(None, [str(exc)], seconds=time.monotonic() - started)
    try:
        out, err = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the command and whatever it started
        out, err = proc.communicate()
        timed_out = True
    text = err.decode("utf-8", "replace")
    lines = text.splitlines()[-STDERR_LINES:]
    return CommandOutcome(None if timed_out else proc.returncode, lines, timed_out, time.monotonic() - started,
                          crash_text(text), out.decode("utf-8", "replace") if keep_stdout and out is not None else None)


def _settled_lines(path: str) -> list[str]:
    """The record's lines once no more arrive (an exchange ends just after the client has its answer)."""
    last = -1
    lines: list[str] = []
    for _ in range(40):
        lines = Path(path).read_text(encoding="utf-8").splitlines() if os.path.exists(path) else []
        if len(lines) == last:
            break
        last = len(lines)
        time.sleep(0.02)
    return lines


def _exchanges(lines: list[str]) -> list[Exchange]:
    import json

    return [Exchange.from_record(json.loads(line), n) for n, line in enumerate((x for x in lines if x.strip()), 1)]


def warm(targets: list[Target]) -> None:
    """Build what every analysis shares before the threads start (the caches are not thread-safe)."""
    from checker.diff import timeline
    from checker.flatten import view_for

    timeline()
    for t in targets:
        view_for(t.api)


def run_client(opts: Options, progress: Callable[[str], None] | None = None) -> ClientReport:
    if not opts.command:
        raise UsageError("no COMMAND given (apicheck client --server-version V -- COMMAND [ARGS...])")
    if shutil.which(opts.command[0]) is None:
        raise UsageError(f"command not found: {opts.command[0]}")
    with tempfile.TemporaryDirectory(prefix="apicheck-", dir="/tmp") as tmp:  # short: AF_UNIX paths
        daemons = Daemons(opts, tmp)
        daemons.spawn()
        try:
            warm(opts.targets)  # while mockd starts: the documents' timeline, built once, not per thread
            daemons.wait_ready()
            def one(i: int):
                target = opts.targets[i]
                cwd = os.path.join(tmp, f"w{i}")
                os.mkdir(cwd)
                env = client_env(daemons.socket(i), opts.keep_api_version)
                if opts.fuzz is not None:
                    return fuzz_one(i, target, cwd, env)
                offset = 0
                if opts.setup:
                    setup = _run(opts.setup, cwd, env, opts.timeout)
                    offset = len(_settled_lines(daemons.record(i)))
                    if not setup.succeeded:
                        setup.stderr_tail.insert(0, f"--setup failed ({setup.text()}): {opts.setup}")
                        return analyze(target, [], opts.client_version, setup)
                if opts.faults:
                    robustness.install(daemons.socket(i), opts.faults)  # after --setup: it runs unspoiled
                outcome = _run(opts.command, cwd, env, opts.timeout)
                lines = _settled_lines(daemons.record(i))
                if opts.keep_records:
                    os.makedirs(opts.keep_records, exist_ok=True)
                    shutil.copy(daemons.record(i), os.path.join(opts.keep_records, f"{target.label.replace(' ', '-')}.jsonl"))
                exchanges = _exchanges(lines[offset:])
                result = analyze(target, exchanges, opts.client_version, outcome)
                if opts.faults:
                    result.findings += robustness.behaviour(target, exchanges, outcome)
                if progress:
                    progress(f"{target.label}: {outcome.text()}, {result.exchanges} requests, {len(result.findings)} findings")
                return result

            def fuzz_one(i: int, target: Target, cwd: str, env: dict[str, str]):
                assert opts.fuzz is not None
                sock, record = daemons.socket(i), daemons.record(i)

                limit = [opts.timeout]  # fuzzed runs: hang_limit(baseline), once it is known

                def runner(settings: dict | None) -> Run:
                    # Every run from the same start: the seeded state, --setup unfuzzed, then COMMAND.
                    control(sock, "DELETE", "fuzz")
                    control(sock, "POST", "reset")
                    if opts.setup:
                        _run(opts.setup, cwd, env, opts.timeout)
                    offset = len(_settled_lines(record))
                    if settings is not None:
                        control(sock, "POST", "fuzz", {k: v for k, v in settings.items() if v is not None})
                    outcome = _run(opts.command, cwd, env, limit[0], keep_stdout=opts.fuzz.compare_output)
                    lines = _settled_lines(record)[offset:]
                    control(sock, "DELETE", "fuzz")
                    return Run(outcome, _exchanges(lines))

                baseline = runner(None)
                limit[0] = hang_limit(baseline.outcome, opts.timeout)
                result = analyze(target, baseline.exchanges, opts.client_version, baseline.outcome)
                if not baseline.outcome.succeeded:
                    opts.notes.append(f"{target.label}: the baseline run failed ({baseline.outcome.text()}); "
                                      "fuzzed runs are compared with it")
                found, notes = fuzz(target, opts.command, opts.fuzz, runner, baseline, target.label)
                result.findings += found
                opts.notes.extend(notes)
                if progress:
                    progress(f"{target.label}: {opts.fuzz.examples} fuzzed runs, {len(found)} failures")
                return result

            with ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as pool:
                results = list(pool.map(one, range(len(opts.targets))))
        finally:
            daemons.stop()
    return ClientReport(shlex.join(opts.command), results, opts.client_version, opts.notes)


def traffic(path: str, targets: list[Target], client_version: str | None = None) -> ClientReport:
    """The same analysis on a record made earlier (``mockd --record``)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    exchanges = _exchanges(lines)
    return ClientReport(path, [analyze(t, exchanges, client_version) for t in targets], client_version)
