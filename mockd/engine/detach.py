"""Detach keys: the key sequence that ends an attach (or a hijacked exec) to a TTY and leaves the process running.

As dockerd 20.10 (moby/term `ToBytes` and `escapeProxy`, container/stream/attach.go): keys are written
`ctrl-p,ctrl-q` (the default), a single character, `ctrl-@`..`ctrl-_` or `DEL`; only a TTY's input is watched;
a key counts only when it arrives as a read of its own (one byte), so the keys inside pasted text pass through;
the keys matched so far are held back and passed on, with the byte that broke the sequence, when it does not
complete."""

from __future__ import annotations

import base64

from .errors import EngineError, InvalidParameter

DEFAULT_KEYS = b"\x10\x11"  # ctrl-p, ctrl-q
# moby/term's ASCII table: ctrl-@ is 0, ctrl-a 1, ... ctrl-z 26, then ctrl-[ ctrl-\ ctrl-] ctrl-^ ctrl-_
_CTRL = {f"ctrl-{c}": i for i, c in enumerate("@abcdefghijklmnopqrstuvwxyz[\\]^_")}


def to_bytes(keys: str) -> bytes:
    """moby/term ToBytes; ValueError("Unknown character: 'x'") for a key it does not know."""
    out = bytearray()
    for key in keys.split(","):
        if len(key) == 1:
            out += key.encode()[:1]
        elif key in _CTRL:
            out.append(_CTRL[key])
        elif key == "DEL":
            out.append(127)
        else:
            raise ValueError(f"Unknown character: '{key}'")
    return bytes(out)


def attach_keys(keys: str) -> bytes:
    """The `detachKeys` of an attach: its bytes (empty: the default), else dockerd's 400."""
    try:
        return to_bytes(keys) if keys else b""
    except ValueError:
        raise InvalidParameter(f"Invalid detach keys ({keys}) provided") from None


def exec_keys(keys: str) -> bytes:
    """An exec's `DetachKeys`: dockerd 20.10 returns a plain error for bad ones, so a 500."""
    try:
        return to_bytes(keys) if keys else b""
    except ValueError:
        raise EngineError(f"Invalid escape keys ({keys}) provided") from None


def inspect_value(keys: bytes) -> str:
    """How exec inspect shows them: the []byte field, so base64 (`ctrl-p` is "EA=="), "" when unset."""
    return base64.b64encode(keys).decode()


class EscapeProxy:
    """The client's input to a TTY, watched for the detach keys (moby/term escapeProxy, one read at a time)."""

    def __init__(self, keys: bytes = b"") -> None:
        self.keys = keys or DEFAULT_KEYS
        self.pos = 0  # how many keys of the sequence the last reads matched (held back)

    def feed(self, data: bytes) -> tuple[bytes, bool]:
        """One read's bytes -> (what the process gets, whether the client detached)."""
        if len(data) != 1 or data[0] != self.keys[self.pos]:
            held, self.pos = self.keys[:self.pos], 0
            return held + data, False
        if self.pos == len(self.keys) - 1:
            self.pos = 0
            return b"", True
        self.pos += 1
        return b"", False
