"""Real clients under ``apicheck client``: docker-py and aiodocker over every version, both docker
CLIs (20.10 and 28.x) over 1.25..1.56, each running a short realistic workflow
(tests/client_workflows). What is asserted is what was checked true, finding by finding, against
the documents and, at 1.41, against real dockerd traffic (/work/reports/client-findings.md): only
these findings reach warning; the rest are info (empty Go zero values, deprecations)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / "tests" / "client_workflows"
CLI20, CLI28 = "/usr/bin/docker", "/usr/local/bin/docker"


def run(versions: str, *command: str, env: dict[str, str] | None = None) -> tuple[int, dict]:
    full = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    full.pop("DOCKER_HOST", None)
    proc = subprocess.run([sys.executable, "-m", "checker.cli", "client", "--server-version", versions,
                           "--format", "json", "--", *command], capture_output=True, text=True, env=full,
                          timeout=600, cwd="/tmp")
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def serious(report: dict) -> dict[tuple[str, str, str, str], list[str]]:
    """(kind, method, template, field) of every finding at warning or above -> the servers."""
    out: dict[tuple[str, str, str, str], list[str]] = defaultdict(list)
    for r in report["results"]:
        for f in r["findings"]:
            if f["severity"] != "info":
                key = (f["kind"], f["method"], f["path"], f["name"])
                if r["server"] not in out[key]:
                    out[key].append(r["server"])
    return dict(out)


def failed(report: dict) -> list[str]:
    return [r["server"] for r in report["results"] if not r["command"]["succeeded"]]


def versions(lo: int, hi: int) -> list[str]:
    return [f"1.{n}" for n in range(lo, hi + 1)]


@pytest.mark.parametrize("module, script", [("docker", "dockerpy_workflow.py"), ("aiodocker", "aiodocker_workflow.py")])
def test_python_clients_are_safe_everywhere(module, script):
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed")
    code, report = run("all", sys.executable, str(WORKFLOWS / script))
    assert (code, failed(report), serious(report)) == (0, [], {})
    for r in report["results"]:  # both negotiate from an unprefixed GET /version and then use the daemon's own
        assert r["version_choice"] == {"how": "negotiated", "prefixes": [r["api_version"]], "via": "GET /version"}


def test_docker_cli_28():
    if not os.access(CLI28, os.X_OK):
        pytest.skip(f"no {CLI28}")
    code, report = run("1.25..1.56", "sh", str(WORKFLOWS / "docker_cli.sh"), env={"DOCKER": CLI28})
    assert (code, failed(report), serious(report)) == (0, [], {})
    prefixes = {r["server"]: r["version_choice"]["prefixes"] for r in report["results"]}
    assert prefixes["1.41"] == ["1.41"] and prefixes["1.56"] == ["1.50"]  # CLI 28.2 speaks up to 1.50


def test_docker_cli_20():
    if not os.access(CLI20, os.X_OK) or shutil.which("sh") is None:
        pytest.skip(f"no {CLI20}")
    code, report = run("1.25..1.56", "sh", str(WORKFLOWS / "docker_cli.sh"), env={"DOCKER": CLI20})
    assert code == 3  # Engine 29's floor (1.44) refuses the 20.10 CLI's 1.41
    assert failed(report) == versions(52, 56)
    assert serious(report) == {
        ("refused-version", "GET", "/info", ""): versions(52, 56),
        ("refused-version", "POST", "/images/create", ""): versions(52, 56),
        # CLI 20 sends CheckDuplicate (deprecated 1.44, removed 1.46) under /v1.41/.
        ("removed-at-server", "POST", "/networks/create", "CheckDuplicate"): versions(46, 51),
    }
