"""mockd's domain state: an in-memory Docker daemon (no HTTP in here). See engine.Engine."""

from .engine import Engine
from .errors import Conflict, EngineError, InvalidParameter, NotFound, NotModified

__all__ = ["Conflict", "Engine", "EngineError", "InvalidParameter", "NotFound", "NotModified"]
