from __future__ import annotations

import json

import pytest

from weighthouse.domain import errors
from weighthouse.frontends.hf.errors import ERROR_TABLE, domain_error_response, lookup

pytestmark = pytest.mark.unit


def all_errors(
    cls: type[errors.DomainError] = errors.DomainError,
) -> list[type[errors.DomainError]]:
    found = [cls]
    for sub in cls.__subclasses__():
        found.extend(all_errors(sub))
    return found


@pytest.mark.parametrize("error", all_errors(), ids=lambda c: c.__name__)
def test_every_domain_error_has_its_own_entry(error: type[errors.DomainError]) -> None:
    assert error in ERROR_TABLE, f"add {error.__name__} to the Hub error table"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (errors.RepoNotFoundError.named("a/b"), "RepoNotFound"),
        (errors.RevisionNotFoundError("no branch"), "RevisionNotFound"),
        (errors.InvalidRevisionError("bad"), "RevisionNotFound"),
        (errors.EntryNotFoundError("no file"), "EntryNotFound"),
    ],
)
def test_the_codes_the_client_acts_on(error: errors.DomainError, code: str) -> None:
    response = domain_error_response(error)
    assert response.status_code == 404
    assert response.headers["x-error-code"] == code
    assert response.headers["x-error-message"] == error.message
    assert json.loads(bytes(response.body)) == {"error": error.message}


def test_other_errors_carry_no_code_and_one_line_of_latin_1() -> None:
    response = domain_error_response(errors.InvalidPathError("bad path 'é\n😀'"))
    assert response.status_code == 400
    assert "x-error-code" not in response.headers
    assert response.headers["x-error-message"] == "bad path 'é ?'"
    assert lookup(errors.RangeNotSatisfiableError("past the end", size=5)) == (416, None)
    ranged = domain_error_response(errors.RangeNotSatisfiableError("past", size=5))
    assert ranged.headers["content-range"] == "bytes */5"
