"""SigV4 key derivation and string-to-sign checks, against AWS's published vectors."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from weighthouse.domain import sigv4
from weighthouse.domain.errors import AuthenticationError

EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"  # AWS's documentation example


def test_the_signing_key_matches_the_published_derivation_example() -> None:
    # AWS General Reference, "Examples of how to derive a signing key for Signature Version 4".
    key = sigv4.signing_key(EXAMPLE_SECRET, "20120215", "us-east-1", "iam")
    assert key.hex() == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"


def get_vanilla_string_to_sign() -> str:
    """The string to sign of the AWS SigV4 test suite's ``get-vanilla`` case."""
    canonical = "\n".join(
        [
            "GET",
            "/",
            "",
            "host:example.amazonaws.com",
            "x-amz-date:20150830T123600Z",
            "",
            "host;x-amz-date",
            hashlib.sha256(b"").hexdigest(),
        ]
    )
    request_hash = hashlib.sha256(canonical.encode()).hexdigest()
    assert request_hash == "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
    scope = "20150830/us-east-1/service/aws4_request"
    return f"AWS4-HMAC-SHA256\n20150830T123600Z\n{scope}\n{request_hash}"


def test_the_signature_matches_the_published_get_vanilla_case() -> None:
    key = sigv4.signing_key(EXAMPLE_SECRET, "20150830", "us-east-1", "service")
    assert (
        sigv4.signature(key, get_vanilla_string_to_sign())
        == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    )


def test_a_string_to_sign_is_parsed() -> None:
    parsed = sigv4.parse_string_to_sign(get_vanilla_string_to_sign())
    assert parsed.at == datetime(2015, 8, 30, 12, 36, tzinfo=UTC)
    assert parsed.scope == "20150830/us-east-1/service/aws4_request"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "AWS4-HMAC-SHA1\n20150830T123600Z\nscope\n" + "0" * 64,
        "AWS4-HMAC-SHA256\n20150830T123600Z\nscope",
        "AWS4-HMAC-SHA256\n2015-08-30T12:36:00Z\nscope\n" + "0" * 64,
        "AWS4-HMAC-SHA256\n20151330T123600Z\nscope\n" + "0" * 64,
        "AWS4-HMAC-SHA256\n20150830T123600Z\nscope\n" + "G" * 64,
        "AWS4-HMAC-SHA256\n20150830T123600Z\nscope\n" + "0" * 64 + "\nmore",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n" + "s" * 2000 + "\n" + "0" * 64,
    ],
)
def test_malformed_strings_to_sign_are_refused(text: str) -> None:
    with pytest.raises(AuthenticationError):
        sigv4.parse_string_to_sign(text)


@pytest.mark.parametrize(
    ("date", "region", "service"),
    [("2015083", "us-east-1", "s3"), ("20150830", "", "s3"), ("20150830", "us/east", "s3")],
)
def test_malformed_scopes_are_refused(date: str, region: str, service: str) -> None:
    with pytest.raises(AuthenticationError):
        sigv4.check_scope(date, region, service)


AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SIGNED = sigv4.StringToSign(at=AT, scope="", request_hash="")


@pytest.mark.parametrize("offset", [timedelta(0), timedelta(minutes=14), -timedelta(minutes=14)])
def test_a_signed_header_is_good_near_the_server_time(offset: timedelta) -> None:
    sigv4.check_time(SIGNED, AT + offset, None)


@pytest.mark.parametrize("offset", [timedelta(minutes=16), -timedelta(minutes=16)])
def test_a_signed_header_far_from_the_server_time_is_refused(offset: timedelta) -> None:
    with pytest.raises(AuthenticationError):
        sigv4.check_time(SIGNED, AT + offset, None)


def test_a_presigned_url_is_good_until_it_expires() -> None:
    sigv4.check_time(SIGNED, AT + timedelta(hours=1), 3600)
    with pytest.raises(AuthenticationError):
        sigv4.check_time(SIGNED, AT + timedelta(hours=1, seconds=1), 3600)
    with pytest.raises(AuthenticationError):
        sigv4.check_time(SIGNED, AT - timedelta(hours=1), 3600)


@pytest.mark.parametrize("expires_in", [0, -1, 7 * 86400 + 1])
def test_presigned_lifetimes_outside_a_week_are_refused(expires_in: int) -> None:
    with pytest.raises(AuthenticationError):
        sigv4.check_time(SIGNED, AT, expires_in)
