"""The built-in commands by area; importing this package registers them all in the registry."""

from . import conditions, control, files, find, httpd, nc_listen, net, net_clients, system, text, top

__all__ = ["conditions", "control", "files", "find", "httpd", "nc_listen", "net", "net_clients", "system", "text", "top"]
