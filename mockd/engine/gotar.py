"""What Go's ``archive/tar`` reader says of a tar stream dockerd cannot read, checked before mockd reads it.

dockerd reads build contexts, ``PUT archive`` bodies and ``images/load`` tars with Go's reader, whose two answers
to broken input are ``unexpected EOF`` (the stream ends inside a header or an entry) and ``archive/tar: invalid tar
header`` (a 512-byte header whose checksum is wrong). Python's tarfile words both differently; this walks the
headers as Go does and names the problem in Go's words. Compressed streams (dockerd detects gzip, bzip2, xz and
zstd by their magic) are left to the reader that decompresses them.
"""

from __future__ import annotations

BLOCK = 512
_COMPRESSED = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd")
UNEXPECTED_EOF = "unexpected EOF"
INVALID_HEADER = "archive/tar: invalid tar header"


def _octal(field: bytes) -> int | None:
    text = field.replace(b"\x00", b" ").strip()
    if not text:
        return 0
    if field[0] & 0x80:  # GNU base-256 for large sizes
        return int.from_bytes(field[1:], "big")
    try:
        return int(text, 8)
    except ValueError:
        return None


def _checksum_ok(block: bytes) -> bool:
    stored = _octal(block[148:156])
    if stored is None:
        return False
    header = block[:148] + b" " * 8 + block[156:]
    unsigned = sum(header)
    signed = sum(b - 256 if b > 127 else b for b in header)
    return stored in (unsigned, signed)


def go_tar_problem(data: bytes) -> str | None:
    """Go's error for the first header it cannot read in ``data``, or None when every header reads (an empty
    stream is an empty archive)."""
    if data.startswith(_COMPRESSED):
        return None
    offset = 0
    while offset < len(data):
        block = data[offset:offset + BLOCK]
        if len(block) < BLOCK:
            return UNEXPECTED_EOF
        if block == bytes(BLOCK):  # the end marker
            return None
        if not _checksum_ok(block):
            return INVALID_HEADER
        size = _octal(block[124:136])
        if size is None:
            return INVALID_HEADER
        offset += BLOCK + -(-size // BLOCK) * BLOCK
        if offset > len(data) + (-size % BLOCK):  # the entry's data is cut short (padding may be missing)
            return UNEXPECTED_EOF
    return None
