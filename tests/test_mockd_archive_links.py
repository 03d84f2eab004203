"""`docker cp` into a container through symlinks and with hard links, as dockerd 20.10 does it (issue 9, item 6).

dockerd untars chrooted to the container's root: an entry's directories are resolved through symlinks inside
the root, an absolute link starts again at the root, a hard link must name an existing file inside the
extraction point. The same steps run against mockd and the real dockerd (when it can run here); every
expected answer below was measured on dockerd 20.10."""

from __future__ import annotations

import base64
import io
import json
import tarfile

import pytest

from mockd.pytest_plugin import MockdServer
from tests.realdaemons import import_busybox, real_dockerd, unix_http  # noqa: F401  (fixture)


def tar(*entries: tuple[str, str, bytes | str]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name, kind, payload in entries:
            info = tarfile.TarInfo(name)
            if kind == "file":
                assert isinstance(payload, bytes)
                info.size = len(payload)
                t.addfile(info, io.BytesIO(payload))
                continue
            info.type = {"sym": tarfile.SYMTYPE, "link": tarfile.LNKTYPE}[kind]
            info.linkname = str(payload)
            t.addfile(info)
    return buf.getvalue()


TAR_ERROR = "Error processing tar file(exit status 1): "
# (what, step, argument, expected): "put" -> (path, tar), expected (status, message or None);
# "stat" -> path, expected (status, {field: value} or None).
STEPS = [
    ("a link to /etc", "put", ("/", tar(("lnk", "sym", "/etc"))), (200, None)),
    ("the path parameter is a link", "put", ("/lnk", tar(("a.txt", "file", b"A"))), (200, None)),
    ("the file landed in /etc", "stat", "/etc/a.txt", (200, {"name": "a.txt", "size": 1, "linkTarget": ""})),
    ("stat through the link", "stat", "/lnk/a.txt", (200, {"name": "a.txt", "size": 1})),
    ("a tar entry through the link", "put", ("/", tar(("lnk/b.txt", "file", b"BB"))), (200, None)),
    ("its file is in /etc", "stat", "/etc/b.txt", (200, {"name": "b.txt", "size": 2})),
    ("an absolute link cannot leave the root", "put",
     ("/", tar(("out", "sym", "/../../../tmp"), ("out/c.txt", "file", b"C"))), (200, None)),
    ("it leads to the container's /tmp", "stat", "/tmp/c.txt", (200, {"name": "c.txt", "size": 1})),
    ("an absolute link inside a subdirectory", "put", ("/tmp", tar(("abs", "sym", "/etc"), ("abs/q.txt", "file", b"Q"))),
     (200, None)),
    ("is resolved from the container's root", "stat", "/etc/q.txt", (200, {"name": "q.txt"})),
    ("not from the extraction point", "stat", "/tmp/etc/q.txt", (404, None)),
    ("a relative directory link", "put", ("/", tar(("dirlink", "sym", "tmp"))), (200, None)),
    ("as the extraction point", "put", ("/dirlink", tar(("z.txt", "file", b"Z"))), (200, None)),
    ("puts files where it leads", "stat", "/tmp/z.txt", (200, {"name": "z.txt", "mtime": "1970-01-01T00:00:00Z"})),
    ("stat of a link shows it and where it leads", "stat", "/dirlink",
     (200, {"name": "dirlink", "size": 3, "mode": 134218239, "linkTarget": "/tmp"})),
    ("a hard link to nothing", "put", ("/", tar(("h", "link", "nonexist"))),
     (500, TAR_ERROR + "link /nonexist /h: no such file or directory")),
    ("the same under /tmp", "put", ("/tmp", tar(("h", "link", "nonexist"))),
     (500, TAR_ERROR + "link /tmp/nonexist /tmp/h: no such file or directory")),
    ("a hard link out of the extraction point", "put", ("/tmp", tar(("h2", "link", "../etc/passwd"))),
     (500, TAR_ERROR + 'invalid hardlink "/etc/passwd" -> "../etc/passwd"')),
    ("nothing was made by the refused link", "stat", "/tmp/h2", (404, None)),
    ("a hard link to a file of the same tar", "put", ("/tmp", tar(("x", "file", b"X"), ("y", "link", "x"))),
     (200, None)),
    ("the link is a file", "stat", "/tmp/y", (200, {"name": "y", "size": 1})),
    ("a hard link to a file of the image", "put", ("/", tar(("pw", "link", "etc/passwd"))), (200, None)),
    ("a missing extraction point", "put", ("/nonexist", tar(("z.txt", "file", b"Z"))), (404, "Could not find the file")),
]


def run_steps(sock: str) -> list[str]:
    """Run every step against the daemon on ``sock``; the list of mismatches."""
    status, _, body = unix_http(sock, "POST", "/v1.41/containers/create",
                                body=json.dumps({"Image": "busybox", "Cmd": ["sh"]}),
                                headers={"Content-Type": "application/json"})
    assert status == 201, body
    cid = json.loads(body)["Id"]
    wrong = []
    try:
        for what, op, arg, (want_status, want) in STEPS:
            if op == "put":
                path, data = arg
                status, _, body = unix_http(sock, "PUT", f"/v1.41/containers/{cid}/archive?path={path}", body=data,
                                            headers={"Content-Type": "application/x-tar"})
                got: object = json.loads(body)["message"] if body.strip() else None
                ok = status == want_status and (want is None and got is None or
                                                isinstance(got, str) and want is not None and got.startswith(want))
            else:
                status, headers, _ = unix_http(sock, "HEAD", f"/v1.41/containers/{cid}/archive?path={arg}")
                raw = {k.lower(): v for k, v in headers.items()}.get("x-docker-container-path-stat")
                got = json.loads(base64.b64decode(raw)) if raw else None
                ok = status == want_status and (want is None or got is not None and
                                                all(got.get(k) == v for k, v in want.items()))
            if not ok:
                wrong.append(f"{what}: {op} {arg if op == 'stat' else arg[0]} -> {status} {got!r}, "
                             f"expected {want_status} {want!r}")
    finally:
        unix_http(sock, "DELETE", f"/v1.41/containers/{cid}?force=1")
    return wrong


def test_mockd_follows_links_like_dockerd() -> None:
    with MockdServer(["--api-version", "1.41"]) as mockd:
        mockd.request("POST", "/v1.41/images/create?fromImage=busybox&tag=latest")
        assert run_steps(mockd.socket) == []


def test_files_put_through_a_link_are_seen_by_the_container() -> None:
    with MockdServer([]) as mockd:
        mockd.request("POST", "/images/create?fromImage=busybox&tag=latest")
        status, _, body = mockd.request("POST", "/containers/create", {"Image": "busybox", "Cmd": ["sleep", "60"]})
        cid = json.loads(body)["Id"]
        assert mockd.request("POST", f"/containers/{cid}/start")[0] == 204
        assert mockd.request("PUT", f"/containers/{cid}/archive?path=/", tar(("lnk", "sym", "/etc")),
                             {"Content-Type": "application/x-tar"})[0] == 200
        assert mockd.request("PUT", f"/containers/{cid}/archive?path=/", tar(("lnk/b.txt", "file", b"hello\n")),
                             {"Content-Type": "application/x-tar"})[0] == 200
        status, _, body = mockd.request("POST", f"/containers/{cid}/exec",
                                        {"Cmd": ["cat", "/etc/b.txt"], "AttachStdout": True})
        eid = json.loads(body)["Id"]
        status, _, out = mockd.request("POST", f"/exec/{eid}/start", {"Detach": False, "Tty": True})
        # Started with Tty, created without: raw output but no terminal, so no \r\n (dockerd 20.10, measured in
        # tests/test_exec_attach_vs_dockerd.py)
        assert status == 200 and out == b"hello\n"
        status, _, data = mockd.request("GET", f"/containers/{cid}/archive?path=/lnk/b.txt")
        with tarfile.open(fileobj=io.BytesIO(data)) as t:
            assert [m.name for m in t.getmembers()] == ["b.txt"]
            assert t.extractfile("b.txt").read() == b"hello\n"  # type: ignore[union-attr]


@pytest.mark.realdaemon
def test_real_dockerd_agrees_with_the_table(real_dockerd) -> None:  # noqa: F811
    import_busybox(real_dockerd)
    assert run_steps(real_dockerd.socket) == []
