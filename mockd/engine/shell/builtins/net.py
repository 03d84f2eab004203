"""busybox `nslookup`: a name asked of the container's DNS server.

On a user-defined network that is dockerd's embedded server (127.0.0.11), which knows the network's containers by
name, short id and alias, and the linking container's link aliases (`Context.dns`, from the engine). Names
it does not know it forwards upstream, which mockd, offline, cannot reach: the answer is busybox's timeout, as a
real dockerd without a network gives it (measured on dockerd 20.10 with busybox 1.35). Outside user networks the
server is resolv.conf's, upstream too. The AAAA question is answered first, without records."""

from __future__ import annotations

from ..interpreter import Shell
from ..registry import builtin

EMBEDDED_DNS = "127.0.0.11"
UNREACHABLE = ";; connection timed out; no servers could be reached\n\n"


def _nameserver(sh: Shell) -> str:
    try:
        text = sh.ctx.fs.read("/etc/resolv.conf").decode(errors="replace")
    except OSError:
        return EMBEDDED_DNS
    return next((line.split()[1] for line in text.splitlines() if line.startswith("nameserver ")
                 and len(line.split()) > 1), EMBEDDED_DNS)


@builtin("nslookup")
async def b_nslookup(sh: Shell, args, io) -> int:
    names = [a for a in args[1:] if not a.startswith("-")]
    if not names:
        io.err(b"Usage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]\n")
        return 1
    name = names[0]
    embedded, address = sh.ctx.dns(name) if sh.ctx.dns is not None else (False, None)
    server = EMBEDDED_DNS if embedded else _nameserver(sh)
    if address is None:
        io.out(UNREACHABLE.encode())
        return 1
    io.out(f"Server:\t\t{server}\nAddress:\t{server}:53\n\nNon-authoritative answer:\n\n"
           f"Non-authoritative answer:\nName:\t{name}\nAddress: {address}\n\n".encode())
    return 0
