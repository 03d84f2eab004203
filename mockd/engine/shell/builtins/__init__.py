"""The built-in commands by area; importing this package registers them all in the registry."""

from . import conditions, control, files, net_clients, system, text

__all__ = ["conditions", "control", "files", "net_clients", "system", "text"]
