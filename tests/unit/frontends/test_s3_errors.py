from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from tests.unit.frontends.error_tree import all_errors, missing_entries

from weighthouse.domain import errors
from weighthouse.frontends.s3 import wire
from weighthouse.frontends.s3.errors import AUTHENTICATION_CODES, ERROR_TABLE, lookup, translate

pytestmark = pytest.mark.unit


def test_every_domain_error_has_its_own_entry() -> None:
    assert missing_entries(ERROR_TABLE) == []


def test_client_errors_are_never_5xx() -> None:
    # botocore retries 5xx, so a client mistake answered with one would be sent again.
    for error in all_errors():
        if issubclass(
            error,
            errors.InvalidInputError
            | errors.NotFoundError
            | errors.ConflictError
            | errors.AuthenticationError
            | errors.PermissionDeniedError,
        ):
            assert lookup(error("x"))[0] < 500, error.__name__


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (errors.RepoNotFoundError("x"), (404, "NoSuchBucket")),
        (errors.EntryNotFoundError("x"), (404, "NoSuchKey")),
        (errors.VersionNotFoundError("x"), (404, "NoSuchVersion")),
        (errors.DeleteMarkerError("x"), (405, "MethodNotAllowed")),
        (errors.RepoExistsError("x"), (409, "BucketAlreadyExists")),
        (errors.DigestMismatchError("x"), (400, "BadDigest")),
        (errors.PreconditionFailedError("x"), (412, "PreconditionFailed")),
        (errors.RangeNotSatisfiableError("x"), (416, "InvalidRange")),
        (errors.PermissionDeniedError("x"), (403, "AccessDenied")),
        (errors.AuthenticationError("x"), (403, "AccessDenied")),
    ],
)
def test_s3_codes(error: errors.DomainError, expected: tuple[int, str]) -> None:
    assert lookup(error) == expected


@pytest.mark.parametrize("reason", sorted(AUTHENTICATION_CODES))
def test_authentication_failures_by_reason(reason: str) -> None:
    status, code = lookup(errors.AuthenticationError("x", reason=reason))
    assert code == AUTHENTICATION_CODES[reason]
    assert status in (400, 403)


def test_server_failures_do_not_echo_internal_messages() -> None:
    translated = translate(errors.BlobMissingError("/srv/blobs/ab/cd is gone"))
    assert translated.status == 500
    assert "/srv" not in translated.message


def test_error_document_has_no_namespace_and_carries_the_request_id() -> None:
    body = wire.error_document("NoSuchKey", "gone", "/b/k", "ABC123", {"Key": "k"})
    root = ET.fromstring(body)
    assert root.tag == "Error"
    assert root.findtext("Code") == "NoSuchKey"
    assert root.findtext("RequestId") == "ABC123"
    assert root.findtext("Key") == "k"


def test_a_delete_marker_and_a_version_id_reach_the_answer() -> None:
    hidden = translate(errors.EntryNotFoundError("gone", key="k", delete_marker="m" * 32))
    assert (hidden.code, hidden.fields["delete_marker"]) == ("NoSuchKey", "m" * 32)
    asked = translate(errors.VersionNotFoundError("x", key="k", version_id="v", secret="no"))
    assert asked.fields == {"key": "k", "version_id": "v"}
