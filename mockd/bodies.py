"""The request pipeline's body step: a JSON body read and decoded as the impersonated dockerd reads it.

One typed decoding step per operation, before any handler runs (:func:`read_json_body`, called by
``mockd.app.dispatch``): the Content-Type check (``httputils.CheckForJSON``), Go's ``json.Decoder``
(:func:`specs.godecode.go_decoder_read`), then Go's unmarshal into the daemon's struct, described by the
operation's request-body schema (:mod:`specs.gounmarshal`). Handlers get the decoded body with the
schema's field names; wrong input never reaches them.

What differs between releases is data, in two tables judged by the *daemon's* version (the router code that
reads the body is the daemon's, whatever version the client asks for): :data:`READERS`, how each router
answers what it cannot read (status, wording, empty bodies, trailing data), and :data:`GO_TYPES`, the Go
type names the texts carry. Releases before 20.10 share 20.10's rows: their routers read bodies the same
way (``json.NewDecoder(r.Body).Decode`` since the errdefs routers of 17.x).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from mockd.errors import DockerError
from mockd.versioning import ALWAYS, Before, Since, Window
from specs.godecode import GoDecodeError, go_decoder_read
from specs.gounmarshal import GoNames, GoUnmarshalError, go_type, go_unmarshal, parse_value, parse_whole, plain
from specs.model import ApiSpec, Operation
from specs.validation import NO_BODY


@dataclass(frozen=True)
class Reader:
    """How one release's router reads one operation's body."""

    status: int  # the status of a body it cannot decode
    prefix: str  # put before the decoder's text ("invalid JSON: " from 23.0)
    eof: str | None  # the answer to a body with no JSON value in it; None: taken as no body
    empty_ok: bool  # a zero-length body is no body (ReadJSON's ContentLength check), never decoded
    trailing: bool  # data after the value is refused ("unexpected content after JSON", dec.More)
    content_type: bool  # httputils.CheckForJSON runs first
    why: str


_ROUTER_2010 = Reader(400, "", "got EOF while reading request body", False, False, True,
                      "20.10 routers: json.NewDecoder(r.Body).Decode; io.EOF -> errdefs.InvalidParameter('got EOF while "
                      "reading request body'), others errdefs.InvalidParameter(err) (network_routes.go, "
                      "volume_routes.go, exec.go)")
_READ_JSON = Reader(400, "invalid JSON: ", "invalid JSON: got EOF while reading request body", True, True, True,
                    "23.0+ routers: httputils.ReadJSON (CheckForJSON, ContentLength 0 is no body, errors.Wrap(err, "
                    "'invalid JSON'), dec.More() -> 'unexpected content after JSON')")
_CREATE_LOAD_JSON = Reader(400, "invalid JSON: ", "invalid JSON: got EOF while reading request body", False, True, True,
                           "23.0+ container create: runconfig loadJSON (validationError / invalidJSONError, 400; "
                           "EOF -> 'invalid JSON: got EOF while reading request body' in loadJSON at 23-24, in "
                           "postContainersCreate from 25)")
_RAW_500 = Reader(500, "", "EOF", False, False, True,
                  "20.10 container create/update: decoder.Decode(&w) and the error returned as is (no errdefs type: 500)")

READERS: dict[str, tuple[tuple[Window, Reader], ...]] = {
    "ContainerCreate": ((Before("1.42"), _RAW_500), (Since("1.42"), _CREATE_LOAD_JSON)),
    "ContainerUpdate": ((Before("1.42"), _RAW_500), (Since("1.42"), _READ_JSON)),
    "ImageCommit": (
        (Before("1.42"), Reader(500, "", None, True, False, True,
                                "20.10 postCommit: DecodeConfig, 'err != io.EOF' lets an empty body through")),
        (Window("1.42", "1.44"), Reader(400, "invalid JSON: ", "invalid JSON: got EOF while reading request body", False,
                                        True, True, "23-24 postCommit: loadJSON's EOF error is no longer io.EOF")),
        (Since("1.44"), Reader(400, "invalid JSON: ", None, True, True, True,
                               "25+ postCommit: errors.Is(err, io.EOF) lets an empty body through again")),
    ),
    "SystemAuth": ((Before("1.42"), Reader(500, "", "EOF", False, False, False,
                                           "20.10 postAuth: Decode(&config), error returned as is")),),
    **{op: ((Before("1.42"), _ROUTER_2010), (Since("1.42"), _READ_JSON))
       for op in ("VolumeCreate", "NetworkCreate", "NetworkConnect", "NetworkDisconnect", "ContainerExec", "ExecStart")},
}
#: Operations without a row of their own (swarm, plugins): 20.10's routers decode without CheckForJSON.
_DEFAULT: tuple[tuple[Window, Reader], ...] = (
    (Before("1.42"), Reader(400, "", "got EOF while reading request body", False, False, False,
                            "20.10 swarm/plugin routers: Decode, errdefs.InvalidParameter (cluster_routes.go)")),
    (Since("1.42"), _READ_JSON),
)

# The Go type each router decodes into (reflect.Type.String(), as UnmarshalTypeError prints it), by release.
GO_TYPES: dict[str, tuple[tuple[Window, str], ...]] = {
    "ContainerCreate": ((Before("1.46"), "runconfig.ContainerConfigWrapper"), (Since("1.46"), "container.CreateRequest")),
    "ContainerUpdate": ((ALWAYS, "container.UpdateConfig"),),
    "ImageCommit": ((Before("1.46"), "runconfig.ContainerConfigWrapper"), (Since("1.46"), "container.CreateRequest")),
    "VolumeCreate": ((Before("1.42"), "volume.VolumeCreateBody"), (Since("1.42"), "volume.CreateOptions")),
    "VolumeUpdate": ((ALWAYS, "volume.UpdateOptions"),),
    "NetworkCreate": ((Before("1.46"), "types.NetworkCreateRequest"), (Since("1.46"), "network.CreateRequest")),
    "NetworkConnect": ((Before("1.46"), "types.NetworkConnect"), (Since("1.46"), "network.ConnectOptions")),
    "NetworkDisconnect": ((Before("1.46"), "types.NetworkDisconnect"), (Since("1.46"), "network.DisconnectOptions")),
    "ContainerExec": ((Before("1.46"), "types.ExecConfig"), (Since("1.46"), "container.ExecOptions")),
    "ExecStart": ((Before("1.46"), "types.ExecStartCheck"), (Since("1.46"), "container.ExecStartOptions")),
    "SystemAuth": ((Before("1.48"), "types.AuthConfig"), (Since("1.48"), "registry.AuthConfig")),
}
# Components of the documents and the Go types they describe (api/types/...); the 1.25-1.29 documents call the
# container config `Config`.
GO_COMPONENTS: dict[str, str] = {
    "ContainerConfig": "container.Config", "Config": "container.Config", "HostConfig": "container.HostConfig", "Resources": "container.Resources",
    "HealthConfig": "container.HealthConfig", "RestartPolicy": "container.RestartPolicy", "Mount": "mount.Mount",
    "NetworkingConfig": "network.NetworkingConfig", "EndpointSettings": "network.EndpointSettings",
    "EndpointIPAMConfig": "network.EndpointIPAMConfig", "IPAM": "network.IPAM", "IPAMConfig": "network.IPAMConfig",
    "ConfigReference": "network.ConfigReference", "DeviceMapping": "container.DeviceMapping",
    "DeviceRequest": "container.DeviceRequest", "ThrottleDevice": "blkiodev.ThrottleDevice",
    "PortBinding": "nat.PortBinding", "AuthConfig": "types.AuthConfig", "ClusterVolumeSpec": "volume.ClusterVolumeSpec",
    "MountType": "mount.Type", "MountPoint": "types.MountPoint",
}
# Fields whose Go type the documents do not say (api/types/container/config.go, hostconfig.go, mount/mount.go):
# StrSlice (a list of strings, or one string) where they say "array", integer widths they leave out, named
# string types.
GO_FIELDS: dict[tuple[str, str], str] = {
    **{(config, f): "strslice.StrSlice" for f in ("Cmd", "Entrypoint", "Shell") for config in ("ContainerConfig", "Config")},
    **{("HostConfig", f): "strslice.StrSlice" for f in ("CapAdd", "CapDrop")},
    ("Resources", "CpuShares"): "int64", ("Resources", "BlkioWeight"): "uint16",
    ("Resources", "IOMaximumIOps"): "uint64", ("Resources", "IOMaximumBandwidth"): "uint64",
    **{("HostConfig", f): f"container.{f}" for f in ("NetworkMode", "IpcMode", "PidMode", "UTSMode", "UsernsMode",
                                                     "CgroupnsMode", "Isolation")},
    ("HostConfig", "Cgroup"): "container.CgroupSpec",
    # network.IPAM.Options is map[string]string at every release; older documents call it a list of maps.
    ("IPAM", "Options"): "map[string]string",
}
# What UnmarshalTypeError names of a field, by the Go each release was built with (moby's Dockerfile GO_VERSION):
# Go 1.7 (1.13.x-17.05) none, only "Go value of type T"; Go 1.8 to 1.13 (17.06-19.03) the field's own name; Go
# 1.14+ the key path (20.10.24: Go 1.19, measured); Go 1.24 (28.2, API 1.50) adds the embedded structs
# (golang/go#68966).
FIELD_PATHS: tuple[tuple[Window, str], ...] = (
    (Before("1.30"), "value"), (Window("1.30", "1.41"), "name"), (Window("1.41", "1.50"), "full"),
    (Since("1.50"), "embedded"),
)


def _row(rows: tuple[tuple[Window, Any], ...], daemon: str) -> Any:
    return next((value for window, value in rows if window.applies(daemon)), None)


@lru_cache(maxsize=1024)
def reader_for(operation_id: str, daemon: str) -> Reader:
    return _row(READERS.get(operation_id, _DEFAULT), daemon) or _row(_DEFAULT, daemon)


def names_for(operation_id: str, daemon: str, spec: ApiSpec, op: Operation) -> GoNames:
    key = ("go_names", operation_id, daemon)
    names = spec.cache.get(key)
    if names is None:
        names = spec.cache[key] = _names_for(operation_id, daemon, op)
    return names


def _names_for(operation_id: str, daemon: str, op: Operation) -> GoNames:
    top = _row(GO_TYPES.get(operation_id, ()), daemon)
    if top is None:  # no row: the component the body names, else the operation (texts of rarely used routes)
        ref = (op.request_schema() or {}).get("$ref", "")
        top = GO_COMPONENTS.get(ref.rsplit("/", 1)[-1], f"types.{ref.rsplit('/', 1)[-1] or operation_id}")
    return GoNames(top=top, components=GO_COMPONENTS, fields=GO_FIELDS, field_path=_row(FIELD_PATHS, daemon))


# --- Content-Type (httputils.CheckForJSON) -------------------------------------------------------------------

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_MEDIA_TYPE = re.compile(rf"({_TOKEN})/({_TOKEN})")


def _media_type(value: str) -> tuple[str | None, str | None]:
    """Go's mime.ParseMediaType, as far as dockerd's check needs it: the lower-cased type, or Go's error text."""
    head = value.split(";", 1)[0].strip()
    if not head:
        return None, "mime: no media type"
    match = _MEDIA_TYPE.fullmatch(head)
    if match is None:
        return None, ("mime: expected slash after first token" if "/" not in head
                      else "mime: expected token after slash" if head.endswith("/")
                      else "mime: unexpected content after media subtype")
    return head.lower(), None


_NEW_CONTENT_TYPE_TEXT = Since("1.42")  # 23.0 matchesContentType: 'unsupported'/'malformed Content-Type header'


def check_content_type(content_type: str, has_body: bool, daemon: str) -> None:
    """httputils.CheckForJSON: no Content-Type is fine only without a body; otherwise it must be JSON."""
    if not content_type and not has_body:
        return
    media, problem = _media_type(content_type)
    if media == "application/json":
        return
    if not _NEW_CONTENT_TYPE_TEXT.applies(daemon):
        raise DockerError(400, f"Content-Type specified ({content_type}) must be 'application/json'")
    if problem is not None:
        raise DockerError(400, f"malformed Content-Type header ({content_type}): {problem}")
    raise DockerError(400, f"unsupported Content-Type header ({content_type}): must be 'application/json'")


# --- the step ------------------------------------------------------------------------------------------------


@dataclass
class DecodedBody:
    body: Any  # the decoded value (schema field names), None for JSON null, NO_BODY for none
    sent: Any  # what the client sent as plain data (for the request checks), NO_BODY for none or unreadable
    refused: DockerError | None = None  # the router's answer to a body it cannot decode into its struct


def read_json_body(raw: bytes, content_type: str, spec: ApiSpec, op: Operation, daemon: str) -> DecodedBody:
    """``raw`` read, checked and decoded for ``op`` as the dockerd whose newest API is ``daemon`` does.

    Raises :class:`DockerError` with that dockerd's status and text for a body it cannot read (Content-Type,
    syntax); a readable body of the wrong shape comes back with ``refused`` set, so that the request checks
    still see what was sent (the findings say why dockerd refuses it) before the refusal is answered."""
    reader = reader_for(op.operation_id, daemon)
    if reader.content_type:
        check_content_type(content_type, bool(raw), daemon)
    if not raw and reader.empty_ok:
        return DecodedBody(NO_BODY, NO_BODY)
    try:
        value, more = parse_whole(raw), False
    except ValueError:  # not exactly one value (or not plain UTF-8): Go's Decoder reads the first, or words why not
        try:
            first, more = go_decoder_read(raw)
        except GoDecodeError as err:
            if err.eof and reader.eof is None:
                return DecodedBody(NO_BODY, NO_BODY)
            raise DockerError(reader.status, reader.eof if err.eof else reader.prefix + err.text) from None
        value = parse_value(first)
    sent = plain(value)
    names = names_for(op.operation_id, daemon, spec, op)
    schema = op.request_schema()
    try:
        decoded = go_unmarshal(value, go_type(spec, schema, names), names) if schema is not None else sent
    except GoUnmarshalError as err:
        return DecodedBody(NO_BODY, sent, DockerError(reader.status, reader.prefix + err.text))
    if more and reader.trailing:
        return DecodedBody(NO_BODY, sent, DockerError(400, "unexpected content after JSON"))
    return DecodedBody(None if value is None else decoded, sent)
