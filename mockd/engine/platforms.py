"""Platform specifiers (`linux/arm64/v8`, `windows`, `amd64`) as dockerd parses them (containerd's
platforms.Parse, read not copied): the same refusals with the same messages, before any pull or build starts."""

from __future__ import annotations

import re

from .errors import InvalidParameter

# GOOS and GOARCH values containerd knows: a one-part specifier must be one of them.
KNOWN_OS = {"aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js", "linux", "nacl",
            "netbsd", "openbsd", "plan9", "solaris", "windows", "zos"}
KNOWN_ARCH = {"386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "ppc64", "ppc64le", "loong64", "mips",
              "mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "riscv", "riscv64", "s390", "s390x",
              "sparc", "sparc64", "wasm"}
_ARCH_ALIASES = {"i386": "386", "x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "armhf": "arm",
                 "armel": "arm"}
_COMPONENT = re.compile(r"^[A-Za-z0-9_-]+$")


def _refused(specifier: str, reason: str) -> InvalidParameter:
    return InvalidParameter(f'"{specifier}": {reason}: invalid argument')


def parse(specifier: str) -> tuple[str, str, str]:
    """(os, architecture, variant) of a specifier, normalised; dockerd's 400 for one it refuses."""
    if "*" in specifier:
        raise _refused(specifier, "wildcards not yet supported")
    parts = specifier.split("/")
    for part in parts:
        if not _COMPONENT.match(part):
            raise InvalidParameter(f'"{part}" is an invalid component of "{specifier}": platform specifier component '
                                   f'must match "{_COMPONENT.pattern}": invalid argument')
    if len(parts) > 3:
        raise _refused(specifier, "cannot parse platform specifier")
    lowered = [p.lower() for p in parts]
    if len(parts) == 1:
        name = "darwin" if lowered[0] == "macos" else lowered[0]
        if name in KNOWN_OS:
            return name, "amd64", ""
        arch = _ARCH_ALIASES.get(lowered[0], lowered[0])
        if arch in KNOWN_ARCH:
            return "linux", arch, ""
        raise _refused(specifier, "unknown operating system or architecture")
    os_name = "darwin" if lowered[0] == "macos" else lowered[0]
    return os_name, _ARCH_ALIASES.get(lowered[1], lowered[1]), lowered[2] if len(parts) == 3 else ""
