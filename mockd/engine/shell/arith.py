"""Shell arithmetic, $(( ... )), with busybox ash's semantics (each checked against /bin/busybox 1.35 sh):

- signed 64-bit integers that wrap around (9223372036854775807+1 is -9223372036854775808); a literal too large
  for 64 bits unsigned reads as 0, one up to 2**64-1 wraps (18446744073709551615 is -1);
- literals: decimal, 0x hex, leading-0 octal, BASE#DIGITS for bases 2..64; anything else is a syntax error;
- variables name their value, itself evaluated as an expression (unset or empty is 0); a variable that refers
  back to itself is "expression recursion loop detected";
- C's operators and precedence, plus right-associative `**` (a negative exponent is an error), where unary
  minus binds tighter than `**` (-2**2 is 4); shift counts are taken modulo 64, as the x86 shift does;
  `/` and `%` truncate toward zero, and MIN/-1 is MIN;
- every operand is evaluated: busybox 1.35 does not short-circuit && || ?: (`0 && (x=5)` sets x, `0 && 1/0`
  is a division by zero), and a `?` in the middle operand of ?: without parentheses is "malformed ?: operator".

Nothing here calls eval, and every operation is O(1) on 64-bit values (`**` is a modular power), so no
expression can stall the event loop: the work is bounded by the length of the expression text.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .errors import ShellError

_BITS = 64
_MOD = 1 << _BITS
_MIN = -(1 << (_BITS - 1))

_TOKEN = re.compile(r"\s*(?:(?P<num>[0-9][0-9A-Za-z_@#]*)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|"
                    r"(?P<op><<=|>>=|\*\*|<<|>>|<=|>=|==|!=|&&|\|\||\+\+|--|[-+*/%&^|]=|[-+*/%<>=!~&^|?:(),]))")
_ASSIGN = {"=", "+=", "-=", "*=", "/=", "%=", "<<=", ">>=", "&=", "^=", "|="}
# Binary operators from the loosest to the tightest binding (all left-associative; `**` is handled apart).
_LEVELS = (("||",), ("&&",), ("|",), ("^",), ("&",), ("==", "!="), ("<", "<=", ">", ">="), ("<<", ">>"), ("+", "-"),
           ("*", "/", "%"))
_PRECEDENCE = {op: level for level, ops in enumerate(_LEVELS) for op in ops}
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ@_"
# Nesting of parentheses and of variables naming variables: far beyond real scripts, and it keeps the evaluator's
# recursion (about 8 Python frames a level) well inside Python's stack.
_MAX_DEPTH = 64


def wrap(value: int) -> int:
    """The signed 64-bit value of an integer, as C's two's complement arithmetic wraps it."""
    value %= _MOD
    return value - _MOD if value >= -_MIN else value


def _syntax() -> ShellError:
    return ShellError("arithmetic syntax error")


def _literal(text: str) -> int:
    if "#" in text:
        base_text, _, digits = text.partition("#")
        if not base_text.isdigit() or not 2 <= int(base_text) <= 64 or not digits:
            raise _syntax()
        base, value = int(base_text), 0
        for ch in digits:
            digit = _DIGITS.index(ch) if ch in _DIGITS else 99
            if base <= 36 and ch.isalpha():
                digit = _DIGITS.index(ch.lower())
            if digit >= base:
                raise _syntax()
            value = value * base + digit
    elif text[:2] in ("0x", "0X"):
        if not re.fullmatch(r"[0-9A-Fa-f]+", text[2:]):
            raise _syntax()
        value = int(text[2:], 16)
    elif len(text) > 1 and text[0] == "0":
        if not re.fullmatch(r"[0-7]+", text):
            raise _syntax()
        value = int(text, 8)
    elif text.isdigit():
        value = int(text)
    else:
        raise _syntax()
    return 0 if value >= _MOD else wrap(value)  # strtoull's overflow gives 0 here, as busybox prints


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            if text[pos:].strip():
                raise _syntax()
            break
        kind = m.lastgroup or "op"
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _binary(op: str, a: int, b: int) -> int:
    if op in ("/", "%"):
        if b == 0:
            raise ShellError("divide by zero")
        quotient = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)
        return wrap(quotient) if op == "/" else wrap(a - b * quotient)
    if op == "**":
        if b < 0:
            raise ShellError("exponent less than 0")
        return wrap(pow(a, b, _MOD))
    if op == "<<":
        return wrap(a << (b & (_BITS - 1)))
    if op == ">>":
        return a >> (b & (_BITS - 1))
    result = {"+": a + b, "-": a - b, "*": a * b, "&": a & b, "^": a ^ b, "|": a | b, "==": a == b, "!=": a != b,
              "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "&&": bool(a) and bool(b),
              "||": bool(a) or bool(b)}[op]
    return wrap(int(result))


class _Evaluator:
    def __init__(self, text: str, get: Callable[[str], str], assign: Callable[[str, str], None],
                 resolving: tuple[str, ...]):
        self.toks = _tokens(text)
        self.pos = 0
        self.get, self.assign, self.resolving = get, assign, resolving
        self.depth = 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        index = self.pos + offset
        return self.toks[index] if index < len(self.toks) else ("end", "")

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        self.pos += 1
        return tok

    def expect(self, op: str) -> None:
        if self.take() != ("op", op):
            raise _syntax()

    def run(self) -> int:
        if not self.toks:
            return 0
        value = self.comma()
        if self.peek()[0] != "end":
            raise _syntax()
        return value

    def comma(self) -> int:
        value = self.assignment()
        while self.peek() == ("op", ","):
            self.pos += 1
            value = self.assignment()
        return value

    def assignment(self) -> int:
        kind, name = self.peek()
        op = self.peek(1)
        if kind == "name" and op[0] == "op" and op[1] in _ASSIGN:
            self.pos += 2
            value = self.assignment()
            if op[1] != "=":
                value = _binary(op[1][:-1], self.variable(name), value)
            self.assign(name, str(value))
            return value
        value = self.ternary()
        if self.peek()[0] == "op" and self.peek()[1] in _ASSIGN:
            raise _syntax()  # `1 + y = 3`: only a variable can be assigned
        return value

    def ternary(self) -> int:
        cond = self.binary(0)
        if self.peek() != ("op", "?"):
            return cond
        self.pos += 1
        middle = self.binary(0)
        if self.take() != ("op", ":"):  # also a bare `?` inside the middle operand, as busybox 1.35 refuses it
            raise ShellError("malformed ?: operator")
        other = self.ternary()
        return middle if cond else other

    def binary(self, lowest: int) -> int:
        """Precedence climbing over the binary operators binding at least as tightly as level `lowest`."""
        value = self.power()
        while True:
            kind, op = self.peek()
            if kind == "op" and op in ("++", "--"):  # after an operand: a binary sign, then a unary one (1--1 is 2)
                self.toks[self.pos:self.pos + 1] = [("op", op[0]), ("op", op[0])]
                op = op[0]
            level = _PRECEDENCE.get(op) if kind == "op" else None
            if level is None or level < lowest:
                return value
            self.pos += 1
            value = _binary(op, value, self.binary(level + 1))

    def power(self) -> int:
        base = self.unary()
        if self.peek() == ("op", "**"):
            self.pos += 1
            return _binary("**", base, self.power())
        return base

    def unary(self) -> int:
        kind, text = self.peek()
        if kind == "op" and text in ("++", "--") and self.peek(1)[0] == "name":
            self.pos += 2
            name = self.peek(-1)[1]
            value = wrap(self.variable(name) + (1 if text == "++" else -1))
            self.assign(name, str(value))
            return value
        if kind == "op" and text in ("++", "--"):  # not before a variable: two signs, `--1` is 1
            self.toks[self.pos:self.pos + 1] = [("op", text[0]), ("op", text[0])]
            kind, text = self.peek()
        if kind == "op" and text in ("-", "+", "!", "~"):
            self.pos += 1
            value = self.unary()
            return {"-": wrap(-value), "+": value, "!": int(value == 0), "~": ~value}[text]
        return self.postfix()

    def postfix(self) -> int:
        kind, text = self.take()
        if kind == "num":
            return _literal(text)
        if kind == "name":
            value = self.variable(text)
            after = self.peek()
            if after[0] == "op" and after[1] in ("++", "--") and self.peek(1)[0] not in ("num", "name") \
                    and self.peek(1) != ("op", "("):
                self.pos += 1
                self.assign(text, str(wrap(value + (1 if after[1] == "++" else -1))))
            return value
        if (kind, text) == ("op", "("):
            self.depth += 1
            if self.depth > _MAX_DEPTH:
                raise ShellError("expression recursion loop detected")
            value = self.comma()
            self.expect(")")
            self.depth -= 1
            return value
        raise _syntax()

    def variable(self, name: str) -> int:
        """A variable's value: its text evaluated as an expression, 0 when unset or empty."""
        text = self.get(name).strip()
        if not text:
            return 0
        if re.fullmatch(r"-?[0-9]+", text) and not text.lstrip("-").startswith("0"):
            return wrap(int(text))  # the common case, without a nested evaluation
        if name in self.resolving or len(self.resolving) > _MAX_DEPTH:
            raise ShellError("expression recursion loop detected")
        return _Evaluator(text, self.get, self.assign, (*self.resolving, name)).run()


def evaluate(text: str, get: Callable[[str], str], assign: Callable[[str, str], None]) -> int:
    """The value of an arithmetic expression whose parameters and substitutions are already expanded.
    `get` reads a variable ("" when unset), `assign` sets one; errors are ShellError with busybox's text."""
    return _Evaluator(text, get, assign, ()).run()
