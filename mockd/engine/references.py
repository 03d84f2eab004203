"""Image references the way the docker CLI and dockerd normalise them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import EngineError, InvalidParameter

_REF = re.compile(r"^(?P<name>[a-z0-9]+(?:[._-][a-z0-9]+|__)*(?:/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*"
                  r"|(?:[a-zA-Z0-9.-]+(?::\d+)?/)[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
                  r"(?:/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*)"
                  r"(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$")


@dataclass(frozen=True)
class Reference:
    repo: str  # familiar form: "busybox", "me/app", "localhost:5000/x"
    tag: str | None
    digest: str | None

    @property
    def name(self) -> str:
        """repo:tag (tag defaulting to latest) or repo@digest."""
        if self.digest and not self.tag:
            return f"{self.repo}@{self.digest}"
        return f"{self.repo}:{self.tag or 'latest'}"

    @property
    def domain(self) -> str:
        first = self.repo.split("/", 1)[0]
        return first if "/" in self.repo and ("." in first or ":" in first or first == "localhost") else "docker.io"

    @property
    def path(self) -> str:
        """The repository path in its registry ("library/busybox")."""
        if self.domain != "docker.io":
            return self.repo.split("/", 1)[1]
        return self.repo if "/" in self.repo else f"library/{self.repo}"


def familiar(repo: str) -> str:
    for prefix in ("docker.io/library/", "index.docker.io/library/", "docker.io/", "index.docker.io/"):
        if repo.startswith(prefix):
            return repo[len(prefix):]
    return repo


def _remote(name: str) -> str:
    """The repository path as distribution/reference's ParseNormalizedNamed checks its case: the domain split off
    (splitDockerDomain), ``library/`` before an official name, the tag cut."""
    first, slash, rest = name.partition("/")
    if not slash or (not any(c in first for c in ".:") and first != "localhost" and first.lower() == first):
        remainder = name
        if "/" not in remainder:
            remainder = "library/" + remainder
    else:
        remainder = rest
    return remainder.split(":", 1)[0]


def parse(ref: str, tag: str | None = None) -> Reference:
    """A reference as dockerd's ParseNormalizedNamed reads it. An upper-case repository path is refused with the
    text of distribution/reference v0.5 (moby 25+; the handlers give older daemons' wording), a tag may have any case."""
    text = ref.strip()
    remote = _remote(text)
    if remote.lower() != remote:
        raise InvalidParameter(f"invalid reference format: repository name ({remote}) must be lowercase")
    m = _REF.match(text)
    if not m:
        raise InvalidParameter("invalid reference format")
    repo = familiar(m.group("name"))
    return Reference(repo, tag or m.group("tag"), m.group("digest"))


_TAG = re.compile(r"[\w][\w.-]{0,127}")


def parse_new_tag(repo: str, tag: str = "", status: int = 500) -> Reference:
    """The name a tag operation gives an image (ParseNormalizedNamed, then WithTag), refused with ``status``:
    500 where dockerd passes the reference package's plain error on (20.10 TagImage), 400 where it checks first."""
    try:
        ref = parse(repo) if repo else None
    except InvalidParameter as err:
        raise EngineError(err.message, status) from None
    if ref is None:
        raise EngineError("invalid reference format", status)
    if tag and not _TAG.fullmatch(tag):
        raise EngineError("invalid tag format", status)
    return Reference(ref.repo, tag or ref.tag, ref.digest)


def is_id_like(text: str) -> bool:
    return bool(re.fullmatch(r"(sha256:)?[0-9a-f]{4,64}", text))
