"""The shell corpus (tests/shell_corpus/cases.yaml): every script run through mockd's built-in shell the way a
container runs `sh -c SCRIPT`, compared with what the real busybox `sh` printed when the case was recorded;
and the recorded expectations re-checked against the installed busybox, so they cannot go stale.

Cases mockd's shell still gets wrong are listed in KNOWN_DIFFERENCES with the reason; they are strict xfails,
so a fix that makes one pass must also take it off the list.
"""

from __future__ import annotations

import pytest

from tests.shell_corpus.corpus import busybox_available, load, mismatch, run_busybox, run_mockd

CASES = load()

_NO_FUNCTIONS = "shell functions (name() { ...; }, return, local) are not implemented"
_NO_CASE = "case ... esac is not implemented"
_NO_APPLET = "applet not built in: "
_NO_TRAP_EXIT = "trap on EXIT does not run"
_NO_KILL = "the kill builtin does not deliver signals to the shell itself"
_ARITH = "arithmetic is not ash's int64 evaluator (operators, literals, wrap-around, errors)"
_POSITIONAL = "set -- does not set the positional parameters"
_PARAM_FORMS = "parameter form not implemented: "

KNOWN_DIFFERENCES: dict[str, str] = {
    "pipe-three": _NO_APPLET + "sort",
    "pipe-subshell-vars": "each pipeline stage should run in a subshell; the last one runs in the shell itself",
    "pipe-group": _NO_APPLET + "tr",
    "redir-missing-input": "the text for a missing input file differs from busybox's 'can't open X: no such file'",
    "redir-fd3": "redirections of file descriptors other than 0-2 (exec 3>, >&3, 3>&-) are not parsed",
    "redir-fd-dup-in": "input fd duplication (4<, <&4) is not parsed",
    "quote-empty-args": _POSITIONAL,
    "quote-dollar-at": _POSITIONAL,
    "quote-dollar-star": _POSITIONAL,
    "quote-unquoted-at": _POSITIONAL,
    "param-error": _PARAM_FORMS + "${x:?word}",
    "param-length": _PARAM_FORMS + "${#x}",
    "param-prefix-strip": _PARAM_FORMS + "${x#p} ${x##p}",
    "param-suffix-strip": _PARAM_FORMS + "${x%p} ${x%%p}",
    "param-strip-nomatch": _PARAM_FORMS + "${x#p} ${x%p}",
    "param-positional": _POSITIONAL,
    "param-shift": _POSITIONAL,
    "param-ifs-split": "field splitting ignores IFS",
    "param-replace": _PARAM_FORMS + "${x/p/r} (a bash extension busybox ash has)",
    "param-substring": _PARAM_FORMS + "${x:off:len} (a bash extension busybox ash has)",
    "cmdsub-status": "$? after an assignment with a command substitution is not the substitution's status",
    "glob-bracket": "glob bracket expressions [..] are not expanded",
    "loop-for-positional": _POSITIONAL,
    "loop-break-nested": "break N is not implemented",
    "loop-continue-nested": "continue N is not implemented",
    "case-basic": _NO_CASE,
    "case-patterns": _NO_CASE,
    "case-default": _NO_CASE,
    "case-quoted-pattern": _NO_CASE,
    "case-no-match-status": _NO_CASE,
    "func-basic": _NO_FUNCTIONS,
    "func-args-count": _NO_FUNCTIONS,
    "func-return": _NO_FUNCTIONS,
    "func-return-status-last": _NO_FUNCTIONS,
    "func-local": _NO_FUNCTIONS,
    "func-global-assign": _NO_FUNCTIONS,
    "func-recursion": _NO_FUNCTIONS,
    "func-positional-restored": _NO_FUNCTIONS,
    "func-redefine": _NO_FUNCTIONS,
    "func-in-pipeline": _NO_FUNCTIONS,
    "func-keyword-style": _NO_FUNCTIONS,
    "heredoc-in-function": _NO_FUNCTIONS,
    "trap-exit": _NO_TRAP_EXIT,
    "trap-exit-status": _NO_TRAP_EXIT,
    "trap-exit-zero": _NO_TRAP_EXIT,
    "trap-signal-kill-self": _NO_KILL,
    "trap-usr1": _NO_KILL,
    "trap-exit-in-trap": _NO_KILL,
    "trap-kill-untrapped": _NO_KILL,
    "arith-unary": _ARITH,
    "arith-logic": _ARITH,
    "arith-ternary": _ARITH,
    "arith-bits": _ARITH,
    "arith-assign": _ARITH,
    "arith-incr": _ARITH,
    "arith-hex-octal": _ARITH,
    "arith-overflow-wrap": _ARITH,
    "arith-mul-wrap": _ARITH,
    "arith-shift-wrap": _ARITH,
    "arith-div-negative": _ARITH,
    "arith-div-zero": _ARITH,
    "arith-mod-zero": _ARITH,
    "arith-power": _ARITH,
    "arith-power-negative": _ARITH,
    "arith-whitespace-newline": _ARITH,
    "arith-var-recursive": _ARITH,
    "arith-syntax-error": _ARITH,
    "arith-comma": _ARITH,
    "arith-min-div": _ARITH,
    "heredoc-pipe": _NO_APPLET + "tr",
    "exit-syntax-error": "'if then fi' is accepted instead of a syntax error",
    "exit-unterminated-quote": "busybox 1.35's text is 'syntax error: unterminated quoted string'",
    "set-e-stops": "set -e is ignored",
    "set-u-unset": "set -u is ignored",
    "set-positional": _POSITIONAL,
    "set-x-trace": "set -x is ignored",
    "applet-test-bracket-missing": "busybox prints 'sh: missing ]' for a [ without ]",
    "applet-grep-flags": "grep -n is not implemented",
    "applet-cut-tr": _NO_APPLET + "cut, tr",
    "applet-sort-uniq": _NO_APPLET + "sort, uniq",
    "applet-read-default-reply": "read with no names does not set REPLY",
    "applet-type-command": "command -v and type are not built in",
    "applet-eval": _NO_APPLET + "eval",
    "applet-dot-source": "the . builtin is listed as special but not implemented (KeyError)",
    "applet-export-subshell": "a child sh inherits unexported variables",
    "applet-expr": _NO_APPLET + "expr",
}


def _param(case: dict):
    reason = KNOWN_DIFFERENCES.get(case["name"])
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(case, id=case["name"], marks=marks)


def test_corpus_is_large_and_well_formed():
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)) and len(names) >= 120
    assert set(KNOWN_DIFFERENCES) <= set(names), set(KNOWN_DIFFERENCES) - set(names)
    assert all({"script", "stdout", "stderr", "status"} <= set(c) for c in CASES)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_mockd_shell_matches_busybox(case):
    problem = mismatch(case, run_mockd(case["script"]))
    assert problem is None, problem


@pytest.mark.skipif(not busybox_available(), reason="/bin/busybox is not installed (busybox-static)")
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_recorded_expectations_are_busyboxs(case):
    problem = mismatch(case, run_busybox(case["script"]))
    assert problem is None, f"re-record with `python -m tests.shell_corpus.record`: {problem}"
