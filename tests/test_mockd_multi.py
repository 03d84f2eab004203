"""One mockd process, several impersonated daemons (mockd/multi.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from mockd.cli import build_parser, config_from_args
from mockd.multi import daemon_configs, plan_argvs, spec_argv
from mockd.pytest_plugin import unix_request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_spec_strings_become_mockd_arguments():
    assert spec_argv("unix:///tmp/a.sock,api=1.41,strict") == ["-H", "unix:///tmp/a.sock", "--api-version", "1.41", "--strict"]
    assert spec_argv("unix:///a,engine=29.0,min-api=1.44,seed=s.yaml") == [
        "-H", "unix:///a", "--engine-version", "29.0", "--min-api-version", "1.44", "--seed", "s.yaml"]


def test_daemon_options_override_the_process_wide_ones(tmp_path):
    parser = build_parser()
    base = parser.parse_args(["--strict", "--api-version", "1.44"])
    configs = daemon_configs(parser, base, [spec_argv("unix:///x/a.sock"), spec_argv("unix:///x/b.sock,api=1.30")],
                             config_from_args)
    assert [(c.hosts, c.api_version, c.strict) for c in configs] == [
        (["unix:///x/a.sock"], "1.44", True), (["unix:///x/b.sock"], "1.30", True)]


def test_plan_file_json_and_yaml(tmp_path):
    (tmp_path / "p.json").write_text(json.dumps({"defaults": {"experimental": True}, "daemons": [
        {"host": "unix:///x/a.sock", "api": "1.41"}, "unix:///x/b.sock,engine=25.0"]}))
    (tmp_path / "p.yaml").write_text("daemons:\n  - {host: [unix:///x/c.sock, tcp://127.0.0.1:1], api: '1.50'}\n")
    parser = build_parser()
    configs = daemon_configs(parser, parser.parse_args([]),
                             plan_argvs(tmp_path / "p.json") + plan_argvs(tmp_path / "p.yaml"), config_from_args)
    assert [c.bounds().max_api for c in configs] == ["1.41", "1.44", "1.50"]
    assert [c.experimental for c in configs] == [True, True, False]
    assert configs[2].hosts == ["unix:///x/c.sock", "tcp://127.0.0.1:1"]


@pytest.mark.parametrize("argvs, message", [
    ([["--api-version", "1.41"]], "no listener"),
    ([["-H", "unix:///x/a"], ["-H", "unix:///x/a"]], "given to daemons 1 and 2"),
    ([["-H", "unix:///x/a", "--record", "/tmp/r.jsonl"], ["-H", "unix:///x/b", "--record", "/tmp/r.jsonl"]], "own record"),
    ([["-H", "unix:///x/a", "--api-version", "1.99"]], "no API document"),
    ([["-H", "tcp://127.0.0.1:1", "--control-on-tcp"], ["-H", "tcp://127.0.0.1:2", "--control-on-tcp"]], "token file"),
])
def test_bad_plans_are_usage_errors(argvs, message):
    parser = build_parser()
    with pytest.raises(ValueError, match=message):
        daemon_configs(parser, parser.parse_args([]), argvs, config_from_args)


def test_cli_usage_error_exits_2():
    proc = subprocess.run([sys.executable, "-m", "mockd.cli", "--daemon", "api=1.41"], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": ROOT}, timeout=60)
    assert proc.returncode == 2 and "no listener" in proc.stderr


def test_one_process_serves_separate_daemons(tmp_path):
    a, b = str(tmp_path / "a.sock"), str(tmp_path / "b.sock")
    record = tmp_path / "b.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "mockd.cli", "--log-level", "warning",
                             "--daemon", f"unix://{a},api=1.41", "--daemon", f"unix://{b},engine=29.0,record={record}"],
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": ROOT})
    try:
        assert proc.stdout is not None
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "daemons ready" in line or not line:
                break
        assert lines[-1].strip() == "mockd: 2 daemons ready", lines
        version_a = json.loads(unix_request(a, "GET", "/version")[2])
        version_b = json.loads(unix_request(b, "GET", "/version")[2])
        assert (version_a["ApiVersion"], version_a["MinAPIVersion"]) == ("1.41", "1.24")
        assert (version_b["ApiVersion"], version_b["MinAPIVersion"], version_b["Version"]) == ("1.52", "1.44", "29.0.0")
        # Each daemon has its own state: a volume made on one is not on the other.
        assert unix_request(a, "POST", "/v1.41/volumes/create", {"Name": "only-a"})[0] == 201
        names_a = [v["Name"] for v in json.loads(unix_request(a, "GET", "/v1.41/volumes")[2])["Volumes"]]
        names_b = [v["Name"] for v in json.loads(unix_request(b, "GET", "/v1.44/volumes")[2])["Volumes"] or []]
        assert names_a == ["only-a"] and names_b == []
        assert unix_request(b, "GET", "/v1.41/version")[0] == 400  # below Engine 29's floor
        lines = [json.loads(x) for x in record.read_text().splitlines()]
        assert [(x["path"], x["status"]) for x in lines] == [("/version", 200), ("/v1.44/volumes", 200), ("/v1.41/version", 400)]
    finally:
        proc.terminate()
        proc.wait(10)
    assert not os.path.exists(a) and not os.path.exists(b)
