"""The built-in shell: the only "process" a mock container ever runs. No host command is executed.

It understands enough POSIX sh for what people put in `docker run` and Dockerfiles: words with quotes and
escapes, `$VAR`/`${VAR:-x}`/`$?`/`$(cmd)`, `;` `&&` `||` `|` `&`, redirections (`>`, `>>`, `<`, `2>&1`),
`if`/`while`/`until`/`for`, `{ }` and `( )`, and a set of common utilities working on the simulated
filesystem. Executables are files in that filesystem: a builtin's name, or a `#!` script run by this shell.
"""

from __future__ import annotations

import asyncio
import fnmatch
import posixpath
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from .filesystem import DIR, SYMLINK, MountedFS
from .pipe import Pipe

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class ShellExit(Exception):
    def __init__(self, code: int):
        self.code = code


class LoopControl(Exception):
    def __init__(self, kind: str, levels: int = 1):
        self.kind = kind
        self.levels = levels  # `break 2` leaves two loops


class Killed(ShellExit):
    """The shell was killed by a signal it does not trap (`kill $$`): it ends at once with 128+signal."""


class FunctionReturn(Exception):
    def __init__(self, code: int):
        self.code = code


class ShellError(Exception):
    """An expansion error (${x?}, set -u, arithmetic): a non-interactive shell prints it and exits with 2."""


class StartError(Exception):
    """Raised before the process starts (the runtime's error); `exit_code` is what the CLI exits with."""

    def __init__(self, message: str, exit_code: int = 127):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


@dataclass
class Context:
    fs: MountedFS
    env: dict[str, str]
    write: Callable[[int, bytes], None]  # (1 stdout | 2 stderr, data)
    stdin: Pipe = field(default_factory=lambda: Pipe(closed=True))
    cwd: str = "/"
    user: str = ""
    hostname: str = "localhost"
    running: asyncio.Event | None = None  # cleared while the container is paused
    pid: int = 1
    tty: bool = False  # stdin/stdout are a terminal: an interactive sh prompts
    traps: dict[int, str] = field(default_factory=dict)  # signal -> action, set by the `trap` builtin
    pending: list[int] = field(default_factory=list)  # trapped signals waiting for the next checkpoint


@dataclass
class IO:
    stdin: Pipe
    out: Callable[[bytes], None]
    err: Callable[[bytes], None]


# -- users ---------------------------------------------------------------------------------------------------

def resolve_user(fs: MountedFS, user: str) -> tuple[int, int, str | None, str | None]:
    """(uid, gid, user name, group name) for a `--user` value, reading /etc/passwd and /etc/group like runc."""
    def table(path: str) -> list[list[str]]:
        try:
            return [line.split(":") for line in fs.read(path).decode(errors="replace").splitlines() if line]
        except (OSError, ValueError):
            return []

    passwd, groups = table("/etc/passwd"), table("/etc/group")
    name_part, _, group_part = (user or "0").partition(":")
    uid = gid = 0
    uname = None
    if name_part.isdigit():
        uid = int(name_part)
        for row in passwd:
            if len(row) > 3 and row[2] == name_part:
                uname, gid = row[0], int(row[3]) if row[3].isdigit() else 0
                break
    else:
        for row in passwd:
            if row and row[0] == name_part and len(row) > 3:
                uname, uid, gid = row[0], int(row[2]), int(row[3])
                break
        else:
            raise StartError(f"unable to find user {name_part}: no matching entries in passwd file", 126)
    if group_part:
        if group_part.isdigit():
            gid = int(group_part)
        else:
            for row in groups:
                if row and row[0] == group_part and len(row) > 2:
                    gid = int(row[2])
                    break
            else:
                raise StartError(f"unable to find group {group_part}: no matching entries in group file", 126)
    gname = next((row[0] for row in groups if len(row) > 2 and row[2] == str(gid)), None)
    return uid, gid, uname, gname


# -- executables ---------------------------------------------------------------------------------------------

def find_executable(fs: MountedFS, name: str, env: dict[str, str], cwd: str = "/") -> str:
    """The path runc would exec, or a StartError with runc's message."""
    if "/" in name:
        path = posixpath.normpath(posixpath.join(cwd, name))
        node = fs.lookup(path)
        if node is None:
            raise StartError(f'exec: "{name}": stat {name}: no such file or directory', 127)
        if node.kind == DIR or not node.mode & 0o111:
            raise StartError(f'exec: "{name}": permission denied', 126)
        return path
    for directory in env.get("PATH", DEFAULT_PATH).split(":"):
        path = posixpath.join(directory or ".", name)
        node = fs.lookup(path)
        if node is not None and node.kind != DIR and node.mode & 0o111:
            return path
    raise StartError(f'exec: "{name}": executable file not found in $PATH', 127)


# -- lexer ---------------------------------------------------------------------------------------------------

OPERATORS = ("&&", "||", ";;", ">>", ">|", "2>&1", "1>&2", ">&2", "2>>", "2>", "1>", ";", "&", "|", "(", ")", ">", "<",
             "\n")
KEYWORDS = {"if", "then", "elif", "else", "fi", "while", "until", "do", "done", "for", "in", "{", "}", "!", "case",
            "esac"}


class SyntaxErr(Exception):
    pass


def _read_sub(src: str, start: int) -> tuple[str, int]:
    """The body of a `$(...)` whose text starts at `start`, and the index after its `)`."""
    depth, j, n = 1, start, len(src)
    while j < n and depth:
        if src[j] == "(":
            depth += 1
        elif src[j] == ")":
            depth -= 1
        elif src[j] == "'":
            j = src.index("'", j + 1) if "'" in src[j + 1:] else n
        j += 1
    if depth:
        raise SyntaxErr("unterminated $(")
    return src[start:j - 1], j


def _read_backquote(src: str, start: int) -> tuple[str, int]:
    """The body of a `...` substitution (backslash-escaped backquotes inside), and the index after it."""
    j, body, n = start, "", len(src)
    while j < n and src[j] != "`":
        if src[j] == "\\" and j + 1 < n and src[j + 1] in "`$\\":
            body += src[j + 1]
            j += 2
            continue
        body += src[j]
        j += 1
    if j >= n:
        raise SyntaxErr("syntax error: unterminated quoted string")
    return body, j + 1


def _scan_double(src: str, j: int, stop: str | None, escapable: str) -> tuple[list[tuple[str, str]], int]:
    """Parts of double-quoted text (or an unquoted here-document body when `stop` is None) from `j` up to the
    `stop` character; returns the parts and the index of `stop` (len(src) when there is none)."""
    parts: list[tuple[str, str]] = []
    buf, n = "", len(src)

    def flush() -> None:
        nonlocal buf
        if buf:
            parts.append(("dq", buf))
            buf = ""

    while j < n and src[j] != stop:
        if src[j] == "\\" and j + 1 < n and src[j + 1] in escapable:
            flush()
            if src[j + 1] != "\n":
                parts.append(("lit", src[j + 1]))
            j += 2
        elif src.startswith("$(", j):
            flush()
            body, j = _read_sub(src, j + 2)
            parts.append(("sub", body))
        elif src[j] == "`":
            flush()
            body, j = _read_backquote(src, j + 1)
            parts.append(("sub", body))
        else:
            buf += src[j]
            j += 1
    flush()
    return parts, j


def tokenize(src: str) -> list[tuple[str, object]]:
    """Tokens: ("op", text) or ("word", [(kind, text)]) with kind "lit" (single-quoted), "dq" (double-quoted,
    expanded), "raw" (unquoted, expanded and split) or "sub" (a $(...) command substitution)."""
    tokens: list[tuple[str, object]] = []
    parts: list[tuple[str, str]] = []
    raw = ""
    i, n = 0, len(src)

    def flush_raw():
        nonlocal raw
        if raw:
            parts.append(("raw", raw))
            raw = ""

    def end_word():
        nonlocal parts
        flush_raw()
        if parts:
            tokens.append(("word", parts))
            parts = []

    heredocs: list[tuple[str, bool, bool, list]] = []  # (delimiter, <<-, quoted, the body word's parts)

    def read_heredocs(j: int) -> int:
        """Consume the bodies of the pending here-documents, line by line up to each delimiter."""
        for delimiter, strip_tabs, quoted, body_parts in heredocs:
            lines = []
            while j < n:
                end = src.find("\n", j)
                end = n if end < 0 else end
                line = src[j:end]
                j = min(end + 1, n)
                if strip_tabs:
                    line = line.lstrip("\t")
                if line == delimiter:
                    break
                lines.append(line + "\n")
            body = "".join(lines)
            # Unquoted: expanded like double-quoted text, where a backslash escapes only $ ` \ and newline.
            body_parts.extend([("lit", body)] if quoted else _scan_double(body, 0, None, "$`\\\n")[0] or [("lit", "")])
        heredocs.clear()
        return j

    while i < n:
        c = src[i]
        if c == "\\" and i + 1 < n:
            if src[i + 1] == "\n":
                i += 2
                continue
            flush_raw()
            parts.append(("lit", src[i + 1]))
            i += 2
        elif c == "'":
            end = src.find("'", i + 1)
            if end < 0:
                raise SyntaxErr("syntax error: unterminated quoted string")
            flush_raw()
            parts.append(("lit", src[i + 1:end]))
            i = end + 1
        elif c == '"':
            flush_raw()
            dq_parts, j = _scan_double(src, i + 1, '"', '"\\$`\n')
            if j >= n:
                raise SyntaxErr("syntax error: unterminated quoted string")
            parts.extend(dq_parts or [("dq", "")])
            i = j + 1
        elif src.startswith("$(", i):
            flush_raw()
            body, i = _read_sub(src, i + 2)
            parts.append(("sub", body))
        elif c == "`":
            flush_raw()
            body, i = _read_backquote(src, i + 1)
            parts.append(("sub", body))
        elif c == "#" and not raw and not parts:
            while i < n and src[i] != "\n":
                i += 1
        elif c in " \t\r":
            end_word()
            i += 1
        elif src.startswith("<<", i):  # here-document: the body follows the end of this line
            end_word()
            strip_tabs = src.startswith("<<-", i)
            i += 3 if strip_tabs else 2
            while i < n and src[i] in " \t":
                i += 1
            start = i
            while i < n and src[i] not in " \t\n;&|()<>":
                i += 1
            word = src[start:i]
            if not word:
                raise SyntaxErr("syntax error: unexpected redirection")
            body_parts: list[tuple[str, str]] = []
            tokens.append(("op", "<<"))
            tokens.append(("word", body_parts))
            quoted = any(q in word for q in "'\"\\")
            heredocs.append((word.replace("'", "").replace('"', "").replace("\\", ""), strip_tabs, quoted,
                             body_parts))
        else:
            op = next((o for o in OPERATORS if src.startswith(o, i)), None)
            if op is not None and op[0] in "12" and (raw or parts):
                op = None  # "a2>b" is a word
            if op is not None:
                end_word()
                tokens.append(("op", ">" if op == ">|" else op))  # >| overrides noclobber, which is never on
                i += len(op)
                if op == "\n" and heredocs:
                    i = read_heredocs(i)
            else:
                raw += c
                i += 1
    end_word()
    if heredocs:  # a here-document at the very end of the script has an empty body
        read_heredocs(n)
    return tokens


# -- parser --------------------------------------------------------------------------------------------------

class Parser:
    def __init__(self, tokens: list[tuple[str, object]]):
        self.tokens = tokens
        self.pos = 0

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("eof", None)

    def next(self):
        tok = self.peek()
        self.pos += 1
        return tok

    def is_kw(self, tok, *words) -> bool:
        return (tok[0] == "word" and len(tok[1]) == 1 and tok[1][0][0] == "raw" and tok[1][0][1] in words)

    def skip_newlines(self):
        while self.peek() == ("op", "\n") or self.peek() == ("op", ";"):
            self.pos += 1

    def parse(self):
        node = self.parse_list(())
        if self.peek()[0] != "eof":
            tok = self.peek()
            text = tok[1] if tok[0] == "op" else "".join(p[1] for p in tok[1])
            raise SyntaxErr(f"syntax error: unexpected \"{text}\"")
        return node

    def parse_list(self, terminators: tuple[str, ...]):
        items = []
        while True:
            while self.peek() in (("op", "\n"), ("op", ";")):
                self.pos += 1
            tok = self.peek()
            if tok[0] == "eof" or tok in (("op", ")"), ("op", ";;")) or self.is_kw(tok, *terminators):
                break
            node = self.parse_andor()
            background = False
            if self.peek() == ("op", "&"):
                self.pos += 1
                background = True
            items.append((node, background))
        return ("list", items)

    def parse_andor(self):
        first = self.parse_pipeline()
        rest = []
        while self.peek() in (("op", "&&"), ("op", "||")):
            op = self.next()[1]
            while self.peek() == ("op", "\n"):
                self.pos += 1
            rest.append((op, self.parse_pipeline()))
        return ("andor", first, rest)

    def parse_pipeline(self):
        negate = False
        if self.is_kw(self.peek(), "!"):
            self.pos += 1
            negate = True
        cmds = [self.parse_command()]
        while self.peek() == ("op", "|"):
            self.pos += 1
            while self.peek() == ("op", "\n"):
                self.pos += 1
            cmds.append(self.parse_command())
        return ("pipeline", cmds, negate)

    def expect_kw(self, word):
        tok = self.next()
        if not self.is_kw(tok, word):
            raise SyntaxErr(f"syntax error: expected \"{word}\"")

    def parse_condition(self, terminator: str):
        """The list of an if/while condition; an empty one is ash's 'unexpected "then"'."""
        cond = self.parse_list((terminator,))
        if not cond[1]:
            tok = self.peek()
            text = "".join(p[1] for p in tok[1]) if tok[0] == "word" else tok[1] or "end of file"
            raise SyntaxErr(f"syntax error: unexpected \"{text}\"")
        return cond

    def parse_case(self):
        word = self.next()
        if word[0] != "word":
            raise SyntaxErr("syntax error: expected a word after case")
        self.skip_newlines()
        self.expect_kw("in")
        items = []
        while True:
            self.skip_newlines()
            if self.is_kw(self.peek(), "esac"):
                self.pos += 1
                break
            if self.peek() == ("op", "("):
                self.pos += 1
            patterns = [self.next()]
            while self.peek() == ("op", "|"):
                self.pos += 1
                patterns.append(self.next())
            if any(p[0] != "word" for p in patterns) or self.next() != ("op", ")"):
                raise SyntaxErr("syntax error: expected \")\" in case")
            body = self.parse_list(("esac",))
            if self.peek() == ("op", ";;"):
                self.pos += 1
            items.append(([p[1] for p in patterns], body))
        return self.with_redirs(("case", word[1], items))

    def at_function_definition(self) -> bool:
        tok = self.peek()
        return (tok[0] == "word" and len(tok[1]) == 1 and tok[1][0][0] == "raw"
                and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", tok[1][0][1]) is not None
                and self.tokens[self.pos + 1:self.pos + 3] == [("op", "("), ("op", ")")])

    def parse_command(self):
        tok = self.peek()
        if self.is_kw(tok, "if"):
            self.pos += 1
            branches = []
            cond = self.parse_condition("then")
            self.expect_kw("then")
            body = self.parse_list(("elif", "else", "fi"))
            branches.append((cond, body))
            else_body = None
            while True:
                tok = self.next()
                if self.is_kw(tok, "elif"):
                    cond = self.parse_condition("then")
                    self.expect_kw("then")
                    branches.append((cond, self.parse_list(("elif", "else", "fi"))))
                elif self.is_kw(tok, "else"):
                    else_body = self.parse_list(("fi",))
                elif self.is_kw(tok, "fi"):
                    break
                else:
                    raise SyntaxErr("syntax error: expected \"fi\"")
            return self.with_redirs(("if", branches, else_body))
        if self.is_kw(tok, "while", "until"):
            self.pos += 1
            cond = self.parse_condition("do")
            self.expect_kw("do")
            body = self.parse_list(("done",))
            self.expect_kw("done")
            return self.with_redirs(("while", cond, body, tok[1][0][1] == "until"))
        if self.is_kw(tok, "for"):
            self.pos += 1
            name_tok = self.next()
            if name_tok[0] != "word":
                raise SyntaxErr("syntax error: bad for loop variable")
            name = "".join(p[1] for p in name_tok[1])
            words = None
            self.skip_newlines()
            if self.is_kw(self.peek(), "in"):
                self.pos += 1
                words = []
                while self.peek()[0] == "word" and not self.is_kw(self.peek(), "do"):
                    words.append(self.next()[1])
            self.skip_newlines()
            self.expect_kw("do")
            body = self.parse_list(("done",))
            self.expect_kw("done")
            return self.with_redirs(("for", name, words, body))
        if self.is_kw(tok, "{"):
            self.pos += 1
            body = self.parse_list(("}",))
            self.expect_kw("}")
            return self.with_redirs(("group", body))
        if self.is_kw(tok, "case"):
            self.pos += 1
            return self.parse_case()
        if self.at_function_definition():
            name = tok[1][0][1]
            self.pos += 3
            while self.peek() == ("op", "\n"):
                self.pos += 1
            return ("func", name, self.parse_command())
        if tok == ("op", "("):
            self.pos += 1
            body = self.parse_list(())
            if self.next() != ("op", ")"):
                raise SyntaxErr("syntax error: missing \")\"")
            return self.with_redirs(("subshell", body))
        return self.parse_simple()

    def parse_redir(self, redirs) -> bool:
        tok = self.peek()
        if tok[0] != "op" or tok[1] not in (">", ">>", "<", "<<", "2>", "2>>", "1>", "2>&1", "1>&2", ">&2"):
            return False
        self.pos += 1
        op = tok[1]
        if op in ("2>&1", "1>&2", ">&2"):
            redirs.append((op, None))
            return True
        target = self.next()
        if target[0] != "word":
            raise SyntaxErr("syntax error: unexpected redirection")
        redirs.append((op, target[1]))
        return True

    def with_redirs(self, node):
        redirs = []
        while self.parse_redir(redirs):
            pass
        return ("redirected", node, redirs) if redirs else node

    def parse_simple(self):
        assigns, words, redirs = [], [], []
        while True:
            if self.parse_redir(redirs):
                continue
            tok = self.peek()
            if tok[0] != "word":
                break
            if words and False:
                break
            if not words and tok[1][0][0] == "raw" and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", tok[1][0][1]):
                assigns.append(tok[1])
                self.pos += 1
                continue
            if not words and not assigns and self.is_kw(tok, *(KEYWORDS - {"{", "!"})) and \
                    not self.is_kw(tok, "in"):
                raise SyntaxErr(f"syntax error: unexpected \"{tok[1][0][1]}\"")
            words.append(tok[1])
            self.pos += 1
        if not assigns and not words and not redirs:
            tok = self.peek()
            text = tok[1] if tok[0] == "op" else "end of file"
            raise SyntaxErr(f"syntax error: unexpected \"{text if text != chr(10) else 'newline'}\"")
        return ("simple", assigns, words, redirs)


# -- interpreter ---------------------------------------------------------------------------------------------

Builtin = Callable[["Shell", list[str], IO], Awaitable[int]]
BUILTINS: dict[str, Builtin] = {}


def builtin(*names: str):
    def register(fn: Builtin) -> Builtin:
        for name in names:
            BUILTINS[name] = fn
        return fn
    return register


class Shell:
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

    # -- helpers for builtins --
    def path(self, p: str) -> str:
        return posixpath.normpath(posixpath.join(self.cwd, p)) if p else self.cwd

    def env(self) -> dict[str, str]:
        return {k: self.vars[k] for k in self.exported if k in self.vars}

    async def checkpoint(self) -> None:
        if self.ctx.running is not None and not self.ctx.running.is_set():
            await self.ctx.running.wait()
        while self.ctx.pending:
            action = self.ctx.traps.get(self.ctx.pending.pop(0))
            if action:
                # A trap action runs in this shell: its `exit` ends the process.
                await self.eval(Parser(tokenize(action)).parse(), self.root_io())

    # -- entry points --
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
        try:
            return await self.run_command(argv, io, {})
        except ShellExit as done:
            return done.code

    # -- expansion --
    def lookup_var(self, name: str, strict: bool = False) -> str:
        """The value of $name; with `strict` (a plain $x or ${x}) and set -u an unset name is an error."""
        if strict and "u" in self.options and name not in "@*" and not self.is_set(name):
            raise ShellError(f"{name}: parameter not set")
        if name == "?":
            return str(self.status)
        if name == "$":
            return str(self.ctx.pid)
        if name == "#":
            return str(len(self.args))
        if name in ("@", "*"):
            return " ".join(self.args)
        if name.isdigit():
            idx = int(name)
            if idx == 0:
                return self.name
            return self.args[idx - 1] if idx <= len(self.args) else ""
        return self.vars.get(name, "")

    def expand_text(self, text: str) -> str:
        def repl(m: re.Match) -> str:
            if m.group(1) is not None:
                return self.expand_braced(m.group(1))
            return self.lookup_var(m.group(2), strict=True)
        return re.sub(r"\$\{([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*|[0-9?$#@*])", repl, text)

    def expand_braced(self, expr: str) -> str:
        """${...}: the POSIX forms plus ash's ${x:off:len} and ${x/p/r}."""
        if len(expr) > 1 and expr[0] == "#" and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]+|[?$#@*]", expr[1:]):
            return str(len(self.lookup_var(expr[1:])))
        mm = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[?$#@*])(?:(:?[-=+?]|##?|%%?|//?|:)(.*))?", expr, re.S)
        if not mm:
            raise ShellError("syntax error: bad substitution")
        name, op, word = mm.group(1), mm.group(2), mm.group(3) or ""
        if op is None:
            return self.lookup_var(name, strict=True)
        value = self.lookup_var(name)
        is_set = self.is_set(name)
        if op in ("#", "##", "%", "%%"):
            return _strip(value, self.expand_text(word), op)
        if op in ("/", "//"):
            pattern, _, replacement = word.partition("/")
            return _replace(value, self.expand_text(pattern), self.expand_text(replacement), op == "//")
        if op == ":":
            offset_text, _, length_text = word.partition(":")
            offset = int(self.arithmetic(offset_text or "0"))
            piece = value[max(offset, 0) if offset >= 0 else max(len(value) + offset, 0):]
            return piece[:max(int(self.arithmetic(length_text)), 0)] if length_text else piece
        empty = value == "" if op.startswith(":") else not is_set
        word = self.expand_text(word)
        if op in ("-", ":-"):
            return word if empty else value
        if op in ("=", ":="):
            if empty:
                self.vars[name] = word
                return word
            return value
        if op in ("+", ":+"):
            return "" if empty else word
        if empty:  # ?, :?
            raise ShellError(f"{name}: {word or 'parameter not set'}")
        return value

    def is_set(self, name: str) -> bool:
        if name.isdigit():
            return int(name) <= len(self.args)
        return name in self.vars or not name.isidentifier()

    def split_fields(self, value: str) -> list[str]:
        """Field splitting on $IFS: runs of IFS whitespace separate, each other IFS character delimits one field."""
        ifs = self.vars.get("IFS", " \t\n")
        if ifs == "":
            return [value] if value else []
        white = "".join(c for c in ifs if c in " \t\n")
        other = "".join(c for c in ifs if c not in " \t\n")
        stripped = value.strip(white) if white else value
        if not stripped:
            return []
        if not other:
            return re.split(f"[{re.escape(white)}]+", stripped)
        ws = f"[{re.escape(white)}]*" if white else ""
        fields = re.split(f"{ws}[{re.escape(other)}]{ws}|[{re.escape(white)}]+" if white else f"[{re.escape(other)}]",
                          stripped)
        return fields[:-1] if fields and fields[-1] == "" else fields

    async def expand_word(self, parts, split: bool = True) -> list[str]:
        fields: list[str] = []
        current = ""
        has_quoted = False
        for kind, text in parts:
            if kind == "lit":
                current += text
                has_quoted = True
            elif kind == "dq":
                if re.search(r"\$@|\$\{@\}", text):  # "$@": one field per positional parameter
                    segments = re.split(r"\$@|\$\{@\}", text)
                    for index, segment in enumerate(segments):
                        current += self.expand_text(segment)
                        if index < len(segments) - 1 and self.args:
                            current += self.args[0]
                            for arg in self.args[1:]:
                                fields.append(current)
                                current = arg
                    has_quoted = has_quoted or bool(self.args) or any(segments)
                    continue
                current += self.expand_text(text)
                has_quoted = True
            else:
                value = await self.command_sub(text) if kind == "sub" else self.expand_text(text)
                if kind == "raw" and text.startswith("~") and not current:
                    value = self.vars.get("HOME", "/root") + value[1:] if value == text else value
                if split and (kind == "sub" or "$" in text):
                    pieces = self.split_fields(value)
                    if not pieces:
                        continue
                    white = [c for c in self.vars.get("IFS", " \t\n") if c in " \t\n"]
                    if value[:1] in white and current:
                        fields.append(current)
                        current = ""
                    current += pieces[0]
                    for piece in pieces[1:]:
                        fields.append(current)
                        current = piece
                    if value[-1:] in white:
                        fields.append(current)
                        current = ""
                        has_quoted = False
                else:
                    current += value
        if current or has_quoted:
            fields.append(current)
        return fields

    async def expand_words(self, words) -> list[str]:
        out = []
        for parts in words:
            for word in await self.expand_word(parts):
                if any(k == "raw" and any(c in t for c in "*?[") for k, t in parts) and any(c in word for c in "*?["):
                    out.extend(self.glob(word) or [word])
                else:
                    out.append(word)
        return out

    def glob(self, pattern: str) -> list[str]:
        directory, base = posixpath.split(pattern)
        try:
            names = self.ctx.fs.listdir(self.path(directory or "."))
        except OSError:
            return []
        return [posixpath.join(directory, n) if directory else n
                for n in names if fnmatch.fnmatchcase(n, base) and (base.startswith(".") or not n.startswith("."))]

    def arithmetic(self, expr: str) -> str:
        expr = re.sub(r"\$?([A-Za-z_][A-Za-z0-9_]*)", lambda m: self.vars.get(m.group(1), "0") or "0",
                      self.expand_text(expr))
        if not re.fullmatch(r"[\d\s+\-*/%()<>=!&|]*", expr):
            return "0"
        try:
            value = eval(expr.replace("/", "//").replace("&&", " and ").replace("||", " or "),  # noqa: S307
                         {"__builtins__": {}})
        except Exception:
            return "0"
        return str(int(value))

    async def command_sub(self, src: str) -> str:
        if src.startswith("(") and src.endswith(")"):
            return self.arithmetic(src[1:-1])
        chunks: list[bytes] = []
        sub = self.subshell()
        io = IO(Pipe(closed=True), chunks.append, lambda d: self.ctx.write(2, d))
        self.status = self.last_sub = await sub.run_script(src, io)
        return b"".join(chunks).decode(errors="replace").rstrip("\n")

    # -- evaluation --
    async def eval(self, node, io: IO) -> int:
        kind = node[0]
        if kind == "list":
            status = 0
            for item, background in node[1]:
                if background:
                    self.background.append(asyncio.ensure_future(self.eval(item, io)))
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
                    tasks.append(stage._pipe_stage(cmd, IO(stdin, out, io.err), pipes[i] if i < len(pipes) else None))
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
        if kind == "if":
            for cond, body in node[1]:
                if await self.eval_guarded(cond, io) == 0:
                    return await self.eval(body, io)
            return await self.eval(node[2], io) if node[2] is not None else 0
        if kind == "while":
            status = 0
            while True:
                await self.checkpoint()
                ok = await self.eval_guarded(node[1], io) == 0
                if ok == node[3]:
                    break
                try:
                    status = await self.eval(node[2], io)
                except LoopControl as ctl:
                    if ctl.levels > 1:  # an outer loop's turn
                        ctl.levels -= 1
                        raise
                    if ctl.kind == "break":
                        break
                await asyncio.sleep(0)  # let the loop breathe: `while true; do echo; done` must stay killable
            return status
        if kind == "for":
            words = await self.expand_words(node[2]) if node[2] is not None else list(self.args)
            status = 0
            for word in words:
                self.vars[node[1]] = word
                try:
                    status = await self.eval(node[3], io)
                except LoopControl as ctl:
                    if ctl.levels > 1:  # an outer loop's turn
                        ctl.levels -= 1
                        raise
                    if ctl.kind == "break":
                        break
            return status
        if kind == "group":
            return await self.eval(node[1], io)
        if kind == "subshell":
            return await self.subshell()._pipe_stage(node[1], io, None)
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

    async def eval_guarded(self, node, io: IO, guarded: bool = True) -> int:
        """Evaluate a tested command: set -e does not apply inside it."""
        if not guarded:
            return await self.eval(node, io)
        self.errexit_off += 1
        try:
            return await self.eval(node, io)
        finally:
            self.errexit_off -= 1

    async def expand_pattern(self, parts) -> str:
        """A case pattern: quoted parts match literally, unquoted ones (and their expansions) are glob patterns."""
        pattern = ""
        for kind, text in parts:
            if kind == "lit":
                pattern += _glob_escape(text)
            elif kind == "dq":
                pattern += _glob_escape(self.expand_text(text))
            elif kind == "sub":
                pattern += await self.command_sub(text)
            else:
                pattern += self.expand_text(text)
        return pattern

    async def call_function(self, body, argv: list[str], io: IO) -> int:
        saved_args, self.args = self.args, argv[1:]
        self.local_frames.append({})
        try:
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

    async def _pipe_stage(self, cmd, io: IO, out_pipe: Pipe | None) -> int:
        try:
            return await self.eval(cmd, io)
        except ShellExit as done:
            return done.code
        except ShellError as err:
            io.err(f"{self.name}: {err}\n".encode())
            return 2
        finally:
            if out_pipe is not None:
                out_pipe.close()

    async def apply_redirs(self, redirs, io: IO):
        out, err, stdin = io.out, io.err, io.stdin
        closers = []
        for op, target in redirs:
            if op == "2>&1":
                err = out
                continue
            if op in ("1>&2", ">&2"):
                out = err
                continue
            if op == "<<":  # here-document: expanded (unless its delimiter was quoted), never split
                stdin = Pipe()
                stdin.feed("".join(await self.expand_word(target, split=False)).encode())
                stdin.close()
                continue
            words = await self.expand_word(target)
            name = words[0] if words else ""
            path = self.path(name)
            if op == "<":
                try:
                    data = self.ctx.fs.read(path)
                except OSError:
                    io.err(f"{self.name}: can't open {name}: no such file\n".encode())
                    return None, lambda: None
                stdin = Pipe()
                stdin.feed(data)
                stdin.close()
                continue
            if path == "/dev/null":
                sink = _discard
            elif path in ("/dev/stdout", "/proc/self/fd/1"):
                sink = io.out
            elif path in ("/dev/stderr", "/proc/self/fd/2"):
                sink = io.err
            else:
                try:
                    self.ctx.fs.write(path, b"", append=op in (">>", "2>>"))
                except PermissionError:
                    io.err(f"{self.name}: can't create {name}: Read-only file system\n".encode())
                    return None, lambda: None
                except OSError:
                    io.err(f"{self.name}: can't create {name}: nonexistent directory\n".encode())
                    return None, lambda: None
                sink = _file_sink(self.ctx.fs, path)
            if op in ("2>", "2>>"):
                err = sink
            else:
                out = sink
        return IO(stdin, out, err), lambda: [c() for c in closers]

    async def eval_simple(self, node, io: IO) -> int:
        _, assigns, words, redirs = node
        self.last_sub = None
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
            if redirs:
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
                self.status = 1
                return 1
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
        if "/" not in name and name in BUILTINS:
            return await BUILTINS[name](self, argv, io)
        try:
            path = find_executable(self.ctx.fs, name, self.vars, self.cwd)
        except StartError as err:
            msg = "not found" if "not found" in err.message or "no such file" in err.message else "Permission denied"
            io.err(f"{self.name}: {name}: {msg}\n".encode())
            return err.exit_code
        return await self.run_file(path, argv, io)

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
                return await self.child(argv[1:], argv[0]).run_script(script, io)
        if base == "busybox":  # a multi-call binary: the applet is the name it was called by
            applet = posixpath.basename(argv[0])
            argv = argv[1:] if applet == "busybox" else argv
            base = posixpath.basename(argv[0]) if argv else "busybox"
        if base in BUILTINS:
            return await BUILTINS[base](self, [base, *argv[1:]], io)
        return 0  # an opaque "binary" with no rule: it runs and exits cleanly


async def _discard_async(_: bytes) -> None:
    return None


def _strip(value: str, pattern: str, op: str) -> str:
    """${x#p} ${x##p} ${x%p} ${x%%p}: remove the shortest/longest prefix/suffix matching the glob pattern."""
    cuts = range(len(value) + 1)
    if op in ("#", "##"):
        for i in (reversed(cuts) if op == "##" else cuts):
            if fnmatch.fnmatchcase(value[:i], pattern):
                return value[i:]
    else:
        for i in (cuts if op == "%%" else reversed(cuts)):
            if fnmatch.fnmatchcase(value[i:], pattern):
                return value[:i]
    return value


def _replace(value: str, pattern: str, replacement: str, every: bool) -> str:
    """${x/p/r} and ${x//p/r}: the longest match of the pattern at the leftmost place, once or everywhere."""
    out, i = "", 0
    while i < len(value):
        for j in range(len(value), i, -1):
            if fnmatch.fnmatchcase(value[i:j], pattern):
                out += replacement
                i = j
                break
        else:
            out += value[i]
            i += 1
            continue
        if not every:
            return out + value[i:]
    return out


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def _trace_quote(arg: str) -> str:
    """How set -x shows an argument: bare when it is plain, else single-quoted."""
    return arg if re.fullmatch(r"[A-Za-z0-9_./=:@%+,-]+", arg) else "'" + arg.replace("'", "'\\''") + "'"


def _discard(_: bytes) -> None:
    return None


def _file_sink(fs: MountedFS, path: str) -> Callable[[bytes], None]:
    def write(data: bytes) -> None:
        fs.write(path, data, append=True)
    return write


def _flags(args: list[str], known: str) -> tuple[set[str], list[str]]:
    flags, rest = set(), []
    for i, arg in enumerate(args):
        if arg == "--":
            rest.extend(args[i + 1:])
            break
        if arg.startswith("-") and len(arg) > 1 and all(c in known for c in arg[1:]):
            flags.update(arg[1:])
        else:
            rest.append(arg)
    return flags, rest


# -- builtins ------------------------------------------------------------------------------------------------

SPECIAL_BUILTINS = {"break", "continue", "exit", "export", "cd", "set", "unset", ":", "read", "shift", "trap", "wait",
                    "exec", ".", "eval", "return", "local", "command", "type"}
# The commands busybox ash itself implements (`type` calls them shell builtins); the other builtins are applets.
ASH_BUILTINS = {".", ":", "[", "break", "cd", "command", "continue", "echo", "eval", "exec", "exit", "export", "false",
                "kill", "local", "printf", "pwd", "read", "return", "set", "shift", "test", "trap", "true", "type",
                "unset", "wait"}


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


@builtin("trap")
async def b_trap(sh: Shell, args, io) -> int:
    from .process import parse_signal

    if len(args) < 3:
        return 0
    action = args[1]
    for name in args[2:]:
        if name in ("EXIT", "0"):
            sh.exit_trap = None if action in ("-", "") else action
            continue
        try:
            sig = parse_signal(name)
        except ValueError:
            io.err(f"trap: {name}: bad trap\n".encode())
            return 1
        if action == "-":
            sh.ctx.traps.pop(sig, None)
        else:
            sh.ctx.traps[sig] = action
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
    _, names = _flags(args[1:], "r")
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


def _echo_escapes(text: str) -> tuple[str, bool]:
    if "\\c" in text:
        return text.split("\\c", 1)[0], True
    return text.encode().decode("unicode_escape", errors="replace") if "\\" in text else text, False


@builtin("echo")
async def b_echo(sh: Shell, args, io) -> int:
    words = args[1:]
    newline, escapes = True, False
    while words and re.fullmatch(r"-[neE]+", words[0]):
        newline = newline and "n" not in words[0]
        escapes = "e" in words[0] or escapes
        words = words[1:]
    text = " ".join(words)
    if escapes:
        text, stop = _echo_escapes(text)
        newline = newline and not stop
    io.out((text + ("\n" if newline else "")).encode())
    return 0


def _printf_format(fmt: str, values: list[str]) -> str:
    out = []
    values = list(values)
    while True:
        pieces = re.split(r"(%[-+ 0#]*\d*(?:\.\d+)?[sdifxXoc%b])", fmt)
        used = False
        for piece in pieces:
            if re.fullmatch(r"%[-+ 0#]*\d*(?:\.\d+)?[sdifxXoc%b]", piece):
                conv = piece[-1]
                if conv == "%":
                    out.append("%")
                    continue
                used = True
                value = values.pop(0) if values else ""
                if conv in "dixXoc":
                    try:
                        num = int(value or "0", 0)
                    except ValueError:
                        num = 0
                    out.append((piece[:-1] + ("d" if conv == "i" else conv)) % num if conv != "c" else value[:1])
                elif conv == "f":
                    out.append(piece % float(value or 0))
                elif conv == "b":
                    out.append(_echo_escapes(value)[0])
                else:
                    out.append(piece % value)
            else:
                out.append(piece.encode().decode("unicode_escape", errors="replace") if "\\" in piece else piece)
        if not values or not used:
            break
    return "".join(out)


@builtin("printf")
async def b_printf(sh: Shell, args, io) -> int:
    if len(args) < 2:
        io.err(b"printf: usage: printf FORMAT [ARGUMENT...]\n")
        return 1
    io.out(_printf_format(args[1], args[2:]).encode())
    return 0


@builtin("cat")
async def b_cat(sh: Shell, args, io) -> int:
    _, files = _flags(args[1:], "unsbeEvAT")
    status = 0
    for name in files or ["-"]:
        if name == "-":
            while chunk := await io.stdin.read():
                await sh.checkpoint()
                io.out(chunk)
            continue
        try:
            io.out(sh.ctx.fs.read(sh.path(name)))
        except IsADirectoryError:
            io.err(b"cat: read error: Is a directory\n")
            status = 1
        except OSError:
            io.err(f"cat: can't open '{name}': No such file or directory\n".encode())
            status = 1
    return status


@builtin("sleep")
async def b_sleep(sh: Shell, args, io) -> int:
    total = 0.0
    for arg in args[1:]:
        m = re.fullmatch(r"(\d+(?:\.\d*)?|\.\d+)([smhd]?)", arg)
        if not m:
            if arg == "infinity":
                total = float("inf")
                continue
            io.err(f"sleep: invalid number '{arg}'\n".encode())
            return 1
        total += float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + total
    while True:
        await sh.checkpoint()
        remaining = deadline - loop.time()
        if remaining <= 0:
            return 0
        # Sleep in slices so a pause (which clears ctx.running) holds the process like a frozen cgroup.
        await asyncio.sleep(min(remaining, 0.25 if sh.ctx.running is not None else remaining))


@builtin("env", "printenv")
async def b_env(sh: Shell, args, io) -> int:
    if args[0] == "printenv" and len(args) > 1:
        status = 0
        for name in args[1:]:
            if name in sh.exported and name in sh.vars:
                io.out((sh.vars[name] + "\n").encode())
            else:
                status = 1
        return status
    rest = args[1:]
    extra = {}
    while rest and "=" in rest[0]:
        k, _, v = rest[0].partition("=")
        extra[k] = v
        rest = rest[1:]
    if rest:
        sub = sh.child(sh.args, sh.name)
        sub.vars.update(extra)
        sub.exported |= set(extra)
        return await sub.exec_external(rest, io)
    env = {**sh.env(), **extra}
    io.out("".join(f"{k}={v}\n" for k, v in env.items()).encode())
    return 0


@builtin("hostname")
async def b_hostname(sh: Shell, args, io) -> int:
    try:
        name = sh.ctx.fs.read("/etc/hostname").decode().strip() or sh.ctx.hostname
    except OSError:
        name = sh.ctx.hostname
    io.out((name + "\n").encode())
    return 0


@builtin("id", "whoami")
async def b_id(sh: Shell, args, io) -> int:
    try:
        uid, gid, uname, gname = resolve_user(sh.ctx.fs, sh.ctx.user)
    except StartError:
        uid, gid, uname, gname = 0, 0, "root", "root"
    if args[0] == "whoami":
        if uname is None:
            io.err(f"whoami: unknown uid {uid}\n".encode())
            return 1
        io.out((uname + "\n").encode())
        return 0
    flags, _ = _flags(args[1:], "ugnr")
    if "u" in flags:
        io.out(((uname if "n" in flags and uname else str(uid)) + "\n").encode())
        return 0
    if "g" in flags:
        io.out(((gname if "n" in flags and gname else str(gid)) + "\n").encode())
        return 0
    u = f"uid={uid}" + (f"({uname})" if uname else "")
    g = f"gid={gid}" + (f"({gname})" if gname else "")
    groups = f" groups={gid}" + (f"({gname})" if gname else "") if uid == 0 or ":" in sh.ctx.user else ""
    io.out(f"{u} {g}{groups}\n".encode())
    return 0


@builtin("pwd")
async def b_pwd(sh: Shell, args, io) -> int:
    io.out((sh.cwd + "\n").encode())
    return 0


def _id_names(fs, path: str) -> dict[int, str]:
    """id -> name from /etc/passwd or /etc/group, as `ls -l` shows owners (numbers when there is no entry)."""
    try:
        rows = [line.split(":") for line in fs.read(path).decode(errors="replace").splitlines()]
    except (OSError, ValueError):
        return {}
    return {int(r[2]): r[0] for r in reversed(rows) if len(r) > 2 and r[2].isdigit()}


def _ls_long(name: str, node, users: dict[int, str] | None = None, groups: dict[int, str] | None = None) -> str:
    kind = {"dir": "d", "symlink": "l"}.get(node.kind, "-")
    perms = "".join(c if node.mode & (1 << (8 - i)) else "-" for i, c in enumerate("rwxrwxrwx"))
    when = time.strftime("%b %d %H:%M", time.gmtime(node.mtime))
    link = f" -> {node.target}" if node.kind == SYMLINK else ""
    user = (users or {}).get(node.uid, node.uid)
    group = (groups or {}).get(node.gid, node.gid)
    return f"{kind}{perms}    1 {user:<8} {group:<8} {node.size:>8} {when} {name}{link}"


@builtin("ls")
async def b_ls(sh: Shell, args, io) -> int:
    flags, paths = _flags(args[1:], "laA1dhRFt")
    status = 0
    fs = sh.ctx.fs
    multiple = len(paths) > 1
    for i, name in enumerate(paths or ["."]):
        path = sh.path(name)
        node = fs.lookup(path)
        if node is None:
            io.err(f"ls: {name}: No such file or directory\n".encode())
            status = 1
            continue
        if node.kind != DIR or "d" in flags:
            io.out(((_ls_long(name, node, *_owners(fs, flags)) if "l" in flags else name) + "\n").encode())
            continue
        if "R" in flags:  # busybox: "DIR:" then its entries, each subdirectory after a blank line, depth first
            sections: list[str] = []
            _ls_recursive(fs, name, path, node, flags, sections)
            io.out(("" if i == 0 else "\n").encode() + "\n".join(sections).encode())
            continue
        if multiple:
            io.out(f"{'' if i == 0 else chr(10)}{name}:\n".encode())
        io.out("".join(line + "\n" for line in _ls_dir(fs, path, node, flags)).encode())
    return status


def _ls_dir(fs, path: str, node, flags: str) -> list[str]:
    names = fs.listdir(path)
    if "a" not in flags and "A" not in flags:
        names = [n for n in names if not n.startswith(".")]
    if "a" in flags:
        names = [".", "..", *names]
    if "l" not in flags:
        return names
    lines = []
    owners = _owners(fs, flags)
    for entry in names:
        child = fs.lookup(posixpath.join(path, entry)) if entry not in (".", "..") else node
        lines.append(_ls_long(entry, child, *owners) if child else entry)
    return lines


def _owners(fs, flags: str) -> tuple[dict[int, str], dict[int, str]]:
    return (_id_names(fs, "/etc/passwd"), _id_names(fs, "/etc/group")) if "l" in flags else ({}, {})


def _ls_recursive(fs, shown: str, path: str, node, flags: str, sections: list[str], depth: int = 0) -> None:
    sections.append(f"{shown}:\n" + "".join(line + "\n" for line in _ls_dir(fs, path, node, flags)))
    for entry in fs.listdir(path):
        if entry.startswith(".") and "a" not in flags and "A" not in flags:
            continue
        child_path = posixpath.join(path, entry)
        child = fs.get(child_path) or fs.lookup(child_path)  # get: a symlinked directory is not descended into
        if child is not None and child.kind == DIR and depth < 64:
            _ls_recursive(fs, posixpath.join(shown, entry), child_path, child, flags, sections, depth + 1)


@builtin("mkdir")
async def b_mkdir(sh: Shell, args, io) -> int:
    flags, paths = _flags(args[1:], "p")
    status = 0
    for name in paths:
        try:
            sh.ctx.fs.mkdir(sh.path(name), parents="p" in flags)
        except FileExistsError:
            io.err(f"mkdir: can't create directory '{name}': File exists\n".encode())
            status = 1
        except PermissionError:
            io.err(f"mkdir: can't create directory '{name}': Read-only file system\n".encode())
            status = 1
        except OSError:
            io.err(f"mkdir: can't create directory '{name}': No such file or directory\n".encode())
            status = 1
    return status


@builtin("touch")
async def b_touch(sh: Shell, args, io) -> int:
    _, paths = _flags(args[1:], "acm")
    for name in paths:
        try:
            sh.ctx.fs.touch(sh.path(name))
        except PermissionError:
            io.err(f"touch: {name}: Read-only file system\n".encode())
            return 1
        except OSError:
            io.err(f"touch: {name}: No such file or directory\n".encode())
            return 1
    return 0


@builtin("rm", "rmdir")
async def b_rm(sh: Shell, args, io) -> int:
    flags, paths = _flags(args[1:], "rfRv")
    status = 0
    for name in paths:
        try:
            sh.ctx.fs.remove(sh.path(name), recursive=bool(flags & {"r", "R"}))
        except FileNotFoundError:
            if "f" not in flags:
                io.err(f"rm: can't remove '{name}': No such file or directory\n".encode())
                status = 1
        except OSError as err:
            io.err(f"rm: can't remove '{name}': {err}\n".encode())
            status = 1
    return status


@builtin("cp", "mv")
async def b_cp(sh: Shell, args, io) -> int:
    _, paths = _flags(args[1:], "rRfapv")
    if len(paths) < 2:
        io.err(f"{args[0]}: missing file operand\n".encode())
        return 1
    fs = sh.ctx.fs
    dest = sh.path(paths[-1])
    for name in paths[:-1]:
        src = sh.path(name)
        try:
            data = fs.read(src)
        except OSError:
            io.err(f"{args[0]}: can't stat '{name}': No such file or directory\n".encode())
            return 1
        target = posixpath.join(dest, posixpath.basename(src)) if fs.is_dir(dest) else dest
        node = fs.lookup(src)
        fs.write(target, data, mode=node.mode if node else None)
        if args[0] == "mv":
            fs.remove(src)
    return 0


@builtin("head", "tail")
async def b_head(sh: Shell, args, io) -> int:
    count, rest, i = 10, [], 1
    while i < len(args):
        if args[i] == "-n" and i + 1 < len(args):
            count = int(args[i + 1].lstrip("+-") or 10)
            i += 2
            continue
        if re.fullmatch(r"-n?\d+", args[i]):
            count = int(args[i].lstrip("-n"))
        elif args[i] != "-f":
            rest.append(args[i])
        i += 1
    data = sh.ctx.fs.read(sh.path(rest[0])) if rest else await io.stdin.read_all()
    lines = data.splitlines(keepends=True)
    io.out(b"".join(lines[:count] if args[0] == "head" else lines[-count:] if count else []))
    return 0


@builtin("wc")
async def b_wc(sh: Shell, args, io) -> int:
    flags, files = _flags(args[1:], "lcwm")
    data = sh.ctx.fs.read(sh.path(files[0])) if files else await io.stdin.read_all()
    counts = {"l": data.count(b"\n"), "w": len(data.split()), "c": len(data), "m": len(data.decode(errors="ignore"))}
    chosen = [counts[f] for f in "lwcm" if f in flags] or [counts["l"], counts["w"], counts["c"]]
    io.out((" ".join(str(c) for c in chosen) + (f" {files[0]}" if files else "") + "\n").encode())
    return 0


@builtin("grep")
async def b_grep(sh: Shell, args, io) -> int:
    flags, rest = _flags(args[1:], "qvicEFnx")
    if not rest:
        io.err(b"grep: no pattern\n")
        return 2
    pattern = rest[0]
    regex = re.compile(re.escape(pattern) if "F" in flags else pattern, re.I if "i" in flags else 0)
    data = sh.ctx.fs.read(sh.path(rest[1])) if len(rest) > 1 else await io.stdin.read_all()
    match = regex.fullmatch if "x" in flags else regex.search
    hits = [f"{number}:{line}" if "n" in flags else line
            for number, line in enumerate(data.decode(errors="replace").splitlines(keepends=True), start=1)
            if bool(match(line.rstrip("\n"))) != ("v" in flags)]
    if "c" in flags:
        io.out(f"{len(hits)}\n".encode())
    elif "q" not in flags:
        io.out("".join(h if h.endswith("\n") else h + "\n" for h in hits).encode())
    return 0 if hits else 1


@builtin("tee")
async def b_tee(sh: Shell, args, io) -> int:
    flags, files = _flags(args[1:], "a")
    for name in files:
        sh.ctx.fs.write(sh.path(name), b"", append="a" in flags)
    while chunk := await io.stdin.read():
        io.out(chunk)
        for name in files:
            sh.ctx.fs.write(sh.path(name), chunk, append=True)
    return 0


@builtin("seq")
async def b_seq(sh: Shell, args, io) -> int:
    nums = [int(a) for a in args[1:]]
    start, step, end = (1, 1, nums[0]) if len(nums) == 1 else (nums[0], 1, nums[1]) if len(nums) == 2 else nums
    io.out("".join(f"{i}\n" for i in range(start, end + (1 if step > 0 else -1), step)).encode())
    return 0


@builtin("date")
async def b_date(sh: Shell, args, io) -> int:
    fmt = next((a[1:] for a in args[1:] if a.startswith("+")), "%a %b %e %H:%M:%S UTC %Y")
    io.out((time.strftime(fmt, time.gmtime()) + "\n").encode())
    return 0


@builtin("uname")
async def b_uname(sh: Shell, args, io) -> int:
    flags, _ = _flags(args[1:], "asnrvmo")
    parts = {"s": "Linux", "n": sh.ctx.hostname, "r": "6.1.0-mockd", "v": "#1 SMP", "m": "x86_64", "o": "GNU/Linux"}
    chosen = "snrvmo" if "a" in flags else "".join(f for f in "snrvmo" if f in flags) or "s"
    io.out((" ".join(parts[f] for f in chosen) + "\n").encode())
    return 0


@builtin("basename", "dirname")
async def b_basename(sh: Shell, args, io) -> int:
    if len(args) < 2:
        return 1
    value = posixpath.basename(args[1].rstrip("/")) if args[0] == "basename" else posixpath.dirname(args[1]) or "."
    if args[0] == "basename" and len(args) > 2 and value.endswith(args[2]):
        value = value[: -len(args[2])]
    io.out((value + "\n").encode())
    return 0


@builtin("test", "[")
async def b_test(sh: Shell, args, io) -> int:
    expr = args[1:]
    if args[0] == "[":
        if not expr or expr[-1] != "]":
            io.err(f"{sh.name}: missing ]\n".encode())
            return 2
        expr = expr[:-1]
    return 0 if _test(sh, expr) else 1


def _test(sh: Shell, expr: list[str]) -> bool:
    if not expr:
        return False
    if expr[0] == "!":
        return not _test(sh, expr[1:])
    for i, word in enumerate(expr):
        if word in ("-a", "-o") and 0 < i < len(expr) - 1:
            left, right = _test(sh, expr[:i]), _test(sh, expr[i + 1:])
            return (left and right) if word == "-a" else (left or right)
    if len(expr) == 1:
        return expr[0] != ""
    if len(expr) == 2:
        op, arg = expr
        node = sh.ctx.fs.lookup(sh.path(arg)) if op in ("-e", "-f", "-d", "-s", "-x", "-r", "-w", "-L", "-h") else None
        return {
            "-n": arg != "", "-z": arg == "", "-e": node is not None,
            "-f": node is not None and node.kind == "file", "-d": node is not None and node.kind == DIR,
            "-s": node is not None and node.size > 0, "-x": node is not None and bool(node.mode & 0o111),
            "-r": node is not None, "-w": node is not None,
            "-L": (sh.ctx.fs.get(sh.path(arg)) or node) is not None and getattr(sh.ctx.fs.get(sh.path(arg)), "kind",
                                                                                "") == SYMLINK,
        }.get(op, False)
    left, op, right = expr[0], expr[1], expr[2]
    if op in ("=", "=="):
        return left == right
    if op == "!=":
        return left != right
    try:
        a, b = int(left), int(right)
    except ValueError:
        return False
    return {"-eq": a == b, "-ne": a != b, "-lt": a < b, "-le": a <= b, "-gt": a > b, "-ge": a >= b}.get(op, False)


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
        return await sub.run_script(script, io)
    if rest:
        try:
            source = sh.ctx.fs.read(sh.path(rest[0])).decode(errors="replace")
        except OSError:
            io.err(f"{args[0]}: can't open '{rest[0]}': No such file or directory\n".encode())
            return 2
        return await sub.run_script(source, io)
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


@builtin("kill")
async def b_kill(sh: Shell, args, io) -> int:
    """Signals to the shell itself ($$) act as they would (a trap, or the default action); other process ids are
    not simulated and are accepted silently."""
    from .process import parse_signal

    rest, sig = args[1:], 15
    try:
        if rest[:1] == ["-s"] and len(rest) > 1:
            sig, rest = parse_signal(rest[1]), rest[2:]
        elif rest and rest[0].startswith("-") and rest[0] != "--" and len(rest[0]) > 1:
            sig, rest = (0 if rest[0] == "-0" else parse_signal(rest[0][1:])), rest[1:]
    except ValueError:
        io.err(f"{sh.name}: kill: bad signal name '{rest[0]}'\n".encode())
        return 1
    for target in rest:
        if target == str(sh.ctx.pid) and sig:
            _signal_self(sh, sig)
    return 0


def _signal_self(sh: Shell, sig: int) -> None:
    if sig in sh.ctx.traps:
        sh.ctx.pending.append(sig)  # the trap runs at the next command, as a real shell runs it after the builtin
    elif sig in (17, 18, 23, 28) or (sh.ctx.pid == 1 and sig != 9):
        return  # ignored by default, or PID 1 without a handler
    elif sig in (19, 20, 21, 22):
        if sh.ctx.running is not None:
            sh.ctx.running.clear()
    else:
        raise Killed(128 + sig)


@builtin("nproc")
async def b_nproc(sh: Shell, args, io) -> int:
    io.out(b"2\n")
    return 0


@builtin("yes")
async def b_yes(sh: Shell, args, io) -> int:
    text = (" ".join(args[1:]) or "y") + "\n"
    while True:
        io.out(text.encode())
        await asyncio.sleep(0.001)  # a real `yes` floods; a mock must keep the loop alive
        await sh.checkpoint()


@builtin("ps")
async def b_ps(sh: Shell, args, io) -> int:
    io.out(b"PID   USER     TIME  COMMAND\n    1 root      0:00 sh\n")
    return 0


@builtin("chmod")
async def b_chmod(sh: Shell, args, io) -> int:
    _, rest = _flags(args[1:], "R")
    if len(rest) < 2:
        return 1
    from dataclasses import replace as _replace

    mode_text = rest[0]
    for name in rest[1:]:
        fs = sh.ctx.fs
        node = fs.lookup(sh.path(name))
        if node is None:
            io.err(f"chmod: {name}: No such file or directory\n".encode())
            return 1
        if re.fullmatch(r"[0-7]{3,4}", mode_text):
            mode = int(mode_text, 8)
        else:
            mode = node.mode | (0o111 if "+x" in mode_text else 0)
            if "-x" in mode_text:
                mode &= ~0o111
        tree, inner = fs._locate(sh.path(name), for_write=True)
        tree.nodes[tree.resolve(inner)] = _replace(node, mode=mode)
    return 0


@builtin("ln")
async def b_ln(sh: Shell, args, io) -> int:
    flags, rest = _flags(args[1:], "sf")
    if len(rest) != 2:
        return 1
    tree, inner = sh.ctx.fs._locate(sh.path(rest[1]), for_write=True)
    if "s" in flags:
        tree.symlink(rest[0], inner)
    else:
        tree.write(inner, sh.ctx.fs.read(sh.path(rest[0])))
    return 0


async def _input_lines(sh: Shell, files: list[str], io: IO) -> list[str] | None:
    """The lines of the named files (stdin when none or "-"), None after reporting a missing file."""
    data = b""
    for name in files or ["-"]:
        if name == "-":
            data += await io.stdin.read_all()
            continue
        try:
            data += sh.ctx.fs.read(sh.path(name))
        except OSError:
            io.err(f"{name}: No such file or directory\n".encode())
            return None
    return data.decode(errors="replace").splitlines()


def _tr_set(text: str) -> str:
    """A tr SET: escapes (\\n \\t \\\\) and ranges (a-z) spelled out."""
    text = re.sub(r"\\([ntr\\])", lambda m: {"n": "\n", "t": "\t", "r": "\r", "\\": "\\"}[m.group(1)], text)
    out, i = "", 0
    while i < len(text):
        if i + 2 < len(text) and text[i + 1] == "-":
            out += "".join(chr(c) for c in range(ord(text[i]), ord(text[i + 2]) + 1))
            i += 3
        else:
            out += text[i]
            i += 1
    return out


@builtin("tr")
async def b_tr(sh: Shell, args, io) -> int:
    flags, sets = _flags(args[1:], "ds")
    if not sets:
        io.err(b"tr: missing operand\n")
        return 1
    data = (await io.stdin.read_all()).decode(errors="replace")
    first = _tr_set(sets[0])
    if "d" in flags:
        data = "".join(c for c in data if c not in first)
        squeeze = _tr_set(sets[1]) if len(sets) > 1 else ""
    elif len(sets) > 1:
        second = _tr_set(sets[1])
        second = (second + second[-1:] * len(first))[:len(first)] if second else ""
        data = data.translate(str.maketrans(first, second)) if second else data
        squeeze = second
    else:
        squeeze = first
    if "s" in flags:
        data = re.sub("([" + re.escape(squeeze) + "])\\1+", r"\1", data) if squeeze else data
    io.out(data.encode())
    return 0


def _cut_ranges(spec: str) -> list[tuple[int, int]]:
    ranges = []
    for item in spec.split(","):
        start, dash, end = item.partition("-")
        ranges.append((int(start or 1), int(end) if end else (10**9 if dash else int(start))))
    return ranges


@builtin("cut")
async def b_cut(sh: Shell, args, io) -> int:
    delimiter, fields, chars, files = "\t", None, None, []
    rest = args[1:]
    while rest:
        arg = rest.pop(0)
        if arg[:2] in ("-d", "-f", "-c"):
            value = arg[2:] or (rest.pop(0) if rest else "")
            if arg[:2] == "-d":
                delimiter = value[:1]
            elif arg[:2] == "-f":
                fields = _cut_ranges(value)
            else:
                chars = _cut_ranges(value)
        else:
            files.append(arg)
    lines = await _input_lines(sh, files, io)
    if lines is None:
        return 1
    out = []
    for line in lines:
        if chars is not None:
            out.append("".join(c for i, c in enumerate(line, 1) if any(a <= i <= b for a, b in chars)))
        elif fields is not None:
            if delimiter not in line:
                out.append(line)  # no delimiter: the whole line, as without -s
                continue
            parts = line.split(delimiter)
            out.append(delimiter.join(p for i, p in enumerate(parts, 1) if any(a <= i <= b for a, b in fields)))
    io.out("".join(line + "\n" for line in out).encode())
    return 0


@builtin("sort")
async def b_sort(sh: Shell, args, io) -> int:
    flags, files = _flags(args[1:], "rnu")
    lines = await _input_lines(sh, files, io)
    if lines is None:
        return 1

    def number(line: str) -> float:
        m = re.match(r"\s*(-?\d+(?:\.\d*)?)", line)
        return float(m.group(1)) if m else 0.0

    lines.sort(key=(lambda line: (number(line), line)) if "n" in flags else None, reverse="r" in flags)
    if "u" in flags:
        lines = list(dict.fromkeys(lines))
    io.out("".join(line + "\n" for line in lines).encode())
    return 0


@builtin("uniq")
async def b_uniq(sh: Shell, args, io) -> int:
    flags, files = _flags(args[1:], "cdu")
    lines = await _input_lines(sh, files, io)
    if lines is None:
        return 1
    runs: list[list] = []
    for line in lines:
        if runs and runs[-1][0] == line:
            runs[-1][1] += 1
        else:
            runs.append([line, 1])
    if "d" in flags:
        runs = [r for r in runs if r[1] > 1]
    if "u" in flags:
        runs = [r for r in runs if r[1] == 1]
    io.out("".join((f"{count:7d} {line}" if "c" in flags else line) + "\n" for line, count in runs).encode())
    return 0


@builtin("expr")
async def b_expr(sh: Shell, args, io) -> int:
    """expr A OP B (arithmetic, comparison, `:` match) and `length S`; the status is 1 for 0 or an empty result."""
    rest = args[1:]
    if len(rest) == 2 and rest[0] == "length":
        result: int | str = len(rest[1])
    elif len(rest) == 1:
        result = rest[0]
    elif len(rest) == 3:
        left, op, right = rest
        try:
            a, b = int(left), int(right)
            numeric = True
        except ValueError:
            a, b, numeric = 0, 0, False
        if op in ("+", "-", "*", "/", "%"):
            if not numeric:
                io.err(b"expr: non-numeric argument\n")
                return 2
            if op in "/%" and b == 0:
                io.err(b"expr: division by zero\n")
                return 2
            quotient = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1) if b else 0
            result = {"+": a + b, "-": a - b, "*": a * b, "/": quotient, "%": a - b * quotient if b else 0}[op]
        elif op in ("=", "!=", "<", ">", "<=", ">="):
            x, y = (a, b) if numeric else (left, right)
            result = int({"=": x == y, "!=": x != y, "<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y}[op])
        elif op == ":":
            m = re.match(right, left)
            result = (m.group(1) or "") if m and m.groups() else (m.end() if m else 0)
        else:
            io.err(b"expr: syntax error\n")
            return 2
    else:
        io.err(b"expr: syntax error\n")
        return 2
    io.out(f"{result}\n".encode())
    return 0 if result not in (0, "", "0") else 1
