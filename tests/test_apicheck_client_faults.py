"""``apicheck client --faults FILE``: how a client behaves under a fault plan (retries, a crash, a hang), reported
through the one result model (JSON here; the text reporter once)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.test_apicheck_client import ROOT, apicheck

SAMPLE = [sys.executable, str(ROOT / "tests" / "sample_clients.py")]


def run(tmp_path: Path, plan: list, *command: str, extra: tuple[str, ...] = ()) -> tuple[int, dict]:
    path = tmp_path / "faults.yaml"
    path.write_text(json.dumps(plan))
    proc = apicheck("client", "--server-version", "1.44", "--format", "json", "--faults", str(path), *extra,
                    "--", *command)
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)["results"][0]


def kinds(result: dict) -> dict[str, dict]:
    return {f["kind"]: f for f in result["findings"] if f["kind"].startswith(("client-", "fault-"))}


def test_a_retrying_client_is_seen_retrying(tmp_path):
    code, result = run(tmp_path, [{"endpoint": "GET /containers/json", "kind": "error", "status": 503, "first": 2}],
                       *SAMPLE, "retry")
    found = kinds(result)
    assert code == 0 and result["command"]["succeeded"]
    assert found["fault-applied"]["requests"] == [1, 2]
    assert found["client-retried"]["requests"] == [2, 3]
    assert "client-crashed" not in found and "client-gave-up" not in found


def test_a_client_that_crashes_on_an_error_answer(tmp_path):
    code, result = run(tmp_path, ["endpoint=ContainerList,kind=error,status=500"], *SAMPLE, "naive")
    found = kinds(result)
    assert code == 1  # an error finding at the default --fail-on warning
    assert found["client-crashed"]["severity"] == "error"
    assert "RuntimeError: daemon said 500" in found["client-crashed"]["detail"]
    assert result["command"]["crash"].startswith("RuntimeError")


def test_a_client_that_waits_forever(tmp_path):
    seed = tmp_path / "seed.yaml"
    seed.write_text("images: [{ref: busybox}]\n")
    code, result = run(tmp_path, [{"operation": "ContainerWait", "kind": "hang"}], *SAMPLE, "wait",
                       extra=("--seed", str(seed), "--timeout", "4"))
    assert code == 1 and kinds(result)["client-hung"]["severity"] == "error"
    assert result["command"]["timed_out"]


def test_text_report_and_a_bad_plan(tmp_path):
    path = tmp_path / "faults.yaml"
    path.write_text("- {endpoint: ContainerList, kind: drop, first: 1}\n")
    proc = apicheck("client", "--server-version", "1.44", "--faults", str(path), "--", *SAMPLE, "retry")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "fault-applied" in proc.stdout and "client-retried" in proc.stdout
    path.write_text("- {endpoint: ContainerList, kind: explode}\n")
    proc = apicheck("client", "--server-version", "1.44", "--faults", str(path), "--", *SAMPLE, "retry")
    assert proc.returncode == 2 and "fault kind 'explode'" in proc.stderr
