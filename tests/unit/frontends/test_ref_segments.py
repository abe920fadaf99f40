"""The ref segment of a REST path keeps its escaped slash until the router has matched."""

from __future__ import annotations

import pytest

from weighthouse.frontends.rest.ref_segments import RefConvertor, routed_path


@pytest.mark.parametrize(
    ("raw", "routed"),
    [
        (b"/api/models/a/b/tree/feature%2Fx", "/api/models/a/b/tree/feature%2Fx"),
        (
            b"/api/models/a/b/resolve/feature%2fx/d/e.bin",
            "/api/models/a/b/resolve/feature%2Fx/d/e.bin",
        ),
        (b"/api/datasets/a/b/commits/refs%2Fpr%2F1", "/api/datasets/a/b/commits/refs%2Fpr%2F1"),
        (b"/api/models/a/b/branches/x%252Fy", "/api/models/a/b/branches/x%252Fy"),
        (b"/api/models/a/b/upload/f%2Fx/100%25.txt", "/api/models/a/b/upload/f%2Fx/100%.txt"),
        # The server decodes escapes before routing, so escaped prefixes route the same.
        (b"/%61pi/models/a/b/tree/feature%2Fx", "/api/models/a/b/tree/feature%2Fx"),
        (b"/api/%6dodels/a/b/tree/feature%2Fx", "/api/models/a/b/tree/feature%2Fx"),
    ],
)
def test_the_ref_segment_is_escaped_again(raw: bytes, routed: str) -> None:
    assert routed_path(raw) == routed


@pytest.mark.parametrize(
    "raw",
    [
        b"/api/models/a/b/tree/main/x%2Fy",  # a folder's escaped slash is a slash
        b"/api/models/a/b/resolve/main/a.txt",
        b"/api/buckets/a/b/objects/tree/x%2Fy",  # buckets have no refs
        b"/api/orgs/a/b/tree/x%2Fy",
        b"/hf/api/models/a/b/tree/x%2Fy",  # the Hub front-end routes on the raw path itself
        b"/api/models/a/b/tree",
        b"/",
    ],
)
def test_other_paths_route_as_decoded(raw: bytes) -> None:
    assert routed_path(raw) is None


def test_the_convertor_decodes_exactly_once() -> None:
    convertor = RefConvertor()
    assert convertor.convert("feature%2Fx") == "feature/x"
    assert convertor.convert("feature%252Fx") == "feature%2Fx"
    assert convertor.convert("main") == "main"
    assert convertor.to_string("feature/x") == "feature%2Fx"
