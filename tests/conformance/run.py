"""Conformance: run real clients' own integration suites against the real dockerd 20.10 and against mockd, in one
run, and print each test's outcome per daemon (issue 13). Not part of CI: the suites are third-party code that
the user brings (never vendored here), and the real dockerd needs root.

    python tests/conformance/run.py --docker-py /work/ext/docker-py --aiodocker auto [--versions 1.41,newest]

- ``--docker-py PATH``: a checkout of docker/docker-py at tag 7.2.0; its ``tests/integration`` is run.
- ``--aiodocker PATH|auto``: an unpacked aiodocker 0.26.0 sdist; ``auto`` downloads it with pip into ``--ext``.
- ``--versions``: the mockd API versions to compare (``newest`` = mockd's default), beside dockerd.
- The suites' own requirements are installed into a virtualenv (``--venv``, default ``<ext>/conformance-venv``).
- Tests that cannot pass offline on any daemon are deselected from ``tests/conformance/deselect.txt``.
- Per suite and daemon one junit-xml file; the table and totals go to stdout and, with ``--report``, Markdown.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.conformance.targets import Target, clear_containers, start_mockd, start_real_dockerd  # noqa: E402

HERE = Path(__file__).resolve().parent
DESELECT = HERE / "deselect.txt"
AIODOCKER_VERSION = "0.26.0"
# What the two suites import beyond the library under test (their pyproject's test extras, minus coverage).
REQUIREMENTS = ["pytest==9.0.2", "pytest-timeout", "requests", "urllib3", "paramiko", "websocket-client",
                "aiohttp>=3.10", "async-timeout~=5.0.1", "packaging", "pytest-asyncio==1.3.0",
                "testcontainers==4.14.0", "asyncssh"]
OUTCOMES = ("passed", "failed", "error", "skipped")


@dataclass
class Suite:
    name: str
    root: Path  # the pytest rootdir; on sys.path first so the checkout's library is the one imported
    tests: str  # the test path inside root


@dataclass
class Result:
    outcome: str
    message: str = ""


# --- preparation --------------------------------------------------------------------------------------------------


def ensure_venv(venv: Path) -> Path:
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating {venv} and installing the suites' requirements (pip)", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    missing = subprocess.run([str(python), "-c", "import pytest, pytest_timeout, requests, aiohttp, "
                              "pytest_asyncio, testcontainers, async_timeout, packaging"], capture_output=True)
    if missing.returncode != 0:
        subprocess.run([str(python), "-m", "pip", "install", "-q", *REQUIREMENTS], check=True)
    return python


def ensure_aiodocker(spec: str, ext: Path) -> Path:
    if spec != "auto":
        return Path(spec).resolve()
    root = ext / f"aiodocker-{AIODOCKER_VERSION}"
    if not (root / "tests").is_dir():
        dl = ext / "dl"
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                        f"aiodocker=={AIODOCKER_VERSION}", "-d", str(dl)], check=True)
        with tarfile.open(dl / f"aiodocker-{AIODOCKER_VERSION}.tar.gz") as tar:
            tar.extractall(ext, filter="data")
    return root


def read_deselect(path: Path = DESELECT) -> dict[str, list[tuple[str, str]]]:
    """``suite node-id-prefix | reason`` per line; ``#`` starts a comment line."""
    out: dict[str, list[tuple[str, str]]] = {}
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        head, sep, reason = line.partition(" | ")
        suite, _, node = head.strip().partition(" ")
        if not sep or not reason.strip() or not node.strip():
            raise ValueError(f"{path}: a line is `suite node-id | reason`: {line!r}")
        out.setdefault(suite, []).append((node.strip(), reason.strip()))
    return out


# --- running --------------------------------------------------------------------------------------------------------


def run_suite(python: Path, suite: Suite, target: Target, deselect: list[tuple[str, str]], out_dir: Path,
              extra: list[str], timeout: int) -> dict[str, Result]:
    junit = out_dir / f"{suite.name}-{target.name}.xml"
    # Each suite starts on a daemon with no containers, as its own CI gives it (the suites share one daemon).
    left = clear_containers(target.socket, target.name)
    if left:
        print(f"  {target.name}: removed {left} containers left by the suite before", file=sys.stderr)
    home = tempfile.mkdtemp(prefix="cfhome", dir="/tmp")
    config = os.path.join(home, ".docker")
    os.makedirs(config)
    # With no config file docker-py keeps its contexts in ./contexts of the working directory (the checkout),
    # where a failed run's leftovers break the next run: an empty config.json puts them in this run's dir.
    Path(config, "config.json").write_text("{}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCKER_", "PYTHON", "MOCKD_"))}
    env.update(HOME=home, DOCKER_HOST=target.host, DOCKER_CONFIG=config, DOCKER_TEST_API_VERSION=target.api_version,
               PYTHONPATH=str(suite.root), PYTHONDONTWRITEBYTECODE="1")
    argv = [str(python), "-m", "pytest", suite.tests, "-o", "addopts=", "-p", "no:cacheprovider", "-q",
            f"--junitxml={junit}", f"--timeout={timeout}", "-o", "junit_family=xunit2", "-rN",
            *[f"--deselect={node}" for node, _ in deselect], *extra]
    started = time.monotonic()
    log = out_dir / f"{suite.name}-{target.name}.log"
    with open(log, "wb") as fh:
        subprocess.run(argv, cwd=suite.root, env=env, stdout=fh, stderr=subprocess.STDOUT, check=False)
    shutil.rmtree(home, ignore_errors=True)
    print(f"  {suite.name} on {target.name}: {time.monotonic() - started:.0f}s (log {log})", file=sys.stderr)
    return parse_junit(junit)


def parse_junit(path: Path) -> dict[str, Result]:
    if not path.exists():
        return {}
    results: dict[str, Result] = {}
    for case in ET.parse(path).iter("testcase"):
        test_id = f"{case.get('classname')}::{case.get('name')}"
        outcome, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = {"failure": "failed"}.get(child.tag, child.tag)
                message = (child.get("message") or child.text or "").strip()
                break
        results[test_id] = Result(outcome, message)
    return results


# --- reporting ----------------------------------------------------------------------------------------------------


def short_reason(message: str, width: int = 160) -> str:
    line = " ".join(message.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def table(suite: str, columns: list[str], results: dict[str, dict[str, Result]]) -> list[str]:
    tests = sorted({t for r in results.values() for t in r})
    lines = [f"## {suite}", "", "| test | " + " | ".join(columns) + " |", "| --- |" + " --- |" * len(columns)]
    for test in tests:
        cells = [results[c].get(test, Result("—")).outcome for c in columns]
        lines.append(f"| `{test}` | " + " | ".join(cells) + " |")
    lines.append("| **totals** | " + " | ".join(
        ", ".join(f"{sum(1 for r in results[c].values() if r.outcome == o)} {o}" for o in OUTCOMES)
        for c in columns) + " |")
    return lines


def regressions(suite: str, columns: list[str], results: dict[str, dict[str, Result]]) -> list[str]:
    """Tests that pass on dockerd and do not pass on a mockd column, with the failure's first line."""
    lines = [f"## {suite}: passed on dockerd, not on mockd", ""]
    base = results.get("dockerd", {})
    for column in columns:
        if column == "dockerd":
            continue
        bad = sorted(t for t, r in base.items() if r.outcome == "passed"
                     and results[column].get(t, Result("missing")).outcome != "passed")
        lines.append(f"### {column}: {len(bad)}")
        lines += [f"- `{t}` ({results[column].get(t, Result('missing')).outcome}): "
                  f"{short_reason(results[column].get(t, Result('missing')).message)}" for t in bad]
        lines.append("")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docker-py", type=Path, help="a docker/docker-py checkout at tag 7.2.0")
    parser.add_argument("--aiodocker", help="an unpacked aiodocker 0.26.0 sdist, or `auto` to download it")
    parser.add_argument("--versions", default="1.41,newest", help="mockd API versions (comma-separated; empty: dockerd alone)")
    parser.add_argument("--ext", type=Path, default=Path("/work/ext"), help="where downloads and the venv go")
    parser.add_argument("--venv", type=Path, help="virtualenv for the suites (default <ext>/conformance-venv)")
    parser.add_argument("--out", type=Path, help="directory for junit-xml and logs (default: a temp dir)")
    parser.add_argument("--report", type=Path, help="write the Markdown table and the mockd failures here")
    parser.add_argument("--no-dockerd", action="store_true", help="compare mockd versions only (no root)")
    parser.add_argument("--timeout", type=int, default=120, help="per-test timeout, seconds")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --), e.g. -k exec")
    args = parser.parse_args(argv)
    # A stop by SIGTERM still runs the `finally` below: the daemons, their bridge and containers go.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))
    if not args.docker_py and not args.aiodocker:
        parser.error("give --docker-py and/or --aiodocker")
    args.ext.mkdir(parents=True, exist_ok=True)
    python = ensure_venv(args.venv or args.ext / "conformance-venv")
    suites: list[Suite] = []
    if args.docker_py:
        root = args.docker_py.resolve()
        if not (root / "tests" / "integration").is_dir():
            parser.error(f"{root} has no tests/integration: a docker/docker-py checkout is needed")
        suites.append(Suite("docker-py", root, "tests/integration"))
    if args.aiodocker:
        suites.append(Suite("aiodocker", ensure_aiodocker(args.aiodocker, args.ext), "tests"))
    deselect = read_deselect()
    out_dir = args.out or Path(tempfile.mkdtemp(prefix="conformance-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    targets: list[Target] = []
    try:
        if not args.no_dockerd:
            targets.append(start_real_dockerd(str(out_dir)))
        for version in filter(None, (v.strip() for v in args.versions.split(","))):  # "" = dockerd alone
            targets.append(start_mockd(version, str(out_dir)))
        report: list[str] = [f"# Conformance run {time.strftime('%Y-%m-%d %H:%M')}", "",
                             "daemons: " + ", ".join(f"{t.name} (API {t.api_version})" for t in targets), ""]
        failures: list[str] = []
        for suite in suites:
            results = {t.name: run_suite(python, suite, t, deselect.get(suite.name, []), out_dir,
                                         args.pytest_args, args.timeout) for t in targets}
            columns = [t.name for t in targets]
            lines = table(suite.name, columns, results)
            print("\n".join(lines) + "\n")
            report += [*lines, ""]
            if "dockerd" in results:
                failures += regressions(suite.name, columns, results)
        report += failures
        print("\n".join(failures))
        print(f"junit-xml and logs: {out_dir}", file=sys.stderr)
        if args.report:
            args.report.write_text("\n".join(report) + "\n")
    finally:
        for target in targets:
            target.stop()  # type: ignore[operator]
    return 0


if __name__ == "__main__":
    sys.exit(main())
