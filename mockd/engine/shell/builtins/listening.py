"""What the applets that listen share: busybox's getopt-style option reading and binding a port in the container's
network namespace (`nc -l`, `httpd`)."""

from __future__ import annotations

from ...netns import Handler, NetNamespace, Socket


class UsageError(Exception):
    """An option busybox's getopt rejects; the message is the applet's own text."""


def getopt(args: list[str], flags: str, with_value: str) -> tuple[dict[str, list[str]], list[str]]:
    """POSIX getopt as busybox applets use it: clustered flags (`-lk`), values attached or next (`-p80`, `-p 80`),
    `--` ends the options, the first operand ends them too (no GNU permutation). Returns ({flag: [values]}, rest)."""
    seen: dict[str, list[str]] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            i += 1
            break
        if not arg.startswith("-") or arg == "-":
            break
        j = 1
        while j < len(arg):
            c = arg[j]
            if c in with_value:
                value = arg[j + 1:]
                if not value:
                    i += 1
                    if i >= len(args):
                        raise UsageError(f"option requires an argument -- '{c}'")
                    value = args[i]
                seen.setdefault(c, []).append(value)
                break
            if c not in flags:
                raise UsageError(f"invalid option -- '{c}'")
            seen.setdefault(c, []).append("")
            j += 1
        i += 1
    return seen, args[i:]


def parse_port(text: str) -> int | None:
    """A port operand as busybox's bb_lookup_port reads a number (service names are not looked up)."""
    return int(text) if text.isdigit() and 0 <= int(text) <= 65535 else None


def bind(net: NetNamespace | None, port: int, handler: Handler, *, owner: int, ip: str, gate) -> Socket:
    """Listen on `port`; OSError (EADDRINUSE) as bind(2) gives it when another program holds the port.

    A process without a namespace (a build step) still gets a socket of its own, like a RUN step's private
    network namespace: nobody can reach it, but the program runs as it would."""
    return (net or NetNamespace()).listen(port, handler, owner=owner, ip=ip, gate=gate)
