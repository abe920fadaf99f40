"""The access-request part of the catalog contract (gated repos), on every implementation."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from tests.contract.catalog.samples import NOW, make_repo, make_user, new_id

from weighthouse.domain.catalog import Catalog
from weighthouse.domain.errors import RepoNotFoundError, UserNotFoundError
from weighthouse.domain.model import (
    AccessRequest,
    AccessRequestStatus,
    Gating,
    Repo,
    RepoType,
    User,
)

pytestmark = pytest.mark.contract


def asked(repo: Repo, user: User, at: timedelta = timedelta()) -> AccessRequest:
    return AccessRequest(
        repo_id=repo.id,
        user_id=user.id,
        status=AccessRequestStatus.PENDING,
        created_at=NOW + at,
        updated_at=NOW + at,
        user=user.name,
    )


def test_gating_is_stored_with_the_repo(catalog: Catalog, repo: Repo) -> None:
    assert repo.gated is Gating.OFF
    catalog.update_repo(replace(repo, gated=Gating.MANUAL))
    assert catalog.get_repo(repo.type, repo.namespace, repo.name).gated is Gating.MANUAL


def test_requests_round_trip_are_decided_and_listed_oldest_first(
    catalog: Catalog, repo: Repo, user: User
) -> None:
    bob, carol = make_user("bob"), make_user("carol")
    catalog.add_user(bob)
    catalog.add_user(carol)
    assert catalog.access_request(repo.id, bob.id) is None
    catalog.save_access_request(asked(repo, carol, timedelta(seconds=2)))
    catalog.save_access_request(asked(repo, bob, timedelta(seconds=1)))
    assert catalog.access_request(repo.id, bob.id) == asked(repo, bob, timedelta(seconds=1))
    pending = catalog.list_access_requests(repo.id, AccessRequestStatus.PENDING)
    assert [r.user for r in pending] == ["bob", "carol"]
    decided = replace(
        asked(repo, bob, timedelta(hours=1)),
        status=AccessRequestStatus.REJECTED,
        decided_by=user.name,
        reason="no",
    )
    catalog.save_access_request(decided)
    stored = catalog.access_request(repo.id, bob.id)
    # A decision keeps when the request was made.
    assert stored == replace(decided, created_at=NOW + timedelta(seconds=1))
    assert [r.user for r in catalog.list_access_requests(repo.id, AccessRequestStatus.PENDING)] == [
        "carol"
    ]
    assert catalog.list_access_requests(repo.id, AccessRequestStatus.ACCEPTED) == []
    assert catalog.list_access_requests(new_id(), AccessRequestStatus.PENDING) == []


def test_requests_are_per_repo_and_go_with_it(catalog: Catalog, repo: Repo, user: User) -> None:
    other = make_repo(user, name="other", type=RepoType.DATASET)
    catalog.add_repo(other)
    catalog.save_access_request(asked(other, user))
    assert catalog.access_request(repo.id, user.id) is None
    catalog.delete_repo(other.id)
    assert catalog.access_request(other.id, user.id) is None


def test_a_request_for_a_missing_repo_or_user_is_refused(
    catalog: Catalog, repo: Repo, user: User
) -> None:
    with pytest.raises(RepoNotFoundError):
        catalog.save_access_request(replace(asked(repo, user), repo_id=new_id()))
    with pytest.raises(UserNotFoundError):
        catalog.save_access_request(asked(repo, make_user("ghost")))
