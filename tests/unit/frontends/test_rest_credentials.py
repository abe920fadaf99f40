"""The REST front-end's credential extraction: each header form to its credential value, and
malformed headers to a clear ``AuthenticationError``. Nothing here decides whether a
credential is good."""

from __future__ import annotations

import base64

import pytest

from weighthouse.domain.credentials import BareToken, BasicAuth, BearerToken
from weighthouse.domain.errors import AuthenticationError
from weighthouse.frontends.rest.credentials import credential_from

pytestmark = pytest.mark.unit


def _basic(text: str) -> str:
    return "Basic " + base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("header", "credential"),
    [
        (None, None),
        ("Bearer wh_a_b", BearerToken("wh_a_b")),
        ("bearer   whs.k.b.s ", BearerToken("whs.k.b.s")),
        ("wh_a_b", BareToken("wh_a_b")),
        (_basic("alice:pass:word"), BasicAuth("alice", "pass:word")),
        (_basic("alice:"), BasicAuth("alice", "")),
        (_basic("bob:wh_a_b"), BasicAuth("bob", "wh_a_b")),
    ],
)
def test_each_form_becomes_its_credential(header: str | None, credential: object) -> None:
    assert credential_from(header) == credential


@pytest.mark.parametrize(
    "header",
    [
        "",
        "   ",
        "Bearer",
        "Basic ",
        "Bearer a b",
        "Digest abc",
        "Basic !!!",
        _basic("no-colon"),
        _basic(":password"),
        "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
        "Bearer " + "x" * 5000,
    ],
)
def test_malformed_headers_are_authentication_errors(header: str) -> None:
    with pytest.raises(AuthenticationError):
        credential_from(header)
