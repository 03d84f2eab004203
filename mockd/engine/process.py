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


@dataclass
class Rule:
    """A user rule from the seed: when the image and command match, emit this output and exit so."""

    command: str = "*"  # glob on the joined argv, or /regex/
    image: str = "*"  # glob on the image reference or id
    stdout: str = ""
    stderr: str = ""
    exit_code: int = 0
    duration: float = 0.0  # seconds before exiting (after the output)
    interval: float = 0.0  # emit stdout line by line with this delay between lines

    def matches(self, image_names: list[str], argv: list[str]) -> bool:
        joined = " ".join(argv)
        if self.command.startswith("/") and self.command.endswith("/") and len(self.command) > 1:
            if not re.search(self.command[1:-1], joined):
                return False
        elif not fnmatch.fnmatchcase(joined, self.command):
            return False
        return any(fnmatch.fnmatchcase(name, self.image) for name in image_names) or self.image in ("*", "")

    @classmethod
    def from_dict(cls, data: dict) -> Rule:
        return cls(command=str(data.get("command", "*")), image=str(data.get("image", "*")),
                   stdout=str(data.get("stdout", "")), stderr=str(data.get("stderr", "")),
                   exit_code=int(data.get("exit_code", data.get("exitCode", 0))),
                   duration=float(data.get("duration", 0)), interval=float(data.get("interval", 0)))
