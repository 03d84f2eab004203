"""The daemon side of the bad-input tables (issue 9): a mockd impersonating one release, with busybox, as the
real dockerd fixtures give it (tests/realdaemons.py import_busybox)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from mockd.pytest_plugin import MockdServer


@contextlib.contextmanager
def mockd_with_busybox(version: str = "1.41") -> Iterator[str]:
    """The socket of a mockd whose newest API is ``version``, busybox:latest pulled."""
    with MockdServer(["--api-version", version]) as mock:
        assert mock.request("POST", f"/v{version}/images/create?fromImage=busybox&tag=latest")[0] == 200
        yield mock.socket
