"""``apicheck compare`` end to end: one workflow against a reference and a candidate daemon."""

from __future__ import annotations

from dataclasses import dataclass

import specs
from checker.compare.compare import Difference, compare_runs, to_findings
from checker.compare.workflow import Workflow, WorkflowRun, load_workflow, run_workflow
from checker.daemon.client import DaemonClient
from checker.daemon.handshake import Handshake, handshake
from specs.findings import Finding


@dataclass
class CompareResult:
    workflow: Workflow
    version: str
    reference: Handshake
    candidate: Handshake
    reference_run: WorkflowRun
    candidate_run: WorkflowRun
    differences: list[Difference]

    @property
    def findings(self) -> list[Finding]:
        return to_findings(self.workflow, self.reference_run, self.differences)


def run_compare(reference: str, candidate: str, workflow: str = "common", api_version: str | None = None,
                image: str = "busybox:latest", timeout: float = 60.0) -> CompareResult:
    wf = load_workflow(workflow)
    ref_client, cand_client = DaemonClient(reference, timeout=timeout), DaemonClient(candidate, timeout=timeout)
    ref_hs, cand_hs = handshake(ref_client), handshake(cand_client)
    version = api_version or min(ref_hs.max_version, cand_hs.max_version, key=specs.version_key)
    ref_run = run_workflow(ref_client, wf, version, {"image": image})
    cand_run = run_workflow(cand_client, wf, version, {"image": image})
    return CompareResult(wf, version, ref_hs, cand_hs, ref_run, cand_run, compare_runs(wf, ref_run, cand_run))
