"""`python` of the catalog's python images: the interpreter's command line, its REPL and a small subset of the
language, run on the container's simulated filesystem, streams and sockets (never the host's python).

What runs: `python -c CODE`, `python SCRIPT` (read from the container) and a program read from stdin, when
every construct of the code is in the subset below — the one-liners clients' test suites and images run
(print, sleep, read and write files, listen on a socket, loops). `python`/`python -q`/`-i` on a terminal is the
interactive REPL: banner (not with -q), `>>> ` prompts, each statement run as typed, the values of expressions
echoed; without a terminal the program is read from stdin to its end and then run, as CPython does.
`-V` prints the version (the image's PYTHON_VERSION). Streams buffer as CPython's do: stdout is line-buffered
on a terminal and block-buffered (8 KiB) otherwise, stderr line-buffered, both unbuffered with -u or
PYTHONUNBUFFERED; what is left is flushed at exit, so `sleep(3); print(...)` shows up after 3 s.

Code outside the subset (other modules, functions, classes, try, comprehensions, ...) is not guessed at: the
process becomes the opaque one (opaque.py) and mockd reports the program as not simulated. An uncaught error
of the program (NameError, FileNotFoundError, ZeroDivisionError, ...) is CPython's traceback and status 1;
sys.exit/exit()/quit() end it with their status.
"""

from __future__ import annotations

import ast
import builtins
import codeop
import posixpath
import time
from collections.abc import Awaitable, Callable
from typing import Any

from .opaque import run_opaque
from .programs import Run, program

# CPython's start-up before it runs a first line or prints a prompt (site, encodings, the REPL's modules):
# 30-90 ms measured for the host's python3.11 here. A client that attaches right after the start sees the
# prompt arrive, as from the real image.
START_UP = 0.05
BLOCK = 8192  # io.DEFAULT_BUFFER_SIZE: a block-buffered stdout writes in chunks of this size
MAX_SEQUENCE = 1 << 20  # `'x' * n` / `[0] * n` beyond this is not simulated (no memory bomb in the daemon)
MAX_EXPONENT = 4096

# The syntax the subset runs; anything else is Unsupported before a line of the program runs.
_NODES = (ast.Module, ast.Interactive, ast.Expr, ast.Assign, ast.AugAssign, ast.Import, ast.ImportFrom, ast.alias,
          ast.If, ast.While, ast.For, ast.Break, ast.Continue, ast.Pass, ast.With, ast.withitem,
          ast.Constant, ast.Name, ast.Attribute, ast.Call, ast.keyword, ast.BinOp, ast.UnaryOp, ast.BoolOp,
          ast.Compare, ast.List, ast.Tuple, ast.Dict, ast.Set, ast.JoinedStr, ast.FormattedValue, ast.Subscript,
          ast.Slice, ast.IfExp, ast.Load, ast.Store, ast.operator, ast.unaryop, ast.boolop, ast.cmpop)
_BINOPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
           ast.Div: lambda a, b: a / b, ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b,
           ast.Pow: lambda a, b: a ** b}
_CMPOPS = {ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b, ast.Lt: lambda a, b: a < b,
           ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b,
           ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b, ast.Is: lambda a, b: a is b,
           ast.IsNot: lambda a, b: a is not b}
_UNARY = {ast.Not: lambda a: not a, ast.USub: lambda a: -a, ast.UAdd: lambda a: +a, ast.Invert: lambda a: ~a}
# Errors of real operations on the program's values: CPython's own type and message.
_VALUE_ERRORS = (ArithmeticError, TypeError, ValueError, KeyError, IndexError)


class Unsupported(Exception):
    """The code uses something outside the simulated subset."""


class PyError(Exception):
    """An exception of the simulated program (its type name and message, as CPython prints them)."""

    def __init__(self, kind: str, text: str):
        super().__init__(text)
        self.kind, self.text = kind, text


class SysExit(Exception):
    def __init__(self, code: Any = None):
        super().__init__(code)
        self.code = code


def check(tree: ast.AST) -> None:
    """Unsupported unless every node of the tree is in the subset and every import is a simulated module."""
    for node in ast.walk(tree):
        if not isinstance(node, _NODES):
            raise Unsupported(type(node).__name__)
        if isinstance(node, ast.Import | ast.ImportFrom):
            for name in [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]:
                if name not in MODULES:
                    raise Unsupported(f"module {name}")
        if isinstance(node, ast.BinOp | ast.UnaryOp | ast.Compare | ast.BoolOp):
            ops = node.ops if isinstance(node, ast.Compare) else [node.op]
            if not all(type(op) in (*_BINOPS, *_CMPOPS, *_UNARY, ast.And, ast.Or) for op in ops):
                raise Unsupported(type(ops[0]).__name__)


class Stream:
    """A text stream over one of the process's outputs, buffered as CPython buffers it."""

    def __init__(self, write: Callable[[bytes], None], mode: str, name: str):
        self._write, self.mode, self.name, self._buf = write, mode, name, ""

    def write(self, text: str) -> int:
        self._buf += text
        if self.mode == "unbuffered" or (self.mode == "line" and "\n" in text) or len(self._buf) >= BLOCK:
            self.flush()
        return len(text)

    def flush(self) -> None:
        if self._buf:
            data, self._buf = self._buf, ""
            self._write(data.encode())

    def __repr__(self) -> str:
        return f"<_io.TextIOWrapper name='<{self.name}>' mode='w' encoding='utf-8'>"


class Module:
    def __init__(self, name: str, attrs: dict[str, Any]):
        self.name, self.attrs = name, attrs

    def __repr__(self) -> str:
        return f"<module '{self.name}' (built-in)>"


class Builtin:
    """A function of the simulation: `fn(args, kwargs)`, possibly a coroutine."""

    def __init__(self, name: str, fn: Callable[..., Any]):
        self.name, self.fn = name, fn

    def __repr__(self) -> str:
        return f"<built-in function {self.name}>"


def _errno(kind: str, code: int, text: str, path: str) -> PyError:
    return PyError(kind, f"[Errno {code}] {text}: {path!r}")


class File:
    """An open file of the container: reads see its content at open, writes go through at once."""

    def __init__(self, interp: Interp, path: str, mode: str):
        self.interp, self.shown, self.mode, self.closed = interp, path, mode, False
        self.path = interp.run.shell.path(path)
        self.binary = "b" in mode
        fs = interp.run.fs
        try:
            if "r" in mode:
                self.data = fs.read(self.path)
            elif "w" in mode or "a" in mode:
                if "w" in mode or not fs.exists(self.path):
                    fs.write(self.path, b"")
                self.data = b""
            else:
                raise Unsupported(f"open mode {mode}")
        except FileNotFoundError:
            raise _errno("FileNotFoundError", 2, "No such file or directory", path) from None
        except IsADirectoryError:
            raise _errno("IsADirectoryError", 21, "Is a directory", path) from None
        except NotADirectoryError:
            raise _errno("NotADirectoryError", 20, "Not a directory", path) from None
        except PermissionError:
            raise _errno("OSError", 30, "Read-only file system", path) from None
        self.pos = 0

    def _value(self, data: bytes) -> Any:
        return data if self.binary else data.decode(errors="replace")

    def attr(self, name: str) -> Any:
        methods = {"read": self.read, "readline": self.readline, "readlines": self.readlines, "write": self.write,
                   "close": self.close, "flush": lambda: None}
        if name == "name":
            return self.shown
        if name == "closed":
            return self.closed
        if name not in methods:
            raise Unsupported(f"file.{name}")
        return Builtin(name, lambda args, kwargs: methods[name](*args, **kwargs))

    def _open(self) -> None:
        if self.closed:
            raise PyError("ValueError", "I/O operation on closed file.")

    def read(self, size: int = -1) -> Any:
        self._open()
        end = len(self.data) if size is None or size < 0 else self.pos + size
        chunk, self.pos = self.data[self.pos:end], min(end, len(self.data))
        return self._value(chunk)

    def readline(self) -> Any:
        self._open()
        end = self.data.find(b"\n", self.pos)
        end = len(self.data) if end < 0 else end + 1
        chunk, self.pos = self.data[self.pos:end], end
        return self._value(chunk)

    def readlines(self) -> list[Any]:
        lines = []
        while line := self.readline():
            lines.append(line)
        return lines

    def write(self, text: Any) -> int:
        self._open()
        if "r" in self.mode:
            raise PyError("io.UnsupportedOperation", "not writable")
        data = text if isinstance(text, bytes) else str(text).encode()
        try:
            self.interp.run.fs.write(self.path, data, append=True)
        except OSError:
            raise _errno("OSError", 30, "Read-only file system", self.shown) from None
        return len(text)

    def close(self) -> None:
        self.closed = True

    def __repr__(self) -> str:
        kind = "BufferedReader" if self.binary else "TextIOWrapper"
        return f"<_io.{kind} name={self.shown!r} mode={self.mode!r}>"


class Socket:
    """socket.socket(): bind and listen make the container listen on the port (the process's own, as a
    program's `Run.bind`); accept waits for ever, as on a socket nobody from outside talks to in a way the
    program would answer (the namespace holds connections that do come)."""

    def __init__(self, interp: Interp):
        self.interp, self.port = interp, None

    def attr(self, name: str) -> Any:
        methods = {"bind": self.bind, "listen": self.listen, "accept": self.accept, "close": self.close,
                   "setsockopt": lambda *a: None, "settimeout": lambda *a: None, "setblocking": lambda *a: None}
        if name not in methods:
            raise Unsupported(f"socket.{name}")
        return Builtin(name, lambda args, kwargs: methods[name](*args, **kwargs))

    def bind(self, address: tuple[str, int]) -> None:
        self.port = int(address[1])

    def listen(self, backlog: int = 0) -> None:
        if self.port is not None:
            self.interp.run.bind("python", self.port)

    async def accept(self) -> None:
        await self.interp.run.wait_signal()  # no signal is caught: until the process is killed
        raise Unsupported("accept returned")  # pragma: no cover - wait_signal only returns caught signals

    def close(self) -> None:
        if self.port is not None:
            self.interp.run.unbind(self.port)

    def __repr__(self) -> str:
        return "<socket.socket fd=3, family=2, type=1, proto=0>"


class Interp:
    """One run of the simulated interpreter: its globals, streams and the container it works on."""

    def __init__(self, run: Run, argv: list[str], unbuffered: bool):
        self.run = run
        tty = run.ctx.tty
        self.stdout = Stream(run.io.out, "unbuffered" if unbuffered else "line" if tty else "block", "stdout")
        self.stderr = Stream(run.io.err, "unbuffered" if unbuffered else "line", "stderr")
        self.version = run.env.get("PYTHON_VERSION", "3")
        self.globals: dict[str, Any] = {"__name__": "__main__"}
        self.argv = argv
        self.lineno = 1
        self.exited: int | None = None  # the REPL's sys.exit status

    # -- the modules and builtins of the subset --
    def module(self, name: str) -> Module:
        return Module(name, MODULES[name](self))

    def builtins(self) -> dict[str, Any]:
        def fn(name: str, f: Callable[..., Any]) -> Builtin:
            return Builtin(name, lambda args, kwargs: f(*args, **kwargs))

        def exit_(code: Any = None) -> None:
            raise SysExit(code)

        plain = {name: fn(name, getattr(builtins, name)) for name in (
            "len", "str", "int", "float", "bool", "repr", "range", "list", "dict", "tuple", "set", "sorted", "min",
            "max", "sum", "abs", "round", "chr", "ord", "hex", "bin", "enumerate", "zip", "reversed", "bytes")}
        return {**plain, "print": Builtin("print", self.print), "open": fn("open", lambda p, m="r", **_: File(self, p, m)),
                "input": Builtin("input", self.input), "exit": fn("exit", exit_), "quit": fn("quit", exit_),
                "True": True, "False": False, "None": None}

    def print(self, args: list[Any], kwargs: dict[str, Any]) -> None:
        sep, end = kwargs.get("sep", " "), kwargs.get("end", "\n")
        target = kwargs.get("file") or self.stdout
        text = (" " if sep is None else sep).join(str(a) for a in args) + ("\n" if end is None else end)
        if isinstance(target, Stream | File):
            target.write(text)
        else:
            raise Unsupported(f"print to {target!r}")
        if kwargs.get("flush") and isinstance(target, Stream):
            target.flush()

    async def input(self, args: list[Any], kwargs: dict[str, Any]) -> str:
        if args:
            self.stdout.write(str(args[0]))
        self.stdout.flush()
        line = await self.run.io.stdin.readline()
        if not line:
            raise PyError("EOFError", "EOF when reading a line")
        return line.decode(errors="replace").removesuffix("\n")

    async def sleep(self, seconds: float) -> None:
        if seconds < 0:
            raise PyError("ValueError", "sleep length must be non-negative")
        await self.run.wait_signal(seconds)  # a paused container's clock stands still

    # -- running --
    async def run_code(self, tree: ast.Module | ast.Interactive, echo: bool = False) -> None:
        for stmt in tree.body:
            self.lineno = getattr(stmt, "lineno", 1)
            if echo and isinstance(stmt, ast.Expr):
                value = await self.expr(stmt.value)
                if value is not None:
                    self.stdout.write(repr(value) + "\n")
                    self.globals["_"] = value
            else:
                await self.stmt(stmt)

    async def block(self, stmts: list[ast.stmt]) -> None:
        for stmt in stmts:
            await self.stmt(stmt)

    async def stmt(self, node: ast.stmt) -> None:
        await self.run.shell.checkpoint()  # pause, yield to the event loop, pipe backpressure
        self.lineno = getattr(node, "lineno", self.lineno)
        match node:
            case ast.Expr(value=value):
                await self.expr(value)
            case ast.Assign(targets=targets, value=value):
                result = await self.expr(value)
                for target in targets:
                    self.assign(target, result)
            case ast.AugAssign(target=ast.Name(id=name), op=op, value=value):
                self.assign(node.target, self.binop(op, self.name(name), await self.expr(value)))
            case ast.Import(names=names):
                for alias in names:
                    self.globals[alias.asname or alias.name] = self.module(alias.name)
            case ast.ImportFrom(module=module, names=names):
                mod = self.module(module or "")
                for alias in names:
                    self.globals[alias.asname or alias.name] = self.attribute(mod, alias.name)
            case ast.If(test=test, body=body, orelse=orelse):
                await self.block(body if await self.expr(test) else orelse)
            case ast.While(test=test, body=body, orelse=orelse):
                await self.loop_while(test, body, orelse)
            case ast.For(target=target, iter=iterable, body=body, orelse=orelse):
                await self.loop_for(target, await self.expr(iterable), body, orelse)
            case ast.Break():
                raise _Break()
            case ast.Continue():
                raise _Continue()
            case ast.Pass():
                pass
            case ast.With(items=items, body=body):
                opened = []
                for item in items:
                    value = await self.expr(item.context_expr)
                    if not isinstance(value, File | Socket):
                        raise Unsupported(f"with {type(value).__name__}")
                    opened.append(value)
                    if item.optional_vars is not None:
                        self.assign(item.optional_vars, value)
                try:
                    await self.block(body)
                finally:
                    for value in reversed(opened):
                        value.close()
            case _:
                raise Unsupported(type(node).__name__)

    async def loop_while(self, test: ast.expr, body: list[ast.stmt], orelse: list[ast.stmt]) -> None:
        while await self.expr(test):
            if not await self.iteration(body):
                return
        await self.block(orelse)

    async def loop_for(self, target: ast.expr, iterable: Any, body: list[ast.stmt], orelse: list[ast.stmt]) -> None:
        if isinstance(iterable, File):
            iterable = iterable.readlines()
        try:
            items = iter(iterable)
        except TypeError as err:
            raise PyError("TypeError", str(err)) from None
        for item in items:
            self.assign(target, item)
            if not await self.iteration(body):
                return
        await self.block(orelse)

    async def iteration(self, body: list[ast.stmt]) -> bool:
        """One turn of a loop's body (a checkpoint first: `while True: print()` must not hog the loop); False
        when it breaks out."""
        await self.run.shell.checkpoint()
        try:
            await self.block(body)
        except _Break:
            return False
        except _Continue:
            pass
        return True

    def assign(self, target: ast.expr, value: Any) -> None:
        match target:
            case ast.Name(id=name):
                self.globals[name] = value
            case ast.Tuple(elts=elts) | ast.List(elts=elts):
                values = list(value)
                if len(values) != len(elts):
                    raise PyError("ValueError", f"not enough values to unpack (expected {len(elts)}, "
                                  f"got {len(values)})" if len(values) < len(elts) else
                                  f"too many values to unpack (expected {len(elts)})")
                for elt, item in zip(elts, values, strict=True):
                    self.assign(elt, item)
            case _:
                raise Unsupported(f"assignment to {type(target).__name__}")

    def name(self, name: str) -> Any:
        if name in self.globals:
            return self.globals[name]
        table = self.builtins()
        if name in table:
            return table[name]
        if hasattr(builtins, name):
            raise Unsupported(f"builtin {name}")  # real, just not simulated
        raise PyError("NameError", f"name {name!r} is not defined")

    def attribute(self, value: Any, name: str) -> Any:
        if isinstance(value, Module):
            if name not in value.attrs:
                raise Unsupported(f"{value.name}.{name}")
            return value.attrs[name]
        if isinstance(value, File | Socket):
            return value.attr(name)
        if isinstance(value, Stream):
            methods = {"write": value.write, "flush": value.flush}
            if name not in methods:
                raise Unsupported(f"{value.name}.{name}")
            return Builtin(name, lambda args, kwargs: methods[name](*args, **kwargs))
        plain = isinstance(value, str | bytes | list | dict | int | float | tuple | set)
        if plain and not name.startswith("_") and hasattr(value, name):
            method = getattr(value, name)
            return Builtin(name, lambda args, kwargs: method(*args, **kwargs)) if callable(method) else method
        raise Unsupported(f"attribute {name} of {type(value).__name__}")

    def binop(self, op: ast.operator, left: Any, right: Any) -> Any:
        if isinstance(op, ast.Mult) and any(isinstance(v, str | bytes | list | tuple) for v in (left, right)):
            count = right if isinstance(right, int) else left
            if isinstance(count, int) and count > MAX_SEQUENCE:
                raise Unsupported("a huge sequence")
        if isinstance(op, ast.Pow) and isinstance(right, int) and right > MAX_EXPONENT:
            raise Unsupported("a huge power")
        fn = _BINOPS.get(type(op))
        if fn is None:
            raise Unsupported(type(op).__name__)
        return self.value_op(fn, left, right)

    @staticmethod
    def value_op(fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except _VALUE_ERRORS as err:
            raise PyError(type(err).__name__, str(err)) from None

    async def expr(self, node: ast.expr) -> Any:
        match node:
            case ast.Constant(value=value):
                return value
            case ast.Name(id=name):
                return self.name(name)
            case ast.Attribute(value=value, attr=attr):
                return self.attribute(await self.expr(value), attr)
            case ast.Call(func=func, args=args, keywords=keywords):
                return await self.call(await self.expr(func), [await self.expr(a) for a in args],
                                       {k.arg: await self.expr(k.value) for k in keywords if k.arg})
            case ast.BinOp(left=left, op=op, right=right):
                return self.binop(op, await self.expr(left), await self.expr(right))
            case ast.UnaryOp(op=op, operand=operand):
                return self.value_op(_UNARY[type(op)], await self.expr(operand))
            case ast.BoolOp(op=op, values=values):
                result: Any = None
                for value in values:
                    result = await self.expr(value)
                    if bool(result) != isinstance(op, ast.And):
                        return result
                return result
            case ast.Compare(left=left, ops=ops, comparators=comparators):
                current = await self.expr(left)
                for op, comparator in zip(ops, comparators, strict=True):
                    right = await self.expr(comparator)
                    if not self.value_op(_CMPOPS[type(op)], current, right):
                        return False
                    current = right
                return True
            case ast.List(elts=elts):
                return [await self.expr(e) for e in elts]
            case ast.Tuple(elts=elts):
                return tuple([await self.expr(e) for e in elts])
            case ast.Set(elts=elts):
                return {await self.expr(e) for e in elts}
            case ast.Dict(keys=keys, values=values):
                if any(k is None for k in keys):
                    raise Unsupported("dict unpacking")
                return {await self.expr(k): await self.expr(v) for k, v in zip(keys, values, strict=True)}  # type: ignore[arg-type]
            case ast.JoinedStr(values=values):
                return "".join([str(await self.expr(v)) for v in values])
            case ast.FormattedValue(value=value, conversion=conversion, format_spec=spec):
                result = await self.expr(value)
                result = {115: str, 114: repr, 97: ascii}.get(conversion, lambda v: v)(result)
                return self.value_op(format, result, await self.expr(spec) if spec is not None else "")
            case ast.Subscript(value=value, slice=index):
                return self.value_op(lambda v, i: v[i], await self.expr(value), await self.subscript(index))
            case ast.IfExp(test=test, body=body, orelse=orelse):
                return await self.expr(body if await self.expr(test) else orelse)
        raise Unsupported(type(node).__name__)

    async def subscript(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Slice):
            parts = [await self.expr(p) if p is not None else None for p in (node.lower, node.upper, node.step)]
            return slice(*parts)
        return await self.expr(node)

    async def call(self, fn: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if not isinstance(fn, Builtin):
            raise PyError("TypeError", f"{type(fn).__name__!r} object is not callable")
        try:
            result = fn.fn(args, kwargs)
        except _VALUE_ERRORS as err:
            raise PyError(type(err).__name__, str(err)) from None
        if isinstance(result, Awaitable):
            result = await result
        return result

    # -- endings --
    def traceback(self, err: PyError, filename: str) -> None:
        self.stdout.flush()
        self.stderr.write(f'Traceback (most recent call last):\n  File "{filename}", line {self.lineno}, in <module>\n'
                          f"{err.kind}: {err.text}\n")
        self.stderr.flush()

    def exit_status(self, exc: SysExit) -> int:
        code = exc.code
        if code is None:
            return 0
        if isinstance(code, int) and not isinstance(code, bool):
            return code & 0xFF
        self.stderr.write(f"{code}\n")
        return 1

    def finish(self) -> None:
        self.stdout.flush()
        self.stderr.flush()


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


def _time_module(interp: Interp) -> dict[str, Any]:
    return {"sleep": Builtin("sleep", lambda args, kwargs: interp.sleep(*args)),
            "time": Builtin("time", lambda args, kwargs: time.time()),
            "monotonic": Builtin("monotonic", lambda args, kwargs: time.monotonic()),
            "perf_counter": Builtin("perf_counter", lambda args, kwargs: time.perf_counter())}


def _sys_module(interp: Interp) -> dict[str, Any]:
    def exit_(args: list[Any], kwargs: dict[str, Any]) -> None:
        raise SysExit(args[0] if args else None)

    return {"argv": interp.argv, "stdout": interp.stdout, "stderr": interp.stderr, "exit": Builtin("exit", exit_),
            "version": f"{interp.version} (main)", "platform": "linux", "executable": interp.run.path,
            "maxsize": 2 ** 63 - 1}


def _os_module(interp: Interp) -> dict[str, Any]:
    env = dict(interp.run.shell.env())
    return {"getcwd": Builtin("getcwd", lambda args, kwargs: interp.run.shell.cwd),
            "environ": env, "getenv": Builtin("getenv", lambda args, kwargs: env.get(*args)),
            "getpid": Builtin("getpid", lambda args, kwargs: interp.run.ctx.pid),
            "sep": "/", "linesep": "\n", "name": "posix"}


def _socket_module(interp: Interp) -> dict[str, Any]:
    return {"socket": Builtin("socket", lambda args, kwargs: Socket(interp)), "AF_INET": 2, "SOCK_STREAM": 1,
            "SOL_SOCKET": 1, "SO_REUSEADDR": 2,
            "gethostname": Builtin("gethostname", lambda args, kwargs: interp.run.ctx.hostname)}


MODULES: dict[str, Callable[[Interp], dict[str, Any]]] = {
    "time": _time_module, "sys": _sys_module, "os": _os_module, "socket": _socket_module}


# -- the command line --------------------------------------------------------------------------------------

_FLAGS = set("bBdEhiIOqsSuvx")  # CPython's options without an argument
_WITH_ARG = set("WX")


def parse_argv(argv: list[str]) -> tuple[set[str], str, str, list[str]]:
    """(flags, kind, payload, sys.argv): kind is "c" (payload: the code), "m" (module), "file" (path),
    "stdin" or "version"."""
    flags: set[str] = set()
    i = 1
    while i < len(argv):
        arg = argv[i]
        if arg in ("-V", "--version"):
            return flags, "version", "", []
        if arg == "-" or not arg.startswith("-") or arg == "--":
            break
        j = 1
        while j < len(arg):
            opt = arg[j]
            if opt in "cm":
                payload = arg[j + 1:] or (argv[i + 1] if i + 1 < len(argv) else "")
                rest = argv[i + 1 + (0 if arg[j + 1:] else 1):]
                return flags, opt, payload, [("-c" if opt == "c" else payload), *rest]
            if opt in _WITH_ARG:
                i += 0 if arg[j + 1:] else 1
                break
            flags.add(opt)
            j += 1
        i += 1
    if i < len(argv) and argv[i] == "--":
        i += 1
    if i < len(argv) and argv[i] != "-":
        return flags, "file", argv[i], argv[i:]
    return flags, "stdin", "", argv[i:] or [""]


@program("python")
async def python(run: Run) -> int:
    flags, kind, payload, sys_argv = parse_argv(run.argv)
    if kind == "version":
        run.out(f"Python {run.env.get('PYTHON_VERSION', '3')}\n")
        return 0
    await run.wait_signal(START_UP)  # a paused container's clock stands still
    interp = Interp(run, sys_argv, "u" in flags or bool(run.env.get("PYTHONUNBUFFERED")))
    interactive = "i" in flags or (kind == "stdin" and run.ctx.tty)
    if kind == "m":
        return await opaque(run)
    if kind == "file":
        try:
            source = run.fs.read(run.shell.path(payload)).decode(errors="replace")
        except OSError:
            run.err(f"{posixpath.basename(run.argv[0])}: can't open file {run.shell.path(payload)!r}: "
                    "[Errno 2] No such file or directory\n")
            return 2
        return await run_source(run, interp, source, payload)
    if kind == "c":
        return await run_source(run, interp, payload, "<string>")
    if interactive:
        return await repl(run, interp, banner="q" not in flags)
    source = (await run.io.stdin.read_all()).decode(errors="replace")
    return await run_source(run, interp, source, "<stdin>")


async def opaque(run: Run) -> int:
    return await run_opaque(run.argv, run.io.stdin, main=run.ctx.main, running=run.ctx.running,
                            report=run.ctx.unsimulated)


async def run_source(run: Run, interp: Interp, source: str, filename: str) -> int:
    try:
        tree = ast.parse(source, filename)
    except SyntaxError as err:
        run.err(f'  File "{filename}", line {err.lineno or 1}\n    {(err.text or "").strip()}\n'
                f"SyntaxError: {err.msg}\n")
        return 1
    try:
        check(tree)
        await interp.run_code(tree)
    except Unsupported:
        interp.finish()
        return await opaque(run)
    except PyError as err:
        interp.traceback(err, filename)
        return 1
    except SysExit as exc:
        status = interp.exit_status(exc)
        interp.finish()
        return status
    interp.finish()
    return 0


async def repl(run: Run, interp: Interp, banner: bool) -> int:
    """The interactive interpreter: prompts on the terminal (readline writes them to stdout; without a
    terminal CPython writes them to stderr), one statement at a time."""
    prompt = interp.stdout if run.ctx.tty else interp.stderr
    if banner:
        interp.stderr.write(f"Python {interp.version} (main) [GCC] on linux\n"
                            'Type "help", "copyright", "credits" or "license" for more information.\n')
    while True:
        source, ps = "", ">>> "
        while True:
            prompt.write(ps)
            prompt.flush()
            line = await run.io.stdin.readline()
            if not line:
                interp.finish()
                return 0
            source += line.decode(errors="replace")
            if not source.strip():
                break  # an empty line: a new prompt
            try:
                complete = codeop.compile_command(source, "<stdin>", "single")
            except (SyntaxError, ValueError, OverflowError) as err:
                interp.stderr.write(f'  File "<stdin>", line 1\n    {source.strip()}\nSyntaxError: '
                                    f"{getattr(err, 'msg', str(err))}\n")
                break
            # A compound statement (`for ...:`) runs at the blank line that ends it, as the REPL's tokenizer
            # waits for one; codeop alone calls it complete once its body parses.
            compound = source.lstrip().split("\n", 1)[0].rstrip().endswith(":")
            if complete is not None and (not compound or not line.strip()):
                await run_statement(run, interp, source)
                break
            ps = "... "
        if interp.exited is not None:
            interp.finish()
            return interp.exited


async def run_statement(run: Run, interp: Interp, source: str) -> None:
    try:
        tree = ast.parse(source, "<stdin>", mode="single")
    except SyntaxError as err:
        interp.stderr.write(f'  File "<stdin>", line {err.lineno or 1}\n    {source.strip()}\nSyntaxError: {err.msg}\n')
        return
    try:
        check(tree)
        await interp.run_code(tree, echo=True)
    except Unsupported:
        if run.ctx.unsimulated is not None:
            run.ctx.unsimulated(posixpath.basename(run.argv[0]))
    except PyError as err:
        interp.traceback(err, "<stdin>")
    except SysExit as exc:
        interp.exited = interp.exit_status(exc)
    interp.stdout.flush()
