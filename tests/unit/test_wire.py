"""The wire vocabulary is the one source of error codes for the server and the client."""

from __future__ import annotations

import httpx
import pytest

from weighthouse import wire
from weighthouse.client.errors import ApiError
from weighthouse.frontends.rest.errors import ERROR_TABLE

pytestmark = pytest.mark.unit


def test_every_code_in_the_rest_error_table_is_a_wire_code() -> None:
    unknown = {code for _, code in ERROR_TABLE.values()} - wire.ERROR_CODES
    assert unknown == set(), f"add {sorted(unknown)} to weighthouse.wire"


def test_every_status_fallback_is_a_wire_code() -> None:
    assert set(wire.STATUS_CODES.values()) <= wire.ERROR_CODES


@pytest.mark.parametrize("status", sorted(wire.STATUS_CODES))
def test_the_client_names_a_bare_status_as_the_server_would(status: int) -> None:
    error = ApiError.from_response(httpx.Response(status, text="<html>proxy</html>"))
    assert error.code == wire.STATUS_CODES[status]


def test_header_names_are_canonical() -> None:
    for header in (wire.SHA256_HEADER, wire.MD5_HEADER, wire.REPO_COMMIT_HEADER):
        assert header.startswith("X-") and header.isascii()
    assert wire.META_PREFIX.endswith("-")
