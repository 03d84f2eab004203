"""HTTP handlers by area. Each module registers its handlers with ``@mockd.routes.handler(operationId)``;
list a module here to load it. Operations without a handler get generated answers (mockd.generated)."""

MODULES: list[str] = [
    "mockd.handlers.system",
    # the engine-backed handlers (mockd.engine holds the state)
    "mockd.handlers.containers",
    "mockd.handlers.execs",
    "mockd.handlers.images",
    "mockd.handlers.volumes",
    "mockd.handlers.networks",
    "mockd.handlers.events",
]
# mockd.handlers.seed is a control-plane extension (POST /_mockd/seed), not an operation handler: the app
# factory takes its routes (mockd.app.CONTROL_EXTENSIONS).
