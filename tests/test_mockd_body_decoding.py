"""JSON request bodies read as dockerd reads them (issue 9, items 4, 7 and 8): one typed decoding step per
operation (mockd/bodies.py, specs/gounmarshal.py), Go's encoding/json rules and texts, the status and wording of
each release's router.

One table per daemon release. The 1.41 table is sent to mockd --api-version 1.41 and to the real dockerd 20.10
(when it can run here): each row's status and text are what that dockerd answers (docs/bad-input-measured.md).
The newer tables run against mockd only; each row's reason names the daemon source it was read from (moby tags,
api/server/httputils/httputils.go ReadJSON, runconfig/config.go loadJSON). After every refused row, the daemon's
containers, volumes and networks are what they were.
"""

from __future__ import annotations

import json

import pytest

from tests.bad_input_support import mockd_with_busybox
from tests.realdaemons import import_busybox, real_dockerd, unix_http  # noqa: F401  (fixture)

JSON = "application/json"
# (method, path, body, content type, status, message)
Row = tuple[str, str, str, str, int, str]

ROWS_141: list[Row] = [  # dockerd 20.10, measured
    ("POST", "/volumes/create", '{"Labels":"AAA"}', JSON, 400,
     "json: cannot unmarshal string into Go struct field VolumeCreateBody.Labels of type map[string]string"),
    ("POST", "/volumes/create", '{"Name":[null,null]}', JSON, 400,
     "json: cannot unmarshal array into Go struct field VolumeCreateBody.Name of type string"),
    ("POST", "/volumes/create", '{"Name":"v","DriverOpts":{"o":true}}', JSON, 400,
     "json: cannot unmarshal bool into Go struct field VolumeCreateBody.DriverOpts of type string"),
    ("POST", "/networks/create", '{"Name":[null,null]}', JSON, 400,
     "json: cannot unmarshal array into Go struct field NetworkCreateRequest.Name of type string"),
    ("POST", "/networks/create", '{"Name":"n1","Labels":{"a":1}}', JSON, 400,
     "json: cannot unmarshal number into Go struct field NetworkCreateRequest.Labels of type string"),
    ("POST", "/networks/create", '{"Name":"n1","Options":{"a":[]}}', JSON, 400,
     "json: cannot unmarshal array into Go struct field NetworkCreateRequest.Options of type string"),
    ("POST", "/networks/nosuch/connect", '{"Container":5}', JSON, 400,
     "json: cannot unmarshal number into Go struct field NetworkConnect.Container of type string"),
    ("POST", "/networks/nosuch/disconnect", '{"Container":{}}', JSON, 400,
     "json: cannot unmarshal object into Go struct field NetworkDisconnect.Container of type string"),
    ("POST", "/containers/create", '{"Image":5}', JSON, 500,
     "json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Image of type string"),
    ("POST", "/containers/create", '{"Image":"busybox:latest","Env":"A=1"}', JSON, 500,
     "json: cannot unmarshal string into Go struct field ContainerConfigWrapper.Env of type []string"),
    ("POST", "/containers/create", '{"Image":"busybox:latest","HostConfig":{"Memory":"x"}}', JSON, 500,
     "json: cannot unmarshal string into Go struct field HostConfig.HostConfig.Memory of type int64"),
    ("POST", "/containers/create", '{"Image":"busybox:latest","HostConfig":{"Memory":1.5}}', JSON, 500,
     "json: cannot unmarshal number 1.5 into Go struct field HostConfig.HostConfig.Memory of type int64"),
    ("POST", "/containers/create", '{"Image":"busybox:latest","Cmd":5}', JSON, 500,
     "json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Cmd of type string"),
    ("POST", "/containers/create", '{"Image":"busybox:latest","Labels":{"a":1}}', JSON, 500,
     "json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Labels of type string"),
    ("POST", "/containers/create", '{"Image":"busybox:latest","Tty":"yes"}', JSON, 500,
     "json: cannot unmarshal string into Go struct field ContainerConfigWrapper.Tty of type bool"),
    # a null list element is the zero struct, which the mount validation then refuses (volume/mounts/validate.go)
    ("POST", "/containers/create", '{"Image":"busybox:latest","HostConfig":{"Mounts":[null]}}', JSON, 400,
     'invalid mount config for type "": field Target must not be empty'),
    ("POST", "/containers/create", '{"Image":"busybox"', JSON, 500, "unexpected EOF"),
    ("POST", "/containers/create", '{"Image":busybox}', JSON, 500,
     "invalid character 'b' looking for beginning of value"),
    ("POST", "/containers/create", "[1,2]", JSON, 500,
     "json: cannot unmarshal array into Go value of type runconfig.ContainerConfigWrapper"),
    ("POST", "/containers/create", "", JSON, 500, "EOF"),
    ("POST", "/containers/create", "{}", JSON, 400, "Config cannot be empty in order to create a container"),
    ("POST", "/containers/create", "null", JSON, 400, "Config cannot be empty in order to create a container"),
    ("POST", "/volumes/create", '{"Name":"x"', JSON, 400, "unexpected EOF"),
    ("POST", "/volumes/create", "[1,2]", JSON, 400,
     "json: cannot unmarshal array into Go value of type volume.VolumeCreateBody"),
    ("POST", "/volumes/create", "", JSON, 400, "got EOF while reading request body"),
    ("POST", "/containers/create", '{"Image":"busybox:latest"}', "text/plain", 400,
     "Content-Type specified (text/plain) must be 'application/json'"),
    ("POST", "/containers/create", '{"Image":"busybox:latest"}', "", 400,
     "Content-Type specified () must be 'application/json'"),
    ("POST", "/volumes/create", '{"Name":"ct"}', "text/plain", 400,
     "Content-Type specified (text/plain) must be 'application/json'"),
    ("POST", "/networks/create", '{"Name":"ct"}', "text/plain", 400,
     "Content-Type specified (text/plain) must be 'application/json'"),
    # exec's Cmd is a plain []string (types.ExecConfig), not the StrSlice of container create: a string is refused
    ("POST", "/containers/nosuch/exec", '{"Cmd":"ls"}', JSON, 400,
     "json: cannot unmarshal string into Go struct field ExecConfig.Cmd of type []string"),
    ("POST", "/exec/nosuch/start", '{"Detach":"yes"}', JSON, 400,
     "json: cannot unmarshal string into Go struct field ExecStartCheck.Detach of type bool"),
    ("GET", "/volumes?filters=%C3%A9", "", "", 400,
     "error reading volume filters: invalid character 'Ã' looking for beginning of value"),
    ("GET", "/containers/json?filters=%C3%A9", "", "", 500, "invalid character 'Ã' looking for beginning of value"),
    # item 8: filter keys as sent, in 20.10's case, checked before anything is listed (filters.Args.Validate)
    ("GET", "/volumes?filters=%7B%22%C3%A9%22%3A%5B%22x%22%5D%7D", "", "", 400, "Invalid filter 'é'"),
    ("GET", '/containers/json?filters={"Status":["x"]}', "", "", 400, "Invalid filter 'Status'"),
    ("GET", '/networks?filters={"Bogus":["x"]}', "", "", 400, "Invalid filter 'Bogus'"),
    ("GET", '/images/json?filters={"Bogus":["x"]}', "", "", 400, "Invalid filter 'Bogus'"),
    # item 8: references (docker/distribution's reference package at 20.10)
    ("POST", "/images/create?fromImage=BusyBox", "", "", 400,
     "invalid reference format: repository name must be lowercase"),
    ("POST", "/images/create?fromImage=a:b:c", "", "", 400, "invalid reference format"),
    ("POST", "/images/busybox:latest/tag?repo=Foo", "", "", 500,
     "invalid reference format: repository name must be lowercase"),
    ("POST", "/images/busybox:latest/tag?repo=a:b:c", "", "", 500, "invalid reference format"),
    ("POST", "/images/busybox:latest/tag?repo=foo&tag=A:B", "", "", 500, "invalid tag format"),
    ("POST", "/images/busybox:latest/tag", "", "", 500, "invalid reference format"),
    ("POST", "/images/nosuch:latest/tag?repo=Foo", "", "", 404, "No such image: nosuch:latest"),
    ("GET", "/images/BusyBox/json", "", "", 400,
     "no such image: BusyBox: invalid reference format: repository name must be lowercase"),
    ("DELETE", "/images/BusyBox", "", "", 400, "invalid reference format: repository name must be lowercase"),
    ("POST", "/containers/create", '{"Image":"BusyBox","Cmd":["true"]}', JSON, 400,
     "invalid reference format: repository name must be lowercase"),
    ("POST", "/containers/create", '{"Image":"busybox:Latest","Cmd":["true"]}', JSON, 404,
     "No such image: busybox:Latest"),  # a tag may have upper case
]

# Older releases read bodies with 20.10's routers but were built with older Go (moby's Dockerfile GO_VERSION), whose
# UnmarshalTypeError said less: 19.03 (API 1.40, Go 1.12/1.13) names only the field itself (the key path came with Go
# 1.14); Docker 1.13 (API 1.25, Go 1.7.5) names no struct field at all (Struct and Field came with Go 1.8).
ROWS_140: list[Row] = [
    ("POST", "/containers/create", '{"Image":"busybox:latest","HostConfig":{"Memory":"x"}}', JSON, 500,
     "json: cannot unmarshal string into Go struct field HostConfig.Memory of type int64"),
    ("POST", "/volumes/create", '{"Labels":"AAA"}', JSON, 400,
     "json: cannot unmarshal string into Go struct field VolumeCreateBody.Labels of type map[string]string"),
]
ROWS_125: list[Row] = [
    ("POST", "/containers/create", '{"Image":5}', JSON, 500, "json: cannot unmarshal number into Go value of type string"),
    ("POST", "/containers/create", '{"Image":"busybox:latest","Cmd":5}', JSON, 500,
     "json: cannot unmarshal number into Go value of type string"),  # the StrSlice of Docker 1.13's Config too
    ("POST", "/volumes/create", "", JSON, 400, "got EOF while reading request body"),
]

# dockerd 25.0 (API 1.44), from moby v25.0.0: api/server/httputils/httputils.go (ReadJSON, matchesContentType),
# runconfig/config.go loadJSON and errors.go invalidJSONError, container_routes.go postContainersCreate (EOF, and
# runconfig.ErrEmptyConfig for a nil Config). The Go types are still types.NetworkCreateRequest, volume.CreateOptions
# (23.0+), runconfig.ContainerConfigWrapper.
ROWS_144: list[Row] = [
    ("POST", "/volumes/create", '{"Labels":"AAA"}', JSON, 400,
     "invalid JSON: json: cannot unmarshal string into Go struct field CreateOptions.Labels of type map[string]string"),
    ("POST", "/networks/create", '{"Name":[null,null]}', JSON, 400,
     "invalid JSON: json: cannot unmarshal array into Go struct field NetworkCreateRequest.Name of type string"),
    ("POST", "/networks/nosuch/connect", '{"Container":5}', JSON, 400,
     "invalid JSON: json: cannot unmarshal number into Go struct field NetworkConnect.Container of type string"),
    ("POST", "/containers/create", '{"Image":5}', JSON, 400,
     "invalid JSON: json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Image of type string"),
    ("POST", "/containers/create", '{"Image":"busybox"', JSON, 400, "invalid JSON: unexpected EOF"),
    ("POST", "/containers/create", "[1,2]", JSON, 400,
     "invalid JSON: json: cannot unmarshal array into Go value of type runconfig.ContainerConfigWrapper"),
    ("POST", "/containers/create", "", JSON, 400, "invalid JSON: got EOF while reading request body"),
    ("POST", "/containers/create", "{}", JSON, 400, "config cannot be empty in order to create a container"),
    ("POST", "/containers/create", '{"Image":"busybox:latest"} trailing', JSON, 400, "unexpected content after JSON"),
    ("POST", "/volumes/create", '{"Name":"t"} {"Name":"u"}', JSON, 400, "unexpected content after JSON"),
    ("POST", "/volumes/create", '{"Name":"x"', JSON, 400, "invalid JSON: unexpected EOF"),
    ("POST", "/volumes/create", " ", JSON, 400, "invalid JSON: got EOF while reading request body"),
    ("POST", "/containers/create", '{"Image":"busybox:latest"}', "text/plain", 400,
     "unsupported Content-Type header (text/plain): must be 'application/json'"),
    ("POST", "/containers/create", '{"Image":"busybox:latest"}', "", 400,
     "malformed Content-Type header (): mime: no media type"),
    ("POST", "/containers/nosuch/exec", '{"Cmd":"ls"}', JSON, 400,
     "invalid JSON: json: cannot unmarshal string into Go struct field ExecConfig.Cmd of type []string"),
    # filters.FromJSON: invalidFilter{} from 24.0 (api/types/filters/parse.go, errors.go); the volume router wraps it
    ("GET", "/containers/json?filters=%C3%A9", "", "", 400, "invalid filter"),
    ("GET", "/volumes?filters=%C3%A9", "", "", 400, "error reading volume filters: invalid filter"),
    ("GET", '/networks?filters={"Bogus":["x"]}', "", "", 400, "invalid filter 'Bogus'"),
    # github.com/distribution/reference (vendored from 25.0): the path, library/ included, in the text; tag checked
    # first from 24.0 (postImagesTag, httputils.RepoTagReference: 400 before the image lookup)
    ("POST", "/images/create?fromImage=BusyBox", "", "", 400,
     "invalid reference format: repository name (library/BusyBox) must be lowercase"),
    ("POST", "/images/nosuch:latest/tag?repo=Foo", "", "", 400,
     "invalid reference format: repository name (library/Foo) must be lowercase"),
    ("POST", "/images/busybox:latest/tag?repo=foo&tag=A:B", "", "", 400, "invalid tag format"),
    # no repo: RepoTagReference's (nil, nil) goes through errdefs.InvalidParameter(nil) == nil, so the router
    # returns without writing anything: 200, an empty body, no tag (and no image lookup)
    ("POST", "/images/nosuch:latest/tag", "", "", 200, ""),
    # putVolumesUpdate checks for a swarm manager before it reads anything (volume_routes.go)
    ("PUT", "/volumes/nosuch?version=1", "{}", JSON, 503,
     "volume update only valid for cluster volumes, but swarm is unavailable"),
]

# dockerd 27.0 (API 1.46): the request types moved to api/types/{container,network} (runconfig/config.go decodes
# into container.CreateRequest; network_routes.go network.CreateRequest / ConnectOptions; exec.go ExecOptions).
ROWS_146: list[Row] = [
    ("POST", "/containers/create", '{"Image":5}', JSON, 400,
     "invalid JSON: json: cannot unmarshal number into Go struct field CreateRequest.Image of type string"),
    ("POST", "/networks/create", '{"Name":[null,null]}', JSON, 400,
     "invalid JSON: json: cannot unmarshal array into Go struct field CreateRequest.Name of type string"),
    ("POST", "/networks/nosuch/disconnect", '{"Container":5}', JSON, 400,
     "invalid JSON: json: cannot unmarshal number into Go struct field DisconnectOptions.Container of type string"),
    ("POST", "/containers/nosuch/exec", '{"Cmd":"ls"}', JSON, 400,
     "invalid JSON: json: cannot unmarshal string into Go struct field ExecOptions.Cmd of type []string"),
]

# dockerd 28.2 (API 1.50) is built with Go 1.24.3 (Dockerfile GO_VERSION), whose UnmarshalTypeError.Field names
# the embedded structs a field is promoted through (golang/go#68966): Config in CreateRequest, Resources in HostConfig.
ROWS_150: list[Row] = [
    ("POST", "/containers/create", '{"Image":5}', JSON, 400,
     "invalid JSON: json: cannot unmarshal number into Go struct field CreateRequest.Config.Image of type string"),
    ("POST", "/containers/create", '{"Image":"busybox:latest","HostConfig":{"Memory":"x"}}', JSON, 400,
     "invalid JSON: json: cannot unmarshal string into Go struct field HostConfig.HostConfig.Resources.Memory "
     "of type int64"),
    ("POST", "/volumes/create", '{"Labels":"AAA"}', JSON, 400,
     "invalid JSON: json: cannot unmarshal string into Go struct field CreateOptions.Labels of type map[string]string"),
]


def _state(call) -> tuple:
    def names(path: str, key: str) -> list[str]:
        data = json.loads(call("GET", path)[1])
        return sorted(x[key] for x in (data["Volumes"] or [] if isinstance(data, dict) else data))

    return (names("/containers/json?all=1", "Id"), names("/volumes", "Name"), names("/networks", "Id"))


def _caller(sock: str, version: str):
    def call(method: str, path: str, body: str = "", content_type: str = JSON) -> tuple[int, bytes]:
        headers = {"Content-Type": content_type} if content_type else {}
        status, _, data = unix_http(sock, method, f"/v{version}" + path, body.encode() if body else None,
                                    headers=headers)
        return status, data

    return call


def _run(sock: str, version: str, rows: list[Row]) -> list[tuple[int, str]]:
    call = _caller(sock, version)
    before = _state(call)
    out = []
    for method, path, body, content_type, _, _ in rows:
        status, data = call(method, path, body, content_type)
        out.append((status, json.loads(data).get("message") if data.strip() else ""))
        assert _state(call) == before, (method, path, body)
    return out


def _expected(rows: list[Row]) -> list[tuple[int, str]]:
    return [(status, message) for *_, status, message in rows]


@pytest.mark.parametrize("version,rows", [("1.25", ROWS_125), ("1.40", ROWS_140), ("1.41", ROWS_141),
                                          ("1.44", ROWS_144), ("1.46", ROWS_146), ("1.50", ROWS_150)])
def test_mockd_reads_bodies_as_dockerd(version, rows):
    with mockd_with_busybox(version) as sock:
        assert _run(sock, version, rows) == _expected(rows)


@pytest.mark.realdaemon
def test_the_real_dockerd_answers_as_the_table_says(real_dockerd):  # noqa: F811
    import_busybox(real_dockerd)
    assert _run(real_dockerd.socket, "1.41", ROWS_141) == _expected(ROWS_141)


# --- what Go's decoding accepts, and how it reads it ---------------------------------------------------------


def _accepted(sock: str, version: str) -> dict:
    """Bodies dockerd accepts, and what it made of them (the parts of inspect the rules decide)."""
    call = _caller(sock, version)
    seen: dict = {}
    status, data = call("POST", "/containers/create?name=folded",
                        '{"image":"busybox:latest","cmd":["true"],"IMAGE":null,"LABELS":{"a":"1"},"labels":{"b":"2"}}')
    assert status == 201, data
    config = json.loads(call("GET", "/containers/folded/json")[1])["Config"]
    seen["create"] = (config["Image"], config["Cmd"], config["Labels"])
    status, data = call("POST", "/containers/create?name=strslice", '{"Image":"busybox:latest","Cmd":"echo hi"}')
    assert status == 201, data
    seen["strslice"] = json.loads(call("GET", "/containers/strslice/json")[1])["Config"]["Cmd"]
    status, data = call("POST", "/volumes/create", '{"name":"v2","Name":"v3","DriverOpts":null}')
    seen["volume"] = (status, json.loads(data)["Name"])
    status, data = call("POST", "/containers/create?name=trailing", '{"Image":"busybox:latest","Cmd":["true"]} trailing')
    seen["trailing"] = status
    for name in ("folded", "strslice", "trailing"):
        call("DELETE", f"/containers/{name}?force=1")
    call("DELETE", "/volumes/v3")
    return seen


ACCEPTED_141 = {
    "create": ("busybox:latest", ["true"], {"a": "1", "b": "2"}),  # case folded; null leaves Image set; the second
    # Labels decodes into the map the first made
    "strslice": ["echo hi"],  # Cmd is a StrSlice: one string is a one-element list
    "volume": (201, "v3"),  # the last of the duplicate keys
    "trailing": 201,  # 20.10's Decoder reads one value and never looks further
}


def test_mockd_accepts_what_go_accepts():
    with mockd_with_busybox() as sock:
        assert _accepted(sock, "1.41") == ACCEPTED_141


@pytest.mark.realdaemon
def test_the_real_dockerd_accepts_the_same(real_dockerd):  # noqa: F811
    import_busybox(real_dockerd)
    assert _accepted(real_dockerd.socket, "1.41") == ACCEPTED_141
