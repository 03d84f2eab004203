"""apicheck diff / skew on the bundled versions: the issue's examples, the JSON format, the
changelog recall, the reporters and the CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

import specs
from checker.cli import main
from checker.diff import diff
from checker.rules import CHANGES
from checker.skew import behaviour_facts, skew

DATA = Path(__file__).resolve().parent.parent / "checker" / "data"
JSON_KEYS = {"from", "to", "method", "path", "location", "name", "change", "detail", "hazard", "source"}


def find(items, **want):
    return [f for f in items if all(getattr(f, k) == v for k, v in want.items())]


def test_container_create_gains_hostconfig_annotations_in_1_43() -> None:
    (f,) = find(diff("1.42", "1.43"), method="POST", path="/containers/create", name="HostConfig.Annotations")
    assert (f.location, f.kind, f.hazard) == ("body", "added", "newer-client")
    assert f.detail["after"]["type"] == "map[string]"


def test_virtualsize_deprecated_in_1_43_and_removed_in_1_44_with_history() -> None:
    (dep,) = find(diff("1.42", "1.43"), path="/images/json", name="VirtualSize", kind="deprecated")
    assert dep.location == "response" and dep.hazard == "newer-server"
    (rem,) = find(diff("1.43", "1.44"), path="/images/json", name="VirtualSize")
    assert rem.kind == "removed" and "history" not in rem.extra  # adjacent pair: no history
    # Non-adjacent: the net change is the removal, and the deprecation on the way is kept.
    (net,) = find(diff("1.42", "1.44"), path="/images/json", name="VirtualSize")
    assert net.kind == "removed"
    assert {"version": "1.43", "change": "deprecated"} in net.extra["history"]
    assert net.extra["history"][-1] == {"version": "1.44", "change": "removed"}
    assert find(diff("1.43", "1.44"), path="/images/{name}/json", name="VirtualSize", kind="removed")


def test_gwpriority_in_network_endpoint_settings_in_1_48() -> None:
    found = find(diff("1.47", "1.48"), kind="added")
    names = {(f.method, f.path, f.location, f.name) for f in found if f.name.endswith("GwPriority")}
    assert names == {
        ("POST", "/containers/create", "body", "NetworkingConfig.EndpointsConfig.GwPriority"),
        ("POST", "/networks/{id}/connect", "body", "EndpointConfig.GwPriority"),
        ("GET", "/containers/json", "response", "NetworkSettings.Networks.GwPriority"),
        ("GET", "/containers/{id}/json", "response", "NetworkSettings.Networks.GwPriority"),
        ("GET", "/system/df", "response", "Containers.NetworkSettings.Networks.GwPriority"),
    }
    assert all(f.extra["schema"] == "EndpointSettings" for f in found if f.name.endswith("GwPriority"))


def test_bind_options_read_only_non_recursive_full_dotted_name() -> None:
    assert find(diff("1.43", "1.44"), path="/containers/create", name="HostConfig.Mounts.BindOptions.ReadOnlyNonRecursive", kind="added")


def test_response_header_and_produced_content_types() -> None:
    items = diff("1.41", "1.42")
    (swarm,) = find(items, method="GET", path="/_ping", name="Swarm")
    assert (swarm.location, swarm.kind, swarm.extra["status"]) == ("response-header", "added", "200")
    (ct,) = find(items, method="GET", path="/containers/{id}/logs", location="response-header", name="Content-Type")
    assert ct.kind == "enum-changed" and "application/vnd.docker.multiplexed-stream" in ct.detail["added"]


def test_no_change_between_identical_documents() -> None:
    # Upstream's 1.32 and 1.33 documents declare the same API.
    assert specs.load("1.32").doc["components"] == specs.load("1.33").doc["components"]
    assert diff("1.32", "1.33") == []
    assert diff("1.44", "1.44") == []


def test_reverse_diff_swaps_directions() -> None:
    (f,) = find(diff("1.44", "1.43"), path="/images/json", name="VirtualSize")
    assert f.kind == "added" and f.to_dict()["from"] == "1.44"
    # Walking backwards, "added" is present in the older version only: it is still the older client
    # (1.43) on the newer daemon (1.44) that misses the field, exactly as in the forward diff.
    assert f.extra["effects"]["newer-server"] == "warning"
    (fwd,) = find(diff("1.43", "1.44"), path="/images/json", name="VirtualSize")
    assert fwd.extra["effects"] == {"newer-server": "warning"}


def test_bundled_spec_file_equals_bundled_version() -> None:
    path = specs.SPEC_DIR / "v1.43.json.gz"
    by_file = [(f.method, f.path, f.location, f.name, f.kind) for f in diff(path, "1.44")]
    by_version = [(f.method, f.path, f.location, f.name, f.kind) for f in diff("1.43", "1.44")]
    assert by_file == by_version and by_file


def test_json_output_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "1.42", "1.44", "--format", "json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert isinstance(items, list) and items
    for item in items:
        assert JSON_KEYS <= set(item), item
        assert "history" in item
        assert item["change"] in CHANGES and item["hazard"] in ("newer-client", "newer-server", "both")
        assert item["location"] in ("endpoint", "query", "path", "header", "body", "response", "response-header")
        assert set(item["detail"]) >= {"before", "after"}
        assert not item["path"].startswith("/v1.")
    assert main(["diff", "1.43", "1.44", "--format", "json"]) == 0
    adjacent = json.loads(capsys.readouterr().out)
    assert adjacent and all("history" not in i for i in adjacent)


def test_markdown_and_junit(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "1.47", "1.48", "--format", "markdown"]) == 0
    md = capsys.readouterr().out
    assert "### `POST /build/prune`" in md and "### Shared schemas" in md and "`EndpointSettings.GwPriority`" in md
    assert main(["diff", "1.43", "1.44", "--format", "junit", "--fail-on", "warning"]) == 1
    root = ET.fromstring(capsys.readouterr().out)
    cases = root.findall(".//testcase")
    failures = root.findall(".//failure")
    assert cases and failures and int(root.get("failures")) == len(failures) < len(cases)
    assert main(["skew", "--client", "1.42", "--server", "1.44", "--format", "html", "--fail-on", "none"]) == 0
    page = capsys.readouterr().out
    assert page.startswith("<!doctype html>") and "no longer returns" in page and "<script" not in page


def test_skew_is_direction_aware() -> None:
    newer_client = skew("1.44", "1.42", behaviour=False)
    assert newer_client and all(f.hazard == "newer-client" for f in newer_client)
    assert find(newer_client, path="/containers/create", name="HostConfig.Mounts.BindOptions.ReadOnlyNonRecursive")
    assert not find(newer_client, name="VirtualSize")  # a newer client not knowing a field is harmless
    newer_server = skew("1.42", "1.44", behaviour=False)
    (vs,) = find(newer_server, path="/images/json", name="VirtualSize")
    assert vs.kind == "removed" and "no longer returns" in vs.extra["message"]
    assert vs.extra["client"] == "1.42" and vs.extra["server"] == "1.44"
    assert skew("1.44", "1.44") == []


def test_skew_reports_changelog_behaviour() -> None:
    found = [f for f in skew("1.43", "1.41") if f.source == "changelog"]
    assert any(f.path == "/volumes/prune" and f.severity == "error" for f in found)
    assert all(f.hazard == "newer-client" for f in found)
    older = [f for f in skew("1.41", "1.43") if f.source == "changelog"]
    assert any(f.name == "BuilderSize" for f in older)
    assert not [f for f in skew("1.43", "1.44") if f.source == "changelog"]


def test_skew_exit_code_gates_on_severity(capsys: pytest.CaptureFixture[str]) -> None:
    # An older client on a newer daemon that removed endpoints: errors.
    assert main(["skew", "--client", "1.25", "--server", "1.56"]) == 1
    assert main(["skew", "--client", "1.25", "--server", "1.56", "--fail-on", "none"]) == 0
    assert main(["skew", "--client", "1.32", "--server", "1.33", "--fail-on", "info"]) == 0  # identical documents
    capsys.readouterr()
    assert main(["skew", "--client", "1.44", "--server", "1.43", "--fail-on", "warning", "--format", "json"]) == 1
    items = json.loads(capsys.readouterr().out)
    assert items and all(i["hazard"] == "newer-client" and i["client"] == "1.44" and i["message"] for i in items)


def test_cli_errors_are_reported_not_raised(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "1.41", "9.99"]) == 2
    assert "no bundled API document" in capsys.readouterr().err
    assert main(["skew", "--client", "nonsense", "--server", "1.41"]) == 2
    assert main(["matrix", "--min", "1.99"]) == 2


# --- changelog recall -----------------------------------------------------------------------------

def _facts() -> list[dict[str, str]]:
    with open(DATA / "changelog_facts.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_changelog_fact_table_is_large_and_well_formed() -> None:
    facts = _facts()
    assert len(facts) >= 60
    versions = specs.versions()
    for fact in facts:
        assert fact["version"] in versions[1:] and fact["change"] in CHANGES, fact
        assert fact["location"] in ("endpoint", "query", "path", "header", "body", "response", "response-header")
    assert len({tuple(f.values()) for f in facts}) == len(facts)
    assert behaviour_facts() and all(f.version in versions for f in behaviour_facts())


def test_recall_on_changelog_facts_is_complete() -> None:
    """Each spec-visible changelog fact is reported by the adjacent diff of its version."""
    versions = specs.versions()
    cache: dict[str, list] = {}
    missed = []
    for fact in _facts():
        v = fact["version"]
        items = cache.setdefault(v, diff(versions[versions.index(v) - 1], v))
        hit = [f for f in items if (f.method, f.path, f.location, f.kind) == (fact["method"], fact["path"], fact["location"], fact["change"])
               and (f.name == fact["name"] or fact["name"] in f.extra.get("fields", ()))]
        if not hit:
            missed.append(fact)
    recall = 1 - len(missed) / len(_facts())
    assert recall == 1.0, missed
