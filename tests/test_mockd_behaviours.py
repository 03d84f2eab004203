"""Version-dependent behaviours live in one table (mockd/behaviours.py), and each row shows on the wire."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import specs
from mockd.behaviours import BEHAVIOURS, FILTER_GATES, Before, Since, Window, behaves
from mockd.streams import demultiplex

MOCKD = Path(__file__).resolve().parent.parent / "mockd"
# The one module allowed to compare versions: the comparison itself and its Window (used by both tables).
VERSION_ARITHMETIC = {"versioning.py"}


def _sources() -> dict[str, str]:
    return {str(p.relative_to(MOCKD)): p.read_text() for p in MOCKD.rglob("*.py")}


def test_no_version_comparisons_outside_the_tables():
    offenders = [name for name, text in _sources().items()
                 if Path(name).name not in VERSION_ARITHMETIC and re.search(r"\b(less_than|compare|version_key)\(", text)]
    assert not offenders, f"compare versions through mockd.behaviours, not in {offenders}"


def test_table_rows_are_well_formed_and_all_used():
    used = set()
    for text in _sources().values():
        used |= set(re.findall(r"""behaves\(\s*["']([a-z0-9-]+)["']""", text))
    used |= {name for name, _ in FILTER_GATES.values()}  # consulted by filter name (mockd.handlers._engine)
    assert used <= set(BEHAVIOURS), used - set(BEHAVIOURS)
    assert set(BEHAVIOURS) <= used, f"rows nobody consults: {set(BEHAVIOURS) - used}"
    for name, row in BEHAVIOURS.items():
        assert isinstance(row.when, Window) and row.why.strip(), name
        bounds = [v for v in (row.when.since, row.when.before) if v is not None]
        assert len(bounds) == 1, name  # each row starts or ends at one version
        specs.parse_version(bounds[0])


def test_since_and_before_boundaries():
    assert Since("1.42") == Window(since="1.42") and Before("1.24") == Window(before="1.24")
    assert Window("1.42", "1.44").applies("1.43") and not Window("1.42", "1.44").applies("1.44")
    assert not behaves("volume-prune-anonymous-only", "1.41") and behaves("volume-prune-anonymous-only", "1.42")
    assert behaves("image-list-filter-param", "1.40") and not behaves("image-list-filter-param", "1.41")
    assert behaves("plain-text-errors", "1.23") and not behaves("plain-text-errors", "1.24")
    # Judged by the daemon's version: a 1.41 request to a 1.50 daemon still sees the 1.42+ ping.
    assert behaves("ping-builder-and-swarm-headers", "1.41", daemon="1.50")
    assert not behaves("ping-builder-and-swarm-headers", "1.50", daemon="1.41")
    with pytest.raises(ValueError):
        behaves("ping-builder-and-swarm-headers", "1.41")
    with pytest.raises(KeyError):
        behaves("no-such-behaviour", "1.41")


def _run(s, version: str, name: str, tty: bool = False) -> str:
    status, _, body = s.request("POST", f"/v{version}/containers/create?name={name}",
                                {"Image": "busybox", "Cmd": ["echo", "hi"], "Tty": tty})
    assert status == 201, body
    cid = json.loads(body)["Id"]
    assert s.request("POST", f"/v{version}/containers/{cid}/start")[0] == 204
    status, _, body = s.request("POST", f"/v{version}/containers/{cid}/wait")
    assert status == 200, body
    return cid


@pytest.fixture
def pulled(mockd_server):
    assert mockd_server.request("POST", "/v1.41/images/create?fromImage=busybox&tag=latest")[0] == 200
    return mockd_server


def test_logs_content_type_by_version(pulled):
    s = pulled
    plain = _run(s, "1.41", "logs-41")
    status, headers, body = s.request("GET", f"/v1.41/containers/{plain}/logs?stdout=1&stderr=1")
    assert status == 200 and "Content-Type" not in headers  # measured on dockerd 20.10: none at all
    assert demultiplex(body) == [(1, b"hi\n")]
    status, headers, body = s.request("GET", f"/v1.42/containers/{plain}/logs?stdout=1")
    assert headers["Content-Type"] == "application/vnd.docker.multiplexed-stream"
    tty = _run(s, "1.42", "logs-42-tty", tty=True)
    status, headers, body = s.request("GET", f"/v1.42/containers/{tty}/logs?stdout=1")
    assert headers["Content-Type"] == "application/vnd.docker.raw-stream" and body == b"hi\r\n"


def test_wait_omits_an_empty_error_on_engines_from_1_42(pulled):
    s = pulled  # the newest daemon: no Error key at any requested version (20.10's null: test_version_gate_requests)
    for version, expected in (("1.29", {"StatusCode": 0}), ("1.30", {"StatusCode": 0})):
        cid = _run(s, version, f"wait-{version}")
        status, _, body = s.request("POST", f"/v{version}/containers/{cid}/wait")
        assert (status, json.loads(body)) == (200, expected)


def test_volume_prune_by_version(mockd_server):
    s = mockd_server
    for version, pruned in (("1.41", ["named"]), ("1.42", [])):
        s.reset()
        assert s.request("POST", f"/v{version}/volumes/create", {"Name": "named"})[0] == 201
        status, _, body = s.request("POST", f"/v{version}/volumes/prune")
        assert status == 200 and (json.loads(body)["VolumesDeleted"] or []) == pruned, (version, body)


def test_image_list_filter_param_by_version(pulled):
    s = pulled
    assert s.request("POST", "/v1.41/images/create?fromImage=alpine&tag=latest")[0] == 200
    old = json.loads(s.request("GET", "/v1.40/images/json?filter=alpine")[2])
    assert [i["RepoTags"] for i in old] == [["alpine:latest"]]
    ignored = json.loads(s.request("GET", "/v1.41/images/json?filter=alpine")[2])
    assert len(ignored) == 2


def test_ping_headers_follow_the_daemon_version(mockd_factory):
    new, old = mockd_factory("--api-version", "1.44"), mockd_factory("--api-version", "1.41")
    headers = new.request("HEAD", "/v1.41/_ping")[1]
    assert headers["Builder-Version"] == "2" and headers["Swarm"] == "inactive"
    headers = old.request("HEAD", "/_ping")[1]
    assert "Builder-Version" not in headers and "Swarm" not in headers


def test_plain_text_errors_below_1_24(mockd_factory):
    s = mockd_factory("--min-api-version", "1.12")
    status, headers, body = s.request("GET", "/v1.23/containers/nope/json")
    assert (status, headers["Content-Type"], body) == (404, "text/plain; charset=utf-8", b"No such container: nope\n")
    status, headers, _ = s.request("GET", "/v1.24/containers/nope/json")
    assert (status, headers["Content-Type"]) == (404, "application/json")
