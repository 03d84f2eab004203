"""``apicheck client --fuzz-responses``: the planted bugs of tests/sample_clients.py are caught, shrunk to the one
variation that breaks them, and the printed command line (with its --seed) reproduces them; a correct client passes;
the same seed gives the same run. Then the parts, without a daemon: the oracle, delta debugging, engine errors,
every reporter, and the rules' claims (each variation one a real daemon of that version may send)."""

from __future__ import annotations

import copy
import csv
import json
import shlex
import sys
from pathlib import Path

import pytest

import specs
from checker.client.fuzzing import FuzzOptions, Run, ddmin, failure, fuzz, reproduce_line
from checker.client.model import ClientReport, CommandOutcome, Exchange
from checker.client.report import REPORTERS
from checker.client.targets import parse
from mockd.variations import DATA, RULES, VALID, Fuzzer
from tests.test_apicheck_client import ROOT, apicheck

SAMPLE = [sys.executable, str(ROOT / "tests" / "sample_clients.py")]
SEED = """
images: [{ref: busybox}]
volumes: [{name: data}]
containers:
  - {name: web, image: busybox, state: running, volumes: ["data:/data"]}
  - {name: old, image: busybox, state: exited}
"""
FUZZ = ("--server-version", "1.44", "--fuzz-responses", "--fuzz-seed", "1", "--examples", "15", "--timeout", "30")


def fuzz_json(tmp_path: Path, mode: str, *extra: str) -> tuple[int, dict, list[dict]]:
    seed = tmp_path / "seed.yaml"
    seed.write_text(SEED)
    proc = apicheck("client", "--format", "json", "--seed", str(seed), *FUZZ, *extra, "--", *SAMPLE, mode)
    assert proc.stdout, proc.stderr
    result = json.loads(proc.stdout)["results"][0]
    return proc.returncode, result, [f for f in result["findings"] if f["kind"].startswith("fuzz-")]


def reproduce(line: str) -> tuple[int, list[dict]]:
    argv = shlex.split(line)
    assert argv[:2] == ["apicheck", "client"] and "--seed" in argv
    proc = apicheck(argv[1], "--format", "json", *argv[2:])
    assert proc.stdout, proc.stderr
    result = json.loads(proc.stdout)["results"][0]
    return proc.returncode, [f for f in result["findings"] if f["kind"].startswith("fuzz-")]


def only_failure(found: list[dict]) -> dict:
    assert len(found) == 1, [f["detail"] for f in found]
    return found[0]


def test_absent_field_bug_is_caught_shrunk_and_reproduced(tmp_path):
    code, result, found = fuzz_json(tmp_path, "absent-field")
    assert code == 1 and result["command"]["succeeded"]  # the baseline run (plain answers) passes
    f = only_failure(found)  # [0].SizeRw and [1].SizeRw: one bug, reported once
    assert f["kind"] == "fuzz-client-failure" and f["severity"] == "error"
    assert (f["method"], f["path"]) == ("GET", "/containers/json")
    [v] = f["variations"]  # shrunk to the single variation
    assert v["rule"] == "omitempty-drop" and v["path"].endswith("].SizeRw") and v["value"] == "<absent>"
    assert "KeyError: 'SizeRw'" in f["client_error"]
    assert f["variations_in_failing_run"] > 1 and 0 < f["shrink_reruns"] <= 30
    assert f["reproduce"] in f["detail"] and f"--fuzz-seed {f['seed']}" in f["reproduce"]
    code, again = reproduce(f["reproduce"])
    assert code == 1 and [g["variations"] for g in again] == [f["variations"]]
    assert again[0]["client_error"] == f["client_error"]


def test_enum_bug_is_caught_shrunk_and_reproduced(tmp_path):
    code, _, found = fuzz_json(tmp_path, "enum")
    f = only_failure(found)
    [v] = f["variations"]
    assert (v["rule"], v["value"]) == ("later-enum", "image") and v["path"].endswith(".Type")
    assert "ValueError: unknown mount type 'image'" in f["client_error"]
    code, again = reproduce(f["reproduce"])
    assert code == 1 and [g["variations"] for g in again] == [f["variations"]]


def test_correct_client_passes_and_the_same_seed_gives_the_same_run(tmp_path):
    code, result, found = fuzz_json(tmp_path, "correct")
    assert code == 0 and found == [], [f["detail"] for f in found]
    first = fuzz_json(tmp_path, "absent-field")[2]
    second = fuzz_json(tmp_path, "absent-field")[2]
    keys = ("seed", "variations", "variations_in_failing_run", "shrink_reruns", "reproduce")
    assert [{k: f[k] for k in keys} for f in first] == [{k: f[k] for k in keys} for f in second]


def test_invalid_mode_is_reported_apart(tmp_path):
    code, _, found = fuzz_json(tmp_path, "correct", "--fuzz-responses=invalid")
    assert found and all(f["kind"] == "fuzz-invalid-response" and f["severity"] == "info" for f in found)
    assert all(not v["valid"] for f in found for v in f["variations"])
    assert code == 0  # a client is not wrong to fail on what no daemon sends
    assert all("--fuzz-responses=invalid" in f["reproduce"] for f in found)


# --- the parts -------------------------------------------------------------------------------------------------


def outcome(code: int | None = 0, crash: str | None = None, timed_out: bool = False, stdout: str = "") -> CommandOutcome:
    return CommandOutcome(code, [crash] if crash else [], timed_out, 1.0, crash, stdout)


def test_the_differential_oracle():
    ok = outcome()
    assert failure(ok, outcome(), False) is None
    assert failure(ok, outcome(1), False) == "exit 1"
    assert failure(outcome(1), outcome(1), False) is None  # failed already without fuzzing
    assert failure(ok, outcome(1, "KeyError: 'x'"), False) == "crashed: KeyError: 'x'"
    assert failure(ok, outcome(None, timed_out=True), False).startswith("hung")
    assert failure(ok, outcome(stdout="other"), False) is None
    assert failure(ok, outcome(stdout="other"), True) == "printed a different result"


def test_ddmin_finds_the_one_and_the_pair_within_budget():
    items = [f"v{i}" for i in range(16)]
    assert ddmin(items, lambda s: "v11" in s, 30)[0] == ["v11"]
    assert ddmin(items, lambda s: "v11" in s, 30)[1] <= 8  # one cause: about 2 log2(n) reruns
    pair, spent = ddmin(items, lambda s: "v3" in s and "v12" in s, 60)
    assert sorted(pair) == ["v12", "v3"] and spent <= 60
    assert ddmin(items, lambda s: "v3" in s and "v12" in s, 2)[1] == 2  # the budget is kept


def fake_run(ids: list[str], code: int, status: int = 200) -> Run:
    variations = tuple({"id": i, "rule": i.rsplit(":", 1)[1], "path": i.split(":")[1], "value": "x", "valid": True}
                       for i in ids)
    return Run(outcome(code), [Exchange.from_record({"method": "GET", "path": "/v1.44/containers/json",
                                                      "status": status, "variations": variations}, 1)])


def test_fuzz_shrinks_and_leaves_the_engines_errors_out():
    target = parse("1.44")[0]
    bad = "ContainerList#1:[0].SizeRw:omitempty-drop"
    ids = [f"ContainerList#1:[{i}].Labels:go-nil-map" for i in range(5)] + [bad]
    calls = []

    def runner(settings):
        calls.append(settings)
        chosen = settings["only"] if settings.get("only") is not None else ids
        return fake_run(chosen, 1 if bad in chosen else 0)

    found, notes = fuzz(target, ["client"], FuzzOptions(examples=1), runner, fake_run([], 0))
    [f] = found
    assert [v["id"] for v in f.extra["variations"]] == [bad] and f.name == "[0].SizeRw"
    assert f.extra["reproduce"] == reproduce_line(target, ["client"], FuzzOptions(examples=1), 0, [bad])
    assert len(calls) - 1 == f.extra["shrink_reruns"] <= 30
    assert " --seed 0 --examples 1 --fuzz-only " in f.extra["reproduce"]  # no seed file: --seed N is the fuzz seed
    found, notes = fuzz(target, ["client"], FuzzOptions(examples=1), lambda s: fake_run(ids, 1, 500),
                        fake_run([], 0))
    assert found == [] and "the engine's error" in notes[0]


def test_every_reporter_shows_a_fuzz_finding():
    target = parse("1.44")[0]
    bad = "ContainerList#1:[0].SizeRw:omitempty-drop"
    found, _ = fuzz(target, ["client"], FuzzOptions(examples=1),
                    lambda s: fake_run([bad], 1), fake_run([], 0))
    from checker.client.analyze import analyze

    result = analyze(target, [], None, outcome())
    result.findings += found
    report = ClientReport("client", [result])
    for name, render in REPORTERS.items():
        text = render(report, "warning")
        assert "fuzz-client-failure" in text and "SizeRw" in text, name


# --- the rules: only what a real daemon of that version may send -------------------------------------------------


def test_every_rule_is_named_and_justified():
    for rule in RULES.values():
        assert rule.mode in ("valid", "invalid") and len(rule.why) > 30, rule.name
    assert {r.name for r in RULES.values() if r.mode == VALID} == {
        "omitempty-drop", "go-nil-slice", "go-nil-map", "empty-list", "empty-map", "later-field", "later-enum",
        "edge-text"}


def test_the_data_rows_name_real_fields_and_moby_code():
    for name in ("never_nil.csv", "version_hidden.csv", "omitempty.csv"):
        with open(DATA / name, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert rows, name
        for row in rows:
            assert (row.get("moby") or row.get("go") or "").strip(), (name, row)
            if "schema" in row:
                assert row["schema"] in specs.load(specs.latest()).doc["components"]["schemas"], (name, row)


CONTAINERS = [{"Id": "a" * 64, "Names": ["/web"], "Image": "busybox", "ImageID": "sha256:" + "b" * 64, "Command": "sh",
               "Created": 1, "Ports": [], "Labels": {}, "State": "exited", "Status": "Exited (0) 2 seconds ago",
               "SizeRw": 0, "HostConfig": {"NetworkMode": "default"}, "Mounts": [],
               "NetworkSettings": {"Networks": {"bridge": {"Links": None, "Aliases": None, "NetworkID": "n"}}}}]


def varied(version: str, seeds: range = range(200), body=CONTAINERS, op: str = "ContainerList"):
    for seed in seeds:
        fuzzer = Fuzzer()
        fuzzer.configure(seed, VALID, 0.5, None)
        answer = copy.deepcopy(body)
        yield answer, fuzzer.vary(answer, version=version, newest=specs.latest(), operation_id=op, status=200)


@pytest.mark.parametrize("version", ["1.41", "1.44", "1.51"])
def test_variations_stay_within_what_dockerd_sends(version):
    seen: set[str] = set()
    for answer, applied in varied(version):
        c = answer[0]
        seen |= {a.rule for a in applied}
        assert c["Id"] == "a" * 64 and c["Names"] == ["/web"] and c["State"] == "exited"  # the engine's state
        assert c["Status"] == "Exited (0) 2 seconds ago"  # the daemon's own text, never free text
        assert c["Ports"] == [] and c["Mounts"] == []  # slices dockerd always makes: never null
        assert "Health" not in c and "ImageManifestDescriptor" not in c  # cleared by dockerd below 1.52 / 1.48
        if version < "1.46":
            assert "Annotations" not in c["HostConfig"]
        for a in applied:
            assert a.valid and a.rule in RULES
            if a.rule == "omitempty-drop":
                assert a.path == "[0].SizeRw"  # omitempty in container.Summary and 0: the only one
    assert {"omitempty-drop", "go-nil-map", "empty-list"} <= seen


def test_a_shrinking_rerun_sends_the_very_same_values():
    for seed in range(30):
        fuzzer = Fuzzer()
        fuzzer.configure(seed, VALID, 0.5, None)
        full = copy.deepcopy(CONTAINERS)
        applied = fuzzer.vary(full, version="1.41", newest=specs.latest(), operation_id="ContainerList", status=200)
        for a in applied:
            fuzzer.configure(seed, VALID, 0.5, [a.id])
            alone = copy.deepcopy(CONTAINERS)
            [again] = fuzzer.vary(alone, version="1.41", newest=specs.latest(), operation_id="ContainerList",
                                  status=200)
            assert again.to_dict() == a.to_dict()
