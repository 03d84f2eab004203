"""Every typed aiohttp key of the server, in one leaf module.

The app factory (:mod:`mockd.app`) fills the app keys; the control plane, the handlers and the CLI read
them. Kept apart from ``app.py`` so that those readers can import the keys at module level without
importing the factory (which imports them): this module imports only the types it names.
"""

from __future__ import annotations

from aiohttp import web

from mockd.config import Config
from mockd.control_access import ControlAccess
from mockd.faults import FaultPlan
from mockd.record import Recorder
from mockd.state import Registry
from mockd.variations import Fuzzer
from mockd.versioning import Bounds

# --- the application (app[...]) ------------------------------------------------------------------
CONFIG = web.AppKey("mockd.config", Config)
BOUNDS = web.AppKey("mockd.bounds", Bounds)
DAEMON_HEADERS = web.AppKey("mockd.daemon_headers", tuple)  # app._headers_of: (rejected, accepted version)
REGISTRY = web.AppKey("mockd.registry", Registry)
RECORDER = web.AppKey("mockd.recorder", Recorder)
HANDLERS = web.AppKey("mockd.handlers", dict)  # operationId -> handler (mockd.routes.load_handlers)
TASKS = web.AppKey("mockd.tasks", set)  # the tasks of open requests, cancelled at shutdown
CONTROL_ACCESS = web.AppKey("mockd.control_access", ControlAccess)
FAULTS = web.AppKey("mockd.faults", FaultPlan)  # the fault plan in force (mockd.faults)
FUZZ = web.AppKey("mockd.fuzz", Fuzzer)  # response fuzzing (mockd.variations), off unless started
PERSISTED = web.AppKey("mockd.persisted", object)  # --data-root: the PersistedEngine (mockd/persist/service.py)

# --- one request (request[...]) ------------------------------------------------------------------
ROUTED = web.RequestKey("mockd.routed", bool)  # a route matched: daemon headers go on the answer
VERSION = web.RequestKey("mockd.version", str)  # the requested API version (or the daemon's max)
CTX = web.RequestKey("mockd.ctx", object)  # the RequestContext handed to the handler
INFO = web.RequestKey("mockd.info", dict)  # template, operationId, spec version (for the record)
PREPARED = web.RequestKey("mockd.prepared", bool)  # the answer's headers went out
ACCEPTED = web.RequestKey("mockd.accepted", bool)  # the requested version passed the version check
FAULTS_APPLIED = web.RequestKey("mockd.faults-applied", list)  # the faults that fired on it (for the record)
STREAM_FAULT = web.RequestKey("mockd.stream-fault", object)  # the stream fault spoiling its answer
VARIATIONS = web.RequestKey("mockd.variations", list)  # the fuzzer's variations of its answer (for the record)

# --- one response (response[...]) ----------------------------------------------------------------
# A response marked with this key goes out without a Content-Type header (dockerd's logs below 1.42).
NO_CONTENT_TYPE = web.ResponseKey("mockd.no-content-type", bool)
