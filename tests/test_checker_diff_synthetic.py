"""apicheck diff on small hand-made spec pairs: one test per kind of change, and no noise."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from checker.cli import main
from checker.diff import compare_views, diff
from checker.flatten import build_view
from specs.model import ApiSpec


def base_doc(version: str = "1.90") -> dict[str, Any]:
    """A tiny API: one create endpoint with an allOf body, a list endpoint, shared schemas."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": version},
        "paths": {
            "/things/create": {"post": {
                "operationId": "ThingCreate",
                "parameters": [{"name": "name", "in": "query", "schema": {"type": "string"}},
                               {"name": "mode", "in": "query", "schema": {"type": "string", "enum": ["a", "b"], "default": "a"}}],
                "requestBody": {"content": {"application/json": {"schema": {
                    "allOf": [{"$ref": "#/components/schemas/Config"},
                              {"type": "object", "properties": {"Host": {"$ref": "#/components/schemas/Host"}}}]}}}},
                "responses": {"201": {"description": "", "headers": {"X-Id": {"schema": {"type": "string"}}},
                                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Created"}}}}},
                "x-produces": ["application/json"], "x-consumes": ["application/json"],
            }},
            "/things/json": {"get": {
                "operationId": "ThingList",
                "responses": {"200": {"description": "", "content": {"application/json": {"schema": {
                    "type": "array", "items": {"$ref": "#/components/schemas/Thing"}}}}}},
                "x-produces": ["application/json"],
            }},
        },
        "components": {"schemas": {
            "Config": {"type": "object", "properties": {
                "Image": {"type": "string", "description": "the image"},
                "Tty": {"type": "boolean", "default": False},
                "Cmd": {"type": "array", "items": {"type": "string"}},
            }},
            "Host": {"type": "object", "properties": {
                "Mounts": {"type": "array", "items": {"type": "array", "items": {"$ref": "#/components/schemas/Mount"}}},
                "Networks": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/Endpoint"}},
                "Memory": {"type": "integer", "format": "int64"},
            }},
            "Mount": {"type": "object", "properties": {"Type": {"type": "string", "enum": ["bind", "volume"]},
                                                       "ReadOnly": {"type": "boolean"}}},
            "Endpoint": {"type": "object", "properties": {"IPAddress": {"type": "string"}}},
            "Created": {"type": "object", "required": ["Id"], "properties": {"Id": {"type": "string"},
                                                                             "Warnings": {"type": "array", "items": {"type": "string"}}}},
            "Thing": {"type": "object", "properties": {"Id": {"type": "string"},
                                                       "Host": {"$ref": "#/components/schemas/Host"},
                                                       "Size": {"type": "integer"}}},
        }},
    }


def changes(before: dict, after: dict) -> list[tuple]:
    va, vb = build_view(ApiSpec(before)), build_view(ApiSpec(after))
    return [(c.key.method, c.key.path, c.key.location, c.key.name, c.change) for c in compare_views(va, vb)]


def items(before: dict, after: dict) -> list:
    return compare_views(build_view(ApiSpec(before)), build_view(ApiSpec(after)))


S = lambda doc: doc["components"]["schemas"]  # noqa: E731
CREATE = ("POST", "/things/create")


def test_identical_documents_have_no_changes() -> None:
    assert changes(base_doc(), base_doc()) == []


def test_reordering_rewording_and_renamed_refs_are_no_change() -> None:
    after = base_doc()
    cfg = S(after)["Config"]
    cfg["properties"] = dict(reversed(list(cfg["properties"].items())))  # reordered properties
    cfg["properties"]["Image"]["description"] = "a reworded description"
    after["paths"]["/things/create"]["post"]["parameters"].reverse()  # reordered parameters
    after["paths"]["/things/create"]["post"]["parameters"][0]["schema"]["enum"] = ["b", "a"]  # reordered enum
    # The same shared schema under another name, reached through a different ref.
    S(after)["EndpointSettings"] = copy.deepcopy(S(after).pop("Endpoint"))
    S(after)["Host"]["properties"]["Networks"]["additionalProperties"]["$ref"] = "#/components/schemas/EndpointSettings"
    # An inline copy of a schema instead of a ref.
    S(after)["Thing"]["properties"]["Host"] = copy.deepcopy(S(after)["Host"])
    assert changes(base_doc(), after) == []


def test_field_added_inside_allof_member_and_inline_part() -> None:
    after = base_doc()
    S(after)["Config"]["properties"]["Annotations"] = {"type": "object", "additionalProperties": {"type": "string"}}
    after["paths"]["/things/create"]["post"]["requestBody"]["content"]["application/json"]["schema"]["allOf"][1][
        "properties"]["Platform"] = {"type": "string"}
    found = changes(base_doc(), after)
    assert (*CREATE, "body", "Annotations", "added") in found
    assert (*CREATE, "body", "Platform", "added") in found
    (annotations,) = [c for c in items(base_doc(), after) if c.key.name == "Annotations"]
    assert annotations.detail["after"]["type"] == "map[string]"
    assert annotations.effects == {"newer-client": "warning"}


def test_nested_arrays_are_transparent() -> None:
    after = base_doc()
    S(after)["Mount"]["properties"]["BindOptions"] = {"type": "object", "properties": {"NonRecursive": {"type": "boolean"}}}
    found = changes(base_doc(), after)
    # One item for the new object (its sub-field is folded into it), on every endpoint the schema reaches.
    assert (*CREATE, "body", "Host.Mounts.BindOptions", "added") in found
    assert ("GET", "/things/json", "response", "Host.Mounts.BindOptions", "added") in found
    assert not [c for c in found if c[3].endswith("NonRecursive")]
    (item,) = [c for c in items(base_doc(), after) if c.key.path == "/things/create"]
    assert item.fields == ("Host.Mounts.BindOptions.NonRecursive",)
    # A field added inside an existing nested object is its own item.
    later = copy.deepcopy(after)
    S(later)["Mount"]["properties"]["BindOptions"]["properties"]["ReadOnlyNonRecursive"] = {"type": "boolean"}
    assert (*CREATE, "body", "Host.Mounts.BindOptions.ReadOnlyNonRecursive", "added") in changes(after, later)


def test_map_values_are_transparent() -> None:
    after = base_doc()
    S(after)["Endpoint"]["properties"]["GwPriority"] = {"type": "integer"}
    found = changes(base_doc(), after)
    assert (*CREATE, "body", "Host.Networks.GwPriority", "added") in found
    assert ("GET", "/things/json", "response", "Host.Networks.GwPriority", "added") in found


def test_enum_values_added_and_removed() -> None:
    after = base_doc()
    S(after)["Mount"]["properties"]["Type"]["enum"] = ["bind", "tmpfs"]
    (item,) = [c for c in items(base_doc(), after) if c.key.path == "/things/create"]
    assert (item.key.name, item.change) == ("Host.Mounts.Type", "enum-changed")
    assert item.detail["added"] == ["tmpfs"] and item.detail["removed"] == ["volume"]
    # Request: new values hurt older daemons, dropped values hurt older clients.
    assert item.effects == {"newer-client": "warning", "newer-server": "warning"}
    (resp,) = [c for c in items(base_doc(), after) if c.key.path == "/things/json"]
    assert resp.effects == {"newer-server": "warning", "newer-client": "warning"}


def test_enum_on_query_parameter_and_default_change() -> None:
    after = base_doc()
    mode = after["paths"]["/things/create"]["post"]["parameters"][1]["schema"]
    mode["enum"] = ["a", "b", "c"]
    mode["default"] = "b"
    found = changes(base_doc(), after)
    assert (*CREATE, "query", "mode", "enum-changed") in found
    assert (*CREATE, "query", "mode", "default-changed") in found
    (default,) = [c for c in items(base_doc(), after) if c.change == "default-changed"]
    assert default.detail == {"before": "a", "after": "b"}


def test_default_of_body_field() -> None:
    after = base_doc()
    S(after)["Config"]["properties"]["Tty"]["default"] = True
    assert changes(base_doc(), after) == [(*CREATE, "body", "Tty", "default-changed")]


def test_required_changes() -> None:
    after = base_doc()
    after["paths"]["/things/create"]["post"]["parameters"][0]["required"] = True
    S(after)["Created"]["required"] = ["Id", "Warnings"]
    found = items(base_doc(), after)
    by_name = {(c.key.location, c.key.name): c for c in found}
    query = by_name[("query", "name")]
    assert query.change == "required-changed" and query.effects == {"newer-server": "error"}
    resp = by_name[("response", "Warnings")]
    assert resp.change == "required-changed" and resp.effects == {"newer-client": "warning"}


def test_deprecated_field_and_endpoint() -> None:
    after = base_doc()
    S(after)["Thing"]["properties"]["Size"]["deprecated"] = True
    after["paths"]["/things/json"]["get"]["deprecated"] = True
    found = changes(base_doc(), after)
    assert ("GET", "/things/json", "response", "Size", "deprecated") in found
    assert ("GET", "/things/json", "endpoint", "", "deprecated") in found


def test_nullable_through_anyof_wrapper() -> None:
    after = base_doc()
    S(after)["Thing"]["properties"]["Host"] = {"anyOf": [{"$ref": "#/components/schemas/Host"}, {"nullable": True, "enum": [None]}]}
    assert changes(base_doc(), after) == [("GET", "/things/json", "response", "Host", "nullable-changed")]


def test_type_change() -> None:
    after = base_doc()
    S(after)["Config"]["properties"]["Cmd"] = {"type": "string"}
    (item,) = items(base_doc(), after)
    assert (item.key.name, item.change, item.detail) == ("Cmd", "type-changed", {"before": "array[string]", "after": "string"})


def test_response_headers() -> None:
    after = base_doc()
    headers = after["paths"]["/things/create"]["post"]["responses"]["201"]["headers"]
    headers["X-Id"]["schema"] = {"type": "integer"}
    headers["X-Warning"] = {"schema": {"type": "string"}}
    found = changes(base_doc(), after)
    assert (*CREATE, "response-header", "X-Id", "type-changed") in found
    assert (*CREATE, "response-header", "X-Warning", "added") in found


def test_produces_is_the_content_type_response_header() -> None:
    after = base_doc()
    after["paths"]["/things/json"]["get"]["x-produces"] = ["application/json", "application/x-ndjson"]
    (item,) = items(base_doc(), after)
    assert (item.key.location, item.key.name, item.change) == ("response-header", "Content-Type", "enum-changed")
    assert item.detail["added"] == ["application/x-ndjson"]
    assert item.effects == {"newer-server": "warning"}  # an older client meets a media type it does not know


def test_endpoint_added_and_removed_fold_their_fields() -> None:
    after = base_doc()
    after["paths"]["/things/{id}/json"] = {"get": {"operationId": "ThingInspect", "parameters": [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}}}}
    del after["paths"]["/things/json"]
    found = changes(base_doc(), after)
    assert found == [("GET", "/things/json", "endpoint", "", "removed"),
                     ("GET", "/things/{id}/json", "endpoint", "", "added")]
    effects = {c.key.path: c.effects for c in items(base_doc(), after)}
    assert effects == {"/things/json": {"newer-server": "error"}, "/things/{id}/json": {"newer-client": "error"}}


def test_response_field_removed_hurts_older_clients() -> None:
    after = base_doc()
    del S(after)["Thing"]["properties"]["Size"]
    (item,) = items(base_doc(), after)
    assert (item.key.name, item.change, item.effects) == ("Size", "removed", {"newer-server": "warning"})


def _write(tmp_path: Path, name: str, doc: dict) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def test_diff_of_user_spec_files(tmp_path: Path) -> None:
    after = base_doc("1.91")
    S(after)["Endpoint"]["properties"]["GwPriority"] = {"type": "integer"}
    a, b = _write(tmp_path, "a.json", base_doc("1.90")), _write(tmp_path, "b.json", after)
    found = diff(a, b)
    assert {(f.path, f.name) for f in found} == {("/things/create", "Host.Networks.GwPriority"), ("/things/json", "Host.Networks.GwPriority")}
    f = next(f for f in found if f.path == "/things/create")
    assert f.to_dict()["from"] == "1.90" and f.to_dict()["to"] == "1.91" and f.hazard == "newer-client"
    assert f.extra["schema"] == "Endpoint" and f.extra["schema_path"] == "GwPriority"


def test_cli_on_spec_files_text_groups_shared_schema_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    after = base_doc("1.91")
    S(after)["Endpoint"]["properties"]["GwPriority"] = {"type": "integer"}
    a, b = _write(tmp_path, "a.json", base_doc("1.90")), _write(tmp_path, "b.json", after)
    assert main(["diff", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert out.count("Endpoint.GwPriority: added") == 1
    assert "POST /things/create body Host.Networks.GwPriority" in out
    assert "GET /things/json response 200 Host.Networks.GwPriority" in out
