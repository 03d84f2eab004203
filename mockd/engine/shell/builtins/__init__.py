"""The built-in commands by area; importing this package registers them all in the registry."""

from . import conditions, control, files, httpd, nc_listen, system, text

__all__ = ["conditions", "control", "files", "system", "text", "httpd", "nc_listen"]
