"""The conformance command's committed pieces (tests/conformance/): its deselection list, its junit reading and
the clean daemon each suite starts on."""

from __future__ import annotations

import json
import textwrap

import pytest

from tests.bad_input_support import mockd_with_busybox
from tests.conformance.run import Result, parse_junit, read_deselect, regressions
from tests.conformance.targets import clear_containers
from tests.realdaemons import unix_http

# Why a test may be left out of the comparison: it cannot pass offline on any daemon (issue 13), or it would
# break the suite's later tests.
REASONS = ("registry:", "swarm churn:", "network access:", "host:", "session:")


def test_every_deselected_test_has_a_known_reason():
    listed = read_deselect()
    assert set(listed) == {"docker-py", "aiodocker"}
    for suite, entries in listed.items():
        nodes = [node for node, _ in entries]
        assert len(nodes) == len(set(nodes)), f"{suite}: listed twice"
        for node, reason in entries:
            assert node.startswith("tests/") and ".py" in node, node
            assert reason.startswith(REASONS), f"{suite} {node}: {reason!r}"


def test_a_line_without_a_reason_is_refused(tmp_path):
    path = tmp_path / "deselect.txt"
    path.write_text("docker-py tests/integration/api_swarm_test.py\n")
    with pytest.raises(ValueError, match="suite node-id"):
        read_deselect(path)


def test_junit_outcomes_and_the_failures_on_mockd(tmp_path):
    xml = textwrap.dedent("""\
        <testsuites><testsuite name="s">
          <testcase classname="tests.a.T" name="test_ok"/>
          <testcase classname="tests.a.T" name="test_bad"><failure message="assert 1 == 2">tb</failure></testcase>
          <testcase classname="tests.a.T" name="test_err"><error message="setup failed">tb</error></testcase>
          <testcase classname="tests.a.T" name="test_skip"><skipped message="no swarm"/></testcase>
        </testsuite></testsuites>""")
    (tmp_path / "j.xml").write_text(xml)
    got = parse_junit(tmp_path / "j.xml")
    assert {k: v.outcome for k, v in got.items()} == {
        "tests.a.T::test_ok": "passed", "tests.a.T::test_bad": "failed", "tests.a.T::test_err": "error",
        "tests.a.T::test_skip": "skipped"}
    base = {"tests.a.T::test_bad": Result("passed"), "tests.a.T::test_ok": Result("passed")}
    lines = regressions("s", ["dockerd", "mockd-1.41"], {"dockerd": base, "mockd-1.41": got})
    assert "### mockd-1.41: 1" in lines
    assert "- `tests.a.T::test_bad` (failed): assert 1 == 2" in lines


def test_each_suite_starts_on_a_daemon_with_no_containers():
    with mockd_with_busybox() as sock:
        made = []
        for name in ("running", "created", "exited"):
            status, _, body = unix_http(sock, "POST", f"/containers/create?name={name}",
                                        {"Image": "busybox:latest", "Cmd": ["sleep", "300"]})
            assert status == 201, body
            made.append(json.loads(body)["Id"])
        assert unix_http(sock, "POST", f"/containers/{made[0]}/start")[0] == 204
        assert unix_http(sock, "POST", f"/containers/{made[2]}/start")[0] == 204
        assert unix_http(sock, "POST", f"/containers/{made[2]}/stop?t=0")[0] == 204
        assert clear_containers(sock, "mockd") == 3
        assert json.loads(unix_http(sock, "GET", "/containers/json?all=1")[2]) == []
        assert clear_containers(sock, "mockd") == 0
