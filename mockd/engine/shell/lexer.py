"""The shell's lexer: script text to operator and word tokens, here-document bodies included."""

from __future__ import annotations

import re

from .errors import SyntaxErr

OPERATORS = ("&&", "||", ";;", ";", "&", "|", "(", ")", "\n")
# A redirection operator ("<<" is the here-document's, read apart), with the file descriptor it names when the
# digits start a word ("3>f", "2>&1"; "a2>f" is the word "a2" and ">"). Tokens keep the text: ("op", "3>&").
REDIRECTION = re.compile(r"([0-9]+)?(>>|>&|>\||>|<&|<>|<(?!<))")
KEYWORDS = {"if", "then", "elif", "else", "fi", "while", "until", "do", "done", "for", "in", "{", "}", "!", "case",
            "esac"}


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


def scan_double(src: str, j: int, stop: str | None, escapable: str) -> tuple[list[tuple[str, str]], int]:
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
            body_parts.extend([("lit", body)] if quoted else scan_double(body, 0, None, "$`\\\n")[0] or [("lit", "")])
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
            dq_parts, j = scan_double(src, i + 1, '"', '"\\$`\n')
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
            redirection = REDIRECTION.match(src, i)
            if redirection is not None and redirection.group(1) and (raw or parts):
                redirection = None  # digits inside a word are the word's: "a2" then ">" in "a2>b"
            if redirection is not None:
                end_word()
                tokens.append(("op", redirection.group(0)))
                i = redirection.end()
                continue
            op = next((o for o in OPERATORS if src.startswith(o, i)), None)
            if op is not None:
                end_word()
                tokens.append(("op", op))
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
