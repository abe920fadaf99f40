"""The web pages' error table has an entry for every domain error."""

from __future__ import annotations

import pytest
from tests.unit.frontends.error_tree import all_errors, missing_entries

from weighthouse.domain import errors as e
from weighthouse.frontends.web.errors import ERROR_TABLE, lookup

pytestmark = pytest.mark.unit


def test_every_domain_error_has_its_own_entry() -> None:
    assert missing_entries(ERROR_TABLE) == []


def test_the_most_specific_entry_wins() -> None:
    assert lookup(e.RepoNotFoundError("x"))[0] == 404
    assert lookup(e.StorageFullError("x"))[0] == 507
    assert lookup(e.RateLimitedError("x", retry_after=1))[0] == 429


@pytest.mark.parametrize("error", all_errors(), ids=lambda c: c.__name__)
def test_every_status_is_an_error_status(error: type[e.DomainError]) -> None:
    status, heading = ERROR_TABLE[error]
    assert 400 <= status < 600 and heading
