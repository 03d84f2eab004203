"""What of a build context the daemon itself leaves out by `.dockerignore` (issue 13, docker-py's
test_build_with_dockerignore): the client leaves excluded files out of the tar it sends; dockerd 20.10's classic
builder then takes out only `.dockerignore` and the Dockerfile, when a pattern matches them, with moby's
PatternMatcher rules (`*`, `?`, `**`, `!` exceptions where the last match wins, parent directories, `\\`
escapes, comments, a BOM, a leading `/`; a bad pattern disables all of it). Each context is built with
`COPY . /ctx/` and the image's /ctx listed; the same requests go to mockd and the real dockerd."""

from __future__ import annotations

import io
import json
import tarfile
import urllib.parse

import pytest

from mockd.engine.dockerignore import PatternMatcher, read_all
from mockd.pytest_plugin import MockdServer
from tests.engine_support import tar_of
from tests.realdaemons import import_busybox, parse_json_stream, real_dockerd, unix_http  # noqa: F401  (fixture)

COPY_ALL = "FROM busybox\nCOPY . /ctx/\n"
# name -> (.dockerignore, the Dockerfile's path in the context)
CASES = {
    "other-files-stay": ("secret.txt\n", "Dockerfile"),
    "both-named": ("Dockerfile\n.dockerignore\n", "Dockerfile"),
    "star-with-exception": ("*\n!Dockerfile\n", "Dockerfile"),
    "exception-then-match": ("!Dockerfile\nDockerfile\n", "Dockerfile"),
    "match-then-exception": ("Dockerfile\n!Docker?ile\n", "Dockerfile"),
    "exception-with-space": ("*\n! .dockerignore  \n", "Dockerfile"),
    "double-star-no-dirs": ("**/Docker*\n", "Dockerfile"),
    "double-star-deep": ("**/Dfile\n", "a/b/Dfile"),
    "double-star-at-end": ("a/**\n", "a/b/Dfile"),
    "parent-directory": ("sub\n", "sub/Dfile"),
    "star-is-one-level": ("*/Dfile\n", "a/b/Dfile"),
    "comment": ("#Dockerfile\n", "Dockerfile"),
    "leading-slash-and-bom": ("\ufeff/Dockerfile\n", "Dockerfile"),
    "escape-is-the-regexps": ("Docker\\file\n", "Dockerfile"),  # `\f` reaches the regexp: a form feed
    "escaped-star-is-literal": ("Docker\\*\n", "Dockerfile"),
    "dot-files": (".*\n", "Dockerfile"),
    "bad-pattern-disables-all": ("Dockerfile\n[\n", "Dockerfile"),
}


def context(ignore: str, dockerfile: str) -> bytes:
    return tar_of({dockerfile: COPY_ALL, ".dockerignore": ignore, "secret.txt": "s", "keep": "k"})


def scenario(sock: str) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, (ignore, dockerfile) in CASES.items():
        query = urllib.parse.urlencode({"t": f"ctx-{name}", "dockerfile": dockerfile})
        status, _, body = unix_http(sock, "POST", f"/v1.41/build?{query}", body=context(ignore, dockerfile),
                                    headers={"Content-Type": "application/x-tar"})
        errors = [m for m in parse_json_stream(body) if "error" in m]
        if status != 200 or errors:
            out[name] = (status, errors)
            continue
        create = {"Image": f"ctx-{name}", "Cmd": ["true"], "HostConfig": {"NetworkMode": "none"}}
        _, _, body = unix_http(sock, "POST", "/v1.41/containers/create", body=json.dumps(create).encode(),
                               headers={"Content-Type": "application/json"})
        cid = json.loads(body)["Id"]
        _, _, body = unix_http(sock, "GET", f"/v1.41/containers/{cid}/archive?path=/ctx")
        out[name] = sorted(tarfile.open(fileobj=io.BytesIO(body)).getnames())
        unix_http(sock, "DELETE", f"/v1.41/containers/{cid}")
    return out


def _listing(*names: str) -> list[str]:
    return sorted(["ctx", *(f"ctx/{n}" for n in names)])


EVERYTHING = (".dockerignore", "Dockerfile", "keep", "secret.txt")
EXPECTED = {
    "other-files-stay": _listing(*EVERYTHING),
    "both-named": _listing("keep", "secret.txt"),
    "star-with-exception": _listing("Dockerfile", "keep", "secret.txt"),
    "exception-then-match": _listing(".dockerignore", "keep", "secret.txt"),
    "match-then-exception": _listing(*EVERYTHING),
    "exception-with-space": _listing(".dockerignore", "keep", "secret.txt"),
    "double-star-no-dirs": _listing(".dockerignore", "keep", "secret.txt"),
    "double-star-deep": _listing(".dockerignore", "a", "a/b", "keep", "secret.txt"),
    "double-star-at-end": _listing(".dockerignore", "a", "a/b", "keep", "secret.txt"),
    "parent-directory": _listing(".dockerignore", "keep", "secret.txt", "sub"),
    "star-is-one-level": _listing(".dockerignore", "a", "a/b", "a/b/Dfile", "keep", "secret.txt"),
    "comment": _listing(*EVERYTHING),
    "leading-slash-and-bom": _listing(".dockerignore", "keep", "secret.txt"),
    "escape-is-the-regexps": _listing(*EVERYTHING),
    "escaped-star-is-literal": _listing(*EVERYTHING),
    "dot-files": _listing("Dockerfile", "keep", "secret.txt"),
    "bad-pattern-disables-all": _listing(*EVERYTHING),
}


def test_mockd_leaves_out_what_dockerd_leaves_out():
    with MockdServer(["--api-version", "1.41"]) as mock:
        assert mock.request("POST", "/v1.41/images/create?fromImage=busybox&tag=latest")[0] == 200
        assert scenario(mock.socket) == EXPECTED


@pytest.mark.realdaemon
def test_the_real_dockerd_leaves_out_what_the_table_says(real_dockerd):  # noqa: F811
    import_busybox(real_dockerd)
    assert scenario(real_dockerd.socket) == EXPECTED


@pytest.mark.parametrize(("patterns", "path", "excluded"), [
    (["**/*.go"], "a/b/c.go", True),
    (["**/*.go"], "c.go", True),
    (["a/**/b"], "a/b", True),
    (["a/**/b"], "a/x/y/b", True),
    (["a/*/b"], "a/x/y/b", False),
    (["docs"], "docs/a/b.md", True),  # a parent directory matches
    (["docs", "!docs/keep.md"], "docs/keep.md", False),
    (["docs", "!docs/keep.md"], "docs/other.md", True),
    (["*.md", "!README.md", "README*"], "README.md", True),  # the last matching pattern wins
    (["a?c"], "a/c", False),  # `?` never matches `/`
    (["f.o"], "fxo", False),  # `.` is literal
    (["x/../y"], "y", True),  # patterns are cleaned
])
def test_pattern_matcher(patterns: list[str], path: str, excluded: bool):
    assert PatternMatcher(read_all("\n".join(patterns))).matches(path) is excluded
