"""Version negotiation and errors exactly as dockerd, over a real unix socket."""

from __future__ import annotations

import io
import json
import tarfile
import time

import pytest

import specs
from mockd.versioning import engine_for_api, less_than, resolve_bounds, split_prefix

VERSIONS = ["1.25", "1.41", "1.44", "1.52", "1.56"]


def test_version_order_is_numeric():
    assert less_than("1.9", "1.12") and less_than("1.24", "1.25") and not less_than("1.41", "1.41")
    assert less_than("1", "1.12")


def test_prefix_split():
    assert split_prefix("/v1.41/containers/json") == ("1.41", "/containers/json")
    assert split_prefix("/containers/json") == (None, "/containers/json")
    assert split_prefix("/v1.4a/version") == (None, "/v1.4a/version")


@pytest.mark.parametrize(("flags", "expected"), [
    ({}, (specs.latest(), "1.24")),
    ({"api_version": "1.41"}, ("1.41", "1.24")),
    ({"engine_version": "29.0"}, ("1.52", "1.44")),
    ({"engine_version": "20.10"}, ("1.41", "1.12")),
    ({"engine_version": "25.0.3"}, ("1.44", "1.24")),
    ({"engine_version": "28.2"}, ("1.50", "1.24")),
    ({"api_version": "1.44", "min_api_version": "1.30"}, ("1.44", "1.30")),
])
def test_bounds_from_flags(flags, expected):
    b = resolve_bounds(flags.get("api_version"), flags.get("min_api_version"), flags.get("engine_version"))
    assert (b.max_api, b.min_api) == expected


def test_engine_strings_derived_from_api():
    assert engine_for_api("1.41").startswith("20.10.")
    assert engine_for_api("1.50").startswith("28.2.")
    assert engine_for_api("1.52").startswith("29.0")


def test_bad_bounds_refused():
    with pytest.raises(ValueError):
        resolve_bounds("1.99", None, None)
    with pytest.raises(ValueError):
        resolve_bounds("1.30", "1.40", None)
    with pytest.raises(ValueError):
        resolve_bounds(None, None, "3.0")


def _headers_ok(headers, max_api, engine):
    assert headers["Api-Version"] == max_api
    assert headers["Server"] == f"Docker/{engine} (linux)"
    assert headers["Ostype"] == "linux"


def test_dockerd_exact_errors_like_20_10(mockd_factory):
    """The curl checks of the issue, against a daemon impersonating dockerd 20.10."""
    s = mockd_factory("--engine-version", "20.10")
    status, headers, body = s.request("GET", "/v1.99/version")
    assert status == 400 and headers["Content-Type"] == "application/json"
    assert body == b'{"message":"client version 1.99 is too new. Maximum supported API version is 1.41"}\n'
    _headers_ok(headers, "1.41", "20.10.24")
    assert "Docker-Experimental" not in headers  # dockerd's version check answers before that middleware

    status, headers, body = s.request("GET", "/v1.11/version")
    assert status == 400 and headers["Content-Type"] == "text/plain; charset=utf-8"
    assert body == (b"client version 1.11 is too old. Minimum supported API version is 1.12, "
                    b"please upgrade your client to a newer version\n")
    _headers_ok(headers, "1.41", "20.10.24")

    for path in ("/nope", "/v1.4a/version", "/v1.41/nope", "/v1.99/nope"):
        status, headers, body = s.request("GET", path)
        assert (status, headers["Content-Type"], body) == (404, "application/json", b'{"message":"page not found"}\n')
        assert "Api-Version" not in headers and "Ostype" not in headers
        assert "Server" not in headers and "Docker-Experimental" not in headers  # Go's mux: no daemon headers
    # Wrong method on a known path: the router's 404 too.
    assert s.request("DELETE", "/v1.41/version")[0] == 404


def test_too_old_json_from_1_24(mockd_factory):
    s = mockd_factory("--engine-version", "29.0")
    status, headers, body = s.request("GET", "/v1.41/containers/json")
    assert status == 400 and headers["Content-Type"] == "application/json"
    assert json.loads(body)["message"] == ("client version 1.41 is too old. Minimum supported API version is 1.44, "
                                           "please upgrade your client to a newer version")
    assert s.request("GET", "/v1.44/containers/json")[0] == 200
    assert s.request("GET", "/v1.52/containers/json")[0] == 200
    assert s.request("GET", "/v1.53/containers/json")[0] == 400


@pytest.mark.parametrize("version", VERSIONS)
def test_ping_and_version_at_each_version(mockd_factory, version):
    s = mockd_factory("--api-version", version)
    engine = engine_for_api(version)
    status, headers, body = s.request("HEAD", "/_ping")
    assert (status, body) == (200, b"")
    assert headers["Content-Length"] == "0"
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert headers["Cache-Control"] == "no-cache, no-store, must-revalidate"
    assert headers["Pragma"] == "no-cache" and headers["Docker-Experimental"] == "false"
    _headers_ok(headers, version, engine)
    assert ("Swarm" in headers) == (not less_than(version, "1.42"))
    status, headers, body = s.request("GET", "/_ping")
    assert (status, body) == (200, b"OK")
    # HEAD /_ping at an old prefix is answered (clients ping before they know the version) without a finding.
    assert s.request("HEAD", "/v1.25/_ping")[0] == 200
    assert not [f for f in s.findings() if f["kind"] == "unknown-endpoint"]

    for path in ("/version", f"/v{version}/version", "/v1.25/version"):
        status, headers, body = s.request("GET", path)
        assert status == 200
        _headers_ok(headers, version, engine)
        data = json.loads(body)
        assert data["ApiVersion"] == version and data["MinAPIVersion"] == "1.24" and data["Version"] == engine
        if less_than(version, "1.35"):
            # The daemon's own document has no Components before 1.35: a daemon of that age never sends it.
            assert "Components" not in data
            continue
        engine_component = next(c for c in data["Components"] if c["Name"] == "Engine")
        assert engine_component["Details"]["ApiVersion"] == version
        assert engine_component["Details"]["MinAPIVersion"] == "1.24"
    newer = f"1.{int(version.split('.')[1]) + 1}"
    status, _, body = s.request("GET", f"/v{newer}/version")
    assert status == 400
    assert json.loads(body)["message"] == f"client version {newer} is too new. Maximum supported API version is {version}"


def test_unprefixed_is_daemon_max_and_newer_fields_not_stripped(mockd_factory):
    s = mockd_factory("--api-version", "1.41")
    info = json.loads(s.request("GET", "/v1.25/info")[2])
    assert info["CgroupVersion"] == "2"  # defined from 1.41, still sent at 1.25 like dockerd 20.10
    s.request("GET", "/containers/json?all=1")
    assert not s.findings()


def test_endpoint_newer_than_requested_version_is_a_finding(mockd_server):
    # /images/{name}/attestations is not in the 1.41 document; the daemon (newest) has the route.
    spec41 = specs.load("1.41")
    assert spec41.match("GET", "/images/x/attestations") is None
    status, _, _ = mockd_server.request("GET", "/v1.41/images/x/attestations")
    assert status == 404
    found = [f for f in mockd_server.findings() if f["kind"] == "unknown-endpoint"]
    assert found and found[0]["hazard"] == "newer-client" and found[0]["path"] == "/images/{name}/attestations"


def test_route_unknown_to_older_daemon_is_404(mockd_factory):
    s = mockd_factory("--api-version", "1.41")
    assert s.request("GET", "/images/x/attestations")[2] == b'{"message":"page not found"}\n'


def test_docker_experimental_on_every_accepted_request(mockd_factory):
    """dockerd 20.10 (measured) sends Docker-Experimental on every answer at an accepted version:
    successes, handler errors, streams; not on a version rejection or the router's 404."""
    s = mockd_factory("--engine-version", "20.10")
    for method, path in [("GET", "/v1.41/version"), ("GET", "/v1.41/containers/json"),
                         ("GET", "/v1.41/containers/nope/json"), ("GET", "/info"), ("GET", "/v1.41/volumes"),
                         ("POST", "/v1.41/containers/prune"), ("GET", f"/v1.41/events?until={int(time.time()) - 1}")]:
        status, headers, _ = s.request(method, path)
        assert headers.get("Docker-Experimental") == "false", (method, path, status, headers)
    experimental = mockd_factory("--experimental")
    assert experimental.request("GET", "/v1.41/images/json")[1]["Docker-Experimental"] == "true"


def test_archive_answers_carry_no_content_type(mockd_server):
    """`docker cp`: dockerd's HEAD and PUT archive answers have no Content-Type (facts file, measured)."""
    s = mockd_server
    assert s.request("POST", "/v1.41/images/create?fromImage=busybox&tag=latest")[0] == 200
    assert s.request("POST", "/v1.41/containers/create?name=cp1", {"Image": "busybox"})[0] == 201
    status, headers, _ = s.request("HEAD", "/v1.41/containers/cp1/archive?path=/bin")
    assert status == 200 and "X-Docker-Container-Path-Stat" in headers and "Content-Type" not in headers
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"hi\n"))
    status, headers, _ = s.request("PUT", "/v1.41/containers/cp1/archive?path=/tmp", buf.getvalue(),
                                   {"Content-Type": "text/plain"})
    assert status == 200 and "Content-Type" not in headers
