"""The Content-Type policy for stored bytes: inert types pass, everything else is opaque."""

from __future__ import annotations

import pytest

from weighthouse.frontends.user_content import served_type

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "stored",
    [
        "text/plain",
        "text/plain; charset=utf-8",
        "application/json",
        "image/png",
        "video/mp4",
        "application/octet-stream",
        "application/vnd.apache.parquet",
    ],
)
def test_inert_types_are_served_as_stored(stored: str) -> None:
    assert served_type(stored) == stored


@pytest.mark.parametrize(
    "stored",
    [
        None,
        "",
        "text/html",
        " Text/HTML ; charset=utf-8",
        "image/svg+xml",
        "IMAGE/SVG+XML",
        "application/xhtml+xml",
        "text/xml",
        "application/xml",
        "text/javascript",
        "application/javascript",
        "application/pdf",
        "text/css",
        "multipart/x-mixed-replace; boundary=b",
        "text/plain\u00e9",
        "nonsense",
    ],
)
def test_everything_else_is_an_octet_stream(stored: str | None) -> None:
    assert served_type(stored) == "application/octet-stream"
