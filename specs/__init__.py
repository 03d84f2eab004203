"""The spec store: the project's OpenAPI 3 documents of the Docker Engine API, v1.25 to v1.56.

``versions()``, ``latest()``, ``load("1.41")`` (cached), ``load_file(path)`` for a user's own
Swagger 2.0 or OpenAPI 3 document, ``for_request("1.24")`` (versions older than the oldest
document are served with it, as real daemons accept them) and ``resolve("1.41" | path)``.
"""

from __future__ import annotations

import gzip
import json
from functools import cache, lru_cache
from pathlib import Path

from specs.model import ApiSpec, Operation
from specs.versions import OLDEST_DOCUMENT, InvalidVersion, compare, normalize, parse_version, version_key

SPEC_DIR = Path(__file__).resolve().parent / "openapi"

__all__ = [
    "ApiSpec", "InvalidVersion", "Operation", "UnknownVersion", "compare", "for_request", "latest", "load",
    "load_file", "normalize", "parse_version", "resolve", "version_key", "versions",
]


class UnknownVersion(LookupError):
    """A well-formed version for which no document is bundled."""


@lru_cache(maxsize=1)
def _bundled() -> dict[str, Path]:
    found = {}
    for path in SPEC_DIR.glob("v*.json.gz"):
        found[normalize(path.name[1:].removesuffix(".json.gz"))] = path
    return dict(sorted(found.items(), key=lambda kv: version_key(kv[0])))


def versions() -> list[str]:
    """Bundled versions, oldest first (numeric order)."""
    return list(_bundled())


def latest() -> str:
    return versions()[-1]


@cache
def _load_bundled(version: str) -> ApiSpec:
    path = _bundled()[version]
    return ApiSpec(json.loads(gzip.decompress(path.read_bytes())), source=str(path))


def load(version: str) -> ApiSpec:
    """The bundled document of one version (parsed once, then cached)."""
    key = normalize(version)
    if key not in _bundled():
        raise UnknownVersion(f"no bundled API document for version {key} (bundled: {versions()[0]}..{latest()})")
    return _load_bundled(key)


def for_request(version: str) -> ApiSpec:
    """The document a request at ``version`` is checked against: below the oldest, the oldest."""
    if compare(version, OLDEST_DOCUMENT) < 0:
        return load(OLDEST_DOCUMENT)
    return load(version)


def load_file(path: str | Path) -> ApiSpec:
    """A user's own document: upstream Swagger 2.0 (YAML/JSON) or OpenAPI 3, optionally gzipped."""
    from specs.build import convert_document, load_swagger, parse_document

    path = Path(path)
    if path.suffix == ".gz":
        raw = parse_document(gzip.decompress(path.read_bytes()).decode("utf-8"), Path(path.stem).suffix)
    else:
        raw = load_swagger(path)
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: not an API document")
    return ApiSpec(convert_document(raw), source=str(path))


def resolve(ref: str | Path) -> ApiSpec:
    """A bundled version number or a path to a document file."""
    text = str(ref)
    try:
        parse_version(text)
    except InvalidVersion:
        if Path(text).exists():
            return load_file(text)
        raise InvalidVersion(f"{text!r} is neither an API version (e.g. 1.41) nor an existing spec file") from None
    return load(text)
