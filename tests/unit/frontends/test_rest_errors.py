from __future__ import annotations

import pytest
from tests.unit.frontends.error_tree import all_errors

from weighthouse.domain import errors
from weighthouse.frontends.rest.errors import ERROR_TABLE, lookup

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("error", all_errors(), ids=lambda c: c.__name__)
def test_every_domain_error_has_its_own_entry(error: type[errors.DomainError]) -> None:
    assert error in ERROR_TABLE, f"add {error.__name__} to the REST error table"


def test_every_error_in_the_module_is_part_of_the_tree() -> None:
    declared = {
        obj
        for obj in vars(errors).values()
        if isinstance(obj, type)
        and issubclass(obj, Exception)
        and obj.__module__ == errors.__name__
    }
    assert declared == set(all_errors())


def test_most_specific_entry_wins() -> None:
    assert lookup(errors.RepoNotFoundError("x")) == (404, "repo_not_found")
    assert lookup(errors.StorageFullError("x")) == (507, "storage_full")

    class Unlisted(errors.CommitConflictError):
        pass

    assert lookup(Unlisted("x")) == (409, "commit_conflict")


def test_client_errors_are_never_5xx() -> None:
    for error in all_errors():
        if issubclass(
            error, errors.InvalidInputError | errors.NotFoundError | errors.ConflictError
        ):
            assert lookup(error("x"))[0] < 500
