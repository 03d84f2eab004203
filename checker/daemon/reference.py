"""openapi-core as the reference checker: every probed response is validated by it too.

The project's own checks (``specs.validation``) close the schemas (an undocumented field is a
finding) and know the Go-encoding looseness; openapi-core knows neither. Its verdict is attached
to each finding (``extra["openapi_core"]``) and where it flags something the project's checks do
not, a ``reference-disagreement`` finding says so: the two must agree on what the document says.
"""

from __future__ import annotations

import threading
from typing import Any

from specs.model import ApiSpec

_LOCK = threading.Lock()


def _openapi(spec: ApiSpec) -> Any:
    """openapi-core's view of the document, built once per document (kept in ``spec.cache``)."""
    from openapi_core import OpenAPI

    with _LOCK:
        api = spec.cache.get("openapi_core")
        if api is None:
            api = spec.cache["openapi_core"] = OpenAPI.from_dict(spec.doc)
    return api


def server_prefix(spec: ApiSpec) -> str:
    """The document's base path (``/v1.41``): requests are given to openapi-core under it, whatever
    prefix went on the wire (a /v1.24 request is checked against the 1.25 document)."""
    servers = spec.doc.get("servers") or [{"url": ""}]
    return str(servers[0].get("url", "")).rstrip("/")


def reference_errors(
    spec: ApiSpec, method: str, path: str, query: dict[str, str], status: int, mime: str, body: bytes,
) -> list[tuple[str, str]] | None:
    """(dotted field, message) for each schema error openapi-core finds in one response (``path``
    without the version prefix); None when it cannot judge (no operation match, an empty body)."""
    from openapi_core.templating.paths.exceptions import PathError
    from openapi_core.testing import MockRequest, MockResponse

    api = _openapi(spec)
    request = MockRequest("http://docker", method.lower(), server_prefix(spec) + path, args=query or None)
    response = MockResponse(body, status_code=status, content_type=mime or "application/json")
    try:
        api.validate_response(request, response)
    except PathError:
        return None
    except Exception as exc:  # openapi-core signals every verdict as an exception
        cause = exc.__cause__
        schema_errors = getattr(cause, "schema_errors", None)
        if schema_errors:
            return [(_dotted(err), err.message) for err in schema_errors]
        name = type(exc).__name__
        if name in ("MissingData", "DataValidationError") and not body:
            return None
        return [("", f"{name}: {exc}")]
    return []


def _dotted(err: Any) -> str:
    return ".".join(str(p) for p in err.absolute_path if not isinstance(p, int))
