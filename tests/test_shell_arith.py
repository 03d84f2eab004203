"""Shell arithmetic (mockd/engine/shell/arith.py): a table of expressions with busybox ash's values and errors,
evaluated by mockd's evaluator, and re-checked against the real busybox when it is installed, so the table is
busybox's and not a guess. The shell corpus covers arithmetic inside scripts."""

from __future__ import annotations

import subprocess

import pytest

from mockd.engine.shell import ShellError
from mockd.engine.shell.arith import evaluate
from tests.shell_corpus.corpus import BUSYBOX, ENV, busybox_available

# (variables set before, expression, value or "error: TEXT", variables after)
TABLE: list[tuple[dict, str, str, dict]] = [
    ({}, "2**3**2", "512", {}),
    ({}, "-2**2", "4", {}),
    ({}, "(-2)**3", "-8", {}),
    ({}, "2**63", "-9223372036854775808", {}),
    ({}, "2**64", "0", {}),
    ({}, "0**0", "1", {}),
    ({}, "7**7**8", "7069693108553489927", {}),
    ({}, "3**-1", "error: exponent less than 0", {}),
    ({}, "9223372036854775807+1", "-9223372036854775808", {}),
    ({}, "9223372036854775808", "-9223372036854775808", {}),
    ({}, "18446744073709551615", "-1", {}),
    ({}, "18446744073709551616", "0", {}),
    ({}, "99999999999999999999", "0", {}),
    ({}, "0x7fffffffffffffff + 1", "-9223372036854775808", {}),
    ({}, "(-9223372036854775807-1) / -1", "-9223372036854775808", {}),
    ({}, "(-9223372036854775807-1) % -1", "0", {}),
    ({}, "-7/2", "-3", {}),
    ({}, "-7%2", "-1", {}),
    ({}, "5 % -3", "2", {}),
    ({}, "5/0", "error: divide by zero", {}),
    ({}, "5%0", "error: divide by zero", {}),
    ({}, "1 << -1", "-9223372036854775808", {}),
    ({}, "1<<64", "1", {}),
    ({}, "1<<65", "2", {}),
    ({}, "-1 >> 63", "-1", {}),
    ({}, "-8 >> 1", "-4", {}),
    ({}, "010 + 0X1F + 0x10", "55", {}),
    ({}, "2#101 + 36#z + 64#_", "103", {}),
    ({}, "08", "error: arithmetic syntax error", {}),
    ({}, "0x", "error: arithmetic syntax error", {}),
    ({}, "2#2", "error: arithmetic syntax error", {}),
    ({}, "65#1", "error: arithmetic syntax error", {}),
    ({}, "1 2", "error: arithmetic syntax error", {}),
    ({}, "1 +", "error: arithmetic syntax error", {}),
    ({}, "3 = 4", "error: arithmetic syntax error", {}),
    ({}, "1 + y = 3", "error: arithmetic syntax error", {}),
    ({}, "a.b", "error: arithmetic syntax error", {}),
    ({}, "", "0", {}),
    ({}, "1+2*3-4/2%3<<1", "10", {}),
    ({}, "1 | 2 ^ 3 & 4", "3", {}),
    ({}, "5 > 3 > 1", "0", {}),
    ({}, "1 == 1 == 1", "1", {}),
    ({}, "!!7 + ~5 + !-1 + ~-1", "-5", {}),
    ({}, "--1 + 1--1", "3", {}),
    ({}, "1?0?1:2:3", "error: malformed ?: operator", {}),
    ({}, "1 ? 2", "error: malformed ?: operator", {}),
    ({}, "0?1:0?2:3", "3", {}),
    ({}, "1 ? 2 : 3 + 100", "2", {}),
    ({}, "0 ? 2 : 3 + 100", "103", {}),
    ({}, "2 + (1 ? 3 : 4) * 2", "8", {}),
    # busybox 1.35 evaluates every operand: no short-circuit for side effects or errors
    ({}, "0 && (x=5)", "0", {"x": "5"}),
    ({}, "1 || y++", "1", {"y": "1"}),
    ({}, "0 ? (a=1) : (b=2)", "2", {"a": "1", "b": "2"}),
    ({}, "0 && 1/0", "error: divide by zero", {}),
    ({"x": "5"}, "x<<=2, x>>=1, x&=3, x|=8, x^=1", "11", {"x": "11"}),
    ({"x": "1"}, "x+=4, x*=2, x-=1, x/=3, x%=2", "1", {"x": "1"}),
    ({"i": "5"}, "i++ + ++i", "12", {"i": "7"}),
    ({}, "y = z = 4", "4", {"y": "4", "z": "4"}),
    ({"a": "b", "b": "7"}, "a+1", "8", {}),
    ({"a": " 5 "}, "a+1", "6", {}),
    ({"a": "0x10"}, "a", "16", {}),
    ({"a": "1 +"}, "a", "error: arithmetic syntax error", {}),
    ({"a": "a"}, "a", "error: expression recursion loop detected", {}),
    ({"a": "b", "b": "a"}, "a", "error: expression recursion loop detected", {}),
    ({}, "unset_var * 3 + 1", "1", {}),
]


def _mockd(variables: dict, expr: str) -> tuple[str, dict]:
    store = dict(variables)
    try:
        value = str(evaluate(expr, lambda name: store.get(name, ""), store.__setitem__))
    except ShellError as err:
        value = f"error: {err}"
    return value, store


@pytest.mark.parametrize(("variables", "expr", "expected", "after"), TABLE, ids=[row[1] for row in TABLE])
def test_arithmetic_like_busybox(variables, expr, expected, after):
    value, store = _mockd(variables, expr)
    assert value == expected
    assert {k: store[k] for k in after} == after


def _shell_quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


@pytest.mark.skipif(not busybox_available(), reason="/bin/busybox is not installed (busybox-static)")
@pytest.mark.parametrize(("variables", "expr", "expected", "after"), TABLE, ids=[row[1] for row in TABLE])
def test_table_is_busyboxs(variables, expr, expected, after):
    setup = "".join(f"{k}={_shell_quote(v)}; " for k, v in variables.items())
    shown = "".join(f" ${k}" for k in after)
    proc = subprocess.run([BUSYBOX, "sh", "-c", f"{setup}echo $(( {expr} )){shown}"], env=ENV, capture_output=True,
                          text=True, timeout=10)
    if expected.startswith("error: "):
        assert (proc.returncode, proc.stdout, proc.stderr) == (2, "", f"sh: {expected[7:]}\n")
    else:
        assert proc.stdout == " ".join([expected, *after.values()]) + "\n"


def test_deep_parentheses_are_an_error_not_a_crash():
    value, _ = _mockd({}, "(" * 5000 + "1" + ")" * 5000)
    assert value == "error: expression recursion loop detected"
