"""What a simulated process obeys: signals (names and numbers as dockerd parses them) and the seed's rules
that script a command instead of running it. The process itself is `runtime.Process`."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

SIGNALS = {"HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "BUS": 7, "FPE": 8, "KILL": 9,
           "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15, "STKFLT": 16, "CHLD": 17,
           "CONT": 18, "STOP": 19, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "XCPU": 24, "XFSZ": 25,
           "VTALRM": 26, "PROF": 27, "WINCH": 28, "IO": 29, "PWR": 30, "SYS": 31}


def parse_signal(value: str | int | None, default: int = 15) -> int:
    """dockerd's signal parsing: a number, NAME or SIGNAME. ValueError on anything else."""
    if value is None or value == "":
        return default
    if isinstance(value, int):
        return value
    text = str(value).strip().upper()
    if text.isdigit():
        number = int(text)
        if not 0 < number <= 64:
            raise ValueError(f"Invalid signal: {value}")
        return number
    name = text.removeprefix("SIG")
    if name not in SIGNALS:
        raise ValueError(f"Invalid signal: {value}")
    return SIGNALS[name]


SCOPES = ("start", "exec", "healthcheck", "any")  # what a rule applies to: which kind of process
_GLOB_CHARS = "*?["


@dataclass
class Rule:
    """A user rule from the seed: when the scope, image and command match, emit this output and exit so.

    How a match is chosen (`choose`): among the rules whose scope, image and command match, the most specific
    wins, ranked by (1) the command: an exact argv over a /regex/ over a glob, a glob with more literal
    characters over one with fewer; (2) a rule for this kind of process over an `any` rule; (3) an image
    pattern with more literal characters; (4) the earlier rule in the seed. `listen` makes the process
    accept connections on those container ports while it runs (and hold them open: the rule's output is
    all it says)."""

    command: str = "*"  # glob on the joined argv, or /regex/
    image: str = "*"  # glob on the image reference or id
    stdout: str = ""
    stderr: str = ""
    exit_code: int = 0
    duration: float = 0.0  # seconds before exiting (after the output)
    interval: float = 0.0  # emit stdout line by line with this delay between lines
    scope: str = "any"  # start | exec | healthcheck | any
    listen: tuple[int, ...] = ()  # container ports (tcp) the process listens on while it runs

    @property
    def is_regex(self) -> bool:
        return self.command.startswith("/") and self.command.endswith("/") and len(self.command) > 1

    def matches(self, image_names: list[str], argv: list[str], scope: str = "any") -> bool:
        if self.scope not in ("any", scope):
            return False
        joined = " ".join(argv)
        if self.is_regex:
            if not re.search(self.command[1:-1], joined):
                return False
        elif not fnmatch.fnmatchcase(joined, self.command):
            return False
        return any(fnmatch.fnmatchcase(name, self.image) for name in image_names) or self.image in ("*", "")

    def specificity(self) -> tuple[int, int, int]:
        """Higher is more specific (see the class docstring); the seed order breaks ties."""
        if self.is_regex:
            kind, literal = 1, len(re.sub(r"\\.|[.*+?()\[\]{}|^$]", "", self.command[1:-1]))
        elif any(ch in self.command for ch in _GLOB_CHARS):
            kind, literal = 0, len(re.sub(r"\[[^]]*\]|[*?]", "", self.command))
        else:
            kind, literal = 2, len(self.command)
        image_literal = len(re.sub(r"\[[^]]*\]|[*?]", "", self.image or "*"))
        return kind * 100000 + literal, int(self.scope != "any"), image_literal

    def check(self) -> None:
        """ValueError when the rule can never match: an unknown scope, an empty command, a broken regex."""
        if self.scope not in SCOPES:
            raise ValueError(f"rule {self.command!r}: scope {self.scope!r} is not one of {', '.join(SCOPES)}")
        if not self.command.strip():
            raise ValueError("rule with an empty command never matches (a process always has an argv)")
        if self.is_regex:
            try:
                re.compile(self.command[1:-1])
            except re.error as err:
                raise ValueError(f"rule {self.command!r}: invalid regex: {err}") from None
        for port in self.listen:
            if not 0 < port <= 65535:
                raise ValueError(f"rule {self.command!r}: listen port {port} out of range 1-65535")

    @classmethod
    def from_dict(cls, data: dict) -> Rule:
        known = {"command", "image", "stdout", "stderr", "exit_code", "exitCode", "duration", "interval", "scope",
                 "applies_to", "listen"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"rule {data.get('command', '*')!r}: unknown keys {sorted(unknown)}")
        listen = data.get("listen") or ()
        rule = cls(command=str(data.get("command", "*")), image=str(data.get("image", "*")),
                   stdout=str(data.get("stdout", "")), stderr=str(data.get("stderr", "")),
                   exit_code=int(data.get("exit_code", data.get("exitCode", 0))),
                   duration=float(data.get("duration", 0)), interval=float(data.get("interval", 0)),
                   scope=str(data.get("scope", data.get("applies_to", "any"))),
                   listen=tuple(int(p) for p in (listen if isinstance(listen, list | tuple) else [listen])))
        rule.check()
        return rule


def check_rules(rules: list[Rule]) -> None:
    """Load-time check of a rule list: each rule can match, and none is shadowed by an earlier rule with the
    same scope, image and command (the later one could never be chosen)."""
    seen: dict[tuple[str, str, str], int] = {}
    for i, rule in enumerate(rules):
        rule.check()
        key = (rule.scope, rule.image or "*", rule.command)
        if key in seen:
            raise ValueError(f"rule {i + 1} ({rule.command!r}, scope {rule.scope}, image {rule.image!r}) can never "
                             f"match: rule {seen[key] + 1} has the same scope, image and command")
        seen[key] = i


def choose(rules: list[Rule], image_names: list[str], argv: list[str], scope: str) -> Rule | None:
    """The most specific rule matching this process (see `Rule`), or None."""
    best: Rule | None = None
    for rule in rules:
        if rule.matches(image_names, argv, scope) and (best is None or rule.specificity() > best.specificity()):
            best = rule
    return best
