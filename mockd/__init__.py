"""mockd: a fake dockerd that serves every Docker Engine API version from the bundled specs."""

__version__ = "0.1.0"
