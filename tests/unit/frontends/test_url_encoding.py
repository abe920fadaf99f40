"""Which URLs the UTF-8 check refuses, read from the undecoded path and query string."""

from __future__ import annotations

import pytest

from weighthouse.frontends.rest.url_encoding import undecodable_part


@pytest.mark.parametrize(
    ("raw_path", "query", "expected"),
    [
        (b"/api/buckets/a/b/objects/coll", b"", None),
        (b"/api/buckets/a/b/objects/caf%C3%A9", b"prefix=caf%C3%A9", None),
        (b"/api/buckets/a/b/objects/caf\xc3\xa9", b"", None),  # unescaped but valid UTF-8
        (b"/api/buckets/a/b/objects/coll%ff", b"", "path"),
        (b"/api/buckets/a/b/objects/coll%FE", b"", "path"),
        (b"/api/buckets/a/b/objects/\xff", b"", "path"),
        (b"/api/buckets/a/b/objects/%C3", b"", "path"),  # a truncated sequence
        (b"/api/buckets/a/b/objects/%ED%A0%80", b"", "path"),  # a lone surrogate
        (b"/api/buckets/a/b/objects/%C0%AF", b"", "path"),  # an overlong '/'
        (b"/api/buckets/a/b/objects", b"prefix=coll%ff", "query"),
        (b"/api/buckets/a/b/objects", b"prefix=a+b&delimiter=%2F", None),
    ],
)
def test_only_urls_that_decode_to_utf8_pass(
    raw_path: bytes, query: bytes, expected: str | None
) -> None:
    scope = {"type": "http", "raw_path": raw_path, "query_string": query}
    assert undecodable_part(scope) == expected


def test_a_server_without_raw_path_is_not_refused() -> None:
    assert undecodable_part({"type": "http", "path": "/x", "query_string": b""}) is None
