"""Re-check recorded exchanges against one daemon version: the findings, the version choice,
the possible response-side hazards. Used by ``apicheck client`` (on its own runs' records) and
``apicheck traffic`` (on a record made earlier)."""

from __future__ import annotations

from checker.client import rules
from checker.client.context import document_for, split_prefix
from checker.client.model import Choice, CommandOutcome, Exchange, VersionResult
from checker.client.targets import Target
from specs.releases import dockerd_key


def version_choice(exchanges: list[Exchange]) -> Choice:
    """negotiated: an unprefixed ``/_ping`` or ``/version`` came before the first prefixed request;
    pinned: a prefixed request came first; unprefixed: no request had a prefix."""
    prefixes: list[str] = []
    via = None
    first_prefixed_seen = False
    for e in exchanges:
        requested, rest = split_prefix(e.path)
        if requested is None:
            if not first_prefixed_seen and via is None and rest in ("/_ping", "/version"):
                via = f"{e.method} {rest}"
            continue
        first_prefixed_seen = True
        if requested not in prefixes:
            prefixes.append(requested)
    if not exchanges:
        return Choice("none")
    if not prefixes:
        return Choice("unprefixed", [], via)
    return Choice("negotiated" if via else "pinned", prefixes, via)


def highest(prefixes: list[str]) -> str | None:
    return max(prefixes, key=dockerd_key) if prefixes else None


def analyze(target: Target, exchanges: list[Exchange], client_version: str | None = None,
            command: CommandOutcome | None = None) -> VersionResult:
    choice = version_choice(exchanges)
    result = VersionResult(target, len(exchanges), choice, command=command)
    called: dict[tuple[str, str], Exchange] = {}
    for e in exchanges:
        for f in rules.analyze_exchange(target, e):
            (result.looseness if f.source == "wire-profile" else result.findings).append(f)
        requested, rest = split_prefix(e.path)
        op = _served(target, e.method, rest, requested)
        if op is not None:
            called.setdefault((op.method, op.path), e)
    written_for = client_version or _known(highest(choice.prefixes))
    run = rules.RunCtx(target, exchanges, called, written_for)
    for rule in rules.RUN_RULES.values():
        result.possible += rule(run)
    return result


def _known(version: str | None) -> str | None:
    """A prefix the documents know (``1.24`` and older: the oldest document)."""
    if version is None:
        return None
    return document_for(version).version


def _served(target: Target, method: str, rest: str, requested: str | None):
    """The daemon's operation for a request it accepted (None: 404 or refused version)."""
    import specs

    found = specs.load(target.api).match(method, rest)
    if found is None:
        return None
    sent = requested or target.api
    if dockerd_key(sent) < dockerd_key(target.min_api) or dockerd_key(target.api) < dockerd_key(sent):
        return None
    return found[0]
