"""Engine errors: an HTTP status and dockerd's message. The engine knows nothing of HTTP; the status is the
error class dockerd maps these conditions to, and the handlers turn it into the response."""

from __future__ import annotations


class EngineError(Exception):
    status = 500

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class NotFound(EngineError):
    status = 404


class Conflict(EngineError):
    status = 409


class InvalidParameter(EngineError):
    status = 400


class NotModified(EngineError):
    status = 304


class Forbidden(EngineError):
    status = 403


def no_such_container(ref: str) -> NotFound:
    return NotFound(f"No such container: {ref}")
