"""``apicheck daemon`` end to end: handshake, read-only probe, version sweep, write, skew and fuzz."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import specs
from checker.daemon.calls import CheckedCaller
from checker.daemon.classify import NEWER_KINDS
from checker.daemon.client import DaemonClient
from checker.daemon.discovery import discover
from checker.daemon.fuzz import FuzzResult, run_fuzz
from checker.daemon.fuzz_allow import AllowList
from checker.daemon.fuzz_every import VersionFuzz, run_fuzz_every
from checker.daemon.handshake import Handshake, handshake
from checker.daemon.negotiation import VersionAnswer, check_negotiation
from checker.daemon.probe import Probed, planned_count, probe_versions
from checker.daemon.skew import SkewResult, run_skew_probe
from checker.daemon.write import Sandbox, WriteResult, run_write_probe
from checker.report.common import version_ranges
from specs.findings import Finding

Progress = Callable[[str, int, int], None]  # (stage, done increment, new total or 0)


@dataclass
class DaemonOptions:
    host: str | None = None
    api_version: str | None = None
    write: bool = False
    image: str = "busybox:latest"
    fuzz: bool = False
    max_examples: int = 10
    time_limit: float = 60.0
    sweep: bool = True
    allow_registry: bool = False
    skew_from: str | None = None  # URL version of the skew probe (default: oldest documented in range)
    workers: int = 8
    timeout: float = 30.0
    every_operation: bool = False  # with fuzz: every operation, writes included (a throwaway mockd only)
    fuzz_versions: list[str] = field(default_factory=list)  # every-operation fuzzing at each (default: the checked one)
    allow_list: str | None = None  # the 5xx dockerd gives (default checker/data/fuzz_server_errors.yaml)
    only: frozenset[str] | None = None  # every-operation fuzzing of these "METHOD /template" only
    fuzz_seed: int | None = None  # every-operation fuzzing: cases derived from this (None: new ones each run)


@dataclass
class DaemonRun:
    handshake: Handshake
    ids: dict[str, list[str]] = field(default_factory=dict)
    probed: list[Probed] = field(default_factory=list)
    negotiation: list[Finding] = field(default_factory=list)
    answers: list[VersionAnswer] = field(default_factory=list)
    swept: list[str] = field(default_factory=list)
    write: WriteResult | None = None
    skew: list[SkewResult] = field(default_factory=list)
    fuzz: FuzzResult | None = None
    fuzz_every: list[VersionFuzz] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def findings(self) -> list[Finding]:
        out = list(self.negotiation)
        out += [f for p in self.probed for f in p.findings]
        if self.write is not None:
            out += self.write.findings
        out += [r.to_finding() for r in self.skew]
        if self.fuzz is not None:
            out += self.fuzz.findings
        for v in self.fuzz_every:
            out += v.findings
        return out

    @property
    def genuine(self) -> list[Finding]:
        return aggregate([f for f in self.findings if f.source != "wire-profile" and f.kind not in NEWER_KINDS])

    @property
    def looseness(self) -> list[Finding]:
        """Known looseness: Go encoding, and what real clients and daemons are known to send (wire profile)."""
        return aggregate([f for f in self.findings if f.source == "wire-profile"])

    @property
    def newer(self) -> list[Finding]:
        """Fields and shapes newer than the requested version, from a daemon that speaks a newer one:
        the hazard an older client meets (newer-server), not a departure."""
        return aggregate([f for f in self.findings if f.source != "wire-profile" and f.kind in NEWER_KINDS])

    def summary_rows(self) -> list[tuple[str, str]]:
        hs = self.handshake
        sent = [p for p in self.probed if p.status is not None]
        rows = [
            ("daemon", f"{hs.product} {hs.engine_version}"),
            ("API versions", f"{hs.min_version} .. {hs.max_version} (checked at {hs.used_version}, document {hs.spec_version})"),
            ("read-only probe", f"{len(sent)} requests, {sum(1 for p in self.probed if p.skipped)} skipped "
                                f"({self.timings.get('read-only', 0):.1f}s)"),
            ("versions swept", version_ranges(self.swept) if self.swept else "-"),
        ]
        if self.write is not None:
            rows.append(("write probe", f"{len(self.write.caller.results)} requests, steps {len(self.write.steps)}, "
                                        f"leftovers {len(self.write.leftovers)} ({self.timings.get('write', 0):.1f}s)"))
        if self.skew:
            counts = {c: sum(1 for r in self.skew if r.classification == c) for c in ("rejected", "honoured", "ignored", "unobservable")}
            rows.append(("skew probe", ", ".join(f"{v} {k}" for k, v in counts.items())))
        if self.fuzz is not None:
            rows.append(("fuzz", f"{self.fuzz.operations} operations, {self.fuzz.requests} requests "
                                 f"({self.fuzz.elapsed:.1f}s{', time limit reached' if self.fuzz.stopped_by_time else ''})"))
        for v in self.fuzz_every:
            rows.append((f"fuzz {v.version}", f"{v.operations} operations, {v.cases} cases ({v.elapsed:.1f}s): "
                                              f"{len(v.server_errors(False))} unexpected 5xx, {len(v.server_errors(True))} "
                                              f"5xx dockerd gives too, {len(v.schema_violations())} schema violations"
                                              + (f", {len(v.not_reached)} operations not reached" if v.not_reached else "")))
        genuine, loose = self.genuine, self.looseness
        by_sev = {s: sum(1 for f in genuine if f.severity == s) for s in ("error", "warning", "info")}
        rows.append(("genuine departures", f"{len(genuine)} ({by_sev['error']} error, {by_sev['warning']} warning, {by_sev['info']} info)"))
        rows.append(("newer than requested", f"{len(self.newer)} (newer-server hazard, reported separately)"))
        rows.append(("Go-encoding looseness", f"{len(loose)} (known, reported separately)"))
        for note in hs.notes:
            rows.append(("note", note))
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "handshake": self.handshake.to_dict(),
            "swept": self.swept,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "requests": [p.to_dict() for p in self.probed],
            "skew": [r.__dict__ for r in self.skew],
            "fuzz_every": [v.to_dict() for v in self.fuzz_every],
            "genuine": [f.to_dict() for f in self.genuine],
            "newer": [f.to_dict() for f in self.newer],
            "looseness": [f.to_dict() for f in self.looseness],
        }


def aggregate(findings: list[Finding]) -> list[Finding]:
    """One finding per (what, where), listing the versions it was seen at (the sweep repeats them)."""
    merged: dict[tuple[Any, ...], tuple[Finding, list[str], int]] = {}
    for f in findings:
        key = (f.kind, f.severity, f.method, f.path, f.location, f.name, f.source, f.extra.get("stage", "probe"),
               f.extra.get("bogus_id", False))
        if key in merged:
            first, versions, count = merged[key]
            version = f.extra.get("url_version") or f.api_version
            if version not in versions:
                versions.append(version)
            merged[key] = (first, versions, count + 1)
        else:
            merged[key] = (f, [f.extra.get("url_version") or f.api_version], 1)
    out = []
    for first, versions, count in merged.values():
        extra = dict(first.extra)
        if len(versions) > 1:
            extra["versions"] = sorted(versions, key=specs.version_key)
        if count > 1:
            extra["count"] = count
        out.append(dataclasses.replace(first, extra=extra))
    return out


def run_daemon_check(opts: DaemonOptions, progress: Progress | None = None) -> DaemonRun:
    client = DaemonClient(opts.host, timeout=opts.timeout)
    tick: Progress = progress or (lambda stage, done, total: None)
    t0 = time.monotonic()
    hs = handshake(client, opts.api_version)
    client.api_max = hs.max_version
    run = DaemonRun(hs)
    run.ids = discover(client, hs.used_version)
    if opts.fuzz and opts.every_operation:
        # A throwaway mockd: every operation is fuzzed (a superset of the probes), on a reset daemon per version.
        tick("fuzz", 0, 0)
        run.fuzz_every = run_fuzz_every(
            client, hs.product, opts.fuzz_versions or [hs.used_version], max_examples=opts.max_examples,
            time_limit=opts.time_limit, allow=AllowList.load(opts.allow_list), only=opts.only, seed=opts.fuzz_seed,
            progress=lambda n: tick("fuzz", n, 0))
        run.timings["total"] = time.monotonic() - t0
        return run
    run.negotiation, run.answers = check_negotiation(client, hs)

    versions = [hs.used_version]
    if opts.sweep:
        versions += [v for v in hs.documented_versions() if v != hs.used_version]
    tick("read-only probe", 0, sum(planned_count(v, run.ids, opts.allow_registry) for v in versions))
    run.probed = probe_versions(client, versions, run.ids, allow_registry=opts.allow_registry, workers=opts.workers,
                                progress=lambda n: tick("read-only probe", n, 0))
    run.swept = versions[1:]
    run.timings["read-only"] = time.monotonic() - t0

    if opts.write:
        t1 = time.monotonic()
        skew_from = opts.skew_from or _skew_version(hs)

        def inside(sb: Sandbox, caller: CheckedCaller) -> None:
            if skew_from and specs.compare(skew_from, hs.used_version) < 0:
                tick("skew probe", 0, 0)
                run.skew = run_skew_probe(client, sb, opts.image, skew_from, hs.used_version)
            if opts.fuzz:
                run.fuzz = _fuzz(client, opts, hs, run.ids, tick, sb)

        tick("write probe", 0, 0)
        run.write = run_write_probe(client, hs.used_version, opts.image, after_lifecycle=inside)
        run.timings["write"] = time.monotonic() - t1
    elif opts.fuzz:
        run.fuzz = _fuzz(client, opts, hs, run.ids, tick, None)
    run.timings["total"] = time.monotonic() - t0
    return run


def _skew_version(hs: Handshake) -> str | None:
    documented = hs.documented_versions()
    return documented[0] if documented else None


def _fuzz(client: DaemonClient, opts: DaemonOptions, hs: Handshake, ids: dict[str, list[str]], tick: Progress,
          sb: Sandbox | None) -> FuzzResult:
    tick("fuzz", 0, 0)
    return run_fuzz(
        client, hs.used_version, ids, max_examples=opts.max_examples, time_limit=opts.time_limit,
        write=sb is not None, sandbox_labels=sb.labels if sb else None,
        name_prefix=sb.name("fuzz") if sb else "apicheck-fuzz",
        on_created=(lambda kind, ident: sb.add(kind, ident)) if sb else None,
        sandbox_ids=_fuzz_targets(client, hs.used_version, opts.image, sb) if sb else None,
        progress=lambda n: tick("fuzz", n, 0),
    )


def _fuzz_targets(client: DaemonClient, version: str, image: str, sb: Sandbox) -> dict[str, list[str]]:
    """A running container, a volume and a network of the sandbox for the fuzzed writes to work on."""
    out: dict[str, list[str]] = {}
    body = {"Image": image, "Cmd": ["sleep", "300"], "Labels": sb.labels, "HostConfig": {"NetworkMode": "none"}}
    r = client.request("POST", "/containers/create", version=version, query={"name": sb.name("fuzz-target")}, body=body)
    cid = (r.json_or_none() or {}).get("Id") if r.status == 201 else None
    if cid:
        sb.add("container", cid)
        client.request("POST", f"/containers/{cid}/start", version=version)
        out["container"] = [cid]
    name = sb.name("fuzz-vol")
    if client.request("POST", "/volumes/create", version=version, body={"Name": name, "Labels": sb.labels}).status < 300:
        sb.add("volume", name)
        out["volume"] = [name]
    r = client.request("POST", "/networks/create", version=version,
                       body={"Name": sb.name("fuzz-net"), "Labels": sb.labels, "Internal": True})
    nid = (r.json_or_none() or {}).get("Id") if r.status < 300 else None
    if nid:
        sb.add("network", nid)
        out["network"] = [nid]
    return out
