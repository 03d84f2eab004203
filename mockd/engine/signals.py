"""Signal names and numbers as dockerd parses them (`docker kill -s`, `StopSignal`, the shell's `trap`)."""

from __future__ import annotations

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
