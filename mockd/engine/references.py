"""Image references the way the docker CLI and dockerd normalise them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InvalidParameter

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


def parse(ref: str, tag: str | None = None) -> Reference:
    text = ref.strip()
    m = _REF.match(text)
    if not m or text.lower() != text:
        raise InvalidParameter(f"invalid reference format: repository name ({text}) must be lowercase"
                               if text.lower() != text else "invalid reference format")
    repo = familiar(m.group("name"))
    return Reference(repo, tag or m.group("tag"), m.group("digest"))


def is_id_like(text: str) -> bool:
    return bool(re.fullmatch(r"(sha256:)?[0-9a-f]{4,64}", text))
