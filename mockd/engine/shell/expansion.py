"""Word expansion: parameters (all of ash's ${...} forms), command substitution, arithmetic, field splitting
on $IFS, globbing and case patterns. The interpreter's Shell is an Expander over its own variables."""

from __future__ import annotations

import fnmatch
import posixpath
import re

from . import arith, limits
from .context import Context
from .errors import ShellError
from .lexer import scan_double

# What str.split() also splits on besides the default IFS (space, tab, newline).
_SPACE_BUT_IFS = re.compile(r"[^\S \t\n]")


class Expander:
    """The expansion half of a shell: its variables, positional parameters and options, read by expansions."""

    ctx: Context
    vars: dict[str, str]
    args: list[str]
    name: str
    status: int
    options: set[str]

    def path(self, p: str) -> str:
        raise NotImplementedError

    async def command_sub(self, src: str) -> str:
        raise NotImplementedError

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
        size = len(text)

        def repl(m: re.Match) -> str:
            nonlocal size
            value = self.expand_braced(m.group(1)) if m.group(1) is not None else \
                self.lookup_var(m.group(2), strict=True)
            size += len(value)
            limits.check_size(size)  # before the result is built: `x=$x$x` past the bound costs no 32 MB copy
            return value
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
            offset = self.arith_value(offset_text or "0")
            piece = value[max(offset, 0) if offset >= 0 else max(len(value) + offset, 0):]
            return piece[:max(self.arith_value(length_text), 0)] if length_text else piece
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
            if len(white) == 3 and not _SPACE_BUT_IFS.search(stripped):
                return stripped.split()  # the same fields, ten times faster than the regex on a large $(...)
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
                    if len(pieces) > 1:  # in bulk: `for i in $(seq 200000)` splits into 200,000 fields
                        fields.append(current + pieces[0])
                        fields.extend(pieces[1:-1])
                        current = pieces[-1]
                    else:
                        current += pieces[0]
                    if value[-1:] in white:
                        fields.append(current)
                        current = ""
                        has_quoted = False
                else:
                    current += value
            limits.check_size(current)  # `x=$x$x` in a loop: a value past MAX_VALUE is an out-of-memory kill
        if current or has_quoted:
            fields.append(current)
        return fields

    async def expand_words(self, words) -> list[str]:
        out: list[str] = []
        for parts in words:
            fields = await self.expand_word(parts)
            if not any(k == "raw" and any(c in t for c in "*?[") for k, t in parts):
                out.extend(fields)
                continue
            for index, word in enumerate(fields):
                if index % 1024 == 1023:
                    await self.checkpoint()  # globbing thousands of fields takes a while
                out.extend((self.glob(word) or [word]) if any(c in word for c in "*?[") else [word])
        return out

    def glob(self, pattern: str) -> list[str]:
        directory, base = posixpath.split(pattern)
        try:
            names = self.ctx.fs.listdir(self.path(directory or "."))
        except OSError:
            return []
        return [posixpath.join(directory, n) if directory else n
                for n in names if fnmatch.fnmatchcase(n, base) and (base.startswith(".") or not n.startswith("."))]

    async def expand_pattern(self, parts) -> str:
        """A case pattern: quoted parts match literally, unquoted ones (and their expansions) are glob patterns."""
        pattern = ""
        for kind, text in parts:
            if kind == "lit":
                pattern += glob_escape(text)
            elif kind == "dq":
                pattern += glob_escape(self.expand_text(text))
            elif kind == "sub":
                pattern += await self.command_sub(text)
            else:
                pattern += self.expand_text(text)
        return pattern

    def arith_value(self, text: str) -> int:
        """An arithmetic expression with parameters in it (${x:off:len}); see arith.py for the semantics."""
        return arith.evaluate(self.expand_text(text), self.read_var, self.vars.__setitem__)

    async def arithmetic(self, expr: str) -> str:
        """$(( expr )): parameters, command substitutions and nested $(( )) expanded first, then evaluated."""
        parts, _ = scan_double(expr, 0, None, "$`\\\n")
        text = ""
        for kind, piece in parts:
            text += await self.command_sub(piece) if kind == "sub" else self.expand_text(piece) if kind == "dq" \
                else piece
        return str(arith.evaluate(text, self.read_var, self.vars.__setitem__))

    def read_var(self, name: str) -> str:
        return self.vars.get(name, "")


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


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)
