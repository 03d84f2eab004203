"""Content negotiation from an ``Accept`` header, as dockerd does it (so far only ``GET /events`` negotiates):
:func:`negotiate` is the gddo ``httputil`` rule of engines 29.0 to 29.2, :func:`match_exact` the stricter one of
engines from 29.3, which ignores wildcards because clients such as curl and docker-py send ``*/*`` by default.

The rules that decide what a client gets, each of them observable on the wire:
- the offers are tried in the server's order, and for each offer every accepted range;
- a range with ``q=0`` never matches; a higher ``q`` wins; at equal ``q`` an exact type beats ``type/*``, which
  beats ``*/*``; at equal ``q`` and kind the earlier offer stays;
- no match (no header, or only other types) gives the server's default, not an error (no 406);
- the header is read as gddo reads it: a range's parameters other than a leading ``q=`` end that header's list,
  and types are compared as sent (no case folding).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_EXACT, _SUBTYPE_WILD, _ANY, _NONE = 0, 1, 2, 3
# gddo's expectQuality: a 0 or a 1, then optional decimals (so "1.5" is read as 1.5, "0.5x" as 0.5).
_QUALITY = re.compile(r"q=([01])(?:\.([0-9]*))?")


def accepted_ranges(headers: Iterable[str]) -> list[tuple[str, float]]:
    """``(media range, q)`` pairs of each ``Accept`` header, in order."""
    ranges: list[tuple[str, float]] = []
    for header in headers:
        for part in header.split(","):
            value, _, params = part.partition(";")
            value = value.strip()
            if not value:
                break
            if not params:
                ranges.append((value, 1.0))
                continue
            quality = _QUALITY.match(params.strip())
            if quality is None:
                break  # gddo stops reading this header at any parameter but a leading, readable q
            q = float(quality.group(1) + "." + (quality.group(2) or "0"))
            ranges.append((value, q))
            if params.strip()[quality.end():].strip():
                break  # ... and after anything that follows the quality
    return ranges


def negotiate(headers: Iterable[str], offers: Sequence[str], default: str) -> str:
    """The offer that best matches the accepted ranges, or ``default`` when none does."""
    best, best_q, best_kind = default, -1.0, _NONE
    ranges = accepted_ranges(headers)
    for offer in offers:
        for value, q in ranges:
            if q == 0.0 or q < best_q:
                continue
            if value == "*/*":
                kind = _ANY
            elif value.endswith("/*"):
                if not offer.startswith(value[:-1]):
                    continue
                kind = _SUBTYPE_WILD
            elif value == offer:
                kind = _EXACT
            else:
                continue
            if q > best_q or best_kind > kind:
                best, best_q, best_kind = offer, q, kind
    return best


def match_exact(headers: Sequence[str], offers: Sequence[str]) -> str | None:
    """The offer named exactly (no wildcard) with the highest ``q`` above 0, the earlier offer at equal ``q``;
    None when there is no ``Accept`` or none is named. The ranges are read as :func:`negotiate` reads them."""
    if not headers or not headers[0]:
        return None  # dockerd tests the first Accept header only for this
    best, best_q = None, -1.0
    ranges = accepted_ranges(headers)
    for offer in offers:
        for value, q in ranges:
            if q != 0.0 and value == offer and q > best_q:
                best, best_q = offer, q
    return best
