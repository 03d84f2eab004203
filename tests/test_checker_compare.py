"""apicheck compare: shapes, framing, workflows — and against real daemons (dockerd, Podman)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from checker.cli import main
from checker.compare.compare import _normalize, compare_step, framing
from checker.compare.run import run_compare
from checker.compare.shapes import diff_shapes, shape
from checker.compare.workflow import StepResult, WorkflowError, bundled_workflows, load_workflow, substitute
from checker.daemon.client import Response
from tests.realdaemons import Daemon, import_busybox, unix_http


def _resp(status: int, body: Any, headers: list[tuple[str, str]] | None = None) -> Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode() + b"\n"
    return Response("GET", "/v1.41/x", status, "", headers or [("Content-Type", "application/json")], data)


# --- shapes ------------------------------------------------------------------------------------------------


def test_shapes_compare_keys_types_and_nullability_not_values() -> None:
    ref = {"Id": "abc", "Size": 10, "Labels": None, "Mounts": [{"Type": "volume"}], "State": {"Running": True}}
    same_shape = {"Id": "def", "Size": 99, "Labels": None, "Mounts": [], "State": {"Running": False}}
    assert diff_shapes(shape(ref), shape(same_shape)) == []
    cand = {"Id": 5, "Labels": {}, "Mounts": [{"Type": "bind", "Extra": 1}], "State": {"Running": True}, "New": "x"}
    diffs = {(k, f) for k, f, _, _ in diff_shapes(shape(ref), shape(cand))}
    assert diffs == {("type", "Id"), ("missing-key", "Size"), ("nullability", "Labels"),
                     ("extra-key", "Mounts.Extra"), ("extra-key", "New")}


def test_list_items_seen_on_one_side_are_among_the_other_sides_shapes() -> None:
    """Images with and without digests on the reference, only undigested ones on the candidate: other data."""
    ref = [{"RepoDigests": ["busybox@sha256:1"]}, {"RepoDigests": None}]
    assert diff_shapes(shape(ref), shape([{"RepoDigests": None}])) == []
    assert diff_shapes(shape([{"RepoDigests": None}]), shape(ref)) == []
    # A shape the other side never has is still a difference.
    assert diff_shapes(shape(ref), shape([{"RepoDigests": "x"}, {"RepoDigests": None}])) == [
        ("type", "RepoDigests", "array|null", "null|string")]


def test_maps_keyed_by_data_are_not_key_sets() -> None:
    ref = {"Labels": {"com.example/a": "1"}}
    cand = {"Labels": {"org.other/b": "2"}}
    assert diff_shapes(shape(ref), shape(cand)) == []


def test_framing() -> None:
    assert framing(_resp(200, {"a": 1})) == "json + newline"
    assert framing(_resp(200, b'{"a":1}\r\n{"b":2}\r\n')) == "json-lines (\\r\\n)"
    assert framing(_resp(200, b"\x01\x00\x00\x00\x00\x00\x00\x02hi")) == "multiplexed"
    assert framing(_resp(200, b"")) == "empty"
    assert framing(_resp(200, b"hello")) == "raw"


def test_error_texts_are_compared_with_ids_normalized() -> None:
    cid = "a" * 64
    text = f'Conflict. The container name "/apicheck-r1a2b3c4d5-c" is already in use by container "{cid}".'
    assert _normalize(text, {"run": "r1a2b3c4d5", "cid": cid}) == 'Conflict. The container name "/apicheck-<run>-c" is already in use by container "<cid>".'
    assert _normalize("No such container: 0123456789ab", {}) == "No such container: <id>"


def test_compare_step_reports_status_headers_and_texts() -> None:
    wf = load_workflow("common")
    step = wf.steps[0]
    ref = StepResult(step, response=_resp(404, {"message": "No such container: x"}, [("Content-Type", "application/json"), ("Api-Version", "1.41")]))
    cand = StepResult(step, response=_resp(404, {"message": "no container with name x found"}, [("Content-Type", "application/json")]))
    diffs = {(d.what, d.name) for d in compare_step(ref, cand, {}, {})}
    assert diffs == {("header", "Api-Version"), ("error-text", "")}
    cand_ok = StepResult(step, response=_resp(200, {"Id": "x"}, [("Content-Type", "application/json"), ("Api-Version", "1.41")]))
    assert {(d.what, d.reference, d.candidate) for d in compare_step(ref, cand_ok, {}, {})} == {("status", "404", "200")}


# --- workflows ---------------------------------------------------------------------------------------------


def test_bundled_workflow_loads_and_uses_only_saved_variables() -> None:
    assert "common" in bundled_workflows()
    wf = load_workflow("common")
    assert len(wf.steps) > 30 and wf.cleanup
    saved = {"run", "image", "start", "now"}
    for step in wf.steps:
        text = json.dumps([step.path, step.query, step.body])
        import re

        for var in re.findall(r"\{([A-Za-z_]\w*)\}", text):
            assert var in saved, f"{step.name} uses {var} before any step saves it"
        saved |= set(step.save)


def test_user_workflow_files_are_checked(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("steps:\n  - {method: GET}\n")
    with pytest.raises(WorkflowError, match="method and path"):
        load_workflow(str(bad))
    typo = tmp_path / "typo.yaml"
    typo.write_text("steps:\n  - {method: GET, path: /version, sav: {x: y}}\n")
    with pytest.raises(WorkflowError, match="unknown keys"):
        load_workflow(str(typo))
    with pytest.raises(WorkflowError, match="neither a file nor a bundled workflow"):
        load_workflow("no-such-workflow")
    assert substitute({"a": ["{x}-1"]}, {"x": "v"}) == {"a": ["v-1"]}


# --- real daemons ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dockerd(real_dockerd: Daemon) -> Daemon:
    import_busybox(real_dockerd)
    return real_dockerd


@pytest.mark.realdaemon
def test_a_daemon_compared_with_itself_has_no_differences(dockerd: Daemon) -> None:
    """The control: nothing the comparison reports is noise from ids, times or sizes."""
    result = run_compare(dockerd.host, dockerd.host)
    assert result.version == "1.41"
    assert [d.line() for d in result.differences] == []
    assert all(r.response is not None for r in result.reference_run.results)
    # The cleanup ran and found nothing left (the workflow removes what it made).
    assert all(c.response is not None and c.response.status == 404 for c in result.reference_run.cleanup)


@pytest.mark.realdaemon
def test_podman_compared_with_dockerd(dockerd: Daemon, real_podman: Daemon) -> None:
    import_busybox(real_podman)
    result = run_compare(dockerd.host, real_podman.host)
    by = {(d.step, d.what, d.name): d for d in result.differences}
    print("\n".join(d.line() for d in result.differences))
    # Podman accepts a version above its maximum; dockerd refuses it.
    assert (by[("version too new", "status", "")].reference, by[("version too new", "status", "")].candidate) == ("400", "200")
    assert ("unknown path", "error-text", "") in by
    assert ("container inspect removed", "error-text", "") in by
    assert ("ping (HEAD)", "header", "Ostype") in by
    # By hand, for each of those.
    assert unix_http(real_podman.socket, "GET", "/v1.99/version")[0] == 200
    assert unix_http(dockerd.socket, "GET", "/v1.99/version")[0] == 400
    assert "ostype" not in {k.lower() for k in unix_http(real_podman.socket, "HEAD", "/_ping")[1]}


@pytest.mark.realdaemon
def test_compare_command(dockerd: Daemon, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    details = tmp_path / "details.json"
    rc = main(["compare", "--reference", dockerd.host, "--candidate", dockerd.host, "--format", "json",
               "--details", str(details)])
    out = capsys.readouterr().out
    assert rc == 0 and json.loads(out) == []
    data = json.loads(details.read_text())
    assert data["version"] == "1.41" and len(data["steps"]) == len(load_workflow("common").steps)
    assert main(["compare", "--reference", dockerd.host, "--candidate", dockerd.host, "--workflow", "nope"]) == 2
