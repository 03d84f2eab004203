""".dockerignore as dockerd 20.10's classic builder reads and matches it (moby's builder/dockerignore.ReadAll and
pkg/fileutils.PatternMatcher, later moby/patternmatcher; reimplemented from their documented behaviour).

The client leaves the excluded files out of the context it sends (the docker CLI and docker-py both do); the
daemon itself only takes `.dockerignore` and the Dockerfile out when a pattern matches them (measured on dockerd
20.10: a raw tar with a `.dockerignore` naming other files still has them in the context)."""

from __future__ import annotations

import posixpath
import re

UTF8_BOM = "\ufeff"


class BadPattern(ValueError):
    """A pattern Go's filepath.Match refuses, or a lone "!": the matcher is not made and nothing matches."""


def read_all(text: str) -> list[str]:
    """The patterns of a .dockerignore: a line starting with `#` is a comment (before trimming), blank lines
    go, `!` may be followed by spaces, each pattern is cleaned and a leading `/` dropped."""
    patterns = []
    for number, line in enumerate(text.splitlines()):
        if number == 0:
            line = line.removeprefix(UTF8_BOM)
        if line.startswith("#"):
            continue
        pattern = line.strip()
        if not pattern:
            continue
        invert = pattern.startswith("!")
        if invert:
            pattern = pattern[1:].strip()
        if pattern:
            pattern = _clean(pattern)
            if len(pattern) > 1 and pattern.startswith("/"):
                pattern = pattern[1:]
        patterns.append("!" + pattern if invert else pattern)
    return patterns


def _clean(path: str) -> str:
    """Go's filepath.Clean (posixpath.normpath keeps a leading "//", Go does not)."""
    cleaned = posixpath.normpath(path)
    return "/" + cleaned.lstrip("/") if cleaned.startswith("//") else cleaned


class Pattern:
    def __init__(self, text: str) -> None:
        self.exclusion = text.startswith("!")
        self.cleaned = text[1:] if self.exclusion else text
        self.dirs = self.cleaned.split("/")
        try:
            self.regexp = re.compile(_regexp(self.cleaned))
        except re.error as err:
            raise BadPattern(f"syntax error in pattern: {text}") from err

    def match(self, path: str) -> bool:
        return self.regexp.match(path) is not None


def _regexp(pattern: str) -> str:
    """The pattern as PatternMatcher compiles it: `*` any run without `/`, `?` one character but `/`, `**` any
    number of directories (`**/` too; `**` at the end everything), `\\` escapes the next character, `.` and `$`
    literal; anything else (character classes included) is passed to the regular expression as it is."""
    out, i = ["^"], 0
    while i < len(pattern):
        ch = pattern[i]
        i += 1
        if ch == "*":
            if i < len(pattern) and pattern[i] == "*":
                i += 1
                if i < len(pattern) and pattern[i] == "/":
                    i += 1
                out.append(".*" if i >= len(pattern) else "(.*/)?")
            else:
                out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch in ".$":
            out.append("\\" + ch)
        elif ch == "\\":
            if i < len(pattern):
                out.append("\\" + pattern[i])
                i += 1
            else:
                out.append("\\\\")
        else:
            out.append(ch)
    out.append("$")
    return "".join(out)


class PatternMatcher:
    def __init__(self, patterns: list[str]) -> None:
        self.patterns: list[Pattern] = []
        for text in patterns:
            text = text.strip()
            if not text:
                continue
            text = _clean(text)
            if text == "!":
                raise BadPattern('illegal exclusion pattern: "!"')
            self.patterns.append(Pattern(text))

    def matches(self, path: str) -> bool:
        """Whether `path` (relative, `/`-separated) is excluded: the last pattern that matches it or one of its
        parent directories decides; an exclusion (`!`) takes it back in."""
        parent = posixpath.dirname(path) or "."
        parent_dirs = parent.split("/")
        matched = False
        for pattern in self.patterns:
            hit = pattern.match(path)
            if not hit and parent != "." and len(pattern.dirs) <= len(parent_dirs):
                hit = pattern.match("/".join(parent_dirs[:len(pattern.dirs)]))
            if hit:
                matched = not pattern.exclusion
        return matched


def removed_by_daemon(dockerignore: str, dockerfile: str) -> list[str]:
    """Which of `.dockerignore` and the Dockerfile the daemon takes out of the context. A bad pattern makes
    no matcher: nothing is taken out (dockerd logs nothing and goes on)."""
    try:
        matcher = PatternMatcher(read_all(dockerignore))
    except BadPattern:
        return []
    return [path for path in (".dockerignore", dockerfile) if matcher.matches(path)]
