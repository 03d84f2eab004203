"""Convert upstream Docker Engine API Swagger 2.0 documents into the project's OpenAPI 3.0 documents.

Usage: ``python -m specs.build [SRC_DIR] [--out DIR]`` (SRC_DIR defaults to ``../shared/docker-api``).

What the conversion keeps: paths, methods, operationIds, parameters (types, enums, defaults,
required), schemas, enums, examples, response codes and headers, produced/consumed content types.
What it drops: prose (descriptions, summaries, titles of the API) and Go code-generation hints.
Deprecations, which upstream mostly states only in prose, become ``deprecated: true``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

SPEC_DIR = Path(__file__).resolve().parent / "openapi"  # v1.XX.json.gz, gzip of the compact JSON
DEFAULT_SRC = Path(__file__).resolve().parent.parent.parent / "shared" / "docker-api"

# Keys that carry prose or Go code generation hints only.
_DROPPED_KEYS = {"description", "summary", "x-go-name", "x-go-package", "x-go-type", "x-displayName", "x-logo"}

# A deprecation is a statement that *starts* a line of the description: "Deprecated: ...",
# "**Deprecated**: ...", "> **Deprecated**: ...". Inline mentions such as "MAINTAINER (deprecated)"
# or "`1` is the classic (deprecated) builder" describe something else (an instruction, an enum
# value) and must not mark the field itself.
_DEPRECATION_LINE = re.compile(r"^\s*(?:>\s*)?(?:\*\*)?Deprecated(?:\*\*)?\s*:", re.MULTILINE)


def is_deprecation(description: str | None) -> bool:
    """True when a description declares the thing it describes deprecated."""
    return bool(description) and bool(_DEPRECATION_LINE.search(description))


def _ref(ref: str) -> str:
    return ref.replace("#/definitions/", "#/components/schemas/")


def convert_schema(node: Any) -> Any:
    """Convert one Swagger 2.0 schema (recursively) to an OpenAPI 3.0 schema."""
    if isinstance(node, list):
        return [convert_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    deprecated = is_deprecation(node.get("description"))
    nullable = node.get("x-nullable") is True
    if "$ref" in node:
        ref = {"$ref": _ref(node["$ref"])}
        # OpenAPI 3.0 ignores every sibling of $ref (openapi-core too): nullability and
        # deprecation must live in a wrapper to be honoured.
        extra: dict[str, Any] = {}
        if deprecated:
            extra["deprecated"] = True
        if "example" in node:
            extra["example"] = node["example"]
        if nullable:
            return {"anyOf": [ref, {"nullable": True, "enum": [None]}], **extra}
        if extra:
            return {"allOf": [ref], **extra}
        return ref
    if isinstance(node.get("type"), list):
        return _split_type_list(node)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED_KEYS or key == "x-nullable":
            continue
        if key == "title" and isinstance(value, str):
            continue
        if key == "type" and value == "file":
            out["type"] = "string"
            out["format"] = "binary"
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: convert_schema(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
            out[key] = convert_schema(value)
        elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            out[key] = [convert_schema(sub) for sub in value]
        elif key in ("example", "default", "enum"):
            out[key] = value
        else:
            out[key] = convert_schema(value) if isinstance(value, (dict, list)) else value
    if nullable:
        out["nullable"] = True
    if deprecated:
        out["deprecated"] = True
    return out


_TYPE_SPECIFIC_KEYS = {"array": ("items", "minItems", "maxItems", "uniqueItems"), "object": ("properties", "additionalProperties", "required")}


def _split_type_list(node: dict[str, Any]) -> dict[str, Any]:
    """Old documents say ``type: [array, string]`` (Cmd): OpenAPI 3.0 needs an anyOf."""
    specific = {key for keys in _TYPE_SPECIFIC_KEYS.values() for key in keys}
    common = {k: v for k, v in node.items() if k != "type" and k not in specific}
    branches = []
    for typ in node["type"]:
        branch = {"type": typ, **{k: node[k] for k in _TYPE_SPECIFIC_KEYS.get(typ, ()) if k in node}}
        branches.append(convert_schema(branch))
    out = convert_schema(common)
    out["anyOf"] = branches
    return out


_SIMPLE_SCHEMA_KEYS = (
    "type", "format", "items", "enum", "default", "minimum", "maximum", "minLength",
    "maxLength", "pattern", "minItems", "maxItems", "uniqueItems", "x-nullable",
)


def _param_schema(param: dict[str, Any]) -> dict[str, Any]:
    schema = {k: param[k] for k in _SIMPLE_SCHEMA_KEYS if k in param}
    if isinstance(schema.get("items"), dict):
        schema["items"] = {k: v for k, v in schema["items"].items() if k != "collectionFormat"}
    return convert_schema(schema)


def convert_parameter(param: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": param["name"], "in": param["in"]}
    if param.get("required") or param["in"] == "path":
        out["required"] = True
    if is_deprecation(param.get("description")):
        out["deprecated"] = True
    out["schema"] = _param_schema(param)
    if param.get("type") == "array":
        # Swagger 2.0 default is csv; "multi" is repeated keys.
        fmt = param.get("collectionFormat", "csv")
        if fmt == "multi":
            out["style"], out["explode"] = "form", True
        elif fmt == "csv":
            out["style"], out["explode"] = ("form", False) if param["in"] == "query" else ("simple", False)
        elif fmt == "ssv":
            out["style"], out["explode"] = "spaceDelimited", False
        elif fmt == "pipes":
            out["style"], out["explode"] = "pipeDelimited", False
        out["x-collection-format"] = fmt
    if "x-example" in param:
        out["example"] = param["x-example"]
    return out


def _content(types: list[str], schema: dict[str, Any] | None, examples: dict[str, Any] | None = None) -> dict[str, Any]:
    content: dict[str, Any] = {}
    for mime in types:
        media: dict[str, Any] = {}
        if schema is not None:
            media["schema"] = schema
        if examples and mime in examples:
            media["example"] = examples[mime]
        content[mime] = media
    if examples:
        # Upstream sometimes gives an example for a type the operation does not list.
        for mime, example in examples.items():
            content.setdefault(mime, {"schema": schema} if schema is not None else {})["example"] = example
    return content


def convert_operation(op: dict[str, Any], produces: list[str], consumes: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"operationId": op["operationId"]}
    if op.get("tags"):
        out["tags"] = list(op["tags"])
    op_consumes = op.get("consumes", consumes)
    op_produces = op.get("produces", produces)
    params = []
    for param in op.get("parameters", []):
        if param["in"] == "body":
            schema = convert_schema(param.get("schema", {}))
            body: dict[str, Any] = {"content": _content(op_consumes, schema)}
            if param.get("required"):
                body["required"] = True
            if is_deprecation(param.get("description")):
                body["x-deprecated"] = True
            body["x-body-name"] = param["name"]
            out["requestBody"] = body
        elif param["in"] == "formData":
            raise ValueError(f"formData parameters are not used by the Engine API: {op['operationId']}")
        else:
            params.append(convert_parameter(param))
    if params:
        out["parameters"] = params
    responses: dict[str, Any] = {}
    for code, resp in op["responses"].items():
        r: dict[str, Any] = {"description": ""}
        if "headers" in resp:
            r["headers"] = {
                name: {"schema": _param_schema(h), **({"deprecated": True} if is_deprecation(h.get("description")) else {})}
                for name, h in resp["headers"].items()
            }
        schema = convert_schema(resp["schema"]) if "schema" in resp else None
        if schema is not None or resp.get("examples"):
            r["content"] = _content(op_produces, schema, resp.get("examples"))
        responses[str(code)] = r
    out["responses"] = responses
    # The content types an operation may answer with (also for responses without a schema).
    out["x-produces"] = list(op_produces)
    out["x-consumes"] = list(op_consumes)
    if is_deprecation(op.get("description")) or op.get("deprecated"):
        out["deprecated"] = True
    return out


def convert_document(src: dict[str, Any]) -> dict[str, Any]:
    """Convert a whole Swagger 2.0 document. Already-OpenAPI-3 input is returned as is."""
    if "openapi" in src:
        return src
    if src.get("swagger") != "2.0":
        raise ValueError("not a Swagger 2.0 document")
    base = src.get("basePath", "/")
    version = str(src.get("info", {}).get("version", base.lstrip("/v")))
    produces = src.get("produces", ["application/json"])
    consumes = src.get("consumes", ["application/json"])
    paths: dict[str, Any] = {}
    for path, item in src["paths"].items():
        converted: dict[str, Any] = {}
        for method, op in item.items():
            if method == "parameters":
                converted["parameters"] = [convert_parameter(p) for p in op]
                continue
            converted[method] = convert_operation(op, produces, consumes)
        paths[path] = converted
    schemas = {name: convert_schema(schema) for name, schema in src.get("definitions", {}).items()}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Docker Engine API", "version": version},
        "servers": [{"url": base}],
        "tags": [{"name": t["name"]} for t in src.get("tags", [])],
        "paths": paths,
        "components": {"schemas": schemas},
    }


def dump(doc: dict[str, Any]) -> str:
    """Compact, deterministic JSON: one line per path and per schema keeps diffs readable."""
    lines = ["{"]
    head = {k: v for k, v in doc.items() if k not in ("paths", "components")}
    for key, value in head.items():
        lines.append(f"{json.dumps(key)}:{json.dumps(value, separators=(',', ':'))},")
    lines.append('"paths":{')
    items = list(doc["paths"].items())
    for i, (path, item) in enumerate(items):
        sep = "," if i < len(items) - 1 else ""
        lines.append(f"{json.dumps(path)}:{json.dumps(item, separators=(',', ':'))}{sep}")
    lines.append('},"components":{"schemas":{')
    schemas = list(doc["components"]["schemas"].items())
    for i, (name, schema) in enumerate(schemas):
        sep = "," if i < len(schemas) - 1 else ""
        lines.append(f"{json.dumps(name)}:{json.dumps(schema, separators=(',', ':'))}{sep}")
    lines.append("}}}")
    return "\n".join(lines) + "\n"


def parse_document(text: str, suffix: str) -> Any:
    """A document's text: JSON for ``.json``, YAML (a superset) otherwise."""
    if suffix == ".json":
        return json.loads(text)
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def load_swagger(path: Path) -> dict[str, Any]:
    return parse_document(path.read_text(encoding="utf-8"), path.suffix)


def build(src_dir: Path, out_dir: Path = SPEC_DIR) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    sources = sorted(src_dir.glob("v1.*.yaml"), key=lambda p: tuple(int(x) for x in p.stem[1:].split(".")))
    if not sources:
        raise SystemExit(f"no v1.*.yaml documents in {src_dir}")
    for src in sources:
        doc = convert_document(load_swagger(src))
        target = out_dir / f"{src.stem}.json.gz"
        # mtime=0 and no file name in the header: regenerating gives byte-identical files.
        target.write_bytes(gzip.compress(dump(doc).encode("utf-8"), compresslevel=9, mtime=0))
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m specs.build", description=__doc__.splitlines()[0])
    parser.add_argument("src", nargs="?", default=str(DEFAULT_SRC), help="folder with upstream v1.XX.yaml files")
    parser.add_argument("--out", default=str(SPEC_DIR), help="output folder (default: specs/openapi)")
    args = parser.parse_args(argv)
    written = build(Path(args.src), Path(args.out))
    total = sum(p.stat().st_size for p in written)
    print(f"wrote {len(written)} documents to {args.out} ({total / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
