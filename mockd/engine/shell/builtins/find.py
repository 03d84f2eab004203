"""busybox `find` on the simulated filesystem: paths, the depth options, the tests and actions scripts use
(-name -iname -path -ipath -regex -type -empty -executable -size -user -group -newer, -prune -print -print0
-exec ... ; and + -quit) and the operators ( ) ! -a -o, with busybox 1.35's messages and exit statuses.

Like busybox: a directory's entries are visited in order after it (with `-depth` before it), symbolic links are
not followed unless `-L`/`-follow` (`-H`: only the command line's), a missing path is reported and the exit status
becomes 1, an expression without an action prints what matches. Directory order is the name order (a real
directory's order is whatever readdir gives, which nobody may rely on)."""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ...filesystem import DIR, FILE, SYMLINK
from ..context import IO
from ..interpreter import Shell
from ..registry import builtin

USAGE = "Usage: find [-HL] [PATH]... [OPTIONS] [ACTIONS]\n"
_TYPES = {"f": FILE, "d": DIR, "l": SYMLINK}
_VALID_TYPES = "fdlbcsp"
_GLOBAL = {"-follow", "-L", "-H", "-xdev", "-depth"}
_ACTIONS = {"-print", "-print0", "-exec", "-quit", "-prune"}


class FindUsage(Exception):
    """A bad expression: busybox's message (usage shown after it when `usage`)."""

    def __init__(self, message: str, usage: bool = False) -> None:
        super().__init__(message)
        self.usage = usage


class Quit(Exception):
    """-quit: stop at once."""


@dataclass
class Entry:
    path: str  # as printed (from the command-line path)
    real: str  # in the filesystem
    node: object
    depth: int


Test = Callable[["Walk", Entry], Awaitable[bool]]


@dataclass
class Options:
    maxdepth: int | None = None
    mindepth: int = 0
    depth_first: bool = False
    follow: bool = False
    follow_args: bool = False


class Walk:
    """One run of find: the shell, its streams, the pending `-exec ... +` batches and the exit status."""

    def __init__(self, sh: Shell, io: IO) -> None:
        self.sh, self.io = sh, io
        self.status = 0
        self.batches: list[tuple[list[str], list[str]]] = []  # (command with {}, collected paths)
        self.pruned = False


def _glob(pattern: str, name: str, fold: bool) -> bool:
    return fnmatch.fnmatchcase(name.lower(), pattern.lower()) if fold else fnmatch.fnmatchcase(name, pattern)


def _number(text: str) -> tuple[int, int]:
    """(+1 / -1 / 0 for greater / less / exactly, N) of a `+N`, `-N`, `N` argument."""
    sign = {"+": 1, "-": -1}.get(text[:1], 0)
    digits = text[1:] if sign else text
    if not digits.isdigit():
        raise FindUsage(f"invalid number '{text}'")
    return sign, int(digits)


def _compare(sign: int, value: int, n: int) -> bool:
    return value > n if sign > 0 else value < n if sign < 0 else value == n


class Parser:
    """The expression, as busybox's parse_params reads it: -a binds tighter than -o; `!` applies to the next."""

    def __init__(self, sh: Shell, args: list[str], opts: Options) -> None:
        self.sh, self.args, self.opts = sh, args, opts
        self.pos = 0
        self.has_action = False

    def parse(self) -> Test:
        test = self._or()
        if self.pos < len(self.args):
            raise FindUsage("unpaired ')'" if self.args[self.pos] == ")" else f"unrecognized: {self.args[self.pos]}",
                            usage=self.args[self.pos] != ")")
        return test

    def _or(self) -> Test:
        left = self._and()
        while self._peek() in ("-o", "-or"):
            self.pos += 1
            right = self._and()
            left = _either(left, right)
        return left

    def _and(self) -> Test:
        left = self._not()
        while (word := self._peek()) is not None and word not in ("-o", "-or", ")"):
            if word in ("-a", "-and"):
                self.pos += 1
            right = self._not()
            left = _both(left, right)
        return left

    def _not(self) -> Test:
        if self._peek() in ("!", "-not"):
            self.pos += 1
            inner = self._not()

            async def negated(walk: Walk, e: Entry) -> bool:
                return not await inner(walk, e)
            return negated
        return self._primary()

    def _peek(self) -> str | None:
        return self.args[self.pos] if self.pos < len(self.args) else None

    def _value(self, word: str) -> str:
        if self.pos >= len(self.args):
            raise FindUsage(f"{word} requires an argument")
        value = self.args[self.pos]
        self.pos += 1
        return value

    def _primary(self) -> Test:  # noqa: C901 - one branch per primary, as busybox's table
        word = self.args[self.pos]
        self.pos += 1
        if word == "(":
            inner = self._or()
            if self._peek() != ")":
                raise FindUsage("unpaired '('")
            self.pos += 1
            return inner
        if word in _GLOBAL or word in ("-maxdepth", "-mindepth"):
            self._global(word)
            return _always
        if word in _ACTIONS:
            self.has_action = word != "-prune"
        if word in ("-name", "-iname"):
            pattern, fold = self._value(word), word == "-iname"
            return _pred(lambda w, e: _glob(pattern, posixpath.basename(e.path.rstrip("/")) or e.path, fold))
        if word in ("-path", "-wholename", "-ipath"):
            pattern, fold = self._value(word), word == "-ipath"
            return _pred(lambda w, e: _glob(pattern, e.path, fold))
        if word == "-regex":
            regex = re.compile(self._value(word))
            return _pred(lambda w, e: regex.fullmatch(e.path) is not None)
        if word == "-type":
            kind = self._value(word)
            if len(kind) != 1 or kind not in _VALID_TYPES:
                raise FindUsage(f"invalid argument '{kind}' to '-type'")
            return _pred(lambda w, e: e.node.kind == _TYPES.get(kind))
        if word == "-empty":
            return _pred(lambda w, e: (e.node.kind == FILE and not e.node.data)
                         or (e.node.kind == DIR and not w.sh.ctx.fs.listdir(e.real)))
        if word == "-executable":
            return _pred(lambda w, e: bool(e.node.mode & 0o111))
        if word == "-size":
            sign, n, unit = self._size(self._value(word))
            return _pred(lambda w, e: _compare(sign, -(-e.node.size // unit), n))
        if word in ("-user", "-group"):
            return self._owner(word, self._value(word))
        if word == "-newer":
            ref = self.sh.ctx.fs.lookup(self.sh.path(self._value(word)))
            if ref is None:
                raise FindUsage(f"{self.args[self.pos - 1]}: No such file or directory")
            return _pred(lambda w, e: e.node.mtime > ref.mtime)
        if word == "-print":
            return _act(lambda w, e: w.io.out((e.path + "\n").encode()))
        if word == "-print0":
            return _act(lambda w, e: w.io.out((e.path + "\0").encode()))
        if word == "-prune":
            async def prune(walk: Walk, e: Entry) -> bool:
                walk.pruned = True
                return True
            return prune
        if word == "-quit":
            async def quit_(walk: Walk, e: Entry) -> bool:
                raise Quit
            return quit_
        if word == "-exec":
            return self._exec()
        raise FindUsage(f"unrecognized: {word}", usage=True)

    def _global(self, word: str) -> None:
        if word in ("-maxdepth", "-mindepth"):
            text = self._value(word)
            if not text.isdigit():
                raise FindUsage(f"invalid number '{text}'")
            if word == "-maxdepth":
                self.opts.maxdepth = int(text)
            else:
                self.opts.mindepth = int(text)
        elif word == "-depth":
            self.opts.depth_first = True
        elif word in ("-follow", "-L"):
            self.opts.follow = True

    def _size(self, text: str) -> tuple[int, int, int]:
        unit = {"c": 1, "w": 2, "b": 512, "k": 1024, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 0)
        sign, n = _number(text[:-1] if unit else text)
        return sign, n, unit or 512

    def _owner(self, word: str, who: str) -> Test:
        table = "/etc/passwd" if word == "-user" else "/etc/group"
        wanted: int | None = int(who) if who.isdigit() else None
        if wanted is None:
            try:
                rows = [line.split(":") for line in self.sh.ctx.fs.read(table).decode().splitlines()]
            except (OSError, ValueError):
                rows = []
            wanted = next((int(r[2]) for r in rows if len(r) > 2 and r[0] == who and r[2].isdigit()), None)
            if wanted is None:
                raise FindUsage(f"unknown {word[1:]} {who}")
        attr = "uid" if word == "-user" else "gid"
        return _pred(lambda w, e: getattr(e.node, attr) == wanted)

    def _exec(self) -> Test:
        start = self.pos
        while self.pos < len(self.args) and self.args[self.pos] not in (";", "+"):
            self.pos += 1
        command = self.args[start:self.pos]
        if self.pos >= len(self.args) or not command:
            raise FindUsage("-exec requires an argument")
        plus = self.args[self.pos] == "+" and command[-1] == "{}"
        self.pos += 1
        if plus:
            batch: tuple[list[str], list[str]] = (command[:-1], [])

            async def collect(walk: Walk, e: Entry) -> bool:
                if batch not in walk.batches:
                    walk.batches.append(batch)
                batch[1].append(e.path)
                return True
            return collect

        async def run(walk: Walk, e: Entry) -> bool:
            argv = [arg.replace("{}", e.path) for arg in command]
            return await _run(walk, argv) == 0
        return run


def _pred(check: Callable[[Walk, Entry], bool]) -> Test:
    async def test(walk: Walk, e: Entry) -> bool:
        return bool(check(walk, e))
    return test


def _act(action: Callable[[Walk, Entry], None]) -> Test:
    async def test(walk: Walk, e: Entry) -> bool:
        action(walk, e)
        return True
    return test


async def _always(walk: Walk, e: Entry) -> bool:
    return True


def _either(left: Test, right: Test) -> Test:
    async def test(walk: Walk, e: Entry) -> bool:
        return await left(walk, e) or await right(walk, e)
    return test


def _both(left: Test, right: Test) -> Test:
    async def test(walk: Walk, e: Entry) -> bool:
        return await left(walk, e) and await right(walk, e)
    return test


async def _run(walk: Walk, argv: list[str]) -> int:
    sub = walk.sh.child(argv[1:], argv[0])
    return await sub.exec_external(argv, walk.io)


async def _visit(walk: Walk, test: Test, opts: Options, e: Entry) -> None:
    fs = walk.sh.ctx.fs
    await walk.sh.checkpoint()
    walk.pruned = False
    act_here = e.depth >= opts.mindepth
    if act_here and not opts.depth_first:
        await test(walk, e)
    descend = e.node.kind == DIR and not (walk.pruned and not opts.depth_first)
    if descend and (opts.maxdepth is None or e.depth < opts.maxdepth):
        for name in fs.listdir(e.real):
            real = posixpath.join(e.real, name)
            node = fs.lookup(real) if opts.follow else fs.get(real)
            if node is None:
                node = fs.get(real)  # a dangling symlink is still listed
            if node is None:
                continue
            shown = e.path.rstrip("/") + "/" + name if e.path != "/" else "/" + name
            await _visit(walk, test, opts, Entry(shown, real, node, e.depth + 1))
    if act_here and opts.depth_first:
        await test(walk, e)


@builtin("find")
async def b_find(sh: Shell, args, io) -> int:
    rest = args[1:]
    opts = Options()
    while rest and rest[0] in ("-H", "-L"):
        opts.follow = opts.follow or rest[0] == "-L"
        opts.follow_args = True
        rest = rest[1:]
    paths = []
    while rest and not (rest[0].startswith("-") and len(rest[0]) > 1) and rest[0] not in ("!", "("):
        paths.append(rest.pop(0))
    parser = Parser(sh, rest, opts)
    try:
        test = parser.parse() if rest else _always
    except FindUsage as err:
        io.err(f"find: {err}\n{USAGE if err.usage else ''}".encode())
        return 1
    if not parser.has_action:
        inner = test

        async def test(walk: Walk, e: Entry) -> bool:
            if await inner(walk, e):
                walk.io.out((e.path + "\n").encode())
            return True
    walk = Walk(sh, io)
    try:
        for path in paths or ["."]:
            real = sh.ctx.fs.resolve(sh.path(path), follow_final=False)
            node = sh.ctx.fs.lookup(real) if opts.follow or opts.follow_args else sh.ctx.fs.get(real)
            node = node or sh.ctx.fs.get(real)
            if node is None:
                io.err(f"find: {path}: No such file or directory\n".encode())
                walk.status = 1
                continue
            if node.kind == SYMLINK and path.endswith("/"):
                node = sh.ctx.fs.lookup(real) or node
            await _visit(walk, test, opts, Entry(path, real, node, 0))
    except Quit:
        pass
    for command, collected in walk.batches:
        if collected and await _run(walk, [*command, *collected]) != 0:
            walk.status = 1
    return walk.status
