"""The shell's parser: tokens to a tree of tuples ("list", "andor", "pipeline", "simple", "if", "while", "for",
"case", "func", "group", "subshell", "redirected") that the interpreter evaluates."""

from __future__ import annotations

import re

from .errors import SyntaxErr
from .lexer import KEYWORDS, REDIRECTION


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
        """One redirection onto ``redirs`` as ``(fd, op, target word)``: ``fd`` is None when not written (the
        operator's own: 1 for > >> >&, 0 for < <& <> <<); ``op`` is one of > >> < <> >& <& <<."""
        tok = self.peek()
        if tok[0] != "op":
            return False
        if tok[1] == "<<":
            fd, op = None, "<<"
        else:
            written = REDIRECTION.fullmatch(tok[1])
            if written is None:
                return False
            fd = int(written.group(1)) if written.group(1) else None
            op = ">" if written.group(2) == ">|" else written.group(2)  # >| overrides noclobber, never on here
        self.pos += 1
        target = self.next()
        if target[0] != "word":
            raise SyntaxErr("syntax error: unexpected redirection")
        redirs.append((fd, op, target[1]))
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
