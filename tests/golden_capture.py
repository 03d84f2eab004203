"""Capture every byte between a client and mockd through a unix-socket proxy, and render it as normalized text.

`mockd --record` keeps no response bodies (docs/record-format.md), so the golden-workflow test puts this proxy
between the clients and mockd instead: it sees request lines, headers and bodies both ways, hijacked attach/exec
streams and chunked streams alike. Each connection's bytes are parsed back into HTTP exchanges afterwards.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
import re
import socket
import tarfile
import threading
from dataclasses import dataclass, field

# --- the proxy -----------------------------------------------------------------------------------------------


@dataclass
class Connection:
    """One client connection: its bytes each way, each chunk tagged with the workflow step it arrived in."""
    number: int
    upstream: list[tuple[int, bytes]] = field(default_factory=list)    # client -> mockd
    downstream: list[tuple[int, bytes]] = field(default_factory=list)  # mockd -> client
    done: threading.Event = field(default_factory=threading.Event)
    pumps_left: int = 2


class RecordingProxy:
    """Listens on ``listen_path``; relays every connection to ``target_path``; records bytes before relaying them
    (so whatever a client has read is already recorded when the client's call returns)."""

    def __init__(self, listen_path: str, target_path: str) -> None:
        self.listen_path = listen_path
        self.target_path = target_path
        self.step = 0
        self.connections: list[Connection] = []
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.bind(listen_path)
        self._sock.listen(64)
        self._closed = False
        threading.Thread(target=self._accept, name="golden-proxy", daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(self.target_path)
            with self._lock:
                conn = Connection(len(self.connections))
                self.connections.append(conn)
            threading.Thread(target=self._pump, args=(conn, client, upstream, conn.upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(conn, upstream, client, conn.downstream), daemon=True).start()

    def _pump(self, conn: Connection, src: socket.socket, dst: socket.socket, into: list) -> None:
        try:
            while True:
                try:
                    data = src.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    with contextlib.suppress(OSError):
                        dst.shutdown(socket.SHUT_WR)
                    return
                into.append((self.step, data))
                try:
                    dst.sendall(data)
                except OSError:
                    return
        finally:
            with self._lock:
                conn.pumps_left -= 1
                if conn.pumps_left == 0:
                    src.close()
                    dst.close()
                    conn.done.set()

    def wait_closed(self, since: int, timeout: float = 10.0) -> None:
        """Wait until the connections opened since index ``since`` are finished both ways (a CLI that exited)."""
        for conn in list(self.connections[since:]):
            conn.done.wait(timeout)

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.listen_path)


# --- parsing the byte streams back into exchanges ------------------------------------------------------------------


@dataclass
class Message:
    start_line: str
    headers: list[tuple[str, str]]
    body: bytes
    chunked: bool = False

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name), None)


@dataclass
class Exchange:
    step: int
    request: Message
    response: Message | None
    stream_in: bytes = b""   # hijacked: bytes the client sent after the request (stdin)
    stream_out: bytes = b""  # hijacked: bytes mockd sent after the response head


class _Reader:
    def __init__(self, chunks: list[tuple[int, bytes]]) -> None:
        self.data = b"".join(c for _, c in chunks)
        self.steps: list[tuple[int, int]] = []  # (offset, step) where each chunk starts
        offset = 0
        for step, chunk in chunks:
            self.steps.append((offset, step))
            offset += len(chunk)
        self.pos = 0

    def step_at(self, pos: int) -> int:
        step = self.steps[0][1] if self.steps else 0
        for offset, s in self.steps:
            if offset > pos:
                break
            step = s
        return step

    def at_end(self) -> bool:
        return self.pos >= len(self.data)

    def head(self) -> tuple[str, list[tuple[str, str]]] | None:
        end = self.data.find(b"\r\n\r\n", self.pos)
        if end < 0:
            return None
        lines = self.data[self.pos:end].decode("latin-1").split("\r\n")
        self.pos = end + 4
        headers = [(k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in lines[1:])]
        return lines[0], headers

    def take(self, n: int) -> bytes:
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def rest(self) -> bytes:
        out = self.data[self.pos:]
        self.pos = len(self.data)
        return out

    def chunked(self) -> bytes:
        """Decode a chunked body; the chunk boundaries are scheduling noise, so only the joined bytes are kept."""
        out = bytearray()
        while not self.at_end():
            eol = self.data.find(b"\r\n", self.pos)
            if eol < 0:
                out += self.rest()
                break
            size = int(self.data[self.pos:eol].split(b";")[0] or b"0", 16)
            self.pos = eol + 2
            if size == 0:
                self.head_trailer()
                break
            out += self.take(size)
            self.pos += 2
        return bytes(out)

    def head_trailer(self) -> None:
        if self.data.startswith(b"\r\n", self.pos):
            self.pos += 2
        else:
            end = self.data.find(b"\r\n\r\n", self.pos)
            self.pos = len(self.data) if end < 0 else end + 4


def _read_body(reader: _Reader, msg_headers: list[tuple[str, str]], *, until_eof: bool) -> tuple[bytes, bool]:
    headers = {k.lower(): v for k, v in msg_headers}
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return reader.chunked(), True
    if "content-length" in headers:
        return reader.take(int(headers["content-length"])), False
    return (reader.rest() if until_eof else b""), False


_STREAM_TYPES = ("application/vnd.docker.raw-stream", "application/vnd.docker.multiplexed-stream")


def parse_connection(conn: Connection) -> list[Exchange]:
    up, down = _Reader(conn.upstream), _Reader(conn.downstream)
    exchanges: list[Exchange] = []
    while not up.at_end():
        step = up.step_at(up.pos)
        head = up.head()
        if head is None:
            break
        request = Message(head[0], head[1], b"")
        request.body, request.chunked = _read_body(up, head[1], until_eof=False)
        exchange = Exchange(step, request, None)
        exchanges.append(exchange)
        method = head[0].split(" ")[0]
        rhead = down.head()
        # An interim 100 Continue precedes the real answer.
        while rhead is not None and rhead[0].split(" ")[1:2] == ["100"]:
            rhead = down.head()
        if rhead is None:
            exchange.stream_out = down.rest()
            break
        response = Message(rhead[0], rhead[1], b"")
        exchange.response = response
        status = rhead[0].split(" ")[1] if " " in rhead[0] else ""
        ctype = (response.header("content-type") or "").split(";")[0]
        hijacked = status == "101" or (ctype in _STREAM_TYPES and response.header("content-length") is None
                                       and response.header("transfer-encoding") is None)
        if hijacked:
            exchange.stream_in = up.rest()
            exchange.stream_out = down.rest()
            break
        if method == "HEAD" or status in ("204", "304"):
            continue
        response.body, response.chunked = _read_body(down, rhead[1], until_eof=True)
    return exchanges


# --- rendering ------------------------------------------------------------------------------------------------------


def _escape(text: str) -> str:
    """Backslash first, then control characters but the newline: an injective, diff-friendly text form."""
    text = text.replace("\\", "\\\\")
    return re.sub(r"[\x00-\x09\x0b-\x1f\x7f]", lambda m: f"\\x{ord(m.group()):02x}", text)


def _text_lines(data: bytes, indent: str = "    ") -> list[str]:
    text = _escape(data.decode("utf-8", "backslashreplace"))
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    else:
        lines.append("\\ (no newline at end)")
    return [indent + line for line in lines]


def _demux(data: bytes) -> list[tuple[int, bytes]] | None:
    """stdcopy frames -> [(stream, bytes)], adjacent frames of one stream merged (their boundaries depend on how
    the process's writes were scheduled, not on behaviour); None when the bytes are not a complete frame sequence."""
    frames: list[tuple[int, bytes]] = []
    pos = 0
    while pos < len(data):
        if pos + 8 > len(data) or data[pos] not in (0, 1, 2) or data[pos + 1:pos + 4] != b"\0\0\0":
            return None
        size = int.from_bytes(data[pos + 4:pos + 8], "big")
        payload = data[pos + 8:pos + 8 + size]
        if len(payload) != size:
            return None
        if frames and frames[-1][0] == data[pos]:
            frames[-1] = (data[pos], frames[-1][1] + payload)
        else:
            frames.append((data[pos], payload))
        pos += 8 + size
    return frames if frames else None


def _tar_lines(data: bytes, indent: str) -> list[str] | None:
    """A tar as its members; mtimes are left out (the build context's and `docker cp`'s files carry the time they
    were written by the test). Small text members are shown, others by size and sha256."""
    try:
        tar = tarfile.open(fileobj=io.BytesIO(data), mode="r:")
        members = tar.getmembers()
    except (tarfile.TarError, EOFError):
        return None
    out = [f"{indent}<tar, {len(members)} members>"]
    for m in members:
        line = f"{indent}  {m.name} type={m.type.decode(errors='replace')} mode={m.mode:o} size={m.size} " \
               f"uid={m.uid} gid={m.gid}" + (f" link={m.linkname}" if m.linkname else "")
        out.append(line)
        if m.isfile():
            content = tar.extractfile(m).read()  # type: ignore[union-attr]
            nested = _tar_lines(content, indent + "    ") if m.name.endswith(".tar") else None
            if nested is not None:
                out += nested
            elif len(content) <= 2048 and _is_text(content):
                out += _text_lines(content, indent + "    | ")
            else:
                out.append(f"{indent}    sha256={hashlib.sha256(content).hexdigest()}")
    return out


def _is_text(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\0" not in data


def body_lines(data: bytes, content_type: str | None, indent: str = "    ") -> list[str]:
    if not data:
        return []
    ctype = (content_type or "").split(";")[0]
    if data[257:262] == b"ustar":  # by its magic: CLI 28 uploads `docker cp` tars as text/plain
        tar = _tar_lines(data, indent)
        if tar is not None:
            return tar
    if ctype in _STREAM_TYPES:
        frames = _demux(data)
        if frames is not None:
            out = []
            for stream, payload in frames:
                out.append(f"{indent}[{('stdin', 'stdout', 'stderr')[stream]}]")
                out += _text_lines(payload, indent + "  ")
            return out
    if _is_text(data) or len(data) <= 4096:
        return _text_lines(data, indent)
    return [f"{indent}<{len(data)} bytes sha256={hashlib.sha256(data).hexdigest()}>"]


# Headers whose values are the moment or the connection, not behaviour.
_HEADER_TIME = {"date"}
# Base64-JSON header of `HEAD|GET .../archive`: its `mtime` is the file's write time.
_PATH_STAT = "x-docker-container-path-stat"


def _header_line(name: str, value: str, body: bytes) -> str:
    low = name.lower()
    if low in _HEADER_TIME:
        value = "<date>"
    elif low == "content-length":
        # The length varies with the digits of a timestamp in the body (Go drops trailing zeros of fractions);
        # what must not change is that it frames the body exactly.
        value = "<matches body>" if value.strip() == str(len(body)) else f"<{value} != body {len(body)}>"
    elif low == _PATH_STAT:
        with contextlib.suppress(ValueError):
            value = json.dumps(json.loads(base64.b64decode(value)), sort_keys=True)
    return f"  {name}: {value}"


def render_exchange(ex: Exchange) -> list[str]:
    req, resp = ex.request, ex.response
    out = [f"> {req.start_line}"]
    out += [">" + _header_line(k, v, req.body) for k, v in req.headers]
    if req.chunked:
        out.append(">  (chunked)")
    out += body_lines(req.body, req.header("content-type"), ">   ")
    if ex.stream_in:
        out.append(">  <stream in>")
        out += body_lines(ex.stream_in, None, ">   ")
    if resp is None:
        out.append("< (no response)")
    else:
        out.append(f"< {resp.start_line}")
        out += ["<" + _header_line(k, v, resp.body) for k, v in resp.headers]
        if resp.chunked:
            out.append("<  (chunked)")
        ctype = resp.header("content-type")
        out += body_lines(resp.body, ctype, "<   ")
    if ex.stream_out:
        out.append("<  <stream out>")
        ctype = resp.header("content-type") if resp else None
        out += body_lines(ex.stream_out, ctype or "application/vnd.docker.multiplexed-stream", "<   ")
    return out


# --- normalization ---------------------------------------------------------------------------------------------------

# RFC 3339 times of this era (Go's zero time 0001-01-01T00:00:00Z is behaviour and stays).
_RFC3339 = re.compile(r"\b(?:19|20)\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")
# Unix times in seconds (10 digits, years 2017-2033) and nanoseconds (events' timeNano), also in `since`/`until`.
_UNIX_NANO = re.compile(r"(?<![\w.])1[5-9]\d{17}(?![\w.])")
_UNIX = re.compile(r"(?<![\w.])1[5-9]\d{8}(?:\.\d{1,9})?(?![\w.])")
# Relative durations the daemon writes into `Status` ("Up 3 seconds", "Exited (0) 2 seconds ago").
_DURATION = re.compile(r"\b(?:Less than a second|About a minute|About an hour|An? (?:day|week|month|year)|"
                       r"\d+ (?:seconds?|minutes?|hours?|days?|weeks?|months?|years?))"
                       r"(?= ago|\b)")
# mockd derives a MAC address from the (random) container id; map them like ids.
_MAC = re.compile(r"\b02:42(?::[0-9a-f]{2}){4}\b")
# mockd steps its pid counter by a random 1-40 per process, like a busy host; a running process's pid is not 0.
_PID = re.compile(r'("Pid":\s*)[1-9]\d*')
# An image's descriptor size is the length of its index JSON, which holds the build time: Go prints the fraction
# without trailing zeros, so a built image's size varies by a byte or two.
_DESCRIPTOR_SIZE = re.compile(r'("Descriptor":\{"mediaType":"[^"]*","digest":"[^"]*","size":)\d+')
# compose 1.29 sends Aliases from a Python set of the service name and the (random) short id, and mockd's
# DNSNames follow their order: both lists are sorted here.
_ALIASES = re.compile(r'("(?:Aliases|DNSNames)": ?\[)([^\]\[]*)\]')
_ID64 = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")
_ID12 = re.compile(r"(?<![0-9a-f])[0-9a-f]{12}(?![0-9a-f])")


class Normalizer:
    """Maps ids, short ids and MACs to placeholders by order of first appearance in the text it ``learn``s, then
    masks times and pids. Ids go before times: a run of digits inside a hex id must not be taken for a unix time.
    ``replacements``: literal ephemeral strings (temp dirs, socket paths) -> placeholders, applied first."""

    def __init__(self, replacements: dict[str, str]) -> None:
        self.replacements = replacements
        self.ids: dict[str, str] = {}
        self.shorts: dict[str, str] = {}
        self.macs: dict[str, str] = {}

    def learn(self, text: str) -> None:
        text = replace_literals(text, self.replacements)
        for match in _ID64.finditer(text):
            self.ids.setdefault(match.group(), f"<id{len(self.ids) + 1}>")
        known = {full[:12] for full in self.ids}
        for match in _ID12.finditer(_ID64.sub("", text)):
            if match.group() not in known:
                self.shorts.setdefault(match.group(), f"<short{len(self.shorts) + 1}>")
        for match in _MAC.finditer(text):
            self.macs.setdefault(match.group(), f"<mac{len(self.macs) + 1}>")

    def apply(self, text: str) -> str:
        self.learn(text)  # anything unseen gets the next number rather than staying raw
        text = replace_literals(text, self.replacements)
        text = _ID64.sub(lambda m: self.ids[m.group()], text)
        prefixes = {full[:12]: placeholder[:-1] + ":12>" for full, placeholder in self.ids.items()}
        text = _ID12.sub(lambda m: prefixes.get(m.group()) or self.shorts[m.group()], text)
        text = _MAC.sub(lambda m: self.macs[m.group()], text)
        return _mask_times(_mask_noise(text, "<pid>", "<size>"), "<time>", "<unix-nano>", "<unix>", "<duration>")


def _mask_noise(text: str, pid: str, size: str) -> str:
    text = _PID.sub(lambda m: m.group(1) + pid, text)
    text = _DESCRIPTOR_SIZE.sub(lambda m: m.group(1) + size, text)
    return _ALIASES.sub(lambda m: m.group(1) + _sorted_list(m.group(2)) + "]", text)


def _sorted_list(items: str) -> str:
    sep = ", " if ", " in items else ","
    return sep.join(sorted(items.split(sep)))


def _mask_times(text: str, rfc3339: str, nano: str, unix: str, duration: str) -> str:
    text = _RFC3339.sub(rfc3339, text)
    text = _UNIX_NANO.sub(nano, text)
    text = _UNIX.sub(unix, text)
    return _DURATION.sub(duration, text)


def replace_literals(text: str, replacements: dict[str, str]) -> str:
    for literal, placeholder in sorted(replacements.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(literal, placeholder)
    return text


def align_columns(text: str) -> str:
    """The CLI's table writer pads columns to the widest cell, and cells hold relative times ("2 seconds ago" vs
    "Less than a second ago"): runs of spaces between cells become two spaces."""
    return re.sub(r"(?<=\S) {2,}(?=\S)", "  ", text)


def sort_key(lines: list[str]) -> str:
    """Within one step, exchanges on parallel connections (the CLI's attach/wait/start, compose's threads)
    complete in scheduling order; they are ordered by content with ids and times masked instead."""
    text = _MAC.sub("~", _ID12.sub("~", _ID64.sub("~", "\n".join(lines))))
    return _mask_times(_mask_noise(text, "~", "~"), "~", "~", "~", "~")
