"""The shell's lexer and parser (mockd/engine/shell/lexer.py, parser.py): tokens and trees."""

from __future__ import annotations

import pytest

from mockd.engine.shell import Parser, SyntaxErr, tokenize


def words(src: str) -> list:
    return [tok[1] for tok in tokenize(src) if tok[0] == "word"]


def test_word_parts_by_quoting():
    assert words("a'b c'\"d $x\"\\e") == [[("raw", "a"), ("lit", "b c"), ("dq", "d $x"), ("lit", "e")]]
    assert words('"$(echo "in")" `date`') == [[("sub", 'echo "in"')], [("sub", "date")]]
    assert words("echo a\\\nb") == [[("raw", "echo")], [("raw", "ab")]]  # a line continuation joins the word


def test_operators_and_comments():
    ops = [tok[1] for tok in tokenize("a && b || c; d | e & f >| g 2>&1 # not a word") if tok[0] == "op"]
    assert ops == ["&&", "||", ";", "|", "&", ">|", "2>&"]  # a redirection keeps its text; its target is a word


@pytest.mark.parametrize("src,redirs", [
    ("echo hi >f 2>&1", [(None, ">", "f"), (2, ">&", "1")]),
    ("exec 3> f 4<g 10>>h", [(3, ">", "f"), (4, "<", "g"), (10, ">>", "h")]),
    ("read l <&4 3>&- 5<>rw", [(None, "<&", "4"), (3, ">&", "-"), (5, "<>", "rw")]),
    ("echo >| f >& 2", [(None, ">", "f"), (None, ">&", "2")]),  # >| is > (noclobber is never on)
    ("echo a2>f", [(None, ">", "f")]),  # digits inside a word are the word's
])
def test_redirections_name_their_file_descriptor(src, redirs):
    [(simple, _)] = commands(src)
    assert [(fd, op, "".join(text for _, text in target)) for fd, op, target in simple[3]] == redirs
    if src == "echo a2>f":
        assert simple[2][1] == [("raw", "a2")]
    assert words("x#y #z") == [[("raw", "x#y")]]  # '#' starts a comment only at the start of a word


def test_here_document_bodies():
    toks = tokenize("cat <<A <<'B'\n$x \\$y\nA\n$x\nB\necho")
    bodies = [tok[1] for i, tok in enumerate(toks) if i and toks[i - 1] == ("op", "<<")]
    assert bodies == [[("dq", "$x "), ("lit", "$"), ("dq", "y\n")], [("lit", "$x\n")]]
    assert words("cat <<-E\n\t\tx\n\tE")[-1] == [("dq", "x\n")]  # <<- strips leading tabs, the delimiter's too


@pytest.mark.parametrize(("src", "message"), [
    ("echo 'open", "syntax error: unterminated quoted string"),
    ('echo "open', "syntax error: unterminated quoted string"),
    ("echo `open", "syntax error: unterminated quoted string"),
    ("echo $(open", "unterminated $("),
    ("if then fi", 'syntax error: unexpected "then"'),
    ("while do done", 'syntax error: unexpected "do"'),
    ("echo >", "syntax error: unexpected redirection"),
    ("fi", 'syntax error: unexpected "fi"'),
    ("( echo", 'syntax error: missing ")"'),
    ("case x in a echo;; esac", 'syntax error: expected ")" in case'),
])
def test_syntax_errors(src, message):
    with pytest.raises(SyntaxErr, match=message.replace("(", r"\(").replace(")", r"\)").replace("$", r"\$")):
        Parser(tokenize(src)).parse()


def commands(src: str) -> list[tuple[object, bool]]:
    """(command, in background) per item of a script's top-level list; each item is an and-or of pipelines."""
    return [(andor[1][1][0], background) for andor, background in Parser(tokenize(src)).parse()[1]]


def test_trees_for_compound_commands():
    (func, _), (case, _) = commands("f() { echo $1; }\ncase $x in a|b) f a;; *) :;; esac")
    assert func[0] == "func" and func[1] == "f" and func[2][0] == "group"
    assert case[0] == "case" and [len(patterns) for patterns, _ in case[2]] == [2, 1]
    [(loop, background)] = commands("for i in 1 2; do :; done > out &")
    assert background and loop[0] == "redirected" and loop[1][0] == "for" and loop[2][0][:2] == (None, ">")
