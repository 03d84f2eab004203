"""``mockd --data-root DIR``: the engine's state kept on disk (a journal of changes plus periodic snapshots)."""
