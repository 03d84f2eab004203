"""The interpreter: evaluates the parser's tree: lists, pipelines, compound commands, functions, redirections,
and runs commands (functions, builtins, `#!` scripts in the simulated filesystem)."""

from __future__ import annotations

import asyncio
import fnmatch
import posixpath
import re
from collections.abc import Callable, Coroutine

from .. import (
    python_program,  # noqa: F401 - registers `python` with the program registry (likewise)
    ryuk,  # noqa: F401 - registers the reaper with the program registry (it builds on programs)
)
from ..catalog import PROGRAM_MARKER, catalog
from ..filesystem import MountedFS
from ..opaque import run_opaque
from ..pipe import BrokenPipe, Pipe
from ..programs import run_program
from . import limits
from .context import IO, Context, Fd, Writer
from .errors import FunctionReturn, Killed, LoopControl, ShellError, ShellExit, StartError, SyntaxErr
from .expansion import Expander
from .lexer import tokenize
from .lookup import find_executable
from .parser import Parser
from .registry import BUILTINS, POSIX_SPECIAL_BUILTINS, SPECIAL_BUILTINS
from .scheduler import scheduler


class Shell(Expander):
    """One shell process (or subshell): its variables, functions and options, evaluating trees in a Context."""

    def __init__(self, ctx: Context, args: list[str] | None = None, name: str = "sh"):
        self.ctx = ctx
        self.vars: dict[str, str] = dict(ctx.env)
        self.exported: set[str] = set(ctx.env)
        self.args = args or []
        self.name = name
        self.status = 0
        self.cwd = ctx.cwd or "/"
        self.vars.setdefault("PWD", self.cwd)
        self.background: list[asyncio.Task] = []
        self.options: set[str] = set()  # set -e -u -x
        self.functions: dict[str, object] = {}
        self.local_frames: list[dict[str, str | None]] = []  # per function call: the values `local` hid
        self.exit_trap: str | None = None  # `trap ACTION EXIT`: run by the shell that set it, when it ends
        self.errexit_off = 0  # > 0 inside if/while conditions and the left of && ||, where set -e does not apply
        self.last_sub: int | None = None  # status of the last command substitution (an assignment's status)
        self.out_pipe: Pipe | None = None  # a pipeline stage's output: its writes wait while the reader lags
        self.io_now: IO | None = None  # the descriptors of the command being evaluated: its $(...) inherit them

    def subshell(self) -> Shell:
        """A ( ... ), $( ... ) or pipeline stage: a copy of this shell's state; traps are reset."""
        sub = Shell(self.ctx, list(self.args), self.name)
        sub.vars, sub.exported, sub.cwd = dict(self.vars), set(self.exported), self.cwd
        sub.options, sub.functions, sub.status = set(self.options), dict(self.functions), self.status
        return sub

    def child(self, args: list[str], name: str) -> Shell:
        """A new sh process started by this one: it sees the exported variables only."""
        env = self.env()
        sub = Shell(self.ctx, args, name)
        sub.vars, sub.exported, sub.cwd = dict(env), set(env), self.cwd
        return sub

    def path(self, p: str) -> str:
        return posixpath.normpath(posixpath.join(self.cwd, p)) if p else self.cwd

    def env(self) -> dict[str, str]:
        return {k: self.vars[k] for k in self.exported if k in self.vars}

    async def checkpoint(self) -> None:
        """Called between commands, loop turns and chunks of applet work: pause, yield, backpressure, traps."""
        if self.ctx.running is not None and not self.ctx.running.is_set():
            await self.ctx.running.wait()
        await scheduler().checkpoint()  # past this pass's turn: the event loop serves everyone else first
        if self.out_pipe is not None:
            await self.out_pipe.drain()
        while self.ctx.pending:
            action = self.ctx.traps.get(self.ctx.pending.pop(0))
            if action:
                # A trap action runs in this shell: its `exit` ends the process.
                await self.eval(Parser(tokenize(action)).parse(), self.root_io())

    async def run_script(self, src: str, io: IO | None = None) -> int:
        io = io or self.root_io()
        try:
            tree = Parser(tokenize(src)).parse()
        except SyntaxErr as err:
            io.err(f"{self.name}: {err}\n".encode())
            return 2
        try:
            try:
                code = await self.eval(tree, io)
            except Killed as killed:  # an untrapped signal: no EXIT trap runs
                return killed.code
            except ShellExit as done:
                code = done.code
            except ShellError as err:
                io.err(f"{self.name}: {err}\n".encode())
                code = 2
            return await self.run_exit_trap(code, io)
        finally:
            for task in self.background:
                task.cancel()

    async def run_exit_trap(self, code: int, io: IO) -> int:
        action, self.exit_trap = self.exit_trap, None
        if not action:
            return code
        self.status = code  # the trap sees the exit status in $?
        try:
            await self.eval(Parser(tokenize(action)).parse(), io)
        except ShellExit as done:
            return done.code
        except (ShellError, SyntaxErr) as err:
            io.err(f"{self.name}: {err}\n".encode())
        return code

    def root_io(self) -> IO:
        return IO(self.ctx.stdin, lambda d: self.ctx.write(1, d), lambda d: self.ctx.write(2, d))

    async def run_argv(self, argv: list[str], io: IO | None = None) -> int:
        """exec semantics for argv (the container's Path + Args)."""
        io = io or self.root_io()
        return await self.as_process(self.run_command(argv, io, {}))

    async def run_process(self, src: str, io: IO) -> int:
        """`src` run by this shell as a process of its own (`sh -c`, a `#!` script): its out-of-memory or stack
        overflow ends it alone, with the status its parent sees (busybox: the child's SIGKILL or SIGSEGV)."""
        return await self.as_process(self.run_script(src, io))

    @staticmethod
    async def as_process(work: Coroutine[object, object, int]) -> int:
        try:
            return await work
        except ShellExit as done:
            return done.code
        except limits.OutOfMemory:
            return limits.OOM_STATUS
        except RecursionError:
            return limits.STACK_OVERFLOW_STATUS
        except BrokenPipe:
            return limits.BROKEN_PIPE_STATUS

    async def command_sub(self, src: str) -> str:
        if src.startswith("(") and src.endswith(")"):
            return await self.arithmetic(src[1:-1])
        collected = bytearray()

        def collect(data: bytes) -> None:
            collected.extend(data)
            limits.check_size(collected)

        sub = self.subshell()
        # Its stdout is the collector; stderr and the descriptors from 3 are the command's, as a fork leaves them.
        now = self.io_now
        io = IO(Pipe(closed=True), collect, now.err if now else lambda d: self.ctx.write(2, d),
                dict(now.more) if now else {})
        with limits.nested(self.ctx):
            self.status = self.last_sub = await sub.run_script(src, io)
        return collected.decode(errors="replace").rstrip("\n")

    async def eval(self, node, io: IO) -> int:
        kind = node[0]
        self.io_now = io
        if kind == "list":
            status = 0
            for item, background in node[1]:
                if background:
                    self.background.append(asyncio.ensure_future(self.eval(item, io.copy())))
                    status = 0
                else:
                    status = await self.eval(item, io)
                self.status = status
            return status
        if kind == "andor":
            chain = [node[1], *(pipeline for _, pipeline in node[2])]
            ran = 0
            status = await self.eval_guarded(chain[0], io, guarded=len(chain) > 1)
            for index, (op, pipeline) in enumerate(node[2], start=1):
                if (op == "&&") == (status == 0):
                    status = await self.eval_guarded(pipeline, io, guarded=index < len(chain) - 1)
                    ran = index
            self.status = status
            # set -e: a failing command exits the shell unless it is tested (left of && ||, negated, a condition)
            if status and "e" in self.options and not self.errexit_off and ran == len(chain) - 1 \
                    and not chain[-1][2]:
                raise ShellExit(status)
            return status
        if kind == "pipeline":
            cmds, negate = node[1], node[2]
            if len(cmds) == 1:
                status = await self.eval_guarded(cmds[0], io, guarded=negate)
            else:
                pipes = [Pipe() for _ in cmds[1:]]
                tasks = []
                for i, cmd in enumerate(cmds):  # every stage runs in a subshell, as in ash
                    stdin = io.stdin if i == 0 else pipes[i - 1]
                    out = pipes[i].feed if i < len(pipes) else io.out
                    stage = self.subshell()
                    tasks.append(stage._pipe_stage(cmd, IO(stdin, out, io.err, dict(io.more)),
                                                   pipes[i] if i < len(pipes) else None,
                                                   pipes[i - 1] if i else None))
                results = await asyncio.gather(*tasks)
                status = results[-1]
            status = (0 if status else 1) if negate else status
            self.status = status
            return status
        if kind == "simple":
            return await self.eval_simple(node, io)
        if kind == "redirected":
            inner_io, files = await self.apply_redirs(node[2], io)
            if inner_io is None:
                return 1
            try:
                return await self.eval(node[1], inner_io)
            finally:
                files()
                _keep_exec_changes(io, inner_io, node[2])
        if kind == "if":
            for cond, body in node[1]:
                if await self.eval_guarded(cond, io) == 0:
                    return await self.eval(body, io)
            return await self.eval(node[2], io) if node[2] is not None else 0
        if kind == "while":
            status = 0
            while True:
                await self.checkpoint()  # `while :; do :; done` runs for ever, but yields to the event loop
                ok = await self.eval_guarded(node[1], io) == 0
                if ok == node[3]:
                    break
                turn = await self.loop_turn(node[2], io)
                if turn is None:
                    break
                status = turn
            return status
        if kind == "for":
            words = await self.expand_words(node[2]) if node[2] is not None else list(self.args)
            status = 0
            for word in words:
                await self.checkpoint()
                self.vars[node[1]] = word
                turn = await self.loop_turn(node[3], io)
                if turn is None:
                    break
                status = turn
            return status
        if kind == "group":
            return await self.eval(node[1], io)
        if kind == "subshell":
            return await self.subshell()._pipe_stage(node[1], io.copy(), None)
        if kind == "func":
            self.functions[node[1]] = node[2]
            return 0
        if kind == "case":
            value = "".join(await self.expand_word(node[1], split=False))
            for patterns, body in node[2]:
                for pattern in patterns:
                    if fnmatch.fnmatchcase(value, await self.expand_pattern(pattern)):
                        return await self.eval(body, io)
            return 0
        raise SyntaxErr(f"unknown node {kind}")

    async def loop_turn(self, body, io: IO) -> int | None:
        """One turn of a loop body: its status, or None when `break` ends the loop."""
        try:
            return await self.eval(body, io)
        except LoopControl as ctl:
            if ctl.levels > 1:  # `break 2`: an outer loop's turn
                ctl.levels -= 1
                raise
            return None if ctl.kind == "break" else self.status

    async def eval_guarded(self, node, io: IO, guarded: bool = True) -> int:
        """Evaluate a tested command: set -e does not apply inside it."""
        if not guarded:
            return await self.eval(node, io)
        self.errexit_off += 1
        try:
            return await self.eval(node, io)
        finally:
            self.errexit_off -= 1

    async def call_function(self, body, argv: list[str], io: IO) -> int:
        saved_args, self.args = self.args, argv[1:]
        self.local_frames.append({})
        try:
            with limits.nested(self.ctx):
                return await self.eval(body, io)
        except FunctionReturn as returned:
            return returned.code
        finally:
            self.args = saved_args
            for name, old in self.local_frames.pop().items():
                if old is None:
                    self.vars.pop(name, None)
                else:
                    self.vars[name] = old

    async def _pipe_stage(self, cmd, io: IO, out_pipe: Pipe | None, in_pipe: Pipe | None = None) -> int:
        self.out_pipe = out_pipe
        try:
            return await self.eval(cmd, io)
        except ShellExit as done:
            return done.code
        except ShellError as err:
            io.err(f"{self.name}: {err}\n".encode())
            return 2
        except BrokenPipe:  # its reader ended: SIGPIPE, which a shell does not report
            return limits.BROKEN_PIPE_STATUS
        finally:
            if out_pipe is not None:
                out_pipe.close()
            if in_pipe is not None:
                in_pipe.close_reader()

    async def apply_redirs(self, redirs, io: IO):
        """``io`` with ``redirs`` applied in order, and a callable to run when the command ends; ``(None, ...)``
        after a failed one (its message already on the redirected stderr, as ash writes it)."""
        fds: dict[int, Fd] = {0: io.stdin, 1: io.out, 2: io.err, **io.more}

        def failed(message: str):
            writer = fds[2]
            if callable(writer):
                writer(f"{self.name}: {message}\n".encode())
            return None, lambda: None

        for fd, op, target in redirs:
            number = fd if fd is not None else (1 if op[0] == ">" else 0)
            if op == "<<":  # here-document: expanded (unless its delimiter was quoted), never split
                fds[number] = _read_only(("".join(await self.expand_word(target, split=False))).encode())
                continue
            words = await self.expand_word(target)
            name = words[0] if words else ""
            if op in (">&", "<&"):
                if name == "-":  # closed: fds 0-2 stay in the table, reading nothing or writing nowhere
                    if number < 3:
                        fds[number] = Pipe(closed=True) if number == 0 else discard
                    else:
                        fds.pop(number, None)
                    continue
                if name.isdigit():
                    source = int(name)
                    if source not in fds:
                        return failed(f"{source}: Bad file descriptor")
                    fds[number] = fds[source]
                    continue
                if op == "<&" or fd is not None:
                    raise ShellError("redir error")
                sink = self.open_for_writing(name, False, fds)  # ">&file": stdout and stderr both to it
                if isinstance(sink, str):
                    return failed(sink)
                fds[1] = fds[2] = sink
                continue
            path = self.path(name)
            if op in ("<", "<>"):
                try:
                    data = self.ctx.fs.read(path)
                except OSError:
                    if op == "<":
                        return failed(f"can't open {name}: no such file")
                    sink = self.open_for_writing(name, False, fds)  # "<>" creates what is missing
                    if isinstance(sink, str):
                        return failed(sink)
                    data = b""
                fds[number] = _read_only(data)
                continue
            sink = self.open_for_writing(name, op == ">>", fds)
            if isinstance(sink, str):
                return failed(sink)
            fds[number] = sink
        stdin, out, err = fds.pop(0), fds.pop(1), fds.pop(2)
        # A descriptor moved onto 0-2 keeps its direction: what is not a reader reads nothing, and the reverse.
        return IO(Pipe(closed=True) if callable(stdin) else stdin, out if callable(out) else discard,
                  err if callable(err) else discard, fds), lambda: None

    def open_for_writing(self, name: str, append: bool, fds: dict[int, Fd]) -> Writer | str:
        """A writer into the file ``name`` (created, or truncated unless ``append``), or ash's message. The
        /dev/std* names are the descriptors open now (``fds``), as /proc/self/fd makes them."""
        path = self.path(name)
        if path == "/dev/null":
            return discard
        std = {"/dev/stdout": 1, "/proc/self/fd/1": 1, "/dev/stderr": 2, "/proc/self/fd/2": 2}.get(path)
        if std is not None:
            writer = fds[std]
            return writer if callable(writer) else discard
        try:
            self.ctx.fs.write(path, b"", append=append)
        except PermissionError:
            return f"can't create {name}: Read-only file system"
        except OSError:
            return f"can't create {name}: nonexistent directory"
        return _file_sink(self.ctx.fs, path)

    async def eval_simple(self, node, io: IO) -> int:
        _, assigns, words, redirs = node
        self.last_sub = None
        if not words and redirs:
            # Assignments alone: ash opens the redirections first, and their substitutions see them ("x=$(...)
            # 3>&1"); an assignment whose redirection fails is not made.
            inner, _ = await self.apply_redirs(redirs, io)
            if inner is None:
                self.status = 1
                return 1
            self.io_now, redirs = inner, []
        temp_env: dict[str, str] = {}
        for parts in assigns:
            first_kind, first_text = parts[0]
            name, _, rest = first_text.partition("=")
            value_parts = ([(first_kind, rest)] if rest else []) + list(parts[1:])
            value = "".join(await self.expand_word(value_parts, split=False)) if value_parts else ""
            temp_env[name] = value
        argv = await self.expand_words(words)
        if not argv:
            self.vars.update(temp_env)
            if redirs:  # words that expanded to nothing ("$EMPTY >f"): the redirections are still made
                inner, _ = await self.apply_redirs(redirs, io)
                if inner is None:
                    return 1
            # An assignment's status is that of its last command substitution, 0 without one.
            self.status = self.last_sub or 0
            return self.status
        if "x" in self.options:
            io.err(("+ " + " ".join(_trace_quote(a) for a in argv) + "\n").encode())
        if redirs:
            inner_io, done = await self.apply_redirs(redirs, io)
            if inner_io is None:
                if argv[0] in POSIX_SPECIAL_BUILTINS:
                    raise ShellExit(1)  # a special builtin's redirection error ends a non-interactive shell
                self.status = 1
                return 1
            if argv == ["exec"]:  # no command: the redirections are the shell's own from here on
                io.stdin, io.out, io.err, io.more = inner_io.stdin, inner_io.out, inner_io.err, inner_io.more
                self.status = 0
                return 0
            io = inner_io
        status = await self.run_command(argv, io, temp_env)
        self.status = status
        return status

    async def run_command(self, argv: list[str], io: IO, temp_env: dict[str, str]) -> int:
        await self.checkpoint()
        name = argv[0]
        if name in SPECIAL_BUILTINS:
            return await BUILTINS[name](self, argv, io)
        if name in self.functions:
            return await self.call_function(self.functions[name], argv, io)
        saved = None
        if temp_env:
            saved = (dict(self.vars), set(self.exported))
            self.vars.update(temp_env)
            self.exported |= set(temp_env)
        try:
            return await self.exec_external(argv, io)
        finally:
            if saved is not None:
                self.vars, self.exported = saved

    async def exec_external(self, argv: list[str], io: IO) -> int:
        name = argv[0]
        if "/" not in name and name in BUILTINS and not self._program_shadows(name):
            return await BUILTINS[name](self, argv, io)
        try:
            path = find_executable(self.ctx.fs, name, self.vars, self.cwd)
        except StartError as err:
            msg = "not found" if "not found" in err.message or "no such file" in err.message else "Permission denied"
            io.err(f"{self.name}: {name}: {msg}\n".encode())
            return err.exit_code
        return await self.run_file(path, argv, io)

    def _program_shadows(self, name: str) -> bool:
        """Whether PATH finds an image's own program of an applet's name first (Apache's httpd in the httpd image,
        not busybox's): the few names the catalog ships so are looked up, every other applet runs by name."""
        if name not in catalog().program_names:
            return False
        try:
            path = find_executable(self.ctx.fs, name, self.vars, self.cwd)
            return self.ctx.fs.read(path).startswith(PROGRAM_MARKER)
        except (StartError, OSError):
            return False

    async def run_file(self, path: str, argv: list[str], io: IO) -> int:
        base = posixpath.basename(path)
        try:
            content = self.ctx.fs.read(path)
        except OSError:
            content = b""
        if content.startswith(b"#!") and not content.startswith(b"#!mockd"):
            interpreter = content.split(b"\n", 1)[0][2:].decode(errors="replace").strip()
            script = content.decode(errors="replace")
            if posixpath.basename(interpreter.split()[0] if interpreter else "sh") in ("sh", "bash", "ash", "dash"):
                return await self.child(argv[1:], argv[0]).run_process(script, io)
        if content.startswith(PROGRAM_MARKER):  # a catalog image's program: its simulation runs it
            code = await run_program(self, path, argv, io)
            if code is not None:
                return code
        if base == "busybox":  # a multi-call binary: the applet is the name it was called by
            applet = posixpath.basename(argv[0])
            argv = argv[1:] if applet == "busybox" else argv
            base = posixpath.basename(argv[0]) if argv else "busybox"
        if base in BUILTINS:
            return await BUILTINS[base](self, [base, *argv[1:]], io)
        return await run_opaque(argv, io.stdin, main=self.ctx.main, running=self.ctx.running,
                                report=self.ctx.unsimulated)


def _trace_quote(arg: str) -> str:
    """How set -x shows an argument: bare when it is plain, else single-quoted."""
    return arg if re.fullmatch(r"[A-Za-z0-9_./=:@%+,-]+", arg) else "'" + arg.replace("'", "'\\''") + "'"


def discard(_: bytes) -> None:
    return None


def _keep_exec_changes(outer: IO, inner: IO, redirs) -> None:
    """After a redirected compound command: ash restores only the descriptors its redirections named, so what an
    `exec` inside changed of the others stays the shell's (``{ exec 3>f; } >g`` leaves 3 open)."""
    named = set()
    for fd, op, target in redirs:
        word = "".join(text for _, text in target)
        both = op == ">&" and fd is None and not word.isdigit() and word != "-"  # ">&file": stdout and stderr
        named |= {1, 2} if both else {fd if fd is not None else (1 if op[0] == ">" else 0)}
    if 0 not in named:
        outer.stdin = inner.stdin
    if 1 not in named:
        outer.out = inner.out
    if 2 not in named:
        outer.err = inner.err
    for number in set(outer.more) | set(inner.more):
        if number in named:
            continue
        if number in inner.more:
            outer.more[number] = inner.more[number]
        else:
            outer.more.pop(number, None)


def _read_only(data: bytes) -> Pipe:
    """A file opened for reading: its contents, then end of file (reads through every copy share the offset)."""
    pipe = Pipe()
    pipe.feed(data)
    pipe.close()
    return pipe


def _file_sink(fs: MountedFS, path: str) -> Callable[[bytes], None]:
    def write(data: bytes) -> None:
        fs.write(path, data, append=True)
    return write
