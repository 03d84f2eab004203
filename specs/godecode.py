"""What Go's ``encoding/json`` *decoder* says about input it cannot read, as dockerd passes it on.

dockerd answers a query value it cannot decode (``filters``, other JSON-valued parameters) with the
decoder's own text: ``invalid character 'o' in literal null (expecting 'u')``, ``json: cannot unmarshal
string into Go value of type map[string]bool``. :func:`go_decode_error` follows Go's scanner state by state
for the syntax errors; :func:`go_filters_error` adds ``filters.FromJSON``'s two readings.

Why here, in ``specs/`` next to the wire profile (``specs/wire.py``), and not in mockd's serializer: the
serializer *writes* answers; this *reads* requests. Both this and the wire profile are facts about the Go
side of dockerd's wire (the profile: what Go's encoder sends that the documents forbid; this: what Go's
decoder answers to bad input), shared ground for mockd, which imitates them, and the checker, which
must not import mockd. The typed step after this one (Go's unmarshal rules and texts, a body into the
daemon's struct) is :mod:`specs.gounmarshal`.

Go's scanner reads bytes: a byte it refuses is quoted as the rune of that byte's value (``0xC3`` of a UTF-8
``é`` is ``'Ã'``). The scanner here runs over the bytes decoded as Latin-1 (one character per byte) for that.
"""

from __future__ import annotations

import json
from typing import Any


def go_decode_error(text: str) -> str | None:
    """The message Go's ``encoding/json`` gives for a syntax error in ``text`` (dockerd quotes it, e.g. for bad
    ``filters``), or None when the text is valid JSON. Follows Go's scanner state by state."""
    return _GoScanner(text.encode("utf-8", "surrogatepass").decode("latin-1")).run()


class GoDecodeError(Exception):
    """What ``json.Decoder.Decode`` returns for a body it cannot read: ``text`` is Go's error text; ``eof`` marks
    io.EOF (nothing but white space), which the routers answer with their own words."""

    def __init__(self, text: str, eof: bool = False) -> None:
        super().__init__(text)
        self.text = text
        self.eof = eof


def go_decoder_read(data: bytes) -> tuple[bytes, bool]:
    """``json.NewDecoder(body).Decode`` then ``dec.More()``, as dockerd reads a request body: the bytes of the
    first JSON value, and whether more than white space, ``]`` or ``}`` follows it (``More``'s reading).
    :class:`GoDecodeError` with Go's text otherwise: ``EOF`` for no value at all, ``unexpected EOF`` when the
    body ends inside one, the scanner's ``invalid character ...`` texts."""
    text = data.decode("latin-1")
    scanner = _GoScanner(text, stream=True)
    scanner.skip()
    if scanner.i >= len(text):
        raise GoDecodeError("EOF", eof=True)
    start = scanner.i
    try:
        scanner.value()
    except _SyntaxError as err:
        raise GoDecodeError(str(err)) from None
    end = scanner.i
    scanner.skip()
    more = scanner.i < len(text) and text[scanner.i] not in "]}"
    return data[start:end], more


_GO_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v", "\\": "\\\\"}


def _is_digit(c: str) -> bool:
    """An ASCII digit: Go's scanner knows no other (str.isdigit() also takes '¹', byte 0xB9 read as Latin-1)."""
    return len(c) == 1 and "0" <= c <= "9"


def go_quote_rune(c: str) -> str:
    """One rune as Go's ``strconv.Quote`` writes it, without the quotes (``\\x01``, ``\\u0085``, ``é``)."""
    if c in _GO_ESCAPES:
        return _GO_ESCAPES[c]
    code = ord(c)
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02x}"
    if not c.isprintable() or code == 0xAD:  # Go's IsPrint: no C1 controls, no soft hyphen
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
    return c


def _quote_char(c: str) -> str:
    """The scanner's quoteChar: a refused byte as the rune of its value."""
    if c == "'":
        return "'\\''"
    if c == '"':
        return "'\"'"
    return "'" + go_quote_rune(c) + "'"


class _GoScanner:
    _LITERALS = {"t": "true", "f": "false", "n": "null"}

    def __init__(self, text: str, stream: bool = False) -> None:
        self.s = text
        self.i = 0
        # json.Unmarshal says "unexpected end of JSON input" where a Decoder, reading a stream, says "unexpected EOF"
        self.end_text = "unexpected EOF" if stream else "unexpected end of JSON input"

    def run(self) -> str | None:
        try:
            self.skip()
            self.value()
            self.skip()
            if self.i < len(self.s):
                return self._bad("after top-level value")
            return None
        except _SyntaxError as err:
            return str(err)

    def _bad(self, context: str) -> str:
        raise _SyntaxError(f"invalid character {_quote_char(self.s[self.i])} {context}")

    def _peek(self) -> str:
        if self.i >= len(self.s):
            raise _SyntaxError(self.end_text)
        return self.s[self.i]

    def skip(self) -> None:
        while self.i < len(self.s) and self.s[self.i] in " \t\r\n":
            self.i += 1

    def value(self) -> None:
        c = self._peek()
        if c == "{":
            self.i += 1
            self._object()
        elif c == "[":
            self.i += 1
            self._array()
        elif c == '"':
            self.i += 1
            self._string()
        elif c == "-" or _is_digit(c):
            self._number()
        elif c in self._LITERALS:
            word = self._LITERALS[c]
            for expected in word:
                if self._peek() != expected:
                    self._bad(f"in literal {word} (expecting {_quote_char(expected)})")
                self.i += 1
        else:
            self._bad("looking for beginning of value")

    def _object(self) -> None:
        self.skip()
        if self._peek() == "}":
            self.i += 1
            return
        while True:
            self.skip()
            if self._peek() != '"':
                self._bad("looking for beginning of object key string")
            self.i += 1
            self._string()
            self.skip()
            if self._peek() != ":":
                self._bad("after object key")
            self.i += 1
            self.skip()
            self.value()
            self.skip()
            c = self._peek()
            if c == "}":
                self.i += 1
                return
            if c != ",":
                self._bad("after object key:value pair")
            self.i += 1

    def _array(self) -> None:
        self.skip()
        if self._peek() == "]":
            self.i += 1
            return
        while True:
            self.skip()
            self.value()
            self.skip()
            c = self._peek()
            if c == "]":
                self.i += 1
                return
            if c != ",":
                self._bad("after array element")
            self.i += 1

    def _string(self) -> None:
        while True:
            c = self._peek()
            self.i += 1
            if c == '"':
                return
            if c == "\\":
                e = self._peek()
                if e == "u":
                    self.i += 1
                    for _ in range(4):
                        if self._peek() not in "0123456789abcdefABCDEF":
                            self._bad("in \\u hexadecimal character escape")
                        self.i += 1
                elif e in '"\\/bfnrt':
                    self.i += 1
                else:
                    self._bad("in string escape code")
            elif ord(c) < 0x20:
                self.i -= 1
                self._bad("in string literal")

    def _number(self) -> None:
        if self.s[self.i] == "-":
            self.i += 1
            if not _is_digit(self._peek()):
                self._bad("in numeric literal")
        if self.s[self.i] == "0":
            self.i += 1
        else:
            while self.i < len(self.s) and _is_digit(self.s[self.i]):
                self.i += 1
        if self.i < len(self.s) and self.s[self.i] == ".":
            self.i += 1
            if not _is_digit(self._peek()):
                self._bad("after decimal point in numeric literal")
            while self.i < len(self.s) and _is_digit(self.s[self.i]):
                self.i += 1
        if self.i < len(self.s) and self.s[self.i] in "eE":
            self.i += 1
            if self.i < len(self.s) and self.s[self.i] in "+-":
                self.i += 1
            if not _is_digit(self._peek()):
                self._bad("in exponent of numeric literal")
            while self.i < len(self.s) and _is_digit(self.s[self.i]):
                self.i += 1


class _SyntaxError(Exception):
    pass


def _go_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def go_filters_error(text: str) -> str | None:
    """dockerd's message for a ``filters`` value it cannot read (``filters.FromJSON``: a syntax error, or a value
    that is neither ``{"key": {"value": true}}`` nor ``{"key": ["value"]}``), or None when it reads it."""
    syntax = go_decode_error(text)
    if syntax is not None:
        return syntax
    value = json.loads(text)
    if value is None:
        return None
    if not isinstance(value, dict):
        return f"json: cannot unmarshal {_go_kind(value)} into Go value of type map[string]map[string]bool"
    first: str | None = None  # the error of the first reading (map of maps), reported when the second fails too
    for inner in value.values():
        if inner is None:
            continue
        if not isinstance(inner, dict):
            first = f"json: cannot unmarshal {_go_kind(inner)} into Go value of type map[string]bool"
            break
        bad = next((v for v in inner.values() if v is not None and not isinstance(v, bool)), None)
        if bad is not None:
            first = f"json: cannot unmarshal {_go_kind(bad)} into Go value of type bool"
            break
    if first is None:
        return None
    lists = all(v is None or (isinstance(v, list) and all(isinstance(s, str) or s is None for s in v))
                for v in value.values())
    return None if lists else first
