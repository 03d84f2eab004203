"""Builtins that act on the shell itself: flow (break, exit, return), variables (export, local, set, read),
running text (eval, ., sh), lookups (command, type) and the working directory."""

from __future__ import annotations

import posixpath

from ..context import IO
from ..errors import FunctionReturn, LoopControl, ShellExit, StartError, SyntaxErr
from ..interpreter import Shell
from ..lexer import tokenize
from ..lookup import DEFAULT_PATH, find_executable, resolve_user
from ..parser import Parser
from ..registry import ASH_BUILTINS, BUILTINS, builtin, parse_flags


@builtin("break", "continue")
async def b_loop(sh: Shell, args: list[str], io: IO) -> int:
    raise LoopControl(args[0], int(args[1]) if len(args) > 1 and args[1].isdigit() and int(args[1]) > 0 else 1)


@builtin("exit")
async def b_exit(sh: Shell, args: list[str], io: IO) -> int:
    code = int(args[1]) & 0xFF if len(args) > 1 and args[1].lstrip("-").isdigit() else sh.status
    raise ShellExit(code)


@builtin("true", ":")
async def b_true(sh, args, io) -> int:
    return 0


@builtin("false")
async def b_false(sh, args, io) -> int:
    return 1


@builtin("export")
async def b_export(sh: Shell, args, io) -> int:
    for arg in args[1:]:
        name, eq, value = arg.partition("=")
        if eq:
            sh.vars[name] = value
        sh.exported.add(name)
    return 0


@builtin("unset")
async def b_unset(sh: Shell, args, io) -> int:
    for name in args[1:]:
        sh.vars.pop(name, None)
        sh.exported.discard(name)
    return 0


@builtin("return")
async def b_return(sh: Shell, args, io) -> int:
    raise FunctionReturn(int(args[1]) & 0xFF if len(args) > 1 and args[1].lstrip("-").isdigit() else sh.status)


@builtin("local")
async def b_local(sh: Shell, args, io) -> int:
    if not sh.local_frames:
        io.err(f"{sh.name}: local: not in a function\n".encode())
        return 2
    frame = sh.local_frames[-1]
    for arg in args[1:]:
        name, eq, value = arg.partition("=")
        frame.setdefault(name, sh.vars.get(name))
        if eq:
            sh.vars[name] = value
    return 0


async def _run_source(sh: Shell, src: str, io: IO) -> int:
    """Parse and run text in this shell (eval, .): its variables, functions and `exit` act here."""
    try:
        tree = Parser(tokenize(src)).parse()
    except SyntaxErr as err:
        io.err(f"{sh.name}: {err}\n".encode())
        return 2
    return await sh.eval(tree, io)


@builtin("eval")
async def b_eval(sh: Shell, args, io) -> int:
    return await _run_source(sh, " ".join(args[1:]), io)


@builtin(".", "source")
async def b_source(sh: Shell, args, io) -> int:
    if len(args) < 2:
        return 0
    name = args[1]
    candidates = [sh.path(name)] if "/" in name else \
        [posixpath.join(d or ".", name) for d in sh.vars.get("PATH", DEFAULT_PATH).split(":")]
    for path in candidates:
        try:
            text = sh.ctx.fs.read(sh.path(path)).decode(errors="replace")
        except OSError:
            continue
        saved = sh.args
        if len(args) > 2:
            sh.args = args[2:]
        try:
            return await _run_source(sh, text, io)
        finally:
            sh.args = saved
    io.err(f"{sh.name}: .: can't open '{name}'\n".encode())
    raise ShellExit(2)


def _describe(sh: Shell, name: str) -> str | None:
    """What `command -v`/`type` say a name is, None when nothing runs by that name."""
    if name in sh.functions:
        return "function"
    if name in ASH_BUILTINS:
        return "builtin"
    if name in BUILTINS:
        return "applet"
    try:
        return find_executable(sh.ctx.fs, name, sh.vars, sh.cwd)
    except StartError:
        return None


@builtin("command")
async def b_command(sh: Shell, args, io) -> int:
    rest = args[1:]
    if rest[:1] in (["-v"], ["-V"]):
        if len(rest) < 2:
            return 0
        kind = _describe(sh, rest[1])
        if kind is None:
            return 1
        io.out(((kind if kind.startswith("/") else rest[1]) + "\n").encode())
        return 0
    return await sh.exec_external(rest, io) if rest else 0  # `command NAME`: skips shell functions


@builtin("type")
async def b_type(sh: Shell, args, io) -> int:
    status = 0
    for name in args[1:]:
        kind = _describe(sh, name)
        text = {"function": "a function", "builtin": "a shell builtin", "applet": name, None: None}.get(kind, kind)
        if text is None:
            io.out(f"{name}: not found\n".encode())
            status = 127
        else:
            io.out(f"{name} is {text}\n".encode())
    return status


@builtin("wait")
async def b_wait(sh: Shell, args, io) -> int:
    for task in list(sh.background):
        await task
    return 0


@builtin("set")
async def b_set(sh: Shell, args, io) -> int:
    """Options -e -u -x (and +e ...) and the positional parameters (`set -- a b`, `set a b`)."""
    rest = args[1:]
    while rest and rest[0][:1] in ("-", "+") and rest[0] not in ("-", "+"):
        opt = rest.pop(0)
        if opt == "--":
            sh.args = rest
            return 0
        for flag in opt[1:]:
            if flag == "o" and rest:  # set -o NAME: only the names of the letter options
                flag = {"errexit": "e", "nounset": "u", "xtrace": "x"}.get(rest.pop(0), "")
            if opt[0] == "-":
                sh.options.add(flag)
            else:
                sh.options.discard(flag)
    if rest:
        sh.args = rest
    elif len(args) == 1:
        io.out("".join(f"{k}='{v}'\n" for k, v in sorted(sh.vars.items())).encode())
    return 0


@builtin("shift")
async def b_shift(sh: Shell, args, io) -> int:
    sh.args = sh.args[int(args[1]) if len(args) > 1 else 1:]
    return 0


@builtin("exec")
async def b_exec(sh: Shell, args, io) -> int:
    if len(args) < 2:
        return 0
    raise ShellExit(await sh.exec_external(args[1:], io))


@builtin("cd")
async def b_cd(sh: Shell, args, io) -> int:
    target = sh.path(args[1] if len(args) > 1 else sh.vars.get("HOME", "/"))
    if not sh.ctx.fs.is_dir(target):
        io.err(f"{sh.name}: cd: can't cd to {args[1] if len(args) > 1 else target}: No such file or directory\n"
               .encode())
        return 2
    sh.cwd = target
    sh.vars["PWD"] = target
    return 0


@builtin("read")
async def b_read(sh: Shell, args, io) -> int:
    _, names = parse_flags(args[1:], "r")
    line = await io.stdin.readline()
    if not line:
        return 1
    text = line.decode(errors="replace").rstrip("\n")
    if not names:  # no names: the whole line, unsplit, in REPLY
        sh.vars["REPLY"] = text
        return 0
    values = text.split(None, max(len(names) - 1, 0))
    for i, name in enumerate(names):
        sh.vars[name] = values[i] if i < len(values) else ""
    return 0


@builtin("sh", "bash", "ash", "dash")
async def b_sh(sh: Shell, args, io) -> int:
    rest = args[1:]
    script = None
    while rest and rest[0].startswith("-") and rest[0] != "-":
        opt = rest.pop(0)
        if "c" in opt:
            if not rest:
                io.err(f"{args[0]}: -c requires an argument\n".encode())
                return 2
            script = rest.pop(0)
    sub = sh.child(rest[1:], rest[0] if rest else args[0])
    if script is not None:
        return await sub.run_process(script, io)
    if rest:
        try:
            source = sh.ctx.fs.read(sh.path(rest[0])).decode(errors="replace")
        except OSError:
            io.err(f"{args[0]}: can't open '{rest[0]}': No such file or directory\n".encode())
            return 2
        return await sub.run_process(source, io)
    # Interactive / piped shell: read commands from stdin line by line, like `docker run -i IMG sh`.
    status = 0
    buffered = ""
    while True:
        if sh.ctx.tty and not buffered:
            io.out(f"{sub.cwd} # ".encode() if resolve_user(sh.ctx.fs, sh.ctx.user)[0] == 0 else b"$ ")
        line = await io.stdin.readline()
        if not line:
            break
        buffered += line.decode(errors="replace")
        try:
            tree = Parser(tokenize(buffered)).parse()
        except SyntaxErr:
            continue  # an unfinished compound command: wait for more lines
        buffered = ""
        try:
            status = await sub.eval(tree, io)
        except ShellExit as done:
            return done.code
    return status
