"""mockd.accept: dockerd's content negotiation (gddo httputil.NegotiateContentType, and the exact match of engines from 29.3), rule by rule."""

from __future__ import annotations

import pytest

from mockd.accept import accepted_ranges, match_exact, negotiate

OFFERS = ["application/jsonl", "application/x-ndjson", "application/json-seq"]
DEFAULT = "application/json"


@pytest.mark.parametrize("headers,chosen", [
    ([], DEFAULT),  # no header: the default, never a 406
    ([""], DEFAULT),
    (["text/html"], DEFAULT),  # only other types
    (["*/*"], "application/jsonl"),  # a wildcard takes the first offer
    (["application/*"], "application/jsonl"),
    (["text/*"], DEFAULT),
    (["application/json-seq"], "application/json-seq"),
    (["*/*, application/json-seq"], "application/json-seq"),  # exact beats a wildcard at equal q
    (["*/*, application/*"], "application/jsonl"),  # type/* beats */*: both pick the first offer
    (["application/x-ndjson;q=0.5, application/json-seq;q=0.9"], "application/json-seq"),  # higher q wins
    (["application/x-ndjson;q=0.5, */*;q=0.6"], "application/jsonl"),
    (["application/json-seq, application/x-ndjson"], "application/x-ndjson"),  # equal: the offers' order
    (["application/jsonl;q=0, application/x-ndjson"], "application/x-ndjson"),  # q=0 never matches
    (["application/x-ndjson", "application/jsonl"], "application/jsonl"),  # several headers: all ranges count
    (["Application/JSONL"], DEFAULT),  # compared as sent
])
def test_negotiation(headers, chosen):
    assert negotiate(headers, OFFERS, DEFAULT) == chosen


@pytest.mark.parametrize("header,ranges", [
    ("a/b, c/d;q=0.5", [("a/b", 1.0), ("c/d", 0.5)]),
    ("a/b;q=1.5, c/d", [("a/b", 1.5), ("c/d", 1.0)]),  # read as gddo reads it, above 1 too
    ("a/b;q=0., c/d", [("a/b", 0.0), ("c/d", 1.0)]),
    ("a/b;level=1, c/d", []),  # another parameter ends the header's list
    ("x/y, a/b;q=0.5;level=1, c/d", [("x/y", 1.0), ("a/b", 0.5)]),  # so does one after the quality
    ("a/b;q=high, c/d", []),
    ("a/b, , c/d", [("a/b", 1.0)]),  # an empty range ends it too
])
def test_reading_the_header(header, ranges):
    assert accepted_ranges([header]) == ranges


@pytest.mark.parametrize("headers,chosen", [
    ([], None),
    ([""], None),
    (["", "application/json-seq"], None),  # dockerd looks at the first Accept header for emptiness
    (["*/*"], None),  # wildcards are ignored: curl and docker-py send */* without choosing
    (["application/*"], None),
    (["text/html"], None),
    (["application/json-seq"], "application/json-seq"),
    (["*/*, application/json-seq"], "application/json-seq"),
    (["application/x-ndjson;q=0.5, application/json-seq;q=0.9"], "application/json-seq"),  # higher q wins
    (["application/json-seq, application/x-ndjson"], "application/x-ndjson"),  # equal q: the offers' order
    (["application/jsonl;q=0"], None),  # q=0 never matches
    (["application/x-ndjson", "application/jsonl"], "application/jsonl"),  # several headers: all ranges count
    (["Application/JSONL"], None),  # compared as sent
])
def test_exact_match(headers, chosen):
    assert match_exact(headers, OFFERS) == chosen
