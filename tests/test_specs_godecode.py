"""Go's encoding/json decoder errors (specs/godecode.py), as dockerd answers bad JSON query values."""

from __future__ import annotations

import json
import urllib.parse

from specs.godecode import go_decode_error, go_filters_error

# Measured on dockerd 20.10 (GET /containers/json?filters=...): Go's encoding/json texts, status 500.
GO_FILTER_ERRORS = {
    "nope": "invalid character 'o' in literal null (expecting 'u')",
    "{": "unexpected end of JSON input",
    '{"a":1,}': "invalid character '}' looking for beginning of object key string",
    "[1 2]": "invalid character '2' after array element",
    "{a:1}": "invalid character 'a' looking for beginning of object key string",
    "trux": "invalid character 'x' in literal true (expecting 'e')",
    "1.x": "invalid character 'x' after decimal point in numeric literal",
    "{} x": "invalid character 'x' after top-level value",
    "NaN": "invalid character 'N' looking for beginning of value",
    '"abc"': "json: cannot unmarshal string into Go value of type map[string]map[string]bool",
    "[1]": "json: cannot unmarshal array into Go value of type map[string]map[string]bool",
    '{"label":"x"}': "json: cannot unmarshal string into Go value of type map[string]bool",
}


def test_filters_errors_are_gos() -> None:
    for text, message in GO_FILTER_ERRORS.items():
        assert go_filters_error(text) == message, text
    for good in ('{"label":["a=b"]}', '{"label":{"a=b":true}}', "{}", "null", '{"dangling":["true"],"x":null}'):
        assert go_filters_error(good) is None, good


def test_bad_filters_answer_like_dockerd(mockd_factory) -> None:
    # dockerd 20.10's texts (a 1.41 daemon): from 23.0 filters.FromJSON answers 400 "invalid filter" instead
    mockd_server = mockd_factory("--api-version", "1.41")
    for text, message in GO_FILTER_ERRORS.items():
        status, _, body = mockd_server.request("GET", "/v1.41/containers/json?filters=" + urllib.parse.quote(text))
        assert (status, json.loads(body)) == (500, {"message": message}), text
    status, _, body = mockd_server.request("GET", "/v1.41/volumes?filters=nope")
    assert (status, json.loads(body)["message"]) == (400, "error reading volume filters: " + GO_FILTER_ERRORS["nope"])


def test_syntax_errors_only_for_invalid_json() -> None:
    assert go_decode_error('{"a": [1, 2.5e3, "x\\u00e9"], "b": null}') is None
    assert go_decode_error('"\\q"') == "invalid character 'q' in string escape code"
