"""The spec store: generated documents, converter, loader, path matching, versions."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import yaml
from openapi_spec_validator import validate

import specs
from specs.build import build, convert_document, convert_schema, is_deprecation

UPSTREAM = Path(__file__).resolve().parent.parent.parent / "shared" / "docker-api"
needs_upstream = pytest.mark.skipif(not UPSTREAM.is_dir(), reason=f"upstream documents not found at {UPSTREAM}")


def test_all_bundled_versions_are_there_in_numeric_order() -> None:
    assert specs.versions() == [f"1.{n}" for n in range(25, 57)]
    assert specs.latest() == "1.56"


@pytest.mark.parametrize("version", [f"1.{n}" for n in range(25, 57)])
def test_generated_document_is_valid_openapi(version: str) -> None:
    doc = specs.load(version).doc
    assert doc["openapi"].startswith("3.0")
    assert doc["servers"] == [{"url": f"/v{version}"}]
    assert not any(p.startswith("/v1.") for p in doc["paths"])
    validate(doc)


def test_prose_is_dropped_but_structure_kept() -> None:
    text = gzip.decompress((specs.SPEC_DIR / "v1.41.json.gz").read_bytes()).decode()
    assert '"description":""' in text  # OpenAPI requires a response description: kept empty
    assert '"description":"' + "Kernel" not in text
    assert '"summary"' not in text
    spec = specs.load("1.41")
    create = spec.operation("POST", "/containers/create")
    assert create.operation_id == "ContainerCreate"
    assert create.request_body["required"] is True
    assert set(create.request_body["content"]) == {"application/json", "application/octet-stream"}
    name = create.parameters_in("query")["name"]
    assert name["schema"] == {"type": "string", "pattern": "^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$"}
    logs = spec.operation("GET", "/containers/{id}/logs")
    assert logs.parameters_in("query")["tail"]["schema"]["default"] == "all"
    assert set(spec.operation("GET", "/images/get").produces) == {"application/x-tar"}
    ping = spec.operation("GET", "/_ping")
    assert "Api-Version" in ping.responses["200"]["headers"]
    assert spec.schemas["ContainerSummary"]["example"] if "example" in spec.schemas["ContainerSummary"] else True


def test_collection_format_becomes_style_and_explode() -> None:
    spec = specs.load("1.41")
    save = spec.operation("GET", "/images/get").parameters_in("query")["names"]
    assert save["schema"]["type"] == "array" and save["x-collection-format"] == "csv"
    assert (save["style"], save["explode"]) == ("form", False)
    build_op = spec.operation("POST", "/build").parameters_in("query")["extrahosts"]
    assert build_op["schema"]["type"] == "string"


def test_old_list_types_become_anyof() -> None:
    cmd = specs.load("1.25").flatten(specs.load("1.25").schemas["Config"])["properties"]["Cmd"]
    assert {b["type"] for b in cmd["anyOf"]} == {"array", "string"}


@needs_upstream
def test_converter_is_deterministic_and_matches_committed(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    build(UPSTREAM, first)
    build(UPSTREAM, second)
    names = sorted(p.name for p in first.iterdir())
    assert len(names) == 32
    for name in names:
        data = (first / name).read_bytes()
        assert data == (second / name).read_bytes(), name
        assert data == (specs.SPEC_DIR / name).read_bytes(), f"{name} differs from the committed document: run python -m specs.build"


# --- deprecations ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "Kernel memory limit.\n\n<p><br /></p>\n\n> **Deprecated**: This field is deprecated as the kernel 5.4 deprecated\n",
    "Deprecated: this field is kept for backward compatibility, and will be removed in API v1.44.",
    "Total size.\n\n**Deprecated**: this field is kept for backward compatibility, but\nwill be removed.",
])
def test_deprecation_statements_are_detected(text: str) -> None:
    assert is_deprecation(text)


@pytest.mark.parametrize("text", [
    "Name of the author that was specified when committing the image, or as\nspecified through MAINTAINER (deprecated) in the Dockerfile.",
    "Version of the builder backend to use.\n\n- `1` is the first generation classic (deprecated) builder in the Docker daemon (default)\n- `2` is BuildKit",
    "The `is-automated` filter is deprecated. The `is_automated` field has",
    None,
])
def test_mentions_of_deprecated_things_are_not_deprecations(text: str | None) -> None:
    assert not is_deprecation(text)


def test_mentions_do_not_mark_fields_in_the_documents() -> None:
    spec = specs.load("1.43")
    author = spec.flatten(spec.schemas["ImageInspect"])["properties"]["Author"]
    assert "deprecated" not in author
    version_param = spec.operation("POST", "/build").parameters_in("query")["version"]
    assert "deprecated" not in version_param
    assert version_param["schema"]["enum"] == ["1", "2"]


def _create_field(version: str, name: str) -> dict:
    spec = specs.load(version)
    body = spec.flatten(spec.operation("POST", "/containers/create").request_schema())
    return body["properties"]["HostConfig"]["properties"].get(name, {})


def test_known_deprecations_are_flags() -> None:
    assert not _create_field("1.40", "KernelMemory").get("deprecated")
    assert _create_field("1.41", "KernelMemory").get("deprecated") is True
    assert _create_field("1.42", "KernelMemory") == {}  # removed after its deprecation
    for version in ("1.43",):
        spec = specs.load(version)
        images = spec.flatten(spec.operation("GET", "/images/json").response_schema(200))
        assert images["items"]["properties"]["VirtualSize"]["deprecated"] is True
        inspect = spec.flatten(spec.operation("GET", "/images/{name}/json").response_schema(200))
        assert inspect["properties"]["VirtualSize"]["deprecated"] is True
    spec = specs.load("1.42")
    assert not spec.flatten(spec.operation("GET", "/images/json").response_schema(200))["items"]["properties"]["VirtualSize"].get("deprecated")
    spec = specs.load("1.44")
    assert "VirtualSize" not in spec.flatten(spec.operation("GET", "/images/json").response_schema(200))["items"]["properties"]
    session = specs.load("1.56").operation("POST", "/session")
    assert session.deprecated


# --- nullable next to $ref ------------------------------------------------------------------------


def test_nullable_ref_is_wrapped() -> None:
    converted = convert_schema({"$ref": "#/definitions/X", "x-nullable": True, "description": "d"})
    assert converted == {"anyOf": [{"$ref": "#/components/schemas/X"}, {"nullable": True, "enum": [None]}]}
    assert convert_schema({"type": "string", "x-nullable": True}) == {"type": "string", "nullable": True}


def test_openapi_core_honours_nullable_refs() -> None:
    from openapi_core import OpenAPI
    from openapi_core.testing import MockRequest, MockResponse

    doc = convert_document(yaml.safe_load("""
swagger: "2.0"
basePath: /v9.1
info: {title: t, version: "9.1"}
definitions:
  Driver: {type: object, properties: {Name: {type: string}}}
  Thing:
    type: object
    properties:
      Plain: {$ref: "#/definitions/Driver"}
      Maybe: {$ref: "#/definitions/Driver", x-nullable: true}
paths:
  /thing:
    get:
      operationId: ThingGet
      produces: [application/json]
      responses:
        200: {description: ok, schema: {$ref: "#/definitions/Thing"}}
"""))
    api = OpenAPI.from_dict(doc)
    request = MockRequest("http://x", "get", "/v9.1/thing")

    def ok(body: dict) -> bool:
        response = MockResponse(json.dumps(body).encode(), status_code=200, content_type="application/json")
        try:
            api.validate_response(request, response)
        except Exception:
            return False
        return True

    assert ok({"Maybe": None, "Plain": {"Name": "a"}})
    assert ok({"Maybe": {"Name": "a"}})
    assert not ok({"Plain": None})  # not nullable: still rejected
    assert not ok({"Maybe": {"Name": 3}})  # the ref is still checked


def test_compiled_validators_get_null_in_the_type() -> None:
    from specs.validation import to_json_schema

    node = {"anyOf": [{"type": "object", "properties": {"A": {"type": "string"}}}, {"nullable": True, "enum": [None]}]}
    out = to_json_schema(node, loose=False)
    assert out["type"] == ["object", "null"]
    assert out["additionalProperties"] is False
    assert to_json_schema({"type": "integer", "nullable": True}, loose=False)["type"] == ["integer", "null"]


# --- loader ---------------------------------------------------------------------------------------


def test_versions_order_numerically_and_reject_garbage() -> None:
    assert specs.version_key("1.9") < specs.version_key("1.10")
    assert sorted(["1.10", "1.9", "1.41", "1.100"], key=specs.version_key) == ["1.9", "1.10", "1.41", "1.100"]
    assert specs.normalize("v1.041") == "1.41"
    for bad in ("1.4a", "latest", "1", "", "1.41.0"):
        with pytest.raises(specs.InvalidVersion):
            specs.parse_version(bad)
    with pytest.raises(specs.UnknownVersion):
        specs.load("1.99")


def test_load_is_cached_and_old_versions_use_the_oldest_document() -> None:
    assert specs.load("1.41") is specs.load("v1.41")
    assert specs.for_request("1.24") is specs.load("1.25")
    assert specs.for_request("1.12") is specs.load("1.25")
    assert specs.for_request("1.44") is specs.load("1.44")


@pytest.mark.parametrize(("method", "path", "operation_id", "params"), [
    ("GET", "/containers/abc123/json", "ContainerInspect", {"id": "abc123"}),
    ("GET", "/containers/json", "ContainerList", {}),
    ("POST", "/containers/create", "ContainerCreate", {}),
    ("GET", "/images/json", "ImageList", {}),
    ("GET", "/images/docker.io/library/busybox:latest/json", "ImageInspect", {"name": "docker.io/library/busybox:latest"}),
    ("DELETE", "/images/registry:5000/team/app:1.0", "ImageDelete", {"name": "registry:5000/team/app:1.0"}),
    ("POST", "/images/busybox/tag", "ImageTag", {"name": "busybox"}),
    ("HEAD", "/containers/x/archive", "ContainerArchiveInfo", {"id": "x"}),
    ("PUT", "/containers/x/archive", "PutContainerArchive", {"id": "x"}),
    ("POST", "/exec/e1/start", "ExecStart", {"id": "e1"}),
    ("GET", "/volumes/myvol", "VolumeInspect", {"name": "myvol"}),
    ("POST", "/networks/n1/connect", "NetworkConnect", {"id": "n1"}),
    ("HEAD", "/_ping", "SystemPingHead", {}),
])
def test_path_templates_match_concrete_paths(method: str, path: str, operation_id: str, params: dict) -> None:
    found = specs.load("1.41").match(method, path)
    assert found is not None
    op, got = found
    assert (op.operation_id, got) == (operation_id, params)


def test_unknown_paths_and_methods_do_not_match() -> None:
    spec = specs.load("1.41")
    assert spec.match("GET", "/nope") is None
    assert spec.match("PATCH", "/containers/x/json") is None
    assert spec.match_path("/containers/x/json")  # the path exists, with another method


@needs_upstream
def test_load_file_takes_a_users_swagger_or_openapi_document(tmp_path: Path) -> None:
    raw = yaml.safe_load((UPSTREAM / "v1.56.yaml").read_text())
    raw["info"]["version"] = "1.57"
    raw["basePath"] = "/v1.57"
    raw["paths"]["/future"] = {"get": {"operationId": "Future", "responses": {"200": {"description": "ok"}}}}
    src = tmp_path / "v1.57.yaml"
    src.write_text(yaml.safe_dump(raw))
    spec = specs.load_file(src)
    assert spec.version == "1.57"
    assert spec.match("GET", "/future")[0].operation_id == "Future"
    assert specs.resolve(str(src)).version == "1.57"
    out = tmp_path / "v1.57.json"
    out.write_text(json.dumps(spec.doc))
    assert specs.load_file(out).operation("GET", "/future") is not None
    with pytest.raises(specs.InvalidVersion):
        specs.resolve(str(tmp_path / "missing.yaml"))
