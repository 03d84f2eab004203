"""The golden workflow's recorder (tests/golden_capture.py): parsing relayed bytes back into exchanges, and
normalizing only what is not behaviour."""

from __future__ import annotations

from tests.golden_capture import Connection, Normalizer, body_lines, parse_connection, sort_key

ID_A = "a" * 12 + "1700000000" + "b" * 42  # a hex id with a run of digits that looks like a unix time
ID_B = "c" * 64


def conn(up: bytes, down: bytes) -> Connection:
    c = Connection(0)
    c.upstream.append((3, up))
    c.downstream.append((3, down))
    return c


def test_keep_alive_chunked_and_hijacked_exchanges():
    up = (b"GET /v1.41/version HTTP/1.1\r\nHost: x\r\n\r\n"
          b"POST /v1.41/containers/x/attach?stream=1 HTTP/1.1\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\nstdin!")
    down = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
            b"HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\n\r\n"
            b"\x01\x00\x00\x00\x00\x00\x00\x02hi\x01\x00\x00\x00\x00\x00\x00\x01!\x02\x00\x00\x00\x00\x00\x00\x01e")
    first, second = parse_connection(conn(up, down))
    assert (first.step, first.response.body, first.response.chunked) == (3, b"abcde", True)
    assert second.response.start_line == "HTTP/1.1 101 UPGRADED"
    assert second.stream_in == b"stdin!"
    # Adjacent frames of one stream are merged: their boundaries are the process's write scheduling.
    assert body_lines(second.stream_out, "application/vnd.docker.multiplexed-stream", "") == [
        "[stdout]", "  hi!", "  \\ (no newline at end)", "[stderr]", "  e", "  \\ (no newline at end)"]


def test_ids_are_numbered_by_first_appearance_before_times_are_masked():
    text = f'{{"Id":"{ID_B}","Parent":"{ID_A}","Created":1700000001,"At":"2026-12-03T08:00:00.5Z"}} {ID_A[:12]}'
    norm = Normalizer({})
    assert norm.apply(text) == '{"Id":"<id1>","Parent":"<id2>","Created":<unix>,"At":"<time>"} <id2:12>'


def test_what_stays_behaviour():
    norm = Normalizer({"/tmp/golden-x": "<tmp>"})
    # Go's zero time, pid 0 of a stopped container, a literal path and a plain number are not noise.
    text = '"FinishedAt":"0001-01-01T00:00:00Z","Pid":0,"Size":1372,"Path":"/tmp/golden-x/ctx"'
    assert norm.apply(text) == '"FinishedAt":"0001-01-01T00:00:00Z","Pid":0,"Size":1372,"Path":"<tmp>/ctx"'
    assert norm.apply('"Pid":4711, "Status":"Up 3 seconds"') == '"Pid":<pid>, "Status":"Up <duration>"'


def test_parallel_exchanges_sort_by_their_masked_text():
    a = ["> POST /containers/" + ID_A + "/start", "< 204"]
    b = ["> POST /containers/" + ID_B + "/start", "< 204"]
    assert sort_key(a) == sort_key(b)
