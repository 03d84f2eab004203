"""busybox `nslookup`: a name asked of the container's DNS server; `ping`: a name resolved (/etc/hosts, then
DNS) and echoed.

On a user-defined network that is dockerd's embedded server (127.0.0.11), which knows the network's containers by
name, short id and alias, and the linking container's link aliases (`Context.dns`, from the engine). Names
it does not know it forwards upstream, which mockd, offline, cannot reach: the answer is busybox's timeout, as a
real dockerd without a network gives it (measured on dockerd 20.10 with busybox 1.35). Outside user networks the
server is resolv.conf's, upstream too. The AAAA question is answered first, without records."""

from __future__ import annotations

import asyncio
import ipaddress

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


def _hosts_file(sh: Shell, name: str) -> str | None:
    try:
        text = sh.ctx.fs.read("/etc/hosts").decode(errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) > 1 and name in words[1:] and ":" not in words[0]:
            return words[0]
    return None


def resolve_ipv4(sh: Shell, name: str) -> str | None:
    """What getaddrinfo gives a busybox applet for `name`: a literal address, /etc/hosts, then the DNS server
    (`Context.dns`; none outside user networks, and offline nothing upstream answers)."""
    try:
        return str(ipaddress.IPv4Address(name))
    except ValueError:
        pass
    address = _hosts_file(sh, name)
    if address is None and sh.ctx.dns is not None:
        address = sh.ctx.dns(name)[1]
    return address


@builtin("ping")
async def b_ping(sh: Shell, args, io) -> int:
    """Every address a name resolves to answers (loopback, the container's peers); the round trip is a
    constant. Without -c it pings until it is stopped, one packet a second, as busybox does."""
    count, hosts, rest = 0, [], list(args[1:])
    while rest:
        arg = rest.pop(0)
        if arg == "-c" and rest:
            value = rest.pop(0)
            if not value.isdigit():
                io.err(f"ping: invalid number '{value}'\n".encode())
                return 1
            count = int(value)
        elif arg.startswith("-c") and arg[2:].isdigit():
            count = int(arg[2:])
        elif arg in ("-W", "-w", "-s", "-i", "-t", "-I") and rest:
            rest.pop(0)
        elif not arg.startswith("-"):
            hosts.append(arg)
    if len(hosts) != 1:
        io.err(b"BusyBox v1.37.0 (2025-01-17 18:12:01 UTC) multi-call binary.\n\nUsage: ping [OPTIONS] HOST\n")
        return 1
    address = resolve_ipv4(sh, hosts[0])
    if address is None:
        io.err(f"ping: bad address '{hosts[0]}'\n".encode())
        return 1
    io.out(f"PING {hosts[0]} ({address}): 56 data bytes\n".encode())
    sent = 0
    while not count or sent < count:
        if sent:
            await asyncio.sleep(1)
        io.out(f"64 bytes from {address}: seq={sent} ttl=64 time=0.100 ms\n".encode())
        sent += 1
    io.out(f"\n--- {hosts[0]} ping statistics ---\n{sent} packets transmitted, {sent} packets received, 0% packet "
           "loss\nround-trip min/avg/max = 0.100/0.100/0.100 ms\n".encode())
    return 0
