"""Applets that print or filter text: echo, printf, cat, head/tail, wc, grep, tee, seq, tr, cut, sort, uniq, expr,
basename/dirname."""

from __future__ import annotations

import posixpath
import re

from ..context import IO
from ..interpreter import Shell
from ..registry import builtin, parse_flags


def echo_escapes(text: str) -> tuple[str, bool]:
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
        text, stop = echo_escapes(text)
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
                    out.append(echo_escapes(value)[0])
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
    _, files = parse_flags(args[1:], "unsbeEvAT")
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


@builtin("head", "tail")
async def b_head(sh: Shell, args, io) -> int:
    count, size, rest, i = 10, None, [], 1
    while i < len(args):
        if args[i] in ("-n", "-c") and i + 1 < len(args):
            value = int(args[i + 1].lstrip("+-") or 10)
            count, size = (value, size) if args[i] == "-n" else (count, value)
            i += 2
            continue
        if re.fullmatch(r"-n?\d+", args[i]):
            count = int(args[i].lstrip("-n"))
        elif args[i] != "-f":
            rest.append(args[i])
        i += 1
    if args[0] == "head" and not rest:  # stop reading once done: the writer of `yes | head` gets SIGPIPE
        # Chunk by chunk, passed on as read (as head does): a line at a time, or all of it kept for the end, made
        # `yes | head -c 10000000` millions of steps or a 10 MB copy without a checkpoint.
        left = size if size is not None else count
        while left > 0 and (chunk := await io.stdin.read()):
            if size is not None:
                chunk = chunk[:left]
                left -= len(chunk)
            else:
                ends = chunk.count(b"\n")
                if ends >= left:  # the rest stays unread, as head's read of a pipe leaves it
                    cut = -1
                    for _ in range(left):
                        cut = chunk.index(b"\n", cut + 1)
                    chunk = chunk[:cut + 1]
                left -= min(ends, left)
            io.out(chunk)
            await sh.checkpoint()
        return 0
    try:
        data = sh.ctx.fs.read(sh.path(rest[0])) if rest else await io.stdin.read_all()
    except OSError:
        io.err(f"{args[0]}: {rest[0]}: No such file or directory\n".encode())
        return 1
    if size is not None:
        io.out(data[:size] if args[0] == "head" else data[-size:] if size else b"")
        return 0
    lines = data.splitlines(keepends=True)
    io.out(b"".join(lines[:count] if args[0] == "head" else lines[-count:] if count else []))
    return 0


@builtin("wc")
async def b_wc(sh: Shell, args, io) -> int:
    flags, files = parse_flags(args[1:], "lcwm")
    data = sh.ctx.fs.read(sh.path(files[0])) if files else await io.stdin.read_all()
    counts = {"l": data.count(b"\n"), "w": len(data.split()), "c": len(data), "m": len(data.decode(errors="ignore"))}
    chosen = [counts[f] for f in "lwcm" if f in flags] or [counts["l"], counts["w"], counts["c"]]
    io.out((" ".join(str(c) for c in chosen) + (f" {files[0]}" if files else "") + "\n").encode())
    return 0


@builtin("grep")
async def b_grep(sh: Shell, args, io) -> int:
    flags, rest = parse_flags(args[1:], "qvicEFnx")
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
    flags, files = parse_flags(args[1:], "a")
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
    numbers = range(start, end + (1 if step > 0 else -1), step)
    for offset in range(0, len(numbers), _SEQ_CHUNK):  # `seq 1000000000` streams, with backpressure
        io.out("".join(f"{i}\n" for i in numbers[offset:offset + _SEQ_CHUNK]).encode())
        await sh.checkpoint()
    return 0


_SEQ_CHUNK = 4096


@builtin("basename", "dirname")
async def b_basename(sh: Shell, args, io) -> int:
    if len(args) < 2:
        return 1
    value = posixpath.basename(args[1].rstrip("/")) if args[0] == "basename" else posixpath.dirname(args[1]) or "."
    if args[0] == "basename" and len(args) > 2 and value.endswith(args[2]):
        value = value[: -len(args[2])]
    io.out((value + "\n").encode())
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
    flags, sets = parse_flags(args[1:], "ds")
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
    flags, files = parse_flags(args[1:], "rnu")
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
    flags, files = parse_flags(args[1:], "cdu")
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
