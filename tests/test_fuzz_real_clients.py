"""Real clients under ``apicheck client --fuzz-responses``: docker-py, aiodocker, the docker CLI 28 and 20.10 and
docker-compose 1.29, each a short workflow (tests/fuzz_workflows) over the seeded state, a bounded number of
examples. Every failure found is in docs/fuzz-findings.md, judged there against the client's code; this test
holds the set: a new failure (a client bug, or mockd sending what no daemon sends) fails it until it is judged.
The five runs go in parallel (bounded: about a minute in all)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
W = ROOT / "tests" / "fuzz_workflows"
EXAMPLES = 2
CLIENTS = {  # name -> (server version, command, extra environment, what must be installed)
    "docker-py": ("1.41", [sys.executable, str(W / "dockerpy_read.py")], {}, "module:docker"),
    "aiodocker": ("1.44", [sys.executable, str(W / "aiodocker_read.py")], {}, "module:aiodocker"),
    "docker CLI 28": ("1.44", ["sh", str(W / "cli_read.sh")], {"DOCKER": "/usr/local/bin/docker"},
                      "file:/usr/local/bin/docker"),
    "docker CLI 20.10": ("1.41", ["sh", str(W / "cli_read.sh")], {"DOCKER": "/usr/bin/docker"},
                         "file:/usr/bin/docker"),
    "docker-compose 1.29": ("1.41", ["sh", str(W / "compose.sh")], {}, "which:docker-compose"),
}
# The failures docs/fuzz-findings.md judges: (client, endpoint, field with [*] for items, rule). None found so far.
KNOWN: set[tuple[str, str, str, str]] = set()


def missing(need: str) -> str | None:
    kind, what = need.split(":", 1)
    if kind == "module":
        return None if importlib.util.find_spec(what) else f"{what} is not installed"
    if kind == "file":
        return None if os.access(what, os.X_OK) else f"{what} is not installed"
    return None if shutil.which(what) else f"{what} is not on PATH"


def fuzz(name: str) -> dict:
    version, command, env, _ = CLIENTS[name]
    full = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    full.pop("DOCKER_HOST", None)
    proc = subprocess.run([sys.executable, "-m", "checker.cli", "client", "--server-version", version,
                           "--format", "json", "--fuzz-responses", "--seed", str(W / "seed.yaml"), "--fuzz-seed", "1",
                           "--examples", str(EXAMPLES), "--timeout", "60", "--", *command],
                          capture_output=True, text=True, env=full, timeout=300, cwd="/tmp")
    assert proc.stdout, proc.stderr
    return json.loads(proc.stdout)


@cache
def reports() -> dict[str, dict | str]:
    runnable = [n for n, c in CLIENTS.items() if missing(c[3]) is None]
    with ThreadPoolExecutor(max_workers=len(runnable) or 1) as pool:
        done = dict(zip(runnable, pool.map(fuzz, runnable), strict=True))
    return {n: done.get(n) or str(missing(CLIENTS[n][3])) for n in CLIENTS}


@pytest.mark.parametrize("name", list(CLIENTS))
def test_real_client_under_fuzzed_answers(name):
    report = reports()[name]
    if isinstance(report, str):
        pytest.skip(report)
    [result] = report["results"]
    assert result["command"]["succeeded"], result["command"]  # the baseline: plain answers
    [note] = [n for n in report["notes"] if "fuzzed runs" in n]
    sent = int(re.search(r"(\d+) variations sent", note).group(1))
    assert f"{EXAMPLES} fuzzed runs" in note and sent > 10 * EXAMPLES, note  # the answers really were varied
    failures = {(name, f"{f['method']} {f['path']}", re.sub(r"\[\d+\]", "[*]", v["path"]), v["rule"])
                for f in result["findings"] if f["kind"] == "fuzz-client-failure" for v in f["variations"]}
    assert failures <= KNOWN, [f["detail"] for f in result["findings"] if f["kind"].startswith("fuzz-")]
