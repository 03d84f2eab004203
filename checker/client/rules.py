"""The rules of ``apicheck client``/``traffic``, registered in one place.

An *exchange rule* looks at one recorded request as the target daemon would see it and returns
findings; it may end the request's checks (``ctx.stop``), as dockerd stops at the router's 404
or the version check. A *run rule* looks at the whole run (response-side hazards of the
endpoints called). Rules run in registration order.

Severities: what the daemon refuses or lacks is an ``error``; what it silently ignores or no
longer knows is a ``warning``; deprecations, and anything sent with an empty (Go zero) value,
which an ignoring daemon loses nothing of, are ``info``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import specs
from checker.client import history
from checker.client.context import (
    Ctx,
    changelog_removal,
    document_for,
    is_default,
    is_empty,
    plain_version,
    sent_names,
    sent_value,
    split_prefix,
)
from checker.client.model import Exchange
from checker.client.targets import Target
from checker.flatten import Key
from specs.findings import Finding
from specs.releases import dockerd_key
from specs.validation import check_request

ExchangeRule = Callable[[Ctx], Iterable[Finding]]
EXCHANGE_RULES: dict[str, ExchangeRule] = {}


def exchange_rule(name: str) -> Callable[[ExchangeRule], ExchangeRule]:
    def register(fn: ExchangeRule) -> ExchangeRule:
        EXCHANGE_RULES[name] = fn
        return fn

    return register


def _is_ping(method: str, rest: str) -> bool:
    return rest == "/_ping" and method in ("GET", "HEAD")


def _ranges(versions: list[str]) -> str:
    from checker.report.common import version_ranges

    return version_ranges(versions)


@exchange_rule("missing-endpoint")
def missing_endpoint(ctx: Ctx) -> Iterable[Finding]:
    """The daemon's router does not have the path: dockerd answers 404 page not found."""
    server_spec = specs.load(ctx.target.api)
    found = server_spec.match(ctx.exchange.method, ctx.rest)
    if found is None and _is_ping(ctx.exchange.method, ctx.rest):
        found = specs.load(specs.latest()).match(ctx.exchange.method, ctx.rest)  # every dockerd answers a ping
    if found is not None:
        ctx.server_op = found[0]
        return []
    ctx.stop = True
    where = history.endpoint_versions(ctx.exchange.method, ctx.rest)
    if not where:
        return [ctx.finding("undocumented-endpoint", "warning", "endpoint", "",
                            f"{ctx.exchange.method} {ctx.rest} is in no API document 1.25..{specs.latest()}; "
                            f"daemon {ctx.target.api} answers 404 page not found")]
    newer = [v for v in where if specs.compare(v, ctx.target.api) > 0]
    when = f"added in {newer[0]}" if newer else f"removed after {where[-1]}"
    return [ctx.finding("missing-endpoint", "error", "endpoint", "",
                        f"daemon {ctx.target.api} has no {ctx.exchange.method} {ctx.rest} ({when}; documented at "
                        f"{_ranges(where)}): 404 page not found", hazard="newer-client" if newer else "newer-server",
                        documented_at=_ranges(where))]


@exchange_rule("refused-version")
def refused_version(ctx: Ctx) -> Iterable[Finding]:
    """dockerd's version middleware: too old, then too new (400 with these texts)."""
    t = ctx.target
    if dockerd_key(ctx.sent) < dockerd_key(t.min_api):
        text = (f"client version {ctx.sent} is too old. Minimum supported API version is {t.min_api}, "
                "please upgrade your client to a newer version")
    elif dockerd_key(t.api) < dockerd_key(ctx.sent):
        text = f"client version {ctx.sent} is too new. Maximum supported API version is {t.api}"
    else:
        return []
    ctx.stop = True
    return [ctx.finding("refused-version", "error", "endpoint", "", f"400: {text}",
                        hazard="newer-server" if "too old" in text else "newer-client", message=text,
                        recorded_status=ctx.exchange.status)]


@exchange_rule("unknown-endpoint")
def unknown_endpoint(ctx: Ctx) -> Iterable[Finding]:
    """The daemon serves the path, but the version the request was sent at does not have it."""
    ctx.sent_spec = document_for(ctx.sent)
    found = ctx.sent_spec.match(ctx.exchange.method, ctx.rest)
    if found is not None:
        ctx.sent_op = found[0]
        return []
    ctx.stop = True
    if _is_ping(ctx.exchange.method, ctx.rest):
        return []  # documented from 1.40, answered by every dockerd: clients ping before they know the version
    op = ctx.server_op
    assert op is not None
    key = Key(op.method, op.path, "endpoint", "", "")
    added = history.added_after(key, ctx.sent_spec.version)
    return [ctx.finding("unknown-endpoint", "error", "endpoint", "",
                        f"{op.method} {op.path} does not exist at API {ctx.sent}"
                        + (f" (added in {added})" if added else "") + f"; daemon {ctx.target.api} serves it anyway",
                        hazard="newer-client", added_in=added)]


@exchange_rule("request-fields")
def request_fields(ctx: Ctx) -> Iterable[Finding]:
    """Query parameters, body fields and enum values that do not exist at the version sent:
    the silent-ignore hazard (dockerd ignores unknown fields). Each unknown one is placed in the
    documents' history: newer than the prefix, removed earlier, or in no version at all."""
    assert ctx.sent_spec is not None and ctx.sent_op is not None
    found = check_request(ctx.sent_spec, ctx.sent_op, ctx.exchange.query, ctx.exchange.body)
    out = []
    for f in found:
        if f.source != "spec":
            out.append(ctx.finding(f.kind, "info", f.location, f.name, str(f.detail), source=f.source))
            continue
        out.append(_placed(ctx, f))
    return out


def _placed(ctx: Ctx, f: Finding) -> Finding:
    op = ctx.sent_op
    assert op is not None and ctx.sent_spec is not None
    sent_doc = ctx.sent_spec.version
    value = sent_value(ctx, f.location, f.name)
    empty = is_empty(value) and f.kind in ("unknown-field", "unknown-query-parameter")
    severity = "info" if empty else f.severity
    note = "; sent empty (a Go zero value): a daemon ignoring it loses nothing" if empty else ""
    key = Key(op.method, op.path, f.location, f.name, "")
    what = f"{'query parameter' if f.location == 'query' else 'body field'} {f.name}"
    if f.kind in ("unknown-field", "unknown-query-parameter"):
        late = history.documented_late(key)
        if late is not None and plain_version(ctx.sent) and specs.compare(ctx.sent, late["understood_since"]) >= 0:
            documented = "is in no document" if late["documented_in"] == "never" else \
                f"is documented only from {late['documented_in']}"
            return ctx.finding("documented-late", "info", f.location, f.name,
                               f"{what} {documented}, but dockerd understands it from {late['understood_since']}: "
                               f"{late['evidence']}", source="wire-profile")
        real = history.case_variant(key, sent_doc) if f.location == "body" else None
        if real is not None:
            # Go's encoding/json matches struct fields case-insensitively: dockerd reads it as the real field.
            return ctx.finding("case-variant", "info", f.location, f.name,
                               f"{what} is spelt {real!r} in the document; dockerd's JSON decoder matches "
                               "field names case-insensitively, so it is understood", source="wire-profile")
        added, before = history.added_after(key, sent_doc), history.last_before(key, sent_doc)
        if added:
            if not empty and is_default(history.rec_at(key, added), value):
                severity, note = "info", "; sent with its default value: a daemon ignoring it does what was asked"
            known = specs.compare(added, ctx.target.api) <= 0
            return ctx.finding(
                "newer-than-prefix", severity, f.location, f.name,
                f"{what} is documented from {added}, not at the version sent ({ctx.sent}); "
                + (f"daemon {ctx.target.api} documents it, but may apply {ctx.sent} semantics"
                   if known else f"nor at daemon {ctx.target.api}'s version: expect it ignored") + note,
                hazard="newer-client", added_in=added, empty=empty or None)
        if before:
            gone = history.went_away(key)
            return ctx.finding(
                "removed-field", severity, f.location, f.name,
                f"{what} no longer exists at {ctx.sent} ({history.phrase(gone) or f'last in {before}'}); "
                f"expect daemon {ctx.target.api} to ignore it" + note,
                hazard="newer-server", last_in=before, history=gone, empty=empty or None)
        fact = changelog_removal(op.method, op.path, f.location, f.name)
        if fact is not None:
            # Undocumented, but the changelog says when dockerd stopped honouring it.
            if plain_version(ctx.sent) and specs.compare(ctx.sent, fact.version) >= 0:
                return ctx.finding("removed-field", severity, f.location, f.name,
                                   f"{what}: {fact.summary} (changelog); sent at {ctx.sent}, "
                                   f"expect daemon {ctx.target.api} to ignore it" + note,
                                   hazard="newer-server", source="changelog", changed_in=fact.version,
                                   empty=empty or None)
            return ctx.finding(f.kind, "info", f.location, f.name,
                               f"{what} is in no API document but honoured before {fact.version} "
                               f"(changelog: {fact.summary})", source="changelog", changed_in=fact.version)
        return ctx.finding(f.kind, severity, f.location, f.name,
                           f"{what} is in no API document: expect daemon {ctx.target.api} to ignore it" + note,
                           empty=empty or None)
    if f.kind == "enum-mismatch":
        late = history.documented_late(key, value)
        if late is not None and plain_version(ctx.sent) and specs.compare(ctx.sent, late["understood_since"]) >= 0:
            return ctx.finding("documented-late", "info", f.location, f.name,
                               f"{what}={value!r} is documented only from {late['documented_in']}, but dockerd "
                               f"accepts it from {late['understood_since']}: {late['evidence']}", source="wire-profile")
        later = history.enum_accepted_from(key, value, sent_doc)
        earlier = history.enum_accepted_until(key, value, sent_doc)
        if later:
            return ctx.finding("newer-enum-value", severity, f.location, f.name,
                               f"{what}={value!r} is accepted from {later}, not at the version sent ({ctx.sent})",
                               hazard="newer-client", value=value, accepted_from=later)
        if earlier:
            return ctx.finding("removed-enum-value", severity, f.location, f.name,
                               f"{what}={value!r} was last accepted at {earlier}, not at {ctx.sent}",
                               hazard="newer-server", value=value, accepted_until=earlier)
    return ctx.finding(f.kind, severity, f.location, f.name, str(f.detail))


@exchange_rule("deprecated-or-removed")
def deprecated_or_removed(ctx: Ctx) -> Iterable[Finding]:
    """What the request uses that is deprecated at the version sent, or that the daemon's newer
    version deprecated or removed (with the history: "deprecated in 1.43, removed in 1.44")."""
    op, spec = ctx.sent_op, ctx.sent_spec
    assert op is not None and spec is not None
    out = []
    newer_server = specs.compare(ctx.target.api, spec.version) > 0
    items = [("endpoint", "")] + sent_names(ctx)
    for location, name in dict.fromkeys(items):
        key = Key(op.method, op.path, location, name, "")
        here = history.rec_at(key, spec.version)
        if here is None:
            continue
        what = f"{op.method} {op.path}" if location == "endpoint" else \
            f"{'query parameter' if location == 'query' else 'body field'} {name}"
        value = None if location == "endpoint" else sent_value(ctx, location, name)
        empty = location != "endpoint" and is_empty(value)
        note = "; sent empty (a Go zero value)" if empty else ""
        at_server = history.rec_at(key, ctx.target.api) if newer_server else here
        steps = history.steps(key, spec.version, ctx.target.api) if newer_server else []
        if newer_server and at_server is None:
            out.append(ctx.finding(
                "removed-at-server", "info" if empty else "warning", location, name,
                f"{what} exists at {ctx.sent} but daemon {ctx.target.api} no longer has it "
                f"({history.phrase(steps)}): expect it ignored there" + note,
                hazard="newer-server", history=steps, empty=empty or None))
        elif here.deprecated or (at_server is not None and at_server.deprecated):
            since = here.deprecated and spec.version or next(
                (s["version"] for s in steps if s["change"] == "deprecated"), ctx.target.api)
            gone = history.went_away(key)
            out.append(ctx.finding(
                "deprecated", "info", location, name,
                f"{what} is deprecated{' at ' + ctx.sent if here.deprecated else f' from {since}'}"
                + (f" ({history.phrase(gone)})" if gone else "") + note,
                hazard="newer-server", history=gone or None))
    return out


# --- the version choice and the response side ----------------------------------------------------


@dataclass
class RunCtx:
    """A whole run at one daemon version: what the run rules see."""

    target: Target
    exchanges: list[Exchange]
    called: dict[tuple[str, str], Exchange]  # (method, template) served at the daemon -> first request
    client_version: str | None  # the version the client was written for


RunRule = Callable[[RunCtx], Iterable[Finding]]
RUN_RULES: dict[str, RunRule] = {}


def run_rule(name: str) -> Callable[[RunRule], RunRule]:
    def register(fn: RunRule) -> RunRule:
        RUN_RULES[name] = fn
        return fn

    return register


@run_rule("possible-response-changes")
def possible_response_changes(run: RunCtx) -> Iterable[Finding]:
    """What a client reads cannot be seen in its requests: for the endpoints it called, the
    response fields that differ between the version it was written for and the daemon's,
    labelled possible (never observed)."""
    from checker.skew import skew

    client = run.client_version
    if client is None or specs.compare(client, run.target.api) == 0:
        return []
    out = []
    for f in skew(client, run.target.api):
        if f.location not in ("response", "response-header") or (f.method, f.path) not in run.called:
            continue
        first = run.called[(f.method, f.path)]
        out.append(Finding(
            kind=f.kind, severity=f.severity, api_version=run.target.api, method=f.method, path=f.path,
            location=f.location, name=f.name, detail=f.detail, source=f.source, hazard=f.hazard,
            extra={**f.extra, "possible": True, "server": run.target.label, "server_api": run.target.api,
                   "request": first.ref(f.path)},
        ))
    return out



def analyze_exchange(target: Target, exchange: Exchange) -> list[Finding]:
    requested, rest = split_prefix(exchange.path)
    ctx = Ctx(target, exchange, requested, rest, requested or target.api)
    for rule in EXCHANGE_RULES.values():
        ctx.findings += rule(ctx)
        if ctx.stop:
            break
    return ctx.findings
