"""Numeric query parameters read as dockerd reads them (issue 9, item 5): Go's strconv.Atoi / ParseInt with their
int64 bounds and texts, the status each router gives. One table, sent to mockd at 1.41 and to the real dockerd 20.10
(when it can run here); state unchanged after each row. `stop?t=99999999999999999999` used to hang."""

from __future__ import annotations

import json

import pytest

from mockd.pytest_plugin import MockdServer
from tests.realdaemons import import_busybox, real_dockerd, unix_http  # noqa: F401  (fixture)

BIG = "99999999999999999999"
ROWS = [  # (path with {c} for a running container, status, message or None for a success)
    (f"POST /containers/{{c}}/stop?t={BIG}", 500, f'strconv.Atoi: parsing "{BIG}": value out of range'),
    ("POST /containers/{c}/stop?t=abc", 500, 'strconv.Atoi: parsing "abc": invalid syntax'),
    ("POST /containers/{c}/restart?t=1x", 500, 'strconv.Atoi: parsing "1x": invalid syntax'),
    (f"POST /containers/{{c}}/restart?t={BIG}", 500, f'strconv.Atoi: parsing "{BIG}": value out of range'),
    ("GET /containers/json?limit=abc", 500, 'strconv.Atoi: parsing "abc": invalid syntax'),
    (f"GET /containers/json?limit={BIG}", 500, f'strconv.Atoi: parsing "{BIG}": value out of range'),
    ("POST /containers/{c}/resize?h=abc&w=10", 400, 'strconv.Atoi: parsing "abc": invalid syntax'),
    (f"POST /containers/{{c}}/resize?h=10&w={BIG}", 400, f'strconv.Atoi: parsing "{BIG}": value out of range'),
    ("GET /containers/{c}/logs?stdout=1&since=abc", 500, 'strconv.ParseInt: parsing "abc": invalid syntax'),
    ("GET /containers/{c}/logs?stdout=1&since=1.5x", 500, 'strconv.ParseInt: parsing "5x": invalid syntax'),
    (f"GET /containers/{{c}}/logs?stdout=1&until={BIG}", 500, f'strconv.ParseInt: parsing "{BIG}": value out of range'),
    ("GET /events?since=abc", 500, 'strconv.ParseInt: parsing "abc": invalid syntax'),
    ("GET /events?until=1.x", 500, 'strconv.ParseInt: parsing "x": invalid syntax'),
    ("GET /containers/json?limit=-1", 200, None),
    ("GET /containers/{c}/logs?stdout=1&since=0&tail=abc", 200, None),  # tail=abc: every line (measured)
]


def _objects(call) -> tuple:
    return tuple(sorted(c["Id"] for c in json.loads(call("GET", "/containers/json?all=1")[1])))


def _run(sock: str) -> list[tuple[int, str | None]]:
    def call(method: str, path: str, body: object = None) -> tuple[int, bytes]:
        status, _, data = unix_http(sock, method, "/v1.41" + path, json.dumps(body).encode() if body else None,
                                    headers={"Content-Type": "application/json"})
        return status, data

    status, data = call("POST", "/containers/create?name=numeric", {"Image": "busybox:latest", "Cmd": ["sleep", "100"],
                                                                  "Tty": True, "HostConfig": {"NetworkMode": "none"}})
    assert status == 201, data
    assert call("POST", "/containers/numeric/start")[0] == 204
    before = _objects(call)
    out = []
    for row, _, _ in ROWS:
        method, path = row.split(" ", 1)
        status, data = call(method, path.format(c="numeric"))
        message = json.loads(data)["message"] if status >= 400 else None
        out.append((status, message))
        assert _objects(call) == before, row
    call("DELETE", "/containers/numeric?force=1")
    return out


EXPECTED = [(status, message) for _, status, message in ROWS]


def test_mockd_reads_numbers_as_go(tmp_path):
    with MockdServer(["--api-version", "1.41"]) as mock:
        assert mock.request("POST", "/v1.41/images/create?fromImage=busybox&tag=latest")[0] == 200
        assert _run(mock.socket) == EXPECTED


@pytest.mark.realdaemon
def test_the_real_dockerd_answers_as_the_table_says(real_dockerd):  # noqa: F811
    import_busybox(real_dockerd)
    assert _run(real_dockerd.socket) == EXPECTED
